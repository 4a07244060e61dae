"""Z′ couplings: E6 charge consistency, named models, LR, exact vs linear."""

import math

import numpy as np
import pytest

from nusource.generator.constants import M_E
from nusource.generator.flux_average import flux_averaged
from nusource.generator.model import PhysicsModel
from nusource.generator.neutrino_spectrum import NuSpectrum
from nusource.generator.xsec import dsigma_dt, dsigma_parts
from nusource.generator.zprime import (
    ZPrime,
    delta_g_e6,
    delta_g_lr,
    e6_a,
    gamma_of_mass,
    mass_of_gamma,
    parse_zprime,
)


@pytest.mark.parametrize("beta", np.linspace(-math.pi, math.pi, 13))
def test_e6_charge_consistency(beta):
    """δg_L's second factor equals 2a: ν_L and e_L share one U(1)′ charge."""
    rho, s2 = 1.0, 0.23
    dgl, _ = delta_g_e6(beta, rho, s2)
    a = e6_a(beta)
    if abs(a) > 1e-12:
        assert dgl / (4 * rho * s2 * a) == pytest.approx(2 * a, rel=1e-12)


@pytest.mark.parametrize("beta", np.linspace(-math.pi, math.pi, 9))
def test_e6_factors_are_the_table_1_charges(beta):
    """Both factors of δg are charges of seed 000 Table 1, Y′ = cosβ·Y_χ + sinβ·Y_ψ.

    With k = √40/(2√24): a = k·Y′(l), the second factor of δg_L is 2k·Y′(l)
    (ν_L and e_L share the doublet's charge) and that of δg_R is 2k·Y′(e_R),
    Y′(e_R) = −Y′(e^c).
    """
    k = math.sqrt(40) / (2 * math.sqrt(24))
    y_l = math.cos(beta) * 3 / math.sqrt(40) + math.sin(beta) * 1 / math.sqrt(24)
    y_er = -(math.cos(beta) * (-1) / math.sqrt(40) + math.sin(beta) * 1 / math.sqrt(24))
    assert e6_a(beta) == pytest.approx(k * y_l, abs=1e-15)
    rho, s2 = 1.0, 0.23
    dgl, dgr = delta_g_e6(beta, rho, s2)
    pref = 4 * rho * s2 * e6_a(beta)
    assert dgl == pytest.approx(pref * 2 * k * y_l, abs=1e-15)
    assert dgr == pytest.approx(pref * 2 * k * y_er, abs=1e-15)


def test_chi_model_values():
    s2 = 0.2386
    dgl, dgr = ZPrime("chi", 330).delta_g(1.0, s2)
    assert dgl == pytest.approx(0.75 * s2, rel=1e-14)
    assert dgr == pytest.approx(0.25 * s2, rel=1e-14)
    # the printed seed formula only differs where sinβ ≠ 0
    assert ZPrime("chi", 330, charges="printed").delta_g(1.0, s2) == pytest.approx((dgl, dgr))
    psi_c = ZPrime("psi", 330).delta_g(1.0, s2)
    psi_p = ZPrime("psi", 330, charges="printed").delta_g(1.0, s2)
    assert psi_c[0] != pytest.approx(psi_p[0])


def test_named_models_angles():
    assert ZPrime("chi", 1).beta_rad == 0.0
    assert ZPrime("psi", 1).beta_rad == pytest.approx(math.pi / 2)
    eta = ZPrime("eta", 1).beta_rad
    assert math.cos(eta) == pytest.approx(math.sqrt(3 / 8))
    assert math.sin(eta) == pytest.approx(-math.sqrt(5 / 8))


def test_left_right_model():
    s2 = 0.23
    c2, r2 = 1 - s2, 1 - 2 * s2
    gl, gr = -0.5 + s2, s2
    dgl, dgr = delta_g_lr(s2)
    assert dgl == pytest.approx(s2**2 / r2 * gl + s2 * c2 / r2 * gr)
    assert dgr == pytest.approx(s2**2 / r2 * gr + s2 * c2 / r2 * gl)


def test_gamma_and_mass():
    assert gamma_of_mass(91.1876) == pytest.approx(1.0)
    assert mass_of_gamma(gamma_of_mass(330.0)) == pytest.approx(330.0)


