"""Chunk files: a glob reads as their concatenation; merging joins them, refusing mixed cards."""

import numpy as np
import pytest

from nusource.io import write_events
from nusource.io.merge import merge_files
from nusource.io.readers import expand_paths, read_events, read_metadata

from .support import assert_same_events, sample_events, sample_metadata


def write_chunks(directory, ext, sizes=(700, 0, 1200, 333), *, card="ab" * 32, **meta):
    """Chunk files of one run, named so that their sorted order is the chunk order."""
    chunks, paths = [], []
    for k, n in enumerate(sizes):
        ev = sample_events(n, seed=k)
        ev["event_id"] = np.arange(n, dtype=np.uint64) + np.uint64(10_000 * k)
        m = sample_metadata(n_events=n, chunk_keys=[f"7/0/{k}"], **meta)
        m["provenance"]["run_card_sha256"] = card
        paths.append(write_events(directory / f"run_c{k:03d}.{ext}", ev, m))
        chunks.append(ev)
    return paths, np.concatenate(chunks)


@pytest.mark.parametrize("ext", ["root", "h5", "npz"])
def test_a_glob_of_chunk_files_reads_as_their_concatenation(tmp_path, ext):
    paths, expected = write_chunks(tmp_path, ext)
    got = read_events(str(tmp_path / f"run_c*.{ext}"))
    assert got.files == paths
    assert_same_events(got.events, expected)
    assert [m["n_events"] for m in got.metadata] == [700, 0, 1200, 333]


def test_files_are_read_in_sorted_order_once(tmp_path):
    paths, expected = write_chunks(tmp_path, "h5")
    got = read_events([paths[3], str(tmp_path / "run_c00[0-2].h5"), paths[0]])
    assert got.files == paths
    assert_same_events(got.events, expected)


def test_chunks_in_different_formats_read_together(tmp_path):
    a = sample_events(100, seed=1)
    b = sample_events(50, seed=2)
    write_events(tmp_path / "a.root", a, {})
    write_events(tmp_path / "b.npz", b, {})
    assert_same_events(read_events(str(tmp_path / "*")).events, np.concatenate([a, b]))


def test_format_may_be_given_instead_of_the_extension(tmp_path):
    ev = sample_events(20)
    write_events(tmp_path / "ev.h5", ev, {})
    (tmp_path / "ev.h5").rename(tmp_path / "ev.dat")
    assert_same_events(read_events(tmp_path / "ev.dat", format="hdf5").events, ev)


def test_reading_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"'.*nothere\.root' does not exist"):
        read_events(tmp_path / "nothere.root")
    with pytest.raises(FileNotFoundError, match=r"no file matches '.*\*\.h5'"):
        read_events(str(tmp_path / "*.h5"))
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match=r"notes\.txt' has extension '\.txt'"):
        read_events(tmp_path / "notes.txt")
    (tmp_path / "junk.root").write_text("not root")
    with pytest.raises(ValueError, match=r"junk\.root' is not a readable event file"):
        read_metadata(tmp_path / "junk.root")
    write_events(tmp_path / "t.h5", sample_events(5, detected=False), {})
    write_events(tmp_path / "u.h5", sample_events(5, detected=True), {})
    with pytest.raises(ValueError, match=r"different fields: '.*t\.h5'.*'.*u\.h5' has \['edep"):
        read_events(str(tmp_path / "*.h5"))
    with pytest.raises(ValueError, match=r"t\.h5' has no field 'erec'"):
        read_events(str(tmp_path / "*.h5"), fields=["te", "erec"])
    got = read_events(str(tmp_path / "*.h5"), fields=["te"])
    assert len(got.events) == 10


def test_expand_paths_takes_paths_patterns_and_lists(tmp_path):
    paths, _ = write_chunks(tmp_path, "npz", sizes=(1, 2))
    assert expand_paths(paths[1]) == [paths[1]]
    assert expand_paths(str(tmp_path / "*.npz")) == paths
    with pytest.raises(FileNotFoundError, match="no event files"):
        expand_paths([])


@pytest.mark.parametrize(("ext", "out"), [("root", "root"), ("h5", "h5"), ("npz", "root")])
def test_merge_equals_the_concatenation_with_merged_metadata(tmp_path, ext, out):
    paths, expected = write_chunks(tmp_path, ext)
    output = tmp_path / "merged" / f"all.{out}"
    output.parent.mkdir()
    r = merge_files(str(tmp_path / f"run_c*.{ext}"), output)
    assert r == {
        "output": str(output),
        "inputs": [p.name for p in paths],
        "events": len(expected),
        "n_events": len(expected),
    }
    got = read_events(output)
    assert_same_events(got.events, expected)
    meta = got.metadata[0]
    first = read_metadata(paths[0])
    assert meta["n_events"] == 2233
    assert meta["chunk_keys"] == ["7/0/0", "7/0/1", "7/0/2", "7/0/3"]
    assert meta["merged_from"] == [p.name for p in paths]
    assert meta["expected_events"] == 12.5 and meta["gen_norm"] == 0.0125
    assert meta["provenance"] == first["provenance"]
    assert "merged_card_hashes" not in meta


