"""Event file write speed of ``EventWriter`` on one core, with the machine's own limits.

Writes N events of EVENT_DTYPE (truth + detected, 280 B each) appended in
chunks, as a simulation would, to ROOT (LZ4, ZSTD(1)), HDF5 (uncompressed)
and npz, and prints events/s, MB/s of event data and the file size, beside
two limits measured in the same run: copying the records into contiguous
columns (the writer's own work) and writing the raw bytes with ``tofile``.
Wall time includes the page cache; figures are pinned to one core
(``os.sched_setaffinity(0, {0})``, so the kernel's writeback shares it), the
unpinned wall time beside them.  The slim schema's fields (``SLIM_DTYPE``, 84 B)
are written beside the full ones.
Each run writes a new file (the old one is removed outside the timing).

Then reading: a file written as a production writes it (a checkpoint after
every ``--production-chunk`` events, which ends a ROOT basket early) is read
back with ``iter_columns`` (pieces ending where baskets end), beside the same
reader in fixed steps of ``STEP_EVENTS`` (the reference: its pieces straddle
baskets, whose decompression is then repeated).

    python benchmarks/io_speed.py [--n 1000000] [--chunk 100000] [--json] [--dir DIR]
        [--production-chunk 300000]
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from nusource.io import EventWriter
from nusource.io.readers import STEP_EVENTS, _File, _open, iter_columns
from nusource.io.schema import EVENT_DTYPE, SLIM_DTYPE

CASES = [  # (extension, compression, buffer_events, append columns instead of the array)
    ("root", "lz4", 1 << 17, False),
    ("root", "zstd", 1 << 17, False),
    ("root", "none", 1 << 17, False),
    ("h5", "none", 1 << 17, False),
    ("npz", "none", 1 << 17, False),
    ("root", "lz4", 1 << 17, True),
    ("h5", "none", 1 << 17, True),
    ("root", "lz4", 1 << 14, False),
    ("root", "lz4", 1 << 19, False),
]


def fake_events(n, rng):
    """Events shaped like a 0.75 MeV line source in a detector (as compressible as real ones)."""
    ev = np.zeros(n, EVENT_DTYPE)
    ev["event_id"] = np.arange(n, dtype=np.uint64)
    ev["time"] = np.sort(rng.uniform(0, 1e7, n))
    for p in ("src_", "vtx_", "rec_"):
        for a in "xyz":
            ev[p + a] = rng.normal(0, 50, n)
    ev["flight"] = rng.uniform(0, 300, n)
    ev["enu"] = 0.7473
    for p in ("nu_d", "e_d", "rec_d"):
        v = rng.normal(size=(3, n))
        v /= np.linalg.norm(v, axis=0)
        for a, c in zip("xyz", v, strict=True):
            ev[p + a] = c
    ev["te"] = rng.uniform(0, 0.56, n)
    ev["cos_theta"] = rng.uniform(0.5, 1, n)
    for f in ("xs_gen", "xs_sm", "xs_mag", "xs_zlin", "xs_zquad"):
        ev[f] = rng.uniform(1, 2, n) * 1e-45
    ev["weight"] = 3.2e-6
    ev["p_ee"] = 1.0
    ev["edep"] = ev["te"]
    ev["erec"] = ev["te"] + rng.normal(0, 0.01, n)
    ev["flags"] = rng.integers(0, 4, n, dtype=np.uint32)
    return ev


def best_time(fn, repeats, cleanup=None):
    """Best wall and CPU seconds of several runs (the machine is shared: best = least disturbed).

    Pinned to one core (``os.sched_setaffinity``): the per-core figure; see :func:`unpinned`.
    """
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {0})
    try:
        return _best_time(fn, repeats, cleanup)
    finally:
        os.sched_setaffinity(0, allowed)


def unpinned(fn, repeats, cleanup=None) -> float:
    """Best wall seconds with every core allowed (page-cache writeback then runs beside)."""
    return _best_time(fn, repeats, cleanup)[0]


def _best_time(fn, repeats, cleanup=None):
    wall = cpu = np.inf
    for _ in range(repeats):
        if cleanup is not None:
            cleanup()
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu


def read_aligned(path) -> None:
    """Every field of the file, as ``iter_columns`` reads it."""
    for _ in iter_columns(path):
        pass


def read_fixed(path) -> None:
    """The same, in fixed steps of ``STEP_EVENTS`` (the reference)."""
    with _open(path, None) as f:
        names = list(f.fields())
        for a, b in _File.pieces(f, 0, f.n, STEP_EVENTS):
            f.read_columns(names, a, b)


def reading_rows(tmp: Path, columns, a) -> list[dict]:
    """Read speed of files written as a production writes them (see the module notes)."""
    rows = []
    for ext, comp in (("root", "lz4"), ("root", "zstd"), ("h5", "none")):
        path = tmp / f"read.{ext}"
        with EventWriter(path, {"n_events": a.n}, compression=comp) as w:
            for s in range(0, a.n, a.chunk):
                w.append_columns({k: v[s : s + a.chunk] for k, v in columns.items()})
                if (s + a.chunk) % a.production_chunk < a.chunk:
                    w.checkpoint()
        read_fixed(path)  # untimed: the file in the page cache, the reader's code loaded
        for how, fn in (("pieces", read_aligned), ("fixed steps (reference)", read_fixed)):
            t, c = best_time(lambda fn=fn, path=path: fn(path), a.repeats)
            rows.append({"case": f"read {ext} {comp}, {how}", "s": t, "cpu_s": c})
        rows[-2]["ratio_to_fixed_steps"] = rows[-1]["s"] / rows[-2]["s"]
        os.remove(path)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--chunk", type=int, default=100_000, help="events per append")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dir", default=None, help="where to write (default: a temporary directory)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--production-chunk",
        type=int,
        default=300_000,
        help="events between the checkpoints of the file read back",
    )
    a = ap.parse_args(argv)
    ev = fake_events(a.n, np.random.default_rng(1))
    mb = ev.nbytes / 1e6
    rows = []
    with tempfile.TemporaryDirectory(dir=a.dir) as tmp:
        raw = Path(tmp) / "raw.bin"
        cols = {k: np.empty(a.n, EVENT_DTYPE[k]) for k in EVENT_DTYPE.names}

        def copy_columns():
            for b in range(0, a.n, 4096):
                blk = ev[b : b + 4096]
                for k, c in cols.items():
                    c[b : b + 4096] = blk[k]

        t, c = best_time(copy_columns, a.repeats)
        rows.append({"case": "limit: column copy", "s": t, "cpu_s": c})
        t, c = best_time(lambda: ev.tofile(raw), a.repeats, lambda: raw.unlink(missing_ok=True))
        rows.append({"case": "limit: raw tofile", "s": t, "cpu_s": c, "size_mb": ev.nbytes / 1e6})
        raw.unlink()
        columns = {k: np.ascontiguousarray(ev[k]) for k in EVENT_DTYPE.names}
        for ext, comp, buf, by_column in CASES:
            path = Path(tmp) / f"bench.{ext}"

            def write(path=path, comp=comp, buf=buf, by_column=by_column):
                with EventWriter(path, {"n_events": a.n}, compression=comp, buffer_events=buf) as w:
                    for s in range(0, a.n, a.chunk):
                        if by_column:
                            w.append_columns({k: v[s : s + a.chunk] for k, v in columns.items()})
                        else:
                            w.append(ev[s : s + a.chunk])

            clean = lambda path=path: path.unlink(missing_ok=True)  # noqa: E731
            t, c = best_time(write, a.repeats, clean)
            size = path.stat().st_size / 1e6
            case = f"{ext} {comp} buffer={buf}" + (" columns" if by_column else "")
            u = unpinned(write, a.repeats, clean)
            rows.append({"case": case, "s": t, "cpu_s": c, "size_mb": size, "s_unpinned": u})
            os.remove(path)
        slim = {k: columns[k].astype(SLIM_DTYPE[k]) for k in SLIM_DTYPE.names}
        for ext, comp in (("root", "lz4"), ("h5", "none")):
            path = Path(tmp) / f"slim.{ext}"

            def write_slim(path=path, comp=comp):
                with EventWriter(path, {"n_events": a.n}, compression=comp) as w:
                    for s in range(0, a.n, a.chunk):
                        w.append_columns({k: v[s : s + a.chunk] for k, v in slim.items()})

            clean = lambda path=path: path.unlink(missing_ok=True)  # noqa: E731
            t, c = best_time(write_slim, a.repeats, clean)
            size = path.stat().st_size / 1e6
            u = unpinned(write_slim, a.repeats, clean)
            case = f"{ext} {comp} slim columns"
            rows.append({"case": case, "s": t, "cpu_s": c, "size_mb": size, "s_unpinned": u})
            rows[-1]["data_mb"] = a.n * SLIM_DTYPE.itemsize / 1e6
            os.remove(path)
        rows += reading_rows(Path(tmp), columns, a)
    for r in rows:
        r["events_per_s"] = a.n / r["s"]
        r["mb_per_s"] = r.get("data_mb", mb) / r["s"]
        r["events_per_cpu_s"] = a.n / r["cpu_s"]
        if "s_unpinned" in r:
            r["events_per_s_unpinned"] = a.n / r["s_unpinned"]
        if "size_mb" in r:
            r["bytes_per_event"] = r["size_mb"] * 1e6 / a.n
    if a.json:
        print(json.dumps({"n": a.n, "event_mb": mb, "rows": rows}, indent=2))
        return
    print(
        f"{a.n} events of EVENT_DTYPE ({EVENT_DTYPE.itemsize} B, {mb:.0f} MB), appends of {a.chunk}"
    )
    for r in rows:
        size = f"{r['size_mb']:7.0f} MB" if "size_mb" in r else ""
        u = f"(unpinned {r['events_per_s_unpinned'] / 1e6:6.2f})" if "s_unpinned" in r else ""
        ratio = (
            f" {r['ratio_to_fixed_steps']:.2f}× the reference"
            if "ratio_to_fixed_steps" in r
            else ""
        )
        print(
            f"{r['case']:36s} {r['events_per_s'] / 1e6:6.2f} M events/s pinned {u} "
            f"{r['mb_per_s']:7.0f} MB/s {r['events_per_cpu_s'] / 1e6:6.2f} M events/CPU-s {size}"
            + ratio
        )


if __name__ == "__main__":
    main()
