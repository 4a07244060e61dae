"""Event file writers: ROOT, HDF5 and npz, chosen by the file's extension.

Layouts (the same columns, one per field of the event dtype, in every format):

``.root`` (uproot)
    TTree ``events``: one flat branch per field, named as the field
    (``events->Draw("te", "flags == 0")``).  TObjString ``metadata``: the run
    metadata as JSON text.  TObjStrings ``units`` and ``descriptions``: JSON
    objects field → unit / description.  TTree ``run``, one entry: the numeric
    items of :data:`RUN_SCALARS` present in the metadata.  No dictionaries are
    needed to read any of them.  ``rntuple=True`` writes ``events`` as an
    RNTuple instead (readable by ROOT ≥ 6.34 only).
``.h5`` / ``.hdf5`` (h5py)
    Group ``events``: one chunked 1-d dataset per field with attributes
    ``unit`` and ``description``.  File attributes: ``metadata`` (JSON) and the
    items of :data:`RUN_SCALARS` present in the metadata.
``.npz`` (numpy)
    ``events``: the structured array; ``metadata``, ``units``,
    ``descriptions``: JSON text (0-d unicode arrays, loadable without pickle).

Every write is atomic: the data go to a hidden temporary file beside the
target (``.NAME.XXXXXXXX.part``) and are renamed into place only when complete.
An exception or KeyboardInterrupt leaves neither the target nor the temporary
file; only a killed process (SIGKILL, power cut) can leave a ``.part`` file,
never a partial target.  An existing target is not overwritten unless asked.

Speed: columns of a structured array are strided; each is copied once, in
cache-sized blocks, into a reused contiguous buffer in the byte order the
format stores (big-endian for ROOT), so uproot and h5py write them without a
further conversion.  A buffer of ``buffer_events`` events is written per call
(one ROOT basket per branch, a whole number of HDF5 chunks).
"""

import ctypes
import functools
import json
import os
import secrets
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np

from nusource.generator.events import DESCRIPTIONS, EVENT_DTYPE, TRUTH_DTYPE, UNITS

FORMATS = {".root": "root", ".h5": "hdf5", ".hdf5": "hdf5", ".npz": "npz"}
"""File extension → format."""

COMPRESSIONS = {
    "root": ("lz4", "zstd", "zlib", "lzma", "none"),
    "hdf5": ("none", "gzip", "lzf"),
    "npz": ("none", "zip"),
}
"""Compression names per format; the first is the default.  ``NAME:LEVEL`` sets a level."""

RUN_SCALARS = ("seed", "n_events", "expected_events", "gen_norm", "exposure", "exposure_per_cm2")
"""Metadata items also stored as plain numbers (ROOT ``run`` tree, HDF5 file attributes)."""

BUFFER_EVENTS = 1 << 17
"""Default events per write: 1 MiB per float64 branch, 512 kiB per 4-byte one."""

HDF5_CHUNK_EVENTS = 1 << 16
"""Largest HDF5 chunk, in events (512 kiB per float64 dataset)."""

MIN_ROOT_GAIN = 0.10
"""A ROOT branch is compressed if its first basket shrinks by at least this fraction."""

_BLOCK = 4096  # events per cache-sized block of the column copy (4096 × 280 B ≈ 1.1 MB)


def format_of(path) -> str:
    """The format of an event file from its extension.

    Parameters
    ----------
    path : str or os.PathLike
        File name.

    Returns
    -------
    str
        ``'root'``, ``'hdf5'`` or ``'npz'``.

    Raises
    ------
    ValueError
        Naming the file and the allowed extensions.
    """
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise ValueError(f"'{path}' has extension '{ext}'; allowed: {', '.join(sorted(FORMATS))}")
    return FORMATS[ext]


