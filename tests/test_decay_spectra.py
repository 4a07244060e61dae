"""Sampled decay spectra (¹³⁶Xe 2νββ, ⁸⁵Kr, ²¹⁴Pb) against exact binned expectations.

Expectations come from scipy quadrature of the densities written out here
(the 2νββ polynomial; F(Z, W)·p·W·(Q − T)²·C with the package's Fermi
function, itself checked in test_fermi.py), not from the sampler's tables.
"""

import math

import numpy as np
import pytest
from scipy.integrate import quad

from nusource.generator.constants import M_E
from nusource.generator.decay_sampler import (
    LINEAR,
    bounding_box,
    fill_decays,
    fill_energies,
    linear_cells,
)
from nusource.generator.double_beta import Xe136DoubleBeta
from nusource.generator.fermi import fermi_function
from nusource.generator.krypton import Kr85Background
from nusource.generator.radon import Rn222Background
from nusource.geometry.solids import Box, Cylinder, SphericalShell

from .expectations import chi2_pvalue

N = 1_000_000


def _dnbb(t, q):
    k, qq = t / M_E, q / M_E
    return k * (k**4 + 10 * k**3 + 40 * k**2 + 60 * k + 30) * (qq - k) ** 5


def _beta_electron(t, q, z, a, shape):
    if t <= 0.0 or t >= q:
        return 0.0
    w = 1.0 + t / M_E
    p = math.sqrt(w * w - 1.0)
    e_nu = (q - t) / M_E
    c = 1.0 if shape == "allowed" else p * p + e_nu * e_nu
    return float(fermi_function(z, w, a)) * p * w * e_nu**2 * c


def _probabilities(f, edges):
    # integrate each bin (points at the bin edges keep quad accurate at the ends)
    p = np.array(
        [
            quad(f, lo, hi, epsabs=0.0, epsrel=1e-10, limit=200)[0]
            for lo, hi in zip(edges[:-1], edges[1:], strict=True)
        ]
    )
    return p / p.sum()


def _check(te, f, q, nbins=60):
    assert np.all(te >= 0.0) and np.all(te <= q)
    edges = np.linspace(0.0, q, nbins + 1)
    observed = np.histogram(te, edges)[0]
    pval, chi2, ndf = chi2_pvalue(observed, _probabilities(f, edges))
    assert pval > 1e-3, (chi2, ndf)


def test_xe136_summed_energy_follows_primakoff_rosen():
    bkg = Xe136DoubleBeta()
    te = np.empty(N)
    trials = bkg.fill(np.random.default_rng(136), N, te)
    assert trials >= N
    _check(te, lambda t: _dnbb(t, bkg.q_mev), bkg.q_mev)


def test_xe136_low_energy_window_follows_formula():
    """Fine bins at 0–140 keV (where the sterile analysis looks) with events confined there."""
    bkg = Xe136DoubleBeta(n_cells=64)  # coarse cells: more slow-path decisions
    te = np.empty(N)
    bkg.fill(np.random.default_rng(7), N, te)
    edges = np.linspace(0.0, 0.14, 29)
    observed = np.histogram(te, edges)[0]
    expected = _probabilities(lambda t: _dnbb(t, bkg.q_mev), edges)
    pval, _, _ = chi2_pvalue(observed, expected)
    assert pval > 1e-3
    frac = observed.sum() / N
    exact = bkg.spectrum_fraction(0.0, 0.14)
    assert abs(frac - exact) < 5 * math.sqrt(exact * (1 - exact) / N)


def test_kr85_electron_spectrum_first_forbidden_unique():
    bkg = Kr85Background(1e-13)  # naked: the ground-state branch only
    te = np.empty(N)
    bkg.fill(np.random.default_rng(85), N, te)
    q = 0.687
    _check(te, lambda t: _beta_electron(t, q, 37, 85, "unique1"), q)


