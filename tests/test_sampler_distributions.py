"""Sampled (Eν, T, cosθ) against the exact distributions: fixed seeds, 10⁶ events, χ² p > 0.001."""

import math

import numpy as np
import pytest

from nusource.generator.constants import M_E
from nusource.generator.flux_average import flux_averaged
from nusource.generator.kinematics import cos_theta, t_max
from nusource.generator.model import PhysicsModel
from nusource.generator.neutrino_spectrum import from_source
from nusource.generator.recoil_sampler import make_recoil_sampler
from nusource.generator.sources import get_source
from nusource.generator.zprime import parse_zprime

from .expectations import binned, chi2_pvalue

N = 1_000_000
P_MIN = 1e-3


def draw(spectrum, model, tmin=0.0, tmax=math.inf, seed=1):
    s = make_recoil_sampler(spectrum, model, tmin, tmax)
    return s.sample(np.random.default_rng(seed), N)


@pytest.fixture(scope="module")
def cr51():
    return from_source(get_source("cr51"))


@pytest.fixture(scope="module")
def sry():
    return from_source(get_source("sr90y"))


CASES = [
    ("cr51", PhysicsModel("nue"), 0.0, math.inf),
    ("cr51", PhysicsModel("nue", mu=1e-10), 0.002, math.inf),
    ("cr51", PhysicsModel("numu", "tree", 0.23), 0.05, 0.4),
    ("sry", PhysicsModel("nuebar"), 0.0, math.inf),
    ("sry", PhysicsModel("nuebar", mu=6e-11), 0.1, 1.0),
]


@pytest.mark.parametrize("name,model,tmin,tmax", CASES)
def test_recoil_energy_distribution(name, model, tmin, tmax, request):
    spectrum = request.getfixturevalue(name)
    e, t = draw(spectrum, model, tmin, tmax)
    hi = min(tmax, t_max(spectrum.max_energy))
    edges = np.geomspace(tmin, hi, 61) if tmin > 0 else np.linspace(0, hi, 61)
    obs, _ = np.histogram(t, edges)
    assert obs.sum() == N
    p, chi2, ndf = chi2_pvalue(obs, binned(spectrum, model, edges, tmin=tmin, tmax=tmax))
    assert p > P_MIN, f"χ²/ndf = {chi2:.1f}/{ndf}"
    assert np.all(t <= 2 * e * e / (M_E + 2 * e) * (1 + 1e-12))
    assert np.all((t >= tmin) & (t <= hi))


@pytest.mark.parametrize("name,model,tmin,tmax", CASES[:2] + CASES[3:4])
def test_electron_angle_distribution(name, model, tmin, tmax, request):
    spectrum = request.getfixturevalue(name)
    e, t = draw(spectrum, model, tmin, tmax, seed=7)
    c = np.array([cos_theta(ti, ei) for ti, ei in zip(t[:N], e[:N], strict=True)])
    edges = np.linspace(max(c.min() - 1e-9, 0.0), 1.0, 41)
    obs, _ = np.histogram(c, edges)
    p, chi2, ndf = chi2_pvalue(
        obs, binned(spectrum, model, edges, variable="cos", tmin=tmin, tmax=tmax)
    )
    assert p > P_MIN, f"χ²/ndf = {chi2:.1f}/{ndf}"


def test_line_choice_of_cr51(cr51):
    """Lines are picked with probability intensity × σ_w(E)."""
    model = PhysicsModel("nue")
    e, _ = draw(cr51, model, seed=11)
    obs = np.array([np.sum(e == x) for x in cr51.line_energy])
    assert obs.sum() == N
    sig = []
    for x, w in zip(cr51.line_energy, cr51.line_prob, strict=True):
        one = type(cr51)(np.array([x]), np.array([1.0]), np.zeros(0), np.zeros(0), 1.0, False)
        sig.append(w * flux_averaged(one, model).total)
    p, chi2, ndf = chi2_pvalue(obs, np.array(sig), min_expected=5)
    assert p > P_MIN, f"χ²/ndf = {chi2:.1f}/{ndf}"


