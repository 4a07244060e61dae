"""A run's state directory ``OUTPUT.chunks/``: lock, progress record, partial output, resume."""

from __future__ import annotations

import json
import os
from contextlib import closing
from pathlib import Path

import numpy as np

from .chunks import ChunkDigest
from .plan import CHUNK_SUFFIX, Production

WRITE_EVENTS = 1 << 18
"""Events per write into the output (one ROOT basket per branch: 2 MiB of a float64 one).

uproot rewrites every branch's basket index at each write, ~2 ms of Python a write
whatever its size: 2¹⁷ events a write cost a slim LZ4 run 5–8 % of its time, 2¹⁸
half that; larger writes gain nothing more and hold more memory (2¹⁸ events of the
full schema: 72 MB)."""


def lock(directory: Path) -> int | None:
    """An exclusive lock on a run's state directory: one process writes an output.

    Returns the locked file's descriptor (None where file locks are not
    available); the lock goes when it is closed or the process ends.
    """
    import fcntl

    fd = os.open(directory / "lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ValueError(
            f"another process is writing this output (its state is in '{directory}'); "
            "wait for it to finish or stop it, then run the same command again"
        ) from None
    except OSError:  # a file system without locks
        os.close(fd)
        return None
    return fd


class State:
    """``OUTPUT.chunks/``: progress of the output and chunk files of parallel workers."""

    def __init__(self, prod: Production, *, overwrite: bool = False):
        self.prod = prod
        self.dir = prod.chunk_dir
        created = not self.dir.exists()
        self.dir.mkdir(exist_ok=True)
        try:
            self._lock = lock(self.dir)
        except BaseException:
            if created:
                self.tidy()
            raise
        self.progress = self.dir / "progress.json"
        self.partial = self.dir / f"partial{prod.output.suffix}"
        self.old = self.dir / f"partial.old{prod.output.suffix}"
        try:
            self._look(prod, overwrite)
        except BaseException:
            self.release()
            if created:
                self.tidy()
            raise

    def _look(self, prod: Production, overwrite: bool) -> None:
        from ..io.readers import read_metadata

        self.records = []
        foreign = []
        if self.progress.exists():
            try:
                saved = json.loads(self.progress.read_text())
                same = saved.get("run_key") == prod.run_key
            except (OSError, ValueError, AttributeError):
                saved, same = {}, True  # unreadable: its run cannot be told; start over
            if not same:
                foreign.append(self.progress)
            else:
                self.records = [tuple(r) for r in saved.get("chunks", [])]
        self.chunk_files = set()
        for path in sorted(self.dir.glob(f"chunk_*{CHUNK_SUFFIX}")):
            if read_metadata(path).get("run_key") == prod.run_key:
                self.chunk_files.add(int(path.stem.split("_")[1]))
            else:
                foreign.append(path)
        if foreign and not overwrite:
            raise ValueError(
                f"'{self.dir}' holds the state of another run (different card, seed, mode, "
                "chunk size or version); remove it, or run with --overwrite"
            )
        for path in foreign:
            path.unlink()
        if foreign and self.progress in foreign:
            self.partial.unlink(missing_ok=True)
            self.old.unlink(missing_ok=True)

    def record(self, n: int, digest: str) -> None:
        """Chunk len(records) is in the output, checkpointed: say so, atomically."""
        self.records.append((n, digest))
        tmp = self.progress.with_name(".progress.json.tmp")
        tmp.write_text(json.dumps({"run_key": self.prod.run_key, "chunks": self.records}))
        tmp.replace(self.progress)

    def release(self) -> None:
        """Let other processes take this directory (its lock goes with the process anyway)."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def tidy(self) -> None:
        """After a run that stopped: remove the directory if it holds nothing to go on from.

        (No progress record and no chunk file: a refusal before the first chunk
        leaves nothing behind, not even the lock.)
        """
        import shutil

        if self.progress.exists() or any(self.dir.glob(f"chunk_*{CHUNK_SUFFIX}")):
            return
        shutil.rmtree(self.dir, ignore_errors=True)

    def finish(self, keep_chunks: bool) -> None:
        """After a finished run: keep the chunk files if asked, nothing else."""
        import shutil

        self.release()
        if keep_chunks:
            self.progress.unlink(missing_ok=True)
            (self.dir / "lock").unlink(missing_ok=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def forget(self) -> None:
        self.records = []
        self.progress.unlink(missing_ok=True)
        self.partial.unlink(missing_ok=True)


def new_writer(prod: Production, state: State, overwrite: bool, *, keep_records=False):
    from ..io.writer import EventWriter

    if not keep_records:
        state.forget()
    meta = output_metadata(prod)
    return EventWriter(
        prod.output,
        meta,
        compression=prod.compression,
        dtype=prod.dtype,
        overwrite=overwrite,
        n_events=prod.n_events,
        partial=state.partial,
        buffer_events=WRITE_EVENTS,
    )


def output_metadata(prod: Production) -> dict:
    meta = dict(prod.metadata)
    meta["n_events"] = prod.n_events  # (a thinned run's count is set when it is known)
    meta["chunk_keys"] = [prod.chunk_key(j) for j in range(len(prod.sizes))]
    meta["run_key"] = prod.run_key
    return meta


def resume(prod: Production, state: State, notes: list, overwrite: bool):
    """(writer, first chunk to write): the interrupted run's output, checked against
    the progress record chunk by chunk and continued after the last good chunk.

    The output is continued in place after its last good chunk (a ROOT tree
    that goes on past it is cut back there), so a resume reads the recorded
    chunks once to check them and writes only the chunks still to make.  A
    ROOT file that cannot be reopened so has its good chunks copied into a new
    file instead.
    """
    from ..io.writer import EventWriter

    if state.old.exists():  # a copy was interrupted: the old file holds the events
        state.old.replace(state.partial)
    if state.records and not state.partial.exists():
        notes.append(
            "the interrupted run's output is gone (removed, or npz, which cannot be "
            "continued); started over"
        )
    if not state.records or not state.partial.exists():
        return new_writer(prod, state, overwrite), 0
    ends = np.cumsum([0] + [n for n, _ in state.records])
    try:
        done = good_chunks(prod, state.partial, state.records)
        try:
            writer = EventWriter.resume(
                prod.output,
                state.partial,
                output_metadata(prod),
                n_written=int(ends[done]),
                dtype=prod.dtype,
                overwrite=overwrite,
                compression=prod.compression,
                buffer_events=WRITE_EVENTS,
                n_events=prod.n_events,
            )
        except ValueError:
            if state.partial.suffix != ".root":
                raise
            writer, done = _copy_good_chunks(prod, state, overwrite, ends)
        if done < len(state.records):
            notes.append(
                f"chunks {done} to {len(state.records) - 1} in the interrupted run's "
                "output differ from the progress record; made again"
            )
        state.records = state.records[:done]
        return writer, done
    except ValueError as err:
        notes.append(f"the interrupted run's output could not be continued ({err}); started over")
        state.old.unlink(missing_ok=True)
        return new_writer(prod, state, overwrite), 0


def _copy_good_chunks(prod: Production, state: State, overwrite: bool, ends):
    """A ROOT partial output's good chunks copied into a new file: (writer, good chunks).

    One pass: each piece read is checked and copied at once, so a resume reads
    the recorded chunks once and writes them once.  Should a chunk not check
    out (rare: a damaged file), the copy is made again up to the last good one.
    """
    from ..io.readers import iter_columns

    state.partial.replace(state.old)
    writer = new_writer(prod, state, overwrite, keep_records=True)
    try:
        done = good_chunks(prod, state.old, state.records, sink=writer.append_columns)
        if done < len(state.records):
            writer.abort()
            writer = new_writer(prod, state, overwrite, keep_records=True)
            for cols in iter_columns(state.old, stop=int(ends[done])):
                writer.append_columns(cols)
        writer.checkpoint()
    except Exception as err:  # a damaged basket fails in many ways inside uproot
        writer.abort()
        raise ValueError(f"its events could not be read back: {err!r}") from err
    except BaseException:
        writer.abort()
        raise
    state.old.unlink()
    return writer, done


CHECK_STEP = 1 << 19
"""Most events per piece a ROOT check reads (pieces end where chunks end, as baskets do)."""


def good_chunks(prod: Production, partial: Path, records: list, *, sink=None) -> int:
    """How many of the recorded chunks at the front of a partial output match their records.

    ``sink(cols)``, if given, gets every piece read (before it is checked).
    """
    from ..io.readers import iter_columns

    ends = np.cumsum([0] + [n for n, _ in records])
    try:
        if sink is None and partial.suffix in (".h5", ".hdf5"):
            return _good_hdf5_chunks(prod, partial, records, ends)
        # pieces end where chunks end: each piece is one chunk's (or a part of it)
        with closing(iter_columns(partial, edges=ends, step_events=CHECK_STEP)) as pieces:
            for k, (n, recorded) in enumerate(records):
                digest = ChunkDigest()
                while digest.n < n:
                    cols = next(pieces)
                    if sink is not None:
                        sink(cols)
                    digest.update(cols)
                if not prod.possible(k, n) or digest.hexdigest() != recorded:
                    return k
    except Exception as err:  # a damaged file fails in many ways inside uproot or h5py
        raise ValueError(f"it is not readable: {err!r}") from err
    return len(records)


CHECK_EVENTS = 1 << 17
"""Events per block read and digested by :func:`_good_hdf5_chunks` (≤ 1 MB: in the cache)."""


def _good_hdf5_chunks(prod: Production, partial: Path, records: list, ends) -> int:
    """:func:`good_chunks` of an HDF5 file: each field read block by block into a
    reused buffer and digested while the block is in the cache (fresh arrays per
    read cost more than reading)."""
    import h5py

    with h5py.File(partial, "r") as f:
        group = f["events"]
        names = list(prod.dtype.names)
        if sorted(group) != sorted(names):
            raise ValueError(f"its fields {list(group)} are not {names}")
        sets = {name: group[name] for name in names}
        if min(d.shape[0] for d in sets.values()) < ends[-1]:
            raise ValueError(f"it holds fewer than the {ends[-1]} events recorded")
        key = ChunkDigest.key(names)
        buffers = {name: np.empty(CHECK_EVENTS, prod.dtype[name]) for name in names}
        for k, (n, recorded) in enumerate(records):
            digest = ChunkDigest()
            for name, d in sets.items():
                buf = buffers[name]
                for a in range(int(ends[k]), int(ends[k + 1]), CHECK_EVENTS):
                    m = min(CHECK_EVENTS, int(ends[k + 1]) - a)
                    d.read_direct(buf, np.s_[a : a + m], np.s_[0:m])
                    digest.update_field(name, buf[:m], hashed=name == key)
            if not prod.possible(k, n) or digest.hexdigest() != recorded:
                return k
    return len(records)
