"""Weights and reweighting: a weighted sample reweighted to another μν equals a direct sample."""

import numpy as np
import pytest
from scipy import stats

from nusource.generator.model import PhysicsModel
from nusource.generator.neutrino_spectrum import from_source
from nusource.generator.signal import generate_signal_chunk, make_signal_spec, reweight
from nusource.generator.sources import get_source
from nusource.generator.zprime import parse_zprime

MU = 6e-11
WINDOW = (0.01, 0.6)


@pytest.fixture(scope="module")
def cr51():
    return from_source(get_source("cr51"))


def test_reweighted_sm_sample_matches_direct_mu_sample(cr51):
    n = 400_000
    sm = make_signal_spec(
        cr51,
        PhysicsModel("nue"),
        tmin_mev=WINDOW[0],
        tmax_mev=WINDOW[1],
        mode="weighted",
        n_events=n,
    )
    ev = generate_signal_chunk(sm, np.random.default_rng(1), n)
    w = reweight(ev, sm.gen_norm, mu=MU)
    direct = make_signal_spec(
        cr51, PhysicsModel("nue", mu=MU), tmin_mev=WINDOW[0], tmax_mev=WINDOW[1], n_events=n
    )
    ed = generate_signal_chunk(direct, np.random.default_rng(2), n)
    # totals: Σw' estimates σ̄(μ) with its statistical error
    assert abs(w.sum() - direct.xsec.total) < 4 * np.sqrt(np.sum(w**2))
    # shapes: two-sample χ² of the weighted and the direct histograms
    edges = np.geomspace(*WINDOW, 41)
    hw, _ = np.histogram(ev["te"], edges, weights=w)
    vw, _ = np.histogram(ev["te"], edges, weights=w**2)
    hd, _ = np.histogram(ed["te"], edges)
    scale = direct.xsec.total / n
    chi2 = np.sum((hw - hd * scale) ** 2 / (vw + hd * scale**2))
    assert stats.chi2.sf(chi2, edges.size - 1) > 1e-3


def test_weighted_mode_with_a_magnetic_proposal(cr51):
    """Proposal μ = 1e-10, target SM + Z′: Σw matches the exact flux average."""
    n = 200_000
    model = PhysicsModel("nue", zprime=parse_zprime("chi:300"))
    spec = make_signal_spec(
        cr51, model, tmin_mev=0.002, mode="weighted", n_events=n, proposal_mu=1e-10
    )
    ev = generate_signal_chunk(spec, np.random.default_rng(3), n)
    assert abs(ev["weight"].sum() - spec.xsec.total) < 4 * np.sqrt(np.sum(ev["weight"] ** 2))
    assert ev["weight"] == pytest.approx(reweight(ev, spec.gen_norm, gamma=model.zprime.gamma))


def test_fixed_mode_weights_sum_to_expected_events(cr51):
    spec = make_signal_spec(cr51, PhysicsModel("nue"), n_events=1000, exposure=1e47)
    ev = generate_signal_chunk(spec, np.random.default_rng(4), 1000)
    assert ev["weight"].sum() == pytest.approx(spec.expected_events, rel=1e-12)
    assert spec.expected_events == pytest.approx(1e47 * spec.xsec.total)


def test_exposure_mode_draws_a_poisson_count(cr51):
    counts = [
        make_signal_spec(
            cr51, PhysicsModel("nue"), mode="exposure", exposure=1e48, seed=s
        ).n_generated
        for s in range(200)
    ]
    mean = 1e48 * make_signal_spec(cr51, PhysicsModel("nue"), n_events=1).xsec.total
    assert abs(np.mean(counts) - mean) < 4 * np.sqrt(mean / len(counts))
    # same seed, same count
    again = make_signal_spec(cr51, PhysicsModel("nue"), mode="exposure", exposure=1e48, seed=0)
    assert again.n_generated == counts[0]
