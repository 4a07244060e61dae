"""One-parameter Poisson fits and upper limits: against scipy, Asimov against toys, seeds."""

import math

import numpy as np
import pytest
from scipy.optimize import brentq, minimize
from scipy.stats import chi2 as chi2_dist
from scipy.stats import poisson

from nusource.analysis.coverage import binomial, coverage_at, run_blocks
from nusource.analysis.mu_bound import (
    OneParameterModel,
    asimov_upper_limit,
    fit_counts,
    mu_bound_vs_threshold,
    mu_of_theta,
)
from nusource.analysis.poisson_toys import (
    COVERAGE_COMPONENT,
    block_rng,
    cdf_tables,
    poisson_block,
)


def small_model(t2=0.0):
    """40 bins: a falling signal, a magnetic-like 1/T part, two backgrounds with pulls."""
    x = np.linspace(1.0, 40.0, 40)
    t0 = 30.0 * np.exp(-x / 25.0)
    t1 = 40.0 / x
    bk = np.vstack([np.full(40, 8.0), np.linspace(6.0, 1.0, 40)])
    return OneParameterModel(t0, t1, t2 * t1 / x, bk, sig_norm_sigma=0.02, bkg_sigmas=[0.03, 0.1])


def scipy_chi2(model, n, cen):
    """χ² written independently (saturated Poisson + pulls), for scipy.optimize."""

    def f(p):
        th, s, b1, b2 = p
        nu = s * (model.t0 + th * model.t1 + th * th * model.t2) + b1 * model.backgrounds[0]
        nu = nu + b2 * model.backgrounds[1]
        if np.any(nu <= 0):
            return 1e30
        v = 2 * np.sum(nu - n + np.where(n > 0, n * np.log(np.where(n > 0, n, 1) / nu), 0))
        return (
            v
            + ((s - cen[1]) / 0.02) ** 2
            + ((b1 - cen[2]) / 0.03) ** 2
            + ((b2 - cen[3]) / 0.1) ** 2
        )

    return f


def scipy_profile(f, th):
    r = minimize(
        lambda q: f([th, *q]),
        [1, 1, 1],
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000},
    )
    return r.fun


@pytest.mark.parametrize("t2", [0.0, 0.3])
def test_fit_and_upper_limit_match_scipy(t2):
    model = small_model(t2)
    rng = np.random.default_rng(3)
    n = rng.poisson(model.expected(0.4)).astype(float)
    cen = np.array([1.0, 1.01, 0.98, 1.05])
    r = fit_counts(model, n, cen[None, :], thetas=[0.4, 1.0], level=2.705543454095404)
    f = scipy_chi2(model, n, cen)
    ref = minimize(
        f,
        [0.4, 1, 1, 1],
        method="L-BFGS-B",
        bounds=[(0, None), (0.5, 1.5), (0.5, 1.5), (0.1, 3)],
        options={"ftol": 1e-15, "gtol": 1e-10},
    )
    assert r["ok"][0]
    assert r["chi2_min"][0] == pytest.approx(ref.fun, abs=1e-6)
    assert r["theta_hat"][0] == pytest.approx(ref.x[0], abs=1e-4)
    for j, th in enumerate([0.4, 1.0]):
        assert r["q"][0, j] == pytest.approx(scipy_profile(f, th) - ref.fun, abs=1e-6)
    up = brentq(
        lambda th: scipy_profile(f, th) - ref.fun - 2.705543454095404,
        max(ref.x[0], 0) + 1e-6,
        20.0,
        xtol=1e-9,
    )
    assert r["theta_up"][0] == pytest.approx(up, rel=1e-5)


def test_toy_blocks_are_pure_functions_of_seed_and_block():
    model = small_model()
    a = run_blocks(model, 0.5, 300, seed=9, block_size=100, workers=1)
    b = run_blocks(model, 0.5, 300, seed=9, block_size=100, workers=2)
    c = run_blocks(model, 0.5, 100, seed=9, block_size=100, first_block=1)
    np.testing.assert_array_equal(a["theta_up"], b["theta_up"])
    np.testing.assert_array_equal(a["theta_up"][100:200], c["theta_up"])
    assert not np.array_equal(a["theta_up"][:100], c["theta_up"])


