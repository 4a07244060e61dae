"""Solids placed in the lab frame, with numba point-inside and ray kernels.

Four solids, all axis-aligned (cylinder axes along the lab z axis):

============================  ====  =============================================
class                         kind  packed ``params`` (float64[8], cm)
============================  ====  =============================================
:class:`Cylinder`             0     cx, cy, cz, radius, half_height
:class:`SphericalShell`       1     cx, cy, cz, r_inner, r_outer
:class:`CylindricalShell`     2     cx, cy, cz, r_inner, r_outer, half_height
:class:`Box`                  3     cx, cy, cz, half_x, half_y, half_z
============================  ====  =============================================

Unused slots are zero. A solid sphere is ``SphericalShell(0.0, R)``; a
cylindrical shell is a tube, open along its axis (the hole runs through).
Solids are closed sets: a point on the surface is inside.

The kernels :func:`inside`, :func:`chord` and :func:`bounding_sphere` take
``(kind, params, ...)`` so a compiled loop dispatches on a number and never
sees a Python object.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from nusource.core.jit import jit, jit_inline

CYLINDER = 0
SPHERICAL_SHELL = 1
CYLINDRICAL_SHELL = 2
BOX = 3
N_PARAMS = 8
"""Length of every packed parameter array."""
MAX_INTERVALS = 2
"""Most intervals a ray can have inside one solid (a shell, through its hole)."""

_INF = math.inf


# --------------------------------------------------------------------------- validation


def _check_length(owner: str, name: str, value: float, *, allow_zero: bool = False) -> float:
    """Return ``value`` as float or raise a ValueError naming the field."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{owner}.{name} = {value!r}: must be a real number [cm]") from None
    ok = math.isfinite(v) and (v >= 0.0 if allow_zero else v > 0.0)
    if not ok:
        allowed = "finite and >= 0" if allow_zero else "finite and > 0"
        raise ValueError(f"{owner}.{name} = {value!r}: must be {allowed} [cm]")
    return v


def _check_radii(owner: str, r_inner, r_outer) -> tuple[float, float]:
    """Validated (r_inner_cm, r_outer_cm) of a shell: 0 ≤ r_inner < r_outer."""
    ri = _check_length(owner, "r_inner_cm", r_inner, allow_zero=True)
    ro = _check_length(owner, "r_outer_cm", r_outer)
    if not ri < ro:
        raise ValueError(f"{owner}.r_inner_cm = {r_inner!r}: must be < r_outer_cm = {ro!r}")
    return ri, ro


def _check_center(owner: str, center) -> tuple[float, float, float]:
    """Return ``center`` as a tuple of three finite floats or raise a ValueError."""
    try:
        c = tuple(float(v) for v in center)
    except (TypeError, ValueError):
        raise ValueError(f"{owner}.center = {center!r}: must be three real numbers [cm]") from None
    if len(c) != 3 or not all(math.isfinite(v) for v in c):
        raise ValueError(
            f"{owner}.center = {center!r}: must be three finite numbers (x, y, z) [cm]"
        )
    return c


# --------------------------------------------------------------------------- dataclasses


