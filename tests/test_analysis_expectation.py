"""Quadrature expectations against flux_averaged and independent scipy integrals."""

import math

import numpy as np
import pytest
from scipy import integrate, special

from nusource.analysis.expectation import (
    Expectation,
    binned_expectation,
    find_steps,
    interval_moments,
    moment_tails,
    recoil_parts,
)
from nusource.generator.flux_average import flux_averaged
from nusource.generator.model import PhysicsModel
from nusource.generator.neutrino_spectrum import from_source
from nusource.generator.sources import get_source
from nusource.generator.zprime import ZPrime

from . import reference as ref

PARTS = ("sm", "mag_unit", "zlin_unit", "zquad_unit")


@pytest.fixture(scope="module")
def pm147():
    return from_source(get_source("pm147", endpoint_kev=235))


@pytest.fixture(scope="module")
def cr51():
    return from_source(get_source("cr51"))


def _flux_averaged_bins(sp, model, edges):
    fa = [flux_averaged(sp, model, a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return np.array([[getattr(x, k) for x in fa] for k in PARTS])


@pytest.mark.parametrize(("couplings", "zp"), [("tree", "chi"), ("radiative", "lr")])
def test_pm147_bins_equal_flux_averaged_windows(pm147, couplings, zp):
    """No resolution, no binding: each part of each bin is flux_averaged over the bin (1e-8)."""
    model = PhysicsModel("nuebar", couplings, zprime=ZPrime(zp, 500.0))
    edges = np.array([0.002, 0.004, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.2])
    got = binned_expectation(pm147, model, edges).parts
    want = _flux_averaged_bins(pm147, model, edges)
    np.testing.assert_allclose(got, want, rtol=1e-8)


def test_cr51_lines_equal_flux_averaged_windows(cr51):
    model = PhysicsModel("nue", "radiative", zprime=ZPrime("chi", 300.0))
    edges = np.linspace(0.05, 0.6, 12)
    got = binned_expectation(cr51, model, edges, exposure=2.0).parts
    np.testing.assert_allclose(got, 2.0 * _flux_averaged_bins(cr51, model, edges), rtol=1e-8)


def test_counts_combine_the_parts_like_the_model(pm147):
    """counts(μ, γ) of the parts = flux_averaged total of the model with that μ and mass."""
    z = ZPrime("chi", 400.0)
    model = PhysicsModel("nuebar", "tree", 0.2386, mu=5e-11, zprime=z)
    ex = binned_expectation(pm147, model, [0.003, 0.03])
    want = flux_averaged(pm147, model, 0.003, 0.03).total
    assert ex.counts(mu=5e-11, gamma=z.gamma)[0] == pytest.approx(want, rel=1e-10)


def test_recoil_spectrum_against_scipy_quad(pm147):
    """g(T) = ∫f(E)dσ/dT dE at a few T against scipy.quad over the table (SM, tree)."""
    model = PhysicsModel("nuebar", "tree", 0.2386)
    t = np.array([0.001, 0.01, 0.05, 0.1])
    grid, dens = pm147.cont_energy, pm147.cont_density
    g = np.empty((4, t.size))
    recoil_parts(
        t, np.zeros(0), np.zeros(0), grid, dens, moment_tails(grid, dens), model.params(), g
    )
    for i, ti in enumerate(t):
        emin = 0.5 * (ti + math.sqrt(ti * ti + 2 * ref.ME * ti))

        def f(e, ti=ti):
            return np.interp(e, grid, dens) * float(ref.dsigma_tree(ti, e, "nuebar", 0.2386))

        want, _ = integrate.quad(lambda e: 1e44 * f(e), emin, grid[-1], limit=400, epsrel=1e-11)
        assert g[0, i] * 1e44 == pytest.approx(want, rel=1e-8)


def test_interval_moments_closed_forms_and_python_twin():
    """∫(linear f)·E⁻ⁿ over an interval: closed forms (series for narrow ones) vs quad."""
    for a, b, fa, fb in [
        (0.1, 0.2, 1.0, 3.0),
        (0.1, 0.1 * (1 + 1e-4), 2.0, 5.0),
        (1e-3, 0.5, 0.0, 1.0),
    ]:
        got = interval_moments(a, b, fa, fb)
        twin = interval_moments.py_func(a, b, fa, fb)
        for n in range(3):

            def f(e, n=n, a=a, b=b, fa=fa, fb=fb):
                return (fa + (fb - fa) * (e - a) / (b - a)) * e**-n

            want, _ = integrate.quad(f, a, b, epsrel=1e-13)
            assert got[n] == pytest.approx(want, rel=1e-11)
            assert twin[n] == pytest.approx(got[n], rel=1e-14)


def test_one_ulp_step_interval_is_harmless():
    """The one-ulp interval at a β endpoint step must not produce garbage moments."""
    a = 0.235
    b = np.nextafter(a, np.inf)
    m = interval_moments(a, b, 10.6, 0.0)
    assert all(abs(x) < 1e-14 for x in m)


def _gauss_bin(lo, hi, t, s):
    return 0.5 * (
        special.erf((hi - t) / (math.sqrt(2) * s)) - special.erf((lo - t) / (math.sqrt(2) * s))
    )


def test_resolution_binding_threshold_against_scipy(cr51):
    """⁵¹Cr lines with Gaussian σ(T), a stepped binding and a threshold, against scipy.quad
    of Σ_k P_k ∫ b(T)·P_bin(T)·dσ/dT(T, E_k) dT with the independent tree formula."""
    s2 = 0.23155
    model = PhysicsModel("nue", "tree", s2)
    steps = np.array([0.005, 0.033])
    keep = np.array([0.2, 0.7, 1.0])

    def binding(q):
        return keep[np.searchsorted(steps, np.asarray(q), side="left")]

    def sigma(t):
        return 0.0005 + 0.03 * np.asarray(t)

    edges = np.array([0.0, 0.004, 0.01, 0.03, 0.1, 0.3, 0.6])
    thr = 0.006
    lo, hi = 1e-4, 0.7
    ex = binned_expectation(
        cr51, model, edges, binding=binding, sigma=sigma, threshold_mev=thr, t_range_mev=(lo, hi)
    )
    ex_auto = binned_expectation(
        cr51,
        model,
        edges,
        binding=binding,
        binding_steps_mev=steps,
        sigma=sigma,
        threshold_mev=thr,
        t_range_mev=(lo, hi),
    )
    np.testing.assert_allclose(ex.sm, ex_auto.sm, rtol=1e-12)
    for j in range(edges.size - 1):
        blo, bhi = max(edges[j], thr), max(edges[j + 1], thr)
        want = 0.0
        for e, w in zip(cr51.line_energy, cr51.line_prob, strict=True):
            tm = 2 * e * e / (ref.ME + 2 * e)

            def f(t, e=e, blo=blo, bhi=bhi):
                return (
                    1e45
                    * binding(t)
                    * _gauss_bin(blo, bhi, t, sigma(t))
                    * ref.dsigma_tree(t, e, "nue", s2)
                )

            val, _ = integrate.quad(f, lo, min(hi, tm), points=steps, limit=500, epsrel=1e-11)
            want += w * val
        if bhi <= blo:
            assert ex.sm[j] == 0.0
        else:
            assert ex.sm[j] * 1e45 == pytest.approx(want, rel=1e-7)


def test_magnetic_part_is_infinite_from_zero(pm147):
    """∫dT/T diverges: bins starting at 0 keV have an infinite magnetic part, finite others."""
    model = PhysicsModel("nuebar", "tree", 0.2386, zprime=ZPrime("chi", 600.0))
    ex = binned_expectation(pm147, model, np.linspace(0.0, 0.1, 6))
    assert math.isinf(ex.mag[0]) and np.all(np.isfinite(ex.mag[1:]))
    want = _flux_averaged_bins(pm147, model, np.linspace(0.0, 0.1, 6))
    np.testing.assert_allclose(ex.sm, want[0], rtol=1e-8)
    np.testing.assert_allclose(ex.zlin, want[2], rtol=1e-8)


def test_find_steps_locates_a_step_function():
    steps = np.array([0.0011, 0.00485, 0.0332])

    def fn(q):
        return np.searchsorted(steps, np.asarray(q), side="left") / 3.0

    found = find_steps(fn, np.linspace(0.0005, 0.05, 40))
    np.testing.assert_allclose(found, steps, rtol=1e-10)
    assert find_steps(np.sqrt, np.linspace(0.1, 1.0, 200)).size == 0  # smooth: no steps


def test_expectation_helpers():
    ex = Expectation(np.array([0.0, 1.0]), *(np.array([v]) for v in (10.0, 2.0, 3.0, 4.0)))
    assert ex.counts(mu=2.0, gamma=0.5)[0] == pytest.approx(10 + 4 * 2 + 1.5 + 1.0)
    assert ex.counts(gamma=0.5, linear=True)[0] == pytest.approx(11.5)
    assert ex.scaled(3.0).parts[:, 0] == pytest.approx([30, 6, 9, 12])


def test_bad_edges_are_named(pm147):
    with pytest.raises(ValueError, match="edges_mev"):
        binned_expectation(pm147, PhysicsModel("nuebar"), [0.01, 0.005])
