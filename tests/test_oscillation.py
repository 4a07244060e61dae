"""Sterile oscillation per event, from its own emission point to its own vertex."""

import math

import numpy as np
import pytest
from scipy import stats

from nusource.experiment import build_experiment, signal_spec
from nusource.generator.oscillation import oscillation_length_cm, survival_probability
from nusource.generator.signal import generate_signal_chunk
from nusource.runcard import parse_card

from .support import BASE


def lxe(osc: str, mode="fixed"):
    text = BASE.read_text().replace('mode = "exposure"', f'mode = "{mode}"\nn_events = 400000')
    text += f"\n[oscillation]\n{osc}\n"
    return build_experiment(parse_card(text, "lxe+osc"), "lxe+osc")


def test_formula_and_oscillation_length():
    assert survival_probability(0.0, 0.75, 0.3, 2.0) == 1.0
    # seed 004: ≈ 0.9 m at 0.75 MeV for Δm² = 2 eV²
    assert oscillation_length_cm(0.7469, 2.0) == pytest.approx(92.6, abs=0.1)
    l_half = oscillation_length_cm(0.7469, 2.0) / 2
    assert survival_probability(l_half, 0.7469, 0.3, 2.0) == pytest.approx(0.7, abs=1e-12)


def test_large_dm2_averages_to_one_minus_half_sin2():
    exp = lxe("sin2_2theta = 0.3\ndm2_ev2 = 5000.0")
    spec, _ = signal_spec(exp, seed=3)
    ev = generate_signal_chunk(spec, np.random.default_rng(3), 200_000)
    p = ev["p_ee"]
    err = p.std() / math.sqrt(p.size)
    assert abs(p.mean() - (1 - 0.5 * 0.3)) < 4 * err
    assert ev["weight"] == pytest.approx(spec.gen_norm * ev["xs_sm"] / ev["xs_gen"] * p)


def test_flight_length_pattern_at_2_ev2():
    """Thinned by P_ee (the 'accept' mode), the 746.9 keV line's L distribution is the
    un-oscillated one times 1 − sin²2θ·sin²(1.267Δm²L/E): minima at L = (k + ½)·92.6 cm."""
    s2, dm2 = 0.5, 2.0
    exp = lxe(f'sin2_2theta = {s2}\ndm2_ev2 = {dm2}\napply = "accept"', mode="exposure")
    spec, _ = signal_spec(exp, mode="exposure", exposure=8e49)
    ev = generate_signal_chunk(spec, np.random.default_rng(5), spec.n_generated)
    ref_spec, _ = signal_spec(lxe(f"sin2_2theta = 0.0\ndm2_ev2 = {dm2}"), n_events=spec.n_generated)
    ref = generate_signal_chunk(ref_spec, np.random.default_rng(6), spec.n_generated)
    line = 0.7469
    edges = np.linspace(100, 240, 29)
    kept, _ = np.histogram(ev["flight"][ev["enu"] == line], edges)
    base, _ = np.histogram(ref["flight"][ref["enu"] == line], edges)
    # expected thinning: P averaged over each bin (the L density is smooth within a bin)
    fine = np.linspace(edges[0], edges[-1], 28 * 50 + 1)
    pf = 1 - s2 * np.sin(1.267 * dm2 * fine * 0.01 / line) ** 2
    p_bin = np.array([pf[i * 50 : (i + 1) * 50 + 1].mean() for i in range(28)])
    # both samples come from the same density: compare kept/base with P (two-sample χ²)
    scale = len(ev[ev["enu"] == line]) / np.sum(base * p_bin)
    expected = base * p_bin * scale
    var = expected + (p_bin * scale) ** 2 * base
    chi2 = np.sum((kept - expected) ** 2 / var)
    assert stats.chi2.sf(chi2, edges.size - 2) > 1e-3
    # the pattern is there: the bin nearest 138.9 cm is depleted relative to 185 cm
    r = kept / np.maximum(base, 1)
    i_min, i_max = np.searchsorted(edges, 138.9) - 1, np.searchsorted(edges, 185.2) - 1
    assert r[i_min] < 0.75 * r[i_max]


def test_accept_mode_needs_exposure_mode():
    with pytest.raises(ValueError, match="apply = 'weight'"):
        signal_spec(lxe('sin2_2theta = 0.1\ndm2_ev2 = 1.0\napply = "accept"'), mode="fixed")
