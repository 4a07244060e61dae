"""Event files: what is written is read back, field by field, in every format, with its metadata."""

import json

import h5py
import numpy as np
import pytest
import uproot

from nusource.io import COMPRESSIONS, EventWriter, metadata_json, write_events
from nusource.io.readers import count_events, field_types, read_events, read_metadata
from nusource.io.schema import EVENT_DTYPE, TRUTH_DTYPE, UNITS

from .support import assert_same_events, sample_events, sample_metadata

EXTENSIONS = ["root", "h5", "hdf5", "npz"]


@pytest.mark.parametrize("ext", EXTENSIONS)
@pytest.mark.parametrize("detected", [False, True])
def test_round_trip_field_by_field_with_metadata(tmp_path, ext, detected):
    ev = sample_events(1000, detected=detected)
    ev["te"][:3] = [np.nan, -0.0, np.inf]
    meta = sample_metadata()
    path = write_events(tmp_path / f"ev.{ext}", ev, meta)
    got = read_events(path)
    assert_same_events(got.events, ev)
    assert got.events["event_id"].dtype == np.uint64
    assert got.events["event_id"][0] == 2**63 + 12345
    assert got.metadata == [json.loads(metadata_json(meta))]
    assert got.metadata[0]["seed"] == 7 and got.metadata[0]["window_mev"] == [0.1, 0.56]
    assert got.files == [path]
    assert read_metadata(path) == got.metadata[0]
    assert count_events(path) == 1000
    assert list(field_types(path)) == list(ev.dtype.names)
    assert got.units["te"] == "MeV"


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_empty_event_array_round_trips(tmp_path, ext):
    for dtype in (TRUTH_DTYPE, EVENT_DTYPE):
        path = tmp_path / f"empty_{len(dtype)}.{ext}"
        write_events(path, np.zeros(0, dtype), {"n_events": 0})
        got = read_events(path)
        assert got.events.dtype == dtype and len(got.events) == 0
        assert got.metadata == [{"n_events": 0}]


def test_the_three_formats_give_identical_arrays(tmp_path):
    ev = sample_events(2500, seed=3)
    arrays = []
    for ext in ("root", "h5", "npz"):
        write_events(tmp_path / f"ev.{ext}", ev, sample_metadata())
        arrays.append(read_events(tmp_path / f"ev.{ext}").events)
    assert_same_events(arrays[0], arrays[1])
    assert_same_events(arrays[0], arrays[2])


def test_root_file_is_a_flat_ttree_with_units_and_run_metadata(tmp_path):
    ev = sample_events(300)
    meta = sample_metadata()
    path = write_events(tmp_path / "ev.root", ev, meta)
    with uproot.open(path) as f:
        tree = f["events"]
        assert tree.classname.startswith("TTree")
        assert tree.keys() == list(EVENT_DTYPE.names)
        assert tree["te"].typename == "double" and tree["event_id"].typename == "uint64_t"
        assert tree["flags"].typename == "uint32_t"
        assert np.array_equal(tree["te"].array(library="np"), ev["te"])
        assert json.loads(str(f["metadata"])) == json.loads(metadata_json(meta))
        assert json.loads(str(f["units"])) == {n: UNITS[n] for n in EVENT_DTYPE.names}
        assert json.loads(str(f["descriptions"]))["te"]
        run = f["run"]
        assert run.classname.startswith("TTree") and run.num_entries == 1
        row = run.arrays(library="np")
        assert row["seed"][0] == 7 and row["n_events"][0] == 1000
        assert row["expected_events"][0] == 12.5 and row["gen_norm"][0] == 0.0125
        assert row["exposure_per_cm2"][0] == 1.0


