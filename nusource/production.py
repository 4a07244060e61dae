"""A production: a run card's events generated, put through the detector and written.

The work is cut into chunks of a fixed size.  Chunk k's events depend only on
the card, the master seed and k (its Generators come from the seed tree), so
the events are the same whatever the number of workers or the order in which
chunks finish.

Each event is written once: chunk after chunk, in order, into
``OUTPUT.chunks/partial.EXT`` (the output itself, in its format and
compression).  After each chunk the file is checkpointed and
``OUTPUT.chunks/progress.json`` records the chunk's size and a digest of its
recoil energies; after the last, the metadata are written and the file is
renamed to OUTPUT.  A run interrupted by Ctrl-C or killed, started again with
the same command, checks the partial output against the digests and goes on
after the last good chunk (HDF5 in place; ROOT by copying the good chunks into
a new file, see :func:`_resume`); what does not check out is made again, with a
note.  One process at a time writes an output (a lock in ``OUTPUT.chunks/``).

Local worker processes (``workers > 1``) make chunks into shared memory
(:mod:`.slots`), which this process writes in order.  Dask tasks, possibly on
other machines, write each chunk atomically as its own uncompressed HDF5 file
``OUTPUT.chunks/chunk_NNNNNN.h5`` (an ordinary event file), which this process
appends in order as they arrive and removes (``keep_chunks`` keeps them, and
makes them in serial and local runs too).  Chunk files of an interrupted run
are used again.
"""

import hashlib
import json
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._version import __version__
from .generator.events import EVENT_DTYPE, TRUTH_DTYPE, WEIGHT_MODES, empty_columns, to_array
from .generator.signal import SignalSpec, chunk_sizes, fill_signal_chunk
from .provenance import provenance
from .randomness import chunk_key, chunk_rng

CHUNK_SUFFIX = ".h5"
"""Format of the chunk files of parallel runs (uncompressed HDF5)."""

WRITE_EVENTS = 1 << 17
"""Events per write into the output (one ROOT basket per branch)."""


@dataclass(frozen=True)
class Production:
    """Everything a chunk needs (picklable: workers receive it once)."""

    output: Path
    seed: int
    mode: str
    chunk_size: int
    compression: str | None
    spec: SignalSpec
    response: object
    sizes: tuple[int, ...]
    metadata: dict
    run_key: str

    @property
    def chunk_dir(self) -> Path:
        return self.output.with_name(self.output.name + ".chunks")

    def chunk_path(self, k: int) -> Path:
        return self.chunk_dir / f"chunk_{k:06d}{CHUNK_SUFFIX}"

    @property
    def thinned(self) -> bool:
        """Whether chunks lose events as they are made (oscillation applied as an acceptance)."""
        pl = self.spec.placement
        return pl is not None and pl.oscillation is not None and pl.oscillation[2] == "accept"

    @property
    def n_events(self) -> int | None:
        """Events in the output, when known before the run (None for a thinned run)."""
        return None if self.thinned else sum(self.sizes)

    def possible(self, k: int, n: int) -> bool:
        """Whether chunk k can hold n events (all planned; fewer if the run is thinned)."""
        return n == self.sizes[k] or (self.thinned and n < self.sizes[k])

    @property
    def first_ids(self) -> list[int]:
        return [int(x) for x in np.concatenate([[0], np.cumsum(self.sizes)[:-1]])]


def _check_writable(directory: Path) -> None:
    """Fail before any work if files cannot be created in the output's directory."""
    import tempfile

    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise ValueError(
            f"output: cannot write in directory '{directory}' ({exc.strerror or exc})"
        ) from None


def signal_metadata(spec: SignalSpec, mode: str) -> dict:
    """What a file records about its signal: mode, exposure, normalisation, cross sections."""
    return {
        "mode": mode,
        "mode_description": WEIGHT_MODES[mode],
        "n_generated": int(spec.n_generated),
        "exposure_per_cm2": spec.exposure,
        "expected_events": spec.expected_events,
        "gen_norm": spec.gen_norm,
        "weight_formula": "gen_norm*(xs_sm+mu^2*xs_mag+gamma*xs_zlin+gamma^2*xs_zquad)/xs_gen*p_ee",
        "model": spec.model.to_dict(),
        "generating_model": spec.gen_model.to_dict(),
        "window_mev": [spec.sampler.tmin_mev, spec.xsec.tmax_mev],
        "flux_averaged_xsec_cm2": {
            "total": spec.xsec.total,
            "sm": spec.xsec.sm,
            "mu": spec.xsec.mu,
            "zprime": spec.xsec.zprime,
            "mag_per_mub2": spec.xsec.mag_unit,
            "zprime_per_gamma": spec.xsec.zlin_unit,
            "zprime_per_gamma2": spec.xsec.zquad_unit,
        },
    }


