"""`analyze` folds every response setting into its exact expectation, and combines runs.

Each case simulates one experiment (Poisson mode) of a variant of the LXe card
and checks the observed total against the exact expectation within five
Poisson standard deviations: before these were folded in, an efficiency of
0.5 gave observed ≈ ½ expected, and two seeds of one card observed ≈ 2×
expected.
"""

import math
import shutil

import pytest

from nusource.io import read_events, read_metadata
from nusource.io.merge import merge_files
from nusource.jobs import analyze
from nusource.production import plan, simulate
from nusource.runcard import shipped_card

CARD = shipped_card("lxe_cr51.toml").read_text().split("\n[[components]]")[0]
"""The LXe card's signal alone (its response section last)."""
ANALYSIS = shipped_card("analysis/lxe_mu.toml")


def variant(tmp_path, name, response_lines):
    card = tmp_path / f"{name}.toml"
    card.write_text(CARD + "\n" + "\n".join(response_lines) + "\n")
    return card


def one_experiment(card, out, seed=None):
    prod = plan(card, out, exposure=True, seed=seed)
    simulate(prod)
    return out


def assert_poisson_agreement(result):
    obs, exp = result["observed_total"], result["expected_total"]
    assert abs(obs - exp) < 5 * math.sqrt(exp), (obs, exp)


@pytest.mark.parametrize(
    "name, lines",
    [
        ("efficiency", ["efficiency = 0.5"]),
        ("window", ["window_kev = [10.0, 60.0]"]),
        (
            "fiducial",
            [
                "[response.fiducial]",
                "shape = 'cylinder'",
                "radius_cm = 50.0",
                "height_cm = 100.0",
                "center_cm = [0.0, 0.0, 168.5]",
            ],
        ),
    ],
)
def test_observed_equals_expected_with_each_response_setting(tmp_path, name, lines):
    card = variant(tmp_path, name, lines)
    out = one_experiment(card, tmp_path / f"{name}.h5")
    r = analyze([out], ANALYSIS)
    assert_poisson_agreement(r)
    full = analyze(
        [one_experiment(variant(tmp_path, "plain", []), tmp_path / "plain.h5")], ANALYSIS
    )
    ratio = r["expected_total"] / full["expected_total"]
    if name == "efficiency":
        assert ratio == pytest.approx(0.5, rel=1e-12)
    elif name == "window":
        expected = r["expected"]
        outside = [x for x, lo in zip(expected, r["edges_kev"][:-1], strict=False) if lo >= 60]
        assert outside and all(x == 0 for x in outside)
        assert 0.2 < ratio < 0.8
    else:
        share, err = r["fiducial_acceptance"]
        assert 0.2 < share < 0.8 and err < 1e-3
        assert ratio == pytest.approx(share, rel=1e-9)


def test_two_seeds_of_one_card_add_their_exposures(tmp_path):
    card = variant(tmp_path, "plain", [])
    a = one_experiment(card, tmp_path / "a.h5", seed=11)
    b = one_experiment(card, tmp_path / "b.h5", seed=12)
    one = read_metadata(a)["exposure_per_cm2"]
    both = read_events([a, b]).run
    assert both["exposure_per_cm2"] == pytest.approx(2 * one, rel=1e-12)
    assert [r["seed"] for r in both["runs"]] == [11, 12]
    r = analyze([a, b], ANALYSIS)
    assert_poisson_agreement(r)
    merged = merge_files([a, b], tmp_path / "ab.h5")["output"]
    assert read_metadata(merged)["exposure_per_cm2"] == pytest.approx(2 * one, rel=1e-12)
    assert analyze([merged], ANALYSIS)["expected_total"] == pytest.approx(r["expected_total"])


def test_a_file_given_twice_is_refused(tmp_path):
    a = one_experiment(variant(tmp_path, "plain", []), tmp_path / "a.h5")
    shutil.copy(a, tmp_path / "copy.h5")
    with pytest.raises(ValueError, match="same chunk"):
        merge_files([a, tmp_path / "copy.h5"], tmp_path / "aa.h5")
    assert not (tmp_path / "aa.h5").exists()