def test_poisson_tables_are_scipys_cdf_also_where_exp_minus_nu_underflows():
    # e^{-ν} is subnormal above ν ≈ 708 and zero above 745: LAMA's 2 keV bins hold ~900
    nu = np.array([0.0, 0.3, 4.0, 400.0, 707.0, 720.0, 745.5, 900.0, 1077.0, 5000.0, 1e5])
    cdf, start, _, _ = cdf_tables(nu)
    for i, lam in enumerate(nu):
        table = cdf[start[i] : start[i + 1]]
        exact = poisson.cdf(np.arange(table.size), lam)
        assert np.max(np.abs(table - exact)) < 1e-11, lam
        assert table[-1] == 1.0


def test_poisson_inversion_matches_pmf():
    nu = np.array([0.3, 4.0, 37.5, 400.0, 720.0, 900.0, 5000.0])
    n = poisson_block(cdf_tables(nu), block_rng(5, COVERAGE_COMPONENT, 0, 0), 40_000)
    for i, lam in enumerate(nu):
        k = np.arange(int(lam + 8 * math.sqrt(lam) + 10))
        exp = poisson.pmf(k, lam) * n.shape[0]
        obs = np.bincount(n[:, i].astype(int), minlength=k.size)[: k.size]
        keep = exp > 5
        stat = np.sum((obs[keep] - exp[keep]) ** 2 / exp[keep])
        assert chi2_dist.sf(stat, keep.sum() - 1) > 0.001


def test_lxe_asimov_limit_is_the_median_of_toys(lxe_mu_parts):
    """LXe μν bound (2 keV, 0.1 keV bins, flat background 2/bin with a 0.5 % pull): the Asimov
    limit and the median toy limit agree within the median's statistical error."""
    sm, mag = lxe_mu_parts["sm"], lxe_mu_parts["mag"]
    bk = np.full((1, sm.size), 2.0)
    model = OneParameterModel.magnetic(sm, mag, bk, sig_norm_sigma=0.01, bkg_sigmas=[0.005])
    th = asimov_upper_limit(model)
    r = run_blocks(model, 0.0, 1000, seed=4)
    up = np.sort(r["theta_up"][r["ok"]])
    # 68 % interval of the sample median from the binomial order statistics
    lo, hi = up[int(500 - 1.0 * math.sqrt(250))], up[int(500 + 1.0 * math.sqrt(250))]
    assert lo - 2 * (hi - lo) < th < hi + 2 * (hi - lo)
    assert r["ok"].all()
    out = mu_bound_vs_threshold(sm, mag, bk, lxe_mu_parts["edges_kev"], [2.0, 5.0])
    assert out["mu_bound_95"]["2"] == pytest.approx(float(mu_of_theta(th)), rel=1e-9)
    assert out["mu_bound_95"]["5"] > out["mu_bound_95"]["2"]


def test_coverage_of_the_upper_limit():
    """At θ = 0 the one-sided limit always covers (boundary); at a θ well inside the physical
    region the Wilks limit covers 95 % within the binomial error of 1500 toys."""
    model = small_model()
    r0 = coverage_at(model, 0.0, 300, seed=1, point=0)
    assert r0["coverage"] == 1.0
    r1 = coverage_at(model, 1.5, 1500, seed=1, point=1)
    assert abs(r1["coverage"] - 0.95) < 3.5 * r1["error"]
    p, e = binomial(95, 100)
    assert (p, e) == (0.95, pytest.approx(math.sqrt(0.95 * 0.05 / 100)))


def test_fc_interval_of_data_contains_the_asimov_truth():
    """The FC interval of Asimov data at θ = 1.5 holds 1.5 and is two-sided; with critical
    values of 2.71 everywhere it equals the Wilks interval {q ≤ 2.71}."""
    from nusource.analysis.coverage import fc_interval
    from nusource.analysis.mu_bound import profile_q

    model = small_model()
    th = np.linspace(0.0, 4.0, 401)
    n = model.expected(1.5)
    lo, hi = fc_interval(model, n, th, np.full(th.size, 2.705543454095404))
    assert 0.0 < lo < 1.5 < hi
    q = profile_q(model, n, np.array([lo, hi]))
    np.testing.assert_allclose(q, 2.705543454095404, atol=0.02)
