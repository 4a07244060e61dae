"""Exact sampling of (Eν, T) from spectrum × dσ/dT in a recoil window.

The target density is f(E)·dσ/dT(T, E) on T_lo ≤ T ≤ b(E) = min(T_hi, T_max(E)),
with f the source's lines and piecewise-linear continuum
(:mod:`.neutrino_spectrum`) and dσ/dT the model's SM + Z′ + μν² cross section.

It is sampled exactly by composition and rejection over *cells* drawn with
one alias table:

- a line cell is (line k, a bin [t₀, t₁] of its recoil range), of mass
  P_k·(t₁ − t₀)·H; T is uniform in the bin;
- a continuum cell is (an energy bin [E₀, E₁], a bin [u₀, u₁] of
  u = (T − T_lo)/(b(E) − T_lo) ∈ [0, 1]), of mass (E₁ − E₀)(u₁ − u₀)·H; E and u
  are uniform in the cell and T = T_lo + u·(b(E) − T_lo), whose density carries
  the Jacobian b(E) − T_lo.

H and L bound the cell's density from above and below by interval arithmetic:
dσ/dT/S₀ = α₁ + α₂(1 − y)² − α₃(mₑ/E)y + M(1/T − 1/E) with y = T/E, the α
bounded exactly over the κ(T) range of the window (they are quadratic in κ),
every factor monotone in T and E over a cell, and f bounded by its table
values inside the bin.  A draw is kept with probability density/H; when
x ≤ L (almost always) it is kept without evaluating anything, otherwise the
exact density settles it.  The result follows f(E)·dσ/dT exactly for any
binning; the binning only sets the speed.
"""

import math
from dataclasses import dataclass

import numpy as np

from nusource.core.jit import jit
from nusource.core.pcg64 import uniform
from nusource.core.rng_kernels import split_pair

from .alias import build_alias, pair_table
from .constants import M_E, SIGMA0, SIGMA_MU
from .couplings import radiative_i
from .kinematics import e_min, frame, t_max
from .model import P_K0, P_K1, P_LINEAR, P_MU2, PhysicsModel
from .neutrino_spectrum import NuSpectrum
from .xsec import couplings_at, weak_bracket, zprime_coefficients, zprime_shifts

# Columns of the packed cell table: one 64-byte row per cell, so a draw
# touches one cache line.  DE == 0 marks a line cell (E = E0, T = X0 + s·DX);
# otherwise E = E0 + s·DE, u = X0 + s'·DX, T = T_lo + u·(b(E) − T_lo).
C_PROB, C_ALIAS, C_E0, C_DE, C_X0, C_DX, C_L, C_H = range(8)
C_SIZE = 8

_NO_AXES = np.empty(0)

# layout of the window array
W_TLO, W_THI, W_MU = 0, 1, 2


@jit
def true_bracket(t, e, p):
    """dσ_weak/dT / S₀ of the model (SM with its Z′, exact or linear form)."""
    g1, g2 = couplings_at(t, p)
    d1, d2 = zprime_shifts(p, False)
    if p[P_LINEAR] != 0.0:
        c1, _ = zprime_coefficients(g1, g2, d1, d2, t, e)
        return weak_bracket(g1, g2, t, e) + c1
    return weak_bracket(g1 + d1, g2 + d2, t, e)


@jit
def _table_value(x, grid, dens):
    """Piecewise-linear table f at x (0 outside the grid)."""
    n = grid.shape[0]
    if n == 0 or x < grid[0] or x > grid[n - 1]:
        return 0.0
    i = min(max(np.searchsorted(grid, x) - 1, 0), n - 2)
    h = grid[i + 1] - grid[i]
    if h <= 0.0:
        return dens[i]
    return dens[i] + (dens[i + 1] - dens[i]) * (x - grid[i]) / h


@jit
def _exact_accept(y, e, t, jac, line, win, p, grid, dens):
    """The rare slow path: keep the draw if y ≤ f(E)·J·dσ/dT/S₀ exactly.

    Kept out of the hot loop (a separate compiled function) so the loop
    stays small.
    """
    if t <= 0.0 or jac <= 0.0:
        return False
    f = 1.0 if line else _table_value(e, grid, dens)
    m = win[W_MU]
    mag = m * (1.0 / t - 1.0 / e) if m > 0.0 else 0.0
    return y <= f * jac * (true_bracket(t, e, p) + mag)