def plan(card_path, output, *, n=None, exposure=False, mode=None, seed=None, chunk_size=None,
         compression=None, overwrite=False, detector=True) -> Production:  # fmt: skip
    """Validate everything and fix the chunks before any work is done.

    ``n`` asks for a fixed number of events, ``exposure`` for a Poisson number
    (one experiment); otherwise ``mode`` or the card's mode holds.
    ``detector=False`` writes the generator's truth only (`nusource sample`).
    """
    from .detsim.writers import check_output
    from .jobs import load_experiment
    from .setup import detector_response, signal_spec

    output = Path(output)
    check_output(output, overwrite=overwrite)
    _check_writable(output.parent if str(output.parent) else Path("."))
    exp, text = load_experiment(card_path)
    card = exp.card
    if n is not None and exposure:
        raise ValueError("give -n N (a fixed number of events) or --exposure, not both")
    if mode is None:
        mode = "fixed" if n is not None else ("exposure" if exposure else card.mode)
    n = card.n_events if n is None else n
    if mode != "exposure" and n is None:
        raise ValueError(f"mode '{mode}' needs a number of events: -n N or n_events in the card")
    seed = card.seed if seed is None else seed
    chunk_size = card.chunk_size if chunk_size is None else chunk_size
    if chunk_size <= 0:
        raise ValueError(f"--chunk-size: {chunk_size} is not allowed; it must be > 0")
    response = detector_response(exp) if detector else None
    spec, g = signal_spec(exp, mode=mode, n_events=n, seed=seed)
    sizes = tuple(chunk_sizes(spec.n_generated, chunk_size))
    meta = {
        **signal_metadata(spec, mode),
        "seed": seed,
        "chunk_size": chunk_size,
        "components": {"0": "signal"},
        "geometric_factor_cm": g.value_cm,
        "geometric_factor_error_cm": g.error_cm,
        "geometric_factor_method": g.method,
        "decays": exp.decays,
        "neutrinos": exp.neutrinos,
        "electrons": exp.electrons,
        "electron_density_cm3": exp.electron_density_cm3,
        "detector_mass_kg": exp.detector_mass_kg,
        "source": exp.nu_source.to_dict(),
        "response": None if response is None else repr(response),
        "provenance": provenance(card_text=text),
    }
    key = json.dumps([__version__, text, seed, mode, chunk_size, int(spec.n_generated)])
    return Production(
        output=output,
        seed=seed,
        mode=mode,
        chunk_size=chunk_size,
        compression=compression,
        spec=spec,
        response=response,
        sizes=sizes,
        metadata=meta,
        run_key=hashlib.sha256(key.encode()).hexdigest(),
    )


_BUFFERS: dict = {}
"""Per-process column buffers, reused chunk after chunk (fresh memory is slow to touch)."""


def _buffers(n: int, detected: bool) -> dict:
    key = (n, detected)
    if key not in _BUFFERS:
        _BUFFERS.clear()
        _BUFFERS[key] = empty_columns(n, detected=detected)
    return _BUFFERS[key]


def chunk_columns(prod: Production, k: int) -> tuple[dict, int]:
    """Chunk k's events, generated then put through the detector, as (columns, n).

    A pure function of (card, seed, k); the columns are this process's
    reused buffers, valid until the next call.
    """
    cols = _buffers(prod.chunk_size, prod.response is not None)
    return cols, fill_chunk(prod, k, cols)


def fill_chunk(prod: Production, k: int, cols: dict) -> int:
    """Chunk k's events into the first rows of column buffers; the number of rows."""
    n = fill_signal_chunk(prod.spec, chunk_rng(prod.seed, 0, k), cols, prod.sizes[k],
                          first_id=prod.first_ids[k])  # fmt: skip
    if prod.response is not None:
        from .detsim.response import respond

        view = {name: col[:n] for name, col in cols.items()}
        nest_seed = int(chunk_rng(prod.seed, 0, k, "nest").integers(0, 2**31 - 1))
        respond(chunk_rng(prod.seed, 0, k, "detector"), view, prod.response, nest_seed=nest_seed)
    return n


