"""Array jobs without Dask: each job makes a range of chunks as files, one job assembles them.

``simulate CARD -o OUT --chunks A:B`` makes chunks A … B−1 of the run as chunk
files ``OUT.chunks/chunk_NNNNNN.h5`` (each written atomically by
:func:`~.chunks.run_chunk`: an ordinary event file whose metadata carry the
run key, the chunk's key, its size and digest, the seed and the run card's
hash).  Jobs of an array may run at the same time, in any order, and be run
again: a complete chunk file of the run is kept, a killed job leaves only a
hidden temporary file.  ``simulate CARD -o OUT --assemble`` checks that every
chunk of the run is there once and is of this card and seed, then writes the
output in chunk order as a local run does (so the file is the same, metadata
included), checking each chunk's events against its digest on the way.
"""

from __future__ import annotations

import time

from .chunks import run_chunk
from .plan import CHUNK_SUFFIX, Production


def parse_chunks(text: str, n_chunks: int) -> tuple[int, int]:
    """``--chunks A:B`` as (A, B), checked against the run's number of chunks."""
    allowed = f"it must be A:B with 0 ≤ A < B ≤ {n_chunks} (this run has {n_chunks} chunks)"
    try:
        a, b = (int(x) for x in str(text).split(":"))
    except ValueError:
        raise ValueError(f"--chunks: '{text}' is not allowed; {allowed}") from None
    if not 0 <= a < b <= n_chunks:
        raise ValueError(f"--chunks: '{text}' is not allowed; {allowed}")
    return a, b


