"""Photon tracking through nested regions: deposits, sites and history weights.

One history is one decay: all its photons (a line, a cascade) are followed
until each is absorbed or escapes, with the processes of
:mod:`.cross_sections` sampled from their XCOM partial coefficients:

- photoelectric absorption: the photon's energy is deposited where it is
  absorbed. Fluorescence X-rays and Auger electrons are deposited there too:
  the K X-rays of Xe and I (~30 keV) travel ~0.1–0.5 mm in LXe and NaI, far
  below a TPC's site separation (3 mm) and inside one crystal, so emitting
  them would change no site count; the approximation fails only for X-ray
  escape within ~1 mm of a detector surface (escape peaks).
- Compton scattering (Klein–Nishina, optionally with the incoherent
  scattering function, :mod:`.interactions`): the electron's energy E − E′ is
  deposited at the vertex.
- Rayleigh scattering: a direction change, no deposit.
- pair production (nuclear and electron field): E − 2mₑc² is deposited at the
  vertex, the positron annihilates there at rest into two back-to-back
  511 keV photons with an isotropic axis, which are followed.
- photons below 10 keV are absorbed where they are (their range is < 0.02 mm
  in xenon, < 0.1 mm in NaI).

Secondary electrons deposit locally: their CSDA range in LXe is roughly
1 mm at 0.5 MeV, 2 mm at 1 MeV and 3 mm near 1.4 MeV (≈ 0.6 g/cm² at 1 MeV,
between water and lead), and a track's extent is shorter than its range.
With a 3 mm site separation along z an electron above ~1.5 MeV may really
make two sites (the transport then undercounts multi-site events of such
electrons), and bremsstrahlung (a few % of the energy of a 1 MeV electron in
Xe) is deposited instead of being followed: this transport is for photons up
to a few MeV and sites of ≥ 3 mm. In NaI (one site per crystal) only
electrons near a crystal's surface would matter.

Sites: deposits in SENSITIVE regions are grouped by single linkage — two
deposits belong to one site if |Δz| ≤ dz and their transverse distance is
≤ dr (a TPC) — or one site per region (``site_mode = 'volume'``, NaI
crystals). The event energy is the sum of its sensitive deposits, its
position their energy-weighted mean.

Variance reduction (:mod:`.biasing`): in regions tagged BIASED the distance
to the next interaction is sampled with the exponential transform
μ* = μ(1 − p·cos θ_b), θ_b the angle to the biasing direction, and the
history weight is multiplied by the ratio of the analog to the biased
density of every sampled flight (μ/μ*)·e^{−(μ−μ*)s} (collision) or
e^{−(μ−μ*)t} (crossing); the exponents are summed and exponentiated once
per history. The processes are chosen analogously. The weight is
one number per history, the likelihood ratio of the whole history, so it is
exact for any per-event quantity (site counts, windows), not only for sums.

Russian roulette (``roulette_below_mev``): a photon whose energy falls below
that energy in a Compton scattering inside a passive BIASED region (the
source, a shield) survives with probability ``roulette_survival`` and its
history's weight is divided by it; otherwise the whole history ends and
scores nothing (no deposit, weight 0), decided before the scattered
photon's direction is drawn.  Such photons are far less likely
to get out of a thick shield than the one that entered it (its
attenuation grows as the energy falls), so most of their flights are
wasted; the roulette keeps every history-level expectation exact (the
decision depends on the history so far only) and raises the variance by
the share of the tally's Σw² from histories that play it, times 1/p − 1.
``Histories.min_passive_energy`` records the lowest energy a history's
photons reached so (the pilot of the ``source_gamma`` component chooses the
energy from it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from nusource.core.jit import jit, jit_inline
from nusource.core.pcg64 import uniform
from nusource.core.rng_kernels import isotropic_two_draws
from nusource.geometry.solids import (
    CYLINDER,
    CYLINDRICAL_SHELL,
    SPHERICAL_SHELL,
    chord_scalar,
    inside_row,
)

from .cross_sections import LN_E_MAX, LN_E_MIN, N_GRID
from .interactions import ME_MEV, compton, rayleigh, rotate
from .regions import BIASED, FIDUCIAL, SENSITIVE, PhotonGeometry

E_CUT_MEV = 0.01
"""Photons below this energy are absorbed where they are [MeV]."""
MAX_DEPOSITS = 4096
"""Deposits kept per history (more are merged into the last one; flagged)."""
MAX_STACK = 64
"""Photons in flight per history."""
NUDGE_CM = 1e-7
"""Step past a boundary [cm]."""
_INV_DLN = (N_GRID - 1) / (LN_E_MAX - LN_E_MIN)
_INF = math.inf

SITE_MODES = ("tpc", "volume")


@dataclass(frozen=True)
class TransportOptions:
    """Physics and site options of :func:`transport`.

    Parameters
    ----------
    incoherent_sf : bool
        Thin Klein–Nishina angles by the incoherent scattering function.
    rayleigh_ff : bool
        Rayleigh angles with the approximate form factor (else Thomson).
    stretch : float
        Exponential-transform parameter p in [0, 1) of BIASED regions (0: analog).
    bias_direction : (float, float, float)
        Direction the transform favours (normalised here).
    bias_center : (float, float, float) or None
        If given, the transform favours the direction away from this point
        (radial: a source inside a surrounding detector); θ_b is then taken
        at the start of each flight, which keeps the weights exact.
    site_mode : {'tpc', 'volume'}
        Single linkage in (dz, dr), or one site per sensitive region.
    site_dz_cm, site_dr_cm : float
        Site separation along z and across [cm] (``'tpc'``).
    site_threshold_mev : float
        Sites below this energy are not counted as sites [MeV].
    roulette_below_mev : float
        Russian roulette of photons whose energy falls below this in a Compton
        scattering in a passive BIASED region [MeV] (0: none).
    roulette_survival : float
        Its survival probability p in (0, 1] (the survivors' weight is divided by p).
    """

    incoherent_sf: bool = False
    rayleigh_ff: bool = True
    stretch: float = 0.0
    bias_direction: tuple[float, float, float] = (0.0, 0.0, 1.0)
    bias_center: tuple[float, float, float] | None = None
    site_mode: str = "tpc"
    site_dz_cm: float = 0.3
    site_dr_cm: float = 1.0
    site_threshold_mev: float = 0.0
    roulette_below_mev: float = 0.0
    roulette_survival: float = 0.1

    def __post_init__(self):
        p = float(self.stretch)
        if not (0.0 <= p < 1.0):
            raise ValueError(f"stretch = {self.stretch!r}: must be in [0, 1)")
        d = np.asarray(self.bias_direction, dtype=np.float64)
        if d.shape != (3,) or not np.all(np.isfinite(d)) or not np.any(d != 0.0):
            raise ValueError(
                f"bias_direction = {self.bias_direction!r}: must be a nonzero 3-vector"
            )
        if self.bias_center is not None:
            c = np.asarray(self.bias_center, dtype=np.float64)
            if c.shape != (3,) or not np.all(np.isfinite(c)):
                raise ValueError(
                    f"bias_center = {self.bias_center!r}: must be three finite numbers [cm]"
                )
        if self.site_mode not in SITE_MODES:
            raise ValueError(f"site_mode = {self.site_mode!r}: allowed: {', '.join(SITE_MODES)}")
        for name in ("site_dz_cm", "site_dr_cm", "site_threshold_mev", "roulette_below_mev"):
            v = float(getattr(self, name))
            if not (math.isfinite(v) and v >= 0.0):
                raise ValueError(f"{name} = {getattr(self, name)!r}: must be finite and >= 0")
        p = float(self.roulette_survival)
        if not (0.0 < p <= 1.0):
            raise ValueError(f"roulette_survival = {self.roulette_survival!r}: must be in (0, 1]")


@dataclass(frozen=True)
class Histories:
    """Per-history results of :func:`transport` (arrays of shape (n,) unless noted).

    Attributes
    ----------
    energy : float64
        Energy deposited in sensitive regions [MeV].
    position : float64[n, 3]
        Its energy-weighted position [cm] (NaN without deposit).
    n_sites : int64
        Sites (see :class:`TransportOptions`).
    energy_fiducial : float64
        Energy deposited in fiducial regions [MeV].
    n_fiducial : int64
        Interactions with a deposit in fiducial regions.
    weight : float64
        History weight (1 for analog transport).
    first_process : int64
        Process of the history's first interaction (0 photo, 1 incoherent,
        2 coherent, 3 pair; −1: none).
    energy_passive : float64
        Energy deposited in non-sensitive regions and the world [MeV].
    energy_escaped : float64
        Energy of photons that left every region into vacuum [MeV].
    first_region : int64
        Region of the first interaction (−1: the world or none).
    overflow : bool
        More than MAX_DEPOSITS deposits (the rest merged into the last).
    min_passive_energy : float64
        Lowest energy [MeV] a photon of the history had after a Compton
        scattering in a passive BIASED region (inf: none); below the roulette's
        energy for a history the roulette ended.
    deposits : float64[k, 5] or None
        With ``record_deposits``: every sensitive deposit (E [MeV], x, y, z
        [cm], region), history h's in ``deposits[deposit_offsets[h]:deposit_offsets[h + 1]]``.
    deposit_offsets : int64[n + 1] or None
    """

    energy: np.ndarray
    position: np.ndarray
    n_sites: np.ndarray
    energy_fiducial: np.ndarray
    n_fiducial: np.ndarray
    weight: np.ndarray
    first_process: np.ndarray
    energy_passive: np.ndarray
    energy_escaped: np.ndarray
    first_region: np.ndarray
    overflow: np.ndarray
    min_passive_energy: np.ndarray
    deposits: np.ndarray | None = None
    deposit_offsets: np.ndarray | None = None

    @property
    def multi_site(self) -> np.ndarray:
        """True where the event has more than one site."""
        return self.n_sites > 1


def transport(
    geometry: PhotonGeometry,
    starts: np.ndarray,
    offsets: np.ndarray,
    weights: np.ndarray,
    rng: np.random.Generator,
    options: TransportOptions = TransportOptions(),  # noqa: B008 (frozen)
    *,
    record_deposits: bool = False,
    first_deposits: np.ndarray | None = None,
) -> Histories:
    """Follow histories of photons through ``geometry``.

    Parameters
    ----------
    geometry : PhotonGeometry
    starts : float64[P, 7]
        Photons: x, y, z [cm], unit direction u, v, w, energy [MeV] (0.01–10).
    offsets : int64[n + 1]
        History h owns photons ``starts[offsets[h]:offsets[h + 1]]``.
    weights : float64[n]
        Start weights (e.g. from direction biasing).
    rng : numpy.random.Generator
    options : TransportOptions
    record_deposits : bool
        Also return every sensitive deposit (:attr:`Histories.deposits`).
    first_deposits : float64[n, 5] or None
        A deposit each history starts with (E [MeV], x, y, z [cm], region;
        none where E = 0), before its photons': a decay's electrons at its
        vertex, which must lie in a sensitive region.  It counts in the
        history's energy, position and sites as the photons' deposits do,
        not in ``n_fiducial`` (photon interactions).

    Returns
    -------
    Histories
    """
    starts = np.ascontiguousarray(starts, dtype=np.float64)
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    n = offsets.size - 1
    if starts.ndim != 2 or starts.shape[1] != 7 or offsets[-1] != starts.shape[0]:
        raise ValueError(
            f"starts shape {starts.shape}, offsets[-1] = {offsets[-1]}: "
            "starts must be (P, 7) with P = offsets[-1]"
        )
    if weights.shape != (n,):
        raise ValueError(f"weights shape {weights.shape}: must be ({n},)")
    if first_deposits is None:
        first_deposits = np.zeros((0, 5))
    first_deposits = np.ascontiguousarray(first_deposits, dtype=np.float64)
    if first_deposits.shape not in ((n, 5), (0, 5)):
        raise ValueError(f"first_deposits shape {first_deposits.shape}: must be ({n}, 5)")
    if n and int(np.max(np.diff(offsets))) > MAX_STACK // 2:
        # each pair production replaces one photon by two
        raise ValueError(f"offsets: at most {MAX_STACK // 2} photons per history")
    d = np.zeros(7)
    direction = np.asarray(options.bias_direction, dtype=np.float64)
    d[1:4] = direction / np.sqrt(direction @ direction)
    if options.bias_center is not None:
        d[0] = 1.0
        d[4:7] = options.bias_center
    out = Histories(  # (not zeroed: the kernel writes every field of every history)
        energy=np.empty(n),
        position=np.empty((n, 3)),
        n_sites=np.empty(n, dtype=np.int64),
        energy_fiducial=np.empty(n),
        n_fiducial=np.empty(n, dtype=np.int64),
        weight=np.empty(n),
        first_process=np.empty(n, dtype=np.int64),
        energy_passive=np.empty(n),
        energy_escaped=np.empty(n),
        first_region=np.empty(n, dtype=np.int64),
        overflow=np.empty(n, dtype=np.bool_),
        min_passive_energy=np.empty(n),
    )
    capacity = 4 * n if record_deposits else 0
    while True:
        rec = np.empty((capacity, 5))
        rec_off = np.zeros(n + 1, dtype=np.int64)
        state = rng.bit_generator.state
        needed = _run(
            starts, offsets, weights, geometry, d, options, rng, out, rec, rec_off, first_deposits
        )
        if needed <= capacity:
            break
        rng.bit_generator.state = state  # the same histories again, with room for their deposits
        capacity = needed
    if record_deposits:
        out = replace(out, deposits=rec[: rec_off[-1]], deposit_offsets=rec_off)
    return out


def _run(starts, offsets, weights, geometry, d, options, rng, out, rec, rec_off, first):
    kind, params, mat, flags, world, tables = geometry.arrays()
    return transport_kernel(
        starts,
        offsets,
        weights,
        kind,
        params,
        mat,
        flags,
        world,
        geometry.surface_candidates(),
        tables.mu,
        tables.elements,
        tables.n_elements,
        d,
        float(options.stretch),
        bool(options.incoherent_sf),
        bool(options.rayleigh_ff),
        SITE_MODES.index(options.site_mode),
        float(options.site_dz_cm),
        float(options.site_dr_cm),
        float(options.site_threshold_mev),
        float(options.roulette_below_mev),
        float(options.roulette_survival),
        rng,
        out.energy,
        out.position,
        out.n_sites,
        out.energy_fiducial,
        out.n_fiducial,
        out.weight,
        out.first_process,
        out.energy_passive,
        out.energy_escaped,
        out.first_region,
        out.overflow,
        out.min_passive_energy,
        rec,
        rec_off,
        first,
    )


@jit_inline
def _locate(kind, params, nreg, x, y, z):
    """First region containing (x, y, z), or −1 (the world)."""
    for r in range(nreg):
        if inside_row(kind[r], params, r, x, y, z):
            return r
    return -1


@jit_inline
def _safety(kind, params, cand, row, x, y, z):
    """A lower bound [cm] of the distance from (x, y, z) to the surfaces of the
    regions ``cand[row, :]`` (the current region's candidates, see
    ``PhotonGeometry.surface_candidates``).

    A flight shorter than this crosses none of them, so its chord is not needed.
    """
    saf = _INF
    for j in range(cand[row, -1]):
        r = cand[row, j]
        k = kind[r]
        px = x - params[r, 0]
        py = y - params[r, 1]
        pz = z - params[r, 2]
        if k == CYLINDER:
            rho = math.sqrt(px * px + py * py)
            dr = rho - params[r, 3]
            dz = abs(pz) - params[r, 4]
            d = min(-dr, -dz) if dr <= 0.0 and dz <= 0.0 else max(dr, dz)
        elif k == SPHERICAL_SHELL:
            rr = math.sqrt(px * px + py * py + pz * pz)
            d = min(abs(rr - params[r, 3]), abs(rr - params[r, 4]))
        elif k == CYLINDRICAL_SHELL:
            rho = math.sqrt(px * px + py * py)
            radial = min(abs(rho - params[r, 3]), abs(rho - params[r, 4]))
            if params[r, 3] <= rho <= params[r, 4] and abs(pz) <= params[r, 5]:
                d = min(radial, params[r, 5] - abs(pz))
            else:
                d = max(radial, abs(pz) - params[r, 5])
                if params[r, 3] <= rho <= params[r, 4]:
                    d = abs(pz) - params[r, 5]
        else:
            ax = abs(px) - params[r, 3]
            ay = abs(py) - params[r, 4]
            az = abs(pz) - params[r, 5]
            if ax <= 0.0 and ay <= 0.0 and az <= 0.0:
                d = min(-ax, -ay, -az)
            else:
                d = max(ax, ay, az)
        if d < saf:
            saf = d
    return saf


@jit_inline
def _nearer_surface(tb, k, cx, cy, cz, p3, p4, p5, x, y, z, u, v, w):
    """``tb`` or the distance [cm] along (u, v, w) to the nearest surface ahead
    (beyond 1e-9 cm) of the solid (k, centre, params[3:6]), whichever is smaller.

    The tracking loops over a region's candidate surfaces itself and hands this
    scalars only: a helper taking the region arrays would have them
    reference-counted at every flight (numba keeps an inlined callee's array
    arguments alive around the chord's call), ~10 % of a source γ history.
    """
    n, a0, b0, a1, b1 = chord_scalar(k, cx, cy, cz, p3, p4, p5, x, y, z, u, v, w)
    if n >= 1:
        if 1e-9 < a0 < tb:
            tb = a0
        if 1e-9 < b0 < tb:
            tb = b0
        if n == 2:
            if 1e-9 < a1 < tb:
                tb = a1
            if 1e-9 < b1 < tb:
                tb = b1
    return tb


@jit_inline
def _find(labels, i):
    while labels[i] != i:
        labels[i] = labels[labels[i]]
        i = labels[i]
    return i


@jit_inline
def count_sites(dep, nd, mode, dz, dr, threshold, labels, site_e):
    """Number of sites of the deposits ``dep[:nd]`` = (E, x, y, z, region).

    ``mode`` 0: single linkage with |Δz| ≤ dz and transverse distance ≤ dr;
    1: one site per region. Sites below ``threshold`` [MeV] are not counted.
    ``labels`` (int64) and ``site_e`` (float64) are work arrays of length ≥ nd.
    """
    for i in range(nd):
        labels[i] = i
        site_e[i] = 0.0
    dr2 = dr * dr
    for i in range(1, nd):
        for j in range(i):
            if mode == 0:
                ddz = abs(dep[i, 3] - dep[j, 3])
                if ddz > dz:
                    continue
                dx = dep[i, 1] - dep[j, 1]
                dy = dep[i, 2] - dep[j, 2]
                if dx * dx + dy * dy > dr2:
                    continue
            elif dep[i, 4] != dep[j, 4]:
                continue
            a = _find(labels, i)
            b = _find(labels, j)
            if a != b:
                if a < b:
                    labels[b] = a
                else:
                    labels[a] = b
    for i in range(nd):
        site_e[_find(labels, i)] += dep[i, 0]
    count = 0
    for i in range(nd):
        if labels[i] == i and site_e[i] >= threshold and site_e[i] > 0.0:
            count += 1
    return count


@jit
def transport_kernel(
    starts,
    offsets,
    weights,
    kind,
    params,
    mat,
    flags,
    world,
    cand,
    mu,
    elements,
    n_el,
    bias_dir,
    stretch,
    incoherent_sf,
    rayleigh_ff,
    site_mode,
    dz,
    dr,
    site_threshold,
    roulette_mev,
    survival,
    rng,
    out_e,
    out_pos,
    out_nsites,
    out_efid,
    out_nfid,
    out_w,
    out_first,
    out_epass,
    out_eesc,
    out_first_reg,
    out_overflow,
    out_emin,
    rec,
    rec_off,
    first_dep,
):
    """Compiled core of :func:`transport` (arguments as there, unpacked; outputs filled).

    Parameters
    ----------
    starts : float64[P, 7]
        x, y, z [cm], u, v, w, E [MeV] of every photon.
    offsets : int64[n + 1]
    weights : float64[n]
    kind, params, mat, flags : region arrays (see ``PhotonGeometry.arrays``)
    world : int
        Material of the world (−1 vacuum).
    cand : int64[R + 1, R + 1]
        Surfaces to check from the world (row 0) and from each region
        (``PhotonGeometry.surface_candidates``).
    mu : float64[M, N_GRID, 5]
        μ [1/cm] on the uniform ln E grid: total, photo, incoherent, coherent, pair.
    elements : float64[M, MAX_ELEMENTS, 4]
    n_el : int64[M]
    bias_dir : float64[7]
        (mode, unit vector, centre) of the exponential transform: mode 0
        favours the unit vector, mode 1 the direction away from the centre.
    stretch : float
        p of the exponential transform in BIASED regions.
    incoherent_sf, rayleigh_ff : bool
    site_mode : int
        0 TPC linkage, 1 per region.
    dz, dr : float
        Site separation [cm].
    site_threshold : float
        [MeV].
    roulette_mev, survival : float
        Russian roulette below this energy in passive BIASED regions [MeV] (0:
        none) and its survival probability.
    rng : numpy.random.Generator
    out_* : output arrays of length n (out_pos: n × 3).
    rec : float64[capacity, 5]
        Sensitive deposits of all histories, as long as they fit.
    rec_off : int64[n + 1]
        Offsets of each history's deposits in ``rec``.
    first_dep : float64[n, 5] or float64[0, 5]
        The deposit each history starts with (E, x, y, z, region; none where
        E = 0), or no rows: none.

    Returns
    -------
    int
        Rows of ``rec`` needed (0 if ``rec`` has no rows: not recording).
    """
    nreg = kind.size
    n = offsets.size - 1
    dep = np.empty((MAX_DEPOSITS, 5))
    labels = np.empty(MAX_DEPOSITS, dtype=np.int64)
    site_e = np.empty(MAX_DEPOSITS)
    stack = np.empty((MAX_STACK, 7))
    record = rec.shape[0] > 0
    ptr = 0
    radial = bias_dir[0] == 1.0
    bx = bias_dir[1]
    by = bias_dir[2]
    bz = bias_dir[3]
    starts_with = first_dep.shape[0] > 0
    for h in range(n):
        wgt = weights[h]
        log_w = 0.0  # (the exponential transform's factors, exponentiated once at the end)
        dead = False  # (ended by the roulette)
        emin = _INF
        nd = 0
        if starts_with and first_dep[h, 0] > 0.0:
            for k in range(5):
                dep[0, k] = first_dep[h, k]
            nd = 1
        epass = 0.0
        eesc = 0.0
        first = -1
        first_reg = -1
        nfid = 0
        overflow = False
        ns = 0
        for p in range(offsets[h], offsets[h + 1]):
            for k in range(7):
                stack[ns, k] = starts[p, k]
            ns += 1
        while ns > 0:
            ns -= 1
            x = stack[ns, 0]
            y = stack[ns, 1]
            z = stack[ns, 2]
            u = stack[ns, 3]
            v = stack[ns, 4]
            w = stack[ns, 5]
            e = stack[ns, 6]
            reg = _locate(kind, params, nreg, x, y, z)
            m = world if reg < 0 else mat[reg]
            fl = 0 if reg < 0 else flags[reg]
            saf = 0.0  # a lower bound of the distance to the region's candidate surfaces
            e_grid = -1.0  # the energy whose grid cell (i, f) is known
            i = 0
            f = 0.0
            while True:
                edep = 0.0
                done = False
                if e < E_CUT_MEV:
                    edep = e
                    done = True
                else:
                    if e != e_grid:
                        g = (math.log(e) - LN_E_MIN) * _INV_DLN
                        i = int(g)
                        if i > N_GRID - 2:
                            i = N_GRID - 2
                        f = g - i
                        e_grid = e
                    mut = 0.0
                    if m >= 0:
                        mut = mu[m, i, 0] + f * (mu[m, i + 1, 0] - mu[m, i, 0])
                    mus = mut
                    if fl & BIASED:
                        if radial:
                            rx = x - bias_dir[4]
                            ry = y - bias_dir[5]
                            rz = z - bias_dir[6]
                            rn = math.sqrt(rx * rx + ry * ry + rz * rz)
                            cos_b = 0.0
                            if rn > 0.0:
                                cos_b = (u * rx + v * ry + w * rz) / rn
                        else:
                            cos_b = u * bx + v * by + w * bz
                        mus = mut * (1.0 - stretch * cos_b)
                    s = _INF
                    if mus > 0.0:
                        s = -math.log(1.0 - uniform(rng)) / mus
                    tb = _INF
                    if s >= saf:  # the flight may reach a surface: the exact safety, then
                        if not (fl & BIASED):  # (stretched flights nearly always reach one)
                            saf = _safety(kind, params, cand, reg + 1, x, y, z)
                        if s >= saf:
                            for j in range(cand[reg + 1, -1]):  # (its candidate surfaces)
                                rc = cand[reg + 1, j]
                                tb = _nearer_surface(
                                    tb,
                                    kind[rc],
                                    params[rc, 0],
                                    params[rc, 1],
                                    params[rc, 2],
                                    params[rc, 3],
                                    params[rc, 4],
                                    params[rc, 5],
                                    x,
                                    y,
                                    z,
                                    u,
                                    v,
                                    w,
                                )
                    if s >= tb or s == _INF:
                        if tb == _INF:
                            eesc += e
                            break
                        if fl & BIASED:
                            log_w -= (mut - mus) * tb
                        step = tb + NUDGE_CM
                        x += step * u
                        y += step * v
                        z += step * w
                        saf = 0.0
                        reg = _locate(kind, params, nreg, x, y, z)
                        m = world if reg < 0 else mat[reg]
                        fl = 0 if reg < 0 else flags[reg]
                        continue
                    if fl & BIASED:
                        wgt *= mut / mus
                        log_w -= (mut - mus) * s
                    x += s * u
                    y += s * v
                    z += s * w
                    saf = max(saf - s, 0.0)  # (the surfaces are at least this far still)
                    r = uniform(rng) * mut
                    c = mu[m, i, 1] + f * (mu[m, i + 1, 1] - mu[m, i, 1])
                    if r < c:
                        proc = 0
                    else:
                        c += mu[m, i, 2] + f * (mu[m, i + 1, 2] - mu[m, i, 2])
                        if r < c:
                            proc = 1
                        else:
                            c += mu[m, i, 3] + f * (mu[m, i + 1, 3] - mu[m, i, 3])
                            proc = 2 if r < c else 3
                    if proc == 3 and e <= 2.0 * ME_MEV:
                        proc = 1  # the grid cell of the threshold: no pair below it
                    if first < 0:
                        first = proc
                        first_reg = reg
                    if proc == 0:
                        edep = e
                        done = True
                    elif proc == 1:
                        eps, cos_t = compton(e / ME_MEV, elements, m, n_el[m], incoherent_sf, rng)
                        edep = e * (1.0 - eps)
                        e_in = e
                        e = e * eps
                        if (fl & BIASED) and not (fl & SENSITIVE):
                            emin = min(emin, e)
                            if e < roulette_mev <= e_in:  # (once a photon: e only falls)
                                if uniform(rng) < survival:
                                    wgt /= survival
                                else:
                                    dead = True  # (before its new direction is drawn)
                                    break
                        u, v, w = rotate(u, v, w, cos_t, rng)
                    elif proc == 2:
                        cos_t = rayleigh(e / ME_MEV, elements, m, n_el[m], rayleigh_ff, rng)
                        u, v, w = rotate(u, v, w, cos_t, rng)
                    else:
                        edep = e - 2.0 * ME_MEV
                        done = True
                        au, av, aw = isotropic_two_draws(rng)
                        for sgn in (1.0, -1.0):
                            stack[ns, 0] = x
                            stack[ns, 1] = y
                            stack[ns, 2] = z
                            stack[ns, 3] = sgn * au
                            stack[ns, 4] = sgn * av
                            stack[ns, 5] = sgn * aw
                            stack[ns, 6] = ME_MEV
                            ns += 1
                if edep > 0.0:
                    if fl & SENSITIVE:
                        if fl & FIDUCIAL:
                            nfid += 1
                        if nd < MAX_DEPOSITS:
                            dep[nd, 0] = edep
                            dep[nd, 1] = x
                            dep[nd, 2] = y
                            dep[nd, 3] = z
                            dep[nd, 4] = reg
                            nd += 1
                        else:
                            dep[nd - 1, 0] += edep
                            overflow = True
                    else:
                        epass += edep
                if done:
                    break
            if dead:
                break
        if dead:
            nd = 0
            wgt = 0.0
            nfid = 0
        etot = 0.0
        efid = 0.0
        sx = 0.0
        sy = 0.0
        sz = 0.0
        for k in range(nd):
            ek = dep[k, 0]
            etot += ek
            sx += ek * dep[k, 1]
            sy += ek * dep[k, 2]
            sz += ek * dep[k, 3]
            if flags[int(dep[k, 4])] & FIDUCIAL:
                efid += ek
        out_e[h] = etot
        if etot > 0.0:
            out_pos[h, 0] = sx / etot
            out_pos[h, 1] = sy / etot
            out_pos[h, 2] = sz / etot
            if nd == 1:
                out_nsites[h] = 1 if etot >= site_threshold else 0
            else:
                out_nsites[h] = count_sites(
                    dep, nd, site_mode, dz, dr, site_threshold, labels, site_e
                )
        else:
            out_pos[h, 0] = math.nan
            out_pos[h, 1] = math.nan
            out_pos[h, 2] = math.nan
            out_nsites[h] = 0
        out_efid[h] = efid
        out_nfid[h] = nfid
        out_w[h] = wgt * math.exp(log_w) if log_w != 0.0 else wgt
        out_first[h] = first
        out_epass[h] = epass
        out_eesc[h] = eesc
        out_first_reg[h] = first_reg
        if record:
            for k in range(nd):
                if ptr + k < rec.shape[0]:
                    for j in range(5):
                        rec[ptr + k, j] = dep[k, j]
            ptr += nd
            rec_off[h + 1] = ptr
        out_overflow[h] = overflow
        out_emin[h] = emin
    return ptr


__all__ = [
    "E_CUT_MEV",
    "MAX_DEPOSITS",
    "MAX_STACK",
    "SITE_MODES",
    "Histories",
    "TransportOptions",
    "count_sites",
    "transport",
    "transport_kernel",
]
