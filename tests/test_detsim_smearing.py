"""Angular and position smearing: ⟨θ²⟩ = 2σ², uniform azimuth, per-coordinate widths."""

import math

import numpy as np
import pytest
from scipy import stats

from nusource.detsim.binding import BINDING_REMOVED
from nusource.detsim.smearing import (
    copy_unless_removed,
    perpendicular_basis,
    smear_directions,
    smear_positions,
)


def _random_directions(rng, n):
    v = rng.standard_normal((n, 3))
    v /= np.linalg.norm(v, axis=1)[:, None]
    # include the poles, where the basis construction switches branch
    v[:4] = [[0, 0, 1], [0, 0, -1], [1, 0, 0], [0, -1e-12, -1]]
    v[:4] /= np.linalg.norm(v[:4], axis=1)[:, None]
    return v


def _smear(rng, d, sigma, flags=None):
    n = d.shape[0]
    flags = np.zeros(n, np.uint32) if flags is None else flags
    out = np.empty((3, n))
    smear_directions(rng, d[:, 0], d[:, 1], d[:, 2], flags, sigma, out[0], out[1], out[2])
    return out.T


def test_basis_is_orthonormal():
    d = _random_directions(np.random.default_rng(0), 500)
    for u in d:
        e1, e2 = (np.array(e) for e in perpendicular_basis(*u))
        m = np.array([e1, e2, u])
        np.testing.assert_allclose(m @ m.T, np.eye(3), atol=1e-12)
        assert np.dot(np.cross(e1, e2), u) == pytest.approx(1.0)


@pytest.mark.parametrize("sigma", [0.035, 0.2])
def test_mean_theta_squared_is_two_sigma_squared(sigma):
    rng = np.random.default_rng(17)
    n = 200_000
    d = _random_directions(rng, n)
    rec = _smear(rng, d, sigma)
    np.testing.assert_allclose(np.linalg.norm(rec, axis=1), 1.0, atol=1e-12)
    cos = np.clip(np.sum(rec * d, axis=1), -1, 1)
    theta = np.arccos(cos)
    # θ²/σ² ~ χ²(2): mean 2, variance 4
    t2 = theta**2 / sigma**2
    assert abs(t2.mean() - 2.0) < 5 * 2.0 / math.sqrt(n)
    assert stats.kstest(t2, stats.chi2(2).cdf).pvalue > 1e-3


def test_azimuth_is_uniform():
    rng = np.random.default_rng(5)
    n = 100_000
    d = np.tile([0.6, 0.0, 0.8], (n, 1))
    rec = _smear(rng, d, 0.05)
    e1, e2 = (np.array(e) for e in perpendicular_basis(0.6, 0.0, 0.8))
    phi = np.arctan2(rec @ e2, rec @ e1)
    assert stats.kstest(phi, stats.uniform(-np.pi, 2 * np.pi).cdf).pvalue > 1e-3


def test_position_width_per_coordinate():
    rng = np.random.default_rng(23)
    n = 200_000
    sigma = 1.0
    x = rng.uniform(-50, 50, (3, n))
    out = np.empty((3, n))
    smear_positions(rng, x[0], x[1], x[2], np.zeros(n, np.uint32), sigma, out[0], out[1], out[2])
    d = out - x
    for k in range(3):
        s = d[k].std(ddof=1)
        assert abs(s - sigma) < 5 * sigma / math.sqrt(2 * (n - 1))
        assert abs(d[k].mean()) < 5 * sigma / math.sqrt(n)
    # the coordinates are independent
    c = np.corrcoef(d)
    assert np.all(np.abs(c[np.triu_indices(3, 1)]) < 5 / math.sqrt(n))


def test_removed_events_get_zero_vectors():
    n = 6
    flags = np.zeros(n, np.uint32)
    flags[[1, 4]] = BINDING_REMOVED
    d = _random_directions(np.random.default_rng(0), n)
    rec = _smear(np.random.default_rng(1), d, 0.035, flags)
    assert np.all(rec[[1, 4]] == 0.0) and np.all(np.linalg.norm(rec[[0, 2, 3, 5]], axis=1) > 0.99)
    out = np.empty((3, n))
    copy_unless_removed(d[:, 0], d[:, 1], d[:, 2], flags, out[0], out[1], out[2])
    np.testing.assert_array_equal(out.T[[0, 2, 3, 5]], d[[0, 2, 3, 5]])
    assert np.all(out.T[[1, 4]] == 0.0)


def test_kernels_match_py_func():
    n = 50
    rng = np.random.default_rng(2)
    d = _random_directions(rng, n)
    x = rng.uniform(-10, 10, (3, n))
    flags = np.zeros(n, np.uint32)
    flags[::5] = BINDING_REMOVED
    results = []
    for jitted in (True, False):
        sd = smear_directions if jitted else smear_directions.py_func
        sp = smear_positions if jitted else smear_positions.py_func
        r = np.random.default_rng(99)
        od, op = np.empty((3, n)), np.empty((3, n))
        sd(r, d[:, 0], d[:, 1], d[:, 2], flags, 0.035, od[0], od[1], od[2])
        sp(r, x[0], x[1], x[2], flags, 1.0, op[0], op[1], op[2])
        results.append((od, op))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=0, atol=1e-14)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=0, atol=1e-13)