@jit
def sample_recoils(rng, cells, win, p, grid, dens, out_e, out_t):
    """Fill out_e[i], out_t[i] (MeV) with exact draws from f(E)·dσ/dT in the window.

    Returns the number of trials (cells drawn), from which the acceptance follows.
    """
    empty = np.empty(0)
    return sample_events_along(
        rng, cells, win, p, grid, dens, 0.0, 0.0, 1.0, out_e, out_t, empty, empty, empty, empty
    )


@jit
def sample_events_along(
    rng,
    cells,
    win,
    p,
    grid,
    dens,
    ux,
    uy,
    uz,
    out_e,
    out_t,
    out_cos,
    out_dx,
    out_dy,
    out_dz,
    axes_x=_NO_AXES,
    axes_y=_NO_AXES,
    axes_z=_NO_AXES,
):
    """(Eν, T) as :func:`sample_recoils`, and, if ``out_cos`` is not empty, cosθ and the
    electron direction (azimuth uniform) about the neutrino direction: the unit
    vector u for every event, or event i's own (axes_x[i], axes_y[i], axes_z[i])
    when those arrays are given.

    One loop does both: the event's E and T are still in registers when its
    direction is computed.  (The loop is written out rather than calling a
    per-event function returning a tuple, which numba compiles to code twice
    as slow.)  Returns the number of trials.
    """
    n = cells.shape[0]
    pair = pair_table(cells[:, C_ALIAS])
    a = win[W_TLO]
    t_hi = win[W_THI]
    directions = out_cos.shape[0] > 0
    per_event = axes_x.shape[0] > 0
    fa, fb = frame(ux, uy, uz)
    trials = 0
    for i in range(out_e.shape[0]):
        while True:
            trials += 1
            # alias draw; the leftover fraction of the same uniform, rescaled, is
            # again uniform given the chosen cell and places the draw inside it
            # (41+ of its 53 bits remain for tables of < 4096·16 cells)
            x = uniform(rng) * n
            k = min(int(x), n - 1)
            f = x - k
            pk = cells[k, C_PROB]
            aliased = f >= pk  # (no branch: see alias.pair_table)
            s = (f - (pk if aliased else 0.0)) / ((1.0 - pk) if aliased else pk)
            k = pair[2 * k + aliased]
            de = cells[k, C_DE]
            line = de == 0.0
            if line:
                e = cells[k, C_E0]
                jac = 1.0
                t = cells[k, C_X0] + s * cells[k, C_DX]
            else:
                e = cells[k, C_E0] + s * de
                jac = min(t_hi, 2.0 * e * e / (M_E + 2.0 * e)) - a
                t = a + (cells[k, C_X0] + uniform(rng) * cells[k, C_DX]) * jac
            y = uniform(rng) * cells[k, C_H]
            if y <= cells[k, C_L] or _exact_accept(y, e, t, jac, line, win, p, grid, dens):
                break
        out_e[i] = e
        out_t[i] = t
        if directions:
            # cos²θ = T(E + mₑ)²/(E²(T + 2mₑ)), azimuth by rejection in the unit disc
            c2 = min(t * (e + M_E) * (e + M_E) / (e * e * (t + 2.0 * M_E)), 1.0)
            while True:
                px, py = split_pair(rng)
                r2 = px * px + py * py
                if 0.0 < r2 <= 1.0:
                    break
            c = math.sqrt(c2)
            q = math.sqrt(1.0 - c2) / r2
            px, py = (px * px - py * py) * q, 2.0 * px * py * q
            if per_event:
                ux, uy, uz = axes_x[i], axes_y[i], axes_z[i]
                fa, fb = frame(ux, uy, uz)
            out_cos[i] = c
            out_dx[i] = px * fa[0] + py * fb[0] + c * ux
            out_dy[i] = px * fa[1] + py * fb[1] + c * uy
            out_dz[i] = px * fa[2] + py * fb[2] + c * uz
    return trials


# ---------------------------------------------------------------- building


