"""The command line as a user runs it: JSON outputs, files, and one clear line for bad input."""

import json
import subprocess
import sys

import h5py
import numpy as np
import pytest

from nusource.cli import main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_sources_json_lists_every_source(capsys):
    code, out, _ = run(capsys, "sources", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["name"] for r in rows] == ["cr51", "ar37", "v49", "sm145", "pm147", "sr90y", "h3"]
    assert {r["name"]: r["flavour"] for r in rows}["pm147"] == "nuebar"


def test_xsec_json_has_the_documented_keys(capsys):
    code, out, _ = run(
        capsys,
        "xsec",
        "--source",
        "cr51",
        "--mu",
        "1e-10",
        "--tmin-kev",
        "2",
        "--zprime",
        "chi:500",
        "--json",
    )
    assert code == 0
    r = json.loads(out)
    for key in (
        "sigma_cm2",
        "sigma_sm_cm2",
        "sigma_mu_cm2",
        "sigma_zprime_cm2",
        "tmin_kev",
        "tmax_kev",
    ):
        assert key in r
    assert r["sigma_cm2"] == pytest.approx(
        r["sigma_sm_cm2"] + r["sigma_mu_cm2"] + r["sigma_zprime_cm2"]
    )
    assert r["tmin_kev"] == 2.0
    assert r["tmax_kev"] == pytest.approx(2 * 0.7518**2 / (0.51099895 + 2 * 0.7518) * 1e3)


@pytest.mark.parametrize(
    "args,words",
    [
        (["--source", "xx"], ["unknown source", "cr51"]),
        (["--source", "cr51", "--mu", "-1"], ["--mu", "-1"]),
        (["--source", "cr51", "--mu", "1e-10"], ["--tmin-kev", "diverges"]),
        (["--source", "cr51", "--zprime", "chi:-300"], ["mass", "-300", "> 0"]),
        (
            ["--source", "cr51", "--tmin-kev", "50", "--tmax-kev", "20"],
            ["--tmin-kev", "T_lo < T_hi"],
        ),
        (["--source", "cr51", "--tmin-kev", "600"], ["--tmin-kev", "T_max"]),
        (["--source", "cr51", "--endpoint-kev", "235"], ["endpoint"]),
    ],
)
def test_bad_input_gives_one_clear_line(capsys, args, words):
    code, out, err = run(capsys, "xsec", *args)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    for w in words:
        assert w in err


def test_sample_writes_hdf5_with_provenance(tmp_path, capsys):
    path = tmp_path / "ev.h5"
    code, out, _ = run(
        capsys,
        "sample",
        "--source",
        "sr90y",
        "-n",
        "20000",
        "--seed",
        "4",
        "--mu",
        "1e-10",
        "--tmin-kev",
        "100",
        "-o",
        str(path),
        "--json",
    )
    assert code == 0
    r = json.loads(out)
    assert r["events"] == 20000
    with h5py.File(path) as f:
        te = f["events/te"][:]
        meta = json.loads(f.attrs["metadata"])
        assert f["events/te"].attrs["unit"] == "MeV"
    assert te.size == 20000 and te.min() >= 0.1
    assert meta["seed"] == 4 and meta["model"]["mu_bohr"] == 1e-10
    assert meta["provenance"]["software"]["nusource"]
    # same seed, same events
    path2 = tmp_path / "ev2.npz"
    run(
        capsys,
        "sample",
        "--source",
        "sr90y",
        "-n",
        "20000",
        "--seed",
        "4",
        "--mu",
        "1e-10",
        "--tmin-kev",
        "100",
        "-o",
        str(path2),
    )
    assert np.array_equal(np.load(path2)["events"]["te"], te)


def test_sample_refuses_an_unknown_extension(tmp_path, capsys):
    code, _, err = run(
        capsys, "sample", "--source", "cr51", "-n", "10", "-o", str(tmp_path / "x.txt")
    )
    assert code == 2 and ".h5" in err
    assert not list(tmp_path.iterdir())


def test_console_script_runs():
    r = subprocess.run(
        [sys.executable, "-m", "nusource.cli", "--version"], capture_output=True, text=True
    )
    assert r.returncode == 0 and r.stdout.startswith("nusource ")


def test_output_cut_short_by_its_reader_stops_quietly():
    """`nusource sources | head -1`: the reader closes the pipe; the command stops
    without a word on stderr, with 141 (128 + SIGPIPE) as a Unix tool does."""
    p = subprocess.Popen(
        [sys.executable, "-m", "nusource.cli", "sources"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    p.stdout.close()  # (before anything is read: the first write breaks the pipe)
    with p.stderr:
        err = p.stderr.read().decode()
    assert p.wait(timeout=60) == 141 and err == ""


def test_merge_says_file_for_one(tmp_path, capsys):
    out = tmp_path / "a.h5"
    main(["sample", "--source", "cr51", "-n", "100", "-o", str(out)])
    capsys.readouterr()
    assert main(["merge", str(out), "-o", str(tmp_path / "m.h5")]) == 0
    assert capsys.readouterr().out.startswith("merged 1 file (100 events)")


@pytest.mark.parametrize("study", ["lxe", "hellaz", "borexino"])
def test_reproduce_takes_n_as_given_and_its_study_default_without(monkeypatch, capsys, study):
    """`-n` is passed on as given, even when it equals lama's 2e6; without it each study
    simulates its own default (2e5 per component)."""
    from nusource import cli, jobs

    seen = []

    def fake(**kw):
        seen.append(kw["n"])
        raise ValueError("stop here")

    monkeypatch.setattr(jobs, f"reproduce_{study}", fake)
    assert main(["reproduce", study, "-n", "2000000"]) == 2
    assert main(["reproduce", study]) == 2
    assert seen == [2_000_000, cli.REPRODUCE_N[study]] and seen[1] == 200_000
