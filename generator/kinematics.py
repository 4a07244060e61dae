"""Kinematics of ν–e elastic scattering on an electron at rest (docs/physics.md §3).

E: neutrino energy, T: electron recoil kinetic energy, both in MeV; θ: angle of
the electron to the incoming neutrino direction.
"""

import math

from nusource.core.jit import jit, jit_inline

from .constants import M_E


@jit
def t_max(e):
    """Maximum recoil T_max = 2E²/(mₑ + 2E) [MeV]."""
    return 2.0 * e * e / (M_E + 2.0 * e)


@jit
def e_min(t):
    """Minimum neutrino energy for a recoil T: ½[T + √(T² + 2mₑT)] [MeV]."""
    return 0.5 * (t + math.sqrt(t * t + 2.0 * M_E * t))


@jit
def cos_theta(t, e):
    """Electron scattering angle: cosθ = (1 + mₑ/E)·√(T/(T + 2mₑ))."""
    return (1.0 + M_E / e) * math.sqrt(t / (t + 2.0 * M_E))


@jit
def e_of_t_cos(t, c):
    """Neutrino energy from the recoil T and cosθ: E = mₑT/(p·cosθ − T), p = √(T² + 2mₑT).

    Returns inf where p·cosθ ≤ T (no neutrino energy gives that angle).
    """
    p = math.sqrt(t * t + 2.0 * M_E * t)
    d = p * c - t
    if d <= 0.0:
        return math.inf
    return M_E * t / d


@jit
def jacobian_de_dcos(t, c):
    """|∂E/∂cosθ| at fixed T: mₑpT/(p·cosθ − T)² [MeV] (seed 002 eqs. 6–7)."""
    p = math.sqrt(t * t + 2.0 * M_E * t)
    d = p * c - t
    return M_E * p * t / (d * d)


@jit_inline
def frame(ux, uy, uz):
    """Orthonormal vectors (a, b) completing the unit vector u to a right-handed frame.

    Duff et al., J. Comput. Graph. Tech. 6 (2017) 1: no branch beyond the sign of uz.
    """
    s = 1.0 if uz >= 0.0 else -1.0
    h = -1.0 / (s + uz)
    g = ux * uy * h
    return (1.0 + s * ux * ux * h, s * g, -s * ux), (g, s + uy * uy * h, -uy)


@jit_inline
def rotate_to(ux, uy, uz, cth, cphi, sphi):
    """Direction at polar angle θ and azimuth φ about the unit vector u.

    Parameters
    ----------
    ux, uy, uz : float
        Unit axis (the neutrino direction).
    cth : float
        cosθ to the axis.
    cphi, sphi : float
        cosφ, sinφ of the azimuth about the axis.

    Returns
    -------
    (dx, dy, dz) : unit vector.
    """
    sth = math.sqrt(max(0.0, 1.0 - cth * cth))
    a, b = frame(ux, uy, uz)
    px, py = sth * cphi, sth * sphi
    return (
        px * a[0] + py * b[0] + cth * ux,
        px * a[1] + py * b[1] + cth * uy,
        px * a[2] + py * b[2] + cth * uz,
    )
