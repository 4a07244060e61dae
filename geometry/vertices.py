"""Source points, ν directions and vertices distributed as dV/(4πL²).

For a detector of uniform density the vertex density of a source point s is
dV/(4πL²), L = |vertex − s|, and the geometric factor is
G = ⟨∫dV/(4πL²)⟩ over the source [cm] (docs/physics.md §5). Two exact methods,
packed by :func:`sampling_plan` into a float array the kernels read:

- ``CONE`` (any geometry). A source point s uniform in the active cylinder; a
  direction uniform in the cone from s that just contains the detector's
  bounding sphere (all 4π when s is inside it), of solid-angle fraction
  f(s) = (1 − cos α)/2; the chord of that ray through the detector, total
  length ℓ. Since dV = L² dΩ dL, a vertex uniform along the chord carries
  dV/(4πL²) with weight w = f·ℓ, so G = E[w]. Directions use Marsaglia's map
  from a disk to a spherical cap (one rejection pair, one square root, no
  trigonometry) and the branch-free basis of Duff et al., JCGT 6 (2017) 1.
- ``AXIAL`` (cylinder, tube or box wholly above or below the source). The
  vertex first: uniform over the detector's cross-section, density ∝ 1/ζ²
  in the height ζ above the source's nearest face z*; the weight is
  w = M·ζ²/L² ≤ M with M = A·(1/ζ_min − 1/ζ_max)/(4π), A the cross-section.
  Cheaper per try and, for the LXe setup, twice the acceptance.

- :func:`sample_weighted`: one try per event with its weight (a cone miss
  has weight 0 and a NaN vertex).
- :func:`sample_unweighted`: rejection on w against M (``plan[1]``): every
  event has weight 1, the source points follow the rate (∝ G(s)), and
  G = M · acceptance (:func:`geometric_factor_from_acceptance`).
- :func:`weight_moments`: G and its MC error without storing events.

Kernels take an explicit ``numpy.random.Generator`` and write into arrays the
caller preallocates; nothing is allocated inside the loops.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nusource.core.jit import jit, jit_inline
from nusource.core.pcg64 import uniform
from nusource.core.rng_kernels import split_pair

from .solids import (
    BOX,
    CYLINDER,
    CYLINDRICAL_SHELL,
    SPHERICAL_SHELL,
    Solid,
    bounding_sphere,
    chord_scalar,
)
from .source import Source

CONE = 0
"""Plan code: direction in a cone around the detector, vertex along the chord."""
AXIAL = 1
"""Plan code: vertex first, ∝ 1/ζ² along z, for a source wholly below/above the detector."""
_BOUND_MARGIN = 1e-9
"""Relative margin added to the cone bound against rounding."""


# --------------------------------------------------------------------------- kernels


@jit_inline
def _source_point(rng, cx, cy, cz, r, h):
    """Uniform point in the cylinder (centre c, radius r, half height h) [cm]; c if r = h = 0."""
    if r == 0.0 and h == 0.0:
        return cx, cy, cz
    while True:
        u, v = split_pair(rng)
        if u * u + v * v <= 1.0:
            break
    w = 2.0 * uniform(rng) - 1.0
    return cx + r * u, cy + r * v, cz + h * w


@jit
def _cone(bx, by, bz, rb, sx, sy, sz):
    """Cone from s around the sphere (b, rb): (fraction f of 4π, unit axis w)."""
    wx = bx - sx
    wy = by - sy
    wz = bz - sz
    d2 = wx * wx + wy * wy + wz * wz
    rb2 = rb * rb
    if d2 <= rb2:
        return 1.0, 0.0, 0.0, 1.0
    x = rb2 / d2
    f = 0.5 * x / (1.0 + math.sqrt(1.0 - x))
    inv = 1.0 / math.sqrt(d2)
    return f, wx * inv, wy * inv, wz * inv


@jit
def _cap_direction(rng, f, wx, wy, wz):
    """Unit vector uniform on the cap cos θ ≥ 1 − 2f around the unit axis w.

    Marsaglia: a point uniform in the disk of radius √f, q = its squared
    radius, maps to cos θ = 1 − 2q and the azimuth of the point.
    """
    while True:
        u, v = split_pair(rng)
        q = u * u + v * v
        if q <= 1.0:
            break
    s = f * q
    ct = 1.0 - 2.0 * s
    k = 2.0 * math.sqrt(f * (1.0 - s))
    lx = k * u
    ly = k * v
    sign = math.copysign(1.0, wz)
    a = -1.0 / (sign + wz)
    b = wx * wy * a
    dx = lx * (1.0 + sign * wx * wx * a) + ly * b + ct * wx
    dy = lx * (sign * b) + ly * (sign + wy * wy * a) + ct * wy
    dz = -lx * sign * wx - ly * wy + ct * wz
    return dx, dy, dz


@jit_inline
def _along(x, a0, b0, a1, b1):
    """Ray parameter t of the point at length x along the chord intervals.

    Clamped to the interval ends, so a rounding of x onto the total length
    never leaves the detector.
    """
    first = b0 - a0
    if x < first or not b1 > a1:
        return min(a0 + x, b0)
    return min(a1 + (x - first), b1)


@jit_inline
def _cone_try(rng, s0, s1, s2, s3, s4, kind, p0, p1, p2, p3, p4, p5, bx, by, bz, rb):
    """One cone try: source point, direction, cone fraction f and the chord intervals."""
    sx, sy, sz = _source_point(rng, s0, s1, s2, s3, s4)
    f, wx, wy, wz = _cone(bx, by, bz, rb, sx, sy, sz)
    dx, dy, dz = _cap_direction(rng, f, wx, wy, wz)
    n, a0, b0, a1, b1 = chord_scalar(kind, p0, p1, p2, p3, p4, p5, sx, sy, sz, dx, dy, dz)
    return sx, sy, sz, dx, dy, dz, f, n, a0, b0, a1, b1


@jit_inline
def _axial_try(rng, s0, s1, s2, s3, s4, kind, p0, p1, p2, p3, p4, z_star, sign, inv_a, span):
    """One axial try: source point, vertex, and ζ² and L² for the acceptance ζ²/L².

    The vertex is uniform over the detector's cross-section (disk, annulus
    or rectangle) and has density ∝ 1/ζ² in ζ = |z − z*| ∈ [a, b], by the
    inverse CDF 1/ζ = 1/a − u·(1/a − 1/b).
    """
    sx, sy, sz = _source_point(rng, s0, s1, s2, s3, s4)
    if kind == BOX:
        u, v = split_pair(rng)
        vx = p0 + p3 * u
        vy = p1 + p4 * v
    else:
        r_out = p3
        r_in2 = 0.0
        if kind == CYLINDRICAL_SHELL:
            r_out = p4
            r_in2 = (p3 / p4) ** 2
        while True:
            u, v = split_pair(rng)
            q = u * u + v * v
            if q <= 1.0 and q >= r_in2:
                break
        vx = p0 + r_out * u
        vy = p1 + r_out * v
    zeta = 1.0 / (inv_a - uniform(rng) * span)
    vz = z_star + sign * zeta
    ex = vx - sx
    ey = vy - sy
    ez = vz - sz
    return sx, sy, sz, vx, vy, vz, zeta * zeta, ex * ex + ey * ey + ez * ez


@jit
def _store(i, sx, sy, sz, dx, dy, dz, t, out_source, out_direction, out_length, out_vertex):
    out_source[i, 0] = sx
    out_source[i, 1] = sy
    out_source[i, 2] = sz
    out_direction[i, 0] = dx
    out_direction[i, 1] = dy
    out_direction[i, 2] = dz
    out_length[i] = t
    out_vertex[i, 0] = sx + t * dx
    out_vertex[i, 1] = sy + t * dy
    out_vertex[i, 2] = sz + t * dz


@jit
def sample_weighted(
    rng, src, kind, det, plan, out_source, out_direction, out_length, out_vertex, out_weight
):
    """Weighted sampling: one try per event; E[weight] = G [cm].

    Parameters
    ----------
    rng : numpy.random.Generator
        Random stream (consumed).
    src : float64[5]
        Source (cx, cy, cz, radius, half_height) [cm] (:attr:`Source.params`).
    kind : int
        Detector solid code.
    det : float64[8]
        Detector packed parameters [cm].
    plan : float64[8]
        From :func:`sampling_plan`.
    out_source, out_direction, out_vertex : float64[n, 3]
        Filled with the source point [cm], the unit ν direction and the
        vertex [cm]. A cone miss (weight 0) gets a NaN vertex and length.
    out_length : float64[n]
        Flight length L = |vertex − source point| [cm].
    out_weight : float64[n]
        Weight [cm]: f·ℓ (cone) or M·ζ²/L² (axial).
    """
    s0, s1, s2, s3, s4 = src[0], src[1], src[2], src[3], src[4]
    p0, p1, p2, p3, p4, p5 = det[0], det[1], det[2], det[3], det[4], det[5]
    bx, by, bz, rb = bounding_sphere(kind, det)
    axial = plan[0] == AXIAL
    bound, z_star, sign, inv_a, span = plan[1], plan[2], plan[5], plan[6], plan[7]
    for i in range(out_weight.shape[0]):
        if axial:
            sx, sy, sz, vx, vy, vz, z2, l2 = _axial_try(
                rng, s0, s1, s2, s3, s4, kind, p0, p1, p2, p3, p4, z_star, sign, inv_a, span
            )
            t = math.sqrt(l2)
            inv = 1.0 / t
            dx = (vx - sx) * inv
            dy = (vy - sy) * inv
            dz = (vz - sz) * inv
            out_weight[i] = bound * z2 / l2
        else:
            sx, sy, sz, dx, dy, dz, f, n, a0, b0, a1, b1 = _cone_try(
                rng, s0, s1, s2, s3, s4, kind, p0, p1, p2, p3, p4, p5, bx, by, bz, rb
            )
            ell = (b0 - a0) + (b1 - a1)
            out_weight[i] = f * ell
            t = math.nan
            if n > 0:
                t = _along(uniform(rng) * ell, a0, b0, a1, b1)
        _store(i, sx, sy, sz, dx, dy, dz, t, out_source, out_direction, out_length, out_vertex)


@jit
def sample_unweighted_columns(
    rng,
    src,
    kind,
    det,
    plan,
    sx_out,
    sy_out,
    sz_out,
    dx_out,
    dy_out,
    dz_out,
    l_out,
    vx_out,
    vy_out,
    vz_out,
):
    """:func:`sample_unweighted` into separate 1-D columns (source point, ν direction,
    flight length, vertex), e.g. the contiguous columns of an event chunk.

    Unweighted sampling by rejection: every event has weight 1.

    A try is accepted with probability w/M (w its weight, M = ``plan[1]``);
    in the cone method the accepting uniform, rescaled, places the vertex
    along the chord.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random stream (consumed).
    src : float64[5]
        Source (cx, cy, cz, radius, half_height) [cm].
    kind : int
        Detector solid code.
    det : float64[8]
        Detector packed parameters [cm].
    plan : float64[8]
        From :func:`sampling_plan`.
    sx_out, sy_out, sz_out : float64[n]
        Source point [cm].
    dx_out, dy_out, dz_out : float64[n]
        Unit ν direction.
    l_out : float64[n]
        Flight length L [cm].
    vx_out, vy_out, vz_out : float64[n]
        Vertex [cm].

    Returns
    -------
    n_tries : int
        Tries used: acceptance n / n_tries, G = M · acceptance
        (:func:`geometric_factor_from_acceptance`).
    n_over : int
        Tries with weight > M (the bound was violated and the sample is
        biased); 0 whenever the plan's bound is valid.
    """
    s0, s1, s2, s3, s4 = src[0], src[1], src[2], src[3], src[4]
    p0, p1, p2, p3, p4, p5 = det[0], det[1], det[2], det[3], det[4], det[5]
    bx, by, bz, rb = bounding_sphere(kind, det)
    axial = plan[0] == AXIAL
    bound, z_star, sign, inv_a, span = plan[1], plan[2], plan[5], plan[6], plan[7]
    n_tries = 0
    n_over = 0
    for i in range(l_out.shape[0]):
        if axial:
            while True:
                n_tries += 1
                sx, sy, sz, vx, vy, vz, z2, l2 = _axial_try(
                    rng, s0, s1, s2, s3, s4, kind, p0, p1, p2, p3, p4, z_star, sign, inv_a, span
                )
                if uniform(rng) * l2 < z2:
                    break
            t = math.sqrt(l2)
            inv = 1.0 / t
            dx = (vx - sx) * inv
            dy = (vy - sy) * inv
            dz = (vz - sz) * inv
        else:
            while True:
                n_tries += 1
                sx, sy, sz, dx, dy, dz, f, n, a0, b0, a1, b1 = _cone_try(
                    rng, s0, s1, s2, s3, s4, kind, p0, p1, p2, p3, p4, p5, bx, by, bz, rb
                )
                w = f * ((b0 - a0) + (b1 - a1))
                if w > bound:
                    n_over += 1
                x = uniform(rng) * bound
                if x < w:
                    break
            t = _along(x / f, a0, b0, a1, b1)
        sx_out[i], sy_out[i], sz_out[i] = sx, sy, sz
        dx_out[i], dy_out[i], dz_out[i] = dx, dy, dz
        l_out[i] = t
        vx_out[i], vy_out[i], vz_out[i] = sx + t * dx, sy + t * dy, sz + t * dz
    return n_tries, n_over


@jit
def sample_unweighted(rng, src, kind, det, plan, out_source, out_direction, out_length, out_vertex):
    """Unweighted sampling by rejection: every event has weight 1.

    Same as :func:`sample_unweighted_columns` with (n, 3) arrays for the
    source points, directions and vertices; returns (n_tries, n_over).
    """
    return sample_unweighted_columns(
        rng,
        src,
        kind,
        det,
        plan,
        out_source[:, 0],
        out_source[:, 1],
        out_source[:, 2],
        out_direction[:, 0],
        out_direction[:, 1],
        out_direction[:, 2],
        out_length,
        out_vertex[:, 0],
        out_vertex[:, 1],
        out_vertex[:, 2],
    )


@jit
def weight_moments(rng, src, kind, det, plan, n):
    """Mean weight and its standard error over n tries, storing nothing.

    Returns
    -------
    mean, error : float
        Estimate of G [cm] and its MC standard error [cm].
    """
    s0, s1, s2, s3, s4 = src[0], src[1], src[2], src[3], src[4]
    p0, p1, p2, p3, p4, p5 = det[0], det[1], det[2], det[3], det[4], det[5]
    bx, by, bz, rb = bounding_sphere(kind, det)
    axial = plan[0] == AXIAL
    bound, z_star, sign, inv_a, span = plan[1], plan[2], plan[5], plan[6], plan[7]
    shift = 0.0
    s1_ = 0.0
    s2_ = 0.0
    for i in range(n):
        if axial:
            _, _, _, _, _, _, z2, l2 = _axial_try(
                rng, s0, s1, s2, s3, s4, kind, p0, p1, p2, p3, p4, z_star, sign, inv_a, span
            )
            w = bound * z2 / l2
        else:
            _, _, _, _, _, _, f, _, a0, b0, a1, b1 = _cone_try(
                rng, s0, s1, s2, s3, s4, kind, p0, p1, p2, p3, p4, p5, bx, by, bz, rb
            )
            w = f * ((b0 - a0) + (b1 - a1))
        if i == 0:
            shift = w
        w -= shift
        s1_ += w
        s2_ += w * w
    m = s1_ / n
    var = max(s2_ / n - m * m, 0.0) * n / max(n - 1, 1)
    return shift + m, math.sqrt(var / n)


# --------------------------------------------------------------------------- plans


def chord_bound(source: Source, detector: Solid) -> float:
    """Upper bound [cm] on the detector chord of any ray starting in the source.

    Rigorous, and tighter than the detector's diameter where the geometry
    allows: for a cylinder of radius R and height H, a ray from a point at
    horizontal distance ≤ ρ from its axis and vertical gap ≥ δ from its slab
    has ℓ ≤ √(H² + min(2R, H(ρ + R)/(δ + H))²); for a spherical shell with the
    source inside its hole (distance ≤ ρ < r_in from the centre),
    ℓ ≤ √(r_out² − ρ²) − √(r_in² − ρ²); otherwise 2√(r_out² − r_in²).
    """
    src = source.params
    c = detector.center
    dxy = math.hypot(src[0] - c[0], src[1] - c[1])
    dz = abs(src[2] - c[2])
    if detector.kind in (CYLINDER, CYLINDRICAL_SHELL):
        r = detector.radius_cm if detector.kind == CYLINDER else detector.r_outer_cm
        h = detector.half_height_cm
        rho = dxy + source.radius_cm
        delta = max(0.0, dz - source.half_height_cm - h)
        height = 2.0 * h
        return math.hypot(height, min(2.0 * r, height * (rho + r) / (delta + height)))
    if detector.kind == SPHERICAL_SHELL:
        ri, ro = detector.r_inner_cm, detector.r_outer_cm
        rho = math.hypot(dxy + source.radius_cm, dz + source.half_height_cm)
        if rho < ri:
            return math.sqrt(ro * ro - rho * rho) - math.sqrt(ri * ri - rho * rho)
        return 2.0 * math.sqrt(ro * ro - ri * ri)
    if detector.kind == BOX:
        return 2.0 * math.sqrt(
            detector.half_x_cm**2 + detector.half_y_cm**2 + detector.half_z_cm**2
        )
    raise ValueError(f"detector = {detector!r}: not a known solid")


def solid_angle_fraction_max(source: Source, detector: Solid) -> float:
    """Largest cone fraction f(s) = (1 − cos α)/2 over the source points (1 if 4π)."""
    (bx, by, bz), rb = detector.bounding_sphere
    cx, cy, cz, r, h = source.params
    gap_xy = max(0.0, math.hypot(bx - cx, by - cy) - r)
    gap_z = max(0.0, abs(bz - cz) - h)
    d2 = gap_xy**2 + gap_z**2
    if d2 <= rb * rb:
        return 1.0
    x = rb * rb / d2
    return 0.5 * x / (1.0 + math.sqrt(1.0 - x))


def rejection_bound(source: Source, detector: Solid) -> float:
    """Cone method: bound M ≥ f·ℓ [cm] (f_max × chord bound, with a 1e-9 margin)."""
    return (
        solid_angle_fraction_max(source, detector)
        * chord_bound(source, detector)
        * (1.0 + _BOUND_MARGIN)
    )


def _axial_plan(source: Source, detector: Solid) -> np.ndarray | None:
    """Axial plan, or None if the source is not wholly below or above the detector slab."""
    if detector.kind not in (CYLINDER, CYLINDRICAL_SHELL, BOX):
        return None
    cz = detector.center[2]
    h = detector.half_height_cm if detector.kind != BOX else detector.half_z_cm
    s_lo = source.center[2] - source.half_height_cm
    s_hi = source.center[2] + source.half_height_cm
    if s_hi < cz - h:
        z_star, sign, a, b = s_hi, 1.0, cz - h - s_hi, cz + h - s_hi
    elif s_lo > cz + h:
        z_star, sign, a, b = s_lo, -1.0, s_lo - (cz + h), s_lo - (cz - h)
    else:
        return None
    if detector.kind == BOX:
        area = 4.0 * detector.half_x_cm * detector.half_y_cm
    elif detector.kind == CYLINDER:
        area = math.pi * detector.radius_cm**2
    else:
        area = math.pi * (detector.r_outer_cm**2 - detector.r_inner_cm**2)
    span = 1.0 / a - 1.0 / b
    return np.array([AXIAL, area * span / (4.0 * math.pi), z_star, a, b, sign, 1.0 / a, span])


def sampling_plan(source: Source, detector: Solid, *, method: str = "auto") -> np.ndarray:
    """Packed sampling plan for the kernels: float64[8].

    Parameters
    ----------
    source : Source
        Active volume.
    detector : Solid
        Detector volume.
    method : {'auto', 'cone', 'axial'}, keyword-only
        ``'cone'``: direction in the cone around the detector's bounding
        sphere, vertex along the chord (any geometry). ``'axial'``: vertex
        first, uniform over the cross-section of a cylinder, tube or box and
        ∝ 1/ζ² along z, ζ the height above the source's nearest face;
        acceptance ζ²/L² ≤ 1 (only when the source lies wholly below or above
        the detector). ``'auto'``: the applicable method with the smaller
        bound M, i.e. the higher acceptance G/M.

    Returns
    -------
    ndarray, float64[8]
        ``[method, M, z*, ζ_min, ζ_max, ±1, 1/ζ_min, 1/ζ_min − 1/ζ_max]``;
        M [cm] bounds every weight, so G = M · acceptance.
    """
    if method not in ("auto", "cone", "axial"):
        raise ValueError(f"method = {method!r}: must be 'auto', 'cone' or 'axial'")
    cone = np.zeros(8)
    cone[0] = CONE
    cone[1] = rejection_bound(source, detector)
    if method == "cone":
        return cone
    axial = _axial_plan(source, detector)
    if axial is None:
        if method == "axial":
            raise ValueError(
                f"method = 'axial': the source (z in [{source.center[2] - source.half_height_cm}, "
                f"{source.center[2] + source.half_height_cm}] cm) must lie wholly below or above "
                f"a cylinder, tube or box detector; got {detector!r}"
            )
        return cone
    if method == "axial" or axial[1] <= cone[1]:
        return axial
    return cone


def geometric_factor_from_acceptance(n_accepted: int, n_tries: int, bound: float):
    """G = M·p [cm] and its error from an unweighted run.

    Uses the unbiased estimate p = (n − 1)/(N − 1) for sampling until n
    acceptances, with error M·√(p(1 − p)/(N − 1)).
    """
    if not (n_accepted >= 2 and n_tries >= n_accepted):
        raise ValueError(
            f"n_accepted = {n_accepted!r}, n_tries = {n_tries!r}: need 2 ≤ n_accepted ≤ n_tries"
        )
    p = (n_accepted - 1) / (n_tries - 1)
    return bound * p, bound * math.sqrt(p * (1.0 - p) / (n_tries - 1))


# --------------------------------------------------------------------------- convenience


@dataclass(frozen=True)
class Vertices:
    """Sampled events (arrays of length n) and the geometric factor of the run.

    Attributes
    ----------
    source_point, direction, vertex : ndarray, shape (n, 3)
        Source point [cm], unit ν direction, vertex [cm].
    length_cm : ndarray, shape (n,)
        Flight length L [cm].
    weight_cm : ndarray, shape (n,)
        Weight [cm] (weighted) or the constant G (unweighted), so that
        Σ weight / n estimates G either way.
    n_tries : int
        Tries used.
    geometric_factor_cm, geometric_factor_err_cm : float
        G = ⟨∫dV/(4πL²)⟩ [cm] and its MC error.
    """

    source_point: np.ndarray
    direction: np.ndarray
    length_cm: np.ndarray
    vertex: np.ndarray
    weight_cm: np.ndarray
    n_tries: int
    geometric_factor_cm: float
    geometric_factor_err_cm: float


def sample_vertices(
    source: Source,
    detector: Solid,
    n: int,
    rng: np.random.Generator,
    *,
    weighted: bool = False,
    method: str = "auto",
) -> Vertices:
    """Sample n events (allocating the arrays; production code calls the kernels).

    Parameters
    ----------
    source : Source
        Active volume.
    detector : Solid
        Detector volume (uniform density assumed).
    n : int
        Number of events, ≥ 2.
    rng : numpy.random.Generator
        Random stream.
    weighted : bool, keyword-only
        Weighted sampling (:func:`sample_weighted`) instead of unweighted.
    method : {'auto', 'cone', 'axial'}, keyword-only
        See :func:`sampling_plan`.
    """
    if not (isinstance(n, int | np.integer) and n >= 2):
        raise ValueError(f"n = {n!r}: must be an integer >= 2")
    plan = sampling_plan(source, detector, method=method)
    src = source.params
    det = detector.params
    sp = np.empty((n, 3))
    di = np.empty((n, 3))
    vx = np.empty((n, 3))
    ln = np.empty(n)
    if weighted:
        w = np.empty(n)
        sample_weighted(rng, src, detector.kind, det, plan, sp, di, ln, vx, w)
        g = float(w.mean())
        err = float(w.std(ddof=1) / math.sqrt(n))
        tries = n
    else:
        tries, over = sample_unweighted(rng, src, detector.kind, det, plan, sp, di, ln, vx)
        if over:
            raise RuntimeError(f"bound M = {plan[1]} cm exceeded in {over} tries: plan invalid")
        g, err = geometric_factor_from_acceptance(n, tries, plan[1])
        w = np.full(n, g)
    return Vertices(sp, di, ln, vx, w, int(tries), g, err)


__all__ = [
    "AXIAL",
    "CONE",
    "Vertices",
    "chord_bound",
    "geometric_factor_from_acceptance",
    "rejection_bound",
    "sample_unweighted",
    "sample_vertices",
    "sample_weighted",
    "sampling_plan",
    "solid_angle_fraction_max",
    "weight_moments",
]
