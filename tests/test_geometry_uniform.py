"""Points uniform in a solid's volume (geometry.uniform.fill_uniform) against the exact
distributions of their coordinates (Kolmogorov–Smirnov, 2×10⁵ points a solid)."""

import numpy as np
import pytest
from scipy import stats

from nusource.geometry.solids import Box, Cylinder, CylindricalShell, SphericalShell
from nusource.geometry.uniform import uniform_points

N = 200_000
CENTER = np.array([3.0, -7.0, 150.0])


def _ks(sample, cdf):
    assert stats.kstest(sample, cdf).pvalue > 1e-3


def _uniform_on(lo, hi):
    return stats.uniform(loc=lo, scale=hi - lo).cdf


def test_cylinder():
    p = uniform_points(Cylinder(68.5, 68.5, center=tuple(CENTER)), N, np.random.default_rng(1))
    x, y, z = (p - CENTER).T
    _ks((x * x + y * y) / 68.5**2, _uniform_on(0.0, 1.0))  # r² uniform
    _ks(np.arctan2(y, x), _uniform_on(-np.pi, np.pi))
    _ks(z, _uniform_on(-68.5, 68.5))


def test_spherical_shell():
    shell = SphericalShell(20.0, 50.0, center=tuple(CENTER))
    p = uniform_points(shell, N, np.random.default_rng(2)) - CENTER
    r = np.linalg.norm(p, axis=1)
    _ks(r**3, _uniform_on(20.0**3, 50.0**3))
    _ks(p[:, 2] / r, _uniform_on(-1.0, 1.0))
    _ks(np.arctan2(p[:, 1], p[:, 0]), _uniform_on(-np.pi, np.pi))


def test_cylindrical_shell():
    shell = CylindricalShell(10.0, 24.0, 31.0, center=tuple(CENTER))
    p = uniform_points(shell, N, np.random.default_rng(3)) - CENTER
    _ks(p[:, 0] ** 2 + p[:, 1] ** 2, _uniform_on(10.0**2, 24.0**2))
    _ks(np.arctan2(p[:, 1], p[:, 0]), _uniform_on(-np.pi, np.pi))
    _ks(p[:, 2], _uniform_on(-31.0, 31.0))


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_box(axis):
    half = (10.0, 20.0, 30.0)
    p = uniform_points(Box(*half, center=tuple(CENTER)), N, np.random.default_rng(4 + axis))
    _ks(p[:, axis] - CENTER[axis], _uniform_on(-half[axis], half[axis]))
