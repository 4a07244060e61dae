"""`nusource reproduce borexino`: seed 001's BOREXINO Z′χ reach through simulated events.

The reach is recomputed here by a direct χ² on the exact expectation the job
reports (Σ (ν(γ) − ν(0))² / (ν_SM(0) + B), root-found by scipy), independently
of the project's likelihood, fit and bracketing; the activity and the flat
background the job finds are put back into that χ².
"""

import json
import math

import numpy as np
import pytest
from scipy import optimize, stats

from nusource.cli import main
from nusource.jobs import reproduce_borexino

M_Z = 91.1876
LEVEL = stats.chi2.ppf(0.90, 1)  # 2.71: one-sided 95 % CL


@pytest.fixture(scope="module")
def borex(tmp_path_factory):
    return reproduce_borexino(n=40_000, seed=5, plots=tmp_path_factory.mktemp("plots"))


def _reach(r, *, activity_scale=1.0, background=0.0):
    e = r["events_per_bin"]
    sm = np.array(e["signal_sm"]) * activity_scale
    lin = np.array(e["zprime_per_gamma"]) * activity_scale
    quad = np.array(e["zprime_per_gamma2"]) * activity_scale
    var = sm + background

    def dchi2(g):
        return np.sum((g * lin + g * g * quad) ** 2 / var) - LEVEL

    g = optimize.brentq(dchi2, 1e-8, 1.0, xtol=1e-14, rtol=1e-12)
    return M_Z / math.sqrt(g)


def test_reach_by_a_direct_chi2(borex):
    e = borex["events_per_bin"]
    solar, flat = np.array(e["solar"]), np.array(e["flat"])
    assert borex["mzp_chi_stat_gev"] == pytest.approx(_reach(borex), rel=1e-5)
    assert borex["mzp_chi_bkg_gev"] == pytest.approx(
        _reach(borex, background=solar + flat), rel=1e-5
    )
    # background only lowers the reach
    assert borex["mzp_chi_bkg_gev"] < borex["card"]["mzp_chi_solar_only_gev"]
    assert borex["card"]["mzp_chi_solar_only_gev"] < borex["mzp_chi_stat_gev"]


def test_activity_and_background_that_give_the_seeds_numbers(borex):
    card = borex["card"]
    scale = borex["activity_for_275_gev_mci"] / card["activity_mci"]
    assert _reach(borex, activity_scale=scale) == pytest.approx(275.0, rel=1e-5)
    # the reach grows about as (activity)^¼ (the Z′χ change is almost a normalisation)
    guess = (275.0 / borex["mzp_chi_stat_gev"]) ** 4
    assert scale == pytest.approx(guess, rel=0.03)
    flat = np.array(borex["events_per_bin"]["flat"])
    rate = borex["flat_rate_for_215_gev_per_kev_100t_day"]
    b = flat * rate / card["flat_rate_per_kev_100t_day"]
    assert _reach(borex, activity_scale=scale, background=b) == pytest.approx(215.0, rel=1e-5)
    # the card's flat background: 0.1 /(keV·100 t·day) × 550 keV × 100 days in 250–800 keV,
    # from ~22,000 simulated events (1σ = 0.7 %; the resolution moves < 0.2 % out at 250 keV)
    assert flat.sum() == pytest.approx(0.1 * 550 * 100, rel=0.02)


def test_simulated_signal_matches_the_quadrature(borex):
    e = borex["events_per_bin"]
    mc, quad = np.array(e["signal_sm_simulated"]), np.array(e["signal_sm"])
    err = np.array(e["signal_sm_simulated_error"])
    use = quad > 1.0
    chi2 = np.sum(((mc - quad)[use] / err[use]) ** 2)
    assert stats.chi2.sf(chi2, use.sum()) > 1e-3


def test_json_keys_and_plots(borex, capsys):
    for key in ("mzp_chi_stat_gev", "mzp_chi_bkg_gev", "activity_for_275_gev_mci"):
        assert math.isfinite(borex[key])
    assert borex["seed_gev"] == {"stat": 275.0, "bkg": 215.0}
    assert len(borex["plots"]) == 8
    json.dumps(borex)


def test_the_printed_summary_says_when_no_flat_background_reaches_the_seeds_reach(borex, capsys):
    from nusource.cli import _print_borexino

    # the card's solar ν alone already keep the reach below 215 GeV at the activity for 275
    assert math.isnan(borex["flat_rate_for_215_gev_with_solar_per_kev_100t_day"])
    _print_borexino(borex)
    out = capsys.readouterr().out
    solar = borex["at_activity_for_275"]["mzp_chi_solar_only_gev"]
    assert f"none on top of the solar ν, which alone give {solar:.1f} GeV" in out
    assert "nan" not in out
    _print_borexino({**borex, "flat_rate_for_215_gev_with_solar_per_kev_100t_day": 0.0123})
    assert (
        f"0.0123 on top of the solar ν (solar ν alone: {solar:.1f} GeV)" in capsys.readouterr().out
    )


def test_command_line_refuses_a_bad_n(capsys):
    assert main(["reproduce", "borexino", "-n", "0"]) == 2
    err = capsys.readouterr().err
    assert "-n" in err and len(err.strip().splitlines()) == 1
