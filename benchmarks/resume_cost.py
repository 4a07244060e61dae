"""Cost of resuming a run with 9 of its 10 chunks done, against its target.

Target: a resume costs no more than the chunk it still has to make plus
reading what it checks (the 9 recorded chunks).  Measured on the LAMA card
(signal only, 5×10⁶ events in 10 chunks) for ROOT (zstd) and HDF5: a fresh
run, then a run stopped (KeyboardInterrupt from the progress callback) after
9 chunks, a timed read of its partial output, and the timed resume.  The
chunk still to make is taken as a tenth of the fresh run.  Both formats are
continued in place (the check reads and digests the 9 chunks; nothing is
copied); the ratio to the fresh run is printed too.  The read is the reader a
user calls (``iter_columns``, its default pieces); the check reads chunk by
chunk, so that no ROOT basket is decompressed twice, which pays for the digest.
Each time is the best of ``--repeat`` rounds (each round's own ratio is printed
too), and each timed phase starts with warm memory (``memory_state.py``: on a
virtual machine that returns freed memory to its host the resume otherwise
measures 1.3× instead of 1.0×); pinned to one core, the unpinned figure beside it.

    python benchmarks/resume_cost.py [--json] [--events 5000000] [--repeat 3]
"""

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from memory_state import warm_memory

from nusource.io.readers import iter_columns
from nusource.production import plan, simulate
from nusource.runcard import shipped_card

TARGET_RATIO = 1.0
"""resume / (one chunk to make + reading the checked chunks) must not exceed this."""


def signal_only_card(workdir: Path) -> Path:
    """lama.toml without its [photons] table and [[components]]: the signal alone."""
    text = shipped_card("lama.toml").read_text()
    marks = [i for i in (text.find("\n[photons]"), text.find("\n[[components]]")) if i >= 0]
    path = workdir / "lama_signal.toml"
    path.write_text(text[: min(marks, default=len(text))] + "\n")
    return path


def measure_once(fmt: str, events: int, workdir: Path) -> dict:
    out = workdir / f"run.{fmt}"
    compression = "zstd" if fmt == "root" else None
    card = signal_only_card(workdir)
    prod = plan(card, out, n=events, chunk_size=events // 10, compression=compression)
    warm_memory()
    t = time.perf_counter()
    simulate(prod)
    fresh = time.perf_counter() - t
    out.unlink()
    done = [0]

    def stop_after_nine(n):
        done[0] += n
        if done[0] >= 9 * (events // 10):
            raise KeyboardInterrupt

    try:
        simulate(prod, progress=stop_after_nine)
    except KeyboardInterrupt:
        pass
    partial = prod.chunk_dir / f"partial.{fmt}"
    warm_memory()
    t = time.perf_counter()
    for _ in iter_columns(partial):
        pass
    read = time.perf_counter() - t
    warm_memory()
    t = time.perf_counter()
    r = simulate(prod)
    resumed = time.perf_counter() - t
    assert r["chunks_resumed"] == 9, r
    out.unlink()
    shutil.rmtree(prod.chunk_dir, ignore_errors=True)
    return {"fresh_s": fresh, "read_checked_s": read, "resume_s": resumed}


def measure(fmt: str, events: int, workdir: Path, repeat: int) -> dict:
    """Best of ``repeat`` rounds for each time (the machine is shared)."""
    rounds = [measure_once(fmt, events, workdir) for _ in range(repeat)]
    fresh, read, resumed = (min(r[k] for r in rounds) for k in rounds[0])
    target = fresh / 10 + read
    return {
        "fresh_s": fresh,
        "read_checked_s": read,
        "resume_s": resumed,
        "target_s": target,
        "ratio_to_target": resumed / target,
        "ratio_to_fresh": resumed / fresh,
        "rounds": repeat,
        "round_ratios_to_target": [
            r["resume_s"] / (r["fresh_s"] / 10 + r["read_checked_s"]) for r in rounds
        ],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--events", type=int, default=5_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="rounds; each time is the best")
    a = ap.parse_args()
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("root", "h5"):
            measure(fmt, min(a.events, 200_000), Path(tmp), 1)  # compile
            unpinned = measure(fmt, a.events, Path(tmp), a.repeat)
            cpus = os.sched_getaffinity(0)
            os.sched_setaffinity(0, {0})
            try:
                pinned = measure(fmt, a.events, Path(tmp), a.repeat)
            finally:
                os.sched_setaffinity(0, cpus)
            res[fmt] = {"pinned": pinned, "unpinned": unpinned}
    res["target_ratio"] = TARGET_RATIO
    if a.json:
        print(json.dumps(res, indent=2))
        return
    for fmt in ("root", "h5"):
        p, u = res[fmt]["pinned"], res[fmt]["unpinned"]
        print(
            f"{fmt:4s} fresh {p['fresh_s']:.2f} s, read 9 chunks {p['read_checked_s']:.2f} s, "
            f"resume {p['resume_s']:.2f} s: {p['ratio_to_target']:.2f} × target "
            f"({p['ratio_to_fresh']:.2f} × fresh); unpinned {u['resume_s']:.2f} s, "
            f"{u['ratio_to_target']:.2f} × target; pinned rounds "
            + " ".join(f"{x:.2f}" for x in p["round_ratios_to_target"])
        )


if __name__ == "__main__":
    main()