class _Solid:
    """Methods shared by every solid (a mixin; the subclasses are frozen dataclasses)."""

    kind: int = -1

    @property
    def params(self) -> np.ndarray:
        """Packed parameters, float64[8] [cm] (see the module table)."""
        raise NotImplementedError

    @property
    def bounding_sphere(self) -> tuple[np.ndarray, float]:
        """Smallest sphere around the solid: (centre float64[3] [cm], radius [cm])."""
        cx, cy, cz, r = bounding_sphere(self.kind, self.params)
        return np.array([cx, cy, cz]), r

    def contains(self, point) -> bool:
        """True if ``point`` (x, y, z) [cm] is inside or on the surface.

        One point from Python: the kernel's Python form (the same code), which
        costs no compiled-code loading at a command's start.
        """
        x, y, z = (float(v) for v in point)
        return bool(getattr(inside, "py_func", inside)(self.kind, self.params, x, y, z))

    def intervals(self, origin, direction) -> np.ndarray:
        """Intervals of the ray ``origin + t·direction``, t ≥ 0, inside the solid.

        Parameters
        ----------
        origin : array_like, shape (3,)
            Start of the ray [cm].
        direction : array_like, shape (3,)
            Direction; normalised here, so ``t`` is a length [cm].

        Returns
        -------
        ndarray, shape (k, 2)
            ``[t_in, t_out]`` rows in increasing order [cm], k ≤ 2.
        """
        o = np.asarray(origin, dtype=np.float64)
        d = np.asarray(direction, dtype=np.float64)
        norm = float(np.sqrt(d @ d))
        if not norm > 0.0:
            raise ValueError(f"direction = {direction!r}: must be a nonzero vector")
        d = d / norm
        n, a0, b0, a1, b1 = chord(self.kind, self.params, o[0], o[1], o[2], d[0], d[1], d[2])
        return np.array([[a0, b0], [a1, b1]])[:n]


@dataclass(frozen=True)
class Cylinder(_Solid):
    """Solid cylinder with its axis along z.

    Parameters
    ----------
    radius_cm : float
        Radius [cm], > 0.
    half_height_cm : float
        Half of the height [cm], > 0.
    center : (float, float, float)
        Centre [cm].
    """

    radius_cm: float
    half_height_cm: float
    center: tuple[float, float, float] = field(default=(0.0, 0.0, 0.0))
    kind = CYLINDER

    def __post_init__(self):
        object.__setattr__(
            self, "radius_cm", _check_length("Cylinder", "radius_cm", self.radius_cm)
        )
        object.__setattr__(
            self, "half_height_cm", _check_length("Cylinder", "half_height_cm", self.half_height_cm)
        )
        object.__setattr__(self, "center", _check_center("Cylinder", self.center))

    @property
    def params(self) -> np.ndarray:
        return _pack(self.center, self.radius_cm, self.half_height_cm)

    @property
    def volume_cm3(self) -> float:
        """Volume [cm³]."""
        return 2.0 * math.pi * self.radius_cm**2 * self.half_height_cm


@dataclass(frozen=True)
class SphericalShell(_Solid):
    """Spherical shell ``r_inner ≤ |x − centre| ≤ r_outer`` (a ball if r_inner = 0).

    Parameters
    ----------
    r_inner_cm : float
        Inner radius [cm], ≥ 0 and < r_outer_cm.
    r_outer_cm : float
        Outer radius [cm], > 0.
    center : (float, float, float)
        Centre [cm].
    """

    r_inner_cm: float
    r_outer_cm: float
    center: tuple[float, float, float] = field(default=(0.0, 0.0, 0.0))
    kind = SPHERICAL_SHELL

    def __post_init__(self):
        ri, ro = _check_radii("SphericalShell", self.r_inner_cm, self.r_outer_cm)
        object.__setattr__(self, "r_inner_cm", ri)
        object.__setattr__(self, "r_outer_cm", ro)
        object.__setattr__(self, "center", _check_center("SphericalShell", self.center))

    @property
    def params(self) -> np.ndarray:
        return _pack(self.center, self.r_inner_cm, self.r_outer_cm)

    @property
    def volume_cm3(self) -> float:
        """Volume [cm³]."""
        return 4.0 / 3.0 * math.pi * (self.r_outer_cm**3 - self.r_inner_cm**3)


