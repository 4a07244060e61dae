"""Bad input never passes silently: strict cards, physical bounds, command-line checks,
messages in the user's words, nothing left behind, Ctrl-C taken between blocks of work."""

import json
import math
import os
import signal
import stat
import subprocess
import sys
import time
from importlib.resources import files

import numpy as np
import pytest

from nusource.cli import _message, main
from nusource.runcard import CardError, parse_card

from .support import signal_only

LXE = files("nusource.configs").joinpath("lxe_cr51.toml").read_text(encoding="utf-8")
LAMA = files("nusource.configs").joinpath("lama.toml").read_text(encoding="utf-8")


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(code, err, *words):
    lines = [ln for ln in err.splitlines() if ": warning: " not in ln]
    assert code == 2, err
    assert len(lines) == 1, err
    assert "Traceback" not in err and "[Errno" not in err
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def card_file(tmp_path, text, old=None, new=None, name="card.toml"):
    if old is not None:
        assert old in text, old
        text = text.replace(old, new, 1)
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# --------------------------------------------------------------------------- strict types


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("activity_ci = 5.0e6", 'activity_ci = "5e6"', "source.activity_ci"),
        ("binding = true", 'binding = "yes"', "response.binding"),
        ("threshold_kev = 2.0", "threshold_kev = true", "response.threshold_kev"),
        ("seed = 1", "seed = 1.0", "seed"),
        ("center_cm = [0.0, 0.0, 168.5]", 'center_cm = [0.0, 0.0, "168.5"]', "center_cm"),
        ("natkr_mol_per_mol = 1.0e-13", 'natkr_mol_per_mol = "1e-13"', "natkr_mol_per_mol"),
        ("activity_ubq_per_kg = 0.1", "activity_ubq_per_kg = nan", "activity_ubq_per_kg"),
        ("radius_cm = 68.5", "radius_cm = inf", "detector.radius_cm"),
    ],
)
def test_card_types_are_strict(old, new, key):
    with pytest.raises(CardError) as info:
        parse_card(LXE.replace(old, new), "x.toml")
    msg = str(info.value)
    assert key in msg and "\n" not in msg, msg


def test_analysis_card_types_are_strict(tmp_path):
    from nusource.analysis_card import load_analysis_card

    text = files("nusource.configs").joinpath("analysis/lama_zprime.toml").read_text()
    p = card_file(tmp_path, text, "start_kev = 2.0", 'start_kev = "2"')
    with pytest.raises(CardError, match="histogram.start_kev: must be a number"):
        load_analysis_card(p)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("-1", "fit.background_norm_sigma: must be a fraction ≥ 0 (got -1)"),
        ('"x"', "fit.background_norm_sigma: must be one fraction for every component or a table"),
        ("true", "fit.background_norm_sigma: must be one fraction for every component or a table"),
        ("{ xe136 = -0.1 }", "fit.background_norm_sigma: xe136: must be a fraction ≥ 0 (got -0.1)"),
        ("{ xe136 = inf }", "fit.background_norm_sigma: xe136: must be a fraction ≥ 0 (got inf)"),
    ],
)
def test_background_pulls_of_an_analysis_card_are_fractions(tmp_path, value, said):
    from nusource.analysis_card import load_analysis_card

    text = files("nusource.configs").joinpath("analysis/lxe_mu.toml").read_text()
    p = card_file(
        tmp_path, text, "background_norm_sigma = 0.005", f"background_norm_sigma = {value}"
    )
    with pytest.raises(CardError) as info:
        load_analysis_card(p)
    assert said in str(info.value) and "\n" not in str(info.value), str(info.value)


