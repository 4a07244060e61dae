"""Event file readers: one file, a glob of chunk files or a list, in any of the three formats.

The files are those of :mod:`nusource.io.writer` (layouts described
there).  Every format gives the same numpy structured array for the same
events: fields of the event dtype in its order (``nusource.io.schema``),
native byte order.  Errors name the file.
"""

import functools
import glob
import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .formats import COMPRESSIONS, format_of
from .heap import keep_freed_heap
from .schema import EVENT_DTYPE, SLIM_DTYPE, UNITS

STEP_EVENTS = 1 << 18
"""Events per read in :func:`iter_events` (≈ 75 MB of EVENT_DTYPE)."""

_BLOCK = 4096  # events per cache-sized block when filling a structured array


@dataclass(frozen=True)
class EventSet:
    """Events read from one or more files.

    Attributes
    ----------
    events : numpy.ndarray
        Structured array, the files' events concatenated in the order of ``files``.
    metadata : list of dict
        The metadata of each file, in the order of ``files``.
    files : list of pathlib.Path
        The files read, sorted by name.
    rows : list of int
        Events read from each file.
    """

    events: np.ndarray
    metadata: list
    files: list
    rows: list | None = None

    @property
    def run(self) -> dict:
        """The files' metadata combined by the one rule of :mod:`.runs` (exposures add)."""
        from .runs import combine_runs

        return combine_runs(self.metadata, rows=self.rows, names=[str(f) for f in self.files])

    def __len__(self) -> int:
        return len(self.events)

    @property
    def units(self) -> dict:
        """Field → unit for the fields read."""
        return {n: UNITS.get(n, "") for n in self.events.dtype.names}


def expand_paths(paths) -> list[Path]:
    """Files named by a path, a glob pattern, or a list of either; sorted by name, no repeats.

    Raises
    ------
    FileNotFoundError
        Naming a missing file or a pattern that matches nothing.
    """
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    if not items:
        raise FileNotFoundError("no event files given")
    found = set()
    for item in items:
        text = os.fspath(item)
        if os.path.isdir(text):
            raise FileNotFoundError(
                f"'{text}' is a directory; give files or a pattern such as '{text}/*.root'"
            )
        if os.path.exists(text):
            found.add(text)
        elif glob.has_magic(text):
            matches = [m for m in glob.glob(text, recursive=True) if os.path.isfile(m)]
            if not matches:
                raise FileNotFoundError(f"no file matches '{text}'")
            found.update(matches)
        else:
            raise FileNotFoundError(missing_file(text))
    return [Path(p) for p in sorted(found)]


def missing_file(path) -> str:
    """Why an event file is not there: said plainly, and where its production's chunks
    are when they are all there is (an interrupted run, array jobs not yet assembled)."""
    text = os.fspath(path)
    chunks = text + ".chunks"
    held = ("chunk_*", "partial.*")  # (array jobs' chunk files; an interrupted run's events)
    if os.path.isdir(chunks) and any(
        glob.glob(os.path.join(glob.escape(chunks), pattern)) for pattern in held
    ):
        return (
            f"event file '{text}' does not exist, but '{chunks}' holds chunks of its "
            "production: an interrupted `simulate` finishes when started again with the same "
            f"command; array jobs' chunks are joined by `nusource simulate CARD -o {text} "
            "--assemble`"
        )
    return f"event file '{text}' does not exist"


def read_metadata(path, *, format: str | None = None) -> dict:
    """The run metadata (JSON) of one event file."""
    with _open(path, format) as f:
        return f.metadata()


def field_types(path, *, format: str | None = None) -> dict:
    """Field name → numpy dtype of the events in one file, in the event dtype's order."""
    with _open(path, format) as f:
        return _ordered(f.fields())


def count_events(path, *, format: str | None = None) -> int:
    """The number of events in one file (without reading them)."""
    with _open(path, format) as f:
        return f.n


