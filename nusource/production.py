"""A production: a run card's events generated, put through the detector and written.

The work is cut into chunks of a fixed size.  Chunk k's events depend only on
the card, the master seed and k (its Generators come from the seed tree), so
the events are the same whatever the number of workers or the order in which
chunks finish.  Every chunk is written atomically to
``OUTPUT.chunks/chunk_NNNNNN.h5`` (uncompressed HDF5 whatever the output's
format: the journal must be cheap to write and to read back); a run started
again with the same command finds the complete chunks, checks they belong to
the same run, and makes only the missing ones.  The chunks are then streamed
into OUTPUT (atomically, in the output's format and compression) and removed
one by one as they are merged (``--keep-chunks`` keeps them: they are
ordinary event files).
"""

import hashlib
import json
import shutil
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._version import __version__
from .generator.events import EVENT_DTYPE, TRUTH_DTYPE, WEIGHT_MODES, empty_columns, to_array
from .generator.signal import SignalSpec, chunk_sizes, fill_signal_chunk
from .provenance import provenance
from .randomness import chunk_key, chunk_rng

CHUNK_SUFFIX = ".h5"
"""Format of the chunk journal (uncompressed HDF5)."""


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
    detected = prod.response is not None
    cols = _buffers(prod.chunk_size, detected)
    n = fill_signal_chunk(prod.spec, chunk_rng(prod.seed, 0, k), cols, prod.sizes[k],
                          first_id=prod.first_ids[k])  # fmt: skip
    if detected:
        from .detsim.response import respond

        view = {name: col[:n] for name, col in cols.items()}
        nest_seed = int(chunk_rng(prod.seed, 0, k, "nest").integers(0, 2**31 - 1))
        respond(chunk_rng(prod.seed, 0, k, "detector"), view, prod.response, nest_seed=nest_seed)
    return cols, n


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
    dtype = EVENT_DTYPE if prod.response is not None else TRUTH_DTYPE
    with EventWriter(path, meta, compression="none", dtype=dtype, size_hint=n) as w:
        w.append_columns(cols, n)
    return k, n


def prepare_chunk_dir(prod: Production, *, overwrite: bool = False) -> int:
    """Create the chunk directory; returns how many complete chunks of this run it holds.

    Chunks of another run (their run key differs) are an error, or are
    removed with ``overwrite``.
    """
    from .analysis.readers import read_metadata

    d = prod.chunk_dir
    d.mkdir(exist_ok=True)
    ours = 0
    for path in sorted(d.glob(f"chunk_*{CHUNK_SUFFIX}")):
        if read_metadata(path).get("run_key") == prod.run_key:
            ours += 1
        elif overwrite:
            path.unlink()
        else:
            raise ValueError(
                f"'{d}' holds chunks of another run (different card, seed, mode, chunk size or "
                "version); remove it, or run with --overwrite"
            )
    return ours


def _run_on_dask(prod: Production, todo, address, progress, counts) -> None:
    """Run chunks as tasks of a dask.distributed scheduler (a cluster shares the file system).

    ``address`` is a scheduler address ('tcp://host:8786'), or 'local' for a
    LocalCluster on this machine.  The tasks call the same :func:`run_chunk`,
    so the events are those of a local run.
    """
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError:
        raise ValueError("--dask needs dask.distributed: pip install 'nusource[dask]'") from None
    cluster = LocalCluster(n_workers=2, threads_per_worker=1) if address == "local" else None
    with Client(cluster if cluster is not None else address) as client:
        futures = client.map(run_chunk, [prod] * len(todo), todo, pure=False)
        for f in dask_completed(futures):
            k, m = f.result()
            counts[k] = m
            if progress:
                progress(prod.sizes[k])
    if cluster is not None:
        cluster.close()


def stream(prod: Production, *, progress=None, overwrite=False) -> dict:
    """Generate every chunk in this process straight into the output (no journal).

    About twice as fast as :func:`simulate` (each event is written once), but
    an interrupted run leaves nothing to resume from: started again, it
    starts over (and gives the same file).
    """
    from .detsim.writers import EventWriter

    t0 = time.perf_counter()
    meta = dict(prod.metadata)
    meta["chunk_keys"] = [chunk_key(prod.seed, 0, k) for k in range(len(prod.sizes))]
    meta["run_key"] = prod.run_key
    dtype = EVENT_DTYPE if prod.response is not None else TRUTH_DTYPE
    n_total = 0
    with EventWriter(prod.output, meta, compression=prod.compression, dtype=dtype,
                     overwrite=overwrite, size_hint=sum(prod.sizes)) as w:  # fmt: skip
        for k in range(len(prod.sizes)):
            cols, n = chunk_columns(prod, k)
            w.append_columns(cols, n)
            n_total += n
            if progress:
                progress(prod.sizes[k])
        w.metadata["n_events"] = n_total
    return {
        "output": str(prod.output),
        "events": n_total,
        "expected_events": prod.spec.expected_events,
        "chunks": len(prod.sizes),
        "chunks_resumed": 0,
        "workers": "1 (no journal)",
        "seconds": time.perf_counter() - t0,
    }


def simulate(prod: Production, *, workers: int = 1, progress=None, keep_chunks=False,
             overwrite=False, dask=None) -> dict:  # fmt: skip
    """Run every chunk (resuming), merge into the output, return a summary.

    Chunks run in this process (``workers=1``), in local worker processes, or
    as tasks of a dask.distributed scheduler (``dask`` = its address or
    'local').
    """
    from .analysis.readers import iter_columns
    from .detsim.writers import EventWriter

    if workers < 1:
        raise ValueError(f"--workers: {workers} is not allowed; it must be ≥ 1")
    t0 = time.perf_counter()
    resumed = prepare_chunk_dir(prod, overwrite=overwrite)
    counts = {}
    todo = list(range(len(prod.sizes)))
    if dask is not None:
        _run_on_dask(prod, todo, dask, progress, counts)
    elif workers == 1 or len(todo) <= 1:
        for k in todo:
            k, m = run_chunk(prod, k)
            counts[k] = m
            if progress:
                progress(prod.sizes[k])
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(run_chunk, prod, k) for k in todo]
            for f in as_completed(futures):
                k, m = f.result()
                counts[k] = m
                if progress:
                    progress(prod.sizes[k])
    n_total = sum(counts.values())
    meta = dict(prod.metadata)
    meta["n_events"] = n_total
    meta["chunk_keys"] = [chunk_key(prod.seed, 0, k) for k in range(len(prod.sizes))]
    meta["run_key"] = prod.run_key
    dtype = EVENT_DTYPE if prod.response is not None else TRUTH_DTYPE
    with EventWriter(prod.output, meta, compression=prod.compression, dtype=dtype,
                     overwrite=overwrite, size_hint=n_total) as w:  # fmt: skip
        for k in range(len(prod.sizes)):
            for block in iter_columns(prod.chunk_path(k)):
                w.append_columns(block)
            if not keep_chunks:
                # merged: its disk space goes now (if the merge is interrupted, a
                # resumed run regenerates it; its events depend only on k)
                prod.chunk_path(k).unlink()
    if not keep_chunks:
        shutil.rmtree(prod.chunk_dir, ignore_errors=True)
    return {
        "output": str(prod.output),
        "events": n_total,
        "expected_events": prod.spec.expected_events,
        "chunks": len(prod.sizes),
        "chunks_resumed": resumed,
        "workers": workers if dask is None else f"dask ({dask})",
        "seconds": time.perf_counter() - t0,
    }