def test_background_pulls_one_for_all_or_by_name(tmp_path):
    from nusource.analysis_card import load_analysis_card

    text = files("nusource.configs").joinpath("analysis/lxe_mu.toml").read_text()
    fit = load_analysis_card(card_file(tmp_path, text)).fit
    assert fit.background_sigma("xe136") == fit.background_sigma("kr85") == 0.005
    assert fit.unknown_backgrounds(["xe136"]) == []
    table = "background_norm_sigma = { xe136 = 0.02, kr_85 = 0.1 }"
    p = card_file(tmp_path, text, "background_norm_sigma = 0.005", table)
    fit = load_analysis_card(p).fit
    assert fit.background_sigma("xe136") == 0.02 and fit.background_sigma("kr85") is None
    assert fit.background_sigma("kr85", 0.005) == 0.005  # (coverage's default)
    assert fit.unknown_backgrounds(["xe136", "kr85"]) == ["kr_85"]


# --------------------------------------------------------------------------- physical bounds


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("radius_cm = 68.5", "radius_cm = 1e30", "detector.radius_cm"),
        ("[detector]\n", "[detector]\ndensity_g_cm3 = 1e10\n", "detector.density_g_cm3"),
        ("activity_ci = 5.0e6", "activity_ci = 1e300", "source.activity_ci"),
        ("run_days = 100.0", "run_days = 1e9", "source.run_days"),
        ("thickness_cm = 17.0", "thickness_cm = 1e30", "thickness_cm"),
        ("threshold_kev = 2.0", "threshold_kev = 2.0\nwindow_kev = [30.0, 5.0]", "window_kev"),
        ("threshold_kev = 2.0", "threshold_kev = 50.0\nwindow_kev = [5.0, 30.0]", "threshold_kev"),
        ("threshold_kev = 2.0", "threshold_kev = 5000.0", "response.threshold_kev"),
        ("tmin_kev = 1.0", "tmin_kev = 1.0\ntmax_kev = 1.5", "threshold_kev"),
    ],
)
def test_magnitudes_no_physicist_means_are_refused(tmp_path, capsys, old, new, key):
    text = LXE.split("[[components]]")[0]  # the signal alone: windows are the signal's
    p = card_file(tmp_path, text, old, new)
    code, _, err = run(capsys, "rate", p)
    one_error_line(code, err, key)


def test_endpoint_against_the_nuclides_q(tmp_path, capsys):
    p = card_file(tmp_path, LAMA, 'isotope = "pm147"', 'isotope = "pm147"\nendpoint_kev = 1e6')
    code, _, err = run(capsys, "rate", p)
    one_error_line(code, err, "source.endpoint_kev", "224.", "keV")
    code, _, err = run(capsys, "xsec", "--source", "pm147", "--endpoint-kev", "1e6")
    one_error_line(code, err, "--endpoint-kev", "keV")
    # the seeds' 235 keV (5 % above Q) passes without a word; 300 keV warns in one line
    code, _, err = run(capsys, "xsec", "--source", "pm147", "--endpoint-kev", "235")
    assert code == 0 and err == ""
    code, _, err = run(capsys, "xsec", "--source", "pm147", "--endpoint-kev", "300")
    assert code == 0 and len(err.splitlines()) == 1 and "warning" in err and "Q =" in err


def test_a_window_beyond_t_max_warns_in_one_line(tmp_path, capsys):
    text = LXE.split("[[components]]")[0]
    p = card_file(tmp_path, text, "tmin_kev = 1.0", "tmin_kev = 1.0\ntmax_kev = 5000.0")
    code, out, err = run(capsys, "rate", p)
    assert code == 0 and "signal events" in out
    (line,) = err.splitlines()
    assert line.startswith("nusource rate: warning: window.tmax_kev = 5000 keV")


FIDUCIAL = """
[response.fiducial]
shape = "cylinder"
radius_cm = {r}
height_cm = 100.0
center_cm = [0.0, 0.0, {z}]
"""


def test_fiducial_volume_outside_the_detector_is_refused(tmp_path, capsys):
    text = LXE.split("[[components]]")[0] + FIDUCIAL.format(r=30.0, z=-500.0)
    code, _, err = run(capsys, "rate", card_file(tmp_path, text))
    one_error_line(code, err, "response.fiducial", "outside the detector")