def read_events(paths, *, fields=None, format: str | None = None) -> EventSet:
    """Read the events and metadata of one or more files.

    Parameters
    ----------
    paths : str, os.PathLike or list
        One file, a glob pattern (``"chunks/run_*.root"``), or a list of files
        and patterns.  The files are read in sorted order of their names
        (zero-pad chunk numbers) and each only once.
    fields : list of str, optional
        Fields to read, in this order (default: all fields in the files,
        in the event dtype's order).
    format : {'root', 'hdf5', 'npz'}, optional
        Read every file as this format instead of by extension.

    Returns
    -------
    EventSet

    Raises
    ------
    FileNotFoundError
        A missing file or a pattern matching nothing.
    ValueError
        An unknown extension, a field missing from a file, or (without
        ``fields``) files with different fields; the message names the files.
    """
    files = expand_paths(paths)
    dtype, counts, metadata = None, [], []
    first = None
    for path in files:
        with _open(path, format) as f:
            types = _ordered(f.fields())
            chosen = _select(types, fields, path)
            if dtype is None:
                dtype, first = chosen, path
            elif chosen != dtype:
                raise ValueError(_difference(first, dtype, path, chosen))
            counts.append(f.n)
            metadata.append(f.metadata())
    out = np.empty(sum(counts), np.dtype(list(dtype.items())))
    at = 0
    for path, n in zip(files, counts, strict=True):
        with _open(path, format) as f:
            for start in range(0, n, STEP_EVENTS):
                stop = min(start + STEP_EVENTS, n)
                f.read_into(out[at + start : at + stop], start, stop)
        at += n
    return EventSet(events=out, metadata=metadata, files=files, rows=counts)


def iter_events(
    path, *, fields=None, format: str | None = None, step_events: int = STEP_EVENTS
) -> Iterator[np.ndarray]:
    """Read one file in pieces of at most ``step_events`` events (memory flat in the file size).

    Yields
    ------
    numpy.ndarray
        Structured arrays with the chosen fields (see :func:`read_events`).
    """
    with _open(path, format) as f:
        types = _select(_ordered(f.fields()), fields, path)
        dtype = np.dtype(list(types.items()))
        for start, stop in f.pieces(0, f.n, step_events):
            out = np.empty(stop - start, dtype)
            f.read_into(out, start, stop)
            yield out


def iter_columns(
    path,
    *,
    fields=None,
    format: str | None = None,
    step_events: int = STEP_EVENTS,
    stop: int | None = None,
    edges=None,
) -> Iterator[dict]:
    """Read one file in pieces, as one 1-d array per field (no structured array is built).

    The cheapest way to stream events from file to file (e.g.
    ``EventWriter.append_columns``); arrays may be views of one piece's records.
    ``stop`` reads only the first ``stop`` events (ValueError if there are fewer).
    ``edges`` (increasing event numbers from 0, the last one the stop) makes no
    piece straddle one.  Pieces hold at most ``step_events`` events; in a ROOT
    file they end where baskets end (:meth:`_File.pieces`), so no basket is
    decompressed twice.

    Yields
    ------
    dict of str to numpy.ndarray
        The chosen fields (see :func:`read_events`), each of the piece's length.
    """
    with _open(path, format) as f:
        names = list(_select(_ordered(f.fields()), fields, path))
        if edges is None:
            edges = [0, f.n if stop is None else stop]
        if len(edges) < 2 or edges[0] != 0 or np.any(np.diff(edges) < 0):
            got = [int(e) for e in edges]
            raise ValueError(f"edges = {got}: must rise from 0 (at least two event numbers)")
        n = int(edges[-1])
        if n > f.n:
            raise ValueError(f"'{path}' holds {f.n} events, fewer than {n}")
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            for start, end in f.pieces(int(a), int(b), step_events):
                yield f.read_columns(names, start, end)