@dataclass(frozen=True)
class CylindricalShell(_Solid):
    """Tube ``r_inner ≤ ρ ≤ r_outer``, ``|z − cz| ≤ half_height`` (axis along z).

    Parameters
    ----------
    r_inner_cm : float
        Inner radius [cm], ≥ 0 and < r_outer_cm (0 gives a solid cylinder).
    r_outer_cm : float
        Outer radius [cm], > 0.
    half_height_cm : float
        Half of the height [cm], > 0.
    center : (float, float, float)
        Centre [cm].
    """

    r_inner_cm: float
    r_outer_cm: float
    half_height_cm: float
    center: tuple[float, float, float] = field(default=(0.0, 0.0, 0.0))
    kind = CYLINDRICAL_SHELL

    def __post_init__(self):
        ri, ro = _check_radii("CylindricalShell", self.r_inner_cm, self.r_outer_cm)
        h = _check_length("CylindricalShell", "half_height_cm", self.half_height_cm)
        object.__setattr__(self, "r_inner_cm", ri)
        object.__setattr__(self, "r_outer_cm", ro)
        object.__setattr__(self, "half_height_cm", h)
        object.__setattr__(self, "center", _check_center("CylindricalShell", self.center))

    @property
    def params(self) -> np.ndarray:
        return _pack(self.center, self.r_inner_cm, self.r_outer_cm, self.half_height_cm)

    @property
    def volume_cm3(self) -> float:
        """Volume [cm³]."""
        return 2.0 * math.pi * (self.r_outer_cm**2 - self.r_inner_cm**2) * self.half_height_cm


@dataclass(frozen=True)
class Box(_Solid):
    """Axis-aligned box ``|x − cx| ≤ half_x`` etc.

    Parameters
    ----------
    half_x_cm, half_y_cm, half_z_cm : float
        Half sizes [cm], > 0.
    center : (float, float, float)
        Centre [cm].
    """

    half_x_cm: float
    half_y_cm: float
    half_z_cm: float
    center: tuple[float, float, float] = field(default=(0.0, 0.0, 0.0))
    kind = BOX

    def __post_init__(self):
        for name in ("half_x_cm", "half_y_cm", "half_z_cm"):
            object.__setattr__(self, name, _check_length("Box", name, getattr(self, name)))
        object.__setattr__(self, "center", _check_center("Box", self.center))

    @property
    def params(self) -> np.ndarray:
        return _pack(self.center, self.half_x_cm, self.half_y_cm, self.half_z_cm)

    @property
    def volume_cm3(self) -> float:
        """Volume [cm³]."""
        return 8.0 * self.half_x_cm * self.half_y_cm * self.half_z_cm


Solid = Cylinder | SphericalShell | CylindricalShell | Box
"""Any of the four solids."""


def _pack(center, *values: float) -> np.ndarray:
    p = np.zeros(N_PARAMS)
    p[:3] = center
    p[3 : 3 + len(values)] = values
    return p


# --------------------------------------------------------------------------- kernels


@jit_inline
def inside(kind, params, x, y, z):
    """True if the point (x, y, z) [cm] is inside the solid (surface included).

    Parameters
    ----------
    kind : int
        Solid code (0 cylinder, 1 spherical shell, 2 cylindrical shell, 3 box).
    params : float64[8]
        Packed parameters [cm].
    x, y, z : float
        Point [cm].
    """
    return inside_at(
        kind, params[0], params[1], params[2], params[3], params[4], params[5], x, y, z
    )


@jit_inline
def inside_at(kind, cx, cy, cz, p3, p4, p5, x, y, z):
    """:func:`inside` with the parameters unpacked (centre, ``params[3:6]``).

    Loops call this form with the parameters read once before them: numba
    reference-counts an array handed to a function at every turn of a loop
    that also calls others (the random generator), which cost a rejection
    loop more than its test (``fill_uniform``: ~60 % of its time).
    """
    px = x - cx
    py = y - cy
    pz = z - cz
    # (& rather than and: both tests without a branch, mispredicted in rejection loops)
    if kind == CYLINDER:
        return (px * px + py * py <= p3 * p3) & (abs(pz) <= p4)
    if kind == SPHERICAL_SHELL:
        r2 = px * px + py * py + pz * pz
        return (p3 * p3 <= r2) & (r2 <= p4 * p4)
    if kind == CYLINDRICAL_SHELL:
        r2 = px * px + py * py
        return (p3 * p3 <= r2) & (r2 <= p4 * p4) & (abs(pz) <= p5)
    if kind == BOX:
        return (abs(px) <= p3) & (abs(py) <= p4) & (abs(pz) <= p5)
    return False


