"""The fit of `analyze` with background templates: a template without events in the
histogram's range is fixed, not left as a direction the likelihood does not see."""

import numpy as np
import pytest

from nusource.analysis.components_fit import fit_components
from nusource.cli import _print_fit

BINS = 40


def parts_and_templates():
    """A falling signal (SM part and a 1/T magnetic part) and two background shapes."""
    t = np.linspace(0.005, 0.1, BINS)
    sm = 400.0 * (1.0 - 4.0 * t)
    mag = 5e20 * 0.005 / t  # events per μ_B² (×10⁻²⁰: per (10⁻¹⁰ μ_B)²)
    parts = np.array([sm, mag, np.zeros(BINS), np.zeros(BINS)])
    flat = np.full(BINS, 60.0)
    rising = 120.0 * t / t.max()
    return parts, {"flat": flat, "rising": rising}


def test_an_empty_template_is_fixed_and_the_others_fit_as_without_it():
    parts, tpl = parts_and_templates()
    rng = np.random.default_rng(7)
    observed = rng.poisson(parts[0] + tpl["flat"] + tpl["rising"]).astype(float)
    alone = fit_components(observed, parts, tpl, mu_unit=1e-10)
    with_empty = fit_components(observed, parts, {**tpl, "gamma": np.zeros(BINS)}, mu_unit=1e-10)
    assert alone["valid"] and with_empty["valid"]
    assert with_empty["empty_templates"] == ["gamma"]
    assert with_empty["fixed"] == ["b_gamma"] and with_empty["errors"]["b_gamma"] == 0.0
    assert with_empty["ndf"] == alone["ndf"] == BINS - 4
    for p in alone["parameters"]:
        assert with_empty["values"][p] == pytest.approx(alone["values"][p], abs=1e-4)
        assert with_empty["errors"][p] == pytest.approx(alone["errors"][p], rel=1e-3)
    # the truth (b = 1, s = 1) within the errors
    for k in ("b_flat", "b_rising", "s"):
        assert abs(alone["values"][k] - 1.0) < 4 * alone["errors"][k]


def test_the_printed_fit_says_what_is_fixed_and_when_the_minimum_is_not_valid(capsys):
    parts, tpl = parts_and_templates()
    observed = parts[0] + tpl["flat"] + tpl["rising"]
    f = fit_components(observed, parts, {**tpl, "gamma": np.zeros(BINS)}, mu_unit=1e-10)
    f.update(parameter="mu2", data="Asimov")
    _print_fit(f)
    out = capsys.readouterr().out
    assert "gamma fixed at 1 (no events in the range)" in out
    assert "flat 1 ± " in out and "rising 1 ± " in out
    assert f"χ² = 0.0 for {BINS - 4} degrees of freedom" in out
    assert "not a result" not in out
    _print_fit({**f, "valid": False})
    assert "did not reach a valid minimum" in capsys.readouterr().out
    _print_fit({**f, "chi2": -3e-12})  # (an Asimov fit's deviance, rounded below 0)
    assert f"χ² = 0.0 for {BINS - 4} degrees of freedom" in capsys.readouterr().out


def test_the_printed_analysis_names_templates_with_too_few_simulated_events(capsys):
    from nusource.cli import _print_analysis, _round_up

    assert [_round_up(n) for n in (7, 99, 1001, 2_101_234, 2_200_000)] == [
        7,
        99,
        1100,
        2_200_000,
        2_200_000,
    ]
    r = {
        "title": "t",
        "files": ["a.h5"],
        "mode": "exposure",
        "field": "erec",
        "edges_kev": [2.0, 140.0],
        "observed_total": 10.0,
        "expected_total": 10.0,
        "template_statistics": {
            "xe136": {
                "expected_events": 2221.0,
                "template_events": 2101.0,
                "enough": False,
                "n_for_enough": 2_114_000,
            },
            "kr85": {
                "expected_events": 267.0,
                "template_events": 9e4,
                "enough": True,
                "n_for_enough": 6_000,
            },
        },
    }
    _print_analysis(r)
    out = capsys.readouterr().out
    assert "xe136 2101 for 2221; a template run with -n 2200000 gives 10" in out
    assert "kr85" not in out
    _print_analysis({**r, "template_statistics": {"kr85": r["template_statistics"]["kr85"]}})
    assert "templates with fewer" not in capsys.readouterr().out