def test_merge_refuses_pieces_of_one_run_that_disagree(tmp_path):
    paths, _ = write_chunks(tmp_path, "h5", sizes=(10, 20))
    write_events(
        tmp_path / "run_c002.h5",
        sample_events(5),
        sample_metadata(n_events=5, expected_events=99.0, chunk_keys=["7/0/2"]),
    )
    with pytest.raises(ValueError, match=r"run_c002\.h5' claims to be a piece .* expected_events"):
        merge_files(str(tmp_path / "run_c*.h5"), tmp_path / "all.h5")
    assert not (tmp_path / "all.h5").exists()


def test_merge_refuses_different_run_cards_unless_allowed(tmp_path):
    write_chunks(tmp_path, "root", sizes=(10, 20))
    write_events(tmp_path / "run_c002.root", sample_events(5), sample_metadata(provenance={}))
    pattern = str(tmp_path / "run_c*.root")
    with pytest.raises(ValueError, match=r"run_c002\.root' was made from a different run card"):
        merge_files(pattern, tmp_path / "all.root")
    assert not (tmp_path / "all.root").exists()
    r = merge_files(pattern, tmp_path / "all.root", allow_different_cards=True)
    meta = read_metadata(r["output"])
    assert meta["merged_card_hashes"] == ["ab" * 32, "ab" * 32, None]
    assert r["events"] == 35


def test_merge_refuses_different_card_hashes(tmp_path):
    write_chunks(tmp_path, "npz", sizes=(3,), card="ab" * 32)
    write_events(
        tmp_path / "run_c001.npz",
        sample_events(4),
        sample_metadata(provenance={"run_card_sha256": "cd" * 32}),
    )
    with pytest.raises(ValueError, match="--allow-different-cards"):
        merge_files(str(tmp_path / "*.npz"), tmp_path / "all.npz")
    assert merge_files(str(tmp_path / "*.npz"), tmp_path / "all.npz", allow_different_cards=True)


def test_a_file_joining_two_cards_is_refused_as_one_experiment_and_says_so(tmp_path):
    # two cards run with one seed have the same chunk keys: not "the same chunk twice"
    from nusource.io.runs import combine_runs

    for name, card in (("a.npz", "ab" * 32), ("b.npz", "cd" * 32)):
        meta = sample_metadata(chunk_keys=["1/0/0"], provenance={"run_card_sha256": card})
        write_events(tmp_path / name, sample_events(3), meta)
    out = merge_files(str(tmp_path / "*.npz"), tmp_path / "all.npz", allow_different_cards=True)
    with pytest.raises(ValueError, match="'all.npz' joins runs of 2 run cards .* apart"):
        combine_runs([read_metadata(out["output"])], names=["all.npz"])
    with pytest.raises(ValueError, match="'x' holds the same chunk of one run twice"):
        combine_runs([{"chunk_keys": ["1/0/0", "1/0/0"]}], names=["x"])  # one card: as before


def test_merge_refuses_its_own_inputs_an_existing_output_and_different_fields(tmp_path):
    paths, _ = write_chunks(tmp_path, "h5", sizes=(3, 4))
    with pytest.raises(FileExistsError, match="--overwrite"):
        merge_files(paths, paths[0])
    with pytest.raises(ValueError, match="is one of the inputs"):
        merge_files(paths, paths[0], overwrite=True)
    write_events(tmp_path / "run_c009.h5", sample_events(3, detected=False), sample_metadata())
    with pytest.raises(ValueError, match=r"different fields: '.*run_c009\.h5'"):
        merge_files(str(tmp_path / "run_c*.h5"), tmp_path / "all.h5")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "run_c000.h5",
        "run_c001.h5",
        "run_c009.h5",
    ]


def test_a_directory_is_not_an_event_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="is a directory.*\\*\\.root"):
        read_events(tmp_path)


def test_a_missing_file_whose_production_left_chunks_says_where_they_are(tmp_path):
    out = tmp_path / "run.h5"

    def why(read):
        with pytest.raises(FileNotFoundError) as err:
            read(out)
        return str(err.value)

    for read in (expand_paths, read_metadata):
        assert why(read) == f"event file '{out}' does not exist"
        (tmp_path / "run.h5.chunks").mkdir(exist_ok=True)  # (a lock, a progress file: no events)
        assert why(read) == f"event file '{out}' does not exist"
        for held in ("chunk_000000.h5", "partial.h5"):  # array jobs'; an interrupted run's
            (tmp_path / "run.h5.chunks" / held).write_bytes(b"")
            words = why(read)
            assert words.startswith(f"event file '{out}' does not exist, but '{out}.chunks'")
            assert f"nusource simulate CARD -o {out} --assemble" in words
            (tmp_path / "run.h5.chunks" / held).unlink()
