"""Feldman–Cousins confidence belts: likelihood-ratio ordering and critical values.

The construction of Feldman and Cousins, PRD 57 (1998) 3873.  For a true
parameter value θ, the data x are ordered by the likelihood ratio

    R(x) = L(x | θ) / L(x | θ_best(x)),    θ_best the best fit in the physical region,

equivalently by t(x; θ) = −2 ln R = Δχ²(θ) (small t first), and the
acceptance region of confidence level α holds the data of smallest t up to
probability α.  Its edge is the *critical value* t_c(θ), the α-quantile of
t under θ.  The confidence set for observed data x₀ is {θ : t(x₀; θ) ≤ t_c(θ)}.
With Wilks's theorem t_c is a constant (2.71 for one parameter at 90 %,
3.84 at 95 %, 5.99 for two at 95 %); near a physical boundary, or for a
periodic dependence on a parameter, it is not, and the toys here measure it.

Three routes, all to the same belt:

- :func:`gaussian_interval`: the Gaussian mean μ ≥ 0 with σ = 1 (FC §IV.B,
  Table X), exactly: the acceptance region is an interval in x whose ends
  follow in closed form, and t_c(μ) solves one equation.
- :func:`poisson_interval`: a Poisson count with known background b (FC §IV.A,
  Table IV), by the discrete construction on a fine grid of the signal mean.
- :func:`critical_values` / :func:`fc_set`: any problem, with t computed
  for toys thrown at each true value (the route of the binned analyses).
"""

import math

import numpy as np
from scipy.optimize import brentq
from scipy.special import gammaln, ndtr, ndtri

CHI2_1DOF_90 = 2.705543454095404
"""90 % quantile of χ² with 1 d.o.f. (one-sided 95 % CL upper limit, or two-sided 90 %)."""
CHI2_1DOF_95 = 3.841458820694124
"""95 % quantile of χ² with 1 d.o.f. (two-sided 95 % CL)."""
CHI2_2DOF_95 = 5.991464547107979
"""95 % quantile of χ² with 2 d.o.f. (a 95 % CL contour in two parameters)."""


# -- Gaussian mean with a boundary at 0 (FC §IV.B) ---------------------------------------


def gaussian_t(x: float, mu: float) -> float:
    """t = −2 ln R for a measurement x of a unit-σ Gaussian with mean μ ≥ 0.

    μ_best = max(0, x), so t = (x − μ)² for x ≥ 0 and (x − μ)² − x² = μ² − 2xμ for x < 0.
    """
    return (x - mu) ** 2 - (x * x if x < 0.0 else 0.0)


def _gauss_region(mu: float, c: float) -> tuple[float, float]:
    """Acceptance region {x : t(x; μ) ≤ c} = [x1, x2] (t falls, then rises, in x)."""
    r = math.sqrt(c)
    x2 = mu + r
    x1 = mu - r
    if x1 < 0.0:  # the left edge lies where t = μ² − 2xμ
        x1 = (mu * mu - c) / (2.0 * mu) if mu > 0.0 else -math.inf
    return x1, x2


def gaussian_critical(mu: float, cl: float = 0.9) -> float:
    """The critical t_c(μ): P(t ≤ t_c | μ) = cl for the unit Gaussian with μ ≥ 0.

    Parameters
    ----------
    mu : float
        True mean (≥ 0), in units of σ.
    cl : float
        Confidence level.

    Returns
    -------
    float
        t_c: the squared one-sided quantile z²_{cl} at μ = 0 (1.2816² = 1.642
        for cl = 0.9: half the toys have x < 0 and t = 0), rising to the χ²₁
        quantile (1.645² = 2.706 at 90 %) for μ ≫ 1.
    """
    if mu <= 0.0:
        z = float(ndtri(cl))
        return z * z

    def f(c):
        x1, x2 = _gauss_region(mu, c)
        return ndtr(x2 - mu) - ndtr(x1 - mu) - cl

    return brentq(f, 1e-12, 100.0, xtol=1e-14, rtol=1e-14)


