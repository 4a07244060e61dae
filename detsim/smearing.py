"""Angular and position resolution (docs/physics.md §6).

- Direction: the reconstructed electron direction is the true one turned by a
  polar angle θ = σ·|g| about it, g a standard 2-D normal in the plane
  perpendicular to the true direction (so θ is Rayleigh distributed,
  ⟨θ²⟩ = 2σ², and the azimuth is uniform). HELLAZ: σ = 35 mrad.
- Position: each coordinate of the vertex gets an independent N(0, σ)
  (LXe: σ = 1 cm).

Events removed by binding leave nothing to reconstruct: their reconstructed
vertex and direction are set to 0. The random draws per event do not depend
on the flags.
"""

from __future__ import annotations

import math

from nusource.core.jit import jit, jit_inline

from .binding import BINDING_REMOVED


@jit_inline
def perpendicular_basis(dx, dy, dz):
    """Two unit vectors e1, e2 with (e1, e2, d) orthonormal and right-handed.

    ``d`` must be a unit vector. Branch-free construction of Duff et al.,
    J. Comput. Graph. Tech. 6 (2017) 1.
    """
    s = 1.0 if dz >= 0.0 else -1.0
    a = -1.0 / (s + dz)
    b = dx * dy * a
    return (1.0 + s * dx * dx * a, s * b, -s * dx), (b, s + dy * dy * a, -dy)


@jit
def smear_directions(rng, dx, dy, dz, flags, sigma_rad, out_x, out_y, out_z):
    """Turn each unit vector by a polar angle σ·|g| (g ~ N(0, 1)²) about itself.

    Two normals are drawn per event.

    Parameters
    ----------
    rng : numpy.random.Generator
        The chunk's detector stream.
    dx, dy, dz : float64[n]
        True electron direction (unit vectors; renormalised here).
    flags : uint32[n]
        Event flags; an event removed by binding gets the zero vector.
    sigma_rad : float
        Width σ of the 2-D Gaussian [rad], ≥ 0.
    out_x, out_y, out_z : float64[n]
        Output: reconstructed direction (unit vectors).
    """
    for i in range(dx.shape[0]):
        g1 = rng.standard_normal()
        g2 = rng.standard_normal()
        if flags[i] & BINDING_REMOVED:
            out_x[i] = 0.0
            out_y[i] = 0.0
            out_z[i] = 0.0
            continue
        norm = math.sqrt(dx[i] * dx[i] + dy[i] * dy[i] + dz[i] * dz[i])
        ux = dx[i] / norm
        uy = dy[i] / norm
        uz = dz[i] / norm
        r = math.sqrt(g1 * g1 + g2 * g2)
        theta = sigma_rad * r
        if theta == 0.0:
            out_x[i] = ux
            out_y[i] = uy
            out_z[i] = uz
            continue
        e1, e2 = perpendicular_basis(ux, uy, uz)
        c = math.cos(theta)
        s = math.sin(theta) / r
        out_x[i] = c * ux + s * (g1 * e1[0] + g2 * e2[0])
        out_y[i] = c * uy + s * (g1 * e1[1] + g2 * e2[1])
        out_z[i] = c * uz + s * (g1 * e1[2] + g2 * e2[2])


@jit
def smear_positions(rng, x, y, z, flags, sigma_cm, out_x, out_y, out_z):
    """Add an independent N(0, σ) to each coordinate; three normals per event.

    Parameters
    ----------
    rng : numpy.random.Generator
        The chunk's detector stream.
    x, y, z : float64[n]
        True vertex [cm].
    flags : uint32[n]
        Event flags; an event removed by binding gets (0, 0, 0).
    sigma_cm : float
        Resolution per coordinate [cm], ≥ 0.
    out_x, out_y, out_z : float64[n]
        Output: reconstructed vertex [cm].
    """
    for i in range(x.shape[0]):
        gx = rng.standard_normal()
        gy = rng.standard_normal()
        gz = rng.standard_normal()
        if flags[i] & BINDING_REMOVED:
            out_x[i] = 0.0
            out_y[i] = 0.0
            out_z[i] = 0.0
        else:
            out_x[i] = x[i] + sigma_cm * gx
            out_y[i] = y[i] + sigma_cm * gy
            out_z[i] = z[i] + sigma_cm * gz


@jit
def copy_unless_removed(x, y, z, flags, out_x, out_y, out_z):
    """Reconstructed = true (perfect resolution); (0, 0, 0) for events removed by binding."""
    for i in range(x.shape[0]):
        if flags[i] & BINDING_REMOVED:
            out_x[i] = 0.0
            out_y[i] = 0.0
            out_z[i] = 0.0
        else:
            out_x[i] = x[i]
            out_y[i] = y[i]
            out_z[i] = z[i]
