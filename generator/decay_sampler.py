"""Exact sampling of radioactive-decay events: electron energy, vertex, time, direction.

A decay background's electron kinetic-energy density f(T) on [0, Q] is split
into *cells* [x₀, x₀ + Δx], drawn with one alias table in proportion to
Δx·H, where H ≥ f and L ≤ f bound the density over the cell. T is uniform in
the cell and kept with probability f(T)/H: when the second uniform y·H ≤ L
(almost always) without evaluating anything, otherwise the exact density
settles it. The draws follow f exactly for any cell layout; the layout only
sets the speed (as in :mod:`.recoil_sampler`; no binned inverse CDF).

Two density models:

- ``LINEAR``: a piecewise-linear table (a tabulated β spectrum). A cell spans
  up to :data:`LINEAR_MERGE` consecutive segments of one table; H and L are the
  largest and smallest of its nodes' values (exact: a piecewise-linear density
  takes its extremes at nodes), and the exact density, needed only when
  L < y·H, is the table's interpolation at T, its segment found by bisection
  among the cell's nodes (``par`` holds every table's nodes, (E, f) pairs; the
  cell's ``A`` and ``B`` columns, its first node and number of segments).
  Merging keeps a table of 10⁵ segments (²¹⁴Pb's five branches) a few
  hundred kB, inside the processor's cache; one cell per segment, it was
  ~6 MB and each draw waited for memory.
- ``DNBB``: the two-neutrino double-β summed-electron spectrum
  K(K⁴ + 10K³ + 40K² + 60K + 30)(Q − K)⁵, K = T/mₑ (Primakoff & Rosen
  1959); the first factor rises and the second falls with K, so
  H = g(K₁)(Q − K₀)⁵ and L = g(K₀)(Q − K₁)⁵ on [K₀, K₁].

Every cell also carries the index of the β branch it belongs to.

The event kernel :func:`fill_decays` adds a vertex uniform in the detector's
solid (a cylinder directly, any other solid by rejection from its bounding
box), a time uniform in [t₀, t₀ + Δt) (from the accepting uniform's leftover
when the fast path accepts: given y < L, y/L is uniform on [0, 1) and
independent of T) and an isotropic electron direction
(Marsaglia 1972: a point (u, v) uniform in the unit disc, s = u² + v²,
d = (2u√(1 − s), 2v√(1 − s), 1 − 2s)). Kernels take an explicit
``numpy.random.Generator`` and fill arrays the caller allocates.
"""

from dataclasses import dataclass

import numpy as np

from nusource.core.jit import jit
from nusource.core.pcg64 import uniform
from nusource.core.rng_kernels import isotropic_direction, split_pair
from nusource.geometry.solids import BOX, CYLINDER, CYLINDRICAL_SHELL, SPHERICAL_SHELL, inside_at

from .alias import build_alias, pair_table
from .constants import M_E

# columns of the packed cell table
C_PROB, C_ALIAS, C_X0, C_DX, C_L, C_H, C_A, C_B = range(8)
C_SIZE = 8

LINEAR = 0
"""Model code: piecewise-linear density; ``par`` = the tables' nodes (E, f) in pairs."""
LINEAR_MERGE = 16
"""Most segments of a piecewise-linear table in one cell."""
DNBB = 1
"""Model code: 2νββ summed-electron density; ``par`` = (Q/mₑ, 1/mₑ)."""

_NO_INT = np.empty(0, dtype=np.int64)


@jit
def dnbb_shape(k, q):
    """K(K⁴ + 10K³ + 40K² + 60K + 30)(Q − K)⁵ for 0 ≤ K ≤ Q (K, Q in units of mₑ), else 0."""
    if k < 0.0 or k > q:
        return 0.0
    r = q - k
    r2 = r * r
    return k * ((((k + 10.0) * k + 40.0) * k + 60.0) * k + 30.0) * (r2 * r2 * r)


