"""Geometric factor G = ∫_detector dV/(4πL²) [cm], averaged over the source.

With a uniform electron density n_e the expected number of scatters is
N = (decays) · n_e · σ · G (docs/physics.md §5). Closed forms:

- point at distance ρ from the centre of a spherical shell r_i ≤ r ≤ r_o:
  G = g(r_o) − g(r_i), g(r) = ½[r + (r² − ρ²)/(2ρ)·ln|(r + ρ)/(r − ρ)|]
  (g(r) → r as ρ → 0: at the centre G is the thickness r_o − r_i; far away
  G → V/(4πρ²));
- point on the axis of a cylinder of radius R whose faces lie at signed
  distances z₁ < z₂ along the axis: G = F(z₂) − F(z₁),
  F(z) = ¼[z·ln(1 + R²/z²) + 2R·arctan(z/R)]; a tube subtracts its hole.
"""

from __future__ import annotations

import math

import numpy as np

from .solids import CYLINDER, CYLINDRICAL_SHELL, SPHERICAL_SHELL, Solid
from .source import Source
from .vertices import sampling_plan, weight_moments


def _g_ball(r: float, rho: float) -> float:
    """G of a ball of radius r seen from distance rho [cm]."""
    if r == 0.0:
        return 0.0
    if rho == 0.0:
        return r
    if rho == r:
        return 0.5 * r
    return 0.5 * (r + (r * r - rho * rho) / (2.0 * rho) * math.log(abs((r + rho) / (r - rho))))


def gf_spherical_shell(r_inner_cm: float, r_outer_cm: float, distance_cm: float = 0.0) -> float:
    """G [cm] of a spherical shell for a point at ``distance_cm`` from its centre.

    Parameters
    ----------
    r_inner_cm, r_outer_cm : float
        Shell radii [cm], 0 ≤ r_inner < r_outer.
    distance_cm : float
        Distance of the point from the centre [cm], ≥ 0 (anywhere: in the
        hole, in the shell or outside). At 0 the result is the thickness.
    """
    if not (0.0 <= r_inner_cm < r_outer_cm):
        raise ValueError(
            f"r_inner_cm = {r_inner_cm!r}, r_outer_cm = {r_outer_cm!r}: need 0 <= r_inner < r_outer"
        )
    if not distance_cm >= 0.0:
        raise ValueError(f"distance_cm = {distance_cm!r}: must be >= 0")
    return _g_ball(r_outer_cm, distance_cm) - _g_ball(r_inner_cm, distance_cm)


def _f_axis(radius: float, z: float) -> float:
    if z == 0.0:
        return 0.0
    return 0.25 * (z * math.log1p((radius / z) ** 2) + 2.0 * radius * math.atan(z / radius))


def gf_cylinder_axis(
    radius_cm: float, z_near_cm: float, z_far_cm: float, r_inner_cm: float = 0.0
) -> float:
    """G [cm] of a cylinder (or tube) for a point on its axis (docs/physics.md §5).

    Parameters
    ----------
    radius_cm : float
        Cylinder radius [cm], > 0.
    z_near_cm, z_far_cm : float
        Signed distances of the two faces from the point along the axis [cm],
        z_near < z_far (z_near < 0 < z_far: the point is inside).
    r_inner_cm : float
        Radius of an axial hole [cm] (a tube), 0 ≤ r_inner < radius.
    """
    if not (radius_cm > 0.0 and 0.0 <= r_inner_cm < radius_cm):
        raise ValueError(
            f"radius_cm = {radius_cm!r}, r_inner_cm = {r_inner_cm!r}: need 0 <= r_inner < radius"
        )
    if not z_near_cm < z_far_cm:
        raise ValueError(f"z_near_cm = {z_near_cm!r}: must be < z_far_cm = {z_far_cm!r}")
    g = _f_axis(radius_cm, z_far_cm) - _f_axis(radius_cm, z_near_cm)
    if r_inner_cm > 0.0:
        g -= _f_axis(r_inner_cm, z_far_cm) - _f_axis(r_inner_cm, z_near_cm)
    return g


def geometric_factor_exact(source: Source, detector: Solid) -> float | None:
    """Closed-form G [cm] where one exists, else None.

    Exists for a point source with a spherical shell (anywhere) or with a
    cylinder or tube when the point lies on its axis.
    """
    if not source.is_point:
        return None
    p = np.array(source.center)
    c = np.array(detector.center)
    if detector.kind == SPHERICAL_SHELL:
        return gf_spherical_shell(
            detector.r_inner_cm, detector.r_outer_cm, float(np.linalg.norm(p - c))
        )
    if detector.kind in (CYLINDER, CYLINDRICAL_SHELL):
        if p[0] != c[0] or p[1] != c[1]:
            return None
        h = detector.half_height_cm
        z = c[2] - p[2]
        if detector.kind == CYLINDER:
            return gf_cylinder_axis(detector.radius_cm, z - h, z + h)
        return gf_cylinder_axis(detector.r_outer_cm, z - h, z + h, detector.r_inner_cm)
    return None


MC_BLOCK = 1 << 20
"""Tries per call of the compiled kernel (Ctrl-C is taken between calls)."""


def geometric_factor_mc(
    source: Source, detector: Solid, n: int, rng: np.random.Generator, *, method: str = "auto"
) -> tuple[float, float]:
    """Monte Carlo G [cm] averaged over the source volume, and its standard error [cm].

    Parameters
    ----------
    source : Source
        Active volume (uniform activity).
    detector : Solid
        Detector volume.
    n : int
        Number of tries (memory use does not grow with n), ≥ 2.
    rng : numpy.random.Generator
        Random stream.
    method : {'auto', 'cone', 'axial'}, keyword-only
        Sampling method (:func:`~nusource.geometry.vertices.sampling_plan`).

    Returns
    -------
    value_cm, error_cm : float
        Mean weight and its standard error.
    """
    if not (isinstance(n, int | np.integer) and n >= 2):
        raise ValueError(f"n = {n!r}: must be an integer >= 2")
    plan = sampling_plan(source, detector, method=method)
    # blocks of MC_BLOCK tries (~0.1 s each), so that Ctrl-C is taken between them; the
    # blocks' moments combine exactly (Chan, Golub & LeVeque 1979)
    total, mean, m2 = 0, 0.0, 0.0
    while total < n:
        k = min(MC_BLOCK, int(n) - total)
        mb, eb = weight_moments(rng, source.params, detector.kind, detector.params, plan, k)
        m2b = eb * eb * k * (k - 1)
        delta = mb - mean
        mean += delta * k / (total + k)
        m2 += m2b + delta * delta * total * k / (total + k)
        total += k
    return float(mean), float(math.sqrt(m2 / (n - 1) / n))


__all__ = [
    "geometric_factor_exact",
    "geometric_factor_mc",
    "gf_cylinder_axis",
    "gf_spherical_shell",
]