def chunk_events(prod: Production, k: int) -> np.ndarray:
    """Chunk k's events as a structured array (see :func:`chunk_columns`)."""
    cols, n = chunk_columns(prod, k)
    return to_array(cols, n)


def run_chunk(prod: Production, k: int) -> tuple[int, int]:
    """Make chunk k's file unless a complete one of this run is there: (k, events)."""
    from .analysis.readers import count_events, read_metadata
    from .detsim.writers import EventWriter

    path = prod.chunk_path(k)
    if path.exists():
        meta = read_metadata(path)
        if meta.get("run_key") != prod.run_key:
            raise ValueError(
                f"chunk file '{path}' belongs to another run (different card, seed, mode, "
                "chunk size or version); remove that directory or run with --overwrite"
            )
        return k, count_events(path)
    cols, n = chunk_columns(prod, k)
    meta = {"run_key": prod.run_key, "chunk": k, "chunk_key": chunk_key(prod.seed, 0, k),
            "n_events": n, "seed": prod.seed}  # fmt: skip
    with EventWriter(path, meta, compression="none", dtype=_dtype(prod), size_hint=n) as w:
        w.append_columns(cols, n)
    return k, n


class _ChunkDigest:
    """A chunk's fingerprint, the same whatever pieces it is fed in.

    SHA-256 of its recoil energies and, for every field, the sum (modulo 2⁶⁴) of
    the values' bit patterns: a damaged basket or dataset of any field shows.
    Costs ~0.015 µs per event.
    """

    def __init__(self):
        self._te = hashlib.sha256()
        self._sums = {}
        self.n = 0

    def update(self, cols: dict) -> None:
        for name, col in cols.items():
            col = np.asarray(col)
            native = col.astype(col.dtype.newbyteorder("="), copy=False)
            bits = native.view(np.uint64 if native.dtype.itemsize == 8 else np.uint32)
            self._sums[name] = (self._sums.get(name, 0) + int(bits.sum(dtype=np.uint64))) % 2**64
        self._te.update(np.asarray(cols["te"], dtype="<f8").tobytes())
        self.n += len(cols["te"])

    def hexdigest(self) -> str:
        h = self._te.copy()
        h.update(json.dumps(sorted(self._sums.items())).encode())
        return h.hexdigest()


def _lock(directory: Path) -> int | None:
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


class _State:
    """``OUTPUT.chunks/``: progress of the output and chunk files of parallel workers."""

    def __init__(self, prod: Production, *, overwrite: bool = False):
        self.prod = prod
        self.dir = prod.chunk_dir
        self.dir.mkdir(exist_ok=True)
        self._lock = _lock(self.dir)
        self.progress = self.dir / "progress.json"
        self.partial = self.dir / f"partial{prod.output.suffix}"
        self.old = self.dir / f"partial.old{prod.output.suffix}"
        try:
            self._look(prod, overwrite)
        except BaseException:
            self.release()
            raise

    def _look(self, prod: Production, overwrite: bool) -> None:
        from .analysis.readers import read_metadata

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

    def forget(self) -> None:
        self.records = []
        self.progress.unlink(missing_ok=True)
        self.partial.unlink(missing_ok=True)


def _new_writer(prod: Production, state: _State, overwrite: bool, *, keep_records=False):
    from .detsim.writers import EventWriter

    if not keep_records:
        state.forget()
    meta = _output_metadata(prod)
    return EventWriter(prod.output, meta, compression=prod.compression, dtype=_dtype(prod),
                       overwrite=overwrite, n_events=prod.n_events, partial=state.partial,
                       buffer_events=WRITE_EVENTS)  # fmt: skip


def _output_metadata(prod: Production) -> dict:
    meta = dict(prod.metadata)
    meta["n_events"] = prod.n_events  # (a thinned run's count is set when it is known)
    meta["chunk_keys"] = [chunk_key(prod.seed, 0, k) for k in range(len(prod.sizes))]
    meta["run_key"] = prod.run_key
    return meta


def _dtype(prod: Production) -> np.dtype:
    return EVENT_DTYPE if prod.response is not None else TRUTH_DTYPE


