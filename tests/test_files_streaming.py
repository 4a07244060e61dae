"""EventWriter: appends equal one write; a file appears whole or not at all; no silent overwrite."""

import numpy as np
import pytest
import uproot
from hypothesis import given, settings
from hypothesis import strategies as st

from nusource.io import EventWriter, write_events
from nusource.io.readers import iter_columns, iter_events, read_events
from nusource.io.schema import EVENT_DTYPE, TRUTH_DTYPE

from .support import assert_same_events, sample_events, sample_metadata

EXTENSIONS = ["root", "h5", "npz"]


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_many_small_appends_equal_one_write(tmp_path, ext):
    ev = sample_events(5003)
    write_events(tmp_path / f"one.{ext}", ev, sample_metadata())
    sizes = np.random.default_rng(1).integers(0, 97, 200)
    with EventWriter(tmp_path / f"many.{ext}", sample_metadata(), buffer_events=1024) as w:
        start = 0
        for m in sizes:
            w.append(ev[start : start + m])
            start += m
        w.append(ev[start:])
    assert w.n_written == len(ev)
    one, many = read_events(tmp_path / f"one.{ext}"), read_events(tmp_path / f"many.{ext}")
    assert_same_events(many.events, one.events)
    assert many.metadata == one.metadata


def test_root_writes_one_basket_per_full_buffer(tmp_path):
    ev = sample_events(5000, detected=False)
    path = tmp_path / "ev.root"
    with EventWriter(path, {}, buffer_events=1024) as w:
        for s in range(0, len(ev), 10):
            w.append(ev[s : s + 10])
    with uproot.open(path) as f:
        branch = f["events"]["te"]
        assert branch.num_baskets == 5  # 4 full buffers + the rest, whatever the appends
        assert list(branch.entry_offsets) == [0, 1024, 2048, 3072, 4096, 5000]


def test_appends_may_order_fields_differently(tmp_path):
    ev = sample_events(100, detected=False)
    reordered = ev[list(reversed(TRUTH_DTYPE.names))]
    with EventWriter(tmp_path / "ev.h5", {}) as w:
        w.append(ev[:50])
        w.append(reordered[50:])
    assert_same_events(read_events(tmp_path / "ev.h5").events, ev)


def test_metadata_may_be_completed_before_close(tmp_path):
    with EventWriter(tmp_path / "ev.root", {"mode": "exposure"}) as w:
        w.append(sample_events(10))
        w.metadata["n_events"] = w.n_written
    assert read_events(tmp_path / "ev.root").metadata == [{"mode": "exposure", "n_events": 10}]


def test_appending_other_fields_is_refused_naming_them(tmp_path):
    with EventWriter(tmp_path / "ev.npz", {}) as w:
        w.append(sample_events(5, detected=False))
        with pytest.raises(ValueError, match="lack fields.*'edep'"):
            w.append(sample_events(5, detected=True)[list(EVENT_DTYPE.names[1:])])


class Boom(Exception):
    pass


@pytest.mark.parametrize("ext", EXTENSIONS)
@pytest.mark.parametrize("error", [Boom, KeyboardInterrupt])
def test_an_interrupted_writer_leaves_no_file_and_no_temporary(tmp_path, ext, error):
    ev = sample_events(3000)
    with pytest.raises(error), EventWriter(tmp_path / f"ev.{ext}", {}, buffer_events=1000) as w:
        w.append(ev)  # three buffers already on disk in the temporary file
        assert len(list(tmp_path.iterdir())) >= 1
        raise error()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_a_failing_write_leaves_no_file(tmp_path, ext):
    with pytest.raises(ValueError):
        write_events(tmp_path / f"ev.{ext}", np.zeros(3, [("te", "f4")]), {})
    with pytest.raises(ValueError), EventWriter(tmp_path / f"ev.{ext}", {}) as w:
        w.append(sample_events(10, detected=False))
        w.append(sample_events(10, detected=True))
    assert list(tmp_path.iterdir()) == []


