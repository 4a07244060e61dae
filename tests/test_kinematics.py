"""Kinematics of ν–e scattering (docs/physics.md §3) and electron directions."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nusource.generator.constants import M_E
from nusource.generator.kinematics import (
    cos_theta,
    e_min,
    e_of_t_cos,
    jacobian_de_dcos,
    rotate_to,
    t_max,
)

energies = st.floats(min_value=1e-3, max_value=5.0)
fractions = st.floats(min_value=1e-6, max_value=1.0)


@given(energies)
def test_e_min_inverts_t_max(e):
    assert e_min(t_max(e)) == pytest.approx(e, rel=1e-12)


@given(energies, fractions)
def test_angle_and_energy_invert_each_other(e, f):
    t = f * t_max(e)
    c = cos_theta(t, e)
    assert 0.0 < c <= 1.0 + 1e-12
    assert e_of_t_cos(t, min(c, 1.0)) == pytest.approx(e, rel=1e-8)


def test_forward_electron_at_t_max():
    for e in (0.1, 0.7469, 2.0):
        assert cos_theta(t_max(e), e) == pytest.approx(1.0, rel=1e-14)


def test_jacobian_against_finite_difference():
    t = 0.1
    for c in (0.6, 0.8, 0.95):
        h = 1e-6
        fd = (e_of_t_cos(t, c + h) - e_of_t_cos(t, c - h)) / (2 * h)
        assert jacobian_de_dcos(t, c) == pytest.approx(abs(fd), rel=1e-6)
        # seed 002 eqs. 6-7 written out
        p = math.sqrt(t * t + 2 * M_E * t)
        assert jacobian_de_dcos(t, c) == pytest.approx(M_E * p * t / (p * c - t) ** 2)


def test_kernels_are_valid_python():
    for f, args in [
        (t_max, (0.7,)),
        (e_min, (0.2,)),
        (cos_theta, (0.2, 0.7)),
        (e_of_t_cos, (0.2, 0.9)),
    ]:
        assert f.py_func(*args) == f(*args)


unit = st.tuples(st.floats(-1, 1), st.floats(-1, 1), st.floats(-1, 1)).filter(
    lambda v: 0.1 < math.sqrt(sum(x * x for x in v))
)


@settings(max_examples=200)
@given(unit, st.floats(-1, 1), st.floats(0, 2 * math.pi))
def test_rotation_keeps_the_angle_to_the_axis(u, c, phi):
    n = math.sqrt(sum(x * x for x in u))
    ux, uy, uz = (x / n for x in u)
    d = rotate_to(ux, uy, uz, c, math.cos(phi), math.sin(phi))
    assert math.fsum(x * x for x in d) == pytest.approx(1.0, abs=1e-12)
    assert d[0] * ux + d[1] * uy + d[2] * uz == pytest.approx(c, abs=1e-12)


def test_azimuth_is_uniform():
    """φ from the sampler's disc rejection is uniform: χ² against flat in 36 bins, fixed seed."""
    from scipy import stats

    rng = np.random.default_rng(42)
    n = 200_000
    e, t, c, dx, dy, dz = (np.empty(n) for _ in range(6))
    cr51_sampler().fill_along(rng, (0.0, 0.0, 1.0), e, t, c, dx, dy, dz)
    phi = np.arctan2(dy, dx)
    h, _ = np.histogram(phi, bins=36, range=(-math.pi, math.pi))
    assert stats.chisquare(h).pvalue > 1e-3
    assert np.allclose(dz, c)


def test_per_event_axes():
    rng = np.random.default_rng(3)
    n = 1000
    v = rng.normal(size=(n, 3))
    v /= np.linalg.norm(v, axis=1)[:, None]
    e, t, c, dx, dy, dz = (np.empty(n) for _ in range(6))
    nux, nuy, nuz = v[:, 0].copy(), v[:, 1].copy(), v[:, 2].copy()
    cr51_sampler().fill_about(rng, nux, nuy, nuz, e, t, c, dx, dy, dz)
    want = np.array([cos_theta(ti, ei) for ti, ei in zip(t, e, strict=True)])
    assert np.allclose(dx * v[:, 0] + dy * v[:, 1] + dz * v[:, 2], want)
    assert np.allclose(dx * dx + dy * dy + dz * dz, 1.0)


def cr51_sampler():
    from nusource.generator.model import PhysicsModel
    from nusource.generator.neutrino_spectrum import from_source
    from nusource.generator.recoil_sampler import make_recoil_sampler
    from nusource.generator.sources import get_source

    return make_recoil_sampler(from_source(get_source("cr51")), PhysicsModel("nue"))