def test_fiducial_volume_larger_than_the_detector_warns(tmp_path, capsys):
    text = LXE.split("[[components]]")[0] + FIDUCIAL.format(r=90.0, z=168.5)
    code, _, err = run(capsys, "rate", card_file(tmp_path, text))
    assert code == 0
    (line,) = err.splitlines()
    assert "warning: response.fiducial" in line and "outside the detector" in line


def test_overlapping_deployments_are_reported_in_days():
    text = LXE.replace(
        "activity_ci = 5.0e6\nrun_days = 100.0",
        "deployments = [{ start_days = 0, length_days = 10, activity_ci = 1e6 },"
        " { start_days = 5, length_days = 10, activity_ci = 1e6 }]",
    )
    with pytest.raises(CardError) as info:
        parse_card(text, "x.toml")
    assert "deployments[1].start_days = 5 days" in str(info.value)
    assert " s " not in str(info.value)


def test_geometry_samples_message_names_the_card_key():
    with pytest.raises(CardError, match="geometry_mc_samples: must be greater than or equal"):
        parse_card("geometry_mc_samples = 1\n" + LXE, "x.toml")


# --------------------------------------------------------------------------- the command line


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("xsec", "--source", "cr51", "--tmin-kev", "nan"), ("--tmin-kev", "finite")),
        (("xsec", "--source", "cr51", "--mu", "inf"), ("--mu", "finite")),
        (
            ("sample", "--source", "cr51", "-n", "10", "--chunk-size", "0", "-o", "{tmp}/x.h5"),
            ("--chunk-size",),
        ),
        (("sample", "--source", "cr51", "--mode", "exposure", "-o", "{tmp}/x.h5"), ("--exposure",)),
        (
            ("sample", "lxe_cr51.toml", "-n", "10", "--exposure", "5", "-o", "{tmp}/x.h5"),
            ("--exposure",),
        ),
        (("rate", "lxe_cr51.toml", "--geometry-samples", "0"), ("--geometry-samples", "1000")),
        (("reproduce", "lama", "-n", "0"), ("-n", "≥ 1")),
        (
            (
                "simulate",
                "lxe_cr51.toml",
                "-n",
                "10",
                "--chunk-size",
                "9999999",
                "-o",
                "{tmp}/x.h5",
            ),
            ("--chunk-size",),
        ),
        (("rate", "lxe_cr51.toml", "--mu", "1"), ("mu_bohr", "--mu")),
        (
            (
                "simulate",
                "lxe_cr51.toml",
                "-n",
                "10",
                "--compression",
                "bogus",
                "-o",
                "{tmp}/x.root",
            ),
            ("--compression", "lzma"),
        ),
    ],
)
def test_command_line_numbers_are_checked(tmp_path, capsys, args, words):
    code, _, err = run(capsys, *(a.format(tmp=tmp_path) for a in args))
    one_error_line(code, err, *words)
    assert not list(tmp_path.iterdir())  # nothing left behind