def test_pb214_naked_branch_electron_spectrum():
    bkg = Rn222Background(0.1)
    te = np.empty(N)
    bkg.fill(np.random.default_rng(214), N, te)
    q = 1.018
    _check(te, lambda t: _beta_electron(t, q, 83, 214, "allowed"), q)


def test_pb214_all_branches_mix_by_intensity():
    bkg = Rn222Background(0.1, naked_only=False)
    n = 200_000
    te, br = np.empty(n), np.empty(n, dtype=np.int64)
    bkg.fill(np.random.default_rng(5), n, te, br)
    p = np.array([b.intensity for b in bkg.scheme.branches])
    pval, _, _ = chi2_pvalue(np.bincount(br, minlength=p.size), p, min_expected=5.0)
    assert pval > 1e-3
    q_of = np.array([b.q_mev for b in bkg.scheme.branches])
    assert np.all(te <= q_of[br])


def _piecewise_linear_cdf(grid, dens, x):
    """∫ from grid[0] to x of the piecewise-linear density (by hand: trapezoids and a
    partial segment; at a repeated grid energy, a step, the later node starts the next)."""
    out = np.empty(len(x))
    for i, xi in enumerate(x):
        acc = 0.0
        for j in range(len(grid) - 1):
            x0, x1, f0, f1 = grid[j], grid[j + 1], dens[j], dens[j + 1]
            if x1 <= x0:
                continue
            if xi >= x1:
                acc += 0.5 * (f0 + f1) * (x1 - x0)
            elif xi > x0:
                d = xi - x0
                acc += f0 * d + 0.5 * (f1 - f0) / (x1 - x0) * d * d
        out[i] = acc
    return out


@pytest.mark.parametrize("merge", [1, 5])
def test_merged_linear_cells_sample_the_table_exactly(merge):
    """Cells of several segments (crossing a step, a peak and zero ends) draw the
    piecewise-linear tables exactly: energies in bins cutting through cells, and the
    tables' shares, against the tables integrated by hand."""
    g0 = np.array([0.0, 0.05, 0.1, 0.1, 0.2, 0.25, 0.3, 0.32, 0.5, 0.6, 0.7, 0.9, 1.0])
    d0 = np.array([0.0, 2.0, 3.0, 9.0, 8.5, 20.0, 1.0, 1.5, 6.0, 6.0, 3.0, 0.5, 0.0])
    g1 = np.linspace(0.0, 0.4, 23)
    d1 = np.sin(np.pi * g1 / 0.4) ** 2
    cells, branch, par = linear_cells([(g0, d0, 0.3, 0), (g1, d1, 0.7, 1)], merge=merge)
    # 12 + 22 segments: ⌈12/5⌉ + ⌈22/5⌉ cells, or one a segment but the step's, of no width
    assert len(cells) == {1: 33, 5: 8}[merge]
    n = 1_000_000
    te, br = np.empty(n), np.empty(n, dtype=np.int64)
    trials = fill_energies(np.random.default_rng(merge), cells, LINEAR, par, branch, te, br)
    assert trials >= n
    pval, _, _ = chi2_pvalue(np.bincount(br, minlength=2), np.array([0.3, 0.7]))
    assert pval > 1e-3
    for b, (g, d) in enumerate(((g0, d0), (g1, d1))):
        edges = np.unique(np.concatenate([np.linspace(0.0, g[-1], 41), [0.1, 0.25, 0.31]]))
        edges = edges[edges <= g[-1]]
        cdf = _piecewise_linear_cdf(g, d, edges)
        observed = np.histogram(te[br == b], edges)[0]
        pval, chi2, ndf = chi2_pvalue(observed, np.diff(cdf))
        assert pval > 1e-3, (b, chi2, ndf)


def test_compiled_and_python_kernels_agree():
    bkg = Kr85Background(1e-13, naked_only=False)
    t = bkg.tables
    a, b = np.empty(500), np.empty(500)
    ba, bb = np.empty(500, dtype=np.int64), np.empty(500, dtype=np.int64)
    fill_energies(np.random.default_rng(3), t.cells, t.model, t.par, t.cell_branch, a, ba)
    fill_energies.py_func(np.random.default_rng(3), t.cells, t.model, t.par, t.cell_branch, b, bb)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ba, bb)


