"""Sinks: where an :class:`~nusource.io.writer.EventWriter` puts its columns, one class per format.

A sink is made from a :class:`SinkSpec` (what it needs to know about the
file), takes contiguous column buffers with :meth:`write`, makes what is
written durable with :meth:`sync`, writes the metadata with :meth:`finish`
and is closed with :meth:`close` (or :meth:`discard` after a failure).
"""

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .formats import field_text, run_scalars, temp_beside
from .heap import keep_freed_heap
from .schema import DESCRIPTIONS, UNITS

HDF5_CHUNK_EVENTS = 1 << 16
"""Largest HDF5 chunk, in events (512 kiB per float64 dataset)."""

MIN_ROOT_GAIN = 0.10
"""A ROOT branch is compressed if the start of its first basket shrinks by at least this
fraction."""
TRIAL_BYTES = 1 << 17
"""Bytes of each branch's first basket the codec is tried on (128 kB: 16,384 float64)."""


@dataclass(frozen=True)
class SinkSpec:
    """What a sink needs to know about the file it writes.

    Attributes
    ----------
    path : pathlib.Path
        The target file (temporary files go beside it).
    buffer_events : int
        Events per write.
    size_hint : int or None
        Expected number of events.
    n_events : int or None
        The exact number of events, when known in advance (HDF5 datasets get it at once).
    n_written : int
        Events already in the file (a resumed file).
    rntuple : bool
        ROOT: an RNTuple instead of a TTree.
    """

    path: Path
    buffer_events: int
    size_hint: int | None = None
    n_events: int | None = None
    n_written: int = 0
    rntuple: bool = False


def _root_compression(codec):
    import uproot

    name, level = codec
    if name == "none":
        return None
    cls = {"lz4": uproot.LZ4, "zstd": uproot.ZSTD, "zlib": uproot.ZLIB, "lzma": uproot.LZMA}
    return cls[name](1 if level is None else level)


