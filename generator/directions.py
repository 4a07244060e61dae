"""Electron directions: polar angle from the kinematics, azimuth uniform about the ν."""

from nusource.jit import jit

from .kinematics import cos_theta, rotate_to


@jit
def uniform_azimuth(rng):
    """(cosφ, sinφ) of a uniform azimuth, by rejection in the unit disc (no trigonometry)."""
    while True:
        x = 2.0 * rng.random() - 1.0
        y = 2.0 * rng.random() - 1.0
        r2 = x * x + y * y
        if 0.0 < r2 <= 1.0:
            return (x * x - y * y) / r2, 2.0 * x * y / r2


@jit
def electron_direction(rng, e, t, ux, uy, uz):
    """(cosθ, dx, dy, dz) of the electron for a neutrino of energy e along u."""
    c = min(cos_theta(t, e), 1.0)
    cphi, sphi = uniform_azimuth(rng)
    dx, dy, dz = rotate_to(ux, uy, uz, c, cphi, sphi)
    return c, dx, dy, dz


@jit
def fill_directions(rng, e, t, nux, nuy, nuz, out_cos, out_dx, out_dy, out_dz):
    """Fill electron directions for per-event neutrino directions (unit vectors)."""
    for i in range(e.shape[0]):
        out_cos[i], out_dx[i], out_dy[i], out_dz[i] = electron_direction(
            rng, e[i], t[i], nux[i], nuy[i], nuz[i]
        )


@jit
def fill_directions_along(rng, e, t, ux, uy, uz, out_cos, out_dx, out_dy, out_dz):
    """Fill electron directions for neutrinos all along one unit vector u."""
    for i in range(e.shape[0]):
        out_cos[i], out_dx[i], out_dy[i], out_dz[i] = electron_direction(rng, e[i], t[i], ux, uy, uz)


__all__ = ["electron_direction", "fill_directions", "fill_directions_along", "uniform_azimuth"]
