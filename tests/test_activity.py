"""Activity, decays in runs and sampled event times."""

import math

import numpy as np
import pytest
from scipy import stats
from scipy.integrate import quad

from nusource.generator.activity import (
    Deployment,
    activity,
    decays_in_run,
    deployment_decays,
    sample_times,
    total_decays,
)
from nusource.generator.constants import CURIE_BQ, SECONDS_PER_DAY

DAY = SECONDS_PER_DAY
CR51_HALF_LIFE = 27.70 * DAY

# Seed 004-like: five deployments of a ⁵¹Cr source, different activities and gaps.
FIVE = [
    Deployment(start_s=0.0, length_s=100 * DAY, a0_bq=5e6 * CURIE_BQ),
    Deployment(start_s=130 * DAY, length_s=20 * DAY, a0_bq=3e6 * CURIE_BQ),
    Deployment(start_s=150 * DAY, length_s=60 * DAY, a0_bq=5e6 * CURIE_BQ),
    Deployment(start_s=300 * DAY, length_s=5 * DAY, a0_bq=1e6 * CURIE_BQ),
    Deployment(start_s=400 * DAY, length_s=100 * DAY, a0_bq=4e6 * CURIE_BQ),
]


def test_activity_halves_after_half_life():
    a = activity([0.0, CR51_HALF_LIFE, 2 * CR51_HALF_LIFE], 1e6, CR51_HALF_LIFE)
    np.testing.assert_allclose(a, [1e6, 5e5, 2.5e5], rtol=1e-14)


@pytest.mark.parametrize(("t0", "t_run"), [(0.0, 100 * DAY), (50 * DAY, 10 * DAY), (5.0, 1e-3)])
def test_decays_in_run_closed_form_and_quadrature(t0, t_run):
    a0 = 5e6 * CURIE_BQ
    # The formula as written, in 30-digit arithmetic (in doubles it cancels for short runs).
    mp = pytest.importorskip("mpmath")
    with mp.workdps(30):
        tau = mp.mpf(CR51_HALF_LIFE) / mp.log(2)
        closed = float(a0 * tau * (mp.exp(-t0 / tau) - mp.exp(-(t0 + mp.mpf(t_run)) / tau)))
    numeric = quad(
        lambda t: float(activity(t, a0, CR51_HALF_LIFE)), t0, t0 + t_run, epsabs=0, epsrel=1e-12
    )[0]
    got = decays_in_run(a0, CR51_HALF_LIFE, t_run, t0)
    assert got == pytest.approx(closed, rel=1e-13)
    assert got == pytest.approx(numeric, rel=1e-10)


def test_decays_limits():
    assert decays_in_run(1e6, CR51_HALF_LIFE, 0.0) == 0.0
    tau = CR51_HALF_LIFE / math.log(2)
    assert decays_in_run(1e6, CR51_HALF_LIFE, 1e9 * DAY) == pytest.approx(1e6 * tau, rel=1e-14)
    assert decays_in_run(2.0, math.inf, 10.0, 3.0) == 20.0
    assert decays_in_run(1e6, CR51_HALF_LIFE, 1e-6) == pytest.approx(1.0, rel=1e-10)


def test_deployment_decays_and_total():
    per = deployment_decays(FIVE, CR51_HALF_LIFE)
    expected = [decays_in_run(d.a0_bq, CR51_HALF_LIFE, d.length_s) for d in FIVE]
    np.testing.assert_allclose(per, expected, rtol=1e-15)
    assert total_decays(FIVE, CR51_HALF_LIFE) == pytest.approx(sum(expected), rel=1e-15)


def _mixture_cdf(t, deployments, half_life_s):
    """Exact CDF of event times (from the first start), written independently."""
    lam = math.log(2) / half_life_s
    t = np.asarray(t, dtype=float)
    cum = np.zeros_like(t)
    total = 0.0
    t_origin = deployments[0].start_s
    for d in deployments:
        start = d.start_s - t_origin
        inside = np.clip(t - start, 0.0, d.length_s)
        cum += d.a0_bq / lam * (1.0 - np.exp(-lam * inside))
        total += d.a0_bq / lam * (1.0 - np.exp(-lam * d.length_s))
    return cum / total


