"""The event writer: streams columns into a ROOT, HDF5 or npz file, chosen by its extension.

The layouts of the formats are in :mod:`.formats`; the per-format code in :mod:`.sinks`.

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

import os
from pathlib import Path

import numpy as np

from .formats import (
    byte_order,
    check_event_dtype,
    check_output,
    codec,
    metadata_json,
    temp_beside,
)
from .schema import TRUTH_DTYPE
from .sinks import RESUMABLE, SINKS, SinkSpec

BUFFER_EVENTS = 1 << 17
"""Default events per write: 1 MiB per float64 branch, 512 kiB per 4-byte one."""

_BLOCK = 4096  # events per cache-sized block of the column copy (4096 × 280 B ≈ 1.1 MB)


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
        self._codec = codec(self.format, compression)
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
            Path(partial).unlink(missing_ok=True)  # (not truncated: see temp_beside)
        # last: nothing above may leave it behind
        self._tmp = str(partial) if partial is not None else temp_beside(self.path)
        self._closed = False

    @classmethod
    def resume(
        cls,
        path,
        partial,
        metadata: dict,
        *,
        n_written: int,
        dtype,
        compression=None,
        buffer_events: int = BUFFER_EVENTS,
        overwrite=False,
        n_events=None,
    ) -> "EventWriter":
        """Continue the ``partial`` file of an interrupted writer after its first n_written events.

        Parameters are those of the interrupted writer.  HDF5 files are
        continued in place, from event ``n_written`` on (those made without
        ``n_events`` are first cut back to n_written events).  A ROOT file's
        TTree is cut back to n_written events if longer (they must end a
        basket, as at a :meth:`checkpoint`) and extended in place; npz files
        cannot be continued.

        Raises
        ------
        ValueError
            The file cannot be continued (format, fields, length, or unreadable);
            the message says why.
        """
        w = cls(
            path,
            metadata,
            compression=compression,
            buffer_events=buffer_events,
            dtype=dtype,
            overwrite=overwrite,
            n_events=n_events,
        )
        # (the constructor only named a temporary file; the partial one is used instead)
        w._tmp, w._keep_partial, w.n_written = str(partial), True, int(n_written)
        try:
            if w.format not in RESUMABLE:
                raise ValueError(f"'{partial}': {w.format} files cannot be continued")
            try:
                w._sink = SINKS[w.format].reopen(w._tmp, w._dtype, w._codec, w._sink_spec())
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

    @property
    def byte_order(self) -> str:
        """The byte order of the fields in the file and in the write buffers: columns
        appended in it (and contiguous, in the stored types) are written without a copy."""
        return byte_order(self.format, self._rntuple)

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
            Exactly the writer's fields (see :func:`nusource.io.schema.empty_columns`).
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

        # columns already as the file stores them (type, byte order, contiguous) are
        # written as they are, a whole buffer at a time, without the copy
        same = all(
            isinstance(v, np.ndarray)
            and v.dtype == self._columns[k].dtype
            and v.strides[0] == v.itemsize
            for k, v in columns.items()
        )
        self._feed(
            n, copy, (lambda a, b: {k: v[a:b] for k, v in columns.items()}) if same else None
        )

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

    def _feed(self, n, copy, rows=None):
        """Copy rows [0, n) into the buffers with copy(a, b, at), writing each full buffer;
        with ``rows`` (rows(a, b): the columns' rows a to b), whole buffers' worth of rows
        met with empty buffers are written from there instead."""
        start = 0
        while start < n:
            if rows is not None and self._fill == 0 and n - start >= self._buffer_events:
                m = self._buffer_events
                self._write(rows(start, start + m), m, final=False)
                start += m
                self.n_written += m
                continue
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
        order = self.byte_order
        # One block for all fields: one allocation the kernel maps in large pages, where
        # a block per field costs a page fault per 4 kB (~0.02 s per 30 MB at the first fill).
        n = self._buffer_events
        stride = -(-n * max(t.itemsize for t, *_ in self._dtype.fields.values()) // 64) * 64
        block = np.empty(stride * len(self._dtype.names), np.uint8)  # (fields 64-byte aligned)
        self._columns = {
            name: block[i * stride : i * stride + n * self._dtype[name].itemsize].view(
                self._dtype[name].newbyteorder(order)
            )
            for i, name in enumerate(self._dtype.names)
        }

    def _sink_spec(self) -> SinkSpec:
        return SinkSpec(
            self.path,
            self._buffer_events,
            self._size_hint,
            self._n_events,
            self.n_written,
            self._rntuple,
        )

    def _flush(self, *, final):
        m, self._fill = self._fill, 0
        self._write({k: c[:m] for k, c in self._columns.items()}, m, final=final)

    def _write(self, columns, m, *, final):
        if self._sink is None:
            # Created at the first write, when its size is known: a file
            # written in one go gets HDF5 chunks no larger than itself.
            first = m if final else max(m, self._size_hint or 0)
            self._sink = SINKS[self.format](
                self._tmp, self._dtype, self._codec, first, self._sink_spec()
            )
        if m:
            self._sink.write(columns, m)


def _copy_columns(events, columns, at):
    """Copy each field into its contiguous buffer, block by block so the records stay in cache."""
    names = events.dtype.names
    for b in range(0, len(events), _BLOCK):
        block = events[b : b + _BLOCK]
        lo, hi = at + b, at + b + len(block)
        for name in names:
            columns[name][lo:hi] = block[name]
