"""Where and in which direction photons start, with exact weights; unweighting.

Direction biasing: a photon emitted isotropically reaches a distant detector
with probability Ω/4π (≈ 0.09 for seed 004's fiducial volume 1 m away). With
``cone_fraction`` q the direction is drawn with probability q uniformly in
the cone from the emission point around its target's bounding sphere
(solid angle Ω_c) and with probability 1 − q isotropically; the weight

    w = (1/4π) / (q·1[in cone]/Ω_c + (1 − q)/4π)

is the ratio of the analog to the sampled density, so the estimate is
unbiased for any q < 1 (directions outside the cone keep being sampled).

Together with the exponential transform of :mod:`.transport` this reaches
transmissions of 10⁻¹²; for 10⁻⁴⁰ (320 keV through 17 cm W) the weights
become very uneven and the narrow-beam figure
(:func:`.rates.narrow_beam_transmission`) is the useful one.
"""

from __future__ import annotations

import math

import numpy as np

from nusource.core.jit import jit
from nusource.core.pcg64 import uniform
from nusource.core.rng_kernels import disc_azimuth, isotropic_direction
from nusource.geometry.solids import BOX, CYLINDER, CYLINDRICAL_SHELL, SPHERICAL_SHELL
from nusource.geometry.uniform import fill_uniform


def solid_box(solid) -> tuple[np.ndarray, np.ndarray]:
    """Axis-aligned bounding box of a solid: (centre float64[3], half sizes float64[3]) [cm]."""
    p = solid.params
    if solid.kind == CYLINDER:
        half = (p[3], p[3], p[4])
    elif solid.kind == SPHERICAL_SHELL:
        half = (p[4], p[4], p[4])
    elif solid.kind == CYLINDRICAL_SHELL:
        half = (p[4], p[4], p[5])
    elif solid.kind == BOX:
        half = (p[3], p[4], p[5])
    else:
        raise ValueError(f"solid = {solid!r}: unknown kind {solid.kind}")
    return np.array(p[:3]), np.array(half, dtype=np.float64)


def uniform_in_solid(rng: np.random.Generator, n: int, solid, *, out=None) -> np.ndarray:
    """``n`` points uniform in a solid [cm], float64[n, 3] (rejection from its box),
    into ``out`` if given (float64[n, 3], e.g. columns of a larger array)."""
    if out is None:
        out = np.empty((int(n), 3))
    elif out.shape != (int(n), 3) or out.dtype != np.float64:
        raise ValueError(f"out: shape {out.shape}, dtype {out.dtype}; must be float64[{n}, 3]")
    fill_uniform(rng, int(solid.kind), solid.params, out[:, 0], out[:, 1], out[:, 2])
    return out


@jit
def _directions(points, target, radius, q, rng, out_dir, out_w):
    four_pi = 4.0 * math.pi
    tx, ty, tz = target[0], target[1], target[2]  # (read once: see geometry.solids.inside_at)
    for i in range(points.shape[0]):
        ax = tx - points[i, 0]
        ay = ty - points[i, 1]
        az = tz - points[i, 2]
        d = math.sqrt(ax * ax + ay * ay + az * az)
        cos_a = -1.0
        if d > radius:
            cos_a = math.sqrt(1.0 - (radius / d) ** 2)
        omega = 2.0 * math.pi * (1.0 - cos_a)
        if d > 0.0:
            ax /= d
            ay /= d
            az /= d
        else:
            az = 1.0
        if uniform(rng) < q:
            c = 1.0 - uniform(rng) * (1.0 - cos_a)
            cos_phi, sin_phi = disc_azimuth(rng)
            s = math.sqrt(max(0.0, 1.0 - c * c))
            # orthonormal frame around the axis
            if abs(az) < 0.9:
                e1x, e1y, e1z = -ay, ax, 0.0
            else:
                e1x, e1y, e1z = 0.0, -az, ay
            nrm = math.sqrt(e1x * e1x + e1y * e1y + e1z * e1z)
            e1x /= nrm
            e1y /= nrm
            e1z /= nrm
            e2x = ay * e1z - az * e1y
            e2y = az * e1x - ax * e1z
            e2z = ax * e1y - ay * e1x
            cp = s * cos_phi
            sp = s * sin_phi
            u = c * ax + cp * e1x + sp * e2x
            v = c * ay + cp * e1y + sp * e2y
            w = c * az + cp * e1z + sp * e2z
        else:
            u, v, w = isotropic_direction(rng)
        out_dir[i, 0] = u
        out_dir[i, 1] = v
        out_dir[i, 2] = w
        in_cone = u * ax + v * ay + w * az >= cos_a
        dens = (1.0 - q) / four_pi
        if in_cone:
            dens += q / omega
        out_w[i] = (1.0 / four_pi) / dens


def emission_directions(
    rng: np.random.Generator,
    points: np.ndarray,
    target_center,
    target_radius_cm: float,
    cone_fraction: float,
    *,
    out: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Directions from ``points`` biased toward a sphere, with their weights.

    Parameters
    ----------
    rng : numpy.random.Generator
    points : float64[n, 3]
        Emission points [cm].
    target_center : (float, float, float)
        Centre of the target's bounding sphere [cm].
    target_radius_cm : float
        Its radius [cm].
    cone_fraction : float
        q in [0, 1): share of directions drawn in the cone (0: isotropic, weight 1).
    out : (float64[n, 3], float64[n]), optional
        Where to write the directions and weights (e.g. columns of a larger
        array beside ``points``), returned.

    Returns
    -------
    directions : float64[n, 3]
        Unit vectors.
    weights : float64[n]
        Analog over sampled density (mean 1).
    """
    q = float(cone_fraction)
    if not (0.0 <= q < 1.0):
        raise ValueError(f"cone_fraction = {cone_fraction!r}: must be in [0, 1)")
    p = np.asarray(points, dtype=np.float64).reshape(-1, 3)  # (a view of columns stays one)
    if out is None:
        out_d, out_w = np.empty((p.shape[0], 3)), np.empty(p.shape[0])
    else:
        out_d, out_w = out
        if out_d.shape != p.shape or out_w.shape != (p.shape[0],):
            raise ValueError(
                f"out: shapes {out_d.shape}, {out_w.shape}; must be {p.shape}, ({p.shape[0]},)"
            )
    _directions(
        p,
        np.asarray(target_center, dtype=np.float64),
        float(target_radius_cm),
        q,
        rng,
        out_d,
        out_w,
    )
    return out_d, out_w


def unweight(
    weights: np.ndarray, rng: np.random.Generator, w_max: float | None = None
) -> tuple[np.ndarray, float]:
    """Accept events with probability w/w_max (unweighted output by rejection).

    Parameters
    ----------
    weights : float64[n]
        Event weights (≥ 0).
    rng : numpy.random.Generator
    w_max : float, optional
        Bound of the weights (default: their maximum). Events above it are
        kept with probability 1 and counted in the returned excess.

    Returns
    -------
    accepted : bool[n]
        Events to keep; each kept event stands for w_max analog events.
    w_max : float
        The bound used.
    """
    w = np.asarray(weights, dtype=np.float64)
    if np.any(~np.isfinite(w)) or np.any(w < 0.0):
        raise ValueError("weights: must be finite and >= 0")
    bound = float(w.max()) if w_max is None else float(w_max)
    if not bound > 0.0:
        raise ValueError(f"w_max = {w_max!r}: must be > 0")
    return rng.random(w.size) * bound < w, bound


__all__ = ["emission_directions", "solid_box", "uniform_in_solid", "unweight"]
