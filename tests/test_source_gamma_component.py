"""The ``source_gamma`` component: source γ rays in the production, its rates, and bad input."""

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from nusource import jobs
from nusource.io.readers import read_events
from nusource.io.schema import FLAGS
from nusource.production import plan, simulate

# A thin-shield setup where analog transport has statistics: a ⁵¹Cr-shaped source
# (no ν lines matter here) in 2 cm of W, 10 cm below an LXe cylinder.
THIN = """
title = "thin shield: source gamma test"
seed = 3
mode = "exposure"
chunk_size = 50000

[source]
isotope = "cr51"
activity_ci = 1.0
run_days = 10.0
shape = "cylinder"
diameter_cm = 4.0
height_cm = 4.0
shields = [{{ material = "W", thickness_cm = 2.0 }}]

[detector]
name = "LXe cylinder"
material = "LXe"
shape = "cylinder"
radius_cm = 20.0
height_cm = 20.0
center_cm = [0.0, 0.0, 24.0]

[window]
tmin_kev = 1.0

[response]
binding = false
resolution = "none"

[[components]]
kind = "source_gamma"
source_lines = false
source_material = "Cr"
stretch = {stretch}
cone_fraction = {cone}
pilot_histories = 100000
impurities = [{{ energy_kev = 1500.0, emission_per_day = {emission}, half_life_days = 2.0 }}]
"""


def _card(tmp_path, name="thin.toml", *, stretch=0.0, cone=0.0, emission=1.0e3, extra=""):
    p = tmp_path / name
    p.write_text(THIN.format(stretch=stretch, cone=cone, emission=emission) + extra)
    return p


def _gamma_events(path):
    ev = read_events(path)
    meta = ev.metadata if isinstance(ev.metadata, dict) else ev.metadata[0]
    comps = meta["components"]
    index = next(int(k) for k, c in comps.items() if c["kind"] == "source_gamma")
    return ev.events[ev.events["component"] == index], comps[str(index)]


def test_biased_production_agrees_with_analog(tmp_path):
    """Σ weights of a biased fixed-mode run (transform, direction biasing, roulette) = an
    analog run's event count (same physics)."""
    analog = _card(tmp_path, "analog.toml", extra="roulette = false\n")
    biased = _card(tmp_path, "biased.toml", stretch=0.6, cone=0.5)
    n = 400_000
    simulate(plan(analog, tmp_path / "a.h5", n=n))
    simulate(plan(biased, tmp_path / "b.h5", n=n))
    a, ma = _gamma_events(tmp_path / "a.h5")
    b, mb = _gamma_events(tmp_path / "b.h5")
    assert np.all(a["weight"] == a["weight"][0])  # analog: every event the same weight
    assert ma["emitters"][0]["roulette_below_mev"] == 0.0
    assert mb["emitters"][0]["roulette_below_mev"] > 0.0  # (with the roulette)
    wa, wb = a["weight"].sum(), b["weight"].sum()
    ea = wa / math.sqrt(a.size)
    eb = math.sqrt(np.sum(b["weight"] ** 2))
    print(f"\nanalog {wa:.4g} ± {ea:.2g}, biased {wb:.4g} ± {eb:.2g} expected events")
    assert a.size > 2000
    assert abs(wa - wb) < 4 * math.hypot(ea, eb)


def test_pilot_expectation_matches_the_run_and_rate(tmp_path):
    """The component's expected events (pilot) = the run's Σ weights; `rate` reports them."""
    card = _card(tmp_path, stretch=0.6, cone=0.5)
    simulate(plan(card, tmp_path / "f.h5", n=300_000))
    ev, meta = _gamma_events(tmp_path / "f.h5")
    w = ev["weight"].sum()
    err = math.hypot(math.sqrt(np.sum(ev["weight"] ** 2)), meta["expected_events_error"])
    assert abs(w - meta["expected_events"]) < 4 * err
    r = jobs.rate(card)["components"]["source_gamma"]
    assert r["events"] == pytest.approx(meta["expected_events"], rel=1e-12)
    for key in (
        "emitted_per_day",
        "interacting_in_fiducial_per_day",
        "interacting_in_fiducial_per_day_err",
        "single_site_in_window_per_day",
        "single_site_in_window_per_day_err",
    ):
        assert math.isfinite(r[key]) and r[key] >= 0, key
    assert r["emitted_per_day"] == pytest.approx(1.0e3)