def test_a_dropped_writer_leaves_no_temporary(tmp_path):
    w = EventWriter(tmp_path / "ev.h5", {})
    w.append(sample_events(10))
    del w
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_an_existing_file_is_not_overwritten_unless_asked(tmp_path, ext):
    path = tmp_path / f"ev.{ext}"
    write_events(path, sample_events(10), {"n": 1})
    with pytest.raises(FileExistsError, match=rf"'{path}' exists.*--overwrite"):
        write_events(path, sample_events(20), {"n": 2})
    with pytest.raises(FileExistsError, match="--overwrite"):
        EventWriter(path, {})
    assert read_events(path).metadata == [{"n": 1}]
    write_events(path, sample_events(20), {"n": 2}, overwrite=True)
    assert read_events(path).metadata == [{"n": 2}]
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_a_file_appearing_during_the_write_is_not_replaced(tmp_path):
    path = tmp_path / "ev.root"
    with pytest.raises(FileExistsError, match="appeared while writing"):
        with EventWriter(path, {}) as w:
            w.append(sample_events(10))
            path.write_text("another run")
    assert path.read_text() == "another run"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_unknown_extension_and_missing_directory_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"'.*ev\.txt' has extension '\.txt'; allowed: .*\.root"):
        write_events(tmp_path / "ev.txt", sample_events(3), {})
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_events(tmp_path / "no" / "ev.h5", sample_events(3), {})
    with pytest.raises(ValueError, match="rntuple"):
        EventWriter(tmp_path / "ev.h5", {}, rntuple=True)


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_iter_events_reads_in_pieces(tmp_path, ext):
    ev = sample_events(1000)
    path = write_events(tmp_path / f"ev.{ext}", ev, {})
    pieces = list(iter_events(path, step_events=300))
    assert [len(p) for p in pieces] == [300, 300, 300, 100]
    assert_same_events(np.concatenate(pieces), ev)


def test_npz_compressed_reads_in_pieces(tmp_path):
    ev = sample_events(1000)
    path = write_events(tmp_path / "ev.npz", ev, {}, compression="zip")
    assert_same_events(np.concatenate(list(iter_events(path, step_events=128))), ev)


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_appending_columns_equals_appending_the_array(tmp_path, ext):
    ev = sample_events(2500)
    columns = {k: np.ascontiguousarray(ev[k]) for k in reversed(EVENT_DTYPE.names)}
    with EventWriter(tmp_path / f"cols.{ext}", {}, buffer_events=1000) as w:
        w.append_columns(columns, 1200)
        w.append_columns({k: v[1200:] for k, v in columns.items()})
    assert_same_events(read_events(tmp_path / f"cols.{ext}").events, ev)
    with pytest.raises(ValueError, match="lengths"), EventWriter(tmp_path / "x.h5", {}) as w:
        w.append_columns({"te": np.zeros(3), "enu": np.zeros(4)})


@settings(max_examples=25)
@given(
    sizes=st.lists(st.integers(0, 200), max_size=8),
    buffer_events=st.integers(50, 400),
    ext=st.sampled_from(EXTENSIONS),
)
def test_any_appends_and_buffer_give_the_concatenation(tmp_path_factory, sizes, buffer_events, ext):
    ev = sample_events(sum(sizes), seed=len(sizes))
    path = tmp_path_factory.mktemp("w") / f"ev.{ext}"
    with EventWriter(path, {}, buffer_events=buffer_events, dtype=ev.dtype) as w:
        start = 0
        for m in sizes:
            w.append(ev[start : start + m])
            start += m
    assert_same_events(read_events(path).events, ev)


