"""Geometric factor G = ∫dV/(4πL²): closed forms, their Monte Carlo estimates, finite sources.

MC tolerances come from the MC error: |MC − exact| < 4σ and σ/exact < 0.1%.
"""

import math

import numpy as np
import pytest
from scipy import integrate

from nusource.geometry import (
    Box,
    Cylinder,
    CylindricalShell,
    Source,
    SphericalShell,
    geometric_factor_exact,
    geometric_factor_mc,
    gf_cylinder_axis,
    gf_spherical_shell,
)

LXE_DETECTOR = Cylinder(68.5, 68.5, (0.0, 0.0, 168.5))  # D = H = 137 cm, bottom 100 cm above
LXE_SOURCE = Source(7.0, 7.0)  # seed 004: 14 cm × 14 cm


def assert_mc_agrees(value, error, exact):
    assert error / exact < 1e-3, f"MC error {error / exact:.2e} too large"
    assert abs(value - exact) < 4.0 * error, f"MC {value} ± {error} vs exact {exact}"


# --------------------------------------------------------------------------- closed forms


def test_cylinder_axis_formula_against_quadrature():
    r = 68.5
    for z1, z2 in [(100.0, 237.0), (-30.0, 50.0), (5.0, 6.0), (-237.0, -100.0)]:
        numeric, _ = integrate.quad(
            lambda z: 0.25 * math.log1p(r * r / (z * z)), z1, z2, points=[0]
        )
        assert gf_cylinder_axis(r, z1, z2) == pytest.approx(numeric, rel=1e-10)
    ring, _ = integrate.quad(lambda z: 0.25 * math.log((1 + 4 / z**2) / (1 + 1 / z**2)), 3.0, 8.0)
    assert gf_cylinder_axis(2.0, 3.0, 8.0, r_inner_cm=1.0) == pytest.approx(ring, rel=1e-10)


def test_spherical_shell_formula_against_quadrature():
    def numeric(ri, ro, rho):
        # G = ½ ∫ ℓ(μ) dμ over the directions, ℓ the chord from the point
        def chord(mu):
            b = rho * mu

            def span(r):
                disc = b * b - rho * rho + r * r
                if disc <= 0:
                    return 0.0, 0.0
                s = math.sqrt(disc)
                return max(-b - s, 0.0), max(-b + s, 0.0)

            lo, hi = span(ro)
            hlo, hhi = span(ri)
            return (hi - lo) - (hhi - hlo)

        return 0.5 * integrate.quad(chord, -1, 1, limit=200, epsabs=1e-12)[0]

    for ri, ro, rho in [
        (20, 45, 0.0),
        (20, 45, 10.0),
        (20, 45, 30.0),
        (20, 45, 90.0),
        (0, 300, 1000),
    ]:
        assert gf_spherical_shell(ri, ro, rho) == pytest.approx(numeric(ri, ro, rho), rel=1e-7)
    assert gf_spherical_shell(20.0, 45.0) == 25.0  # at the centre: the thickness
    far = gf_spherical_shell(0.0, 3.0, 3000.0)
    assert far == pytest.approx(4 / 3 * math.pi * 27 / (4 * math.pi * 3000.0**2), rel=1e-6)


def test_exact_dispatch():
    assert geometric_factor_exact(Source.point(), SphericalShell(1, 2)) == 1.0
    assert geometric_factor_exact(LXE_SOURCE, LXE_DETECTOR) is None
    assert geometric_factor_exact(Source.point((1, 0, 0)), LXE_DETECTOR) is None
    assert geometric_factor_exact(Source.point(), Box(1, 1, 1, (0, 0, 5))) is None
    assert geometric_factor_exact(Source.point(), LXE_DETECTOR) == pytest.approx(
        gf_cylinder_axis(68.5, 100.0, 237.0)
    )


# --------------------------------------------------------------------------- MC vs closed forms