def _ordered(types: dict) -> dict:
    """Known fields in the event dtype's order, then any others in file order."""
    known = [n for n in EVENT_DTYPE.names if n in types]
    return {n: types[n] for n in known + [n for n in types if n not in EVENT_DTYPE.names]}


def _select(types, fields, path):
    if fields is None:
        return types
    missing = [f for f in fields if f not in types]
    if missing:
        hint = ""
        if set(types) <= set(SLIM_DTYPE.names):
            hint = " (a slim-schema file: simulate with --schema full for the truth fields)"
        raise ValueError(f"'{path}' has no field {', '.join(map(repr, missing))}{hint}")
    return {f: types[f] for f in fields}


def _difference(first, a, other, b):
    # (not dict.get: numpy takes dtype(None) for float64)
    only_a = [f"{k} ({a[k]})" for k in a if k not in b or b[k] != a[k]]
    only_b = [f"{k} ({b[k]})" for k in b if k not in a or a[k] != b[k]]
    return (
        f"event files have different fields: '{first}' has {only_a or 'no others'}, "
        f"'{other}' has {only_b or 'no others'}"
    )


def _open(path, format):
    path = Path(path)
    fmt = format if format is not None else format_of(path)
    if fmt not in COMPRESSIONS:
        raise ValueError(f"format '{fmt}' unknown; allowed: {', '.join(COMPRESSIONS)}")
    if not path.is_file():
        raise FileNotFoundError(missing_file(path))
    keep_freed_heap()  # (each piece read is fresh arrays of a few MB)
    return _READERS[fmt](path)


class _File:
    """One open file: fields(), n, metadata(), read_columns(names, start, stop)."""

    def __init__(self, path):
        self.path = path
        try:
            self._open()
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as err:
            self.close()
            raise ValueError(f"'{path}' is not a readable event file: {err}") from err

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def pieces(self, start: int, stop: int, step: int) -> Iterator[tuple[int, int]]:
        """Event ranges [a, b) covering [start, stop), each at most ``step`` long."""
        for a in range(start, stop, step):
            yield a, min(a + step, stop)

    def read_into(self, out, start, stop):
        """Fill a structured array with rows [start, stop), block by block (cache-friendly)."""
        columns = self.read_columns(list(out.dtype.names), start, stop)
        for b in range(0, stop - start, _BLOCK):
            block = out[b : b + _BLOCK]
            for name, column in columns.items():
                block[name] = column[b : b + _BLOCK]

    def _metadata_text(self, text):
        if text is None:
            raise ValueError(f"'{self.path}' has no run metadata")
        return json.loads(str(text))


