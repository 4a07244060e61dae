"""Production speed on a batch cluster beside local workers, and the rates a big run needs.

For the LXe card (signal and its three backgrounds), writing LZ4 ROOT:

- local ``--workers 1`` (pinned to one core, and unpinned) and ``--workers 2``;
- ``--cluster slurm --jobs 1`` and ``--jobs 2``: dask workers as SLURM jobs on
  this machine (needs a running SLURM, e.g. ``.ci/slurm-up``; skipped otherwise);
- the array-job path: chunk files made here (``--chunks``), then ``--assemble``
  (the merge: reading uncompressed HDF5 chunk files, writing the output),
  and the bytes per event of a chunk file and of the output.

The rate is the events per second from the end of the first chunk to the end
of the run (workers started, kernels loaded); the whole run's n / t, which
includes starting the workers (batch jobs: submission, start, import), is
printed beside it.  The targets are linear scaling (2 workers twice 1) and a
cluster as fast as local workers of the same number.

    python benchmarks/cluster_speed.py [--json] [--n 1000000] [--chunk-size 250000]

``--n`` events per component (4 components).  The machine is shared: best of
``--repeat`` runs.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CARD = Path(__file__).resolve().parent.parent / "configs" / "lxe_cr51.toml"


def slurm_running() -> bool:
    if not shutil.which("sinfo"):
        return False
    r = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    return r.returncode == 0 and "idle" in r.stdout


def timed(prod, **kw) -> dict:
    """One production: steady rate after the first chunk, and the whole run's n / t."""
    from nusource.production import simulate

    marks = []

    def tick(m):
        if m > 0:
            marks.append((time.perf_counter(), m))

    t0 = time.perf_counter()
    r = simulate(prod, overwrite=True, progress=tick, **kw)
    t1 = time.perf_counter()
    after_first = sum(m for _, m in marks[1:])
    return {
        "events": r["events"],
        "events_per_s": after_first / (t1 - marks[0][0]),
        "whole_events_per_s": r["events"] / (t1 - t0),
        "seconds": t1 - t0,
        "first_chunk_seconds": marks[0][0] - t0,
    }


def progress_record_seconds(n_chunks: int) -> float:
    """Time to write the progress record of a run n_chunks long (rewritten after every chunk)."""
    import hashlib

    from nusource.production.state import State

    state = State.__new__(State)
    state.prod = type("P", (), {"run_key": "0" * 64})()
    state.records = [(10**6, hashlib.sha256(str(i).encode()).hexdigest()) for i in range(n_chunks)]
    with tempfile.TemporaryDirectory(dir=".") as d:
        state.progress = Path(d) / "progress.json"
        t0 = time.perf_counter()
        state.record(10**6, "0" * 64)
        return time.perf_counter() - t0


def best(runs: list[dict]) -> dict:
    return max(runs, key=lambda r: r["events_per_s"])