@settings(max_examples=25)
@given(
    sizes=st.lists(st.integers(0, 1000), max_size=6),
    buffer_events=st.integers(50, 400),
    ext=st.sampled_from(EXTENSIONS),
)
def test_columns_appended_from_buffers_refilled_at_once(
    tmp_path_factory, sizes, buffer_events, ext
):
    """A production appends columns from buffers it refills right after: the file holds
    what each append gave, whether a piece was copied or written from the columns as they
    are (whole buffers' worth of columns already in the file's types)."""
    ev = sample_events(sum(sizes), seed=len(sizes))
    buf = {k: np.empty(max(sizes, default=0), ev.dtype[k]) for k in ev.dtype.names}
    path = tmp_path_factory.mktemp("w") / f"ev.{ext}"
    with EventWriter(path, {}, buffer_events=buffer_events, dtype=ev.dtype) as w:
        start = 0
        for m in sizes:
            for k, v in buf.items():
                v[:m] = ev[k][start : start + m]
            w.append_columns({k: v[:m] for k, v in buf.items()})
            for v in buf.values():
                v[:] = 0
            start += m
    assert_same_events(read_events(path).events, ev)


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 700), min_size=1, max_size=6),
    buffer_events=st.integers(50, 400),
    stop=st.integers(1, 6),
    ext=st.sampled_from(["h5", "root"]),
)
def test_appends_with_checkpoints_and_a_resume_give_the_concatenation(
    tmp_path_factory, sizes, buffer_events, stop, ext
):
    """A file of unknown length, checkpointed after every append, interrupted and
    resumed: in HDF5, whole chunks are written as they are and the last, partial
    one at every checkpoint, then read back by the resume to be completed."""
    ev = sample_events(sum(sizes), seed=len(sizes))
    d = tmp_path_factory.mktemp("w")
    target, partial = d / f"ev.{ext}", d / f"part.{ext}"
    stop = min(stop, len(sizes))
    edges = np.cumsum([0, *sizes])
    cut = int(edges[stop])
    with pytest.raises(KeyboardInterrupt):
        with EventWriter(
            target, {}, buffer_events=buffer_events, dtype=ev.dtype, partial=partial
        ) as w:
            for i in range(stop):
                w.append(ev[edges[i] : edges[i + 1]])
                w.checkpoint()
            raise KeyboardInterrupt
    with EventWriter.resume(
        target, partial, {}, n_written=cut, dtype=ev.dtype, buffer_events=buffer_events
    ) as w:
        for i in range(stop, len(sizes)):
            w.append(ev[edges[i] : edges[i + 1]])
            w.checkpoint()
    assert_same_events(read_events(target).events, ev)


@pytest.mark.parametrize("ext", ["h5", "npz"])
def test_hdf5_and_npz_files_are_byte_identical_for_the_same_events(tmp_path, ext):
    ev, meta = sample_events(500), sample_metadata()
    a = write_events(tmp_path / f"a.{ext}", ev, meta).read_bytes()
    assert write_events(tmp_path / f"b.{ext}", ev, meta).read_bytes() == a


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_iter_columns_gives_the_fields_in_pieces(tmp_path, ext):
    ev = sample_events(700)
    path = write_events(tmp_path / f"ev.{ext}", ev, {})
    pieces = list(iter_columns(path, fields=["flags", "te"], step_events=300))
    assert [list(p) for p in pieces] == [["flags", "te"]] * 3
    assert np.array_equal(np.concatenate([p["te"] for p in pieces]), ev["te"])
    assert np.array_equal(np.concatenate([p["flags"] for p in pieces]), ev["flags"])


