"""Templates from weighted Monte Carlo events against the quadrature expectation."""

import numpy as np
import pytest

from nusource.analysis.expectation import binned_expectation
from nusource.analysis.templates import make_template
from nusource.generator.model import PhysicsModel
from nusource.generator.neutrino_spectrum import from_source
from nusource.generator.signal import generate_signal_chunk, make_signal_spec, reweight
from nusource.generator.sources import get_source
from nusource.generator.zprime import ZPrime
from nusource.io.schema import EVENT_DTYPE

TMIN, TMAX = 0.001, 0.1  # generation window [MeV]
EDGES = np.arange(0.002, 0.0301, 0.002)
EXPOSURE = 1e48  # ν·e⁻/cm²: O(1000) events per bin
POINTS = [(0.0, 0.0), (3e-11, 0.09), (1e-10, 0.3)]  # (μν [μ_B], γ)


def nai_sigma(t):
    return 0.448e-3 * np.sqrt(np.asarray(t) * 1e3) + 0.0091 * np.asarray(t)


@pytest.fixture(scope="module")
def setup():
    """400k weighted ¹⁴⁷Pm events (proposal μ = 0) of a χ-model Z′ with μν = 3e-11 μ_B."""
    sp = from_source(get_source("pm147", endpoint_kev=235))
    model = PhysicsModel("nuebar", "tree", 0.2386, mu=3e-11, zprime=ZPrime("chi", 300.0))
    n = 400_000
    spec = make_signal_spec(
        sp,
        model,
        tmin_mev=TMIN,
        tmax_mev=TMAX,
        mode="weighted",
        n_events=n,
        exposure=EXPOSURE,
        proposal_mu=0.0,
    )
    truth = generate_signal_chunk(spec, np.random.default_rng(20240601), n)
    ev = np.zeros(n, dtype=EVENT_DTYPE)
    for name in truth.dtype.names:
        ev[name] = truth[name]
    ev["erec"] = ev["te"] + nai_sigma(ev["te"]) * np.random.default_rng(7).standard_normal(n)
    return sp, model, spec, ev


def _z(tpl, ex, mu, gamma):
    return (tpl.counts(mu=mu, gamma=gamma) - ex.counts(mu=mu, gamma=gamma)) / tpl.errors(
        mu=mu, gamma=gamma
    )


@pytest.mark.parametrize(("mu", "gamma"), POINTS)
def test_template_of_true_recoil_matches_quadrature(setup, mu, gamma):
    """Bin by bin within the template's statistical error (|z| < 4; χ² of 14 bins < 40)."""
    sp, model, spec, ev = setup
    tpl = make_template(ev, spec.gen_norm, EDGES, field="te")
    ex = binned_expectation(sp, model, EDGES, exposure=EXPOSURE)
    z = _z(tpl, ex, mu, gamma)
    assert np.all(np.abs(z) < 4.0)
    assert np.sum(z**2) < 40.0


@pytest.mark.parametrize(("mu", "gamma"), POINTS)
def test_smeared_template_matches_quadrature_with_resolution(setup, mu, gamma):
    """Gaussian smearing applied to the events and, identically, in the quadrature."""
    sp, model, spec, ev = setup
    tpl = make_template(ev, spec.gen_norm, EDGES)  # 'erec' by default
    assert tpl.field == "erec"
    ex = binned_expectation(
        sp, model, EDGES, exposure=EXPOSURE, sigma=nai_sigma, t_range_mev=(TMIN, TMAX)
    )
    z = _z(tpl, ex, mu, gamma)
    assert np.all(np.abs(z) < 4.0)
    assert np.sum(z**2) < 40.0


def test_template_counts_and_errors_equal_direct_reweighting(setup):
    """counts and sqrt(Σw²) from the stored moments = histograms of generator.signal.reweight."""
    _, _, spec, ev = setup
    tpl = make_template(ev, spec.gen_norm, EDGES, field="te")
    for mu, gamma in POINTS:
        w = reweight(ev, spec.gen_norm, mu=mu, gamma=gamma)
        c, _ = np.histogram(ev["te"], EDGES, weights=w)
        s2, _ = np.histogram(ev["te"], EDGES, weights=w * w)
        np.testing.assert_allclose(tpl.counts(mu=mu, gamma=gamma), c, rtol=1e-10)
        np.testing.assert_allclose(tpl.errors(mu=mu, gamma=gamma), np.sqrt(s2), rtol=1e-10)
    w = reweight(ev, spec.gen_norm, gamma=0.1, linear=True)
    c, _ = np.histogram(ev["te"], EDGES, weights=w)
    np.testing.assert_allclose(tpl.counts(gamma=0.1, linear=True), c, rtol=1e-10)


def test_selection_component_and_scaling(setup):
    _, _, spec, ev = setup
    ev = ev[:1000].copy()
    ev["flags"][::2] = 1
    ev["component"][1::4] = 3
    tpl = make_template(ev, spec.gen_norm, EDGES, field="te")
    assert tpl.n_events.sum() <= 500
    assert (
        make_template(ev, spec.gen_norm, EDGES, field="te", selected_only=False).n_events.sum()
        > 500
    )
    only3 = make_template(ev, spec.gen_norm, EDGES, field="te", component=3)
    assert only3.n_events.sum() == np.count_nonzero(
        (ev["component"] == 3)
        & (ev["flags"] == 0)
        & (ev["te"] >= EDGES[0])
        & (ev["te"] < EDGES[-1])
    )
    big = tpl.scaled(4.0)
    np.testing.assert_allclose(big.counts(), 4 * tpl.counts())
    np.testing.assert_allclose(big.errors(), 4 * tpl.errors())


def test_unknown_field_is_named(setup):
    _, _, spec, ev = setup
    with pytest.raises(ValueError, match="field"):
        make_template(ev[:10], spec.gen_norm, EDGES, field="nope")


def test_events_vs_expectation_is_chi2_distributed_with_few_events_per_bin():
    """Fixed runs of N events of one weight from a known falling spectrum, ~3 per bin: the
    statistic's mean over toys is its exact mean within the toys' statistics (the events'
    own Σw² per bin, Neyman's χ², is biased here: 46 for 59)."""
    from nusource.analysis.run_analysis import events_vs_expectation

    rng = np.random.default_rng(11)
    edges = np.linspace(0.0, 3.0, 61)
    n, scale, toys = 200, 2.5e-3, 400  # events per run, their weight, runs
    p = np.diff(-np.exp(-edges))  # exponential spectrum cut at 3
    p /= p.sum()
    expected = n * scale * p
    values = []
    for _ in range(toys):
        u = rng.random(n) * (1.0 - np.exp(-3.0))
        x = -np.log1p(-u)
        chi2, ndf = events_vs_expectation(x, np.full(n, scale), edges, expected)
        values.append(chi2)
    assert ndf == 60
    mean, err = np.mean(values), np.std(values) / np.sqrt(toys)
    # a fixed run is multinomial: E[Pearson χ²] = bins − 1
    assert abs(mean - (ndf - 1)) < 4 * err, (mean, err)
