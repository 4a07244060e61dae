"""Poisson toy counts of a fixed binned expectation, fast and from the seed tree.

A coverage study throws many toys of the *same* expectation ν_i, so each
bin's cumulative distribution is tabulated once and every count is drawn by
inversion: k = min{k : F_i(k) > u}, u ~ U[0, 1) (exact to the double
precision of F; the pmf is computed outward from its mode, so e^{−ν}, which
underflows above ν ≈ 708, is never a starting point, and normalised over the
table, which ends 12√ν + 25 above ν; a walk beyond it would continue with the
pmf recursion, so no tail is cut).  That is several times faster
than a Poisson draw per bin from scratch (1380 bins of the LXe μν fit in
≈ 10 μs instead of ≈ 65 μs).

Seeds: toy block ``block`` of the role ``component`` draws from
``chunk_rng(seed, component, block)`` (:mod:`nusource.core.randomness`), so a block
is a pure function of (seed, component, block) and a study splits across
workers or cluster jobs and resumes by block number.
"""

import math

import numpy as np

from nusource.core.jit import jit
from nusource.core.randomness import chunk_rng

COVERAGE_COMPONENT = 2**32 - 2
"""Component key of the toys whose intervals are checked for coverage."""
CRITICAL_COMPONENT = 2**32 - 3
"""Component key of the toys that measure Feldman–Cousins critical values."""
STERILE_COMPONENT = 2**32 - 4
"""Component key of the sterile-grid Feldman–Cousins toys."""
BLOCKS_PER_POINT = 2**20
"""Block numbers of true point j start at j·BLOCKS_PER_POINT (one stream per (point, block))."""


def block_rng(seed: int, component: int, point: int, block: int) -> np.random.Generator:
    """The Generator of toy block ``block`` at true point ``point`` of a study."""
    if not 0 <= block < BLOCKS_PER_POINT:
        raise ValueError(f"block: {block} is not in [0, {BLOCKS_PER_POINT})")
    return chunk_rng(int(seed), int(component), int(point) * BLOCKS_PER_POINT + int(block))


GUIDE = 64
"""Guide-table entries per bin: the search for k starts at the smallest k with F(k) > j/GUIDE."""


def cdf_tables(nu) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tabulated Poisson CDFs of each bin, with guide tables (for :func:`draw_counts`).

    Parameters
    ----------
    nu : ndarray, shape (m,)
        Expected counts (≥ 0).

    Returns
    -------
    cdf : ndarray
        Concatenated F_i(k), k = 0..K_i, K_i = ν_i + 12√ν_i + 25.
    start : ndarray of int64, shape (m + 1,)
        Offsets of each bin's table in ``cdf``.
    guide : ndarray of int64, shape (m, GUIDE)
        guide[i, j] = min{k : F_i(k) > j/GUIDE} (Chen and Asau's guide table).
    nu : ndarray, shape (m,)
    """
    nu = np.maximum(np.asarray(nu, dtype=float), 0.0)
    kmax = (nu + 12.0 * np.sqrt(nu) + 25.0).astype(np.int64)
    start = np.zeros(nu.size + 1, dtype=np.int64)
    start[1:] = np.cumsum(kmax + 1)
    cdf = np.empty(start[-1])
    guide = np.empty((nu.size, GUIDE), dtype=np.int64)
    _fill_cdf(nu, start, cdf, guide)
    return cdf, start, guide, nu


@jit
def _fill_cdf(nu, start, cdf, guide):
    g = guide.shape[1]
    for i in range(nu.shape[0]):
        lam = nu[i]
        a = start[i]
        n = start[i + 1] - a
        # the pmf outward from its mode, where it is ~1/√(2πλ): from k = 0, e^{−λ} is
        # subnormal above λ ≈ 708 and zero above 745, and a recursion p_k = p_{k−1}·λ/k
        # from a subnormal start carries its rounding (up to ~50 %) into every later term
        mode = min(int(lam), n - 1)
        p = 1.0 if lam == 0.0 else math.exp(-lam + mode * math.log(lam) - math.lgamma(mode + 1.0))
        cdf[a + mode] = p
        q = p
        for j in range(mode, 0, -1):  # p_{j−1} = p_j·j/λ
            q *= j / lam
            cdf[a + j - 1] = q
        q = p
        for j in range(mode + 1, n):  # p_j = p_{j−1}·λ/j
            q *= lam / j
            cdf[a + j] = q
        total = 0.0
        for j in range(n):
            total += cdf[a + j]
        # (normalised: the mass beyond the table, < 1e-30, is far below the mode's rounding)
        acc = 0.0
        for j in range(n):
            acc += cdf[a + j]
            cdf[a + j] = acc / total
        k = 0
        for j in range(g):
            while k < n - 1 and cdf[a + k] <= j / g:
                k += 1
            guide[i, j] = k


@jit
def draw_counts(u, cdf, start, guide, nu, out):
    """Poisson counts by inversion of the tabulated CDFs.

    Parameters
    ----------
    u : ndarray, shape (n_toys, m)
        Uniforms in [0, 1).
    cdf, start, guide, nu : from :func:`cdf_tables`.
    out : ndarray, shape (n_toys, m)
        Filled with the counts (float).
    """
    g = guide.shape[1]
    for t in range(u.shape[0]):
        for i in range(u.shape[1]):
            ui = u[t, i]
            a = start[i]
            kmax = start[i + 1] - a - 1
            k = guide[i, int(ui * g)]
            while k < kmax and cdf[a + k] <= ui:
                k += 1
            if cdf[a + k] <= ui:  # beyond the table (probability < 1e-30)
                c = cdf[a + k]
                lam = nu[i]
                p = math.exp(-lam + k * math.log(lam) - math.lgamma(k + 1.0))
                while c <= ui and p > 0.0:
                    k += 1
                    p *= lam / k
                    c += p
            out[t, i] = k


def poisson_block(nu_tables, rng: np.random.Generator, n_toys: int) -> np.ndarray:
    """``n_toys`` Poisson toys of the tabulated expectation, shape (n_toys, m) (float)."""
    cdf, start, guide, nu = nu_tables
    u = rng.random((n_toys, nu.size))
    out = np.empty((n_toys, nu.size))
    draw_counts(u, cdf, start, guide, nu, out)
    return out
