"""Where chunks are made: in this process, by local worker processes, or as dask tasks.

Each backend yields (j, pieces) in chunk order, pieces being the chunk's
column dicts; the events are the same whatever the backend.
"""

from __future__ import annotations

from .chunks import (
    ChunkDigest,
    Digested,
    fill_output,
    load_kernels,
    output_columns,
    run_chunk,
)
from .plan import Production
from .state import State


def chunk_pieces(prod: Production, state: State, k: int, keep_chunks: bool, byte_order="="):
    """Chunk k as a list of column pieces: read from its chunk file, or made here (a slim
    run's in ``byte_order``, the writer's, with their digest: :class:`.chunks.Digested`)."""
    from ..io.readers import iter_columns

    if k in state.chunk_files:
        return iter_columns(prod.chunk_path(k))
    if keep_chunks:
        run_chunk(prod, k)
        return iter_columns(prod.chunk_path(k))
    digest = ChunkDigest()
    cols, n = output_columns(prod, k, byte_order, digest)
    return Digested([{name: col[:n] for name, col in cols.items()}], digest)


def serial(prod, state, first, keep_chunks, byte_order="="):
    todo = [k for k in range(first, len(prod.sizes)) if k not in state.chunk_files]
    if len(todo) > 1:
        load_kernels(prod, todo)  # (all of it start-up: see there)
    for k in range(first, len(prod.sizes)):
        yield k, chunk_pieces(prod, state, k, keep_chunks, byte_order)


def local_pool(prod, state, first, workers):
    """Chunks made by local worker processes into shared memory, yielded in order."""
    from ..io.readers import iter_columns
    from ..slots import ChunkSlots

    todo = [k for k in range(first, len(prod.sizes)) if k not in state.chunk_files]
    with ChunkSlots(prod.dtype, prod.chunk_size, workers) as slots:
        made = slots.chunks(fill_output, prod, todo)
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


def local_files(prod, state, first, workers):
    """Chunks made by local worker processes as chunk files, yielded in order."""
    from concurrent.futures import ProcessPoolExecutor  # (its import: only here)

    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        todo = [k for k in range(first, len(prod.sizes)) if k not in state.chunk_files]
        futures = {k: pool.submit(run_chunk, prod, k) for k in todo}
        yield from in_order(prod, first, futures)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def dask_chunks(prod, state, first, address):
    """Chunks as tasks of a dask.distributed scheduler (a cluster shares the file system).

    ``address`` is a scheduler address ('tcp://host:8786'), 'local' for a
    LocalCluster on this machine, or a :class:`~.clusters.ClusterSpec` for
    workers started as batch jobs.  The tasks call the same :func:`run_chunk`,
    so the events are those of a local run.
    """
    from dataclasses import replace

    from .clusters import ClusterSpec, start_cluster

    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ValueError("--dask needs dask.distributed: pip install 'nusource[dask]'") from None
    if address == "local":
        # the HTTP server on a free port: a taken 8787 (another cluster) must not matter
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0")
    elif isinstance(address, ClusterSpec):
        cluster = start_cluster(address)
    else:
        cluster = None
    # workers may start in another directory (a batch job's): chunk files by absolute path
    task_prod = replace(prod, output=prod.output.absolute())
    try:
        with Client(cluster if cluster is not None else address) as client:
            todo = [k for k in range(first, len(prod.sizes)) if k not in state.chunk_files]
            mapped = client.map(run_chunk, [task_prod] * len(todo), todo, pure=False)
            yield from in_order(prod, first, dict(zip(todo, mapped, strict=True)))
    finally:
        if cluster is not None:
            cluster.close()


def in_order(prod, first, futures):
    """Chunk files first, first+1, ... as (k, pieces), each once its future (if any) is done."""
    from ..io.readers import iter_columns

    for k in range(first, len(prod.sizes)):
        if k in futures:
            futures.pop(k).result()
        yield k, iter_columns(prod.chunk_path(k))
