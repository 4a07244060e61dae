"""A resume writes only the chunks still to make: the interrupted output is continued in
place (HDF5, and ROOT when its tree ends where the progress record does), after its
recorded chunks are read once and checked."""

import os
import tempfile

import numpy as np
import pytest

from nusource.io.readers import read_events
from nusource.production import plan, simulate

from .support import signal_only

LAMA = str(signal_only("lama.toml", tempfile.mkdtemp()))
"""The LAMA card's signal alone: every chunk full, one component."""


def interrupted(out, n, chunk, after):
    prod = plan(LAMA, out, n=n, chunk_size=chunk, seed=3)
    done = [0]

    def stop(k):
        done[0] += k
        if done[0] >= after * chunk:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate(prod, progress=stop)
    return prod


@pytest.mark.parametrize("ext", [".root", ".h5"])
def test_resume_continues_the_partial_file_and_writes_no_copy(tmp_path, ext, monkeypatch):
    import nusource.production.state as state

    prod = interrupted(tmp_path / f"x{ext}", 8_000, 1_000, 3)
    partial = prod.chunk_dir / f"partial{ext}"
    inode = os.stat(partial).st_ino
    copies = []
    monkeypatch.setattr(state, "_copy_good_chunks", lambda *a: copies.append(a) or 1 / 0)
    with pytest.raises(KeyboardInterrupt):  # interrupted again, in the continued file
        simulate(prod, progress=lambda n, seen=[0]: _stop_at(seen, n, 6_000))
    assert os.stat(partial).st_ino == inode
    r = simulate(prod)
    assert r["chunks_resumed"] == 6 and r["notes"] == [] and copies == []
    whole = plan(LAMA, tmp_path / f"whole{ext}", n=8_000, chunk_size=1_000, seed=3)
    simulate(whole)
    a, b = read_events(prod.output), read_events(whole.output)
    np.testing.assert_array_equal(a.events, b.events)
    assert a.metadata == b.metadata


def _stop_at(seen, n, total):
    seen[0] += n
    if seen[0] >= total:
        raise KeyboardInterrupt


def test_a_resumed_root_file_keeps_its_size(tmp_path):
    """Continued in place, a ROOT file holds nothing the uninterrupted file does not
    (no copy left behind): sizes agree within the few kB of tree metadata."""
    prod = interrupted(tmp_path / "x.root", 50_000, 10_000, 4)
    simulate(prod)
    whole = plan(LAMA, tmp_path / "whole.root", n=50_000, chunk_size=10_000, seed=3)
    simulate(whole)
    assert abs(prod.output.stat().st_size - whole.output.stat().st_size) < 16_384


@pytest.mark.slow
def test_a_reopened_root_file_grows_past_2_gb(tmp_path):
    """uproot keeps the pointer size a reopened file's free-segments record had on disk;
    without :func:`nusource.io.sinks._let_grow_past_2gb` this fails past 2 GB."""
    import uproot

    from nusource.io.sinks import _let_grow_past_2gb

    p = tmp_path / "big.root"
    n = 1 << 20
    a = np.random.default_rng(1).random(n).astype(">f8")  # incompressible: 8 MB a basket
    with uproot.create(p) as f:
        t = f.mktree("events", {"a": ">f8", "k": ">i4"})
        t.extend({"a": a, "k": np.zeros(n, ">i4")})
    with uproot.update(p) as f:
        _let_grow_past_2gb(f)
        t = f["events"]
        for k in range(1, 200):  # ~2.4 GB
            t.extend({"a": a, "k": np.full(n, k, ">i4")})
        f["metadata"] = "end"
    assert p.stat().st_size > 2**31
    with uproot.open(p) as f:
        t = f["events"]
        assert t.num_entries == 200 * n and str(f["metadata"]) == "end"
        k = t["k"].array(library="np", entry_start=t.num_entries - 2 * n)
        assert k[0] == 198 and k[-1] == 199
        np.testing.assert_array_equal(t["a"].array(library="np", entry_start=t.num_entries - n), a)


