"""Flux-averaged cross sections against independent integrations."""

import math

import numpy as np
import pytest
from scipy import integrate

from nusource.generator.flux_average import flux_averaged
from nusource.generator.model import PhysicsModel
from nusource.generator.neutrino_spectrum import from_source
from nusource.generator.sources import get_source

from . import reference as ref


def test_cr51_line_average_at_tree_level_marley_choice():
    """⁵¹Cr lines, s² = 0.23155 (MARLEY's tree choice): closed-form sum to 1e-10."""
    sp = from_source(get_source("cr51"))
    got = flux_averaged(sp, PhysicsModel("nue", "tree", 0.23155)).total
    want = sum(
        w * ref.sigma_tree_total(e, "nue", 0.23155)
        for e, w in zip(sp.line_energy, sp.line_prob, strict=True)
    )
    assert got == pytest.approx(want, rel=1e-10)
    # the 0.747 MeV line alone, for the record: σ ≈ 4.98e-45 cm²
    assert ref.sigma_tree_total(0.7469, "nue", 0.23155) == pytest.approx(4.98e-45, rel=2e-3)


def _quad_continuum(sp, fn):
    """∫ f(E)·fn(E) dE over the piecewise-linear table, scipy.quad interval by interval."""
    g, d = sp.cont_energy, sp.cont_density
    scale = 1e45  # integrate O(1) numbers
    total = 0.0
    for i in range(g.size - 1):
        if g[i + 1] <= g[i] or (d[i] == 0 and d[i + 1] == 0):
            continue
        slope = (d[i + 1] - d[i]) / (g[i + 1] - g[i])
        val, _ = integrate.quad(
            lambda e, i=i, slope=slope: (d[i] + slope * (e - g[i])) * fn(e) * scale,
            g[i],
            g[i + 1],
            epsrel=1e-10,
            epsabs=1e-15,
        )
        total += val
    return total / scale


@pytest.mark.parametrize(
    "name,flavour,window",
    [
        ("pm147", "nuebar", (0.0, math.inf)),
        ("pm147", "nuebar", (0.002, 0.03)),
        ("h3", "nuebar", (0.0, math.inf)),
    ],
)
def test_beta_spectrum_average_at_tree_level_against_quad(name, flavour, window):
    sp = from_source(get_source(name))
    got = flux_averaged(sp, PhysicsModel(flavour, "tree", 0.2386), *window).total
    want = _quad_continuum(sp, lambda e: ref.sigma_tree_total(e, flavour, 0.2386, *window))
    assert got == pytest.approx(want, rel=1e-6)


@pytest.mark.slow
def test_sr90y_radiative_average_against_nested_quad():
    sp = from_source(get_source("sr90y"))
    window = (0.1, 0.5)

    def sig(e):
        b = min(window[1], 2 * e * e / (0.51099895 + 2 * e))
        if b <= window[0]:
            return 0.0
        return integrate.quad(
            lambda t: ref.dsigma_radiative(t, e, "nuebar"), window[0], b, epsrel=1e-10
        )[0]

    got = flux_averaged(sp, PhysicsModel("nuebar"), *window).total
    assert got == pytest.approx(_quad_continuum(sp, sig), rel=1e-6)


def test_magnetic_average_for_lines():
    sp = from_source(get_source("cr51"))
    lo = 0.002
    fa = flux_averaged(sp, PhysicsModel("nue", mu=1e-10), lo)
    want = sum(
        w
        * integrate.quad(
            lambda t, e=e: ref.dsigma_magnetic(t, e, 1.0),
            lo,
            2 * e * e / (ref.ME + 2 * e),
            epsrel=1e-13,
        )[0]
        for e, w in zip(sp.line_energy, sp.line_prob, strict=True)
    )
    assert fa.mag_unit == pytest.approx(want, rel=1e-10)
    assert fa.mu == pytest.approx(1e-20 * want, rel=1e-10)
    assert fa.total == pytest.approx(fa.sm + fa.mu)


def test_window_beyond_every_line_gives_zero():
    sp = from_source(get_source("cr51"))
    assert flux_averaged(sp, PhysicsModel("nue"), 0.6, 1.0).total == 0.0


def test_mean_energies_of_the_tables():
    """The combined ⁹⁰Sr–⁹⁰Y spectrum averages its branches (2 ν̄ per decay)."""
    sp = from_source(get_source("sr90y"))
    branches = get_source("sr90y").spectra
    want = np.mean([b.mean_energy_mev for b in branches])
    assert sp.nu_per_decay == 2.0
    assert sp.mean_energy() == pytest.approx(want, rel=1e-9)