@jit
def _exact(model, cells, k, s, t, par):
    """The density of cell k at energy t (s: its position in the cell)."""
    if model == LINEAR:
        lo = int(cells[k, C_A])  # the last of the cell's nodes at or below t
        hi = lo + int(cells[k, C_B])
        while hi - lo > 1:
            mid = (lo + hi) >> 1
            if par[2 * mid] <= t:
                lo = mid
            else:
                hi = mid
        x0 = par[2 * lo]
        f0 = par[2 * lo + 1]
        return f0 + (t - x0) / (par[2 * lo + 2] - x0) * (par[2 * lo + 3] - f0)
    return dnbb_shape(t * par[1], par[0])


@jit
def fill_energies(rng, cells, model, par, cell_branch, te_out, branch_out):
    """Fill ``te_out`` [MeV] with exact draws; ``branch_out`` (if not empty) with branch indices.

    Parameters
    ----------
    rng : numpy.random.Generator
    cells : float64[n_cells, 8]
        Packed cells (columns ``C_*``).
    model : int
        ``LINEAR`` or ``DNBB``.
    par : float64[:]
        Model parameters (``DNBB``: Q/mₑ and 1/mₑ [1/MeV]; ``LINEAR``: the
        tables' nodes, :func:`linear_cells`).
    cell_branch : int64[n_cells]
        Branch index of each cell.
    te_out : float64[n]
        Electron kinetic energies [MeV] (filled).
    branch_out : int64[n] or int64[0]
        Branch index of each draw (filled when not empty).

    Returns
    -------
    int
        Number of trials (cells drawn).
    """
    n = cells.shape[0]
    pair = pair_table(cells[:, C_ALIAS])
    want_branch = branch_out.shape[0] > 0
    trials = 0
    for i in range(te_out.shape[0]):
        while True:
            trials += 1
            x = uniform(rng) * n
            k = min(int(x), n - 1)
            f = x - k
            pk = cells[k, C_PROB]
            aliased = f >= pk  # (no branch: see alias.pair_table)
            s = (f - (pk if aliased else 0.0)) / ((1.0 - pk) if aliased else pk)
            k = pair[2 * k + aliased]
            t = cells[k, C_X0] + s * cells[k, C_DX]
            y = uniform(rng) * cells[k, C_H]
            if y <= cells[k, C_L] or y <= _exact(model, cells, k, s, t, par):
                break
        te_out[i] = t
        if want_branch:
            branch_out[i] = cell_branch[k]
    return trials


@jit
def fill_decays(
    rng,
    cells,
    model,
    par,
    cell_branch,
    kind,
    det,
    box,
    t0,
    t_len,
    te,
    vx,
    vy,
    vz,
    time,
    dx,
    dy,
    dz,
    branch_out,
):
    """Full decay events: energy, vertex uniform in a solid, time, isotropic direction.

    Parameters
    ----------
    rng, cells, model, par, cell_branch
        As for :func:`fill_energies`.
    kind : int
        Solid kind (:mod:`nusource.geometry.solids`).
    det : float64[8]
        The solid's packed parameters [cm].
    box : float64[6]
        Its bounding box (centre, half sizes) [cm]; used for solids other than
        a cylinder (rejection with :func:`~nusource.geometry.solids.inside`).
    t0, t_len : float
        Times are uniform in [t0, t0 + t_len) [s].
    te : float64[n]
        Electron kinetic energy [MeV].
    vx, vy, vz : float64[n]
        Vertex [cm].
    time : float64[n]
        Decay time [s].
    dx, dy, dz : float64[n]
        Unit electron direction, isotropic.
    branch_out : int64[n] or int64[0]
        Branch index of each decay (filled when not empty).

    Returns
    -------
    int
        Number of energy trials.
    """
    n = cells.shape[0]
    pair = pair_table(cells[:, C_ALIAS])
    want_branch = branch_out.shape[0] > 0
    cyl = kind == CYLINDER
    trials = 0
    for i in range(te.shape[0]):
        while True:
            trials += 1
            x = uniform(rng) * n
            k = min(int(x), n - 1)
            f = x - k
            pk = cells[k, C_PROB]
            aliased = f >= pk  # (no branch: see alias.pair_table)
            s = (f - (pk if aliased else 0.0)) / ((1.0 - pk) if aliased else pk)
            k = pair[2 * k + aliased]
            t = cells[k, C_X0] + s * cells[k, C_DX]
            y = uniform(rng) * cells[k, C_H]
            low = cells[k, C_L]
            if y < low:
                # accepted below the lower bound: y/L is again uniform on [0, 1),
                # independent of the energy, and times the decay
                w = y / low
                break
            if y <= _exact(model, cells, k, s, t, par):
                w = uniform(rng)
                break
        te[i] = t
        if want_branch:
            branch_out[i] = cell_branch[k]
        if cyl:
            while True:
                u, v = split_pair(rng)
                if u * u + v * v <= 1.0:
                    break
            vx[i] = det[0] + det[3] * u
            vy[i] = det[1] + det[3] * v
            vz[i] = det[2] + det[4] * (2.0 * uniform(rng) - 1.0)
        else:
            while True:
                u, v = split_pair(rng)
                px = box[0] + box[3] * u
                py = box[1] + box[4] * v
                pz = box[2] + box[5] * (2.0 * uniform(rng) - 1.0)
                if inside_at(kind, det[0], det[1], det[2], det[3], det[4], det[5], px, py, pz):
                    break
            vx[i] = px
            vy[i] = py
            vz[i] = pz
        time[i] = t0 + t_len * w
        dx[i], dy[i], dz[i] = isotropic_direction(rng)
    return trials


