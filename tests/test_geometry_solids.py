"""Solids: validation, volumes, inside() and chord() kernels (properties with hypothesis)."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nusource.geometry import (
    BOX,
    CYLINDER,
    CYLINDRICAL_SHELL,
    SPHERICAL_SHELL,
    Box,
    Cylinder,
    CylindricalShell,
    SphericalShell,
    bounding_sphere,
    chord,
    inside,
)
from nusource.geometry.solids import chord_scalar

length = st.floats(0.5, 100.0)
coord = st.floats(-150.0, 150.0)
centers = st.tuples(coord, coord, coord)


@st.composite
def solids(draw):
    """Any of the four solids with random sizes and placement [cm]."""
    kind = draw(st.sampled_from([CYLINDER, SPHERICAL_SHELL, CYLINDRICAL_SHELL, BOX]))
    c = draw(centers)
    if kind == CYLINDER:
        return Cylinder(draw(length), draw(length), c)
    if kind == BOX:
        return Box(draw(length), draw(length), draw(length), c)
    r_out = draw(length)
    r_in = draw(st.sampled_from([0.0, 0.2, 0.5, 0.9])) * r_out
    if kind == SPHERICAL_SHELL:
        return SphericalShell(r_in, r_out, c)
    return CylindricalShell(r_in, r_out, draw(length), c)


@st.composite
def unit_vectors(draw):
    v = np.array([draw(st.floats(-1.0, 1.0)) for _ in range(3)])
    n = float(np.linalg.norm(v))
    assume(n > 1e-3)
    return v / n


def grown(solid, tol):
    """Packed parameters of the solid grown by tol [cm] on every surface (shrunk if tol < 0)."""
    p = solid.params.copy()
    if solid.kind == CYLINDER:
        p[3:5] += tol
    elif solid.kind == SPHERICAL_SHELL:
        p[3] = max(p[3] - tol, 0.0) if p[3] > 0 else 0.0
        p[4] += tol
    elif solid.kind == CYLINDRICAL_SHELL:
        p[3] = max(p[3] - tol, 0.0) if p[3] > 0 else 0.0
        p[4:6] += tol
    else:
        p[3:6] += tol
    return p


def on_surface(solid, point, tol):
    """True if the point is within tol of the surface (in the grown, not in the shrunk solid)."""
    x, y, z = point
    return bool(inside(solid.kind, grown(solid, tol), x, y, z)) and not bool(
        inside(solid.kind, grown(solid, -tol), x, y, z)
    )


def test_volumes_and_bounding_spheres():
    assert Cylinder(2.0, 3.0).volume_cm3 == pytest.approx(2 * math.pi * 4 * 3)
    assert SphericalShell(1.0, 2.0).volume_cm3 == pytest.approx(4 / 3 * math.pi * 7)
    assert CylindricalShell(1.0, 2.0, 3.0).volume_cm3 == pytest.approx(2 * math.pi * 3 * 3)
    assert Box(1.0, 2.0, 3.0).volume_cm3 == pytest.approx(48.0)
    c, r = Cylinder(3.0, 4.0, (1, 2, 3)).bounding_sphere
    assert r == pytest.approx(5.0) and list(c) == [1, 2, 3]
    assert Box(1.0, 2.0, 2.0).bounding_sphere[1] == pytest.approx(3.0)
    assert SphericalShell(1.0, 2.0).bounding_sphere[1] == 2.0
    assert CylindricalShell(1.0, 3.0, 4.0).bounding_sphere[1] == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("factory", "field"),
    [
        (lambda: Cylinder(-1.0, 1.0), "Cylinder.radius_cm"),
        (lambda: Cylinder(1.0, 0.0), "Cylinder.half_height_cm"),
        (lambda: Cylinder(1.0, 1.0, (0, 0)), "Cylinder.center"),
        (lambda: Cylinder(math.nan, 1.0), "Cylinder.radius_cm"),
        (lambda: SphericalShell(2.0, 1.0), "SphericalShell.r_inner_cm"),
        (lambda: SphericalShell(-1.0, 1.0), "SphericalShell.r_inner_cm"),
        (lambda: CylindricalShell(1.0, 1.0, 1.0), "CylindricalShell.r_inner_cm"),
        (lambda: Box(1.0, "a", 1.0), "Box.half_y_cm"),
    ],
)
def test_bad_dimensions_name_the_field(factory, field):
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        factory()


def test_known_chords():
    # axis of a cylinder from below: enters bottom, leaves top
    cyl = Cylinder(10.0, 5.0, (0, 0, 20))
    np.testing.assert_allclose(cyl.intervals((0, 0, 0), (0, 0, 1)), [[15.0, 25.0]])
    # from inside: starts at 0
    np.testing.assert_allclose(cyl.intervals((0, 0, 20), (1, 0, 0)), [[0.0, 10.0]])
    # a line through the hole of a spherical shell gives two intervals
    shell = SphericalShell(1.0, 2.0)
    np.testing.assert_allclose(shell.intervals((-5, 0, 0), (1, 0, 0)), [[3, 4], [6, 7]])
    # ray from the centre of the shell: one interval, the thickness
    np.testing.assert_allclose(shell.intervals((0, 0, 0), (0, 1, 1)), [[1, 2]])
    # a tube along its axis through the hole: no hit; across it: two
    tube = CylindricalShell(1.0, 2.0, 3.0)
    assert tube.intervals((0, 0, -10), (0, 0, 1)).shape == (0, 2)
    np.testing.assert_allclose(tube.intervals((-5, 0, 0), (1, 0, 0)), [[3, 4], [6, 7]])
    box = Box(1.0, 2.0, 3.0, (10, 0, 0))
    np.testing.assert_allclose(box.intervals((0, 0, 0), (1, 0, 0)), [[9, 11]])
    assert box.intervals((0, 0, 0), (-1, 0, 0)).shape == (0, 2)
    assert box.contains((10.5, 1.5, -2.5)) and not box.contains((10.5, 2.5, 0))


@settings(max_examples=300, deadline=None)
@given(solids(), centers, unit_vectors())
def test_chord_endpoints_lie_on_the_surface(solid, origin, d):
    n, a0, b0, a1, b1 = chord(solid.kind, solid.params, *origin, *d)
    scale = 300.0
    tol = 1e-9 * scale
    ends = [(a0, b0), (a1, b1)][:n]
    start_inside = inside(solid.kind, solid.params, *origin)
    for k, (a, b) in enumerate(ends):
        assert 0.0 <= a < b
        for t in (a, b):
            if t == 0.0 and k == 0 and start_inside:
                continue  # the ray starts inside: t = 0 is the origin, not the surface
            assert on_surface(solid, np.asarray(origin) + t * d, tol)
    if n == 2:
        assert b0 <= a1


@settings(max_examples=300, deadline=None)
@given(solids(), centers, unit_vectors(), st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5))
def test_inside_is_consistent_with_chord(solid, origin, d, fractions):
    n, a0, b0, a1, b1 = chord(solid.kind, solid.params, *origin, *d)
    o = np.asarray(origin)
    tol = 1e-9 * 300.0
    intervals = [(a0, b0), (a1, b1)][:n]
    t_max = 2.0 * (np.linalg.norm(o - solid.center) + solid.bounding_sphere[1])
    probes = [f * t_max for f in fractions] + [0.5 * (a + b) for a, b in intervals]
    for t in probes:
        p = o + t * d
        near_end = any(min(abs(t - a), abs(t - b)) < 1e-6 for a, b in intervals)
        if near_end:
            continue
        in_chord = any(a <= t <= b for a, b in intervals)
        if in_chord:
            assert inside(solid.kind, grown(solid, tol), *p)
        else:
            assert not inside(solid.kind, grown(solid, -tol), *p)


@settings(max_examples=100, deadline=None)
@given(solids())
def test_bounding_sphere_contains_the_solid(solid):
    cx, cy, cz, r = bounding_sphere(solid.kind, solid.params)
    # every chord through the centre along the axes stays within the sphere
    for d in np.eye(3):
        ivs = solid.intervals((cx, cy, cz), d)
        if len(ivs):
            assert ivs[-1, 1] <= r * (1 + 1e-12)


def test_chord_py_func_matches_compiled():
    rng = np.random.default_rng(7)
    for solid in (
        Cylinder(3.0, 4.0, (1, 2, 3)),
        SphericalShell(1.0, 5.0, (0, 1, 0)),
        CylindricalShell(2.0, 5.0, 3.0),
        Box(1.0, 2.0, 3.0, (4, 0, 0)),
    ):
        for _ in range(50):
            o = rng.uniform(-10, 10, 3)
            d = rng.normal(size=3)
            d /= np.linalg.norm(d)
            args = (solid.kind, solid.params, *o, *d)
            assert chord.py_func(*args) == chord(*args)
            p = solid.params
            sargs = (solid.kind, *p[:6], *o, *d)
            assert chord_scalar.py_func(*sargs) == chord_scalar(*sargs)
            assert inside.py_func(solid.kind, p, *o) == inside(solid.kind, p, *o)
