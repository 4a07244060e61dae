"""NEST liquid-xenon response: nestpy seeding, the fast path vs nestpy's per-event output."""

import math

import numpy as np
import pytest

from nusource.detsim.binding import BINDING_REMOVED
from nusource.detsim.nest_response import (
    NestResolution,
    nest_erec_kev,
    nest_fast_smear,
    nest_moments,
    nest_seed,
    nest_table,
)
from nusource.detsim.response import DetectorResponse, respond
from nusource.io.schema import TRUTH_DTYPE, empty_events

pytest.importorskip("nestpy")

KEV = 1e-3

# A small table for the tests: 14 log points in 1–100 keV (2, 10 and 50 keV fall
# between grid points, so the interpolation is tested too).
SMALL = NestResolution(
    grid_min_kev=1.0, grid_max_kev=100.0, grid_points=14, events_per_point=4000, table_seed=1
)


def test_nest_seed_from_the_tree():
    s = nest_seed(5, 0, 3)
    assert 0 <= s < 2**31 and s == nest_seed(5, 0, 3)
    assert len({nest_seed(5, c, k) for c in range(3) for k in range(50)}) == 150


def test_nestpy_is_reproducible_with_a_seed():
    e = np.full(200, 10.0)
    a = nest_erec_kev(SMALL, e, 123)
    nest_erec_kev(SMALL, e, 999)  # another call in between does not matter
    b = nest_erec_kev(SMALL, e, 123)
    c = nest_erec_kev(SMALL, e, 124)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def _se_std(x):
    """Standard error of the sample standard deviation (uses the sample's kurtosis)."""
    s2 = np.var(x, ddof=1)
    m4 = np.mean((x - x.mean()) ** 4)
    return math.sqrt(max(m4 - s2**2, 0.0) / x.size) / (2 * math.sqrt(s2))


@pytest.mark.parametrize("e_kev", [2.0, 10.0, 50.0])
def test_fast_path_matches_nestpy_per_event(e_kev):
    """Mean and width of erec: fast path (table + Gaussian) vs nestpy per event.

    Tolerance: 5 standard errors from the three samples (nestpy reference,
    fast-path draws, the table's two neighbouring points).
    """
    n = 20_000
    ref = nest_erec_kev(SMALL, np.full(n, e_kev), 2024)
    tab = nest_table(SMALL)
    edep = np.full(n, e_kev * KEV)
    erec = np.empty(n)
    nest_fast_smear(np.random.default_rng(8), edep, np.zeros(n, np.uint32), *tab, erec)
    fast = erec / KEV
    m_table = SMALL.events_per_point

    s_ref = ref.std(ddof=1)
    se_mean = s_ref * math.sqrt(1 / n + 1 / n + 1 / m_table)
    assert abs(fast.mean() - ref.mean()) < 5 * se_mean, (fast.mean(), ref.mean(), se_mean)

    se_ref = _se_std(ref)
    se_sigma = math.sqrt(se_ref**2 * (1 + n / m_table) + (s_ref / math.sqrt(2 * n)) ** 2)
    assert abs(fast.std(ddof=1) - s_ref) < 5 * se_sigma, (fast.std(), s_ref, se_sigma)

    # the interpolated moments themselves
    mean, sigma = nest_moments(e_kev, *tab)
    assert abs(mean - ref.mean()) < 5 * s_ref * math.sqrt(1 / n + 1 / m_table)
    assert abs(sigma - s_ref) < 5 * se_ref * math.sqrt(1 + n / m_table)


def test_table_shape_and_extrapolation():
    log_e, mean_ratio, log_rel = nest_table(SMALL)
    assert log_e.shape == mean_ratio.shape == log_rel.shape == (14,)
    assert np.all(np.abs(mean_ratio - 1) < 0.05)
    assert np.all(np.diff(log_rel) < 0.05)  # σ/E falls with E (up to table noise)
    # below the grid σ ∝ √E, above it σ/E constant; continuous at the edges
    m0, s0 = nest_moments(1.0, log_e, mean_ratio, log_rel)
    m1, s1 = nest_moments(0.25, log_e, mean_ratio, log_rel)
    assert s1 == pytest.approx(s0 * 0.5) and m1 == pytest.approx(0.25 * m0)
    _, s2 = nest_moments(100.0, log_e, mean_ratio, log_rel)
    _, s3 = nest_moments(400.0, log_e, mean_ratio, log_rel)
    assert s3 / 400.0 == pytest.approx(s2 / 100.0)


def test_fast_kernel_matches_py_func():
    tab = nest_table(SMALL)
    edep = np.random.default_rng(0).uniform(0, 0.2, 100)
    flags = np.zeros(100, np.uint32)
    flags[::9] = BINDING_REMOVED
    a, b = np.empty(100), np.empty(100)
    nest_fast_smear(np.random.default_rng(4), edep, flags, *tab, a)
    nest_fast_smear.py_func(np.random.default_rng(4), edep, flags, *tab, b)
    np.testing.assert_allclose(a, b, rtol=1e-13, atol=0)
    assert np.all(a[::9] == 0)


def _lxe_events(n):
    ev = empty_events(n, detected=True)
    rng = np.random.default_rng(1)
    ev["te"] = rng.uniform(1 * KEV, 60 * KEV, n)
    ev["e_dz"] = 1.0
    ev["vtx_z"] = rng.uniform(0, 100, n)
    return ev


@pytest.mark.parametrize("mode", ["fast", "full"])
def test_respond_with_nest(mode):
    cfg = NestResolution(
        mode=mode,
        grid_min_kev=SMALL.grid_min_kev,
        grid_max_kev=SMALL.grid_max_kev,
        grid_points=SMALL.grid_points,
        events_per_point=SMALL.events_per_point,
        table_seed=SMALL.table_seed,
    )
    r = DetectorResponse("LXe", resolution=cfg, threshold_mev=2 * KEV)
    ev = _lxe_events(3000)
    truth = {name: ev[name].copy() for name in TRUTH_DTYPE.names}
    respond(np.random.default_rng(3), ev, r, nest_seed=nest_seed(1, 0, 0))
    for name, before in truth.items():
        assert ev[name].tobytes() == before.tobytes(), name
    removed = ev["flags"] & BINDING_REMOVED != 0
    assert np.all(ev["erec"][removed] == 0)
    live = ~removed
    z = (ev["erec"][live] - ev["edep"][live]) / ev["edep"][live]
    assert abs(np.median(z)) < 0.02 and 0.03 < np.std(z) < 0.3
    # reproducible from the same seeds
    again = _lxe_events(3000)
    respond(np.random.default_rng(3), again, r, nest_seed=nest_seed(1, 0, 0))
    np.testing.assert_array_equal(ev["erec"], again["erec"])


def test_full_path_seed_changes_events():
    r = DetectorResponse("LXe", binding=False, resolution=NestResolution(mode="full"))
    a, b = _lxe_events(500), _lxe_events(500)
    respond(np.random.default_rng(3), a, r, nest_seed=1)
    respond(np.random.default_rng(3), b, r, nest_seed=2)
    assert not np.array_equal(a["erec"], b["erec"])
    with pytest.raises(ValueError, match="nest_seed"):
        respond(np.random.default_rng(3), a, r, nest_seed=-4)
