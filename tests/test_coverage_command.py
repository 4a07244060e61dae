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
            # (FC covers by construction, also on wrong toys; its critical value does not:
            # asymptotically it lies between the one- and two-sided χ²₁ quantiles 2.71, 3.84)
            assert 2.71 - 4 * p["critical_error"] < p["critical"] < 3.84 + 4 * p["critical_error"]
        elif p["theta_true"] > 0.0:  # the Wilks upper limit at the expected limit: nominal
            assert abs(p["coverage"] - 0.95) < 4 * max(p["error"], 0.011), p
    zero = [p for p in r["points"] if p["method"] == "wilks" and p["theta_true"] == 0.0]
    assert zero and zero[0]["coverage"] > 0.97  # the boundary: an upper limit always covers 0


def test_coverage_refuses_what_it_cannot_do(capsys, tmp_path):
    card = shipped_card("analysis/lxe_mu.toml")
    assert main(["coverage", str(card)]) == 2
    err = capsys.readouterr().err
    assert "study" in err and len(err.strip().splitlines()) == 1
    typo = tmp_path / "typo.toml"
    typo.write_text(
        shipped_card("analysis/lxe_mu_bound.toml")
        .read_text()
        .replace("background_norm_sigma = 0.005", "background_norm_sigma = { xe_136 = 0.01 }")
    )
    assert main(["coverage", str(typo), "--toys", "10"]) == 2
    err = capsys.readouterr().err
    assert "xe_136 is not a background component" in err and "xe136" in err
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


def test_a_study_resumes_from_its_blocks_and_runs_on_dask(tmp_path, capsys):
    """Toy blocks are pure functions of their keys: kept blocks are read back, not thrown
    again, and dask tasks give the same coverage as this process."""
    pytest.importorskip("distributed")
    card = str(shipped_card("analysis/lxe_mu_bound.toml"))
    args = ["coverage", card, "--toys", "600", "--template-events", "20000", "--json"]
    state = ["--state", str(tmp_path / "blocks")]
    results = []
    for extra in (state, state, ["--dask", "local"]):
        assert main(args + extra) == 0
        results.append(json.loads(capsys.readouterr().out))
    first, again, dask = results
    assert first["blocks"]["made"] > 0 and again["blocks"]["made"] == 0
    assert again["blocks"]["read_from_state"] == sum(first["blocks"].values())
    for r in (again, dask):
        assert [p["coverage"] for p in r["points"]] == [p["coverage"] for p in first["points"]]


def test_toys_from_simulated_files(tmp_path, capsys):
    """--from-files throws the toys around a fixed run's histograms (signal reweighted to
    each truth) instead of the exact expectation; files of another card are refused."""
    card = str(shipped_card("analysis/lxe_mu_bound.toml"))
    files = tmp_path / "lxe.h5"
    run = str(shipped_card("lxe_cr51.toml"))
    assert main(["simulate", run, "-o", str(files), "-n", "200000", "--seed", "1"]) == 0
    capsys.readouterr()
    # (the templates' own run is the files' run: only the signal's statistics differ)
    args = ["coverage", card, "--toys", "400", "--template-events", "200000", "--json"]
    assert main(args + ["--from-files", str(files)]) == 0
    r = json.loads(capsys.readouterr().out)
    fc = [p for p in r["points"] if p["method"] == "fc"]
    assert all(0.85 < p["coverage"] <= 1.0 for p in fc), fc
    other = tmp_path / "lama.h5"
    assert main(["simulate", str(shipped_card("lama.toml")), "-o", str(other), "-n", "1000"]) == 0
    capsys.readouterr()
    assert main(args + ["--from-files", str(other)]) == 2
    assert "--from-files" in capsys.readouterr().err