def test_a_root_tree_interrupted_inside_a_chunk_is_cut_back_in_place(tmp_path, monkeypatch):
    """Killed inside a chunk, the ROOT file holds baskets past the progress record: the tree
    is cut back to its last recorded chunk and continued in the same file, the cut baskets'
    bytes used again (no copy, no file larger than an uninterrupted one)."""
    import uproot

    import nusource.production.state as state
    from nusource.io import EventWriter

    monkeypatch.setattr(state, "WRITE_EVENTS", 2_500)  # 4 baskets a chunk, all written
    prod = plan(LAMA, tmp_path / "x.root", n=40_000, chunk_size=10_000, seed=3)
    checkpoint, calls = EventWriter.checkpoint, []

    def dies_inside_chunk_2(self):
        calls.append(1)
        if len(calls) == 3:  # chunk 2's baskets are in the file, its record is not
            raise KeyboardInterrupt
        checkpoint(self)

    monkeypatch.setattr(EventWriter, "checkpoint", dies_inside_chunk_2)
    with pytest.raises(KeyboardInterrupt):
        simulate(prod)
    monkeypatch.setattr(EventWriter, "checkpoint", checkpoint)
    partial = prod.chunk_dir / "partial.root"
    with uproot.open(partial) as f:
        assert f["events"].num_entries == 30_000  # 2 chunks recorded
    monkeypatch.setattr(state, "_copy_good_chunks", lambda *a: 1 / 0)
    r = simulate(prod)
    assert r["chunks_resumed"] == 2 and r["notes"] == []
    whole = plan(LAMA, tmp_path / "whole.root", n=40_000, chunk_size=10_000, seed=3)
    simulate(whole)
    a, b = read_events(prod.output), read_events(whole.output)
    np.testing.assert_array_equal(a.events, b.events)
    assert prod.output.stat().st_size <= whole.output.stat().st_size + 16_384


def test_a_resumed_root_file_compresses_the_branches_it_compressed(tmp_path):
    """The reopened tree takes each branch's codec from its baskets (no second trial):
    the resumed file's branches are compressed exactly where a fresh run's are."""
    import uproot

    def compressed(path):
        with uproot.open(path) as f:
            return {b.name: b.compressed_bytes < b.uncompressed_bytes for b in f["events"].branches}

    out = tmp_path / "x.root"
    prod = plan(LAMA, out, n=6_000, chunk_size=1_000, seed=3, compression="zstd")
    done = [0]
    with pytest.raises(KeyboardInterrupt):
        simulate(prod, progress=lambda n: _stop_at(done, n, 3_000))
    simulate(prod)
    whole = plan(LAMA, tmp_path / "w.root", n=6_000, chunk_size=1_000, seed=3, compression="zstd")
    simulate(whole)
    mine, fresh = compressed(out), compressed(whole.output)
    assert mine == fresh
    assert 0 < sum(fresh.values()) < len(fresh)  # (some branches shrink, some do not)


def test_pieces_read_for_a_check_end_where_chunks_end(tmp_path):
    from nusource.io.readers import iter_columns

    prod = plan(LAMA, tmp_path / "x.root", n=3_000, chunk_size=1_000, seed=3)
    simulate(prod)
    edges = [0, 700, 700, 2_000, 2_900]
    pieces = [len(c["te"]) for c in iter_columns(prod.output, edges=edges, step_events=500)]
    # at most 500 events each, ending at the edges and, where one is near, at the end of a
    # ROOT basket (1,000: the first chunk's checkpoint)
    assert pieces == [500, 200, 300, 500, 500, 500, 400]
    whole = read_events(prod.output).events["te"][:2_900]
    got = np.concatenate([c["te"] for c in iter_columns(prod.output, edges=edges)])
    np.testing.assert_array_equal(got, whole)
    with pytest.raises(ValueError, match="fewer than 3001"):
        next(iter_columns(prod.output, edges=[0, 3_001]))
    with pytest.raises(ValueError, match="must rise from 0"):
        next(iter_columns(prod.output, edges=[0, 700, 500]))


def test_pieces_of_a_root_file_end_where_its_baskets_end(tmp_path):
    """Each checkpoint ends a basket early: pieces of at most step events that end on the
    tree's basket edges decompress no basket twice (and read a quarter faster)."""
    import uproot

    from nusource.io.readers import iter_columns, iter_events

    prod = plan(LAMA, tmp_path / "x.root", n=3_000, chunk_size=1_000, seed=3)
    simulate(prod)
    with uproot.open(prod.output) as f:
        baskets = [int(e) for e in f["events"].common_entry_offsets()]
    assert {1_000, 2_000} <= set(baskets)  # (the checkpoints)
    pieces = [len(c["te"]) for c in iter_columns(prod.output, step_events=1_500)]
    assert pieces == [1_000, 1_000, 1_000]  # (fixed steps of 1,500 straddled a basket)
    ends = np.cumsum(pieces)
    assert set(ends) <= set(baskets)
    whole = read_events(prod.output).events
    got = np.concatenate([c["te"] for c in iter_columns(prod.output, step_events=1_500)])
    np.testing.assert_array_equal(got, whole["te"])
    assert [len(p) for p in iter_events(prod.output, step_events=1_500)] == pieces
    # a basket longer than the step is read in steps of it
    assert max(len(c["te"]) for c in iter_columns(prod.output, step_events=400)) == 400