def test_neutrino_energy_distribution_of_sr90y(sry):
    """Eν follows f(E)·σ_w(E): bins on the table's grid, expectations by quadrature."""
    model = PhysicsModel("nuebar")
    e, _ = draw(sry, model, seed=5)
    g = sry.cont_energy
    edges = g[:: g.size // 50]
    edges = np.append(edges, g[-1]) if edges[-1] < g[-1] else edges
    obs, _ = np.histogram(e, edges)
    expected = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (g >= lo) & (g <= hi)
        part = type(sry)(np.zeros(0), np.zeros(0), g[m], sry.cont_density[m], 1.0, True)
        expected.append(flux_averaged(part, model).total)
    p, chi2, ndf = chi2_pvalue(obs, np.array(expected))
    assert p > P_MIN, f"χ²/ndf = {chi2:.1f}/{ndf}"


def test_zprime_sample_total_shift():
    """With a light χ Z′ the sampled mean T shifts as the exact spectra say (ν̄e, ¹⁴⁷Pm)."""
    spectrum = from_source(get_source("pm147", endpoint_kev=235))
    base = PhysicsModel("nuebar", "tree", 0.2386)
    zp = base.replace(zprime=parse_zprime("chi:120"))
    _, t0 = draw(spectrum, base, seed=3)
    _, t1 = draw(spectrum, zp, seed=4)
    edges = np.linspace(0, 0.1, 11)

    def shares(m):
        return np.array(
            [
                flux_averaged(spectrum, m, a, b).total
                for a, b in zip(edges[:-1], edges[1:], strict=True)
            ]
        )

    for t, m in ((t0, base), (t1, zp)):
        obs, _ = np.histogram(t, edges)
        p, chi2, ndf = chi2_pvalue(obs, shares(m))
        assert p > P_MIN, f"χ²/ndf = {chi2:.1f}/{ndf}"


def test_sampler_is_reproducible_and_valid_python(cr51):
    s = make_recoil_sampler(cr51, PhysicsModel("nue"))
    a = s.sample(np.random.default_rng(9), 1000)
    b = s.sample(np.random.default_rng(9), 1000)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    from nusource.generator.recoil_sampler import sample_recoils

    e, t = np.empty(50), np.empty(50)
    sample_recoils.py_func(np.random.default_rng(9), s.cells, s.win, s.p, s.grid, s.dens, e, t)
    assert np.array_equal(e, a[0][:50]) and np.array_equal(t, a[1][:50])


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(tmin_mev=0.0, model=PhysicsModel("nue", mu=1e-10)), "diverges"),
        (dict(tmin_mev=0.7), "T_max"),
        (dict(tmin_mev=0.3, tmax_mev=0.2), "T_lo < T_hi"),
    ],
)
def test_bad_windows_are_named(cr51, kwargs, match):
    model = kwargs.pop("model", PhysicsModel("nue"))
    with pytest.raises(ValueError, match=match):
        make_recoil_sampler(cr51, model, **kwargs)


BOUND_CASES = [
    ("cr51", PhysicsModel("nue", mu=1e-10), 0.002, math.inf),
    ("sry", PhysicsModel("nuebar"), 0.0, math.inf),
    ("sry", PhysicsModel("nuebar", mu=6e-11, zprime=parse_zprime("chi:200")), 0.05, 1.0),
    (
        "sry",
        PhysicsModel("numubar", "tree", 0.23, zprime=parse_zprime("psi:150", form="linear")),
        0.0,
        0.3,
    ),
]


@pytest.mark.parametrize("name,model,tmin,tmax", BOUND_CASES)
def test_every_cell_bounds_its_density(name, model, tmin, tmax, request):
    """L ≤ f(E)·J·dσ/dT/S₀ ≤ H at random points of every cell: the sampler's exactness premise."""
    from nusource.generator.constants import SIGMA0
    from nusource.generator.recoil_sampler import C_DE, C_DX, C_E0, C_H, C_L, C_X0, _table_value
    from nusource.generator.xsec import dsigma_dt

    spectrum = request.getfixturevalue(name)
    s = make_recoil_sampler(spectrum, model, tmin, tmax)
    rng = np.random.default_rng(0)
    c = s.cells
    p = model.params()
    for _ in range(8):
        r1, r2 = rng.random(c.shape[0]), rng.random(c.shape[0])
        line = c[:, C_DE] == 0
        e = c[:, C_E0] + r1 * c[:, C_DE]
        b = np.minimum(s.tmax_mev, 2 * e * e / (M_E + 2 * e))
        jac = np.where(line, 1.0, b - tmin)
        t = np.where(
            line, c[:, C_X0] + r2 * c[:, C_DX], tmin + (c[:, C_X0] + r2 * c[:, C_DX]) * jac
        )
        f = np.array(
            [1.0 if ln else _table_value(x, s.grid, s.dens) for ln, x in zip(line, e, strict=True)]
        )
        dens = (
            f * jac * np.array([dsigma_dt(ti, ei, p) for ti, ei in zip(t, e, strict=True)]) / SIGMA0
        )
        assert np.all(dens <= c[:, C_H] * (1 + 1e-9))
        assert np.all(dens >= c[:, C_L] * (1 - 1e-9))
