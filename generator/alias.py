"""Walker's alias method (Vose's construction): O(1) draws from a discrete distribution."""

import numpy as np

from nusource.core.jit import jit
from nusource.core.pcg64 import uniform


def build_alias(weights) -> tuple[np.ndarray, np.ndarray]:
    """Alias tables (prob, alias) for non-negative weights (any normalisation).

    A draw takes one uniform u: k = ⌊uK⌋; return k if the fractional part of uK
    is below prob[k], else alias[k].
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(
            "alias weights must be a non-empty 1-D array of finite values ≥ 0, not all 0"
        )
    return _vose(w * (w.size / w.sum()))


@jit
def _vose(q):
    """Vose's pairing of under-full and over-full columns (q: weights scaled to mean 1).

    Both work lists are stacks (last in, first out), filled in index order, so
    the tables are a fixed function of the weights.  ``q`` is used up.
    """
    k = q.shape[0]
    prob = np.ones(k)
    alias = np.arange(k)
    small = np.empty(k, dtype=np.int64)
    large = np.empty(k, dtype=np.int64)
    ns = 0
    nl = 0
    for i in range(k):
        if q[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        nl -= 1
        s = small[ns]
        g = large[nl]
        prob[s] = q[s]
        alias[s] = g
        q[g] -= 1.0 - q[s]
        if q[g] < 1.0:
            small[ns] = g
            ns += 1
        else:
            large[nl] = g
            nl += 1
    # leftovers are 1 up to rounding
    return prob, alias


@jit
def alias_draw(u, prob, alias):
    """Index drawn with one uniform u ∈ [0, 1)."""
    k = prob.shape[0]
    x = u * k
    i = int(x)
    if i >= k:
        i = k - 1
    return i if x - i < prob[i] else alias[i]


@jit
def fill_alias_draws(rng, prob, alias, out):
    """Fill ``out`` (int64[n]) with indices drawn from the alias tables, a uniform each."""
    for i in range(out.shape[0]):
        out[i] = alias_draw(uniform(rng), prob, alias)


def draw_indices(rng, p, n: int) -> np.ndarray:
    """n indices drawn from the discrete distribution ``p`` (weights, any normalisation):
    int64[n], one uniform of ``rng`` each (none when ``p`` has a single category).

    What ``rng.choice(len(p), n, p=p)`` draws, at ~3 ns an index instead of 12–17
    (numpy's choice searches a cumulative sum for each uniform).
    """
    w = np.asarray(p, dtype=float)
    out = np.zeros(int(n), dtype=np.int64)
    if w.size > 1:
        prob, alias = build_alias(w)
        fill_alias_draws(rng, prob, alias, out)
    else:
        build_alias(w)  # (its checks)
    return out
