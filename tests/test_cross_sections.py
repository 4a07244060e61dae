"""dσ/dT and window integrals against independent references (tests/reference.py)."""

import math

import numpy as np
import pytest
from scipy import integrate

from nusource.generator.constants import M_E, SIGMA0, SIGMA_MU
from nusource.generator.couplings import radiative_i
from nusource.generator.flux_average import _T_NODES, _T_WEIGHTS, window_parts
from nusource.generator.model import PhysicsModel
from nusource.generator.xsec import dsigma_dt, dsigma_parts, weak_bracket

from . import reference as ref

FLAVOURS = ["nue", "nuebar", "numu", "numubar"]


def test_constants_match_physics_md():
    assert SIGMA0 == pytest.approx(1.7233e-44, rel=1e-4)
    assert SIGMA_MU == pytest.approx(2.4947e-25, rel=1e-4)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("e", [0.01859, 0.2241, 0.7469, 2.2785])
def test_tree_dsigma_matches_textbook(flavour, e):
    p = PhysicsModel(flavour, "tree", 0.2386).params()
    tmax = 2 * e * e / (M_E + 2 * e)
    for t in np.linspace(1e-6, tmax, 57):
        assert dsigma_dt(t, e, p) == pytest.approx(
            ref.dsigma_tree(t, e, flavour, 0.2386), rel=1e-12
        )
    assert dsigma_dt(tmax * 1.0001, e, p) == 0.0


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_radiative_dsigma_matches_bks_form(flavour):
    p = PhysicsModel(flavour).params()
    e = 0.7469
    for t in [1e-4, 3e-3, 0.05, 0.3, 0.56]:
        assert dsigma_dt(t, e, p) == pytest.approx(ref.dsigma_radiative(t, e, flavour), rel=1e-12)


@pytest.mark.parametrize("t", [1e-7, 1e-5, 1e-3, 0.0104, 0.1, 1.0, 10.0])
def test_radiative_i_against_50_digit_arithmetic(t):
    assert radiative_i(t) == pytest.approx(ref.kappa_i(t), rel=1e-12)


def test_radiative_i_kernel_is_valid_python():
    for t in [1e-5, 0.02, 3.0]:
        assert radiative_i.py_func(t) == radiative_i(t)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("window", [(0.0, math.inf), (0.002, 0.03), (0.1, 0.25)])
def test_tree_window_integral_closed_form(flavour, window):
    p = PhysicsModel(flavour, "tree", 0.23155).params()
    for e in [0.05, 0.4268, 0.7469, 1.5]:
        got = window_parts(e, *window, p, _T_NODES, _T_WEIGHTS)[0]
        want = ref.sigma_tree_total(e, flavour, 0.23155, *window)
        assert got == pytest.approx(want, rel=1e-10, abs=1e-60)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_radiative_window_integral_against_quad(flavour):
    p = PhysicsModel(flavour).params()
    for e, lo, hi in [(0.7469, 0.0, 10.0), (0.2, 0.002, 0.03), (2.0, 0.1, 0.5)]:
        got = window_parts(e, lo, hi, p, _T_NODES, _T_WEIGHTS)[0]
        b = min(hi, 2 * e * e / (M_E + 2 * e))
        want, err = integrate.quad(
            lambda t, e=e: ref.dsigma_radiative(t, e, flavour), lo, b, epsrel=1e-12
        )
        assert got == pytest.approx(want, rel=1e-9)


def test_magnetic_part_and_its_window_integral():
    e, lo, hi, mu = 0.7469, 0.002, 0.3, 1e-10
    p = PhysicsModel("nue", mu=mu).params()
    t = 0.05
    assert dsigma_dt(t, e, p) - dsigma_dt(t, e, PhysicsModel("nue").params()) == pytest.approx(
        ref.dsigma_magnetic(t, e, mu), rel=1e-12
    )
    mag = window_parts(e, lo, hi, p, _T_NODES, _T_WEIGHTS)[1]
    want, _ = integrate.quad(lambda x: ref.dsigma_magnetic(x, e, 1.0), lo, hi, epsrel=1e-13)
    assert mag == pytest.approx(want, rel=1e-10)


@pytest.mark.parametrize("s2", [0.2312, 0.233, 0.2386])
def test_dynamical_zero_of_antineutrino_scattering(s2):
    """At T = T_max the ν̄e bracket is (g₁ − g₂mₑ/(mₑ+2E))², zero at E₀ = mₑ/(4s²)."""
    p = PhysicsModel("nuebar", "tree", s2).params()
    e0 = M_E / (4 * s2)
    tmax = 2 * e0 * e0 / (M_E + 2 * e0)
    assert dsigma_dt(tmax, e0, p) == pytest.approx(0.0, abs=1e-12 * SIGMA0)
    for e in (0.8 * e0, 1.2 * e0):
        tm = 2 * e * e / (M_E + 2 * e)
        assert dsigma_dt(tm, e, p) > 1e-5 * SIGMA0
    g1, g2 = s2, 0.5 + s2
    for e in (0.3, 1.0):
        tm = 2 * e * e / (M_E + 2 * e)
        assert weak_bracket(g1, g2, tm, e) == pytest.approx((g1 - g2 * M_E / (M_E + 2 * e)) ** 2)
    if s2 == 0.2312:
        assert e0 == pytest.approx(0.5526, abs=1e-4)


def test_parts_recombine_to_the_total():
    from nusource.generator.zprime import parse_zprime

    for form in ("exact", "linear"):
        z = parse_zprime("chi:400", form=form)
        m = PhysicsModel("nuebar", "radiative", mu=3e-11, zprime=z)
        p = m.params()
        for e, t in [(0.2, 0.01), (0.75, 0.3), (2.0, 1.2)]:
            sm, mag, zl, zq = dsigma_parts(t, e, p)
            g = z.gamma
            total = sm + 3e-11**2 * mag + g * zl + (g * g * zq if form == "exact" else 0.0)
            assert dsigma_dt(t, e, p) == pytest.approx(total, rel=1e-13)