class _RootFile(_File):
    def _open(self):
        import uproot

        self._f = None
        # a local file is read through a memory map: uproot's default (fsspec) hands every
        # basket request to an asyncio thread, which on one core costs ~3/4 of the read
        self._f = uproot.open(self.path, handler=uproot.source.file.MemmapSource)
        if "events" not in self._f:
            raise KeyError("no 'events' tree")
        self._t = self._f["events"]
        self.n = int(self._t.num_entries)

    def fields(self):
        empty = self._t.arrays(entry_stop=0, library="np")
        return {k: v.dtype for k, v in empty.items()}

    @functools.cached_property
    def _basket_edges(self) -> np.ndarray:
        """Entry numbers where every branch's baskets end (int64, from 0 to the last)."""
        return np.asarray(self._t.common_entry_offsets(), dtype=np.int64)

    def pieces(self, start, stop, step):
        """As :meth:`_File.pieces`, each ending where the tree's baskets end (all
        branches together) when a whole basket fits in ``step`` events: a piece that
        ended inside a basket would make its next piece decompress it again, which
        cost a quarter of a read of a production's file (one basket ends early at
        each of its checkpoints).  Baskets longer than ``step`` are read in steps."""
        edges, a = self._basket_edges, start
        while a < stop:
            i = int(np.searchsorted(edges, a + step, side="right")) - 1
            b = int(edges[i]) if i >= 0 and edges[i] > a else a + step
            b = min(b, stop)
            yield a, b
            a = b

    def metadata(self):
        """The run metadata; a file joined by ROOT's hadd holds one cycle per run: combined."""
        cycles = sorted(
            (k for k in self._f.keys(cycle=True, recursive=False) if k.split(";")[0] == "metadata"),
            key=lambda k: int(k.split(";")[1]),
        )
        if len(cycles) <= 1:
            return self._metadata_text(self._f["metadata"] if "metadata" in self._f else None)
        from .runs import combine_runs

        metas = [self._metadata_text(self._f[k]) for k in cycles]
        hashes = {(m.get("provenance") or {}).get("run_card_sha256") for m in metas}
        if len(hashes) > 1:
            raise ValueError(
                f"'{self.path}' joins runs of different run cards (a hadd of unrelated files); "
                "analyse them apart, or join them with nusource merge --allow-different-cards"
            )
        combined = combine_runs(metas, names=[f"{self.path} ({k})" for k in cycles])
        if combined["n_events"] != self.n:
            raise ValueError(
                f"'{self.path}': its {len(cycles)} metadata cycles (a file joined by hadd?) "
                f"describe {combined['n_events']} events, but its tree holds {self.n}"
            )
        return combined

    def read_columns(self, names, start, stop):
        arrays = self._t.arrays(names, entry_start=start, entry_stop=stop, library="np")
        return {name: arrays[name] for name in names}

    def close(self):
        if getattr(self, "_f", None) is not None:
            self._f.close()


class _Hdf5File(_File):
    def _open(self):
        import h5py

        self._f = None
        self._f = h5py.File(self.path, "r")
        self._g = self._f["events"]
        lengths = {d.shape[0] for d in self._g.values()}
        if len(lengths) > 1:
            raise ValueError(f"datasets in 'events' have different lengths {sorted(lengths)}")
        self.n = lengths.pop() if lengths else 0

    def fields(self):
        return {k: d.dtype for k, d in self._g.items()}

    def metadata(self):
        return self._metadata_text(self._f.attrs.get("metadata"))

    def read_columns(self, names, start, stop):
        return {name: self._g[name][start:stop] for name in names}

    def close(self):
        if getattr(self, "_f", None) is not None and self._f.id.valid:
            self._f.close()


class _NpzFile(_File):
    """Reads the 'events' member of the zip in pieces, without loading it whole."""

    def _open(self):
        self._z = None
        self._z = zipfile.ZipFile(self.path)
        self._m = self._z.open("events.npy")
        version = np.lib.format.read_magic(self._m)
        readers = {
            (1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0,
        }
        if version not in readers:
            raise ValueError(f"npy format version {version} is not supported")
        shape, fortran, dtype = readers[version](self._m)
        if fortran or len(shape) != 1 or dtype.names is None:
            raise ValueError("'events' is not a 1-d structured array")
        self.n, self._dtype = shape[0], dtype
        self._offset = self._pos = self._m.tell()

    def fields(self):
        return {k: self._dtype[k] for k in self._dtype.names}

    def metadata(self):
        if "metadata.npy" not in self._z.namelist():
            return self._metadata_text(None)
        with self._z.open("metadata.npy") as m:
            return self._metadata_text(np.lib.format.read_array(m, allow_pickle=False)[()])

    def read_columns(self, names, start, stop):
        size = self._dtype.itemsize
        offset = self._offset + start * size
        if offset != self._pos:  # reading in order never seeks (a deflated member cannot)
            self._m.seek(offset)
        raw = self._m.read((stop - start) * size)
        self._pos = offset + len(raw)
        records = np.frombuffer(raw, self._dtype)
        return {name: records[name] for name in names}

    def close(self):
        if getattr(self, "_z", None) is not None:
            self._z.close()


_READERS = {"root": _RootFile, "hdf5": _Hdf5File, "npz": _NpzFile}
