"""Productions: same events for any number of workers; an interrupted run resumes identically."""

import json
import subprocess
import sys

import numpy as np
import pytest

from nusource.analysis.readers import read_events, read_metadata
from nusource.cli import main
from nusource.production import plan, run_chunk, simulate

from .test_runcard import CONFIGS

LXE = [c for c in CONFIGS if c.endswith("/lxe_cr51.toml")][0]


def events_of(path):
    return read_events(path).events


def test_workers_do_not_change_the_events(tmp_path):
    a = plan(LXE, tmp_path / "w1.h5", n=30_000, chunk_size=7_000, seed=11)
    b = plan(LXE, tmp_path / "w2.h5", n=30_000, chunk_size=7_000, seed=11)
    simulate(a, workers=1)
    simulate(b, workers=2)
    ea, eb = events_of(a.output), events_of(b.output)
    assert len(ea) == 30_000
    for name in ea.dtype.names:
        assert np.array_equal(ea[name], eb[name], equal_nan=True), name
    assert read_metadata(a.output) == read_metadata(b.output)
    assert not a.chunk_dir.exists()


def test_interrupted_run_resumes_to_the_same_file(tmp_path):
    full = plan(LXE, tmp_path / "full.root", n=20_000, chunk_size=6_000, seed=5)
    simulate(full)
    part = plan(LXE, tmp_path / "part.root", n=20_000, chunk_size=6_000, seed=5)
    part.chunk_dir.mkdir()
    run_chunk(part, 0)
    run_chunk(part, 2)
    # a half-written chunk of a killed run: only its temporary name exists
    (part.chunk_dir / ".chunk_000001.h5.tmp-dead").write_bytes(b"\\0" * 100)
    r = simulate(part)
    assert r["chunks_resumed"] == 2
    ef, ep = events_of(full.output), events_of(part.output)
    for name in ef.dtype.names:
        assert np.array_equal(ef[name], ep[name], equal_nan=True), name
    assert read_metadata(full.output) == read_metadata(part.output)


def test_chunks_of_another_run_are_refused(tmp_path):
    a = plan(LXE, tmp_path / "x.h5", n=1000, chunk_size=500, seed=1)
    a.chunk_dir.mkdir()
    run_chunk(a, 0)
    b = plan(LXE, tmp_path / "x.h5", n=1000, chunk_size=500, seed=2)
    with pytest.raises(ValueError, match="another run"):
        simulate(b)
    simulate(b, overwrite=True)
    assert read_metadata(b.output)["seed"] == 2


def test_simulate_command_line(tmp_path, capsys):
    out = tmp_path / "lxe.root"
    code = main(["simulate", LXE, "-o", str(out), "-n", "5000", "--seed", "3", "--json"])
    assert code == 0
    r = json.loads(capsys.readouterr().out)
    assert r["events"] == 5000
    meta = read_metadata(out)
    assert meta["seed"] == 3 and meta["provenance"]["run_card_sha256"]
    assert meta["provenance"]["run_card"].startswith("# Liquid xenon")
    ev = events_of(out)
    assert {"edep", "erec", "flags", "vtx_z"} <= set(ev.dtype.names)
    # existing output without --overwrite: one line, nothing changed
    code = main(["simulate", LXE, "-o", str(out), "-n", "10"])
    err = capsys.readouterr().err
    assert code == 2 and "--overwrite" in err and len(err.strip().splitlines()) == 1
    assert len(events_of(out)) == 5000


@pytest.mark.parametrize(
    "args,words",
    [
        (["-o", "/nonexistent-dir/x.root"], ["does not exist"]),
        (["-o", "/proc/x.root", "-n", "10"], ["cannot write", "/proc"]),
        (["-o", "{tmp}/x.txt"], [".root"]),
        (["-o", "{tmp}/x.root", "-n", "10", "--exposure"], ["not both"]),
        (["-o", "{tmp}/x.root", "--workers", "0", "-n", "10"], ["--workers"]),
    ],
)
def test_simulate_bad_input(tmp_path, capsys, args, words):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    code = main(["simulate", LXE, *args])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    for w in words:
        assert w in err
    assert not list(tmp_path.glob("x.*"))


@pytest.mark.slow
def test_killed_process_resumes(tmp_path):
    """A real SIGKILL in the middle of a run, then the same command again."""
    out = tmp_path / "k.h5"
    cmd = [sys.executable, "-m", "nusource.cli", "simulate", LXE, "-o", str(out), "-n", "400000",
           "--chunk-size", "20000", "--seed", "9"]  # fmt: skip
    p = subprocess.Popen(cmd)
    import time

    chunks = out.with_name(out.name + ".chunks")
    for _ in range(600):
        time.sleep(0.1)
        if chunks.exists() and len(list(chunks.glob("chunk_*.h5"))) >= 3:
            break
    p.kill()
    p.wait()
    assert not out.exists()
    subprocess.run(cmd, check=True)
    ref = tmp_path / "ref.h5"
    subprocess.run(cmd[:6] + [str(ref)] + cmd[7:], check=True)
    ea, eb = events_of(out), events_of(ref)
    for name in ea.dtype.names:
        assert np.array_equal(ea[name], eb[name], equal_nan=True), name


def test_dask_scheduler_gives_the_same_events(tmp_path):
    """Chunks as tasks of a dask.distributed (local) cluster: the events of a local run."""
    pytest.importorskip("distributed")
    a = plan(LXE, tmp_path / "local.h5", n=12_000, chunk_size=4_000, seed=21)
    b = plan(LXE, tmp_path / "dask.h5", n=12_000, chunk_size=4_000, seed=21)
    simulate(a)
    r = simulate(b, dask="local")
    assert r["workers"] == "dask (local)"
    ea, eb = events_of(a.output), events_of(b.output)
    for name in ea.dtype.names:
        assert np.array_equal(ea[name], eb[name], equal_nan=True), name


def test_no_journal_gives_the_same_file(tmp_path):
    from nusource.production import stream

    a = plan(LXE, tmp_path / "j.h5", n=9_000, chunk_size=4_000, seed=8)
    b = plan(LXE, tmp_path / "s.h5", n=9_000, chunk_size=4_000, seed=8)
    simulate(a)
    r = stream(b)
    assert r["events"] == 9_000 and not b.chunk_dir.exists()
    ea, eb = events_of(a.output), events_of(b.output)
    for name in ea.dtype.names:
        assert np.array_equal(ea[name], eb[name], equal_nan=True), name
    assert read_metadata(a.output) == read_metadata(b.output)