@jit_inline
def inside_row(kind, params, r, x, y, z):
    """:func:`inside` for the solid in row r of ``params`` (float64[R, 8]; no row view)."""
    p = params
    return inside_at(kind, p[r, 0], p[r, 1], p[r, 2], p[r, 3], p[r, 4], p[r, 5], x, y, z)


@jit
def _inside_where_in(kind, params, x, y, z, value, lo, hi, out):
    c0, c1, c2, p3, p4, p5 = params[0], params[1], params[2], params[3], params[4], params[5]
    for i in range(x.shape[0]):
        v = value[i]
        out[i] = (
            v > 0.0 and lo <= v < hi and inside_at(kind, c0, c1, c2, p3, p4, p5, x[i], y[i], z[i])
        )


def inside_where_in(kind: int, params, x, y, z, value, lo: float, hi: float) -> np.ndarray:
    """Points inside the solid whose ``value`` is positive and in [lo, hi): bool[n].

    One pass over the arrays (float64[n] each; points in cm); the solid is
    tested only where the value passes (a NaN point elsewhere is no matter).
    """
    out = np.empty(np.shape(x)[0], dtype=np.bool_)
    _inside_where_in(
        int(kind),
        np.ascontiguousarray(params, dtype=np.float64),
        x,
        y,
        z,
        value,
        float(lo),
        float(hi),
        out,
    )
    return out


@jit
def _slab(o, d, half):
    """Interval of t with |o + t·d| ≤ half (empty: lo > hi)."""
    if d == 0.0:
        if abs(o) <= half:
            return -_INF, _INF
        return _INF, -_INF
    inv = 1.0 / d
    t0 = (-half - o) * inv
    t1 = (half - o) * inv
    return min(t0, t1), max(t0, t1)


@jit
def _quadric(a, b, c):
    """Interval of t with a·t² + 2b·t + c ≤ 0 for a ≥ 0 (empty: lo > hi).

    Uses the cancellation-free root pair q/a, c/q.
    """
    if a == 0.0:
        if c <= 0.0:
            return -_INF, _INF
        return _INF, -_INF
    disc = b * b - a * c
    if disc < 0.0:
        return _INF, -_INF
    q = -(b + math.copysign(math.sqrt(disc), b))
    if q == 0.0:
        return 0.0, 0.0
    t0 = q / a
    t1 = c / q
    return min(t0, t1), max(t0, t1)


@jit
def _disk(px, py, dx, dy, r):
    """Interval of t inside the infinite cylinder of radius r around the z axis."""
    return _quadric(dx * dx + dy * dy, px * dx + py * dy, px * px + py * py - r * r)


@jit
def _ball(px, py, pz, dx, dy, dz, r):
    """Interval of t inside the ball of radius r around the origin."""
    return _quadric(
        dx * dx + dy * dy + dz * dz,
        px * dx + py * dy + pz * dz,
        px * px + py * py + pz * pz - r * r,
    )


@jit
def _subtract(lo, hi, hlo, hhi):
    """[lo, hi] minus the open hole (hlo, hhi), clipped to t ≥ 0, as (n, a0, b0, a1, b1)."""
    if lo < 0.0:
        lo = 0.0
    if not hi > lo:
        return 0, 0.0, 0.0, 0.0, 0.0
    if not hhi > hlo or hhi <= lo or hlo >= hi:
        return 1, lo, hi, 0.0, 0.0
    n = 0
    a0 = 0.0
    b0 = 0.0
    a1 = 0.0
    b1 = 0.0
    if hlo > lo:
        n = 1
        a0 = lo
        b0 = hlo
    if hi > hhi:
        if n == 0:
            a0 = hhi
            b0 = hi
        else:
            a1 = hhi
            b1 = hi
        n += 1
    return n, a0, b0, a1, b1


