"""Backgrounds in the same production, files and seed tree as the signal (LXe card).

Independent references: each component's Poisson count against its expected
events; the solar neutrinos' directions against the Sun's position computed
apart (generator.sun) at each event's time; the signal's events against a run
of the card without its backgrounds.
"""

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from nusource.generator.sun import sun_direction
from nusource.io import read_events
from nusource.production import plan, simulate
from nusource.runcard import CardError, shipped_card

LXE = shipped_card("lxe_cr51.toml").read_text()
SIGNAL_ONLY = LXE.split("\n[[components]]")[0] + "\n"
NAMES = ["signal", "solar_pp", "solar_be7", "xe136", "kr85", "rn222", "source_gamma"]


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    d = tmp_path_factory.mktemp("bkg")
    card = d / "lxe.toml"
    card.write_text(LXE)
    prod = plan(card, d / "lxe.h5", exposure=True, seed=3)
    simulate(prod)
    return prod, read_events(prod.output)


def test_every_component_is_a_poisson_draw_of_its_expectation(experiment):
    prod, data = experiment
    comps = data.run["components"]
    assert [comps[str(i)]["name"] for i in range(len(NAMES))] == NAMES
    for i, name in enumerate(NAMES):
        n = int(np.sum(data.events["component"] == i))
        lam = comps[str(i)]["expected_events"]
        assert abs(n - lam) < 5 * math.sqrt(lam) + 1, (name, n, lam)
    # natural xenon: 356 ¹³⁶Xe decays per (t·day), 5.94 t for 100 days
    xe = comps["3"]
    per_t_day = xe["decays"] / (data.run["detector_mass_kg"] / 1000) / 100
    assert per_t_day == pytest.approx(356.1, rel=5e-3)


def test_solar_neutrinos_come_from_the_sun(experiment):
    prod, data = experiment
    ev = data.events[data.events["component"] == 1][:2000]
    to_sun, _ = sun_direction(ev["time"], "2025-01-01T00:00:00", (42.45, 13.57))
    nu = np.column_stack([ev["nu_dx"], ev["nu_dy"], ev["nu_dz"]])
    cos = np.sum(-to_sun * nu, axis=1)
    assert np.degrees(np.arccos(np.clip(cos.min(), -1, 1))) < 0.01
    # decays carry no neutrino and no atomic binding
    dec = data.events[data.events["component"] >= 3]
    assert np.all(dec["enu"] == 0) and not np.any(dec["flags"] & 1)


def test_backgrounds_leave_the_signal_unchanged(experiment, tmp_path):
    prod, data = experiment
    card = tmp_path / "signal.toml"
    card.write_text(SIGNAL_ONLY)
    alone = plan(card, tmp_path / "signal.h5", exposure=True, seed=3)
    simulate(alone)
    a = read_events(alone.output).events
    b = data.events[data.events["component"] == 0]
    for name in a.dtype.names:
        assert np.array_equal(a[name], b[name]), name


@pytest.mark.parametrize(
    "card, key",
    [
        (LXE.replace("activity_ubq_per_kg = 0.1", "activity_ubq_per_kg = -0.1"), "activity_ubq"),
        (LXE.replace("activity_ubq_per_kg = 0.1", "activity_ubq_per_kg = nan"), "activity_ubq"),
        (LXE.replace('kind = "kr85"', 'kind = "kr86"'), "components[3].kind"),
        (LXE.replace("p_ee = 0.55", "p_ee = 1.5"), "components[0].p_ee"),
        (SIGNAL_ONLY + "[site]\nlatitude_deg = 95.0\n", "site.latitude_deg"),
        (
            shipped_card("lama.toml").read_text() + '\n[[components]]\nkind = "xe136"\n',
            "cannot live in a NaI detector",
        ),
    ],
)
def test_bad_background_input_names_the_key(tmp_path, card, key):
    path = tmp_path / "bad.toml"
    path.write_text(card)
    with pytest.raises((CardError, ValueError)) as err:
        plan(path, tmp_path / "bad.h5", n=10)
    message = str(err.value)
    assert key in message and "\n" not in message, message


