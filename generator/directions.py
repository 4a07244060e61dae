"""Electron directions: polar angle from the kinematics, azimuth uniform about the ν.

The loops are written out in each kernel (rather than calling a per-event
helper that returns a tuple): numba then keeps the hot path in registers.
"""

import math

from nusource.jit import jit, jit_inline
from nusource.rng_kernels import split_pair, unit_disc_azimuth

from .constants import M_E
from .kinematics import rotate_to

uniform_azimuth = unit_disc_azimuth
"""(cosφ, sinφ) of a uniform azimuth (see :mod:`nusource.rng_kernels`)."""


@jit_inline
def frame(ux, uy, uz):
    """Orthonormal vectors (a, b) completing the unit vector u to a right-handed frame.

    Duff et al., J. Comput. Graph. Tech. 6 (2017) 1 (no branch on the sign of uz
    beyond its sign).  Same construction as :func:`.kinematics.rotate_to`.
    """
    s = 1.0 if uz >= 0.0 else -1.0
    h = -1.0 / (s + uz)
    g = ux * uy * h
    return (1.0 + s * ux * ux * h, s * g, -s * ux), (g, s + uy * uy * h, -uy)


@jit
def fill_directions_along(rng, e, t, ux, uy, uz, out_cos, out_dx, out_dy, out_dz):
    """Fill cosθ and electron directions for neutrinos all along one unit vector u."""
    a, b = frame(ux, uy, uz)
    for i in range(e.shape[0]):
        ti, ei = t[i], e[i]
        # cos²θ = T(E + mₑ)²/(E²(T + 2mₑ)): one division for both cosθ and sinθ
        c2 = min(ti * (ei + M_E) * (ei + M_E) / (ei * ei * (ti + 2.0 * M_E)), 1.0)
        c = math.sqrt(c2)
        s = math.sqrt(1.0 - c2)
        while True:
            x, y = split_pair(rng)
            r2 = x * x + y * y
            if 0.0 < r2 <= 1.0:
                break
        k = s / r2
        px, py = (x * x - y * y) * k, 2.0 * x * y * k
        out_cos[i] = c
        out_dx[i] = px * a[0] + py * b[0] + c * ux
        out_dy[i] = px * a[1] + py * b[1] + c * uy
        out_dz[i] = px * a[2] + py * b[2] + c * uz


@jit
def fill_directions(rng, e, t, nux, nuy, nuz, out_cos, out_dx, out_dy, out_dz):
    """Fill cosθ and electron directions for per-event neutrino directions (unit vectors)."""
    for i in range(e.shape[0]):
        ti = t[i]
        c = min((1.0 + M_E / e[i]) * math.sqrt(ti / (ti + 2.0 * M_E)), 1.0)
        cphi, sphi = uniform_azimuth(rng)
        out_cos[i] = c
        out_dx[i], out_dy[i], out_dz[i] = rotate_to(nux[i], nuy[i], nuz[i], c, cphi, sphi)