@pytest.mark.parametrize("ext", ["root", "h5"])
def test_a_partial_file_is_kept_at_its_checkpoint(tmp_path, ext):
    """With ``partial``: an interruption keeps the file as at the last checkpoint
    (buffered events are dropped); it is continued into the same file as one write."""
    ev = sample_events(5000)
    write_events(tmp_path / f"one.{ext}", ev, sample_metadata())
    partial = tmp_path / f"partial.{ext}"
    target = tmp_path / f"cont.{ext}"
    with pytest.raises(KeyboardInterrupt):
        with EventWriter(
            target, sample_metadata(), buffer_events=1000, n_events=5000, partial=partial
        ) as w:
            w.append(ev[:1800])
            w.checkpoint()
            w.append(ev[1800:2500])  # buffered: lost
            raise KeyboardInterrupt
    assert partial.exists() and not target.exists()
    kept = list(iter_columns(partial, stop=1800))
    assert np.array_equal(np.concatenate([c["te"] for c in kept]), ev["te"][:1800])
    if ext == "root":  # the tree ends at the checkpoint
        with uproot.open(partial) as f:
            assert f["events"].num_entries == 1800
    if ext == "root":  # a tree is cut back only where a basket ends (a checkpoint)
        with pytest.raises(ValueError, match="no basket of its tree ends at event 1500"):
            EventWriter.resume(target, partial, {}, n_written=1500, dtype=ev.dtype)
    with EventWriter.resume(
        target,
        partial,
        sample_metadata(),
        n_written=1800,
        dtype=ev.dtype,
        buffer_events=1000,
        n_events=5000,
    ) as w:
        w.append(ev[1800:])
    assert not partial.exists()
    one, cont = read_events(tmp_path / f"one.{ext}"), read_events(target)
    assert_same_events(cont.events, one.events)
    assert cont.metadata == one.metadata


def test_resume_refuses_a_file_it_cannot_continue(tmp_path):
    ev = sample_events(100)
    partial = tmp_path / "partial.h5"
    with pytest.raises(KeyboardInterrupt):
        with EventWriter(tmp_path / "x.h5", {}, partial=partial, n_events=100) as w:
            w.append(ev[:60])
            w.checkpoint()
            raise KeyboardInterrupt
    with pytest.raises(ValueError, match="lengths \\[100\\], not the run's 120"):
        EventWriter.resume(
            tmp_path / "x.h5", partial, {}, n_written=60, dtype=ev.dtype, n_events=120
        )
    with pytest.raises(ValueError, match="its fields"):
        EventWriter.resume(
            tmp_path / "x.h5",
            partial,
            {},
            n_written=60,
            n_events=100,
            dtype=ev[["te", "enu"]].dtype,
        )
    partial.write_bytes(b"not an hdf5 file" * 100)
    with pytest.raises(ValueError, match="cannot be continued"):
        EventWriter.resume(
            tmp_path / "x.h5", partial, {}, n_written=60, dtype=ev.dtype, n_events=100
        )
    with pytest.raises(ValueError, match="npz files cannot be continued"):
        EventWriter.resume(tmp_path / "x.npz", tmp_path / "p.npz", {}, n_written=0, dtype=ev.dtype)


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_a_file_of_announced_length_must_get_it(tmp_path, ext):
    ev = sample_events(100)
    with pytest.raises(ValueError, match="99 events were written, 100 were announced"):
        with EventWriter(tmp_path / f"x.{ext}", {}, n_events=100) as w:
            w.append(ev[:99])
    assert list(tmp_path.iterdir()) == []
    write_events(tmp_path / f"y.{ext}", ev[:0], {})
    assert len(read_events(tmp_path / f"y.{ext}").events) == 0


def test_root_branches_that_do_not_compress_are_stored_as_they_are(tmp_path):
    """LZ4 is kept where it shrinks a branch's first basket by ≥ 10 %; the file reads the same."""
    rng = np.random.default_rng(3)
    ev = sample_events(20_000)
    ev["te"] = rng.random(len(ev))  # random doubles: LZ4 gains nothing
    ev["component"] = 0  # constant: LZ4 gains almost everything
    path = tmp_path / "c.root"
    with EventWriter(path, {}, buffer_events=4096) as w:
        w.append(ev)
    with uproot.open(path) as f:
        te, comp = f["events"]["te"], f["events"]["component"]
        assert te.compressed_bytes == te.uncompressed_bytes
        assert comp.compressed_bytes < 0.05 * comp.uncompressed_bytes
    assert_same_events(read_events(path).events, ev)
