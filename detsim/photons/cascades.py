"""Decays inside the detector with their γ cascades transported (²¹⁴Pb, ⁸⁵Kr, any β⁻ emitter).

A decay at a vertex leaves its β electron and the conversion electrons (with
their X-rays and Auger electrons) at the vertex: their ranges in a liquid or
solid are below a millimetre for the energies of these cascades (²¹⁴Pb: a
1 MeV electron travels ~2 mm in LXe, which is within the 3 mm/1 cm site
separation of a TPC; the approximation fails for a gas TPC such as HELLAZ's
helium, where a 100 keV electron travels centimetres: there the vertex
deposit stands for a track, not a point).  Its γ rays are transported
(:func:`~.transport.transport`, analog: they start inside the detector), and
the event is the vertex deposit plus the photons' sensitive deposits: energy
summed, position energy-weighted, sites counted over all of them with the
transport's rule (:func:`~.transport.count_sites`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nusource.core.jit import jit
from nusource.core.rng_kernels import isotropic_direction
from nusource.geometry.solids import inside_at

from .regions import SENSITIVE
from .transport import TransportOptions, transport


@dataclass(frozen=True)
class CascadeEvents:
    """Events of :func:`decay_events` (arrays of shape (n,)).

    Attributes
    ----------
    energy_mev : float64
        Vertex deposit plus the γ rays' deposits in sensitive regions [MeV].
    x_cm, y_cm, z_cm : float64
        Energy-weighted position [cm] (the vertex if nothing was deposited).
    n_sites : int64
        Sites of all the deposits (vertex included when it deposits).
    multi_site : bool
    gamma_energy_mev : float64
        The γ rays' share of ``energy_mev`` [MeV].
    """

    energy_mev: np.ndarray
    x_cm: np.ndarray
    y_cm: np.ndarray
    z_cm: np.ndarray
    n_sites: np.ndarray
    multi_site: np.ndarray
    gamma_energy_mev: np.ndarray


@jit
def _photon_starts(vertices, gammas, n_gamma, rng, starts):
    """Decay i's γ rays ``gammas[i, :n_gamma[i]]`` as transport starts, in order: its
    vertex, a direction uniform on the sphere (Marsaglia 1972: from a point uniform
    in the unit disc, drawn photon after photon), the γ energy."""
    k = 0
    for i in range(vertices.shape[0]):
        for j in range(n_gamma[i]):
            u, v, w = isotropic_direction(rng)
            starts[k, 0] = vertices[i, 0]
            starts[k, 1] = vertices[i, 1]
            starts[k, 2] = vertices[i, 2]
            starts[k, 3] = u
            starts[k, 4] = v
            starts[k, 5] = w
            starts[k, 6] = gammas[i, j]
            k += 1


@jit
def _vertex_deposits(kind, params, flags, vertices, vertex_mev, out):
    """Each decay's deposit at its vertex as the transport's first deposit: (E, x, y, z,
    region) into ``out`` (float64[n, 5]); False if a vertex lies in no sensitive region."""
    nreg = kind.size
    for i in range(vertices.shape[0]):
        x, y, z = vertices[i, 0], vertices[i, 1], vertices[i, 2]
        # the region (transport._locate written out: a helper taking the region arrays
        # has them reference-counted at every decay here, 10× slower)
        r = -1
        for q in range(nreg):
            c = params[q]
            if inside_at(kind[q], c[0], c[1], c[2], c[3], c[4], c[5], x, y, z):
                r = q
                break
        if r < 0 or not (flags[r] & SENSITIVE):
            return False
        out[i, 0] = vertex_mev[i]
        out[i, 1] = x
        out[i, 2] = y
        out[i, 3] = z
        out[i, 4] = r
    return True


@jit
def _event_columns(vertices, vertex_mev, energy, position, x, y, z, gamma):
    """The events' position (the vertex where nothing was deposited) and γ share."""
    for i in range(vertices.shape[0]):
        e = energy[i]
        if e <= 0.0:
            x[i], y[i], z[i] = vertices[i, 0], vertices[i, 1], vertices[i, 2]
        else:
            x[i], y[i], z[i] = position[i, 0], position[i, 1], position[i, 2]
        gamma[i] = e - vertex_mev[i] if vertex_mev[i] > 0.0 else e


def decay_events(
    rng: np.random.Generator,
    geometry,
    vertices: np.ndarray,
    vertex_mev: np.ndarray,
    gammas: np.ndarray,
    n_gamma: np.ndarray,
    options: TransportOptions = TransportOptions(),  # noqa: B008 (frozen)
) -> CascadeEvents:
    """Events of decays at ``vertices`` with their γ rays transported.

    Parameters
    ----------
    rng : numpy.random.Generator
    geometry : PhotonGeometry
        The vertices must lie in a SENSITIVE region.
    vertices : float64[n, 3]
        Decay points [cm].
    vertex_mev : float64[n]
        Energy deposited at the vertex (β electron plus conversion) [MeV].
    gammas : float64[n, m]
        γ energies [MeV] of decay i in ``gammas[i, :n_gamma[i]]`` (0.01–10 MeV).
    n_gamma : int64[n]
    options : TransportOptions
        Sites (analog transport: ``stretch`` should be 0).

    Returns
    -------
    CascadeEvents
    """
    vertices = np.ascontiguousarray(vertices, dtype=np.float64)
    n = vertices.shape[0]
    n_gamma = np.asarray(n_gamma, dtype=np.int64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(n_gamma, out=offsets[1:])
    total = int(offsets[-1])
    starts = np.empty((total, 7))
    _photon_starts(vertices, np.ascontiguousarray(gammas, dtype=np.float64), n_gamma, rng, starts)
    kind, params, _, flags, _, _ = geometry.arrays()
    vertex_mev = np.ascontiguousarray(vertex_mev, dtype=np.float64)
    first = np.empty((n, 5))  # (each history's first deposit)
    if not _vertex_deposits(kind, params, flags, vertices, vertex_mev, first):
        raise ValueError("vertices: every decay must lie in a sensitive region")
    h = transport(geometry, starts, offsets, np.ones(n), rng, options, first_deposits=first)
    x, y, z, gamma = np.empty((4, n))
    _event_columns(vertices, vertex_mev, h.energy, h.position, x, y, z, gamma)
    return CascadeEvents(
        energy_mev=h.energy,
        x_cm=x,
        y_cm=y,
        z_cm=z,
        n_sites=h.n_sites,
        multi_site=h.n_sites > 1,
        gamma_energy_mev=gamma,
    )


__all__ = ["CascadeEvents", "decay_events"]