class RootSink:
    def __init__(self, tmp, dtype, codec, size, spec):
        import uproot

        keep_freed_heap()
        self._dtype = dtype
        # create, not recreate: truncating a file (even an empty one) makes ext4
        # write the whole file out when it is closed (~0.3 s per GB)
        self._file = uproot.create(tmp, compression=_root_compression(codec))
        types = {n: dtype[n] for n in dtype.names}
        self._decided = spec.rntuple  # (uproot compresses an RNTuple as a whole)
        if spec.rntuple:
            self._tree = self._file.mkrntuple("events", types, "nusource events")
        else:
            baskets = (spec.size_hint or 0) // spec.buffer_events + 2
            self._tree = self._file.mktree(
                "events",
                types,
                "nusource events (units: TObjString 'units')",
                initial_basket_capacity=max(16, baskets),
                resize_factor=4.0,
            )
        # The strings known now are written now, while the file is small: the first
        # TObjString also records its class's streamer, which uproot damages when it
        # writes it past ~2.2 GB (ROOT then reads every string of the file as empty).
        units, descriptions = field_text(dtype)
        self._file["units"] = units
        self._file["descriptions"] = descriptions

    @classmethod
    def reopen(cls, tmp, dtype, codec, spec):
        """Continue an interrupted file's ``events`` TTree after its ``spec.n_written`` entries.

        The tree must hold at least those entries, ending a basket there, and the
        run's fields; ValueError otherwise.  A longer tree is cut back (see
        :func:`_shorten_tree`).  Its baskets stay where they are: a resume
        writes only the events still to make.
        """
        import uproot

        if spec.rntuple:
            raise ValueError("an RNTuple cannot be continued")
        keep_freed_heap()
        self = cls.__new__(cls)
        self._dtype = dtype
        self._decided = False
        self._file = uproot.update(tmp)
        try:
            if "events" not in self._file:
                raise ValueError("it has no 'events' tree")
            tree = self._file["events"]
            if not isinstance(tree, uproot.writing.writable.WritableTree):
                raise ValueError("its 'events' is not a TTree")
            have = {d["fName"]: d["dtype"] for d in tree._cascading._branch_data}
            native = {k: np.dtype(v).newbyteorder("=") for k, v in have.items()}
            if native != {n: dtype[n].newbyteorder("=") for n in dtype.names}:
                raise ValueError(f"its branches {sorted(have)} are not {list(dtype.names)}")
            entries = tree.num_entries
            if entries < spec.n_written:
                raise ValueError(f"its tree holds {entries} events, fewer than {spec.n_written}")
            _let_grow_past_2gb(self._file)
            self._file.compression = _root_compression(codec)
            self._tree = tree
            _shorten_tree(tree, spec.n_written, self._file._cascading.freesegments)
            if spec.n_written:
                self._decide_as_before()
        except BaseException:
            self._file.close()
            raise
        return self

    def write(self, columns, n):
        if not n:
            return
        if not self._decided:
            self._skip_incompressible(columns)
        self._tree.extend(columns)

    def _skip_incompressible(self, columns):
        """Branches whose first basket the codec shrinks by less than
        :data:`MIN_ROOT_GAIN` are written uncompressed from then on (tried on
        the basket's first :data:`TRIAL_BYTES`: a tenth of the cost of the whole).

        Most float fields of random quantities do not shrink at all (uproot then
        stores the basket uncompressed anyway); compressing them in vain costs
        ~0.1 µs per event, about a fifth of the time a ROOT event takes.
        """
        import uproot

        self._decided = True
        comp = self._file.compression
        if comp is None:
            return
        decision = {}
        for k, v in columns.items():
            v = np.ascontiguousarray(v)
            trial = v[: max(1, TRIAL_BYTES // max(v.itemsize, 1))].view(np.uint8).data
            shrunk = len(uproot.compression.compress(trial, comp))
            decision[k] = comp if shrunk < (1 - MIN_ROOT_GAIN) * trial.nbytes else None
        self._tree.compression = decision

    def _decide_as_before(self):
        """A reopened tree's branches go on as they were written: compressed if their
        baskets so far are (uproot stores a basket that does not shrink uncompressed)."""
        comp = self._file.compression
        self._tree.compression = {
            d["fName"]: comp if comp is not None and d["fZipBytes"] < d["fTotBytes"] else None
            for d in self._tree._cascading._branch_data
        }
        self._decided = True

    def sync(self):
        pass  # uproot writes each basket and the tree's new length through to the file

    def finish(self, text, metadata):
        self._file["metadata"] = text
        scalars = run_scalars(metadata)
        if scalars:
            run = self._file.mktree(
                "run", {k: v.dtype for k, v in scalars.items()}, "run metadata (one entry)"
            )
            run.extend({k: np.array([v]) for k, v in scalars.items()})

    def close(self):
        self._file.close()

    def discard(self):
        pass


def _shorten_tree(tree, n: int, freesegments) -> None:
    """Cut a TTree reopened by ``uproot.update`` back to its first n entries.

    n must end a basket of every branch (a writer's checkpoint does).  The
    baskets after it are dropped from the tree's records and their bytes
    marked free, so that the next baskets take their place; the tree's byte
    counts lose theirs.  uproot itself cannot shorten a tree: this edits its
    record of the tree (uproot 5.7's ``_cascadetree.Tree``) before the first
    new basket, which writes that record anew.  ValueError, with nothing
    changed, if the tree is not laid out as expected.
    """
    import uproot

    casc = tree._cascading
    nb, total = casc._num_baskets, casc._num_entries
    if total == n:
        return
    data = [d for d in casc._branch_data if d["kind"] != "record"]
    if casc._has_divergent_baskets or casc._has_unsupported_branches or not data:
        raise ValueError("its tree's baskets are not those of one writer")
    cut = set()
    for d in data:
        entries = np.asarray(d["fBasketEntry"][: nb + 1])
        if entries[-1] != total or d["kind"] != "normal" or d["shape"] != ():
            raise ValueError(f"its branch {d['fName']!r} is not laid out as written")
        cut.update(np.flatnonzero(entries == n).tolist())
    if len(cut) != 1:
        raise ValueError(f"no basket of its tree ends at event {n}")
    (j,) = cut
    title = uproot.serialization.string(casc._name)
    basket = uproot.serialization.string("TBasket")
    tot_removed = zip_removed = 0
    segments = []
    for d in data:
        keylen = (
            uproot.reading._key_format_big.size
            + len(basket)
            + len(uproot.serialization.string(d["fName"]))
            + len(title)
            + uproot.models.TBasket._tbasket_format2.size
            + 1
        )
        sizes = np.asarray(d["fBasketBytes"][j:nb], dtype=np.int64)
        counts = np.diff(np.asarray(d["fBasketEntry"][j : nb + 1], dtype=np.int64))
        tot = int((keylen + counts * d["dtype"].itemsize).sum())
        d["fTotBytes"] -= tot
        d["fZipBytes"] -= int(sizes.sum())
        tot_removed += tot
        zip_removed += int(sizes.sum())
        seeks = np.asarray(d["fBasketSeek"][j:nb], dtype=np.int64)
        segments.extend(zip(seeks.tolist(), (seeks + sizes).tolist(), strict=True))
        d["fBasketBytes"][j:] = 0
        d["fBasketSeek"][j:] = 0
        d["fBasketEntry"][j + 1 :] = 0
        d["arrays_write_start"] = d["arrays_write_stop"] = j
    casc._num_baskets, casc._num_entries = j, n
    casc._metadata["fTotBytes"] -= tot_removed
    casc._metadata["fZipBytes"] -= zip_removed
    for start, stop in sorted(segments):
        freesegments.release(start, stop)


def _let_grow_past_2gb(file) -> None:
    """Let a reopened ROOT file grow past 2 GB.

    uproot reads the key of the free-segments record with the pointer size it
    had on disk and keeps it; a file reopened below 2 GB then fails (struct
    error) when the record moves past 2 GB.  Forgetting the stored size lets
    uproot choose it from the record's place, as it does in a new file.
    ValueError if this uproot does not have that record where expected.
    """
    key = getattr(getattr(file._cascading, "freesegments", None), "_key", None)
    if key is None or not hasattr(key, "_big"):
        raise ValueError("this uproot version cannot grow a reopened file safely")
    key._big = None


class Hdf5Sink:
    """One 1-d dataset per field.  Of unknown length: chunked and resized per write.
    Of known length (``n_events``): created at that length; uncompressed ones are
    contiguous and allocated at once (no fill), so every event has a fixed place
    in the file and an interrupted file is continued in place."""

    def __init__(self, tmp, dtype, codec, size, spec):
        import h5py

        name, level = codec
        opts = {}
        if name != "none":
            opts = {"compression": name, "shuffle": True}
            if level is not None:
                opts["compression_opts"] = level
        fixed = spec.n_events
        chunk = max(1, min(size, spec.buffer_events, HDF5_CHUNK_EVENTS))
        if fixed is not None:
            chunk = max(1, min(fixed, chunk))
        self._file = h5py.File(tmp, "w", **_chunk_cache(codec))
        group = self._file.create_group("events", track_order=True)
        self._sets = []
        for field in dtype.names:
            if fixed is None:
                shape = {"shape": (0,), "maxshape": (None,), "chunks": (chunk,), **opts}
            elif opts and fixed:
                shape = {"shape": (fixed,), "chunks": (chunk,), **opts}
            else:
                shape = {"shape": (fixed,), "dcpl": _contiguous_now()}
            d = group.create_dataset(field, dtype=dtype[field], **shape)
            d.attrs["unit"] = UNITS[field]
            d.attrs["description"] = DESCRIPTIONS[field]
            self._sets.append((field, d))
        self._fixed = fixed is not None
        self._n = 0
        self._whole_chunks(codec)
        if self._fixed:
            self._file.flush()  # the layout is on disk before any event

    @classmethod
    def reopen(cls, tmp, dtype, codec, spec):
        import h5py

        self = cls.__new__(cls)
        self._file = h5py.File(tmp, "r+", **_chunk_cache(codec))
        try:
            group = self._file["events"]
            if list(group) != list(dtype.names):
                raise ValueError(f"its fields {list(group)} are not {list(dtype.names)}")
            self._sets = [(field, group[field]) for field in dtype.names]
            lengths = {d.shape[0] for _, d in self._sets}
            growing = {d.maxshape[0] for _, d in self._sets} == {None}
            if spec.n_events is None:
                # grown write by write: cut back to the events written before the interruption
                if not growing or min(lengths) < spec.n_written:
                    raise ValueError(
                        f"its datasets (lengths {sorted(lengths)}) do not hold the "
                        f"{spec.n_written} events written"
                    )
                for _, d in self._sets:
                    d.resize((spec.n_written,))
            elif lengths != {spec.n_events}:
                raise ValueError(
                    f"its datasets have lengths {sorted(lengths)}, not the run's {spec.n_events}"
                )
        except BaseException:
            self._file.close()
            raise
        self._fixed = spec.n_events is not None
        self._n = spec.n_written
        self._whole_chunks(codec)
        return self

    def _whole_chunks(self, codec):
        """Uncompressed, growing datasets: whole chunks go to the file as they are
        (``H5Dwrite_chunk``: one copy, ~0.15 s per 0.7 GB where HDF5's own write of the
        same events, cut into checkpoints, takes 0.23 s); the last, partial chunk of
        each dataset is held here and written whole at every sync, and again when it
        is complete.  Its rows past the events are zeros."""
        chunks = {d.chunks for _, d in self._sets}
        self._tails = None
        if codec[0] != "none" or self._fixed or len(chunks) != 1 or None in chunks:
            return
        self._c = chunks.pop()[0]
        self._tails = {field: np.zeros(self._c, d.dtype) for field, d in self._sets}
        held = self._n % self._c
        if held:  # (a resumed file: its last chunk's events)
            for field, d in self._sets:
                d.read_direct(self._tails[field], np.s_[self._n - held : self._n], np.s_[:held])

    def write(self, columns, n):
        at = self._n
        for field, d in self._sets:
            if not self._fixed:
                d.resize((at + n,))
            if not n:
                continue
            if self._tails is None:
                d.write_direct(columns[field], dest_sel=np.s_[at : at + n])
            else:
                self._write_chunks(d, self._tails[field], columns[field][:n], at)
        self._n += n

    def _write_chunks(self, d, tail, col, at):
        """Events ``col`` from event ``at`` on: whole chunks written, the rest held."""
        c, n = self._c, len(col)
        held = at % c
        start, pos = at - held, 0
        if held:
            pos = min(c - held, n)
            tail[held : held + pos] = col[:pos]
            if held + pos < c:
                return
            d.id.write_direct_chunk((start,), tail)
            start += c
        while n - pos >= c:
            d.id.write_direct_chunk((start,), np.ascontiguousarray(col[pos : pos + c]))
            pos += c
            start += c
        tail[: n - pos] = col[pos:]

    def _write_tails(self):
        held = self._n % self._c if self._tails is not None else 0
        if held:
            for field, d in self._sets:
                tail = self._tails[field]
                tail[held:] = 0
                d.id.write_direct_chunk((self._n - held,), tail)

    def sync(self):
        self._write_tails()
        self._file.flush()

    def finish(self, text, metadata):
        self._write_tails()
        self._file.attrs["metadata"] = text
        for key, value in run_scalars(metadata).items():
            self._file.attrs[key] = value

    def close(self):
        if self._file.id.valid:
            self._file.close()

    def discard(self):
        pass


def _chunk_cache(codec) -> dict:
    """h5py.File options of a file being written: without a codec, no chunk cache.

    Uncompressed chunks then go from the write buffers to the file in one copy; through
    the cache (1 MB per dataset) they are copied twice, into it and at each checkpoint's
    flush (0.32 against 0.22 s per 0.7 GB).  A compressed chunk keeps the cache, to be
    compressed once, whole.
    """
    return {"rdcc_nbytes": 0} if codec[0] == "none" else {}


def _contiguous_now():
    """Dataset creation properties: storage allocated at creation, never filled."""
    import h5py

    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    dcpl.set_fill_time(h5py.h5d.FILL_TIME_NEVER)
    return dcpl


class NpzSink:
    """Records go to a spill file beside the target; close() wraps them in the zip."""

    def __init__(self, tmp, dtype, codec, size, spec):
        self._tmp = tmp
        self._dtype = dtype
        self._deflate = codec[0] == "zip"
        self._spill_name = temp_beside(spec.path)
        self._spill = open(self._spill_name, "wb")  # closed in finish() or close()
        self._records = np.empty(spec.buffer_events, dtype)
        self._n = 0

    def sync(self):
        self._spill.flush()

    def write(self, columns, n):
        rec = self._records[:n]
        for field, col in columns.items():
            rec[field] = col
        rec.tofile(self._spill)
        self._n += n

    def finish(self, text, metadata):
        self._spill.close()
        self._records = None
        units, descriptions = field_text(self._dtype)
        method = zipfile.ZIP_DEFLATED if self._deflate else zipfile.ZIP_STORED
        header = {
            "descr": np.lib.format.dtype_to_descr(self._dtype),
            "fortran_order": False,
            "shape": (self._n,),
        }
        with zipfile.ZipFile(self._tmp, "w", compression=method, allowZip64=True) as z:
            with z.open("events.npy", "w", force_zip64=True) as m:
                np.lib.format.write_array_header_2_0(m, header)
                with open(self._spill_name, "rb") as spill:
                    shutil.copyfileobj(spill, m, 1 << 24)
            for key, value in (
                ("metadata", text),
                ("units", units),
                ("descriptions", descriptions),
            ):
                with z.open(f"{key}.npy", "w") as m:
                    np.lib.format.write_array(m, np.array(value), allow_pickle=False)
        Path(self._spill_name).unlink()

    def close(self):
        self._spill.close()

    def discard(self):
        Path(self._spill_name).unlink(missing_ok=True)


SINKS = {"root": RootSink, "hdf5": Hdf5Sink, "npz": NpzSink}
RESUMABLE = ("hdf5", "root")
"""Formats whose interrupted ``partial`` files :meth:`EventWriter.resume` continues."""