def test_exposure_run_is_a_poisson_experiment(tmp_path):
    """Exposure mode: weight-1 events whose count over 12 seeds has the pilot's expectation
    (the pilot depends on the card, not the seed)."""
    card = _card(tmp_path, stretch=0.6, cone=0.5, emission=600.0)
    counts, expected = [], set()
    for seed in range(12):
        out = tmp_path / f"e{seed}.h5"
        simulate(plan(card, out, seed=seed))
        ev, meta = _gamma_events(out)
        assert np.all(ev["weight"] == 1.0)
        counts.append(ev.size)
        expected.add(meta["expected_events"])
    assert len(expected) == 1
    mu, err = meta["expected_events"], meta["expected_events_error"]
    mean = np.mean(counts)
    tol = 4 * math.hypot(math.sqrt(mu / 12), err)
    print(f"\nexposure: {mean:.2f} events per run over 12 seeds, expected {mu:.2f} ± {err:.2f}")
    assert mu > 20 and abs(mean - mu) < tol


def test_times_follow_the_impurity_half_life(tmp_path):
    """Event times: an exponential of τ = T½/ln2 truncated at the run (KS, p > 0.001)."""
    card = _card(tmp_path, stretch=0.6, cone=0.5, emission=8000.0)
    simulate(plan(card, tmp_path / "t.h5"))
    ev, _ = _gamma_events(tmp_path / "t.h5")
    tau = 2.0 * 86400 / math.log(2)
    length = 10.0 * 86400
    cdf = lambda t: -np.expm1(-t / tau) / -math.expm1(-length / tau)  # noqa: E731
    p = stats.kstest(ev["time"], cdf).pvalue
    print(f"\n{ev.size} events, KS p = {p:.3f}")
    assert ev.size > 300 and p > 1e-3


def test_multi_site_flag_survives_the_response(tmp_path):
    """multi_site is set from the sites and kept by the detector response; those events
    are never selected."""
    card = _card(tmp_path, stretch=0.6, cone=0.5, emission=6000.0)
    simulate(plan(card, tmp_path / "m.h5"))
    ev, _ = _gamma_events(tmp_path / "m.h5")
    multi = (ev["flags"] & FLAGS["multi_site"]) != 0
    print(f"\n{multi.mean():.2f} of {ev.size} events multi-site")
    assert 0.2 < multi.mean() < 0.99
    assert np.all(ev["flags"][multi] != 0)
    # 1.5 MeV photons: a single site in 40 cm of LXe is mostly a photo-peak or one Compton
    assert np.any(ev["te"][~multi] < 1.4)


def test_lxe_card_reproduces_seed004_rates():
    """With the shipped card's emission: ≈ 10 γ/day interact in the fiducial volume, < 1/day
    single-site in 2–140 keV at the start (seed 004)."""
    r = jobs.rate("lxe_cr51.toml")["components"]["source_gamma"]
    fid, dfid = r["interacting_in_fiducial_per_day"], r["interacting_in_fiducial_per_day_err"]
    ss, dss = r["single_site_in_window_per_day"], r["single_site_in_window_per_day_err"]
    print(
        f"\nlxe_cr51.toml at the start: {r['emitted_per_day']:.3g} γ/day, {fid:.3g} ± {dfid:.2g}"
        f" /day interact in the fiducial volume (seed: about 10), {ss:.3g} ± {dss:.2g} /day "
        "single-site in 2–140 keV (seed: < 1)"
    )
    assert r["single_site_window_kev"] == [2.0, 140.0]
    assert 5.0 < fid < 20.0 and dfid < 0.35 * fid
    assert ss + 3 * dss < 1.0
    impurities = [e for e in r["per_emitter"] if e["energy_kev"] == 1500.0]
    short = sum(e["emitted_per_day"] for e in impurities if e["half_life_days"] < 2)
    assert short / sum(e["emitted_per_day"] for e in impurities) == pytest.approx(0.95)


@pytest.mark.parametrize(
    "change, key",
    [
        ("energy_kev = 5.0, emission_per_day = 1e3, half_life_days = 2.0", "energy_kev"),
        ("energy_kev = 2e4, emission_per_day = 1e3, half_life_days = 2.0", "energy_kev"),
        ("energy_kev = 1500.0, emission_per_day = -1.0, half_life_days = 2.0", "emission_per_day"),
        ("energy_kev = 1500.0, emission_per_day = 1e3, half_life_days = 0.0", "half_life_days"),
    ],
)
def test_bad_impurity_names_the_key(tmp_path, change, key):
    text = THIN.format(stretch=0.0, cone=0.0, emission=1.0).replace(
        "energy_kev = 1500.0, emission_per_day = 1.0, half_life_days = 2.0", change
    )
    (tmp_path / "bad.toml").write_text(text)
    r = subprocess.run(
        [sys.executable, "-m", "nusource.cli", "rate", str(tmp_path / "bad.toml")],
        capture_output=True,
        text=True,
    )
    err = r.stderr.strip().splitlines()
    assert r.returncode == 2, r.stderr
    assert len(err) <= 2 and "Traceback" not in r.stderr
    assert f"components[0].impurities[0].{key}" in err[-1]