def test_sample_times_ks_five_deployments():
    rng = np.random.default_rng(51)
    t = sample_times(rng, 200_000, FIVE, CR51_HALF_LIFE)
    assert t.shape == (200_000,) and t.dtype == np.float64
    pvalue = stats.kstest(t, lambda x: _mixture_cdf(x, FIVE, CR51_HALF_LIFE)).pvalue
    assert pvalue > 1e-3
    inside = np.zeros(t.size, dtype=bool)
    for d in FIVE:
        inside |= (t >= d.start_s) & (t <= d.start_s + d.length_s)
    assert inside.all()


def test_sample_times_single_deployment_is_truncated_exponential():
    dep = [Deployment(start_s=1000.0, length_s=3 * CR51_HALF_LIFE, a0_bq=1.0)]
    tau = CR51_HALF_LIFE / math.log(2)
    t = sample_times(np.random.default_rng(7), 100_000, dep, CR51_HALF_LIFE)
    ref = stats.truncexpon(b=dep[0].length_s / tau, scale=tau)
    assert stats.kstest(t, ref.cdf).pvalue > 1e-3
    assert t.min() >= 0.0 and t.max() <= dep[0].length_s


def test_sample_times_deployment_shares():
    rng = np.random.default_rng(3)
    t = sample_times(rng, 100_000, FIVE, CR51_HALF_LIFE)
    counts = np.array([np.sum((t >= d.start_s) & (t <= d.start_s + d.length_s)) for d in FIVE])
    share = deployment_decays(FIVE, CR51_HALF_LIFE)
    expected = 100_000 * share / share.sum()
    assert stats.chisquare(counts, expected).pvalue > 1e-3


def test_sample_times_constant_activity_and_zero_share():
    deps = [
        Deployment(start_s=10.0, length_s=5.0, a0_bq=2.0),
        Deployment(start_s=20.0, length_s=5.0, a0_bq=0.0),
        Deployment(start_s=30.0, length_s=10.0, a0_bq=1.0),
    ]
    t = sample_times(np.random.default_rng(1), 50_000, deps, math.inf)
    assert not np.any((t > 5.0) & (t < 20.0))  # nothing in the zero-activity deployment

    def cdf(x):  # 2 Bq for 5 s, then 1 Bq for 10 s starting 20 s later: 20 decays in all
        return (2.0 * np.clip(x, 0, 5) + np.clip(x - 20, 0, 10)) / 20.0

    assert stats.kstest(t, cdf).pvalue > 1e-3


def test_sample_times_reproducible_and_empty():
    a = sample_times(np.random.default_rng(9), 1000, FIVE, CR51_HALF_LIFE)
    b = sample_times(np.random.default_rng(9), 1000, FIVE, CR51_HALF_LIFE)
    np.testing.assert_array_equal(a, b)
    assert sample_times(np.random.default_rng(9), 0, FIVE, CR51_HALF_LIFE).shape == (0,)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start_s": 0.0, "length_s": -1.0, "a0_bq": 1.0}, "length_s"),
        ({"start_s": 0.0, "length_s": 1.0, "a0_bq": -5.0}, "a0_bq"),
        ({"start_s": math.nan, "length_s": 1.0, "a0_bq": 1.0}, "start_s"),
        ({"start_s": 0.0, "length_s": math.inf, "a0_bq": 1.0}, "length_s"),
    ],
)
def test_deployment_validation_names_field_and_value(kwargs, field):
    with pytest.raises(ValueError, match=rf"Deployment\.{field}") as info:
        Deployment(**kwargs)
    assert repr(kwargs[field]) in str(info.value)


def test_argument_errors():
    with pytest.raises(ValueError, match="half_life_s"):
        decays_in_run(1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="half_life_s"):
        deployment_decays(FIVE, -3.0)
    with pytest.raises(ValueError, match="a0_bq"):
        decays_in_run(-1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="t_run_s"):
        decays_in_run(1.0, 1.0, -2.0)
    with pytest.raises(ValueError, match="at least one"):
        total_decays([], 1.0)
    with pytest.raises(ValueError, match=r"deployments\[1\] starts at 5.0 s"):
        total_decays([Deployment(0.0, 10.0, 1.0), Deployment(5.0, 1.0, 1.0)], 1.0)
    with pytest.raises(ValueError, match="n must be"):
        sample_times(np.random.default_rng(0), -1, FIVE, 1.0)
    with pytest.raises(ValueError, match="no decays"):
        sample_times(np.random.default_rng(0), 5, [Deployment(0.0, 0.0, 1.0)], 1.0)
