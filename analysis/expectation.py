"""Expected binned spectra by quadrature, with a detector response.

For a neutrino spectrum f(E) (lines + piecewise-linear continuum, per
neutrino), a model and bins [r_j, r_{j+1}) of reconstructed energy, the
expected events of bin j are

    N_j = X · ∫ dT  b(T) · P_j(T) · g(T),    g(T) = ∫ f(E) dσ/dT(T, E) dE,

X the exposure [ν × e⁻ / cm²], b(T) = Z_eff(T)/Z the binding factor (stepping
approximation, docs/physics.md §6: the deposited energy is the transfer q = T) and
P_j(T) the probability that a deposit T is reconstructed in the bin: for a
Gaussian resolution σ(T),

    P_j(T) = ½[erf((r_{j+1} − T)/(√2σ)) − erf((r_j − T)/(√2σ))]

(in the complementary-erfc form on the tail side), and the indicator of
r_j ≤ T < r_{j+1} without resolution.  A threshold on the reconstructed
energy clips the bins from below.

The recoil spectrum g(T) is exact: at fixed T every part of dσ/dT (SM,
magnetic per μ_B², Z′ per γ and per γ²) is a quadratic polynomial in u = 1/E,
because the couplings depend on T only (docs/physics.md §2).  Its three
coefficients are read off the generator's own
:func:`~nusource.generator.xsec.dsigma_parts` at three energies above
E_min(T), and the moments ∫ f(E)·E⁻ⁿ dE (n = 0, 1, 2) of the piecewise-linear
continuum are closed forms summed from the top of the spectrum.  Lines add
P_k·dσ/dT(T, E_k).

The T integral is Gauss–Legendre on sub-intervals whose ends include every
place where the integrand is not smooth: the bin edges and threshold (no
resolution), the steps of the binding function, T_max of each line and of
every grid energy of the continuum (g(T) is piecewise analytic between them).
Without resolution and binding the result equals
:func:`~nusource.generator.flux_average.flux_averaged` over each bin to ~1e-12.

The four parts are returned separately, so a scan over μν or M_Z′ needs no
recomputation: N_j(μ, γ) = sm_j + μ²·mag_j + γ·zlin_j + γ²·zquad_j.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nusource.core.jit import jit
from nusource.generator.kinematics import e_min, t_max
from nusource.generator.model import PhysicsModel
from nusource.generator.neutrino_spectrum import NuSpectrum
from nusource.generator.xsec import dsigma_parts

_SQRT2 = math.sqrt(2.0)
_U_NODES = (0.9, 0.5, 0.1)
"""Fractions of u_max = 1/E_min(T) at which the quadratic in u = 1/E is sampled."""


@jit
def _phi1(x):
    """1 − ln(1+x)/x, with its series for small x."""
    if x < 1e-2:
        s, xk = 0.0, x
        for k in range(1, 10):
            s += (1.0 if k % 2 == 1 else -1.0) * xk / (k + 1)
            xk *= x
        return s
    return 1.0 - math.log1p(x) / x


@jit
def _phi2(x):
    """(ln(1+x) − x/(1+x))/x, with its series for small x."""
    if x < 1e-2:
        s, xk = 0.0, x
        for k in range(2, 11):
            s += (1.0 if k % 2 == 0 else -1.0) * (k - 1.0) / k * xk
            xk *= x
        return s
    return (math.log1p(x) - x / (1.0 + x)) / x


@jit
def interval_moments(a, b, fa, fb):
    """∫_a^b f(E)·E⁻ⁿ dE for n = 0, 1, 2 of the linear f with f(a) = fa, f(b) = fb.

    Parameters
    ----------
    a, b : float
        0 < a ≤ b [MeV].
    fa, fb : float
        Density at a and b [1/MeV].

    Returns
    -------
    (m0, m1, m2) : floats in 1, 1/MeV, 1/MeV².
    """
    h = b - a
    if h <= 0.0:
        return 0.0, 0.0, 0.0
    x = h / a
    lg = math.log1p(x)
    df = fb - fa
    m0 = 0.5 * h * (fa + fb)
    m1 = fa * lg + df * _phi1(x)
    m2 = fa * h / (a * b) + df / a * _phi2(x)
    return m0, m1, m2


@jit
def moment_tails(grid, dens):
    """Tails C[n, k] = ∫_{grid[k]}^{grid[-1]} f(E)·E⁻ⁿ dE, n = 0, 1, 2 (shape (3, K)).

    The first interval is skipped when it starts at E = 0 (its 1/E moments
    diverge; it lies below E_min of any T > 0 handled here: see
    :func:`recoil_parts`, which integrates it directly when needed).
    """
    k = grid.shape[0]
    c = np.zeros((3, k))
    for i in range(k - 2, -1, -1):
        m0 = m1 = m2 = 0.0
        if grid[i] > 0.0:
            m0, m1, m2 = interval_moments(grid[i], grid[i + 1], dens[i], dens[i + 1])
        c[0, i] = c[0, i + 1] + m0
        c[1, i] = c[1, i + 1] + m1
        c[2, i] = c[2, i + 1] + m2
    return c


@jit
def _quadratic_in_u(t, emin, p, coef):
    """coef[part, n]: dσ/dT part (T, E) = Σ_n coef[part, n]·(1/E)ⁿ, from three energies."""
    umax = 1.0 / emin
    us = np.empty(3)
    vals = np.empty((3, 4))
    for j in range(3):
        u = umax * (0.9 if j == 0 else (0.5 if j == 1 else 0.1))
        us[j] = u
        s, mg, zl, zq = dsigma_parts(t, 1.0 / u, p)
        vals[j, 0], vals[j, 1], vals[j, 2], vals[j, 3] = s, mg, zl, zq
    u0, u1, u2 = us[0], us[1], us[2]
    # Lagrange basis of the quadratic through (u_j, v_j), expanded in powers of u
    d0 = (u0 - u1) * (u0 - u2)
    d1 = (u1 - u0) * (u1 - u2)
    d2 = (u2 - u0) * (u2 - u1)
    for q in range(4):
        a0, a1, a2 = vals[0, q] / d0, vals[1, q] / d1, vals[2, q] / d2
        coef[q, 2] = a0 + a1 + a2
        coef[q, 1] = -(a0 * (u1 + u2) + a1 * (u0 + u2) + a2 * (u0 + u1))
        coef[q, 0] = a0 * u1 * u2 + a1 * u0 * u2 + a2 * u0 * u1


@jit
def recoil_parts(t, line_e, line_p, grid, dens, tails, p, out):
    """Recoil spectrum g(T) = ∫f(E)·dσ/dT dE of each part at the recoils t.

    Parameters
    ----------
    t : ndarray, shape (n,)
        Recoil energies [MeV], > 0.
    line_e, line_p : ndarray
        Line energies [MeV] and probabilities per neutrino.
    grid, dens : ndarray
        Continuum grid [MeV] and piecewise-linear density [1/MeV] (may be empty).
    tails : ndarray, shape (3, K)
        :func:`moment_tails` of the continuum.
    p : ndarray
        Model parameters (:meth:`PhysicsModel.params`).
    out : ndarray, shape (4, n)
        Filled with (sm, mag per μ_B², zlin per γ, zquad per γ²) [cm²/MeV per ν].
    """
    coef = np.empty((4, 3))
    k = grid.shape[0]
    for i in range(t.shape[0]):
        ti = t[i]
        for q in range(4):
            out[q, i] = 0.0
        for j in range(line_e.shape[0]):
            s, mg, zl, zq = dsigma_parts(ti, line_e[j], p)
            out[0, i] += line_p[j] * s
            out[1, i] += line_p[j] * mg
            out[2, i] += line_p[j] * zl
            out[3, i] += line_p[j] * zq
        if k < 2:
            continue
        em = e_min(ti)
        if em >= grid[k - 1]:
            continue
        em = max(em, grid[0])
        # interval holding em: grid[j] <= em < grid[j + 1]
        j = np.searchsorted(grid, em, side="right") - 1
        j = min(max(j, 0), k - 2)
        a, b = grid[j], grid[j + 1]
        fa = dens[j] + (dens[j + 1] - dens[j]) * (em - a) / (b - a) if b > a else dens[j]
        m0, m1, m2 = interval_moments(em, b, fa, dens[j + 1])
        m0 += tails[0, j + 1]
        m1 += tails[1, j + 1]
        m2 += tails[2, j + 1]
        _quadratic_in_u(ti, em, p, coef)
        for q in range(4):
            out[q, i] += coef[q, 0] * m0 + coef[q, 1] * m1 + coef[q, 2] * m2


@jit
def _bin_probability(lo, hi, t, sig):
    """P(lo ≤ E_rec < hi | T) for E_rec ~ N(T, σ²) (indicator if σ ≤ 0)."""
    if hi <= lo:
        return 0.0
    if sig <= 0.0:
        return 1.0 if lo <= t < hi else 0.0
    zl = (lo - t) / (_SQRT2 * sig)
    zh = (hi - t) / (_SQRT2 * sig)
    if zl >= 0.0:
        return 0.5 * (math.erfc(zl) - math.erfc(zh))
    if zh <= 0.0:
        return 0.5 * (math.erfc(-zh) - math.erfc(-zl))
    return 0.5 * (math.erf(zh) - math.erf(zl))


@jit
def fold_response(wt, sig, t, g, lo, hi, out):
    """out[q, j] += Σ_i wt[i]·g[q, i]·P_j(t[i]) (the response-folded T integral).

    Parameters
    ----------
    wt : ndarray, shape (n,)
        Quadrature weight × binding factor of each node [MeV].
    sig : ndarray, shape (n,)
        Resolution σ at each node [MeV] (≤ 0: none).
    t : ndarray, shape (n,)
        Nodes [MeV].
    g : ndarray, shape (4, n)
        Recoil spectrum parts at the nodes.
    lo, hi : ndarray, shape (m,)
        Bin limits in reconstructed energy [MeV] (threshold applied).
    out : ndarray, shape (4, m)
    """
    for i in range(t.shape[0]):
        if wt[i] == 0.0:
            continue
        for j in range(lo.shape[0]):
            pj = _bin_probability(lo[j], hi[j], t[i], sig[i])
            if pj == 0.0:
                continue
            w = wt[i] * pj
            for q in range(4):
                out[q, j] += w * g[q, i]


@dataclass(frozen=True)
class Expectation:
    """Expected events per bin, split into the reweighting parts.

    Attributes
    ----------
    edges_mev : ndarray, shape (m + 1,)
        Bin edges in reconstructed energy [MeV].
    sm : ndarray, shape (m,)
        SM events per bin.
    mag : ndarray, shape (m,)
        Magnetic events per bin per μ_B² (multiply by μν²).
    zlin, zquad : ndarray, shape (m,)
        Z′ change per γ and per γ² (of the model's E6 β or LR; zero without Z′).
    """

    edges_mev: np.ndarray
    sm: np.ndarray
    mag: np.ndarray
    zlin: np.ndarray
    zquad: np.ndarray

    @property
    def parts(self) -> np.ndarray:
        """(sm, mag, zlin, zquad) stacked, shape (4, m)."""
        return np.stack([self.sm, self.mag, self.zlin, self.zquad])

    def counts(self, *, mu: float = 0.0, gamma: float = 0.0, linear: bool = False) -> np.ndarray:
        """Events per bin for μν = mu [μ_B] and γ = M_Z²/M_Z′² (linear: drop γ²)."""
        c = self.sm + mu * mu * self.mag + gamma * self.zlin
        return c if linear else c + gamma * gamma * self.zquad

    def scaled(self, factor: float) -> "Expectation":
        """The same spectrum for an exposure ``factor`` times larger."""
        return Expectation(
            self.edges_mev,
            factor * self.sm,
            factor * self.mag,
            factor * self.zlin,
            factor * self.zquad,
        )


def _on_array(fn, x):
    """fn evaluated on an array (vectorised call, else element by element)."""
    try:
        y = np.asarray(fn(x), dtype=float)
        if y.shape == x.shape:
            return y
    except (TypeError, ValueError):
        pass
    return np.array([float(fn(v)) for v in x])


def find_steps(fn, grid, *, max_steps=64, tol=1e-12):
    """Locations of the steps of a piecewise-constant function between grid points.

    Parameters
    ----------
    fn : callable
        q [MeV] ↦ value (array in, array out, or scalar).
    grid : ndarray
        Increasing points [MeV]; at most one step per interval is located.
    max_steps : int
        If fn changes in more intervals than this, it is taken to be smooth
        and no steps are returned.
    tol : float
        Relative width to which each step is bisected.

    Returns
    -------
    ndarray
        Step positions [MeV] (the first point where fn takes its new value,
        to within ``tol``).
    """
    v = _on_array(fn, grid)
    idx = np.flatnonzero(v[1:] != v[:-1])
    if idx.size > max_steps:
        return np.zeros(0)
    steps = []
    for i in idx:
        a, b, va = grid[i], grid[i + 1], v[i]
        while b - a > tol * max(b, 1e-300):
            m = 0.5 * (a + b)
            if float(_on_array(fn, np.array([m]))[0]) == va:
                a = m
            else:
                b = m
        steps.append(b)
    return np.asarray(steps)


def _integration_range(edges, threshold, sigma, spectrum, n_sigma):
    """Default limits of the true-T integral [MeV]."""
    top = t_max(spectrum.max_energy)
    r_lo = max(edges[0], threshold)
    r_hi = edges[-1]
    if sigma is None:
        return r_lo, min(r_hi, top)
    # lowest T whose upward n_sigma tail reaches r_lo (σ(T) is assumed to grow with T)
    ts = r_lo * np.logspace(-6, 0, 600)
    reach = ts + n_sigma * _on_array(sigma, ts)
    ok = np.flatnonzero(reach >= r_lo)
    lo = ts[ok[0]] if ok.size else r_lo
    hi = r_hi
    for _ in range(4):
        hi = r_hi + n_sigma * float(_on_array(sigma, np.array([hi]))[0])
    return lo, min(hi, top)


def _t_grid(lo, hi, breaks, rel_step, sigma, sigma_step):
    """Sub-interval ends from lo to hi: the breakpoints, refined to widths
    ≤ rel_step·T (and ≤ sigma_step·σ(T) with a resolution)."""
    pts = np.unique(np.concatenate([[lo, hi], breaks[(breaks > lo) & (breaks < hi)]]))
    a, b = pts[:-1], pts[1:]
    width = np.where(a > 0, rel_step * a, b - a)
    if sigma is not None:
        s = _on_array(sigma, a)
        width = np.where(s > 0, np.minimum(width, sigma_step * s), width)
    n = np.maximum(1, np.ceil((b - a) / width).astype(np.int64))
    out = [np.linspace(ai, bi, ni + 1)[:-1] for ai, bi, ni in zip(a, b, n, strict=True)]
    return np.concatenate([*out, [hi]])


def binding_options(response) -> dict:
    """:func:`binned_expectation`'s ``binding`` and ``binding_steps_mev`` for a detector
    response (none if it applies no atomic binding)."""
    if response is None or not response.binding:
        return {}
    from nusource.detsim.binding import binding_fraction, binding_steps

    material = response.material
    return {
        "binding": lambda q: binding_fraction(material, q),
        "binding_steps_mev": binding_steps(material)[0],
    }


def binned_expectation(
    spectrum: NuSpectrum,
    model: PhysicsModel,
    edges_mev: Sequence[float],
    *,
    exposure: float = 1.0,
    binding: Callable | None = None,
    binding_steps_mev: Sequence[float] | None = None,
    sigma: Callable | None = None,
    threshold_mev: float = 0.0,
    window_mev: tuple[float, float] | None = None,
    efficiency: float = 1.0,
    t_range_mev: tuple[float, float] | None = None,
    n_sigma: float = 8.0,
    rel_step: float = 0.02,
    sigma_step: float = 0.5,
    n_gl: int = 6,
) -> Expectation:
    """Expected events per bin of reconstructed energy, by quadrature.

    Parameters
    ----------
    spectrum : NuSpectrum
        Neutrino spectrum per neutrino (:func:`~nusource.generator.neutrino_spectrum.from_source`).
    model : PhysicsModel
        Process and couplings; its Z′ (if any) fixes the E6 β / LR shape of the
        zlin, zquad parts (its mass and μν do not matter: all parts are returned).
    edges_mev : sequence of float
        Increasing bin edges in reconstructed energy [MeV].
    exposure : float
        Neutrinos × electrons per cm² [cm⁻²]; 1 returns cross sections [cm²].
    binding : callable, optional
        q [MeV] ↦ Z_eff(q)/Z (array in, array out), e.g.
        ``lambda q: binding_fraction("NaI", q)``.  Default 1 (free electrons).
    binding_steps_mev : sequence of float, optional
        Where ``binding`` steps [MeV] (e.g. ``binding_steps("NaI")[0]``).  If
        None, the steps of a piecewise-constant binding are found by bisection.
    sigma : callable, optional
        Gaussian resolution T [MeV] ↦ σ [MeV] (e.g.
        ``GaussianResolution(a, b).sigma_mev``).  None: E_rec = T.
    threshold_mev : float
        Threshold on the reconstructed energy [MeV] (bins are clipped to it).
    window_mev : (float, float), optional
        Selection window [lo, hi) on the reconstructed energy [MeV] (bins are
        clipped to it; a bin outside expects nothing).
    efficiency : float
        Probability in (0, 1] that an event is kept, independent of everything
        else (the counts are scaled by it).
    t_range_mev : (float, float), optional
        Limits of the true-recoil integral [MeV].  Default: the bins (clipped
        to the threshold and to T_max of the spectrum) widened by ``n_sigma``
        resolutions.  Give it explicitly to match a generation window.  If
        it starts at 0, the magnetic part of the bins that recoils T → 0
        reach is infinite (∫dT/T diverges); the other parts stay finite.
    n_sigma : float
        Widening of the default T range, in σ.
    rel_step, sigma_step : float
        Largest sub-interval as a fraction of T and of σ(T).
    n_gl : int
        Gauss–Legendre nodes per sub-interval.

    Returns
    -------
    Expectation
    """
    edges = np.asarray(edges_mev, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("edges_mev: need at least two strictly increasing edges [MeV]")
    if not (exposure > 0 and math.isfinite(exposure)):
        raise ValueError(f"exposure: {exposure} cm⁻² is not allowed; it must be > 0")
    if not (threshold_mev >= 0 and math.isfinite(threshold_mev)):
        raise ValueError(f"threshold_mev: {threshold_mev} is not allowed; it must be ≥ 0")
    if not (0 < efficiency <= 1):
        raise ValueError(f"efficiency: {efficiency} is not allowed; it must be in (0, 1]")
    w_lo, w_hi = (-math.inf, math.inf) if window_mev is None else map(float, window_mev)
    if not w_lo < w_hi:
        raise ValueError(f"window_mev: {window_mev} is not allowed; it must be (lo, hi), lo < hi")
    cut_lo = max(threshold_mev, w_lo)
    lo, hi = (
        _integration_range(np.clip(edges, cut_lo, w_hi), cut_lo, sigma, spectrum, n_sigma)
        if t_range_mev is None
        else (float(t_range_mev[0]), float(t_range_mev[1]))
    )
    nb = edges.size - 1
    out = np.zeros((4, nb))
    if hi <= lo:
        return Expectation(edges, *out)
    if lo < 0.0:
        raise ValueError("t_range_mev: the true-T integral must start at T ≥ 0 MeV")
    grid = np.asarray(spectrum.cont_energy, dtype=float)
    dens = np.asarray(spectrum.cont_density, dtype=float)
    cuts = [c for c in (threshold_mev, cut_lo, w_hi) if math.isfinite(c)]
    breaks = [edges, cuts, t_max(np.asarray(spectrum.line_energy, dtype=float))]
    if grid.size:
        breaks.append(t_max(grid[(grid >= e_min(lo)) & (grid <= e_min(hi))]))
    if binding is not None:
        if binding_steps_mev is None:
            coarse = _t_grid(lo, hi, np.concatenate(breaks), rel_step, None, sigma_step)
            binding_steps_mev = find_steps(binding, coarse)
        breaks.append(np.asarray(binding_steps_mev, dtype=float))
    pts = _t_grid(lo, hi, np.concatenate(breaks), rel_step, sigma, sigma_step)
    xg, wg = np.polynomial.legendre.leggauss(n_gl)
    half, mid = 0.5 * np.diff(pts), 0.5 * (pts[1:] + pts[:-1])
    t = (mid[:, None] + half[:, None] * xg[None, :]).ravel()
    wt = (half[:, None] * wg[None, :]).ravel()
    if binding is not None:
        wt = wt * _on_array(binding, t)
    sig = np.zeros_like(t) if sigma is None else _on_array(sigma, t)
    g = np.empty((4, t.size))
    tails = moment_tails(grid, dens) if grid.size else np.zeros((3, 0))
    line_e = np.asarray(spectrum.line_energy, dtype=float)
    line_p = np.asarray(spectrum.line_prob, dtype=float)
    recoil_parts(t, line_e, line_p, grid, dens, tails, model.params(), g)
    blo = np.clip(edges[:-1], cut_lo, w_hi)
    bhi = np.clip(edges[1:], cut_lo, w_hi)
    fold_response(wt, sig, t, g, blo, bhi, out)
    if lo == 0.0:
        # ∫dT/T diverges at T → 0: infinite magnetic part where such recoils land
        t0 = np.array([1e-300])
        s0 = np.zeros(1) if sigma is None else _on_array(sigma, t0)
        p0 = np.zeros((4, nb))
        fold_response(np.ones(1), s0, t0, np.ones((4, 1)), blo, bhi, p0)
        out[1, p0[1] > 0.0] = np.inf
    out *= exposure * efficiency
    return Expectation(edges, *out)
