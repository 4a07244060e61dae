"""Alias tables hold the weights' distribution exactly and are the textbook construction's."""

import numpy as np
import pytest

from nusource.generator.alias import _vose, alias_draw, build_alias, draw_indices


def vose_reference(weights):
    """Vose's construction as published (Vose 1991), in plain Python: the reference."""
    w = np.asarray(weights, dtype=float)
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
    return prob, alias


def weight_sets():
    rng = np.random.default_rng(20260)
    for k in (1, 2, 3, 17, 400, 5000):
        yield rng.random(k) ** 3
        w = rng.random(k)
        w[rng.random(k) < 0.4] = 0.0
        w[0] = 1.0
        yield w
        yield np.ones(k)
    yield np.array([1e-300, 1.0, 1e300 / 1e290])


@pytest.mark.parametrize("w", list(weight_sets()), ids=lambda w: f"K{w.size}")
def test_tables_are_the_reference_construction_bit_for_bit(w):
    prob, alias = build_alias(w)
    ref_prob, ref_alias = vose_reference(w)
    assert prob.dtype == ref_prob.dtype and alias.dtype == ref_alias.dtype
    assert np.array_equal(prob, ref_prob) and np.array_equal(alias, ref_alias)
    py_prob, py_alias = _vose.py_func(w * (w.size / w.sum()))
    assert np.array_equal(py_prob, prob) and np.array_equal(py_alias, alias)


@pytest.mark.parametrize("w", list(weight_sets()), ids=lambda w: f"K{w.size}")
def test_tables_hold_the_distribution(w):
    """P(k) = (prob[k] + Σ_{j: alias[j] = k} (1 − prob[j])) / K equals w_k / Σw."""
    prob, alias = build_alias(w)
    k = w.size
    implied = prob.copy()
    np.add.at(implied, alias, 1.0 - prob)  # (an unpaired column has prob 1: adds 0)
    expected = w / w.sum()
    assert np.allclose(implied / k, expected, rtol=1e-12, atol=1e-15 * k)
    assert np.all((prob >= 0) & (prob <= 1.0 + 1e-12))
    assert np.all(prob[w == 0] == 0.0)  # a zero weight is never drawn as itself


def test_draws_follow_the_weights():
    """χ² of 2×10⁵ draws against the exact expectation (p > 0.001 at a fixed seed)."""
    from scipy.stats import chi2

    w = np.array([0.0, 1.0, 2.0, 3.0, 0.5, 10.0, 0.25])
    prob, alias = build_alias(w)
    u = np.random.default_rng(7).random(200_000)
    draws = np.array([alias_draw.py_func(x, prob, alias) for x in u[:2000]])
    draws = np.concatenate([draws, [alias_draw(x, prob, alias) for x in u[2000:]]])
    counts = np.bincount(draws, minlength=w.size)
    expected = len(draws) * w / w.sum()
    nz = expected > 0
    assert counts[~nz].sum() == 0
    stat = float((((counts - expected) ** 2)[nz] / expected[nz]).sum())
    assert chi2.sf(stat, nz.sum() - 1) > 1e-3


def test_bad_weights_are_refused():
    for w in ([], [0.0, 0.0], [1.0, -1.0], [1.0, np.nan], [[1.0]]):
        with pytest.raises(ValueError, match="alias weights"):
            build_alias(w)


def test_drawn_indices_follow_the_weights_and_a_single_category_draws_nothing():
    """draw_indices against the exact expectation (χ², 2×10⁵ indices, weights in any
    normalisation); one category gives zeros and leaves the generator as it was."""
    from scipy.stats import chi2

    w = np.array([3.0, 0.0, 1.0, 0.5])
    rng = np.random.default_rng(8)
    idx = draw_indices(rng, w, 200_000)
    assert idx.dtype == np.int64
    counts = np.bincount(idx, minlength=w.size)
    expected = idx.size * w / w.sum()
    assert counts[1] == 0
    nz = expected > 0
    stat = float((((counts - expected) ** 2)[nz] / expected[nz]).sum())
    assert chi2.sf(stat, nz.sum() - 1) > 1e-3
    state = rng.bit_generator.state
    assert np.array_equal(draw_indices(rng, [2.5], 1000), np.zeros(1000, dtype=np.int64))
    assert rng.bit_generator.state == state
    with pytest.raises(ValueError, match="alias weights"):
        draw_indices(rng, [0.0], 10)


@pytest.mark.parametrize("w", list(weight_sets()), ids=lambda w: f"K{w.size}")
def test_drawn_indices_are_alias_draw_of_the_same_uniforms(w):
    # (the bulk kernel reads the alias at an index the comparison sets, with no branch)
    prob, alias = build_alias(w)
    got = draw_indices(np.random.default_rng(4), w, 5000)
    u = np.random.default_rng(4).random(5000)
    want = np.array([alias_draw(x, prob, alias) for x in u]) if w.size > 1 else 0 * got
    assert np.array_equal(got, want)
