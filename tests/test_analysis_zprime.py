"""Asimov Z′ sensitivity: definition of the limit, closed forms, scaling, options."""

import math

import numpy as np
import pytest

from nusource.analysis.expectation import binned_expectation
from nusource.analysis.likelihood import BinnedModel
from nusource.analysis.zprime_sensitivity import (
    DELTA_CHI2_95,
    DELTA_CHI2_95_ONE_SIDED,
    asimov_nll,
    delta_chi2,
    delta_chi2_of_mass,
    limits_vs_syst,
    zprime_limit,
    zprime_physics_model,
)
from nusource.generator.model import PhysicsModel
from nusource.generator.neutrino_spectrum import from_source
from nusource.generator.sources import get_source
from nusource.generator.zprime import M_Z_GEV, gamma_of_mass

EDGES = np.arange(0.002, 0.0301, 0.002)
BASE = PhysicsModel("nuebar", "tree", 0.2386)


@pytest.fixture(scope="module")
def spectrum():
    return from_source(get_source("pm147", endpoint_kev=235))


@pytest.fixture(scope="module")
def norm(spectrum):
    """Events per cm² of cross section: 18,391 SM events in 0–100 keV (seed 000, 400 kg)."""
    return 18391.0 / binned_expectation(spectrum, BASE, [0.0, 0.1]).sm[0]


def model_for(spectrum, norm, zprime="chi", **kw):
    ex = binned_expectation(spectrum, zprime_physics_model(BASE, zprime), EDGES).scaled(norm)
    return BinnedModel.from_parts(ex, **kw)


def test_chi2_at_the_limit_is_the_level(spectrum, norm):
    bm = model_for(spectrum, norm)
    for kw in ({}, {"syst": 0.02}, {"syst": 0.02, "sig_norm_sigma": 0.01, "form": "gaussian"}):
        lim = zprime_limit(bm, **kw)
        nll = asimov_nll(bm, **{k: v for k, v in kw.items()})
        assert delta_chi2(nll, lim.gamma) == pytest.approx(DELTA_CHI2_95, abs=1e-6)
        assert lim.mass_gev == pytest.approx(M_Z_GEV / math.sqrt(lim.gamma))
        below = delta_chi2_of_mass(bm, [0.9 * lim.mass_gev, 1.1 * lim.mass_gev], **kw)
        assert below[0] > DELTA_CHI2_95 > below[1]


def test_gaussian_linear_statistics_only_is_closed_form(spectrum, norm):
    """ν linear in γ and variance n: Δχ² = γ²Σzlin²/n exactly."""
    bm = model_for(spectrum, norm, linear=True)
    lim = zprime_limit(bm, form="gaussian")
    n = bm.expected()
    want = math.sqrt(DELTA_CHI2_95 / np.sum(bm.signal[2] ** 2 / n))
    assert lim.gamma == pytest.approx(want, rel=1e-9)
    # and the mass limit scales exactly as exposure^(1/4)
    big = zprime_limit(bm.scaled(2.5), form="gaussian")
    assert big.mass_gev / lim.mass_gev == pytest.approx(2.5**0.25, rel=1e-9)


def test_systematics_and_pulls_weaken_the_limit(spectrum, norm):
    bm = model_for(spectrum, norm)
    masses = [x.mass_gev for x in limits_vs_syst(bm, (0.0, 0.01, 0.02, 0.05))]
    assert all(a > b for a, b in zip(masses, masses[1:], strict=False))
    pulled = zprime_limit(bm, sig_norm_sigma=0.01).mass_gev
    assert pulled < masses[0]
    # the χ-model excess is almost a pure normalisation (δg/g ≈ ¼ for both chiralities):
    # a free normalisation leaves no sensitivity above M_Z
    assert math.isnan(zprime_limit(bm, sig_norm_sigma=None).mass_gev)


def test_one_sided_level_gives_a_higher_mass(spectrum, norm):
    bm = model_for(spectrum, norm)
    two = zprime_limit(bm).mass_gev
    one = zprime_limit(bm, delta_chi2_level=DELTA_CHI2_95_ONE_SIDED).mass_gev
    # statistics only, excess ∝ γ: M ∝ level^(−1/4)
    assert one / two == pytest.approx((DELTA_CHI2_95 / DELTA_CHI2_95_ONE_SIDED) ** 0.25, rel=2e-3)


def test_other_models_are_less_sensitive_than_chi(spectrum, norm):
    """Seed 000: χ is the most sensitive of the named models; cosβ ≈ −0.4 sees almost nothing."""
    chi = zprime_limit(model_for(spectrum, norm, "chi")).mass_gev
    for name in ("psi", "eta", "lr"):
        m = zprime_limit(model_for(spectrum, norm, name)).mass_gev
        assert 100.0 < m < chi
    flat = zprime_limit(model_for(spectrum, norm, math.pi - math.acos(0.4)))
    assert math.isnan(flat.mass_gev)


def test_poisson_and_gaussian_agree_at_large_counts(spectrum, norm):
    bm = model_for(spectrum, norm)
    p = zprime_limit(bm, syst=0.02).mass_gev
    g = zprime_limit(bm, syst=0.02, form="gaussian").mass_gev
    assert g == pytest.approx(p, rel=0.01)


def test_named_model_builder():
    m = zprime_physics_model(BASE, "lr")
    assert m.zprime.model == "lr" and m.sin2w == 0.2386
    assert zprime_physics_model(BASE, 0.3).zprime.beta_rad == pytest.approx(0.3)
    with pytest.raises(ValueError, match="zprime"):
        zprime_physics_model(BASE, "sm")
    assert gamma_of_mass(M_Z_GEV) == 1.0
