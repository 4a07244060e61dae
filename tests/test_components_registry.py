"""A kind of event added through the registry alone: simulated, written, read back and fitted.

The toy kind is a flat visible-energy spectrum decaying uniformly in the
detector, defined here and nowhere else (docs/architecture.md's recipe); the
production, the files and the readers take it without any other change.
"""

import math

import numpy as np
import pytest
from iminuit import Minuit

from nusource.analysis.expectation import binned_expectation
from nusource.components import KINDS, ComponentCard, register
from nusource.components.decay import live_seconds, uniform_decays
from nusource.core.jit import jit
from nusource.experiment import load_experiment
from nusource.io import read_events
from nusource.production import plan, simulate
from nusource.runcard import CardError, shipped_card


class FlatCard(ComponentCard):
    decays_per_kg_day: float
    t_lo_kev: float
    t_hi_kev: float


@jit
def _flat(rng, lo, hi, out):
    for i in range(out.shape[0]):
        out[i] = lo + (hi - lo) * rng.random()


@pytest.fixture(scope="module")
def flat_kind():
    @register("toy_flat", FlatCard)
    def build(card, ctx):
        exp = ctx.experiment
        lo, hi = card.t_lo_kev * 1e-3, card.t_hi_kev * 1e-3
        w_lo, w_hi = exp.window_mev
        a, b = max(lo, w_lo), min(hi, w_hi)
        decays = card.decays_per_kg_day * exp.detector_mass_kg * live_seconds(exp) / 86400
        return uniform_decays(
            ctx,
            kind="toy_flat",
            decays=decays,
            window_fraction=max(b - a, 0.0) / (hi - lo),
            sample_te=lambda rng, te: _flat(rng, a, b, te),
            parameters=card.model_dump(),
        )

    yield
    KINDS.pop("toy_flat")


CARD = shipped_card("lxe_cr51.toml").read_text().split("\n[[components]]")[0]
TOY = """
[[components]]
kind = "toy_flat"
name = "flat"
decays_per_kg_day = {rate}
t_lo_kev = 10.0
t_hi_kev = 300.0
"""


def card_with_toy(tmp_path, rate=0.004):
    path = tmp_path / "toy.toml"
    path.write_text(CARD + TOY.format(rate=rate))
    return path


def test_toy_component_is_written_and_read_back(tmp_path, flat_kind):
    prod = plan(card_with_toy(tmp_path), tmp_path / "fixed.h5", n=20_000, chunk_size=7_000)
    simulate(prod)
    data = read_events(prod.output)
    ev, meta = data.events, data.run
    flat = ev[ev["component"] == 1]
    assert len(flat) == 20_000 and np.sum(ev["component"] == 0) == 20_000
    entry = meta["components"]["1"]
    assert entry["name"] == "flat" and entry["kind"] == "toy_flat"
    days = 100.0
    mass = meta["detector_mass_kg"]
    assert entry["decays"] == pytest.approx(0.004 * mass * days, rel=1e-12)
    assert flat["weight"].sum() == pytest.approx(entry["expected_events"], rel=1e-9)
    assert np.all((flat["te"] >= 0.010) & (flat["te"] < 0.300))
    assert np.all(flat["enu"] == 0) and np.all(flat["xs_mag"] == 0)
    # no atomic binding for a decay; uniform in the detector: ⟨z⟩ at its centre
    assert not np.any(flat["flags"] & 1)
    assert abs(flat["vtx_z"].mean() - 168.5) < 4 * 137 / math.sqrt(12 * len(flat))


def test_adding_a_component_leaves_the_signal_unchanged(tmp_path, flat_kind):
    plain = tmp_path / "plain.toml"
    plain.write_text(CARD)
    a = plan(plain, tmp_path / "a.h5", n=5_000, chunk_size=2_000)
    b = plan(card_with_toy(tmp_path), tmp_path / "b.h5", n=5_000, chunk_size=2_000)
    simulate(a)
    simulate(b)
    ea, eb = read_events(a.output).events, read_events(b.output).events
    eb = eb[eb["component"] == 0]
    for name in ea.dtype.names:
        assert np.array_equal(ea[name], eb[name]), name


def test_toy_component_fitted_beside_the_signal(tmp_path, flat_kind):
    prod = plan(card_with_toy(tmp_path, rate=0.02), tmp_path / "exp.h5", exposure=True)
    simulate(prod)
    data = read_events(prod.output)
    meta = data.run
    edges = np.linspace(0.002, 0.300, 50)
    observed = np.histogram(data.events["te"], edges)[0]
    exp, _ = load_experiment(tmp_path / "toy.toml")
    exp_signal = binned_expectation(
        exp.spectrum,
        exp.model,
        edges,
        exposure=meta["exposure_per_cm2"],
        t_range_mev=(0.001, 1.0),
    ).counts()
    flat_total = meta["components"]["1"]["expected_events"]
    lo, hi = np.clip(edges[:-1], 0.010, 0.300), np.clip(edges[1:], 0.010, 0.300)
    exp_flat = flat_total * (hi - lo) / (0.300 - 0.010)

    def nll(s, b):
        mu = s * exp_signal + b * exp_flat
        return 2 * np.sum(mu - observed * np.log(mu))

    m = Minuit(nll, s=1.0, b=1.0)
    m.errordef = 1
    m.migrad()
    for p in ("s", "b"):
        assert abs(m.values[p] - 1) < 5 * m.errors[p], (p, m.values[p], m.errors[p])
    assert m.errors["b"] < 0.05


def test_a_component_that_cannot_be_built_names_its_key(tmp_path, flat_kind):
    path = tmp_path / "bad.toml"
    path.write_text(CARD + TOY.format(rate='"fast"'))
    with pytest.raises(CardError, match=r"components\[0\]\.decays_per_kg_day"):
        plan(path, tmp_path / "x.h5", n=10)
    path.write_text(CARD + TOY.format(rate=1.0).replace("toy_flat", "toy_sharp"))
    with pytest.raises(CardError, match=r"components\[0\]\.kind: unknown component kind"):
        plan(path, tmp_path / "x.h5", n=10)
