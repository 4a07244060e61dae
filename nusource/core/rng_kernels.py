"""Small random-number kernels shared by the stages.

``split_pair`` turns one 53-bit uniform double into two independent uniforms
on [−1, 1): its top 26 bits give the first (spacing 2⁻²⁵), its low 27 bits the
second (spacing 2⁻²⁶).  That is finer than any angle or length the toolkit
resolves (an azimuth to 10⁻⁷ rad, a point on a 1 m disc to 2·10⁻⁶ cm) at half
the generator calls, which dominate the hot loops.  ``disc_azimuth`` and
``isotropic_direction`` build on it: a point uniform in the unit disc gives
(cos φ, sin φ) of a uniform azimuth, and a direction uniform on the sphere
(Marsaglia 1972), without trigonometry.
"""

import math

from .jit import jit_inline
from .pcg64 import uniform

_TWO26 = 67108864.0  # 2**26


@jit_inline
def split_pair(rng):
    """Two independent uniforms on [−1, 1) from one draw of ``rng``."""
    r = uniform(rng) * _TWO26
    k = math.floor(r)
    return k * (2.0 / _TWO26) - 1.0, 2.0 * (r - k) - 1.0


@jit_inline
def disc_point(rng):
    """A point (a, b) uniform in the unit disc and r² = a² + b² (0 < r² ≤ 1)."""
    while True:
        a, b = split_pair(rng)
        r2 = a * a + b * b
        if 0.0 < r2 <= 1.0:
            return a, b, r2


@jit_inline
def disc_azimuth(rng):
    """(cos φ, sin φ) of an azimuth φ uniform on [0, 2π)."""
    a, b, r2 = disc_point(rng)
    return (a * a - b * b) / r2, 2.0 * a * b / r2


@jit_inline
def isotropic_direction(rng):
    """A unit vector (u, v, w) uniform on the sphere (Marsaglia 1972)."""
    a, b, r2 = disc_point(rng)
    h = 2.0 * math.sqrt(1.0 - r2)
    return a * h, b * h, 1.0 - 2.0 * r2


@jit_inline
def isotropic_two_draws(rng):
    """A unit vector (u, v, w) uniform on the sphere from exactly two uniforms (cos θ, then
    φ): a fixed count of draws, which a jump of the generator past them relies on."""
    w = 2.0 * uniform(rng) - 1.0
    phi = 2.0 * math.pi * uniform(rng)
    s = math.sqrt(max(0.0, 1.0 - w * w))
    return s * math.cos(phi), s * math.sin(phi), w