def check_output(path, *, overwrite: bool = False) -> str:
    """Check an output name before any work: known extension, directory, no file in the way.

    Parameters
    ----------
    path : str or os.PathLike
        The output file.
    overwrite : bool
        Whether an existing file may be replaced.

    Returns
    -------
    str
        The format (see :func:`format_of`).

    Raises
    ------
    ValueError
        Unknown extension.
    FileNotFoundError
        The directory does not exist.
    FileExistsError
        The file exists and ``overwrite`` is false.
    """
    fmt = format_of(path)
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"output '{path}': directory '{parent}' does not exist")
    if path.exists() and not overwrite:
        raise FileExistsError(
            f"output '{path}' exists; remove it or pass overwrite=True (--overwrite)"
        )
    return fmt


def metadata_json(metadata: dict) -> str:
    """Metadata as JSON text (sorted keys); numpy scalars and arrays become plain values.

    Raises
    ------
    TypeError
        Naming the item (e.g. ``metadata['source']['x']``) that is not JSON-serialisable.
    """
    if not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict, not {type(metadata).__name__}")
    return json.dumps(_jsonable(metadata, "metadata"), sort_keys=True)


def _jsonable(obj, where):
    if isinstance(obj, dict):
        return {_key(k, where): _jsonable(v, f"{where}[{k!r}]") for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist(), where)
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, str | bool | int | float):
        return obj
    raise TypeError(f"{where}: a {type(obj).__name__} is not JSON-serialisable")


def _key(k, where):
    if isinstance(k, np.generic):
        k = k.item()
    if not isinstance(k, str | int | float | bool):
        raise TypeError(f"{where}: key {k!r} is not a string")
    return k


def check_event_dtype(dtype) -> np.dtype:
    """Check that a dtype holds only fields of the event dtype, with their types.

    Parameters
    ----------
    dtype : numpy.dtype
        A structured dtype (``TRUTH_DTYPE``, ``EVENT_DTYPE`` or a subset of its fields).

    Returns
    -------
    numpy.dtype
        The packed dtype with the same fields, in the same order, native byte order.

    Raises
    ------
    ValueError
        Naming the unknown field or the field of the wrong type.
    """
    dtype = np.dtype(dtype)
    if dtype.names is None or not dtype.names:
        raise ValueError(f"events must be a structured array of event fields, not {dtype}")
    for name in dtype.names:
        if name not in EVENT_DTYPE.names:
            raise ValueError(
                f"field '{name}' is not an event field (see nusource.generator.events)"
            )
        want = EVENT_DTYPE[name]
        if dtype[name].newbyteorder("=") != want:
            raise ValueError(f"field '{name}' has type {dtype[name]}; the event dtype has {want}")
    return np.dtype([(n, EVENT_DTYPE[n]) for n in dtype.names])


