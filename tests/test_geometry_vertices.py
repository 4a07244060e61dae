"""Vertex sampling: vertices ∝ dV/(4πL²), inside the detector, source points inside the source."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from nusource.geometry import (
    AXIAL,
    BOX,
    CONE,
    CYLINDER,
    CYLINDRICAL_SHELL,
    SPHERICAL_SHELL,
    Box,
    Cylinder,
    CylindricalShell,
    Source,
    SphericalShell,
    chord_bound,
    chord_length,
    geometric_factor_exact,
    gf_cylinder_axis,
    gf_spherical_shell,
    inside,
    sample_unweighted,
    sample_vertices,
    sample_weighted,
    sampling_plan,
)

LXE_DETECTOR = Cylinder(68.5, 68.5, (0.0, 0.0, 168.5))
LXE_SOURCE = Source(7.0, 7.0)

length = st.floats(0.5, 80.0)
coord = st.floats(-120.0, 120.0)
centers = st.tuples(coord, coord, coord)


@st.composite
def detectors(draw):
    kind = draw(st.sampled_from([CYLINDER, SPHERICAL_SHELL, CYLINDRICAL_SHELL, BOX]))
    c = draw(centers)
    if kind == CYLINDER:
        return Cylinder(draw(length), draw(length), c)
    if kind == BOX:
        return Box(draw(length), draw(length), draw(length), c)
    r_out = draw(length)
    r_in = draw(st.sampled_from([0.0, 0.3, 0.8])) * r_out
    if kind == SPHERICAL_SHELL:
        return SphericalShell(r_in, r_out, c)
    return CylindricalShell(r_in, r_out, draw(length), c)


@st.composite
def sources(draw):
    c = draw(centers)
    if draw(st.booleans()):
        return Source.point(c)
    return Source(draw(st.floats(0.0, 20.0)), draw(st.floats(0.0, 20.0)), c)


def grown(detector, tol):
    p = detector.params.copy()
    if detector.kind == CYLINDER:
        p[3:5] += tol
    elif detector.kind in (SPHERICAL_SHELL, CYLINDRICAL_SHELL):
        p[3] = max(p[3] - tol, 0.0) if p[3] > 0 else 0.0
        p[4 : 6 if detector.kind == CYLINDRICAL_SHELL else 5] += tol
    else:
        p[3:6] += tol
    return p


def in_source(source, points, tol):
    d = points - np.asarray(source.center)
    rho2 = d[:, 0] ** 2 + d[:, 1] ** 2
    return (rho2 <= (source.radius_cm + tol) ** 2) & (
        np.abs(d[:, 2]) <= source.half_height_cm + tol
    )


def methods(source, detector):
    return ["cone", "axial"] if sampling_plan(source, detector)[0] == AXIAL else ["cone"]


def buffers(n):
    return np.empty((n, 3)), np.empty((n, 3)), np.empty(n), np.empty((n, 3))


# --------------------------------------------------------------------------- properties


@settings(max_examples=150, deadline=None)
@given(sources(), detectors(), st.integers(0, 2**32 - 1))
def test_events_are_inside_and_consistent(source, detector, seed):
    tol = 1e-9 * 400.0
    gp = grown(detector, tol)
    for method in methods(source, detector):
        plan = sampling_plan(source, detector, method=method)
        sp, di, ln, vx = buffers(40)
        rng = np.random.default_rng(seed)
        tries, over = sample_unweighted(
            rng, source.params, detector.kind, detector.params, plan, sp, di, ln, vx
        )
        assert over == 0  # the bound M holds for every try
        assert tries >= 40
        assert np.all(in_source(source, sp, tol))
        assert all(inside(detector.kind, gp, *v) for v in vx)
        np.testing.assert_allclose(np.linalg.norm(di, axis=1), 1.0, rtol=1e-12)
        np.testing.assert_allclose(np.linalg.norm(vx - sp, axis=1), ln, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(sp + ln[:, None] * di, vx, rtol=1e-12, atol=1e-9)

        w = np.empty(40)
        sample_weighted(rng, source.params, detector.kind, detector.params, plan, sp, di, ln, vx, w)
        hit = w > 0
        assert np.all(w >= 0) and np.all(np.isnan(ln[~hit]))
        assert np.all(in_source(source, sp, tol))
        assert all(inside(detector.kind, gp, *v) for v in vx[hit])
        assert np.all(w <= plan[1])


@settings(max_examples=150, deadline=None)
@given(sources(), detectors(), st.integers(0, 2**32 - 1))
def test_chord_bound_holds_for_every_ray_from_the_source(source, detector, seed):
    rng = np.random.default_rng(seed)
    bound = chord_bound(source, detector)
    c = np.asarray(source.center)
    for _ in range(200):
        u = rng.uniform(-1, 1, 3)
        s = c + u * [source.radius_cm / 1.5, source.radius_cm / 1.5, source.half_height_cm]
        d = rng.normal(size=3)
        d /= np.linalg.norm(d)
        assert chord_length(detector.kind, detector.params, *s, *d) <= bound * (1 + 1e-12)


# --------------------------------------------------------------------------- distributions


def test_vertex_radius_uniform_in_a_shell_around_a_point():
    # dV/(4πr²) = dr dΩ/4π: the vertex radius is uniform between the shell radii
    shell = SphericalShell(26.0, 50.0, (1.0, 2.0, 3.0))
    v = sample_vertices(Source.point((1.0, 2.0, 3.0)), shell, 20000, np.random.default_rng(4))
    r = np.linalg.norm(v.vertex - shell.center, axis=1)
    assert stats.kstest(r, stats.uniform(26.0, 24.0).cdf).pvalue > 1e-3
    assert v.n_tries == 20000  # the bound is the thickness: every try is accepted
    directions = v.direction.mean(axis=0)
    assert np.all(np.abs(directions) < 4 / math.sqrt(3 * 20000))


@pytest.mark.parametrize("method", ["cone", "axial"])
def test_vertex_distribution_on_the_cylinder_axis(method):
    # height ζ above the point: dN/dζ ∝ ¼ ln(1 + R²/ζ²); radius given ζ: CDF ln(1+ρ²/ζ²)/ln(1+R²/ζ²)
    v = sample_vertices(
        Source.point(), LXE_DETECTOR, 20000, np.random.default_rng(8), method=method
    )
    zeta = v.vertex[:, 2]
    g = gf_cylinder_axis(68.5, 100.0, 237.0)
    cdf = np.vectorize(lambda z: gf_cylinder_axis(68.5, 100.0, z) / g if z > 100.0 else 0.0)
    assert stats.kstest(zeta, cdf).pvalue > 1e-3
    rho2 = v.vertex[:, 0] ** 2 + v.vertex[:, 1] ** 2
    pit = np.log1p(rho2 / zeta**2) / np.log1p(68.5**2 / zeta**2)
    assert stats.kstest(pit, "uniform").pvalue > 1e-3
    assert abs(v.geometric_factor_cm - g) < 4 * v.geometric_factor_err_cm


@pytest.mark.parametrize(
    ("source", "detector"),
    [
        (LXE_SOURCE, LXE_DETECTOR),
        (Source(3.0, 4.0, (0.0, 0.0, 5.0)), SphericalShell(30.0, 55.0)),
        (Source(10.0, 10.0, (15.0, 0.0, 0.0)), Box(20.0, 30.0, 25.0, (0.0, 10.0, 70.0))),
        (Source(2.0, 2.0), CylindricalShell(12.0, 40.0, 50.0)),
        (Source(20.0, 5.0, (0.0, 30.0, -90.0)), CylindricalShell(10.0, 40.0, 30.0)),
    ],
)
def test_moments_identities(source, detector):
    # ∫∫ dV ds/(4πL²) · L² = V_det V_src/(4π):  E_w[w·L²] = V/(4π), E_unw[L²] = V/(4πG)
    target = detector.volume_cm3 / (4 * math.pi)
    for method in methods(source, detector):
        rng = np.random.default_rng(21)
        w = sample_vertices(source, detector, 200000, rng, weighted=True, method=method)
        wl2 = np.nan_to_num(w.weight_cm * w.length_cm**2)
        mean, err = wl2.mean(), wl2.std(ddof=1) / math.sqrt(wl2.size)
        assert abs(mean - target) < 4 * err
        u = sample_vertices(source, detector, 200000, rng, method=method)
        l2 = u.length_cm**2
        assert np.all(u.weight_cm == u.geometric_factor_cm)
        # ratio of two estimates: compare with the propagated error
        lhs = l2.mean() * u.geometric_factor_cm
        err = lhs * math.hypot(
            l2.std(ddof=1) / math.sqrt(l2.size) / l2.mean(),
            u.geometric_factor_err_cm / u.geometric_factor_cm,
        )
        assert abs(lhs - target) < 4 * err
        assert abs(u.geometric_factor_cm - w.geometric_factor_cm) < 4 * math.hypot(
            u.geometric_factor_err_cm, w.geometric_factor_err_cm
        )


def test_source_points_follow_the_rate():
    # Unweighted events come more from the side facing the detector: the source-point
    # density is ∝ G(s). A ball (closed-form G(s)) above a large source checks this.
    src = Source(20.0, 20.0)
    z_ball, r_ball = 60.0, 30.0
    ball = SphericalShell(0.0, r_ball, (0.0, 0.0, z_ball))

    def g(z, rho):
        return 2 * math.pi * rho * gf_spherical_shell(0.0, r_ball, math.hypot(rho, z_ball - z))

    norm = integrate.dblquad(g, 0, 20, -20, 20, epsrel=1e-10)[0]
    mean_z = integrate.dblquad(lambda z, r: z * g(z, r), 0, 20, -20, 20, epsrel=1e-10)[0] / norm
    v = sample_vertices(src, ball, 100000, np.random.default_rng(9))
    z = v.source_point[:, 2]
    assert mean_z > 2.0
    assert abs(z.mean() - mean_z) < 4 * z.std(ddof=1) / math.sqrt(z.size)


# --------------------------------------------------------------------------- kernels and plans


@pytest.mark.parametrize("method", ["cone", "axial"])
def test_kernels_py_func_match_compiled(method):
    plan = sampling_plan(LXE_SOURCE, LXE_DETECTOR, method=method)
    args = (LXE_SOURCE.params, LXE_DETECTOR.kind, LXE_DETECTOR.params, plan)
    a, b = buffers(30), buffers(30)
    ra = sample_unweighted(np.random.default_rng(12), *args, *a)
    rb = sample_unweighted.py_func(np.random.default_rng(12), *args, *b)
    assert ra == rb
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    wa, wb = np.empty(30), np.empty(30)
    sample_weighted(np.random.default_rng(13), *args, *a, wa)
    sample_weighted.py_func(np.random.default_rng(13), *args, *b, wb)
    np.testing.assert_array_equal(wa, wb)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_sampling_plan_choice_and_errors():
    assert sampling_plan(LXE_SOURCE, LXE_DETECTOR)[0] == AXIAL
    assert sampling_plan(LXE_SOURCE, LXE_DETECTOR, method="cone")[0] == CONE
    inside_source = Source(2.0, 2.0)
    assert sampling_plan(inside_source, SphericalShell(30.0, 55.0))[0] == CONE
    with pytest.raises(ValueError, match="wholly below or above"):
        sampling_plan(inside_source, Cylinder(10.0, 10.0), method="axial")
    with pytest.raises(ValueError, match="method"):
        sampling_plan(inside_source, Cylinder(10.0, 10.0), method="fast")
    with pytest.raises(ValueError, match="n = 1"):
        sample_vertices(inside_source, Cylinder(10.0, 10.0), 1, np.random.default_rng(0))


def test_lxe_acceptance_and_bound():
    # the unweighted acceptance estimates G = M·acceptance
    v = sample_vertices(Source.point(), LXE_DETECTOR, 100000, np.random.default_rng(6))
    exact = geometric_factor_exact(Source.point(), LXE_DETECTOR)
    assert abs(v.geometric_factor_cm - exact) < 4 * v.geometric_factor_err_cm
    assert v.n_tries < 1.3 * 100000  # axial plan: acceptance ≈ 0.8