def test_hdf5_layout_one_dataset_per_field_with_units(tmp_path):
    """Known length, uncompressed: contiguous datasets; compressed or streamed: chunked."""
    ev = sample_events(300, detected=False)
    path = write_events(tmp_path / "ev.h5", ev, sample_metadata())
    with h5py.File(path) as f:
        assert list(f["events"]) == list(TRUTH_DTYPE.names)
        d = f["events/te"]
        assert d.chunks is None and d.attrs["unit"] == "MeV" and d.attrs["description"]
        assert json.loads(f.attrs["metadata"])["mode"] == "fixed"
        assert f.attrs["seed"] == 7 and f.attrs["expected_events"] == 12.5
    path = write_events(tmp_path / "gz.h5", ev, sample_metadata(), compression="gzip")
    with EventWriter(tmp_path / "stream.h5", {}) as w:
        w.append(ev)
    for name in ("gz.h5", "stream.h5"):
        with h5py.File(tmp_path / name) as f:
            assert f["events/te"].chunks is not None and f["events/te"].shape == (300,)


def test_npz_loads_with_plain_numpy(tmp_path):
    ev = sample_events(100)
    path = write_events(tmp_path / "ev.npz", ev, sample_metadata())
    with np.load(path) as z:
        assert_same_events(z["events"], ev)
        assert json.loads(str(z["metadata"]))["seed"] == 7
        assert json.loads(str(z["units"]))["enu"] == "MeV"


@pytest.mark.parametrize(
    ("ext", "compression"),
    [("root", c) for c in COMPRESSIONS["root"]]
    + [("h5", c) for c in COMPRESSIONS["hdf5"]]
    + [("npz", c) for c in COMPRESSIONS["npz"]]
    + [("root", "zstd:3"), ("h5", "gzip:6")],
)
def test_every_compression_round_trips(tmp_path, ext, compression):
    ev = sample_events(500)
    path = write_events(tmp_path / f"ev.{ext}", ev, {}, compression=compression)
    assert_same_events(read_events(path).events, ev)


def test_root_compression_is_lz4_by_default(tmp_path):
    path = write_events(tmp_path / "ev.root", sample_events(100), {})
    with uproot.open(path) as f:
        assert isinstance(f.file.compression, uproot.LZ4)


@pytest.mark.parametrize(("ext", "compression"), [("h5", "lz4"), ("root", "gzip"), ("npz", "x")])
def test_an_unknown_compression_names_the_choices(tmp_path, ext, compression):
    with pytest.raises(ValueError, match="allowed"):
        write_events(tmp_path / f"ev.{ext}", sample_events(3), {}, compression=compression)
    assert not list(tmp_path.iterdir())


def test_rntuple_is_an_option(tmp_path):
    ev = sample_events(400)
    path = write_events(tmp_path / "ev.root", ev, {"n_events": 400}, rntuple=True)
    with uproot.open(path) as f:
        assert f["events"].classname == "ROOT::RNTuple"
    assert_same_events(read_events(path).events, ev)


def test_a_subset_of_fields_is_read_in_the_order_asked(tmp_path):
    ev = sample_events(200)
    for ext in ("root", "h5", "npz"):
        path = write_events(tmp_path / f"ev.{ext}", ev, {})
        got = read_events(path, fields=["te", "event_id"]).events
        assert got.dtype.names == ("te", "event_id")
        assert np.array_equal(got["te"], ev["te"])
        assert np.array_equal(got["event_id"], ev["event_id"])


def test_bad_events_and_metadata_are_refused_naming_the_field(tmp_path):
    bad = np.zeros(3, [("te", "f4")])
    with pytest.raises(ValueError, match="'te' has type float32"):
        write_events(tmp_path / "a.h5", bad, {})
    with pytest.raises(ValueError, match="'energy' is not an event field"):
        write_events(tmp_path / "a.h5", np.zeros(3, [("energy", "f8")]), {})
    with pytest.raises(TypeError, match=r"metadata\['source'\]\['path'\]"):
        write_events(tmp_path / "a.h5", sample_events(3), {"source": {"path": object()}})
    assert not list(tmp_path.iterdir())