def test_the_analysis_plots_z_prime_curve_stands_on_the_same_backgrounds():
    # the drawn excess is the signal's Z′ change alone, not minus the backgrounds
    from nusource.analysis.expectation import Expectation
    from nusource.analysis.run_analysis import zprime_curves
    from nusource.generator.zprime import gamma_of_mass

    parts, tpl = parts_and_templates()
    ex = Expectation(np.linspace(0.002, 0.14, BINS + 1), *parts)
    ex = Expectation(ex.edges_mev, ex.sm, ex.mag, 0.03 * ex.sm, 0.001 * ex.sm)
    background = tpl["flat"] + tpl["rising"]
    base, z = zprime_curves(ex, background, mu=1e-11)
    g = gamma_of_mass(330.0)
    assert np.allclose(base, ex.counts(mu=1e-11) + background, rtol=1e-14)
    assert np.allclose(z - base, g * ex.zlin + g * g * ex.zquad, rtol=1e-12)
    alone, z_alone = zprime_curves(ex, None)
    assert np.allclose(alone, ex.sm, rtol=1e-14)
    assert np.allclose(z_alone - alone, g * ex.zlin + g * g * ex.zquad, rtol=1e-12)


def test_empty_bins_fit_without_numpys_warnings():
    """A bin with no events adds ν to the deviance and nothing else (no log of 0 computed:
    `analyze` showed numpy's 'invalid value encountered in multiply' for such data)."""
    import warnings

    parts, tpl = parts_and_templates()
    observed = np.round(parts[0] + tpl["flat"] + tpl["rising"])
    observed[::3] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = fit_components(observed, parts, tpl, mu_unit=1e-10)
    assert f["valid"]
    full = parts[0] * f["values"]["s"] + sum(f["values"][f"b_{k}"] * v for k, v in tpl.items())
    full = full + parts[1] * f["values"]["mu2"] * 1e-20
    seen = observed > 0
    deviance = 2 * (
        full.sum() - observed.sum() + np.sum(observed[seen] * np.log(observed[seen] / full[seen]))
    )
    pull = ((f["values"]["s"] - 1.0) / 0.01) ** 2  # (the default pull of s)
    assert f["chi2"] == pytest.approx(deviance + pull, rel=1e-9)


def test_a_parameter_at_its_limit_has_the_error_where_its_profile_rises_by_one(capsys):
    """Asimov data: μ² = 0, at its limit, where HESSE's parabolic error of a bounded
    parameter means nothing. The error is where min over s of the deviance (+ the pull of
    s), computed here by scipy, rises by 1."""
    from scipy.optimize import minimize_scalar

    parts, _ = parts_and_templates()
    observed = parts[0].copy()
    f = fit_components(observed, parts, {}, mu_unit=1e-10)
    assert f["valid"] and f["poi_at_limit"] and f["values"]["mu2"] == 0.0
    e = f["errors"]["mu2"]

    def profile(mu2):
        def dev(s):
            nu = s * (parts[0] + mu2 * parts[1] * 1e-20)
            return (
                2 * np.sum(nu - observed + observed * np.log(observed / nu)) + ((s - 1) / 0.01) ** 2
            )

        return minimize_scalar(
            dev, bounds=(0.5, 1.5), method="bounded", options={"xatol": 1e-12}
        ).fun

    assert profile(e) == pytest.approx(1.0, abs=1e-4)
    assert profile(0.5 * e) < 0.5  # (a crossing, not any point above 1)
    f.update(parameter="mu2", data="Asimov")
    _print_fit(f)
    assert f"mu2 = 0 (at its lower limit), +{e:.2g} × (1e−10 μB)²" in capsys.readouterr().out