def write_events(
    path,
    events: np.ndarray,
    metadata: dict,
    *,
    compression: str | None = None,
    overwrite: bool = False,
    rntuple: bool = False,
) -> Path:
    """Write an event array and its metadata to one file, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; the format follows the extension (``.root``, ``.h5``,
        ``.hdf5``, ``.npz``).
    events : numpy.ndarray
        Structured array of event fields (see :func:`check_event_dtype`); may be empty.
    metadata : dict
        JSON-serialisable run metadata (numpy scalars and arrays are converted).
    compression : str, optional
        One of :data:`COMPRESSIONS` for the format (default: its first entry).
    overwrite : bool
        Replace an existing file (default: raise FileExistsError).
    rntuple : bool
        ROOT only: write ``events`` as an RNTuple (ROOT ≥ 6.34) instead of a TTree.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    events = np.asarray(events)
    with EventWriter(
        path,
        metadata,
        compression=compression,
        dtype=events.dtype,
        overwrite=overwrite,
        rntuple=rntuple,
        n_events=len(events),
    ) as w:
        w.append(events)
    return w.path


class EventWriter:
    """Stream event chunks into one file; the file appears only on a clean close.

    Use as a context manager::

        with EventWriter("run.root", metadata) as w:
            for chunk in chunks:
                w.append(chunk)

    Chunks are copied into contiguous per-field buffers of ``buffer_events``
    events and written when a buffer is full, so each write carries
    ``buffer_events × itemsize`` bytes per branch whatever the chunk sizes.
    Leaving the ``with`` block by an exception (including KeyboardInterrupt)
    removes the temporary file and leaves no target.

    Parameters
    ----------
    path : str or os.PathLike
        Output file (format by extension, see :func:`format_of`).
    metadata : dict
        JSON-serialisable run metadata.  It is checked now and written at
        :meth:`close`, so items known only at the end (e.g. counts) may be
        added to :attr:`metadata` until then.
    compression : str, optional
        One of :data:`COMPRESSIONS` for the format, optionally ``NAME:LEVEL``.
        Defaults: ROOT ``'lz4'`` (level 1), HDF5 and npz ``'none'``.
    buffer_events : int
        Events per write (default :data:`BUFFER_EVENTS`); keep
        ``buffer_events × 4 B ≥ 100 kB`` for ROOT.
    dtype : numpy.dtype, optional
        The event fields; by default those of the first appended array
        (``TRUTH_DTYPE`` if nothing is appended).
    overwrite : bool
        Replace an existing file (default: raise FileExistsError at once).
    rntuple : bool
        ROOT only: write ``events`` as an RNTuple instead of a TTree.
    size_hint : int, optional
        Expected number of events (sizes the buffers, the ROOT basket index and
        small HDF5 chunks).
    n_events : int, optional
        The exact number of events the file will hold, when known in advance:
        HDF5 datasets then get their final length at once (uncompressed ones
        are contiguous and allocated up front, so an interrupted file can be
        continued in place), and :meth:`close` checks the count.
    partial : str or os.PathLike, optional
        Write into this file instead of a hidden temporary one, and keep it if
        the writer is interrupted: everything up to the last
        :meth:`checkpoint` is in it (readers open it; :meth:`resume` continues
        an HDF5 one).

    Attributes
    ----------
    path : pathlib.Path
        The target file.
    format : str
        ``'root'``, ``'hdf5'`` or ``'npz'``.
    metadata : dict
        Written at :meth:`close`.
    n_written : int
        Events appended so far (buffered ones included).
    """

    def __init__(
        self,
        path,
        metadata: dict,
        *,
        compression: str | None = None,
        buffer_events: int = BUFFER_EVENTS,
        dtype=None,
        overwrite: bool = False,
        rntuple: bool = False,
        size_hint: int | None = None,
        n_events: int | None = None,
        partial=None,
    ):
        self.path = Path(path)
        self.format = check_output(self.path, overwrite=overwrite)
        self._codec = _codec(self.format, compression)
        if rntuple and self.format != "root":
            raise ValueError(f"output '{path}': rntuple=True needs a .root file")
        if int(buffer_events) < 1:
            raise ValueError(f"buffer_events must be ≥ 1, not {buffer_events}")
        metadata_json(metadata)
        self.metadata = metadata
        self.n_written = 0
        self._overwrite = overwrite
        self._rntuple = rntuple
        if n_events is not None and int(n_events) < 0:
            raise ValueError(f"n_events must be ≥ 0, not {n_events}")
        self._n_events = None if n_events is None else int(n_events)
        size_hint = self._n_events if size_hint is None else size_hint
        self._size_hint = size_hint
        # A file of known small size needs no larger buffer than itself.
        self._buffer_events = min(int(buffer_events), max(1, size_hint or int(buffer_events)))
        self._dtype = None
        self._columns = None
        self._fill = 0
        self._sink = None
        if dtype is not None:
            self._set_dtype(dtype)
        self._keep_partial = partial is not None
        if partial is not None:
            Path(partial).unlink(missing_ok=True)  # (not truncated: see _temp_beside)
        # last: nothing above may leave it behind
        self._tmp = str(partial) if partial is not None else _temp_beside(self.path)
        self._closed = False

    @classmethod
    def resume(cls, path, partial, metadata: dict, *, n_written: int, dtype,
               compression=None, buffer_events: int = BUFFER_EVENTS, overwrite=False,
               n_events=None) -> "EventWriter":  # fmt: skip
        """Continue the ``partial`` file of an interrupted writer after its first n_written events.

        Parameters are those of the interrupted writer.  HDF5 files are
        continued in place, from event ``n_written`` on (those made without
        ``n_events`` are first cut back to n_written events).  ROOT
        files are not reopened (uproot cannot safely grow a reopened file past
        2 GB, nor shorten a tree): copy their events into a new writer instead;
        npz files cannot be continued.

        Raises
        ------
        ValueError
            The file cannot be continued (format, fields, length, or unreadable);
            the message says why.
        """
        w = cls(path, metadata, compression=compression, buffer_events=buffer_events,
                dtype=dtype, overwrite=overwrite, n_events=n_events)  # fmt: skip
        # (the constructor only named a temporary file; the partial one is used instead)
        w._tmp, w._keep_partial, w.n_written = str(partial), True, int(n_written)
        try:
            if w.format not in _RESUMABLE:
                raise ValueError(f"'{partial}': {w.format} files cannot be continued")
            try:
                w._sink = _SINKS[w.format].reopen(w._tmp, w._dtype, w._codec, w)
            except Exception as err:  # a damaged file fails in many ways in uproot or h5py
                raise ValueError(f"'{partial}' cannot be continued: {err!r}") from err
        except BaseException:
            w._closed = True
            raise
        return w

    @property
    def dtype(self) -> np.dtype | None:
        """The event fields written (None until fixed by ``dtype`` or the first append)."""
        return self._dtype

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False

    def __del__(self):
        # A writer dropped without close() is incomplete: leave no temporary file.
        if not getattr(self, "_closed", True):
            try:
                self.abort()
            except Exception:
                pass

    def append(self, events: np.ndarray) -> None:
        """Add events (a structured array with exactly the writer's fields, in any order)."""
        events = np.asarray(events)
        self._accept(events.dtype)
        self._feed(len(events), lambda a, b, at: _copy_columns(events[a:b], self._columns, at))

    def append_columns(self, columns, n: int | None = None) -> None:
        """Add events given as one 1-d array per field (e.g. reused contiguous buffers).

        Parameters
        ----------
        columns : mapping of str to numpy.ndarray
            Exactly the writer's fields (see :func:`nusource.generator.events.empty_columns`).
        n : int, optional
            Use the first n rows (default: all).

        Skips building a structured array only to take it apart again: each
        column is copied once, contiguously, into the write buffer.
        """
        dtype = np.dtype([(k, np.asarray(v).dtype) for k, v in columns.items()])
        self._accept(dtype)
        lengths = {len(v) for v in columns.values()}
        if len(lengths) != 1 or (n is not None and n > min(lengths)):
            raise ValueError(f"'{self.path}': columns have lengths {sorted(lengths)}, need {n}")
        n = lengths.pop() if n is None else n

        def copy(a, b, at):
            for k, v in columns.items():
                self._columns[k][at : at + b - a] = v[a:b]

        self._feed(n, copy)

    def checkpoint(self) -> None:
        """Write the buffered events now and make the file hold every event appended so far.

        With ``partial``, an interruption after this loses nothing appended
        before it.  Each call ends a ROOT basket early, so call it per chunk of
        events, not per event.
        """
        if self._closed:
            raise ValueError(f"EventWriter for '{self.path}' is closed")
        if self._dtype is None:
            self._set_dtype(TRUTH_DTYPE)
        self._flush(final=False)
        self._sink.sync()

    def _accept(self, dtype):
        if self._closed:
            raise ValueError(f"EventWriter for '{self.path}' is closed")
        if self._dtype is None:
            self._set_dtype(dtype)
            return
        got, want = set(dtype.names or ()), set(self._dtype.names)
        if got != want:
            raise ValueError(
                f"'{self.path}': appended events lack fields {sorted(want - got)} "
                f"and have extra fields {sorted(got - want)}"
            )
        check_event_dtype(dtype)

    def _feed(self, n, copy):
        """Copy rows [0, n) into the buffers with copy(a, b, at), writing each full buffer."""
        start = 0
        while start < n:
            m = min(n - start, self._buffer_events - self._fill)
            copy(start, start + m, self._fill)
            self._fill += m
            start += m
            self.n_written += m
            if self._fill == self._buffer_events:
                self._flush(final=False)

    def close(self) -> None:
        """Write what is buffered and the metadata, then rename into place."""
        if self._closed:
            return
        try:
            if self._dtype is None:
                self._set_dtype(TRUTH_DTYPE)
            self._flush(final=True)
            if self._n_events is not None and self.n_written != self._n_events:
                raise ValueError(
                    f"'{self.path}': {self.n_written} events were written, "
                    f"{self._n_events} were announced (n_events)"
                )
            self._sink.finish(metadata_json(self.metadata), self.metadata)
            self._sink.close()
            if self.path.exists() and not self._overwrite:
                raise FileExistsError(
                    f"output '{self.path}' appeared while writing; "
                    "remove it or pass overwrite=True (--overwrite)"
                )
            os.replace(self._tmp, self.path)
            self._closed = True
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Stop without a target: remove the temporary file, or keep a ``partial``
        one as it was at the last :meth:`checkpoint` (buffered events are dropped)."""
        self._closed = True
        self._columns = None
        try:
            if self._sink is not None:
                self._sink.close()
        finally:
            if self._sink is not None:
                self._sink.discard()
            if not self._keep_partial:
                Path(self._tmp).unlink(missing_ok=True)

    def _set_dtype(self, dtype):
        self._dtype = check_event_dtype(dtype)
        # TTree baskets are big-endian: fill them so, and uproot converts nothing.
        order = ">" if self.format == "root" and not self._rntuple else "="
        self._columns = {
            name: np.empty(self._buffer_events, self._dtype[name].newbyteorder(order))
            for name in self._dtype.names
        }

    def _flush(self, *, final):
        m, self._fill = self._fill, 0
        if self._sink is None:
            # Created at the first write, when its size is known: a file
            # written in one go gets HDF5 chunks no larger than itself.
            first = m if final else max(m, self._size_hint or 0)
            self._sink = _SINKS[self.format](self._tmp, self._dtype, self._codec, first, self)
        if m:
            self._sink.write({k: c[:m] for k, c in self._columns.items()}, m)


def _copy_columns(events, columns, at):
    """Copy each field into its contiguous buffer, block by block so the records stay in cache."""
    names = events.dtype.names
    for b in range(0, len(events), _BLOCK):
        block = events[b : b + _BLOCK]
        lo, hi = at + b, at + b + len(block)
        for name in names:
            columns[name][lo:hi] = block[name]


def _temp_beside(path: Path) -> str:
    """A fresh, unused name for a hidden temporary file beside ``path``.

    The file is not created here: the writer creates it.  (Opening an existing
    file, even an empty one, with truncation makes ext4 write it out when it is
    closed, ~0.3 s per GB.)  The name carries the process id and a random token.
    """
    while True:
        tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.part"
        if not tmp.exists():
            return str(tmp)


def _codec(fmt, compression):
    """(name, level) for a format, from 'NAME' or 'NAME:LEVEL' (ValueError naming the choices)."""
    allowed = COMPRESSIONS[fmt]
    text = allowed[0] if compression is None else str(compression).lower()
    name, _, level = text.partition(":")
    if name not in allowed:
        raise ValueError(
            f"compression '{compression}' is not available for {fmt} files; "
            f"allowed: {', '.join(allowed)} (optionally NAME:LEVEL)"
        )
    if level and (not level.isdigit() or name in ("none", "lzf")):
        raise ValueError(f"compression '{compression}': bad level '{level}'")
    return name, int(level) if level else None


def _run_scalars(metadata):
    """The numeric items of RUN_SCALARS in the metadata, as numpy scalars."""
    out = {}
    for key in RUN_SCALARS:
        v = metadata.get(key)
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, bool) or not isinstance(v, int | float):
            continue
        if isinstance(v, float):
            out[key] = np.float64(v)
        elif -(2**63) <= v < 2**63:
            out[key] = np.int64(v)
        elif 0 <= v < 2**64:
            out[key] = np.uint64(v)
    return out


def _field_text(dtype):
    units = {n: UNITS[n] for n in dtype.names}
    descriptions = {n: DESCRIPTIONS[n] for n in dtype.names}
    return json.dumps(units), json.dumps(descriptions)


@functools.cache
def _keep_freed_heap() -> bool:
    """Let glibc keep freed heap memory for reuse (once per process; True if done).

    uproot allocates and frees a few MB per basket.  glibc returns freed memory at
    the top of the heap to the system (above 128 kB–32 MB, adjusted on the fly)
    and takes it back at the next basket; on virtual machines freshly mapped
    memory is slow to touch (~0.4 GB/s), which made ROOT writing ~1.5× slower
    with chunks of 2¹⁷ events.  Raising the two thresholds keeps up to 256 MB of
    freed memory in the heap.  Elsewhere (no glibc): nothing.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(mallopt(m_mmap_threshold, 32 << 20) and mallopt(m_trim_threshold, 256 << 20))


def _root_compression(codec):
    import uproot

    name, level = codec
    if name == "none":
        return None
    cls = {"lz4": uproot.LZ4, "zstd": uproot.ZSTD, "zlib": uproot.ZLIB, "lzma": uproot.LZMA}
    return cls[name](1 if level is None else level)


class _RootSink:
    def __init__(self, tmp, dtype, codec, size, writer):
        import uproot

        _keep_freed_heap()
        self._dtype = dtype
        # create, not recreate: truncating a file (even an empty one) makes ext4
        # write the whole file out when it is closed (~0.3 s per GB)
        self._file = uproot.create(tmp, compression=_root_compression(codec))
        types = {n: dtype[n] for n in dtype.names}
        self._decided = writer._rntuple  # (uproot compresses an RNTuple as a whole)
        if writer._rntuple:
            self._tree = self._file.mkrntuple("events", types, "nusource events")
        else:
            baskets = (writer._size_hint or 0) // writer._buffer_events + 2
            self._tree = self._file.mktree(
                "events",
                types,
                "nusource events (units: TObjString 'units')",
                initial_basket_capacity=max(16, baskets),
                resize_factor=4.0,
            )

    def write(self, columns, n):
        if not n:
            return
        if not self._decided:
            self._skip_incompressible(columns)
        self._tree.extend(columns)

    def _skip_incompressible(self, columns):
        """Branches whose first basket the codec shrinks by less than
        :data:`MIN_ROOT_GAIN` are written uncompressed from then on.

        Most float fields of random quantities do not shrink at all (uproot then
        stores the basket uncompressed anyway); compressing them in vain costs
        ~0.1 µs per event, about a fifth of the time a ROOT event takes.
        """
        import uproot

        self._decided = True
        comp = self._file.compression
        if comp is None:
            return
        raw = {k: np.ascontiguousarray(v).tobytes() for k, v in columns.items()}
        self._tree.compression = {
            k: comp if len(uproot.compression.compress(b, comp)) < (1 - MIN_ROOT_GAIN) * len(b)
            else None
            for k, b in raw.items()
        }  # fmt: skip

    def sync(self):
        pass  # uproot writes each basket and the tree's new length through to the file

    def finish(self, text, metadata):
        units, descriptions = _field_text(self._dtype)
        self._file["metadata"] = text
        self._file["units"] = units
        self._file["descriptions"] = descriptions
        scalars = _run_scalars(metadata)
        if scalars:
            run = self._file.mktree(
                "run", {k: v.dtype for k, v in scalars.items()}, "run metadata (one entry)"
            )
            run.extend({k: np.array([v]) for k, v in scalars.items()})

    def close(self):
        self._file.close()

    def discard(self):
        pass


class _Hdf5Sink:
    """One 1-d dataset per field.  Of unknown length: chunked and resized per write.
    Of known length (``n_events``): created at that length; uncompressed ones are
    contiguous and allocated at once (no fill), so every event has a fixed place
    in the file and an interrupted file is continued in place."""

    def __init__(self, tmp, dtype, codec, size, writer):
        import h5py

        name, level = codec
        opts = {}
        if name != "none":
            opts = {"compression": name, "shuffle": True}
            if level is not None:
                opts["compression_opts"] = level
        fixed = writer._n_events
        chunk = max(1, min(size, writer._buffer_events, HDF5_CHUNK_EVENTS))
        if fixed is not None:
            chunk = max(1, min(fixed, chunk))
        self._file = h5py.File(tmp, "w")
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
        if self._fixed:
            self._file.flush()  # the layout is on disk before any event

    @classmethod
    def reopen(cls, tmp, dtype, codec, writer):
        import h5py

        self = cls.__new__(cls)
        self._file = h5py.File(tmp, "r+")
        try:
            group = self._file["events"]
            if list(group) != list(dtype.names):
                raise ValueError(f"its fields {list(group)} are not {list(dtype.names)}")
            self._sets = [(field, group[field]) for field in dtype.names]
            lengths = {d.shape[0] for _, d in self._sets}
            growing = {d.maxshape[0] for _, d in self._sets} == {None}
            if writer._n_events is None:
                # grown write by write: cut back to the events written before the interruption
                if not growing or min(lengths) < writer.n_written:
                    raise ValueError(f"its datasets (lengths {sorted(lengths)}) do not hold the "
                                     f"{writer.n_written} events written")  # fmt: skip
                for _, d in self._sets:
                    d.resize((writer.n_written,))
            elif lengths != {writer._n_events}:
                raise ValueError(f"its datasets have lengths {sorted(lengths)}, "
                                 f"not the run's {writer._n_events}")  # fmt: skip
        except BaseException:
            self._file.close()
            raise
        self._fixed = writer._n_events is not None
        self._n = writer.n_written
        return self

    def write(self, columns, n):
        at = self._n
        for field, d in self._sets:
            if not self._fixed:
                d.resize((at + n,))
            if n:
                d.write_direct(columns[field], dest_sel=np.s_[at : at + n])
        self._n += n

    def sync(self):
        self._file.flush()

    def finish(self, text, metadata):
        self._file.attrs["metadata"] = text
        for key, value in _run_scalars(metadata).items():
            self._file.attrs[key] = value

    def close(self):
        if self._file.id.valid:
            self._file.close()

    def discard(self):
        pass


def _contiguous_now():
    """Dataset creation properties: storage allocated at creation, never filled."""
    import h5py

    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    dcpl.set_fill_time(h5py.h5d.FILL_TIME_NEVER)
    return dcpl


class _NpzSink:
    """Records go to a spill file beside the target; close() wraps them in the zip."""

    def __init__(self, tmp, dtype, codec, size, writer):
        self._tmp = tmp
        self._dtype = dtype
        self._deflate = codec[0] == "zip"
        self._spill_name = _temp_beside(writer.path)
        self._spill = open(self._spill_name, "wb")  # closed in finish() or close()
        self._records = np.empty(writer._buffer_events, dtype)
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
        units, descriptions = _field_text(self._dtype)
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


_SINKS = {"root": _RootSink, "hdf5": _Hdf5Sink, "npz": _NpzSink}
_RESUMABLE = ("hdf5",)
"""Formats whose interrupted ``partial`` files :meth:`EventWriter.resume` continues."""