def gaussian_interval(x0: float, cl: float = 0.9, mu_max: float = 50.0) -> tuple[float, float]:
    """The FC interval [μ1, μ2] for a measurement x0 of a unit-σ Gaussian, μ ≥ 0 (FC Table X).

    Exact: the ends are the roots of t(x0; μ) = t_c(μ) (bracketed on a grid,
    then brentq to 1e-10).

    Parameters
    ----------
    x0 : float
        Measured value (in units of σ).
    cl : float
        Confidence level.
    mu_max : float
        Largest μ searched.

    Returns
    -------
    (float, float)
    """

    def g(mu):
        return gaussian_t(x0, mu) - gaussian_critical(mu, cl)

    grid = np.linspace(0.0, max(x0, 0.0) + 8.0, 801)
    grid = grid[grid <= mu_max]
    vals = np.array([g(m) for m in grid])
    inside = vals <= 0.0
    if not inside.any():
        return math.nan, math.nan
    i0, i1 = int(np.argmax(inside)), int(len(inside) - 1 - np.argmax(inside[::-1]))
    lo = 0.0 if i0 == 0 else brentq(g, grid[i0 - 1], grid[i0], xtol=1e-12)
    hi = brentq(g, grid[i1], grid[i1 + 1], xtol=1e-12) if i1 + 1 < len(grid) else grid[-1]
    return lo, hi


# -- Poisson with known background (FC §IV.A) ---------------------------------------------


def poisson_acceptance(mu: float, b: float, cl: float = 0.9, n_max: int | None = None):
    """Acceptance region [n1, n2] of the signal mean μ with background b (FC Table I).

    The counts n are ranked by R = P(n | μ + b)/P(n | μ_best + b),
    μ_best = max(0, n − b), and added in decreasing R until their probability
    reaches cl.

    Returns
    -------
    (int, int)
    """
    lam = mu + b
    if n_max is None:
        n_max = int(lam + 20.0 * math.sqrt(lam) + 30)
    n = np.arange(n_max + 1)
    logp = n * math.log(lam) - lam - gammaln(n + 1.0) if lam > 0 else np.where(n == 0, 0.0, -np.inf)
    best = np.maximum(n - b, 0.0) + b
    logpb = n * np.log(best) - best - gammaln(n + 1.0)
    order = np.argsort(-(logp - logpb), kind="stable")
    p = np.exp(logp)
    csum = np.cumsum(p[order])
    k = int(np.searchsorted(csum, cl)) + 1
    acc = order[:k]
    return int(acc.min()), int(acc.max())


def poisson_interval(n0: int, b: float, cl: float = 0.9, step: float = 0.001, mu_max=None):
    """The FC interval [μ1, μ2] for n0 observed events with background b (FC Table IV).

    The belt is built on a grid of μ with spacing ``step`` (FC used 0.005 in
    their tables' construction); the interval is the range of grid values
    whose acceptance region contains n0, each end refined by bisection
    between neighbouring grid points (to ~1e-12 × step).

    Returns
    -------
    (float, float)
    """
    if mu_max is None:
        mu_max = n0 + 10.0 * math.sqrt(n0 + 1.0) + 10.0
    grid = np.arange(0.0, mu_max + step, step)

    def inside(mu):
        a, c = poisson_acceptance(mu, b, cl)
        return a <= n0 <= c

    # the acceptance ends n1(μ), n2(μ) are non-decreasing in μ: bisection on the grid index
    def first(pred, lo, hi):
        while hi - lo > 1:
            m = (lo + hi) // 2
            if pred(grid[m]):
                hi = m
            else:
                lo = m
        return hi

    def n2_ge(mu):
        return poisson_acceptance(mu, b, cl)[1] >= n0

    def n1_gt(mu):
        return poisson_acceptance(mu, b, cl)[0] > n0

    i_lo = 0 if n2_ge(grid[0]) else first(n2_ge, 0, len(grid) - 1)
    i_hi = first(n1_gt, i_lo, len(grid) - 1) - 1
    lo, hi = grid[i_lo], grid[i_hi]
    if not inside(lo) or not inside(hi):  # not a single interval on this grid: scan
        ok = np.array([inside(m) for m in grid])
        i_lo, i_hi = int(np.argmax(ok)), int(len(ok) - 1 - np.argmax(ok[::-1]))
        lo, hi = grid[i_lo], grid[i_hi]
    # refine the ends between grid points (the acceptance ends change at isolated μ)
    if i_lo > 0:
        a, c = grid[i_lo - 1], grid[i_lo]
        for _ in range(40):
            m = 0.5 * (a + c)
            a, c = (a, m) if inside(m) else (m, c)
        lo = 0.5 * (a + c)
    if i_hi < len(grid) - 1:
        a, c = grid[i_hi], grid[i_hi + 1]
        for _ in range(40):
            m = 0.5 * (a + c)
            a, c = (m, c) if inside(m) else (a, m)
        hi = 0.5 * (a + c)
    return float(lo), float(hi)