def test_argparse_errors_take_two_lines(capsys):
    with pytest.raises(SystemExit) as info:
        main(["sample", "--chunk-size", "abc"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and len(err.splitlines()) == 2 and "--chunk-size" in err


def test_json_never_holds_a_bare_nan(capsys):
    from nusource.cli import _json

    _json({"a": math.nan, "b": [1.0, math.inf], "c": {"d": -math.inf}})
    out = capsys.readouterr().out
    assert json.loads(out, parse_constant=lambda c: pytest.fail(c)) == {
        "a": None,
        "b": [1.0, None],
        "c": {"d": None},
    }


def test_sample_card_takes_the_source_option(tmp_path, capsys):
    from nusource.io.readers import read_metadata

    out = tmp_path / "x.h5"
    code, _, err = run(capsys, "sample", "lama.toml", "--source", "cr51", "-n", "100", "-o", out)
    assert code == 0, err
    meta = read_metadata(out)
    assert meta["source"]["name"] == "cr51"
    assert 'isotope = "cr51"' in meta["provenance"]["run_card"]


def test_rate_and_simulate_take_the_model_options(tmp_path, capsys):
    from nusource.io.readers import read_metadata

    code, out, _ = run(capsys, "rate", "lama.toml", "--json")
    base = json.loads(out)
    code, out, err = run(capsys, "rate", "lama.toml", "--mu", "1e-10", "--tmin-kev", "2", "--json")
    assert code == 0, err
    mu = json.loads(out)
    assert mu["window_kev"][0] == 2.0
    assert mu["sigma_mu_cm2"] > 0 and base["sigma_mu_cm2"] == 0
    # the electroweak part alone, from the same window without μν
    code, out, _ = run(capsys, "rate", "lama.toml", "--tmin-kev", "2", "--json")
    assert mu["sigma_sm_cm2"] == pytest.approx(json.loads(out)["sigma_sm_cm2"], rel=1e-12)
    f = tmp_path / "mu.h5"
    code, _, err = run(
        capsys,
        "simulate",
        "lama.toml",
        "-n",
        "200",
        "--mu",
        "1e-10",
        "--tmin-kev",
        "2",
        "--couplings",
        "tree",
        "-o",
        f,
    )
    assert code == 0, err
    card = parse_card(read_metadata(f)["provenance"]["run_card"])
    assert card.physics.mu_bohr == 1e-10 and card.physics.couplings == "tree"
    assert card.window.tmin_kev == 2.0


def test_help_texts(capsys):
    for cmd, words in (
        ("simulate", ("lzma", "zstd", "gzip", "--mu", "--couplings")),
        ("merge", ("merged file", "replace an existing output", "--json", "lzma")),
        ("xsec", ("Fermi function",)),
        ("rate", ("--mu", "--tmin-kev")),
    ):
        with pytest.raises(SystemExit):
            main([cmd, "--help"])
        out = " ".join(capsys.readouterr().out.split())
        for w in words:
            assert w in out, (cmd, w)


def test_os_errors_in_the_users_words():
    assert _message(FileExistsError(17, "File exists", "out.h5")) == "'out.h5': file exists"
    assert "[Errno" not in _message(IsADirectoryError(21, "Is a directory", "d"))


# --------------------------------------------------------------------------- merge


def test_merge_prints_a_sentence_and_json(tmp_path, capsys):
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    for f, seed in ((a, "1"), (b, "2")):
        assert run(capsys, "sample", "lama.toml", "-n", "50", "--seed", seed, "-o", f)[0] == 0
    code, out, _ = run(capsys, "merge", a, b, "-o", tmp_path / "m.h5")
    assert code == 0 and out.strip() == f"merged 2 files (100 events) into {tmp_path / 'm.h5'}"
    code, out, _ = run(capsys, "merge", a, b, "-o", tmp_path / "m.h5", "--overwrite", "--json")
    assert json.loads(out)["events"] == 100
    c = tmp_path / "c.h5"  # a byte-identical copy: the same chunks twice
    c.write_bytes(a.read_bytes())
    code, _, err = run(capsys, "merge", a, c, "-o", tmp_path / "m2.h5")
    one_error_line(code, err, "chunk")


# --------------------------------------------------------------------------- leftovers


def test_a_refused_run_leaves_nothing(tmp_path):
    from nusource.production import plan, simulate

    out = tmp_path / "x.root"
    prod = plan("lama.toml", out, n=100, compression="bogus")
    with pytest.raises(ValueError, match="bogus"):
        simulate(prod)
    assert list(tmp_path.iterdir()) == []


def test_keep_chunks_keeps_only_the_chunk_files(tmp_path):
    from nusource.production import plan, simulate

    out = tmp_path / "x.h5"
    simulate(plan(signal_only("lama.toml", tmp_path), out, n=300, chunk_size=100), keep_chunks=True)
    kept = sorted(p.name for p in (tmp_path / "x.h5.chunks").iterdir())
    assert kept == [f"chunk_00000{k}.h5" for k in range(3)]


def test_plots_get_the_usual_file_mode(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nusource.analysis.plots import save

    fig = plt.figure()
    written = save(fig, tmp_path / "fig")
    plt.close(fig)
    mask = os.umask(0)
    os.umask(mask)
    for p in written:
        assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask


def test_analyze_refuses_a_range_without_events(tmp_path, capsys):
    f = tmp_path / "e.h5"
    assert run(capsys, "simulate", "lama.toml", "-n", "300", "-o", f)[0] == 0
    text = files("nusource.configs").joinpath("analysis/lama_zprime.toml").read_text()
    card = card_file(
        tmp_path,
        text,
        "start_kev = 2.0\nstop_kev = 30.0",
        "start_kev = 500.0\nstop_kev = 600.0",
        name="a.toml",
    )
    code, _, err = run(capsys, "analyze", f, "--card", card)
    one_error_line(code, err, "histogram", "500")


# --------------------------------------------------------------------------- Ctrl-C, resume


def test_geometry_monte_carlo_runs_in_blocks_with_exact_moments(monkeypatch):
    from nusource.experiment import build_experiment
    from nusource.geometry import geometric_factor as gf
    from nusource.geometry.vertices import sampling_plan, weight_moments

    exp = build_experiment(parse_card(LXE))
    src, det = exp.geo_source, exp.detector
    n = 2 * gf.MC_BLOCK + 12345
    calls = []
    monkeypatch.setattr(gf, "weight_moments", lambda *a: calls.append(a[-1]) or weight_moments(*a))
    value, error = gf.geometric_factor_mc(src, det, n, np.random.default_rng(5))
    assert calls == [gf.MC_BLOCK, gf.MC_BLOCK, 12345]
    # the same tries in one call (the same stream): the same mean and error
    plan = sampling_plan(src, det)
    ref = weight_moments(np.random.default_rng(5), src.params, det.kind, det.params, plan, n)
    assert value == pytest.approx(ref[0], rel=1e-12)
    assert error == pytest.approx(ref[1], rel=1e-6)


def test_ctrl_c_stops_rate_within_a_second(tmp_path):
    p = card_file(
        tmp_path,
        LXE.split("[[components]]")[0],
        "seed = 1",
        "seed = 1\ngeometry_mc_samples = 1000000000",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "nusource.cli", "rate", str(p)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(6.0)  # imports, then deep in the geometry Monte Carlo (~1 min in all)
        t0 = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        line = proc.stderr.readline()  # the answer to Ctrl-C (the process then ends)
        reaction = time.perf_counter() - t0
        rest = proc.communicate(timeout=30)[1]
    finally:
        proc.kill()
    assert reaction < 1.0, (reaction, line + rest)
    assert proc.returncode == 130 and "interrupted" in line and "Traceback" not in rest


def test_root_resume_reads_the_partial_output_once(tmp_path, monkeypatch):
    from nusource.io import readers
    from nusource.production import plan, simulate

    out = tmp_path / "x.root"
    card = signal_only("lama.toml", tmp_path)
    prod = plan(card, out, n=10_000, chunk_size=1000)
    done = [0]

    def stop(n):
        done[0] += n
        if done[0] >= 9000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate(prod, progress=stop)
    reads = []
    real = readers.iter_columns
    monkeypatch.setattr(readers, "iter_columns", lambda p, **k: reads.append(p) or real(p, **k))
    r = simulate(prod)
    assert r["chunks_resumed"] == 9 and r["events"] == 10_000
    assert len(reads) == 1
    whole = tmp_path / "whole.root"
    simulate(plan(card, whole, n=10_000, chunk_size=1000))
    a, b = readers.read_events(out).events, readers.read_events(whole).events
    np.testing.assert_array_equal(a, b)
