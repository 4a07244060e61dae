"""Binned likelihood: analytic per-bin profiles, gradients, forms, fits."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize

from nusource.analysis.expectation import Expectation
from nusource.analysis.fit import fit, fit_nll, free_parameters
from nusource.analysis.likelihood import BinnedModel, BinnedNLL, neg2lnl

EDGES = np.linspace(0.002, 0.03, 8)


def toy_model(scale=1.0, background=None, linear=False):
    """A falling 7-bin spectrum with a flat-ish Z′ and a steep magnetic part."""
    x = 0.5 * (EDGES[1:] + EDGES[:-1])
    sm = scale * 1000.0 * np.exp(-x / 0.02)
    ex = Expectation(EDGES, sm, scale * 2e20 * 0.002 / x, 0.5 * sm * (1 + 3 * x), 0.06 * sm)
    return BinnedModel.from_parts(ex, background=background, mu_unit=1e-10, linear=linear)


def _poisson_bin(n, nu, a, d, beta):
    t = 2 * (beta * nu - n + (n * math.log(n / (beta * nu)) if n > 0 else 0.0))
    return t + ((beta - a) / d) ** 2


@given(
    n=st.integers(0, 5000),
    nu=st.floats(0.1, 5000.0),
    a=st.floats(0.9, 1.1),
    d=st.floats(1e-3, 0.3),
)
def test_poisson_profile_is_the_minimum_over_beta(n, nu, a, d):
    """The closed-form β̂ of one bin minimises 2[βν − n + n ln(n/βν)] + ((β−a)/δ)²."""
    sig = np.zeros((4, 1))
    sig[0, 0] = nu
    grad, beta = np.zeros(4), np.zeros(1)
    v = neg2lnl(
        np.array([float(n)]),
        sig,
        np.zeros(1),
        1.0,
        0.0,
        0.0,
        0.0,
        False,
        np.array([d]),
        np.array([a]),
        0,
        False,
        grad,
        beta,
    )
    r = optimize.minimize_scalar(
        lambda b: _poisson_bin(n, nu, a, d, b),
        bounds=(1e-9, 3.0),
        method="bounded",
        options={"xatol": 1e-12},
    )
    assert v <= r.fun + 1e-9 * max(1.0, abs(r.fun))
    assert v == pytest.approx(_poisson_bin(n, nu, a, d, beta[0]), rel=1e-12, abs=1e-12)


@given(n=st.floats(1.0, 1e5), nu=st.floats(1.0, 1e5), a=st.floats(0.9, 1.1), d=st.floats(1e-3, 0.3))
def test_gaussian_profile_is_quadrature_sum(n, nu, a, d):
    """min_β (n−βν)²/n + ((β−a)/δ)² = (n − aν)²/(n + δ²ν²) (data variance)."""
    sig = np.zeros((4, 1))
    sig[0, 0] = nu
    beta = np.zeros(1)
    v = neg2lnl(
        np.array([n]),
        sig,
        np.zeros(1),
        1.0,
        0.0,
        0.0,
        0.0,
        False,
        np.array([d]),
        np.array([a]),
        1,
        False,
        np.zeros(4),
        beta,
    )
    assert v == pytest.approx((n - a * nu) ** 2 / (n + d * d * nu * nu), rel=1e-10, abs=1e-12)
    b = beta[0]
    assert v == pytest.approx((n - b * nu) ** 2 / n + ((b - a) / d) ** 2, rel=1e-8, abs=1e-10)


@pytest.mark.parametrize("form", ["poisson", "gaussian"])
@pytest.mark.parametrize("variance", ["data", "model"])
def test_gradient_matches_finite_differences(form, variance):
    mdl = toy_model(background=np.full(7, 50.0))
    data = np.round(mdl.expected(s=1.02, mu2=0.5, gamma=0.05))
    nll = BinnedNLL(
        mdl,
        data,
        form=form,
        variance=variance,
        syst=0.03,
        sig_norm_sigma=0.01,
        bkg_norm_sigma=0.1,
        beta_aux=np.linspace(0.98, 1.02, 7),
    )
    x = np.array([1.01, 0.95, 0.7, 0.04])
    h = np.array([1e-6, 1e-6, 1e-6, 1e-7])
    num = [
        (nll(*(x + h[k] * e)) - nll(*(x - h[k] * e))) / (2 * h[k]) for k, e in enumerate(np.eye(4))
    ]
    np.testing.assert_allclose(nll.grad(*x), num, rtol=1e-5, atol=1e-5)


def test_kernel_and_python_twin_agree():
    mdl = toy_model()
    data = np.round(mdl.expected(mu2=0.3))
    args = (
        data,
        mdl.signal,
        mdl.background,
        1.01,
        1.0,
        0.2,
        0.03,
        False,
        np.full(7, 0.02),
        np.ones(7),
        0,
        False,
    )
    g1, g2, b1, b2 = np.zeros(4), np.zeros(4), np.zeros(7), np.zeros(7)
    assert neg2lnl(*args, g1, b1) == pytest.approx(neg2lnl.py_func(*args, g2, b2), rel=1e-13)
    np.testing.assert_allclose(g1, g2, rtol=1e-12)


def test_asimov_minimum_is_zero_and_gaussian_close_to_poisson():
    mdl = toy_model(scale=20.0)
    asimov = mdl.expected()
    for form in ("poisson", "gaussian"):
        assert BinnedNLL(mdl, asimov, form=form, syst=0.02)(1.0, 1.0, 0.0, 0.0) == 0.0
    p = BinnedNLL(mdl, asimov)(1.0, 1.0, 0.0, 0.01)
    g = BinnedNLL(mdl, asimov, form="gaussian", variance="model")(1.0, 1.0, 0.0, 0.01)
    assert g == pytest.approx(p, rel=0.01)


def test_fit_recovers_asimov_truth_with_fisher_errors():
    """Asimov data of (s, mu2) = (1, 1): fit returns the truth; errors = Fisher (no pulls)."""
    mdl = toy_model(scale=10.0)
    nu = mdl.expected(mu2=1.0)
    nll = BinnedNLL(mdl, nu, sig_norm_sigma=None)
    r = fit_nll(nll, pois=("mu2",))
    assert r.valid
    # Migrad stops at EDM < 2e-4: the truth within 2 % of an error
    assert abs(r.values["s"] - 1.0) < 0.02 * r.errors["s"]
    assert abs(r.values["mu2"] - 1.0) < 0.02 * r.errors["mu2"]
    d = np.stack([mdl.expected(mu2=1.0), mdl.signal[1]])
    cov = np.linalg.inv(d @ np.diag(1 / nu) @ d.T)
    assert r.errors["s"] == pytest.approx(math.sqrt(cov[0, 0]), rel=1e-3)
    assert r.errors["mu2"] == pytest.approx(math.sqrt(cov[1, 1]), rel=1e-3)
    assert r.errors["gamma"] == 0.0 and r.values["gamma"] == 0.0


def test_signal_pull_shrinks_the_normalisation_error():
    mdl = toy_model(scale=10.0)
    nu = mdl.expected()
    free = fit_nll(BinnedNLL(mdl, nu, sig_norm_sigma=None), pois=("gamma",))
    pulled = fit_nll(BinnedNLL(mdl, nu, sig_norm_sigma=0.005), pois=("gamma",))
    fixed = fit_nll(BinnedNLL(mdl, nu, sig_norm_sigma=0.0), pois=("gamma",))
    assert fixed.errors["gamma"] < pulled.errors["gamma"] < free.errors["gamma"]
    assert fixed.errors["s"] == 0.0


def test_free_parameters_follow_the_configuration():
    mdl = toy_model(background=np.ones(7))
    assert free_parameters(BinnedNLL(mdl, mdl.expected()), ("mu2",)) == ("s", "mu2")
    nll = BinnedNLL(mdl, mdl.expected(), sig_norm_sigma=0, bkg_norm_sigma=None)
    assert free_parameters(nll, ("gamma",)) == ("b", "gamma")
    assert free_parameters(nll, ("s", "gamma")) == ("s", "b", "gamma")
    with pytest.raises(ValueError, match="pois"):
        free_parameters(nll, ("mass",))


def test_generic_fit_of_a_plain_function():
    def cost(x, y):
        return (x - 1.0) ** 2 / 0.04 + (y + 2.0) ** 2

    r = fit(cost, {"x": 0.0, "y": 0.0})
    assert r.valid and r.values["x"] == pytest.approx(1.0, abs=1e-5)
    assert r.errors["x"] == pytest.approx(0.2, rel=1e-3)
    assert r.fval == pytest.approx(0.0, abs=1e-8)


def test_errors_name_the_option():
    mdl = toy_model()
    with pytest.raises(ValueError, match="form"):
        BinnedNLL(mdl, mdl.expected(), form="cash")
    with pytest.raises(ValueError, match="data"):
        BinnedNLL(mdl, np.ones(3))
    with pytest.raises(ValueError, match="sig_norm_sigma"):
        BinnedNLL(mdl, mdl.expected(), sig_norm_sigma=-1)