def measure(args, tmp: Path) -> dict:
    from nusource.production import make_chunks, plan, simulate
    from nusource.production.arrays import check_assembly
    from nusource.production.clusters import ClusterSpec

    def prod(name):
        return plan(CARD, tmp / name, n=args.n, chunk_size=args.chunk_size, seed=1, overwrite=True)

    everything = set(os.sched_getaffinity(0))
    simulate(plan(CARD, tmp / "warm.root", n=20_000, chunk_size=10_000, seed=2))  # kernels loaded
    out = {"events": 4 * args.n, "chunk_size": args.chunk_size, "cores": len(everything)}
    os.sched_setaffinity(0, {0})
    out["local_1_pinned"] = best([timed(prod("l1p.root")) for _ in range(args.repeat)])
    os.sched_setaffinity(0, everything)
    out["local_1"] = best([timed(prod("l1.root")) for _ in range(args.repeat)])
    out["local_2"] = best([timed(prod("l2.root"), workers=2) for _ in range(args.repeat)])
    if slurm_running():
        for jobs in (1, 2):
            runs = [
                timed(prod(f"s{jobs}.root"), cluster=ClusterSpec("slurm", jobs))
                for _ in range(args.repeat)
            ]
            out[f"slurm_{jobs}"] = best(runs)
    # the array-job path: chunk files (one job making them all), then the merge
    p = prod("array.root")
    t0 = time.perf_counter()
    make_chunks(p, 0, len(p.sizes))
    t1 = time.perf_counter()
    chunk_bytes = sum(f.stat().st_size for f in p.chunk_dir.glob("chunk_*.h5"))
    t2 = time.perf_counter()
    check_assembly(p)
    out["check_seconds_per_chunk_file"] = (time.perf_counter() - t2) / len(p.sizes)
    out["progress_record_seconds_at_1e5_chunks"] = progress_record_seconds(100_000)
    r = timed(p, assemble=True)
    out["array_chunks_1_job"] = {"events_per_s": r["events"] / (t1 - t0)}
    out["assemble"] = r
    out["chunk_file_bytes_per_event"] = chunk_bytes / r["events"]
    out["root_lz4_bytes_per_event"] = p.output.stat().st_size / r["events"]
    out["scaling_local_2_over_1"] = out["local_2"]["events_per_s"] / out["local_1"]["events_per_s"]
    if "slurm_2" in out:
        out["scaling_slurm_2_over_1"] = (
            out["slurm_2"]["events_per_s"] / out["slurm_1"]["events_per_s"]
        )
        for jobs in (1, 2):
            out[f"slurm_{jobs}_over_local_{jobs}"] = (
                out[f"slurm_{jobs}"]["events_per_s"] / out[f"local_{jobs}"]["events_per_s"]
            )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--n", type=int, default=1_000_000, help="events per component")
    ap.add_argument("--chunk-size", type=int, default=250_000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=".") as tmp:  # beside here: a disk, not a tmpfs
        cwd, tmp = os.getcwd(), Path(tmp).absolute()
        os.chdir(tmp)  # batch jobs write their logs here
        try:
            r = measure(args, tmp)
        finally:
            os.chdir(cwd)
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    print(
        f"LXe card, {r['events']:.3g} events (4 components), chunks of {r['chunk_size']}, ROOT LZ4"
    )
    print(f"  {'':28s} {'events/s':>10s} {'whole run':>10s} {'first chunk':>12s}")
    rows = [
        ("local --workers 1 (pinned)", "local_1_pinned"),
        ("local --workers 1", "local_1"),
        ("local --workers 2", "local_2"),
        ("--cluster slurm --jobs 1", "slurm_1"),
        ("--cluster slurm --jobs 2", "slurm_2"),
        ("--assemble (merge)", "assemble"),
    ]
    for label, key in rows:
        if key in r:
            x = r[key]
            print(
                f"  {label:28s} {x['events_per_s']:10.3g} {x['whole_events_per_s']:10.3g} "
                f"{x['first_chunk_seconds']:10.1f} s"
            )
    print(f"  --chunks, one job: {r['array_chunks_1_job']['events_per_s']:.3g} events/s")
    print(
        f"  bytes per event: chunk file {r['chunk_file_bytes_per_event']:.1f}, "
        f"ROOT LZ4 output {r['root_lz4_bytes_per_event']:.1f}"
    )
    print(
        f"  assembly check {r['check_seconds_per_chunk_file'] * 1e3:.1f} ms per chunk file; "
        f"progress record at 10⁵ chunks {r['progress_record_seconds_at_1e5_chunks']:.3f} s "
        "per chunk"
    )
    print(f"  scaling 2/1 workers, local: {r['scaling_local_2_over_1']:.2f} (target 2)")
    if "scaling_slurm_2_over_1" in r:
        print(f"  scaling 2/1 SLURM jobs: {r['scaling_slurm_2_over_1']:.2f} (target 2)")
        for jobs in (1, 2):
            print(
                f"  SLURM {jobs} job(s) / local {jobs} worker(s): "
                f"{r[f'slurm_{jobs}_over_local_{jobs}']:.2f} (target 1)"
            )
    else:
        print("  SLURM: not running here (start it with .ci/slurm-up); not measured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