def _py(kernel):
    """A kernel's Python form, for the few scalar calls made while tables are built.

    The same code, so the tables are unchanged, without loading the compiled
    function at a command's start (kernels calling it carry their own copy).
    """
    return getattr(kernel, "py_func", kernel)


def _alpha_range(p: np.ndarray, t_lo: float, t_hi: float):
    """Exact (min, max) of α₁, α₂, α₃ over the window's κ(T) range.

    dσ_weak/dT/S₀ = α₁ + α₂(1−y)² − α₃(mₑ/E)y; the α are quadratic in κ, so
    their extrema lie at the ends of the κ range or at the vertex, found from
    three evaluations.
    """
    kappas = [p[P_K0] + p[P_K1] * (_py(radiative_i)(t) if t > 0 else 0.0) for t in (t_lo, t_hi)]
    k0, k1 = min(kappas), max(kappas)

    def alphas(kappa):
        q = p.copy()
        q[P_K0], q[P_K1] = kappa, 0.0
        g1, g2 = _py(couplings_at)(1.0, q)
        d1, d2 = _py(zprime_shifts)(q, False)
        if q[P_LINEAR] != 0.0:
            return np.array(
                [g1 * g1 + 2 * g1 * d1, g2 * g2 + 2 * g2 * d2, g1 * g2 + g1 * d2 + g2 * d1]
            )
        return np.array([(g1 + d1) ** 2, (g2 + d2) ** 2, (g1 + d1) * (g2 + d2)])

    if k1 - k0 < 1e-15:
        v = alphas(k0)
        return v, v
    km = 0.5 * (k0 + k1)
    f0, fm, f1 = alphas(k0), alphas(km), alphas(k1)
    vals = [f0, f1]
    curv = f0 - 2 * fm + f1
    for j in range(3):
        if curv[j] != 0.0:
            s = 0.5 * (f0[j] - f1[j]) / curv[j]  # vertex, in units of (k1 − k0)/2 from km
            if -1.0 < s < 1.0:
                vals.append(alphas(km + s * 0.5 * (k1 - k0)))
    vals = np.array(vals)
    return vals.min(axis=0), vals.max(axis=0)


def _interval_product(a_lo, a_hi, x_lo, x_hi):
    """(min, max) of a·x for a ∈ [a_lo, a_hi], x ∈ [x_lo, x_hi] (elementwise)."""
    c = np.stack(np.broadcast_arrays(a_lo * x_lo, a_lo * x_hi, a_hi * x_lo, a_hi * x_hi))
    return c.min(axis=0), c.max(axis=0)


def _square_range(lo, hi):
    """(min, max) of x² for x ∈ [lo, hi] (elementwise)."""
    sq_lo = np.where((lo <= 0) & (hi >= 0), 0.0, np.minimum(lo * lo, hi * hi))
    return sq_lo, np.maximum(lo * lo, hi * hi)


def _xsec_bounds(
    y_lo, y_hi, ry_lo, ry_hi, inv_t_min, inv_t_max, inv_e_min, inv_e_max, alo, ahi, mu_term
):
    """Bounds of dσ/dT/S₀ over a cell, from the ranges of its factors (elementwise).

    y = T/E ∈ [y_lo, y_hi], (mₑ/E)·y ∈ [ry_lo, ry_hi]; the magnetic term
    M(1/T − 1/E) uses 1/T ∈ [inv_t_min, inv_t_max] and 1/E ∈ [inv_e_min, inv_e_max].
    """
    w2_lo, w2_hi = _square_range(1.0 - y_hi, 1.0 - y_lo)
    b_lo, b_hi = _interval_product(alo[1], ahi[1], w2_lo, w2_hi)
    c_lo, c_hi = _interval_product(-ahi[2], -alo[2], ry_lo, ry_hi)
    low = alo[0] + b_lo + c_lo
    high = ahi[0] + b_hi + c_hi
    if mu_term > 0.0:
        low = low + mu_term * np.maximum(inv_t_min - inv_e_max, 0.0)
        high = high + mu_term * (inv_t_max - inv_e_min)
    return np.maximum(low, 0.0), high