def _resume(prod: Production, state: _State, notes: list, overwrite: bool):
    """(writer, first chunk to write): the interrupted run's output, checked against
    the progress record chunk by chunk and continued after the last good chunk.

    HDF5 files are continued in place.  A ROOT file is not reopened (uproot cannot
    safely grow a reopened file past 2 GB, nor shorten a tree): its good chunks
    are copied into a new file, which costs less than making them again.
    """
    from .analysis.readers import iter_columns
    from .detsim.writers import EventWriter

    if state.old.exists():  # a copy was interrupted: the old file holds the events
        state.old.replace(state.partial)
    if state.records and not state.partial.exists():
        notes.append("the interrupted run's output is gone (removed, or npz, which cannot be "
                     "continued); started over")  # fmt: skip
    if not state.records or not state.partial.exists():
        return _new_writer(prod, state, overwrite), 0
    ends = np.cumsum([0] + [n for n, _ in state.records])
    try:
        done = _good_chunks(prod, state.partial, state.records)
        if done < len(state.records):
            notes.append(f"chunks {done} to {len(state.records) - 1} in the interrupted run's "
                         "output differ from the progress record; made again")  # fmt: skip
        state.records = state.records[:done]
        if state.partial.suffix != ".root":
            writer = EventWriter.resume(prod.output, state.partial, _output_metadata(prod),
                                        n_written=int(ends[done]), dtype=_dtype(prod),
                                        overwrite=overwrite, compression=prod.compression,
                                        buffer_events=WRITE_EVENTS,
                                        n_events=prod.n_events)  # fmt: skip
            return writer, done
        state.partial.replace(state.old)
        writer = _new_writer(prod, state, overwrite, keep_records=True)
        try:
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
    except ValueError as err:
        notes.append(f"the interrupted run's output could not be continued ({err}); started over")
        state.old.unlink(missing_ok=True)
        return _new_writer(prod, state, overwrite), 0


def _good_chunks(prod: Production, partial: Path, records: list) -> int:
    """How many of the recorded chunks at the front of a partial output match their records."""
    from .analysis.readers import iter_columns

    ends = np.cumsum([0] + [n for n, _ in records])
    k, at, digest = 0, 0, _ChunkDigest()
    try:
        for cols in iter_columns(partial, stop=int(ends[-1])):
            a, m = 0, len(cols["te"])
            while a < m:
                take = min(m - a, int(ends[k + 1]) - at)
                digest.update({name: col[a : a + take] for name, col in cols.items()})
                a, at = a + take, at + take
                if at == ends[k + 1]:
                    n, recorded = records[k]
                    if not prod.possible(k, n) or digest.hexdigest() != recorded:
                        return k
                    k, digest = k + 1, _ChunkDigest()
    except Exception as err:  # a damaged file fails in many ways inside uproot or h5py
        raise ValueError(f"it is not readable: {err!r}") from err
    return k


def _append_chunk(writer, pieces) -> tuple[int, str]:
    """Append a chunk's pieces (column dicts, in order); (events, digest)."""
    digest = _ChunkDigest()
    for cols in pieces:
        digest.update(cols)
        writer.append_columns(cols)
    return digest.n, digest.hexdigest()


def _chunk_pieces(prod: Production, state: _State, k: int, keep_chunks: bool):
    """Chunk k as a list of column pieces: read from its chunk file, or made here."""
    from .analysis.readers import iter_columns

    if k in state.chunk_files:
        return iter_columns(prod.chunk_path(k))
    if keep_chunks:
        run_chunk(prod, k)
        return iter_columns(prod.chunk_path(k))
    cols, n = chunk_columns(prod, k)
    return [{name: col[:n] for name, col in cols.items()}]


def _serial(prod, state, first, keep_chunks):
    for k in range(first, len(prod.sizes)):
        yield k, _chunk_pieces(prod, state, k, keep_chunks)


def _local_pool(prod, state, first, workers):
    """Chunks made by local worker processes into shared memory, yielded in order."""
    from .analysis.readers import iter_columns
    from .slots import ChunkSlots

    todo = [k for k in range(first, len(prod.sizes)) if k not in state.chunk_files]
    with ChunkSlots(_dtype(prod), prod.chunk_size, workers) as slots:
        made = slots.chunks(fill_chunk, prod, todo)
        try:
            for k in range(first, len(prod.sizes)):
                if k in state.chunk_files:
                    yield k, iter_columns(prod.chunk_path(k))
                else:
                    k_made, cols = next(made)
                    yield k_made, [cols]
                    del cols  # the slot is free again
        finally:
            made.close()