@pytest.mark.parametrize("flavour", ["nue", "nuebar"])
@pytest.mark.parametrize("model", ["chi", "psi", "eta", "lr"])
def test_linear_and_exact_agree_to_second_order(flavour, model):
    """exact − linear = γ²·bracket(δg)·S₀, so the difference scales as γ² and is ≲ 1e-4 relative."""
    diffs = []
    for mass in (300.0, 600.0):
        ex = PhysicsModel(flavour, "tree", 0.2312, zprime=parse_zprime(f"{model}:{mass}")).params()
        li = PhysicsModel(
            flavour, "tree", 0.2312, zprime=parse_zprime(f"{model}:{mass}", form="linear")
        ).params()
        e, t = 0.2, 0.02
        d = dsigma_dt(t, e, ex) - dsigma_dt(t, e, li)
        _, _, _, zq = dsigma_parts(t, e, ex)
        g = gamma_of_mass(mass)
        assert d == pytest.approx(g * g * zq, rel=1e-9, abs=1e-60)
        assert abs(d) / dsigma_dt(t, e, ex) < 1e-3
        diffs.append(d)
    if diffs[1] != 0:
        assert diffs[0] / diffs[1] == pytest.approx(16.0, rel=1e-6)  # γ² ∝ M⁻⁴


def test_linear_form_is_the_seed_expansion():
    """Linear Z′ change = γ·S₀[D + E·y(y−2) − F·(mₑ/E)y] with seed 000's D, E, F for ν̄e."""
    s2 = 0.2386
    z = parse_zprime("chi:330", form="linear")
    p = PhysicsModel("nuebar", "tree", s2, zprime=z).params()
    p0 = PhysicsModel("nuebar", "tree", s2).params()
    gl1, gr = 0.5 + s2, s2  # g_L + 1, g_R
    dgl, dgr = 0.75 * s2, 0.25 * s2
    d_, e_, f_ = 2 * gl1 * dgl + 2 * gr * dgr, 2 * gl1 * dgl, gl1 * dgr + gr * dgl
    from nusource.generator.constants import SIGMA0

    for e, t in [(0.1, 0.01), (0.235, 0.09)]:
        y = t / e
        want = z.gamma * SIGMA0 * (d_ + e_ * y * (y - 2) - f_ * M_E / e * y)
        assert dsigma_dt(t, e, p) - dsigma_dt(t, e, p0) == pytest.approx(want, rel=1e-12)


def test_seed_001_nue_expansion_has_e_from_g_r():
    """For νe seed 001 eq. 2.3 has E = 2g_Rδg_R (the (1−y)² term belongs to g_R)."""
    s2 = 0.23
    z = parse_zprime("chi:500", form="linear")
    p = PhysicsModel("nue", "tree", s2, zprime=z).params()
    p0 = PhysicsModel("nue", "tree", s2).params()
    gl1, gr = 0.5 + s2, s2
    dgl, dgr = 0.75 * s2, 0.25 * s2
    d_, e_, f_ = 2 * gl1 * dgl + 2 * gr * dgr, 2 * gr * dgr, gl1 * dgr + gr * dgl
    from nusource.generator.constants import SIGMA0

    e, t = 0.75, 0.3
    y = t / e
    want = z.gamma * SIGMA0 * (d_ + e_ * y * (y - 2) - f_ * M_E / e * y)
    assert dsigma_dt(t, e, p) - dsigma_dt(t, e, p0) == pytest.approx(want, rel=1e-12)


def test_flux_averaged_zprime_scales_with_gamma():
    sp = NuSpectrum(np.array([0.7469]), np.array([1.0]), np.zeros(0), np.zeros(0), 1.0, False)
    base = PhysicsModel("nue", "tree", 0.23)
    a = flux_averaged(sp, base.replace(zprime=parse_zprime("chi:1000", form="linear")))
    b = flux_averaged(sp, base.replace(zprime=parse_zprime("chi:500", form="linear")))
    assert b.zprime / a.zprime == pytest.approx(4.0, rel=1e-12)


@pytest.mark.parametrize("text", ["chi", "chi:-5", "chi:abc", "foo:300", "beta=x:300", "chi:0"])
def test_bad_zprime_text_gives_one_clear_error(text):
    with pytest.raises(ValueError, match="zprime"):
        parse_zprime(text)