def _recoil_edges(t_lo, t_hi, mu_term, nbins):
    """Bin edges on [t_lo, t_hi]: even, plus even in log where the 1/T term matters."""
    edges = np.linspace(t_lo, t_hi, nbins + 1)
    if mu_term > 0.0:
        edges = np.union1d(edges, np.geomspace(t_lo, t_hi, nbins // 2 + 1))
    return edges


def _line_cells(spectrum, t_lo, t_hi, alo, ahi, mu_term, nbins):
    rows = []
    for e, w in zip(spectrum.line_energy, spectrum.line_prob, strict=True):
        b = min(t_hi, float(_py(t_max)(e)))
        if b <= t_lo or w <= 0.0:
            continue
        edges = _recoil_edges(t_lo, b, mu_term, nbins)
        t0, t1 = edges[:-1], edges[1:]
        with np.errstate(divide="ignore"):
            inv_t0 = 1.0 / t0
        low, high = _xsec_bounds(
            t0 / e,
            t1 / e,
            M_E * t0 / e**2,
            M_E * t1 / e**2,
            1.0 / t1,
            inv_t0,
            1.0 / e,
            1.0 / e,
            alo,
            ahi,
            mu_term,
        )
        n = t0.size
        rows.append((np.full(n, e), np.zeros(n), t0, t1 - t0, low, high, w * (t1 - t0) * high))
    return rows


def _table_range(grid, dens, lo, hi):
    """(min, max) of the piecewise-linear table over each [lo, hi] (elementwise)."""
    f_lo = np.interp(lo, grid, dens, left=0.0, right=0.0)
    f_hi = np.interp(hi, grid, dens, left=0.0, right=0.0)
    mn, mx = np.minimum(f_lo, f_hi), np.maximum(f_lo, f_hi)
    i0 = np.searchsorted(grid, lo, side="right")
    i1 = np.searchsorted(grid, hi, side="left")
    for j in np.nonzero(i1 > i0)[0]:
        seg = dens[i0[j] : i1[j]]
        mn[j] = min(mn[j], seg.min())
        mx[j] = max(mx[j], seg.max())
    return mn, mx


def _continuum_cells(spectrum, t_lo, t_hi, alo, ahi, mu_term, e_bins, u_bins):
    g, d = spectrum.cont_energy, spectrum.cont_density
    e_thr = float(_py(e_min)(t_lo)) if t_lo > 0 else 0.0
    e_top = g[-1]
    if e_top <= e_thr:
        return []
    # bin edges: even in E, plus the threshold, the kink of b(E) at E_min(T_hi)
    # and both sides of every step of the table (zero-width intervals)
    steps = np.nonzero(np.diff(g) <= 1e-12 * g[1:])[0]
    special = [
        e_thr,
        float(_py(e_min)(t_hi)) if math.isfinite(t_hi) else e_top,
        *g[steps],
        *g[steps + 1],
    ]
    edges = np.union1d(np.linspace(max(e_thr, g[0]), e_top, e_bins + 1), special)
    edges = edges[(edges >= max(e_thr, g[0])) & (edges <= e_top)]
    e0, e1 = edges[:-1], edges[1:]
    keep = e1 > e0 * (1 + 1e-12)
    e0, e1 = e0[keep], e1[keep]
    f_lo, f_hi = _table_range(g, d, e0, e1)
    live = f_hi > 0
    e0, e1, f_lo, f_hi = e0[live], e1[live], f_lo[live], f_hi[live]
    b0 = np.minimum(t_hi, 2 * e0 * e0 / (M_E + 2 * e0))
    b1 = np.minimum(t_hi, 2 * e1 * e1 / (M_E + 2 * e1))
    jac_lo, jac_hi = np.maximum(b0 - t_lo, 0.0), b1 - t_lo
    # u bins: even, plus a log-like set that follows 1/T when μν matters
    u_edges = np.linspace(0.0, 1.0, u_bins + 1)
    if mu_term > 0.0:
        b_ref = float(b1.max())
        u_edges = np.union1d(
            u_edges, (np.geomspace(t_lo, b_ref, u_bins // 2 + 1) - t_lo) / (b_ref - t_lo)
        )
    u0, u1 = u_edges[:-1], u_edges[1:]
    E0, U0 = np.meshgrid(e0, u0, indexing="ij")
    E1, U1 = np.meshgrid(e1, u1, indexing="ij")
    J_lo, _ = np.meshgrid(jac_lo, u0, indexing="ij")
    J_hi, _ = np.meshgrid(jac_hi, u0, indexing="ij")
    F_lo, _ = np.meshgrid(f_lo, u0, indexing="ij")
    F_hi, _ = np.meshgrid(f_hi, u0, indexing="ij")
    # factor ranges over each cell.  With β(E) = b(E)/E² and γ(E) = b(E)/E
    # (β falls with E; γ is monotone between the E edges, which include the
    # kink of b at E_min(T_hi)), T = a(1 − u) + u·b(E) gives
    # y = a(1 − u)/E + u·γ(E) and (mₑ/E)y = mₑ[a(1 − u)/E² + u·β(E)].
    a = t_lo
    with np.errstate(divide="ignore", invalid="ignore"):
        beta0 = np.where(E0 > 0, np.minimum(t_hi, 2 * E0 * E0 / (M_E + 2 * E0)) / E0**2, 2.0 / M_E)
        beta1 = np.minimum(t_hi, 2 * E1 * E1 / (M_E + 2 * E1)) / E1**2
        gam0 = np.where(E0 > 0, np.minimum(t_hi, 2 * E0 * E0 / (M_E + 2 * E0)) / E0, 0.0)
        gam1 = np.minimum(t_hi, 2 * E1 * E1 / (M_E + 2 * E1)) / E1
        a_e0 = np.where(E0 > 0, a / E0, 0.0) if a > 0 else np.zeros_like(E0)
        a_e0sq = np.where(E0 > 0, a / E0**2, 0.0) if a > 0 else np.zeros_like(E0)
        y_lo = a * (1 - U1) / E1 + U0 * np.minimum(gam0, gam1)
        y_hi = a_e0 * (1 - U0) + U1 * np.maximum(gam0, gam1)
        ry_lo = M_E * (a * (1 - U1) / E1**2 + U0 * beta1)
        ry_hi = M_E * (a_e0sq * (1 - U0) + U1 * beta0)
        T0 = a + U0 * J_lo
        T1 = a + U1 * J_hi
        inv_e_max = np.where(E0 > 0, 1.0 / E0, np.inf)
        inv_t_max = 1.0 / T0
    low, high = _xsec_bounds(
        y_lo, y_hi, ry_lo, ry_hi, 1.0 / T1, inv_t_max, 1.0 / E1, inv_e_max, alo, ahi, mu_term
    )
    low = low * F_lo * J_lo
    high = high * F_hi * J_hi
    mass = (E1 - E0) * (U1 - U0) * high
    return [
        (
            E0.ravel(),
            (E1 - E0).ravel(),
            U0.ravel(),
            (U1 - U0).ravel(),
            low.ravel(),
            high.ravel(),
            mass.ravel(),
        )
    ]


@dataclass(frozen=True)
class RecoilSampler:
    """Tables for :func:`sample_recoils` of one source spectrum, model and window.

    Build with :func:`make_recoil_sampler`; draw with :meth:`fill` or :meth:`sample`.
    """

    cells: np.ndarray
    """Packed cell table, shape (n_cells, 8); columns ``C_*`` of this module."""
    win: np.ndarray
    """(T_lo, T_hi, M = μ²πr_e²/S₀)."""
    p: np.ndarray
    """Model parameter array."""
    grid: np.ndarray
    """Continuum table energies [MeV] (empty for line sources)."""
    dens: np.ndarray
    """Continuum table density [1/MeV]."""
    tmin_mev: float
    tmax_mev: float

    def fill(self, rng: np.random.Generator, out_e: np.ndarray, out_t: np.ndarray) -> int:
        """Fill preallocated arrays of Eν and T [MeV]; returns the number of trials."""
        return sample_recoils(rng, self.cells, self.win, self.p, self.grid, self.dens, out_e, out_t)

    def fill_along(self, rng, axis, out_e, out_t, out_cos, out_dx, out_dy, out_dz) -> int:
        """Fill Eν, T [MeV], cosθ and the electron direction for neutrinos along ``axis``."""
        ux, uy, uz = (float(v) for v in np.asarray(axis, dtype=float) / np.linalg.norm(axis))
        return sample_events_along(
            rng,
            self.cells,
            self.win,
            self.p,
            self.grid,
            self.dens,
            ux,
            uy,
            uz,
            out_e,
            out_t,
            out_cos,
            out_dx,
            out_dy,
            out_dz,
        )

    def fill_about(self, rng, nux, nuy, nuz, out_e, out_t, out_cos, out_dx, out_dy, out_dz):
        """Fill Eν, T [MeV], cosθ and the electron direction about each event's ν direction."""
        return sample_events_along(
            rng,
            self.cells,
            self.win,
            self.p,
            self.grid,
            self.dens,
            0.0,
            0.0,
            1.0,
            out_e,
            out_t,
            out_cos,
            out_dx,
            out_dy,
            out_dz,
            nux,
            nuy,
            nuz,
        )

    def sample(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """n draws of (Eν, T) [MeV]."""
        e, t = np.empty(n), np.empty(n)
        self.fill(rng, e, t)
        return e, t


def make_recoil_sampler(
    spectrum: NuSpectrum,
    model: PhysicsModel,
    tmin_mev: float = 0.0,
    tmax_mev: float = math.inf,
    *,
    line_bins: int = 256,
    energy_bins: int = 512,
    recoil_bins: int = 32,
) -> RecoilSampler:
    """Build the sampler of (Eν, T) for a spectrum, model and recoil window [MeV].

    The bin counts set only the speed and the table size (the draws are exact
    for any values): ``line_bins`` recoil bins per line; ``energy_bins`` ×
    ``recoil_bins`` cells for a continuum.
    """
    p = model.params()
    if p[P_MU2] > 0.0 and not tmin_mev > 0.0:
        raise ValueError(
            f"tmin: {tmin_mev * 1e3:g} keV is not allowed with a magnetic moment; "
            "dσ_μ/dT diverges as 1/T, so the window needs a lower limit > 0"
        )
    if not 0.0 <= tmin_mev < tmax_mev:
        raise ValueError(f"recoil window: [{tmin_mev}, {tmax_mev}] MeV must have 0 ≤ T_lo < T_hi")
    t_hi = min(tmax_mev, float(_py(t_max)(spectrum.max_energy)))
    if t_hi <= tmin_mev:
        raise ValueError(
            f"recoil window: T_lo = {tmin_mev * 1e3:g} keV is at or above T_max = "
            f"{t_hi * 1e3:g} keV of the source's highest energy; no event is possible"
        )
    alo, ahi = _alpha_range(p, tmin_mev, t_hi)
    margin = 1e-12 * float(np.max(np.abs(ahi)))
    alo, ahi = alo - margin, ahi + margin
    mu_term = p[P_MU2] * SIGMA_MU / SIGMA0
    rows = _line_cells(spectrum, tmin_mev, t_hi, alo, ahi, mu_term, line_bins)
    if spectrum.cont_energy.size:
        rows += _continuum_cells(
            spectrum, tmin_mev, t_hi, alo, ahi, mu_term, energy_bins, recoil_bins
        )
    cols = [np.concatenate(c) for c in zip(*rows, strict=True)] if rows else None
    if cols is None or not np.any(cols[6] > 0):
        raise ValueError("recoil window: no neutrino energy of the source can give a recoil in it")
    e0, de, x0, dx, low, high, mass = cols
    prob, alias = build_alias(mass)
    cells = np.empty((mass.size, C_SIZE))
    cells[:, C_PROB], cells[:, C_ALIAS] = prob, alias
    cells[:, C_E0], cells[:, C_DE], cells[:, C_X0], cells[:, C_DX] = e0, de, x0, dx
    cells[:, C_L] = low * (1.0 - 1e-12)
    cells[:, C_H] = high * (1.0 + 1e-12)
    return RecoilSampler(
        cells=cells,
        win=np.array([tmin_mev, t_hi, mu_term]),
        p=p,
        grid=np.ascontiguousarray(spectrum.cont_energy, dtype=float),
        dens=np.ascontiguousarray(spectrum.cont_density, dtype=float),
        tmin_mev=tmin_mev,
        tmax_mev=t_hi,
    )