# ---------------------------------------------------------------- building


def bounding_box(kind: int, params: np.ndarray) -> np.ndarray:
    """(cx, cy, cz, hx, hy, hz) of an axis-aligned box containing the solid [cm]."""
    p = np.asarray(params, dtype=float)
    if kind == CYLINDER:
        h = (p[3], p[3], p[4])
    elif kind == SPHERICAL_SHELL:
        h = (p[4], p[4], p[4])
    elif kind == CYLINDRICAL_SHELL:
        h = (p[4], p[4], p[5])
    elif kind == BOX:
        h = (p[3], p[4], p[5])
    else:
        raise ValueError(f"solid kind {kind!r}: unknown")
    return np.array([p[0], p[1], p[2], *h], dtype=float)


def linear_cells(tables, merge: int = LINEAR_MERGE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells of a mixture of piecewise-linear densities (up to ``merge`` segments a cell).

    Parameters
    ----------
    tables : sequence of (grid, density, weight, branch)
        grid [MeV] non-decreasing (a repeated energy is a step of the density),
        density per MeV (any normalisation; each table is scaled to unit
        trapezoid integral), weight ≥ 0 (probability of the table in the
        mixture), branch index.
    merge : int
        Most segments in a cell.

    Returns
    -------
    cells : float64[n_cells, 8]
    cell_branch : int64[n_cells]
    par : float64[2 × nodes]
        Every table's nodes (E [MeV], scaled density), the ``LINEAR`` model's ``par``.
    """
    rows, branches, nodes = [], [], []
    first = 0  # index of the table's first node in `par`
    for grid, dens, weight, branch in tables:
        g = np.asarray(grid, dtype=float)
        d = np.asarray(dens, dtype=float)
        total = float(np.sum(0.5 * (d[1:] + d[:-1]) * np.diff(g)))
        if not (total > 0 and weight > 0):
            continue
        d = d * (weight / total)
        starts = np.arange(0, g.size - 1, merge)
        ends = np.minimum(starts + merge, g.size - 1)
        seg_lo, seg_hi = np.minimum(d[:-1], d[1:]), np.maximum(d[:-1], d[1:])
        low = np.minimum.reduceat(seg_lo, starts)
        high = np.maximum.reduceat(seg_hi, starts)
        rows.append(
            np.column_stack(
                [g[starts], g[ends] - g[starts], low, high, first + starts, ends - starts]
            )
        )
        branches.append(np.full(starts.size, branch, dtype=np.int64))
        nodes.append(np.column_stack([g, d]).ravel())
        first += g.size
    if not rows:
        raise ValueError("no spectrum with positive weight to sample")
    r = np.concatenate(rows)
    keep = r[:, 1] > 0  # (a cell of steps only has no width: never drawn)
    r = r[keep]
    cells = _pack(r[:, 0], r[:, 1], r[:, 2], r[:, 3], r[:, 4], r[:, 5])
    return cells, np.concatenate(branches)[keep], np.concatenate(nodes)


def dnbb_cells(q_mev: float, n_cells: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Cells of the 2νββ summed-electron density on [0, Q] (equal widths in T).

    Returns
    -------
    cells : float64[n_cells, 8]
    cell_branch : int64[n_cells] (all 0)
    """
    edges = np.linspace(0.0, q_mev, n_cells + 1)
    edges[-1] = q_mev
    k0, k1 = edges[:-1] / M_E, edges[1:] / M_E
    q = q_mev / M_E

    def rising(k):
        return k * ((((k + 10.0) * k + 40.0) * k + 60.0) * k + 30.0)

    high = rising(k1) * np.maximum(q - k0, 0.0) ** 5
    low = rising(k0) * np.maximum(q - k1, 0.0) ** 5
    x0, dxs = edges[:-1], np.diff(edges)
    zero = np.zeros_like(x0)
    return _pack(x0, dxs, low, high, zero, zero), np.zeros(x0.size, dtype=np.int64)


def _pack(x0, dxs, low, high, a, b) -> np.ndarray:
    prob, alias = build_alias(dxs * high)
    cells = np.empty((x0.size, C_SIZE))
    cells[:, C_PROB], cells[:, C_ALIAS] = prob, alias
    cells[:, C_X0], cells[:, C_DX] = x0, dxs
    # margins against rounding of the bounds (the exact test decides near them)
    cells[:, C_L] = low * (1.0 - 1e-12)
    cells[:, C_H] = high * (1.0 + 1e-12)
    cells[:, C_A], cells[:, C_B] = a, b
    return cells


@dataclass(frozen=True, eq=False)
class DecayTables:
    """Sampling tables of one decay background (built once, read-only use).

    Attributes
    ----------
    cells : numpy.ndarray
        float64[n_cells, 8], columns ``C_*``.
    model : int
        ``LINEAR`` or ``DNBB``.
    par : numpy.ndarray
        float64 model parameters (``DNBB``: Q/mₑ and 1/mₑ; ``LINEAR``: the
        tables' nodes, see :func:`linear_cells`).
    cell_branch : numpy.ndarray
        int64[n_cells], branch index of each cell.
    """

    cells: np.ndarray
    model: int
    par: np.ndarray
    cell_branch: np.ndarray

    def fill(self, rng, n: int, te_out: np.ndarray, branch_out=None) -> int:
        """Fill ``te_out[:n]`` with electron kinetic energies [MeV] (and ``branch_out[:n]``).

        Returns the number of trials (n / trials is the acceptance).
        """
        b = _NO_INT if branch_out is None else branch_out[:n]
        return fill_energies(rng, self.cells, self.model, self.par, self.cell_branch, te_out[:n], b)

    def fill_events(
        self,
        rng,
        n: int,
        solid,
        t0_s: float,
        t_len_s: float,
        te,
        vx,
        vy,
        vz,
        time,
        dx,
        dy,
        dz,
        branch_out=None,
    ) -> int:
        """Fill the first n entries of full decay events (see :func:`fill_decays`).

        ``solid`` is a :mod:`nusource.geometry.solids` solid (vertices uniform in
        it); times uniform in [t0_s, t0_s + t_len_s) [s]. Returns the trials.
        """
        kind = int(solid.kind)
        det = np.ascontiguousarray(solid.params, dtype=float)
        box = bounding_box(kind, det)
        b = _NO_INT if branch_out is None else branch_out[:n]
        return fill_decays(
            rng,
            self.cells,
            self.model,
            self.par,
            self.cell_branch,
            kind,
            det,
            box,
            float(t0_s),
            float(t_len_s),
            te[:n],
            vx[:n],
            vy[:n],
            vz[:n],
            time[:n],
            dx[:n],
            dy[:n],
            dz[:n],
            b,
        )


__all__ = [
    "C_SIZE",
    "DecayTables",
    "DNBB",
    "LINEAR",
    "bounding_box",
    "dnbb_cells",
    "dnbb_shape",
    "fill_decays",
    "fill_energies",
    "linear_cells",
]