def _local_files(prod, state, first, workers):
    """Chunks made by local worker processes as chunk files, yielded in order."""
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        todo = [k for k in range(first, len(prod.sizes)) if k not in state.chunk_files]
        futures = {k: pool.submit(run_chunk, prod, k) for k in todo}
        yield from _in_order(prod, first, futures)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _dask(prod, state, first, address):
    """Chunks as tasks of a dask.distributed scheduler (a cluster shares the file system).

    ``address`` is a scheduler address ('tcp://host:8786'), or 'local' for a
    LocalCluster on this machine.  The tasks call the same :func:`run_chunk`,
    so the events are those of a local run.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ValueError("--dask needs dask.distributed: pip install 'nusource[dask]'") from None
    cluster = LocalCluster(n_workers=2, threads_per_worker=1) if address == "local" else None
    try:
        with Client(cluster if cluster is not None else address) as client:
            todo = [k for k in range(first, len(prod.sizes)) if k not in state.chunk_files]
            mapped = client.map(run_chunk, [prod] * len(todo), todo, pure=False)
            yield from _in_order(prod, first, dict(zip(todo, mapped, strict=True)))
    finally:
        if cluster is not None:
            cluster.close()


def _in_order(prod, first, futures):
    """Chunk files first, first+1, ... as (k, pieces), each once its future (if any) is done."""
    from .analysis.readers import iter_columns

    for k in range(first, len(prod.sizes)):
        if k in futures:
            futures.pop(k).result()
        yield k, iter_columns(prod.chunk_path(k))


def simulate(prod: Production, *, workers: int = 1, progress=None, keep_chunks=False,
             overwrite=False, dask=None) -> dict:  # fmt: skip
    """Write every chunk into the output (resuming an interrupted run); a summary.

    Chunks are made in this process (``workers=1``), by local worker processes,
    or as tasks of a dask.distributed scheduler (``dask`` = its address or
    'local'); the output is the same.  The summary's ``notes`` say if an
    interrupted run's output had to be started over.
    """
    if workers < 1:
        raise ValueError(f"--workers: {workers} is not allowed; it must be ≥ 1")
    t0 = time.perf_counter()
    tick = progress or (lambda n: None)
    state = _State(prod, overwrite=overwrite)
    notes = []
    try:
        writer, first = _resume(prod, state, notes, overwrite)
        try:
            tick(writer.n_written)
            _write_chunks(prod, state, writer, first, tick, workers=workers, dask=dask,
                          keep_chunks=keep_chunks)  # fmt: skip
            writer.metadata["n_events"] = writer.n_written
            writer.close()
        except BaseException:
            writer.abort()  # a partial output is kept as it was at its last checkpoint
            raise
    finally:
        state.release()
    if keep_chunks:
        state.progress.unlink(missing_ok=True)
    else:
        shutil.rmtree(state.dir, ignore_errors=True)
    return {
        "output": str(prod.output),
        "events": writer.n_written,
        "expected_events": prod.spec.expected_events,
        "chunks": len(prod.sizes),
        "chunks_resumed": first,
        "workers": workers if dask is None else f"dask ({dask})",
        "seconds": time.perf_counter() - t0,
        "notes": notes,
    }


def _write_chunks(prod, state, writer, first, tick, *, workers, dask, keep_chunks):
    """Append chunks first, first+1, ... in order, checkpointing and recording each."""
    if dask is not None:
        chunks = _dask(prod, state, first, dask)
    elif workers > 1 and len(prod.sizes) - first > 1:
        local = _local_files if keep_chunks else _local_pool
        chunks = local(prod, state, first, workers)
    else:
        chunks = _serial(prod, state, first, keep_chunks)
    try:
        for k, pieces in chunks:
            n, digest = _append_chunk(writer, pieces)
            if not prod.possible(k, n):
                raise RuntimeError(f"chunk {k} has {n} events, not {prod.sizes[k]}")
            writer.checkpoint()
            state.record(n, digest)
            if not keep_chunks and (dask is not None or k in state.chunk_files):
                prod.chunk_path(k).unlink(missing_ok=True)  # merged: its disk space goes now
            tick(n)
    finally:
        chunks.close()