def job_ranges(n_chunks: int, jobs: int) -> list[tuple[int, int]]:
    """Contiguous chunk ranges (A, B) of ``jobs`` jobs, their sizes differing by at most one."""
    if jobs < 1:
        raise ValueError(f"--jobs: {jobs} is not allowed; it must be ≥ 1")
    if jobs > n_chunks:
        raise ValueError(
            f"--jobs: {jobs} is not allowed; this run has {n_chunks} chunks, so at most "
            f"{n_chunks} jobs (or a smaller --chunk-size)"
        )
    return [(i * n_chunks // jobs, (i + 1) * n_chunks // jobs) for i in range(jobs)]


def chunk_plan(prod: Production, jobs: int = 1) -> dict:
    """How a production is cut: chunks, events, and the ``--chunks`` range of each of ``jobs``."""
    ranges = job_ranges(len(prod.sizes), jobs)
    return {
        "chunks": len(prod.sizes),
        "chunk_size": prod.chunk_size,
        "events": sum(prod.sizes),
        "components": [c.name for c in prod.components],
        "seed": prod.seed,
        "mode": prod.mode,
        "jobs": len(ranges),
        "ranges": [f"{a}:{b}" for a, b in ranges],
        "events_per_job": [sum(prod.sizes[a:b]) for a, b in ranges],
        "thinned": [c.name for c in prod.components if c.thinned],
    }


def make_chunks(
    prod: Production, start: int, stop: int, *, workers: int = 1, overwrite: bool = False
) -> dict:
    """Chunks start … stop−1 as chunk files (those already made for this run are kept).

    Parameters
    ----------
    prod : Production
        The planned run.
    start, stop : int
        The range of chunk numbers (see :func:`parse_chunks`).
    workers : int
        Local processes over the range.
    overwrite : bool
        Replace chunk files in the range that belong to another run (else refused).

    Returns
    -------
    dict
        ``directory``, ``chunks`` ('A:B'), ``made``, ``kept``, ``events``, ``seconds``.
    """
    from ..io.readers import read_metadata

    if workers < 1:
        raise ValueError(f"--workers: {workers} is not allowed; it must be ≥ 1")
    t0 = time.perf_counter()
    prod.chunk_dir.mkdir(exist_ok=True)
    todo, kept = [], 0
    for j in range(start, stop):
        path = prod.chunk_path(j)
        if path.exists():
            try:
                ours = read_metadata(path).get("run_key") == prod.run_key
            except Exception:  # a damaged file fails in many ways inside h5py
                ours = False
            if ours:
                kept += 1
                continue
            if overwrite:
                path.unlink()
            else:
                raise ValueError(
                    f"chunk file '{path}' is not a chunk of this run (another card, seed, "
                    "mode, chunk size or version, or damaged); remove it or run with --overwrite"
                )
        todo.append(j)
    if workers > 1 and len(todo) > 1:
        from concurrent.futures import ProcessPoolExecutor  # (its import: only here)

        with ProcessPoolExecutor(max_workers=workers) as pool:
            made = list(pool.map(run_chunk, [prod] * len(todo), todo))
    else:
        made = [run_chunk(prod, j) for j in todo]
    return {
        "directory": str(prod.chunk_dir),
        "chunks": f"{start}:{stop}",
        "made": len(made),
        "kept": kept,
        "events": sum(n for _, n in made),
        "seconds": time.perf_counter() - t0,
    }


def _ranges_text(chunks: list[int]) -> str:
    """'--chunks 3:6, --chunks 9:10' for chunk numbers [3, 4, 5, 9]."""
    runs, a = [], None
    for i, j in enumerate(chunks):
        if a is None:
            a = j
        if i + 1 == len(chunks) or chunks[i + 1] != j + 1:
            runs.append(f"--chunks {a}:{j + 1}")
            a = None
    return ", ".join(runs)


def _foreign(path, meta: dict, prod: Production) -> str:
    """Why a chunk file is not of this run, in words."""
    want_card = prod.metadata["provenance"]["run_card_sha256"]
    card = meta.get("run_card_sha256")
    if card is not None and card != want_card:
        return (
            f"chunk file '{path}' was made from another run card (sha256 {card[:12]}…, "
            f"not {want_card[:12]}…)"
        )
    if meta.get("seed") != prod.seed:
        return f"chunk file '{path}' was made with seed {meta.get('seed')}, not {prod.seed}"
    return (
        f"chunk file '{path}' belongs to another run of this card and seed (different "
        "mode, number of events, chunk size or version)"
    )


def check_assembly(prod: Production) -> dict:
    """Every chunk of the run in ``OUTPUT.chunks/``, once, of this run: {j: (path, n, digest)}.

    Raises
    ------
    ValueError
        In one line: the directory or a chunk missing (naming it and the
        ``--chunks`` to make it), a chunk file of another card, seed or run,
        a chunk present twice, or a chunk file that cannot be read.
    """
    from ..io.readers import read_metadata

    d = prod.chunk_dir
    n_chunks = len(prod.sizes)
    if not d.is_dir():
        raise ValueError(
            f"--assemble: '{d}' does not exist; make the chunks first with --chunks A:B "
            f"(this run has {n_chunks}; see `nusource plan`)"
        )
    found: dict[int, tuple] = {}
    for path in sorted(d.glob(f"*{CHUNK_SUFFIX}")):
        if path.name.startswith("partial"):
            continue  # the output of an interrupted assembly (or local run)
        try:
            meta = read_metadata(path)
        except Exception as err:  # a damaged file fails in many ways inside h5py
            raise ValueError(
                f"chunk file '{path}' is damaged (it cannot be read: {type(err).__name__}); "
                "remove it and make its chunk again"
            ) from None
        if meta.get("run_key") != prod.run_key:
            raise ValueError(f"{_foreign(path, meta, prod)}; remove it or make the chunks again")
        j = meta.get("chunk")
        if (
            not isinstance(j, int)
            or not 0 <= j < n_chunks
            or meta.get("chunk_key") != prod.chunk_key(j)
            or not isinstance(meta.get("digest"), str)
            or not isinstance(meta.get("n_events"), int)
        ):
            raise ValueError(
                f"chunk file '{path}' is damaged (its chunk number, key or digest is not "
                "one of this run's); remove it and make its chunk again"
            )
        if j in found:
            raise ValueError(
                f"chunk {j} is there twice: '{found[j][0]}' and '{path}' (its events would "
                "count twice); remove one"
            )
        found[j] = (path, meta["n_events"], meta["digest"])
    missing = [j for j in range(n_chunks) if j not in found]
    if missing:
        first = prod.chunk_path(missing[0])
        what = (
            f"chunk {missing[0]} of {n_chunks} is missing ('{first}')"
            if len(missing) == 1
            else f"{len(missing)} of {n_chunks} chunks are missing (first '{first}')"
        )
        raise ValueError(f"{what}: make them with {_ranges_text(missing)}, then --assemble again")
    return found


def assembled(prod: Production, first: int, found: dict):
    """The checked chunk files first, first+1, ... as (j, pieces), in order."""
    for j in range(first, len(prod.sizes)):
        yield j, _pieces(found[j][0])


def _pieces(path):
    from ..io.readers import iter_columns

    try:
        yield from iter_columns(path)
    except Exception as err:  # a damaged file fails in many ways inside h5py
        raise ValueError(
            f"chunk file '{path}' is damaged (its events cannot be read: {type(err).__name__}); "
            "remove it and make its chunk again"
        ) from None


def check_digest(found: dict, j: int, n: int, digest: str) -> None:
    """Chunk j as written matches the size and digest its file was made with."""
    path, n_file, digest_file = found[j]
    if (n, digest) != (n_file, digest_file):
        raise ValueError(
            f"chunk file '{path}' is damaged (its {n} events do not match the digest it was "
            f"made with); remove it, make it again with --chunks {j}:{j + 1}, and --assemble again"
        )