# -- generic: critical values from toys ---------------------------------------------------


def critical_values(t_toys, cl: float = 0.95, axis: int = -1) -> np.ndarray:
    """FC critical values: the cl-quantile of t over toys thrown at each true point.

    Parameters
    ----------
    t_toys : ndarray, shape (..., n_toys)
        t = Δχ²(truth) = χ²(truth) − min χ² of each toy.
    cl : float
        Confidence level.
    axis : int
        Toy axis.

    Returns
    -------
    ndarray
        t_c per true point (the 'higher' order statistic, so that at least a
        fraction cl of the toys have t ≤ t_c).
    """
    return np.quantile(np.asarray(t_toys, dtype=float), cl, axis=axis, method="higher")


def critical_value_error(t_toys, cl: float = 0.95) -> float:
    """Statistical error of a toy quantile: the spread of order statistics k ± √(n·cl·(1−cl))."""
    t = np.sort(np.asarray(t_toys, dtype=float))
    n = t.size
    d = math.sqrt(n * cl * (1.0 - cl))
    k = cl * n
    lo = t[max(int(math.floor(k - d)), 0)]
    hi = t[min(int(math.ceil(k + d)), n - 1)]
    return 0.5 * float(hi - lo)


def fc_set(t_data, t_crit) -> np.ndarray:
    """Mask of the true points in the FC confidence set: t(x₀; θ) ≤ t_c(θ)."""
    return np.asarray(t_data) <= np.asarray(t_crit)


def interval_from_scan(theta, t_data, t_crit) -> tuple[float, float]:
    """Ends of {θ : t(θ) ≤ t_c(θ)} on a scan, linearly interpolated between points.

    Parameters
    ----------
    theta : ndarray, shape (k,)
        Increasing parameter values (theta[0] the physical boundary, e.g. 0).
    t_data, t_crit : ndarray, shape (k,)
        t of the data and the critical value at each θ.

    Returns
    -------
    (float, float)
        nan, nan when no θ is accepted; the upper end is theta[-1] when the
        scan ends inside the set.
    """
    th = np.asarray(theta, dtype=float)
    d = np.asarray(t_data, dtype=float) - np.asarray(t_crit, dtype=float)
    ok = d <= 0.0
    if not ok.any():
        return math.nan, math.nan
    i0 = int(np.argmax(ok))
    i1 = int(len(ok) - 1 - np.argmax(ok[::-1]))

    def cross(a, b):
        return th[a] + (th[b] - th[a]) * d[a] / (d[a] - d[b])

    lo = th[0] if i0 == 0 else cross(i0 - 1, i0)
    hi = th[-1] if i1 == len(th) - 1 else cross(i1, i1 + 1)
    return float(lo), float(hi)
