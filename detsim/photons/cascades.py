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
from nusource.geometry.uniform import fill_isotropic

from .regions import SENSITIVE
from .transport import SITE_MODES, TransportOptions, _locate, count_sites, transport


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
def _merge(
    vertex_e, vx, vy, vz, vreg, dep, off, mode, dz, dr, threshold, energy, px, py, pz, n_sites, ge
):
    n = vertex_e.shape[0]
    width = 1
    for i in range(n):
        width = max(width, off[i + 1] - off[i] + 1)
    buf = np.empty((width, 5))
    labels = np.empty(width, dtype=np.int64)
    site_e = np.empty(width)
    for i in range(n):
        nd = 0
        if vertex_e[i] > 0.0:
            buf[0, 0] = vertex_e[i]
            buf[0, 1] = vx[i]
            buf[0, 2] = vy[i]
            buf[0, 3] = vz[i]
            buf[0, 4] = vreg[i]
            nd = 1
        g = 0.0
        for k in range(off[i], off[i + 1]):
            for c in range(5):
                buf[nd, c] = dep[k, c]
            g += dep[k, 0]
            nd += 1
        e = 0.0
        sx = 0.0
        sy = 0.0
        sz = 0.0
        for k in range(nd):
            e += buf[k, 0]
            sx += buf[k, 0] * buf[k, 1]
            sy += buf[k, 0] * buf[k, 2]
            sz += buf[k, 0] * buf[k, 3]
        energy[i] = e
        ge[i] = g
        if e > 0.0:
            px[i] = sx / e
            py[i] = sy / e
            pz[i] = sz / e
        else:
            px[i] = vx[i]
            py[i] = vy[i]
            pz[i] = vz[i]
        n_sites[i] = count_sites(buf, nd, mode, dz, dr, threshold, labels, site_e) if nd else 0


@jit
def _regions(kind, params, nreg, x, y, z, out):
    for i in range(x.shape[0]):
        out[i] = _locate(kind, params, nreg, x[i], y[i], z[i])


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
    starts[:, :3] = np.repeat(vertices, n_gamma, axis=0)
    mask = np.arange(gammas.shape[1])[None, :] < n_gamma[:, None]
    starts[:, 6] = gammas[mask]
    if total:
        d = np.empty((3, total))
        fill_isotropic(rng, d[0], d[1], d[2])
        starts[:, 3:6] = d.T
    h = transport(geometry, starts, offsets, np.ones(n), rng, options, record_deposits=True)
    kind, params, _, flags, _, _ = geometry.arrays()
    vreg = np.empty(n, dtype=np.int64)
    x, y, z = (np.ascontiguousarray(vertices[:, i]) for i in range(3))
    _regions(kind, params, kind.size, x, y, z, vreg)
    if np.any(vreg < 0) or not np.all(flags[np.maximum(vreg, 0)] & SENSITIVE):
        raise ValueError("vertices: every decay must lie in a sensitive region")
    out = [np.empty(n) for _ in range(5)]
    n_sites = np.empty(n, dtype=np.int64)
    _merge(
        np.ascontiguousarray(vertex_mev, dtype=np.float64),
        x,
        y,
        z,
        vreg.astype(np.float64),
        h.deposits,
        h.deposit_offsets,
        SITE_MODES.index(options.site_mode),
        float(options.site_dz_cm),
        float(options.site_dr_cm),
        float(options.site_threshold_mev),
        out[0],
        out[1],
        out[2],
        out[3],
        n_sites,
        out[4],
    )
    return CascadeEvents(
        energy_mev=out[0],
        x_cm=out[1],
        y_cm=out[2],
        z_cm=out[3],
        n_sites=n_sites,
        multi_site=n_sites > 1,
        gamma_energy_mev=out[4],
    )


__all__ = ["CascadeEvents", "decay_events"]
