"""Walker's alias method (Vose's construction): O(1) draws from a discrete distribution."""

import numpy as np

from nusource.core.jit import jit


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
    k = w.size
    q = w * (k / w.sum())
    prob = np.ones(k)
    alias = np.arange(k, dtype=np.int64)
    small = [i for i in range(k) if q[i] < 1.0]
    large = [i for i in range(k) if q[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        prob[s], alias[s] = q[s], g
        q[g] -= 1.0 - q[s]
        (small if q[g] < 1.0 else large).append(g)
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