@jit
def chord(kind, params, ox, oy, oz, dx, dy, dz):
    """Intervals of the ray ``o + t·d`` (t ≥ 0) inside a solid.

    Parameters
    ----------
    kind : int
        Solid code (0 cylinder, 1 spherical shell, 2 cylindrical shell, 3 box).
    params : float64[8]
        Packed parameters [cm].
    ox, oy, oz : float
        Origin of the ray [cm].
    dx, dy, dz : float
        Unit direction (t is then a length in cm).

    Returns
    -------
    n : int
        Number of intervals of positive length, 0, 1 or 2.
    t0_in, t0_out, t1_in, t1_out : float
        The intervals, increasing, t_in ≥ 0 [cm]; unused ones are 0.
        A ray starting inside has ``t0_in = 0``.
    """
    return chord_scalar(
        kind,
        params[0],
        params[1],
        params[2],
        params[3],
        params[4],
        params[5],
        ox,
        oy,
        oz,
        dx,
        dy,
        dz,
    )


@jit
def chord_scalar(kind, cx, cy, cz, p3, p4, p5, ox, oy, oz, dx, dy, dz):
    """:func:`chord` with the parameters unpacked (cx, cy, cz, params[3:6]).

    Hot loops call this form: passing scalars instead of an array spares the
    reference counting of a call that the compiler does not inline.
    """
    px = ox - cx
    py = oy - cy
    pz = oz - cz
    if kind == CYLINDER:
        lo, hi = _disk(px, py, dx, dy, p3)
        zlo, zhi = _slab(pz, dz, p4)
        return _subtract(max(lo, zlo), min(hi, zhi), _INF, -_INF)
    if kind == SPHERICAL_SHELL:
        lo, hi = _ball(px, py, pz, dx, dy, dz, p4)
        hlo = _INF
        hhi = -_INF
        if p3 > 0.0:
            hlo, hhi = _ball(px, py, pz, dx, dy, dz, p3)
        return _subtract(lo, hi, hlo, hhi)
    if kind == CYLINDRICAL_SHELL:
        lo, hi = _disk(px, py, dx, dy, p4)
        zlo, zhi = _slab(pz, dz, p5)
        hlo = _INF
        hhi = -_INF
        if p3 > 0.0:
            hlo, hhi = _disk(px, py, dx, dy, p3)
        return _subtract(max(lo, zlo), min(hi, zhi), hlo, hhi)
    if kind == BOX:
        xlo, xhi = _slab(px, dx, p3)
        ylo, yhi = _slab(py, dy, p4)
        zlo, zhi = _slab(pz, dz, p5)
        return _subtract(max(xlo, ylo, zlo), min(xhi, yhi, zhi), _INF, -_INF)
    return 0, 0.0, 0.0, 0.0, 0.0


@jit
def chord_length(kind, params, ox, oy, oz, dx, dy, dz):
    """Total length [cm] of the ray ``o + t·d`` (t ≥ 0, unit d) inside the solid."""
    n, a0, b0, a1, b1 = chord(kind, params, ox, oy, oz, dx, dy, dz)
    return (b0 - a0) + (b1 - a1)


@jit
def bounding_sphere(kind, params):
    """Smallest sphere containing the solid: (cx, cy, cz, radius) [cm]."""
    if kind == CYLINDER:
        r = math.hypot(params[3], params[4])
    elif kind == SPHERICAL_SHELL:
        r = params[4]
    elif kind == CYLINDRICAL_SHELL:
        r = math.hypot(params[4], params[5])
    elif kind == BOX:
        r = math.sqrt(params[3] * params[3] + params[4] * params[4] + params[5] * params[5])
    else:
        r = math.nan
    return params[0], params[1], params[2], r


__all__ = [
    "BOX",
    "CYLINDER",
    "CYLINDRICAL_SHELL",
    "MAX_INTERVALS",
    "N_PARAMS",
    "SPHERICAL_SHELL",
    "Box",
    "Cylinder",
    "CylindricalShell",
    "Solid",
    "SphericalShell",
    "bounding_sphere",
    "chord",
    "chord_length",
    "chord_scalar",
    "inside",
]
