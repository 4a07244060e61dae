"""End-to-end `simulate` speed and memory for the LXe card, on one core.

Prints events per second for a whole production (generation, detector
response, chunk journal, merge into the output) writing LZ4 ROOT and
uncompressed HDF5, with one worker, and the same with --no-journal (each
event written once, no resume); and the peak resident memory of the
`nusource simulate` process for 10⁶ and 10⁸ events (memory must stay flat in
the number of events).  Beside them: this machine's raw write rate to the
same disk, measured in the same run.

    python benchmarks/simulate_speed.py [--json] [--n 4000000] [--big 100000000]

The 10⁸-event run writes ~25 GB (deleted afterwards) and takes minutes;
``--big 0`` skips it.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CARD = Path(__file__).resolve().parent.parent / "configs" / "lxe_cr51.toml"
TARGETS = {"root_events_per_s": 2e6, "hdf5_events_per_s": 2e6}


def timed_run(out: Path, n: int, *, journal: bool = True) -> float:
    """Events per second of one production (numba's cache warmed beforehand)."""
    from nusource.production import plan, simulate, stream

    t0 = time.perf_counter()
    prod = plan(CARD, out, n=n, seed=1, overwrite=True)
    if journal:
        simulate(prod, workers=1, overwrite=True)
    else:
        stream(prod, overwrite=True)
    rate = n / (time.perf_counter() - t0)
    out.unlink()
    return rate


def peak_rss_mb(out: Path, n: int) -> float:
    """Peak RSS [MB] of a `nusource simulate` of n events, in a fresh process of its own."""
    code = (
        "import resource, sys; from nusource.cli import main; "
        f"code = main(['simulate', {str(CARD)!r}, '-o', {str(out)!r}, '-n', '{n}', "
        "'--seed', '1', '--overwrite']); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(code)"
    )
    r = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    out.unlink()
    return int(r.stdout.strip().splitlines()[-1]) / 1024.0


def disk_write_rate(d: Path, mb: int = 512) -> float:
    """Raw sequential write rate to the output disk [MB/s] (with fsync)."""
    buf = np.random.default_rng(0).random(mb * 131072)
    path = d / "raw.bin"
    t0 = time.perf_counter()
    with open(path, "wb") as f:
        buf.tofile(f)
        f.flush()
        os.fsync(f.fileno())
    rate = mb / (time.perf_counter() - t0)
    path.unlink()
    return rate


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--n", type=int, default=4_000_000, help="events of the timed runs")
    ap.add_argument("--big", type=int, default=100_000_000, help="events of the big memory run")
    ap.add_argument("--dir", default=None, help="scratch directory (default: a temporary one)")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=a.dir) as tmp:
        d = Path(tmp)
        timed_run(d / "warm.h5", 20_000)
        res = {
            "disk_write_mb_per_s": disk_write_rate(d),
            "root_events_per_s": timed_run(d / "lxe.root", a.n),
            "hdf5_events_per_s": timed_run(d / "lxe.h5", a.n),
            "root_events_per_s_no_journal": timed_run(d / "lxe.root", a.n, journal=False),
            "hdf5_events_per_s_no_journal": timed_run(d / "lxe.h5", a.n, journal=False),
            "peak_rss_mb_1e6": peak_rss_mb(d / "m6.root", 1_000_000),
        }
        if a.big:
            res["peak_rss_mb_1e8"] = peak_rss_mb(d / "m8.root", a.big)
            res["peak_rss_ratio_1e8_over_1e6"] = res["peak_rss_mb_1e8"] / res["peak_rss_mb_1e6"]
    for k, target in TARGETS.items():
        res[k.replace("_per_s", "_target_ratio")] = res[k] / target
    if a.json:
        print(json.dumps(res, indent=2))
        return
    print(f"disk write (raw, fsync)   {res['disk_write_mb_per_s']:.0f} MB/s")
    for k, target in TARGETS.items():
        print(f"{k:24s}  {res[k]:.3e} /s  (target {target:.0e}, ratio {res[k] / target:.2f})")
        nj = res[k + "_no_journal"]
        print(f"{'  with --no-journal':24s}  {nj:.3e} /s  (ratio {nj / target:.2f})")
    print(f"peak RSS 1e6 events       {res['peak_rss_mb_1e6']:.0f} MB")
    if "peak_rss_mb_1e8" in res:
        print(
            f"peak RSS {a.big:.0e} events     {res['peak_rss_mb_1e8']:.0f} MB "
            f"(ratio {res['peak_rss_ratio_1e8_over_1e6']:.3f}; target ≤ 1.2)"
        )


if __name__ == "__main__":
    main()
