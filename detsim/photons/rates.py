"""Source-γ rates in the fiducial volume and photon events as columns.

:func:`gamma_event_columns` is the kernel-level entry of the production: it
turns decays of a γ emitter (lines or cascades) placed in a solid into event
columns. :func:`source_gamma_rates` gives the daily rates of source γ rays
interacting in the fiducial volume and surviving a single-site cut in an
energy window. :func:`seed004_figures` reproduces the figures of seed 004
(Link & Xu 2019's ⁵¹Cr source below an LZ-like detector).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nusource.core.jit import jit
from nusource.generator.alias import draw_indices
from nusource.geometry import Cylinder, Material, Source
from nusource.geometry.solids import inside_row

from .biasing import emission_directions, uniform_in_solid, unweight
from .cross_sections import check_energy, resolve_material, total_mu_rho
from .regions import FIDUCIAL, PhotonGeometry, Region, source_regions
from .transport import TransportOptions, transport


def narrow_beam_transmission(layers, energy_mev: float) -> float:
    """Uncollided transmission exp(−Σ μᵢ xᵢ) of a narrow beam.

    Parameters
    ----------
    layers : sequence of (Material or str, float)
        Material and thickness [cm] of each layer.
    energy_mev : float
        Photon energy [MeV], 0.01–10.

    Returns
    -------
    float
        Transmission, μ/ρ total with coherent scattering.
    """
    e = float(check_energy(energy_mev))
    tau = 0.0
    for i, (material, thickness) in enumerate(layers):
        m = resolve_material(material, f"layers[{i}] material")
        t = float(thickness)
        if not (math.isfinite(t) and t >= 0.0):
            raise ValueError(f"layers[{i}] thickness_cm = {thickness!r}: must be finite and >= 0")
        tau += total_mu_rho(m, e) * m.density_g_cm3 * t
    return math.exp(-tau)


def cascades_from_lines(lines) -> list[tuple[float, tuple[float, ...]]]:
    """γ lines per decay → exclusive cascades (one line per decay, or none).

    Parameters
    ----------
    lines : sequence of (float, float)
        (energy [MeV], photons per decay); the intensities must add up to ≤ 1
        (each decay emits at most one of these lines).

    Returns
    -------
    list of (probability, energies)
        One cascade per line, plus the no-photon branch if Σ intensity < 1.
    """
    out = []
    total = 0.0
    for i, line in enumerate(lines):
        try:
            energy, intensity = line
        except (TypeError, ValueError):
            raise ValueError(
                f"lines[{i}] = {line!r}: must be an (energy_mev, intensity) pair"
            ) from None
        check_energy(energy, f"lines[{i}] energy_mev")
        p = float(intensity)
        if not (math.isfinite(p) and p >= 0.0):
            raise ValueError(f"lines[{i}] intensity = {intensity!r}: must be finite and >= 0")
        total += p
        out.append((p, (float(energy),)))
    if total > 1.0 + 1e-9:
        raise ValueError(f"lines: intensities add up to {total:.6g} per decay, must be <= 1")
    if total < 1.0:
        out.append((1.0 - total, ()))
    return out


def _check_cascades(cascades):
    probs = []
    energies = []
    for i, item in enumerate(cascades):
        try:
            p, es = item
            es = tuple(float(e) for e in es)
        except (TypeError, ValueError):
            raise ValueError(
                f"cascades[{i}] = {item!r}: must be a (probability, energies_mev) pair"
            ) from None
        p = float(p)
        if not (math.isfinite(p) and p >= 0.0):
            raise ValueError(f"cascades[{i}] probability = {item[0]!r}: must be finite and >= 0")
        for e in es:
            check_energy(e, f"cascades[{i}] energy_mev")
        probs.append(p)
        energies.append(es)
    total = sum(probs)
    if not total > 0.0:
        raise ValueError("cascades: the probabilities must add up to > 0")
    return np.array(probs) / total, energies


def _solid_of(geometry: PhotonGeometry, emitter):
    if isinstance(emitter, str):
        return geometry.regions[geometry.index(emitter)].solid
    if hasattr(emitter, "kind") and hasattr(emitter, "params"):
        return emitter
    raise ValueError(f"emitter = {emitter!r}: must be a region name or a solid")


def _target(geometry: PhotonGeometry):
    """Bounding sphere (centre, radius) of the fiducial regions (else the sensitive ones)."""
    regs = [r for r in geometry.regions if r.fiducial] or [
        r for r in geometry.regions if r.sensitive
    ]
    if not regs:
        raise ValueError("geometry: has no sensitive region to aim at")
    spheres = [r.solid.bounding_sphere for r in regs]
    c = np.mean([s[0] for s in spheres], axis=0)
    radius = max(float(np.linalg.norm(s[0] - c)) + s[1] for s in spheres)
    return c, radius


@dataclass(frozen=True)
class EventColumns:
    """Photon events of :func:`gamma_event_columns` (arrays of shape (n,)).

    Attributes
    ----------
    energy_mev : float64
        Deposited energy in sensitive regions [MeV].
    x_cm, y_cm, z_cm : float64
        Energy-weighted position [cm] (NaN without deposit).
    n_sites : int64
    multi_site : bool
    weight : float64
        Per-event weight (1 for analog transport).
    energy_fiducial_mev : float64
        Deposited energy in fiducial regions [MeV].
    cascade : int64
        Index of the cascade (branch) of each decay.
    """

    energy_mev: np.ndarray
    x_cm: np.ndarray
    y_cm: np.ndarray
    z_cm: np.ndarray
    n_sites: np.ndarray
    multi_site: np.ndarray
    weight: np.ndarray
    energy_fiducial_mev: np.ndarray
    cascade: np.ndarray


def gamma_event_columns(
    rng: np.random.Generator,
    n: int,
    geometry: PhotonGeometry,
    cascades,
    emitter,
    *,
    options: TransportOptions = TransportOptions(),  # noqa: B008 (frozen)
    cone_fraction: float = 0.0,
    unweighted: bool = False,
    w_max: float | None = None,
) -> EventColumns:
    """Transport ``n`` decays of a γ emitter and return event columns.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Decays (events), ≥ 0. Decays of a no-photon branch give empty events.
    geometry : PhotonGeometry
    cascades : sequence of (float, sequence of float)
        (probability, photon energies [MeV]) per branch of a decay, e.g.
        :func:`cascades_from_lines` for lines, or the γ cascades of ²¹⁴Pb;
        photons of one cascade are emitted isotropically and independently
        (angular correlations neglected). Probabilities are normalised.
    emitter : str or solid
        Region name (``'source'``, a detector region) or a solid in which
        decays are uniform.
    options : TransportOptions
        Physics, sites and the exponential transform.
    cone_fraction : float
        Direction biasing toward the fiducial volume (0: analog emission).
    unweighted : bool
        Keep each event with probability weight/w_max (rejection) and give the
        kept ones the weight w_max: fewer rows, all of equal weight, each
        standing for w_max decays. Only events with a sensitive deposit can
        be kept.
    w_max : float, optional
        Bound of the weights for ``unweighted`` (default: the largest weight
        of this call; pass a fixed bound to merge several calls).

    Returns
    -------
    EventColumns
        Times are left to the caller.
    """
    cols = gamma_histories(
        rng, n, geometry, cascades, emitter, options=options, cone_fraction=cone_fraction
    )[0]
    if not unweighted:
        return cols
    w = np.where(cols.energy_mev > 0.0, cols.weight, 0.0)
    if not np.any(w > 0.0):
        keep, bound = np.zeros(w.size, dtype=bool), 1.0
    else:
        keep, bound = unweight(w, rng, w_max)
    fields = {k: v[keep] for k, v in cols.__dict__.items()}
    fields["weight"] = np.full(int(keep.sum()), bound)
    return EventColumns(**fields)


def gamma_histories(rng, n, geometry, cascades, emitter, *, options, cone_fraction):
    """Weighted (not unweighted) :func:`gamma_event_columns`, the transport's
    :class:`~.transport.Histories` and the decay points (float64[n, 3], cm)."""
    n = int(n)
    if n < 0:
        raise ValueError(f"n = {n!r}: must be >= 0")
    probs, energies = _check_cascades(cascades)
    solid = _solid_of(geometry, emitter)
    branch = draw_indices(rng, probs, n)  # (a line, one branch: no draw)
    sizes = np.array([len(es) for es in energies], dtype=np.int64)
    firsts = np.concatenate(([0], np.cumsum(sizes)[:-1]))  # each branch's first in `flat`
    flat = np.array([e for es in energies for e in es], dtype=np.float64)
    counts = sizes[branch]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    total = int(offsets[-1])
    starts = np.empty((total, 7))
    single = np.all(sizes == 1)  # one photon a history (lines): written in place
    if single:
        points = uniform_in_solid(rng, n, solid, out=starts[:, :3])
        starts[:, 6] = flat[firsts[branch]]
    else:
        points = uniform_in_solid(rng, n, solid)
        starts[:, :3] = np.repeat(points, counts, axis=0)
        # photon j of history i is its branch's photon j - offsets[i]
        starts[:, 6] = flat[np.repeat(firsts[branch] - offsets[:-1], counts) + np.arange(total)]
    center, radius = _target(geometry) if cone_fraction > 0.0 else ((0.0, 0.0, 0.0), 0.0)
    w = np.empty(total)
    emission_directions(rng, starts[:, :3], center, radius, cone_fraction, out=(starts[:, 3:6], w))
    if single:
        weights = w
    else:
        weights = np.ones(n)
        some = counts > 0  # (a history's weight: the product of its photons', in order)
        if total:
            weights[some] = np.multiply.reduceat(w, offsets[:-1][some])
    h = transport(geometry, starts, offsets, weights, rng, options)
    cols = EventColumns(
        energy_mev=h.energy,
        x_cm=h.position[:, 0],
        y_cm=h.position[:, 1],
        z_cm=h.position[:, 2],
        n_sites=h.n_sites,
        multi_site=h.multi_site,
        weight=h.weight,
        energy_fiducial_mev=h.energy_fiducial,
        cascade=branch.astype(np.int64),
    )
    return cols, h, points


def biased_options(geometry: PhotonGeometry, emitter, stretch: float, **sites) -> TransportOptions:
    """Transport options whose exponential transform favours the way to the fiducial volume.

    Toward the fiducial volume's bounding sphere when it does not hold the
    emitter, else radially out of the emitter (a detector around the
    source). ``sites``: the site options of :class:`TransportOptions`.
    """
    center, radius = _target(geometry)
    src = _solid_of(geometry, emitter).params[:3]
    axis = center - src
    if np.linalg.norm(axis) > radius:
        return TransportOptions(stretch=stretch, bias_direction=tuple(axis), **sites)
    return TransportOptions(stretch=stretch, bias_center=tuple(src), **sites)


@dataclass(frozen=True)
class SourceGammaRates:
    """Daily rates of source γ rays (Monte Carlo, 1σ statistical errors).

    Attributes
    ----------
    emitted_per_day : float
        γ emitted per day.
    interacting_in_fiducial_per_day, interacting_in_fiducial_per_day_err : float
        γ histories that deposit energy in the fiducial volume (photoabsorption,
        Compton or pair there; Rayleigh alone leaves nothing), per day.
    single_site_in_window_per_day, single_site_in_window_per_day_err : float
        Histories with one site, its position in the fiducial volume and the
        deposited (true) energy in the window, per day.
    uncollided_in_fiducial_per_day, uncollided_in_fiducial_per_day_err : float
        Histories whose first interaction is in the fiducial volume (the
        narrow-beam part of the first rate), per day.
    n_histories : int
        Histories simulated.
    """

    emitted_per_day: float
    interacting_in_fiducial_per_day: float
    interacting_in_fiducial_per_day_err: float
    single_site_in_window_per_day: float
    single_site_in_window_per_day_err: float
    uncollided_in_fiducial_per_day: float
    uncollided_in_fiducial_per_day_err: float
    n_histories: int

    def as_dict(self) -> dict[str, float]:
        """The fields as a plain dict (for ``rate --json``)."""
        return dict(self.__dict__)


@jit
def _inside_any(kind, params, flags, pos, out):
    for i in range(pos.shape[0]):
        out[i] = False
        if not math.isfinite(pos[i, 0]):
            continue
        for r in range(kind.size):
            if flags[r] & FIDUCIAL and inside_row(
                kind[r], params, r, pos[i, 0], pos[i, 1], pos[i, 2]
            ):
                out[i] = True
                break


def in_fiducial(geometry: PhotonGeometry, pos: np.ndarray) -> np.ndarray:
    """True where ``pos`` (float64[n, 3], cm; NaN rows: False) lies in a FIDUCIAL region."""
    kind, params, _, flags, _, _ = geometry.arrays()
    out = np.empty(pos.shape[0], dtype=np.bool_)
    _inside_any(kind, params, flags, np.ascontiguousarray(pos, dtype=np.float64), out)
    return out


def fiducial_tallies(geometry: PhotonGeometry, cols: EventColumns, window_mev):
    """Per history: (deposits energy in the fiducial volume, single site in the fiducial
    volume with the deposited energy in ``window_mev`` = (lo, hi) [MeV]), bool[n] each."""
    lo, hi = window_mev
    interacting = cols.energy_fiducial_mev > 0.0
    pos = np.column_stack([cols.x_cm, cols.y_cm, cols.z_cm])
    single = (cols.n_sites == 1) & (cols.energy_mev >= lo) & (cols.energy_mev <= hi)
    single &= in_fiducial(geometry, np.where(single[:, None], pos, np.nan))
    return interacting, single


def source_gamma_rates(
    geometry: PhotonGeometry,
    lines,
    emission_per_day: float,
    n: int,
    rng: np.random.Generator,
    *,
    emitter="source",
    window_kev=(2.0, 140.0),
    options: TransportOptions | None = None,
    cone_fraction: float = 0.9,
    stretch: float = 0.85,
) -> SourceGammaRates:
    """Rates of source γ rays interacting in the fiducial volume, with errors.

    Parameters
    ----------
    geometry : PhotonGeometry
        With a region called ``emitter`` (default ``'source'``), BIASED shields
        and at least one FIDUCIAL region.
    lines : sequence of (float, float)
        (energy [MeV], share of the emission) of each line; shares are normalised.
    emission_per_day : float
        γ emitted per day, ≥ 0.
    n : int
        Histories, > 0.
    rng : numpy.random.Generator
    emitter : str or solid
        Where the γ rays start (uniform).
    window_kev : (float, float)
        Energy window of the single-site rate [keV] (deposited energy, no resolution).
    options : TransportOptions, optional
        Default: TPC sites (3 mm, 1 cm), the exponential transform with
        ``stretch`` toward the fiducial volume (radially out of the emitter
        if the fiducial volume's bounding sphere holds it).
    cone_fraction : float
        Direction biasing toward the fiducial volume.
    stretch : float
        Exponential-transform parameter, if ``options`` is not given.

    Returns
    -------
    SourceGammaRates
    """
    rate = float(emission_per_day)
    if not (math.isfinite(rate) and rate >= 0.0):
        raise ValueError(
            f"emission_per_day = {emission_per_day!r}: must be finite and >= 0 [1/day]"
        )
    if int(n) <= 0:
        raise ValueError(f"n = {n!r}: must be > 0")
    lo, hi = (float(v) for v in window_kev)
    if not (0.0 <= lo < hi):
        raise ValueError(f"window_kev = {window_kev!r}: must be (lo, hi) with 0 <= lo < hi")
    shares = []
    for i, line in enumerate(lines):
        try:
            e, s = line
        except (TypeError, ValueError):
            raise ValueError(
                f"lines[{i}] = {line!r}: must be an (energy_mev, share) pair"
            ) from None
        check_energy(e, f"lines[{i}] energy_mev")
        shares.append((float(s), (float(e),)))
    if options is None:
        options = biased_options(geometry, emitter, stretch)
    cols, h, _ = gamma_histories(
        rng, n, geometry, shares, emitter, options=options, cone_fraction=cone_fraction
    )
    w = cols.weight
    fid_regions = [i for i, r in enumerate(geometry.regions) if r.fiducial]
    unc = np.isin(h.first_region, fid_regions).astype(float) * w
    interacting, single = fiducial_tallies(geometry, cols, (lo * 1e-3, hi * 1e-3))
    hit = interacting.astype(float) * w
    ss = single.astype(float) * w
    nn = w.size
    return SourceGammaRates(
        emitted_per_day=rate,
        interacting_in_fiducial_per_day=rate * hit.mean(),
        interacting_in_fiducial_per_day_err=rate * hit.std(ddof=1) / math.sqrt(nn),
        single_site_in_window_per_day=rate * ss.mean(),
        single_site_in_window_per_day_err=rate * ss.std(ddof=1) / math.sqrt(nn),
        uncollided_in_fiducial_per_day=rate * unc.mean(),
        uncollided_in_fiducial_per_day_err=rate * unc.std(ddof=1) / math.sqrt(nn),
        n_histories=nn,
    )


CHROMIUM = Material("Cr", 7.19, "Cr")
"""Chromium metal, the ⁵¹Cr source's matrix (ρ = 7.19 g/cm³)."""


def seed004_geometry(
    *,
    source_material=CHROMIUM,
    lxe_below_cm: float = 70.0,
    skin_cm: float = 5.0,
    tungsten_cm: float = 17.0,
) -> PhotonGeometry:
    """Seed 004's setup (``configs/lxe_cr51.toml``) as a photon geometry.

    The ⁵¹Cr source (cylinder 14 cm × 14 cm at the origin, of
    ``source_material``; None: no self-absorption) in ``tungsten_cm`` of W;
    the fiducial cylinder (D = H = 137 cm) with its bottom at z = 100 cm;
    around it an active LXe cylinder reaching ``lxe_below_cm`` below the
    fiducial volume and ``skin_cm`` beyond its side and top. Between the
    tungsten and the xenon is vacuum (no cryostat). The seed gives only "17 cm
    W and 70 cm LXe"; the skin and the vacuum gap are this function's choice.
    """
    src = Source(7.0, 7.0, (0.0, 0.0, 0.0), shields=(("W", tungsten_cm),))
    r_fid, h_fid, z0 = 68.5, 68.5, 168.5
    bottom = z0 - h_fid - lxe_below_cm
    top = z0 + h_fid + skin_cm
    if bottom < src.outer_half_height_cm:
        raise ValueError(
            f"lxe_below_cm = {lxe_below_cm!r}: the xenon would overlap the shield "
            f"(at most {z0 - h_fid - src.outer_half_height_cm:g} cm)"
        )
    regions = [
        Region("fiducial", Cylinder(r_fid, h_fid, (0.0, 0.0, z0)), "LXe", fiducial=True),
        *source_regions(src, source_material),
        Region(
            "lxe",
            Cylinder(r_fid + skin_cm, 0.5 * (top - bottom), (0.0, 0.0, 0.5 * (top + bottom))),
            "LXe",
            sensitive=True,
            biased=True,
        ),
    ]
    return PhotonGeometry(regions)


def seed004_figures(n: int = 2_000_000, seed: int = 4, emission_per_day: float = 2e13) -> dict:
    """Seed 004's source-γ figures.

    Returns
    -------
    dict
        ``attenuation_1p5MeV_W17_LXe70`` (narrow beam, ≈ 6e-12 in the seed),
        ``transmission_320keV_W17`` (negligible), and the Monte Carlo rates of
        :func:`source_gamma_rates` for a 1.5 MeV line emitted at
        ``emission_per_day`` in the ⁵¹Cr source, with Cr self-absorption
        (``with_self_absorption``) and without (``no_self_absorption``, the
        seed's estimate).
    """
    out = {
        "attenuation_1p5MeV_W17_LXe70": narrow_beam_transmission([("W", 17.0), ("LXe", 70.0)], 1.5),
        "transmission_320keV_W17": narrow_beam_transmission([("W", 17.0)], 0.3201),
    }
    for key, material in (("with_self_absorption", CHROMIUM), ("no_self_absorption", None)):
        rng = np.random.default_rng(seed)
        geo = seed004_geometry(source_material=material)
        out[key] = source_gamma_rates(geo, [(1.5, 1.0)], emission_per_day, n, rng).as_dict()
    return out


__all__ = [
    "CHROMIUM",
    "EventColumns",
    "SourceGammaRates",
    "biased_options",
    "cascades_from_lines",
    "fiducial_tallies",
    "gamma_event_columns",
    "gamma_histories",
    "in_fiducial",
    "narrow_beam_transmission",
    "seed004_figures",
    "seed004_geometry",
    "source_gamma_rates",
]