def test_point_at_centre_of_spherical_shell_gives_the_thickness_exactly():
    rng = np.random.default_rng(1)
    value, error = geometric_factor_mc(
        Source.point((1, 2, 3)), SphericalShell(26, 50, (1, 2, 3)), 10**5, rng
    )
    assert value == pytest.approx(24.0, rel=1e-12)
    assert error < 1e-10


@pytest.mark.parametrize(
    ("source", "detector", "method"),
    [
        (
            Source.point((5.0, -3.0, 8.0)),
            SphericalShell(26.0, 50.0),
            "cone",
        ),  # off-centre in the hole
        (Source.point((0.0, 0.0, 1000.0)), SphericalShell(0.0, 300.5), "cone"),  # BOREXINO at 10 m
        (Source.point(), LXE_DETECTOR, "cone"),
        (Source.point(), LXE_DETECTOR, "axial"),
        (Source.point((0.0, 0.0, 400.0)), LXE_DETECTOR, "axial"),  # source above
        (Source.point((0.0, 0.0, 20.0)), CylindricalShell(10.0, 60.0, 80.0), "cone"),  # surrounded
        (Source.point(), CylindricalShell(10.0, 60.0, 40.0, (0, 0, 100)), "axial"),
    ],
)
def test_mc_matches_closed_form(source, detector, method):
    exact = geometric_factor_exact(source, detector)
    value, error = geometric_factor_mc(
        source, detector, 2 * 10**6, np.random.default_rng(11), method=method
    )
    assert_mc_agrees(value, error, exact)


def test_mc_is_reproducible_with_the_same_seed():
    a = geometric_factor_mc(LXE_SOURCE, LXE_DETECTOR, 10**4, np.random.default_rng(3))
    b = geometric_factor_mc(LXE_SOURCE, LXE_DETECTOR, 10**4, np.random.default_rng(3))
    assert a == b


# --------------------------------------------------------------------------- finite sources


def sphere_average(source, ball_center_z, r_ball):
    """⟨G⟩ over a source cylinder at the origin for a ball on the z axis, by quadrature."""
    r, h = source.radius_cm, source.half_height_cm

    def integrand(z, rho):
        return (
            2 * math.pi * rho * gf_spherical_shell(0.0, r_ball, math.hypot(rho, ball_center_z - z))
        )

    total, _ = integrate.dblquad(integrand, 0.0, r, -h, h, epsabs=0, epsrel=1e-11)
    return total / source.volume_cm3


def test_finite_source_converges_to_the_point_value():
    z_ball, r_ball = 60.0, 30.0
    ball = SphericalShell(0.0, r_ball, (0.0, 0.0, z_ball))
    point = gf_spherical_shell(0.0, r_ball, z_ball)
    deviations = []
    for size in (20.0, 10.0, 5.0, 2.5):
        src = Source(size, size)
        exact = sphere_average(src, z_ball, r_ball)
        value, error = geometric_factor_mc(src, ball, 2 * 10**6, np.random.default_rng(5))
        assert_mc_agrees(value, error, exact)
        deviations.append(exact - point)
    deviations = np.array(deviations)
    assert np.all(deviations > 0)  # 1/L² is convex: a spread source sees more
    ratios = deviations[:-1] / deviations[1:]
    np.testing.assert_allclose(ratios, 4.0, rtol=0.1)  # finite-size correction ∝ size²


def test_lxe_source_shrinking_to_a_point():
    point = geometric_factor_exact(Source.point(), LXE_DETECTOR)
    values = []
    for size in (7.0, 0.7, 1e-4):
        src = Source(size, size)
        v, e = geometric_factor_mc(src, LXE_DETECTOR, 4 * 10**6, np.random.default_rng(2))
        assert e / point < 1e-4  # the axial method has a small variance here
        values.append((v, e))
    (v7, e7), (v07, e07), (v0, e0) = values
    assert abs(v0 - point) < 4 * e0
    assert abs(v07 - point) < 4 * e07
    assert v7 - point > 4 * e7  # the 14 cm source is visibly larger (~0.1%)
