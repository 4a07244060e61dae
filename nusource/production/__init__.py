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
after the last good chunk, in the same file (a ROOT tree that goes on past the
record is cut back to it, see :func:`resume`); what does not check out is made
again, with a note.  One process at a time writes an output (a lock in ``OUTPUT.chunks/``).

Local worker processes (``workers > 1``) make chunks into shared memory
(:mod:`.slots`), which this process writes in order.  Dask tasks, possibly on
other machines, write each chunk atomically as its own uncompressed HDF5 file
``OUTPUT.chunks/chunk_NNNNNN.h5`` (an ordinary event file), which this process
appends in order as they arrive and removes (``keep_chunks`` keeps them, and
makes them in serial and local runs too).  Chunk files of an interrupted run
are used again.  Dask workers may be batch jobs started here (:mod:`.clusters`);
array jobs make ranges of chunk files on their own and one process assembles
them (:mod:`.arrays`).
"""

import time

from .arrays import assembled, check_assembly, check_digest, chunk_plan, make_chunks
from .backends import dask_chunks, local_files, local_pool, serial
from .chunks import (
    ChunkDigest,
    chunk_columns,
    chunk_events,
    fill_chunk,
    fill_output,
    output_columns,
    run_chunk,
)
from .plan import CHUNK_SUFFIX, Production, chunk_sizes, plan
from .state import State, lock, resume

__all__ = [
    "CHUNK_SUFFIX",
    "ChunkDigest",
    "Production",
    "chunk_columns",
    "chunk_events",
    "chunk_plan",
    "chunk_sizes",
    "fill_chunk",
    "fill_output",
    "lock",
    "make_chunks",
    "output_columns",
    "plan",
    "run_chunk",
    "simulate",
]


def simulate(
    prod: Production,
    *,
    workers: int = 1,
    progress=None,
    keep_chunks=False,
    overwrite=False,
    dask=None,
    cluster=None,
    assemble=False,
) -> dict:
    """Write every chunk into the output (resuming an interrupted run); a summary.

    Chunks are made in this process (``workers=1``), by local worker processes,
    as tasks of a dask.distributed scheduler (``dask`` = its address or
    'local'), by dask workers started as batch jobs (``cluster``, a
    :class:`~.clusters.ClusterSpec`), or were made beforehand as chunk files by
    array jobs (``assemble``: every chunk of the run must be in
    ``OUTPUT.chunks/``, see :mod:`.arrays`); the output is the same.  The
    summary's ``notes`` say if an interrupted run's output had to be started over.
    """
    if workers < 1:
        raise ValueError(f"--workers: {workers} is not allowed; it must be ≥ 1")
    if cluster is not None:
        dask = cluster
    t0 = time.perf_counter()
    tick = progress or (lambda n: None)
    found = check_assembly(prod) if assemble else None  # before the state: its own messages
    state = State(prod, overwrite=overwrite)
    notes = []
    finished = False
    try:
        writer, first = resume(prod, state, notes, overwrite)
        try:
            tick(writer.n_written)
            write_chunks(
                prod,
                state,
                writer,
                first,
                tick,
                workers=workers,
                dask=dask,
                keep_chunks=keep_chunks or assemble,
                found=found,
            )
            writer.metadata["n_events"] = writer.n_written
            writer.close()
            finished = True
        except BaseException:
            writer.abort()  # a partial output is kept as it was at its last checkpoint
            raise
    finally:
        state.release()
        if not finished:
            state.tidy()  # nothing to go on from: nothing left behind
    state.finish(keep_chunks)
    return {
        "output": str(prod.output),
        "events": writer.n_written,
        "expected_events": sum(prod.expected_events.values()),
        "expected_by_component": prod.expected_events,
        "chunks": len(prod.sizes),
        "chunks_resumed": first,
        "workers": (
            "assembled from chunk files"
            if assemble
            else workers
            if dask is None
            else cluster.describe()
            if cluster is not None
            else f"dask ({dask})"
        ),
        "seconds": time.perf_counter() - t0,
        "notes": notes,
    }


def write_chunks(prod, state, writer, first, tick, *, workers, dask, keep_chunks, found=None):
    """Append chunks first, first+1, ... in order, checkpointing and recording each.

    ``found`` (from :func:`check_assembly`): the chunks are those files, each
    checked against its digest before it counts.
    """
    if found is not None:
        chunks = assembled(prod, first, found)
    elif dask is not None:
        chunks = dask_chunks(prod, state, first, dask)
    elif workers > 1 and len(prod.sizes) - first > 1:
        local = local_files if keep_chunks else local_pool
        chunks = local(prod, state, first, workers)
    else:
        chunks = serial(prod, state, first, keep_chunks, writer.byte_order)
    try:
        for k, pieces in chunks:
            n, digest = _append_chunk(writer, pieces)
            if found is not None:
                check_digest(found, k, n, digest)
            if not prod.possible(k, n):
                raise RuntimeError(f"chunk {k} has {n} events, not {prod.sizes[k]}")
            writer.checkpoint()
            state.record(n, digest)
            if not keep_chunks and (dask is not None or k in state.chunk_files):
                prod.chunk_path(k).unlink(missing_ok=True)  # merged: its disk space goes now
            tick(n)
    finally:
        chunks.close()


def _append_chunk(writer, pieces) -> tuple[int, str]:
    """Append a chunk's pieces (column dicts, in order); (events, digest)."""
    digest = getattr(pieces, "digest", None)  # (made with the pieces: Digested)
    feed = digest is None
    if feed:
        digest = ChunkDigest()
    for cols in pieces:
        if feed:
            digest.update(cols)
        writer.append_columns(cols)
    return digest.n, digest.hexdigest()