@pytest.mark.parametrize(
    "old, new, key",
    [
        (
            'source_material = "Cr"',
            'source_material = "Unobtainium"',
            "components[0].source_material",
        ),
        (
            "[detector]",
            '[photons]\nouter = [{ name = "x", material = "Kryptonite", shape = "sphere", '
            "radius_cm = 100.0 }]\n\n[detector]",
            "photons.outer[0].material",
        ),
    ],
)
def test_unknown_material_names_the_key(tmp_path, old, new, key):
    text = THIN.format(stretch=0.0, cone=0.0, emission=1.0).replace(old, new)
    (tmp_path / "bad.toml").write_text(text)
    r = subprocess.run(
        [sys.executable, "-m", "nusource.cli", "rate", str(tmp_path / "bad.toml")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert key in r.stderr.strip().splitlines()[-1]


def test_unweighted_fixed_run_has_equal_weights_and_the_same_sum(tmp_path):
    """unweighted = true: rejection to one weight (U_max/N); Σ weights = the weighted run's
    within their errors."""
    weighted = _card(tmp_path, "w.toml", stretch=0.6, cone=0.5)
    equal = _card(tmp_path, "u.toml", stretch=0.6, cone=0.5, extra="unweighted = true\n")
    simulate(plan(weighted, tmp_path / "w.h5", n=300_000))
    simulate(plan(equal, tmp_path / "u.h5", n=300_000))
    w, _ = _gamma_events(tmp_path / "w.h5")
    u, meta = _gamma_events(tmp_path / "u.h5")
    assert np.all(u["weight"] == u["weight"][0])
    assert u["weight"][0] == pytest.approx(meta["u_max"] / 300_000, rel=1e-12)
    sw, su = w["weight"].sum(), u["weight"].sum()
    err = math.hypot(math.sqrt(np.sum(w["weight"] ** 2)), u["weight"][0] * math.sqrt(u.size))
    print(f"\nweighted {sw:.4g}, unweighted {su:.4g} ± {err:.2g} ({u.size} events)")
    assert u.size > 200 and abs(sw - su) < 4 * err


def test_roulette_energy_is_the_highest_step_within_the_variance_bound():
    """The pilot's roulette energy: the highest E·k/20 below which the histories hold at most
    ROULETTE_VARIANCE/(1/p − 1) of every tally's Σw² (variance growth ≤ 1 %)."""
    from nusource.components.source_gamma import (
        ROULETTE_SURVIVAL,
        ROULETTE_VARIANCE,
        roulette_energy,
    )

    bound = ROULETTE_VARIANCE / (1 / ROULETTE_SURVIVAL - 1)
    n = 100_000
    w = np.ones(n)
    emin = np.full(n, np.inf)
    every = np.ones(n, dtype=bool)
    k = int(bound * n)  # histories that may play: just within the bound
    emin[:k] = 0.12
    assert roulette_energy(1.0, w, emin, (every,)) == pytest.approx(0.95)
    emin[: k + 2] = 0.12  # just beyond it below 0.15 MeV: 0.10 MeV is the highest step
    assert roulette_energy(1.0, w, emin, (every,)) == pytest.approx(0.10)
    w[:k] = 3.0  # weights count squared: beyond the bound again
    emin[:] = np.inf
    emin[:k] = 0.52
    assert roulette_energy(1.0, w, emin, (every,)) == pytest.approx(0.50)
    # every tally must keep within it: in a tenth of the histories, the same players
    # hold ten times the share
    w[:] = 1.0
    assert roulette_energy(1.0, w, emin, (every,)) == pytest.approx(0.95)
    tenth = np.arange(n) < n // 10
    assert roulette_energy(1.0, w, emin, (every, tenth)) == pytest.approx(0.50)
    # a tally nobody makes (no pilot event) does not: nothing is known against the roulette
    assert roulette_energy(1.0, w, emin, (every, np.zeros(n, dtype=bool))) == pytest.approx(0.95)
