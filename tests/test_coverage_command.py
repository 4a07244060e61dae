"""`nusource coverage`: the one-parameter studies from an analysis card, end to end.

The Feldman–Cousins interval must cover at its nominal level within the
binomial error of the toys (the test fails if the construction is wrong); the
Wilks upper limit over-covers at μν = 0, where the physical boundary lies.
"""

import json

import pytest

from nusource.cli import main
from nusource.runcard import shipped_card


@pytest.mark.parametrize("study", ["lxe_mu_bound", "lama_zprime_reach"])
def test_coverage_of_a_one_parameter_study(study, capsys, tmp_path):
    card = shipped_card(f"analysis/{study}.toml")
    code = main(
        [
            "coverage",
            str(card),
            "--toys",
            "400",
            "--method",
            "both",
            "--template-events",
            "20000",
            "--json",
            "--plots",
            str(tmp_path),
        ]
    )
    assert code == 0
    r = json.loads(capsys.readouterr().out)
    assert r["expected_limit"] > 0 and r["plots"]
    for p in r["points"]:
        assert p["n"] + p["n_failed"] == 400 and p["n_failed"] <= 4
        if p["method"] == "fc":
            assert abs(p["coverage"] - 0.95) < 4 * max(p["error"], 0.011), p
    zero = [p for p in r["points"] if p["method"] == "wilks" and p["theta_true"] == 0.0]
    assert zero and zero[0]["coverage"] > 0.97  # the boundary: an upper limit always covers 0


def test_coverage_refuses_what_it_cannot_do(capsys):
    card = shipped_card("analysis/lxe_mu.toml")
    assert main(["coverage", str(card)]) == 2
    err = capsys.readouterr().err
    assert "study" in err and len(err.strip().splitlines()) == 1
    assert main(["coverage", str(shipped_card("analysis/lxe_mu_bound.toml")), "--truth", "x"]) == 2
    assert "--truth" in capsys.readouterr().err


def test_sterile_feldman_cousins(tmp_path, capsys):
    """FC on a coarse grid: critical values from toys, the FC contour beside Wilks's, and
    FC's coverage at the true points within its binomial error."""
    card = tmp_path / "sterile.toml"
    text = shipped_card("analysis/lxe_sterile.toml").read_text()
    card.write_text(text.replace("fc_grid = [50, 50]", "fc_grid = [4, 4]"))
    code = main(
        [
            "coverage",
            str(card),
            "--toys",
            "150",
            "--template-events",
            "40000",
            "--json",
            "--plots",
            str(tmp_path),
        ]
    )
    assert code == 0
    r = json.loads(capsys.readouterr().out)
    assert len(r["critical"]["values"]) == 4 and r["plots"]
    assert set(r["contour_s22_95"]) == {"wilks", "fc"}
    for p in r["points"]:
        assert abs(p["fc"]["coverage"] - 0.95) < 4 * max(p["fc"]["error"], 0.018), p
