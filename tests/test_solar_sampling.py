"""Sampled solar events against exact binned expectations (fixed seeds)."""

import math

import numpy as np
import pytest
from scipy import stats

from nusource.generator.constants import M_E
from nusource.generator.flux_average import flux_averaged
from nusource.generator.kinematics import t_max
from nusource.generator.model import PhysicsModel
from nusource.generator.neutrino_spectrum import NuSpectrum
from nusource.generator.solar import draw_times, fill_solar, make_solar_component
from nusource.generator.xsec import dsigma_parts
from nusource.io.schema import empty_columns

YEAR = 365.25 * 86400.0


def _events(comp, n, seed, **kw):
    rng = np.random.default_rng(seed)
    times = np.empty(n)
    draw_times(rng, 0.0, YEAR, *comp.epoch, times)
    cols = empty_columns(n)
    fl = np.empty(n, dtype=np.int8)
    sc = np.empty(n)
    n_nue = fill_solar(comp, rng, n, times, cols, flavour=fl, flux_factor_out=sc, **kw)
    return cols, fl, sc, n_nue


def _chi2_p(counts, expect):
    expect = counts.sum() * expect / expect.sum()
    chi2 = float(np.sum((counts - expect) ** 2 / expect))
    return stats.chi2.sf(chi2, counts.size - 1)


@pytest.fixture(scope="module")
def pp_events():
    comp = make_solar_component("pp")
    return comp, *_events(comp, 1_000_000, 2024)


def test_pp_recoil_spectrum_matches_exact_expectation(pp_events):
    comp, cols, fl, _, n_nue = pp_events
    edges = np.linspace(0.0, comp.tmax_mev, 17)
    counts, _ = np.histogram(cols["te"], edges)
    m_e, m_m = comp.part_models()
    expect = np.array(
        [
            flux_averaged(comp.nue, m_e, a, b).total + flux_averaged(comp.numu, m_m, a, b).total
            for a, b in zip(edges[:-1], edges[1:], strict=True)
        ]
    )
    assert _chi2_p(counts, expect) > 1e-3
    # the flavour of each event is drawn with its expected share
    n = fl.size
    assert abs(n_nue - n * comp.share_nue) < 4 * math.sqrt(
        n * comp.share_nue * (1 - comp.share_nue)
    )
    assert n_nue == int(np.sum(fl == 0))
    # and each flavour's recoil spectrum is its own part's
    counts_e, _ = np.histogram(cols["te"][fl == 0], edges)
    expect_e = np.array(
        [
            flux_averaged(comp.nue, m_e, a, b).total
            for a, b in zip(edges[:-1], edges[1:], strict=True)
        ]
    )
    assert _chi2_p(counts_e, expect_e) > 1e-3