def test_analyze_fits_every_component(experiment, tmp_path):
    """One experiment with backgrounds, analysed with templates from a fixed run of the card:
    observed = exact signal + templates within Poisson errors; each normalisation near 1."""
    from nusource.jobs import analyze

    prod, data = experiment
    card = tmp_path / "lxe.toml"
    card.write_text(LXE)
    tpl = plan(card, tmp_path / "tpl.h5", n=200_000, seed=99)
    simulate(tpl)
    analysis = shipped_card("analysis/lxe_mu.toml")
    with pytest.raises(ValueError, match="--templates"):
        analyze([prod.output], analysis)
    r = analyze([prod.output], analysis, templates=[tpl.output])
    obs, exp = r["observed_total"], r["expected_total"]
    assert abs(obs - exp) < 5 * math.sqrt(exp), (obs, exp)
    assert set(r["expected_by_component"]) == set(NAMES)
    fit = r["fit"]
    assert fit["valid"]
    b = fit["values"]["b_xe136"], fit["errors"]["b_xe136"]
    assert abs(b[0] - 1) < 5 * b[1] and b[1] < 0.2  # flat shapes: correlated with the others
    # a pull for a component the files do not have is refused, naming the ones they have
    typo = tmp_path / "typo.toml"
    typo.write_text(
        analysis.read_text().replace(
            "background_norm_sigma = 0.005", "background_norm_sigma = { xe_136 = 0.01 }"
        )
    )
    with pytest.raises(ValueError, match="xe_136 is not a background component .* xe136"):
        analyze([prod.output], typo, templates=[tpl.output])
    # the fixed run alone: its signal events against the quadrature, within their statistics
    # on both sides (the background events, in both, are not part of the comparison)
    alone = analyze([tpl.output], analysis)
    sf = scipy_stats.chi2.sf(
        alone["template_vs_quadrature_chi2"], alone["template_vs_quadrature_ndf"]
    )
    assert 1e-3 < sf < 1 - 1e-3, alone["template_vs_quadrature_chi2"]
    # the templates' own statistics: a fixed run gives the events of a component one weight,
    # so the simulated events behind its template are its selected events in the range
    tev = read_events(tpl.output).events
    lo, hi = r["edges_kev"][0] * 1e-3, r["edges_kev"][-1] * 1e-3
    xe = tev[(tev["component"] == 3) & (tev["flags"] == 0)]
    in_range = np.count_nonzero((xe["erec"] >= lo) & (xe["erec"] <= hi))
    stats = r["template_statistics"]["xe136"]
    assert stats["template_events"] == pytest.approx(in_range, rel=1e-9)
    assert stats["expected_events"] == pytest.approx(r["expected_by_component"]["xe136"])
    assert stats["enough"] == (in_range >= 10 * stats["expected_events"])
    assert stats["n_for_enough"] == math.ceil(200_000 * 10 * stats["expected_events"] / in_range)


def test_a_source_free_period_adds_background_live_time_only(tmp_path):
    card = tmp_path / "lxe.toml"
    card.write_text(LXE.replace('title = "', 'background_only_days = 50.0\ntitle = "', 1))
    with_period = plan(card, tmp_path / "a.h5", n=1000)
    plain = tmp_path / "plain.toml"
    plain.write_text(LXE)
    without = plan(plain, tmp_path / "b.h5", n=1000)
    ea, eb = with_period.expected_events, without.expected_events
    assert ea["signal"] == eb["signal"]
    assert ea["xe136"] == pytest.approx(eb["xe136"] * 150 / 100, rel=1e-12)
    simulate(with_period)
    ev = read_events(with_period.output).events
    xe = ev[ev["component"] == 3]
    late = np.mean(xe["time"] > 100 * 86400)
    assert abs(late - 1 / 3) < 5 * math.sqrt(2 / 9 / len(xe))
    assert np.all(ev[ev["component"] == 0]["time"] < 100 * 86400)


def test_an_analysis_card_about_another_setup_is_warned_of(experiment, tmp_path):
    """lama_zprime_reach is about lama_seed000.toml (NaI, ¹⁴⁷Pm): given LXe + ⁵¹Cr events,
    analyze says so before it goes on (here to ask for templates); the LXe study's card
    says nothing."""
    import warnings

    from nusource.jobs import analyze

    prod, _ = experiment
    with pytest.warns(UserWarning, match=r"is about run card lama_seed000\.toml \(NaI detector"):
        with pytest.raises(ValueError, match="--templates"):
            analyze([prod.output], shipped_card("analysis/lama_zprime_reach.toml"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        with pytest.raises(ValueError, match="--templates"):
            analyze([prod.output], shipped_card("analysis/lxe_mu_bound.toml"))