def test_compiled_and_python_event_kernels_agree():
    bkg = Xe136DoubleBeta(n_cells=16)
    t = bkg.tables
    shell = SphericalShell(20.0, 50.0, center=(1.0, -2.0, 3.0))
    det = np.ascontiguousarray(shell.params)
    box = bounding_box(shell.kind, det)
    out = [[np.empty(300) for _ in range(8)] for _ in range(2)]
    no_branch = np.empty(0, dtype=np.int64)
    for kernel, cols in zip((fill_decays, fill_decays.py_func), out, strict=True):
        kernel(
            np.random.default_rng(8),
            t.cells,
            t.model,
            t.par,
            t.cell_branch,
            shell.kind,
            det,
            box,
            5.0,
            10.0,
            *cols,
            no_branch,
        )
    for a, b in zip(*out, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "solid",
    [
        Cylinder(68.5, 68.5, center=(0.0, 0.0, 168.5)),
        SphericalShell(20.0, 50.0, center=(1.0, -2.0, 3.0)),
        Box(10.0, 20.0, 30.0, center=(0.0, 0.0, 0.0)),
    ],
    ids=["cylinder", "shell", "box"],
)
def test_events_uniform_in_the_solid_isotropic_and_in_the_run(solid):
    bkg = Xe136DoubleBeta()
    n = 200_000
    te, x, y, z, t, dx, dy, dz = (np.empty(n) for _ in range(8))
    t0, length = 100.0, 8.64e6
    bkg.fill_events(np.random.default_rng(11), n, solid, t0, length, te, x, y, z, t, dx, dy, dz)
    assert all(solid.contains((x[i], y[i], z[i])) for i in range(0, n, 97))
    assert np.all((t >= t0) & (t < t0 + length))
    np.testing.assert_allclose(dx * dx + dy * dy + dz * dz, 1.0, atol=1e-12)
    # isotropy: cosθ uniform on [−1, 1], azimuth uniform
    pval, _, _ = chi2_pvalue(np.histogram(dz, np.linspace(-1, 1, 21))[0], np.full(20, 0.05))
    assert pval > 1e-3
    phi = np.arctan2(dy, dx)
    pval, _, _ = chi2_pvalue(
        np.histogram(phi, np.linspace(-np.pi, np.pi, 21))[0], np.full(20, 0.05)
    )
    assert pval > 1e-3
    pval, _, _ = chi2_pvalue(
        np.histogram(t, np.linspace(t0, t0 + length, 21))[0], np.full(20, 0.05)
    )
    assert pval > 1e-3
    # the time reuses the accepting uniform's leftover: it must not depend on the energy
    for part in (te < np.median(te), te >= np.median(te)):
        counts = np.histogram(t[part], np.linspace(t0, t0 + length, 21))[0]
        pval, _, _ = chi2_pvalue(counts, np.full(20, 0.05))
        assert pval > 1e-3
    # uniform in volume: the z coordinate's distribution is the solid's cross-section profile
    p = solid.params
    if isinstance(solid, Cylinder):
        zb = np.linspace(p[2] - p[4], p[2] + p[4], 21)
        expected = np.full(20, 0.05)
    elif isinstance(solid, Box):
        zb = np.linspace(p[2] - p[5], p[2] + p[5], 21)
        expected = np.full(20, 0.05)
    else:
        r_in, r_out = p[3], p[4]
        zb = np.linspace(p[2] - r_out, p[2] + r_out, 21)

        def area(u):  # ∫ cross-section area dz of a shell, from its centre
            def cap(r):
                v = np.clip(u, -r, r)
                return np.pi * (r * r * v - v**3 / 3.0)

            return cap(r_out) - cap(r_in)

        expected = np.diff(area(zb - p[2]))
    pval, _, _ = chi2_pvalue(np.histogram(z, zb)[0], expected)
    assert pval > 1e-3