def test_pp_events_carry_their_flavours_cross_section_parts(pp_events):
    comp, cols, fl, sc, _ = pp_events
    pe, pm = comp.samplers[0].p, comp.samplers[1].p
    for i in range(0, 2000, 97):
        p = pe if fl[i] == 0 else pm
        sm, mag, zl, zq = dsigma_parts(cols["te"][i], cols["enu"][i], p)
        assert (cols["xs_sm"][i], cols["xs_mag"][i], cols["xs_zlin"][i], cols["xs_zquad"][i]) == (
            sm,
            mag,
            zl,
            zq,
        )
        assert cols["xs_gen"][i] == sm
    assert np.all(cols["p_ee"][: fl.size] == 1.0)
    assert np.all((sc > 0.966) & (sc < 1.035))
    # directions: unit vectors, cosθ consistent with the vectors
    nu = np.stack([cols["nu_dx"], cols["nu_dy"], cols["nu_dz"]], axis=1)
    el = np.stack([cols["e_dx"], cols["e_dy"], cols["e_dz"]], axis=1)
    np.testing.assert_allclose(np.linalg.norm(el[:5000], axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(
        np.sum(nu[:5000] * el[:5000], axis=1), cols["cos_theta"][:5000], atol=1e-7
    )


def test_neutrinos_come_from_the_sun_at_their_time(pp_events):
    comp, cols, *_ = pp_events
    sun, r = comp.sun(cols["time"][:3000])
    nu = np.stack([cols["nu_dx"][:3000], cols["nu_dy"][:3000], cols["nu_dz"][:3000]], axis=1)
    np.testing.assert_allclose(nu, -sun, atol=1e-6)


@pytest.fixture(scope="module")
def be7():
    comp = make_solar_component("be7")
    return comp, *_events(comp, 1_000_000, 7)


def _t_of_cos(c, e):
    """Recoil T at which the electron leaves at cosθ to a neutrino of energy E (inverse of §3)."""
    k = (1 + M_E / e) ** 2
    return 2 * M_E * c * c / (k - c * c)


def test_be7_recoil_direction_about_the_sun(be7):
    """cosθ_sun = electron · (−unit vector to the Sun): exact distribution from kinematics."""
    comp, cols, *_ = be7
    n = 1_000_000
    sun, _ = comp.sun(cols["time"][:n])
    el = np.stack([cols["e_dx"][:n], cols["e_dy"][:n], cols["e_dz"][:n]], axis=1)
    cos_sun = -np.sum(el * sun, axis=1)
    edges = np.linspace(0.0, 1.0, 21)
    counts, _ = np.histogram(cos_sun, edges)
    m_e, m_m = comp.part_models()
    expect = np.zeros(20)
    for part, model in ((comp.nue, m_e), (comp.numu, m_m)):
        for e, w in zip(part.line_energy, part.line_prob, strict=True):
            line = NuSpectrum(np.array([e]), np.array([w]), np.zeros(0), np.zeros(0), 1.0, False)
            tm = float(t_max(e))
            for j in range(20):
                a = min(_t_of_cos(edges[j], e), tm)
                b = min(_t_of_cos(edges[j + 1], e), tm) if edges[j + 1] < 1 else tm
                if b > a:
                    expect[j] += flux_averaged(line, model, a, b).total
    assert counts.sum() == n  # every electron goes forward (cosθ > 0)
    share, n_nue = comp.share_nue, be7[4]
    assert abs(n_nue - n * share) < 4 * math.sqrt(n * share * (1 - share))
    assert _chi2_p(counts, expect) > 1e-3
    # forward peak: the 862 keV line's electrons crowd towards cosθ → 1
    assert np.argmax(counts) >= 15 and np.mean(cos_sun) > 0.6


def test_be7_reweighting_to_a_magnetic_moment(be7):
    """Σ (xs_sm + μ²·xs_mag)/xs_gen / N estimates σ̄(μ)/σ̄(0) in the window."""
    tmin, mu = 0.01, 3e-11
    comp = make_solar_component("be7", tmin_mev=tmin)
    cols, *_ = _events(comp, 200_000, 99)
    ratio = (cols["xs_sm"] + mu * mu * cols["xs_mag"]) / cols["xs_gen"]
    est, err = ratio.mean(), ratio.std(ddof=1) / math.sqrt(ratio.size)
    mu_comp = make_solar_component("be7", PhysicsModel(mu=mu), tmin_mev=tmin)
    exact = mu_comp.events_per_electron_s() / comp.events_per_electron_s()
    assert abs(est - exact) < 4 * err and exact > 1.01


def test_annual_modulation_as_a_weight():
    comp = make_solar_component("be7")
    cols, _, sc, _ = _events(comp, 1000, 3, gen_norm=2.5, modulation="weight")
    np.testing.assert_allclose(cols["weight"][:1000], 2.5 * sc, rtol=1e-14)
    cols, _, _, _ = _events(comp, 1000, 3, unit_weight=True)
    assert np.all(cols["weight"][:1000] == 1.0)


def test_expected_events_follow_the_earth_sun_distance():
    comp = make_solar_component("be7")
    rate = comp.events_per_electron_s()
    jan = comp.expected_events(1e30, 0.0, 86400.0)  # epoch 2025-01-01: near perihelion
    jul = comp.expected_events(1e30, 184 * 86400.0, 185 * 86400.0)  # near aphelion
    assert jan / (rate * 1e30 * 86400.0) == pytest.approx(1.0342, abs=1e-3)
    assert jul / (rate * 1e30 * 86400.0) == pytest.approx(0.9673, abs=1e-3)


def test_fill_edge_cases():
    comp = make_solar_component("be7")
    cols = empty_columns(10)
    assert fill_solar(comp, np.random.default_rng(0), 0, np.zeros(0), cols) == 0
    with pytest.raises(ValueError, match=r"^modulation = 'both': allowed: accept, weight$"):
        fill_solar(comp, np.random.default_rng(0), 10, np.zeros(10), cols, modulation="both")
