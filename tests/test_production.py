"""Productions: same events for any number of workers; an interrupted run resumes identically."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nusource.cli import main
from nusource.io.readers import read_events, read_metadata
from nusource.io.schema import EVENT_DTYPE
from nusource.production import plan, run_chunk, simulate

from .support import CONFIGS, signal_only

LXE = [c for c in CONFIGS if c.endswith("/lxe_cr51.toml")][0]


def events_of(path):
    return read_events(path).events


def test_workers_do_not_change_the_events(tmp_path):
    a = plan(LXE, tmp_path / "w1.h5", n=30_000, chunk_size=7_000, seed=11)
    b = plan(LXE, tmp_path / "w2.h5", n=30_000, chunk_size=7_000, seed=11)
    simulate(a, workers=1)
    simulate(b, workers=2)
    ea, eb = events_of(a.output), events_of(b.output)
    assert len(a.components) == 7  # with backgrounds
    for c in a.components:  # rn222 and source_gamma keep only decays that deposit energy
        k = int(np.sum(ea["component"] == c.index))
        assert k == 30_000 if not c.thinned else 0 < k <= 30_000, c.name
    for name in ea.dtype.names:
        assert np.array_equal(ea[name], eb[name], equal_nan=True), name
    assert read_metadata(a.output) == read_metadata(b.output)
    assert not a.chunk_dir.exists()


def same_events(a, b):
    ea, eb = events_of(a), events_of(b)
    assert len(ea) == len(eb)
    for name in ea.dtype.names:
        assert np.array_equal(ea[name], eb[name], equal_nan=True), name
    assert read_metadata(a) == read_metadata(b)


def interrupt_after(chunks):
    """A progress callback that interrupts the run after `chunks` chunks are in the output."""
    seen = []

    def tick(n):
        if n > 0:
            seen.append(n)
        if len(seen) == chunks:
            raise KeyboardInterrupt

    return tick


def interrupted_run(tmp_path, ext, chunks):
    """An uninterrupted run and the same run interrupted after `chunks` chunks: (full, part)."""
    full = plan(LXE, tmp_path / f"full{ext}", n=20_000, chunk_size=6_000, seed=5)
    simulate(full)
    part = plan(LXE, tmp_path / f"part{ext}", n=20_000, chunk_size=6_000, seed=5)
    with pytest.raises(KeyboardInterrupt):
        simulate(part, progress=interrupt_after(chunks))
    return full, part


def progress_records(prod):
    return json.loads((prod.chunk_dir / "progress.json").read_text())["chunks"]


@pytest.mark.parametrize("ext", [".root", ".h5"])
def test_interrupted_run_resumes_to_the_same_file(tmp_path, ext):
    full, part = interrupted_run(tmp_path, ext, 2)
    assert not part.output.exists()
    assert [n for n, _ in progress_records(part)] == [6_000, 6_000]
    assert (part.chunk_dir / f"partial{ext}").exists()
    r = simulate(part)
    assert r["chunks_resumed"] == 2 and r["notes"] == []
    same_events(full.output, part.output)
    assert not part.chunk_dir.exists()


def test_events_past_the_progress_record_are_made_again(tmp_path, monkeypatch):
    """ROOT: a run killed in the middle of a chunk leaves some of its events in the
    file; the good chunks are copied into a new file and the chunk is made again."""
    import uproot

    import nusource.production.state as production
    from nusource.io import EventWriter

    full = plan(LXE, tmp_path / "full.root", n=20_000, chunk_size=6_000, seed=5)
    simulate(full)
    part = plan(LXE, tmp_path / "part.root", n=20_000, chunk_size=6_000, seed=5)
    monkeypatch.setattr(production, "WRITE_EVENTS", 2_500)
    checkpoint = EventWriter.checkpoint
    calls = []

    def dies_at_the_second(self):
        calls.append(1)
        if len(calls) == 2:  # chunk 1: 5000 of its 6000 events are in the file
            raise KeyboardInterrupt
        checkpoint(self)

    monkeypatch.setattr(EventWriter, "checkpoint", dies_at_the_second)
    with pytest.raises(KeyboardInterrupt):
        simulate(part)
    monkeypatch.setattr(EventWriter, "checkpoint", checkpoint)
    assert len(progress_records(part)) == 1
    with uproot.open(part.chunk_dir / "partial.root") as f:
        assert f["events"].num_entries == 11_000
    r = simulate(part)
    assert r["chunks_resumed"] == 1 and r["notes"] == []
    same_events(full.output, part.output)


def test_an_interrupted_copy_is_taken_up_again(tmp_path):
    """ROOT: killed while copying the good chunks into the new file, the old file is used."""
    full, part = interrupted_run(tmp_path, ".root", 2)
    (part.chunk_dir / "partial.root").replace(part.chunk_dir / "partial.old.root")
    (part.chunk_dir / "partial.root").write_bytes(b"half a copy")
    r = simulate(part)
    assert r["chunks_resumed"] == 2 and r["notes"] == []
    same_events(full.output, part.output)


def test_a_partial_output_that_does_not_check_out_is_made_again(tmp_path):
    full, part = interrupted_run(tmp_path, ".root", 2)
    progress = part.chunk_dir / "progress.json"
    saved = json.loads(progress.read_text())
    saved["chunks"][1][1] = "0" * 64  # chunk 1 in the file is not what was recorded
    progress.write_text(json.dumps(saved))
    r = simulate(part)
    assert r["chunks_resumed"] == 1 and "chunks 1 to 1" in r["notes"][0]
    same_events(full.output, part.output)
    # a damaged file (e.g. a killed process in the middle of a write)
    with pytest.raises(KeyboardInterrupt):
        simulate(part, progress=interrupt_after(2), overwrite=True)
    (part.chunk_dir / "partial.root").write_bytes(b"root" * 1000)
    r = simulate(part, overwrite=True)
    assert r["chunks_resumed"] == 0 and "not readable" in r["notes"][0]
    same_events(full.output, part.output)


def test_hdf5_output_is_rewritten_in_place_from_the_first_bad_chunk(tmp_path):
    full, part = interrupted_run(tmp_path, ".h5", 3)
    import h5py

    with h5py.File(part.chunk_dir / "partial.h5", "r+") as f:
        f["events/vtx_z"][7_000] += 1e-9  # chunk 1 damaged (e.g. lost in a power cut)
    r = simulate(part)
    assert r["chunks_resumed"] == 1 and "chunks 1 to 2" in r["notes"][0]
    same_events(full.output, part.output)


def test_chunk_files_of_an_interrupted_parallel_run_are_used(tmp_path):
    full = plan(LXE, tmp_path / "full.h5", n=20_000, chunk_size=6_000, seed=5)
    simulate(full)
    part = plan(LXE, tmp_path / "part.h5", n=20_000, chunk_size=6_000, seed=5)
    part.chunk_dir.mkdir()
    run_chunk(part, 0)
    run_chunk(part, 2)
    # a half-written chunk of a killed worker: only its temporary name exists
    (part.chunk_dir / ".chunk_000001.h5.tmp-dead").write_bytes(b"\\0" * 100)
    simulate(part)
    same_events(full.output, part.output)
    assert not part.chunk_dir.exists()


def test_keep_chunks_writes_every_chunk_as_an_event_file(tmp_path):
    a = plan(LXE, tmp_path / "k.root", n=10_000, chunk_size=4_000, seed=4)
    simulate(a, keep_chunks=True)
    files = sorted(a.chunk_dir.glob("chunk_*.h5"))
    assert [f.name for f in files] == [f"chunk_{k:06d}.h5" for k in range(len(a.sizes))]
    whole, pieces = events_of(a.output), read_events(files).events
    for name in whole.dtype.names:
        assert np.array_equal(whole[name], pieces[name], equal_nan=True), name
    assert not (a.chunk_dir / "progress.json").exists()


def test_uncompressed_hdf5_output_is_its_data(tmp_path):
    """Contiguous datasets of the final length: no chunk padding (was ~13 MB per file).

    (A run whose length is known before it starts: no thinned component.)"""
    card = signal_only("lxe_cr51.toml", tmp_path)
    a = plan(card, tmp_path / "c.h5", n=300_000, chunk_size=100_000, seed=4)
    simulate(a)
    data = len(events_of(a.output)) * EVENT_DTYPE.itemsize
    assert data < a.output.stat().st_size < data + 200_000


def test_chunks_of_another_run_are_refused(tmp_path):
    a = plan(LXE, tmp_path / "x.h5", n=1000, chunk_size=500, seed=1)
    a.chunk_dir.mkdir()
    run_chunk(a, 0)
    b = plan(LXE, tmp_path / "x.h5", n=1000, chunk_size=500, seed=2)
    with pytest.raises(ValueError, match="another run"):
        simulate(b)
    simulate(b, overwrite=True)
    assert read_metadata(b.output)["seed"] == 2
    # the partial output of another interrupted run
    c = plan(LXE, tmp_path / "y.h5", n=1000, chunk_size=500, seed=1)
    with pytest.raises(KeyboardInterrupt):
        simulate(c, progress=interrupt_after(1))
    d = plan(LXE, tmp_path / "y.h5", n=1000, chunk_size=500, seed=2)
    with pytest.raises(ValueError, match="another run"):
        simulate(d)
    assert (c.chunk_dir / "partial.h5").exists()
    r = simulate(d, overwrite=True)
    assert r["chunks_resumed"] == 0 and read_metadata(d.output)["seed"] == 2


def test_simulate_command_line(tmp_path, capsys):
    out = tmp_path / "lxe.root"
    code = main(["simulate", LXE, "-o", str(out), "-n", "5000", "--seed", "3", "--json"])
    assert code == 0
    r = json.loads(capsys.readouterr().out)
    assert r["events"] == len(events_of(out)) > 5000 * 5  # (two thinned components)
    meta = read_metadata(out)
    assert meta["seed"] == 3 and meta["provenance"]["run_card_sha256"]
    assert meta["provenance"]["run_card"].startswith("# Liquid xenon")
    ev = events_of(out)
    assert {"edep", "erec", "flags", "vtx_z"} <= set(ev.dtype.names)
    # existing output without --overwrite: one line, nothing changed
    code = main(["simulate", LXE, "-o", str(out), "-n", "10"])
    err = capsys.readouterr().err
    assert code == 2 and "--overwrite" in err and len(err.strip().splitlines()) == 1
    assert len(events_of(out)) == r["events"]


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
@pytest.mark.parametrize("ext", [".root", ".h5"])
def test_killed_process_resumes(tmp_path, ext):
    """A real SIGKILL in the middle of a run, then the same command again."""
    out = tmp_path / f"k{ext}"
    cmd = [
        sys.executable,
        "-m",
        "nusource.cli",
        "simulate",
        LXE,
        "-o",
        str(out),
        "-n",
        "3000000",
        "--chunk-size",
        "50000",
        "--seed",
        "9",
    ]
    p = subprocess.Popen(cmd)
    import time

    progress = out.with_name(out.name + ".chunks") / "progress.json"
    for _ in range(600):
        time.sleep(0.1)
        try:
            if len(json.loads(progress.read_text())["chunks"]) >= 3:
                break
        except (OSError, ValueError):
            pass
    p.kill()
    p.wait()
    assert not out.exists()
    again = subprocess.run(cmd + ["--json"], check=True, capture_output=True, text=True)
    assert json.loads(again.stdout)["chunks_resumed"] >= 3
    ref = tmp_path / f"ref{ext}"
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


@pytest.mark.parametrize("ext", [".root", ".h5"])
def test_a_thinned_run_resumes_too(tmp_path, ext):
    """Oscillation applied as an acceptance thins every chunk: the output's length is
    known only at the end; an interrupted run still resumes to the same file."""
    card = tmp_path / "lxe_osc.toml"
    osc = '\n[oscillation]\nsin2_2theta = 0.3\ndm2_ev2 = 2.0\napply = "accept"\n'
    card.write_text(Path(LXE).read_text().split("\n[[components]]")[0] + "\n" + osc)
    full = plan(card, tmp_path / f"full{ext}", exposure=True, chunk_size=3_000, seed=6)
    r = simulate(full)
    assert full.thinned and r["events"] < 0.95 * sum(full.sizes)
    assert read_metadata(full.output)["n_events"] == r["events"] == len(events_of(full.output))
    part = plan(card, tmp_path / f"part{ext}", exposure=True, chunk_size=3_000, seed=6)
    with pytest.raises(KeyboardInterrupt):
        simulate(part, progress=interrupt_after(2))
    assert simulate(part)["chunks_resumed"] == 2
    same_events(full.output, part.output)


def test_workers_hand_chunks_over_in_shared_memory_and_resume(tmp_path):
    """--workers 2: chunks come from shared memory (no chunk files, none left in
    /dev/shm); an interrupted parallel run resumes to the serial run's file."""
    shm = Path("/dev/shm")
    before = set(shm.iterdir()) if shm.is_dir() else set()
    full = plan(LXE, tmp_path / "full.root", n=30_000, chunk_size=4_000, seed=12)
    simulate(full)
    part = plan(LXE, tmp_path / "part.root", n=30_000, chunk_size=4_000, seed=12)
    seen = []

    def tick(n):
        if n > 0:
            seen.append(n)
            assert not list(part.chunk_dir.glob("chunk_*"))
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate(part, workers=2, progress=tick)
    r = simulate(part, workers=2)
    assert r["chunks_resumed"] == 3
    same_events(full.output, part.output)
    if shm.is_dir():
        assert set(shm.iterdir()) <= before
    kept = plan(LXE, tmp_path / "kept.root", n=30_000, chunk_size=4_000, seed=12)
    simulate(kept, workers=2, keep_chunks=True)
    assert len(list(kept.chunk_dir.glob("chunk_*.h5"))) == len(kept.sizes) == 7 * 8
    same_events(full.output, kept.output)


def test_one_process_at_a_time_writes_an_output(tmp_path, capsys):
    """A second `simulate` of the same output while one runs: one clear line, nothing touched."""
    import os

    from nusource.production import lock

    out = tmp_path / "busy.h5"
    state = out.with_name(out.name + ".chunks")
    state.mkdir()
    held = lock(state)  # as a running simulate holds it
    try:
        code = main(["simulate", LXE, "-o", str(out), "-n", "1000"])
        err = capsys.readouterr().err
        assert code == 2 and "another process is writing" in err
        assert len(err.strip().splitlines()) == 1
        assert sorted(p.name for p in state.iterdir()) == ["lock"] and not out.exists()
    finally:
        os.close(held)
    assert main(["simulate", LXE, "-o", str(out), "-n", "1000"]) == 0
    assert 5 * 1000 < len(events_of(out)) <= 7 * 1000 and not state.exists()
