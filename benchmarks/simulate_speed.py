"""End-to-end `simulate` speed of the LXe card, per core: pinned to one core, unpinned beside.

Times whole productions (plan, generation, detector response, output with its
checkpoints and progress record, final rename) with one worker, writing LZ4
ROOT and uncompressed HDF5 (the crash-safe, resumable default of `nusource
simulate`), in the full and the slim output schema (``nusource.io.schema``).
The card is ``configs/lxe_cr51.toml`` as it is: the ⁵¹Cr signal and its six
background components (solar pp and ⁷Be, ¹³⁶Xe, ⁸⁵Kr, ²²²Rn with ²¹⁴Pb's γ rays
transported, the source's γ rays through the shield), ``-n N`` of each (for
the source γ: N photon histories, of which a few % make events); the signal
alone (the card without its ``[[components]]``) is timed beside, to compare
with figures from before the backgrounds, and so is the card without photon
transport (no ``source_gamma``, ``rn222`` with ``transport = false``: the card
as it was when the speed targets were set).  The rates count the events
written to the file (what ``simulate`` reports); on the card as it is, the
generated entities per second (events, decays, photon histories: 10⁷ in a
run of ``--n 10000000``, of which ~8.6×10⁶ are written) are printed beside.
Also what each component costs: generation and response per event and per
generated entity, pinned, in one process.

"Per core" means pinned: the benchmark process and each timed `simulate`
process run with ``os.sched_setaffinity(0, {0})`` (as ``taskset -c 0``), so the
kernel's page-cache writeback shares the core, as on a cluster node running
one job per core.  The unpinned figure (both cores) is printed beside it.

Each run is a fresh process (numba's cache, the table cache and Python's
bytecode cache warmed beforehand), started right after 4 GB of memory were
touched and freed (``memory_state.py``: a virtual machine that hands freed
memory back to its host makes it ~5× slower to touch again, which cost the
full schema 10–25 % here; ``--cold`` skips it).  Per run: the start-up (imports, plan,
sampler tables, loading the compiled kernels, up to the first event), the
rate with the start-up excluded (events per second from the end of the first
chunk to the output's final rename: generation, response, writing,
checkpoints, closing), and the whole run's average (all events over the whole
process time).  Best of ``--repeat`` runs: the machine is shared.  Also the
start-up of the command ``nusource simulate CARD -n 1000`` (wall clock,
pinned, after an untimed run that writes the bytecode;
``benchmarks/startup_phases.py`` splits it into phases beside numba's floor),
the bytes per event of each format and schema, and the rate of generation and
response alone.

    python benchmarks/simulate_speed.py [--json] [--n 10000000] [--repeat 3]
        [--no-signal] [--no-transport-free] [--no-unpinned] [--cold]

``--n`` is the total of the run (``n / 7`` per component of the LXe card).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from failures import main_or_why
from memory_state import warm_memory

CARD = Path(__file__).resolve().parent.parent / "configs" / "lxe_cr51.toml"
TARGETS = {"full": 2.5e6, "slim": 5e6}
STARTUP_TARGET_S = 0.5
WARM = True
"""Warm memory before each timed process (``memory_state.py``; ``--cold``: not)."""

RUN = """
import os, sys, time
t_start = time.perf_counter()
if sys.argv[6] == "1":
    os.sched_setaffinity(0, {{0}})
import json, resource
from nusource.production import plan, simulate, chunk_columns
t_import = time.perf_counter()
card, out, n, mode, schema = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
prod = plan(card, out, n=n, seed=1, overwrite=True, schema=schema)
done = []
def tick(m):
    if m > 0:
        done.append((time.perf_counter(), m))
if mode == "generate":
    for k in range(len(prod.sizes)):
        tick(chunk_columns(prod, k)[1])
else:
    simulate(prod, overwrite=True, progress=tick)
t_end = time.perf_counter()
print(json.dumps({{"seconds": t_end - t_start, "import_seconds": t_import - t_start,
                   "first_chunk_done": done[0][0] - t_start, "first_chunk": done[0][1],
                   "first_chunk_size": prod.chunk_size, "n": sum(m for _, m in done),
                   "generated": sum(prod.sizes), "first_generated": prod.sizes[0],
                   "bytes": os.path.getsize(out) if os.path.exists(out) else 0,
                   "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def _pin():
    os.sched_setaffinity(0, {0})


def one_run(card, out: Path, n: int, mode: str, schema: str, pinned: bool, env=None) -> dict:
    """A production of n events (total) in a fresh process: its timings and file size."""
    if WARM:
        warm_memory()
    r = subprocess.run(
        [sys.executable, "-c", RUN.format(), str(card), str(out), str(n), mode, schema]
        + ["1" if pinned else "0"],
        check=True,
        capture_output=True,
        text=True,
        preexec_fn=_pin if pinned else None,
        env=env,
    )
    out.unlink(missing_ok=True)
    res = json.loads(r.stdout.strip().splitlines()[-1])
    # the start-up: everything before the first chunk's events were being made
    per_event = (res["seconds"] - res["first_chunk_done"]) / max(res["n"] - res["first_chunk"], 1)
    res["startup"] = res["first_chunk_done"] - res["first_chunk"] * per_event
    rest = res["seconds"] - res["first_chunk_done"]
    res["rate"] = (res["n"] - res["first_chunk"]) / rest if rest > 0 else float("nan")
    res["whole_run"] = res["n"] / res["seconds"]
    gen = res["generated"] - res["first_generated"]
    res["generated_rate"] = gen / rest if rest > 0 else float("nan")
    return res


def best(card, out, n, mode, schema, pinned, repeat) -> dict:
    """Best of ``repeat`` runs (rate and whole-run average: highest; start-up: lowest)."""
    runs = [one_run(card, out, n, mode, schema, pinned) for _ in range(repeat)]
    return {
        "rate": max(r["rate"] for r in runs),
        "generated_rate": max(r["generated_rate"] for r in runs),
        "whole_run": max(r["whole_run"] for r in runs),
        "startup": min(r["startup"] for r in runs),
        "import": min(r["import_seconds"] for r in runs),
        "bytes_per_event": runs[0]["bytes"] / runs[0]["n"],
        "n": runs[0]["n"],
        "runs": [r["rate"] for r in runs],
    }


def command_startup(d: Path, repeat: int) -> float:
    """Wall time of ``nusource simulate CARD -n 1000`` (1000 events of each component before
    the window), in its own process (not a ``nusource serve``), pinned, best of repeat."""
    out = d / "small.h5"
    cmd = [sys.executable, "-m", "nusource.cli", "simulate", str(CARD), "-n", "1000"]
    cmd += ["-o", str(out), "--overwrite"]
    own = {"NUSOURCE_SERVE": "off"}
    subprocess.run(cmd, check=True, capture_output=True, env=bytecode_env() | own)  # (warm)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, preexec_fn=_pin, env=os.environ | own)
        times.append(time.perf_counter() - t0)
        out.unlink(missing_ok=True)
    return min(times)


def bytecode_env() -> dict:
    """The environment with Python writing its bytecode cache (``__pycache__``), as by default.

    Warm means every cache a user's earlier run leaves filled: numba's, the
    table cache, and the compiled bytecode of the modules (which an
    environment with ``PYTHONDONTWRITEBYTECODE`` never writes, so each run
    would compile them again, ~0.1 s).
    """
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def signal_only_card(d: Path) -> Path:
    """The LXe card without its ``[[components]]``: the ⁵¹Cr signal alone."""
    text = CARD.read_text().split("\n[[components]]")[0]
    path = d / "lxe_cr51_signal.toml"
    path.write_text(text + "\n")
    return path


def transport_free_card(d: Path) -> Path:
    """The LXe card without photon transport: no ``source_gamma``, ``rn222`` untransported."""
    head, *entries = CARD.read_text().split("\n[[components]]")
    kept = []
    for entry in entries:
        if re.search(r'^kind = "source_gamma"', entry, re.M):
            continue
        if re.search(r'^kind = "rn222"', entry, re.M):
            entry = re.sub(r"^transport = true", "transport = false", entry, flags=re.M)
            entry = re.sub(r"^window_kev = .*\n", "", entry, flags=re.M)  # (transport's only)
        kept.append(entry)
    path = d / "lxe_cr51_transport_free.toml"
    path.write_text(head + "".join("\n[[components]]" + e for e in kept) + "\n")
    return path


def n_components(card: Path) -> int:
    """The signal and the card's ``[[components]]`` entries."""
    return 1 + card.read_text().count("\n[[components]]")


COMPONENTS = n_components(CARD)


COSTS = """
import os, sys, json, time
os.sched_setaffinity(0, {0})
from nusource.production import plan, chunk_columns
prod = plan(sys.argv[1], sys.argv[2], n=int(sys.argv[3]), seed=1, overwrite=True)
rounds = int(sys.argv[4])
costs = {}
for rnd in range(rounds + 1):  # round 0 warms (kernels, buffers)
    for j in range(len(prod.sizes)):
        comp = prod.components[prod.jobs[j][0]]
        t = time.perf_counter()
        _, n = chunk_columns(prod, j)
        dt = time.perf_counter() - t
        c = costs.setdefault(comp.name, {"rounds": [0.0] * rounds, "events": 0, "generated": 0})
        if rnd:
            c["rounds"][rnd - 1] += dt
        if rnd == 1:
            c["events"] += n
            c["generated"] += prod.sizes[j]
print(json.dumps(costs))
"""


def component_costs(card: Path, d: Path, n: int, repeat: int) -> dict:
    """Generation and response per component, pinned (best round): ns per event and per
    generated entity (events; decays; photon histories for the source γ)."""
    r = subprocess.run(
        [sys.executable, "-c", COSTS, str(card), str(d / "costs.h5"), str(n), str(repeat)],
        check=True,
        capture_output=True,
        text=True,
        preexec_fn=_pin,
    )
    out = {}
    for name, c in json.loads(r.stdout.strip().splitlines()[-1]).items():
        sec = min(c["rounds"])
        out[name] = {
            "seconds": sec,
            "events": c["events"],
            "generated": c["generated"],
            "ns_per_event": sec / max(c["events"], 1) * 1e9,
            "ns_per_generated": sec / max(c["generated"], 1) * 1e9,
        }
    return out


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--n", type=int, default=10_000_000, help="events in all of a timed run")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per figure (best kept)")
    ap.add_argument("--no-unpinned", action="store_true", help="skip the unpinned figures")
    ap.add_argument("--no-signal", action="store_true", help="skip the signal-only card")
    ap.add_argument(
        "--no-transport-free",
        action="store_true",
        help="skip the card without photon transport",
    )
    ap.add_argument(
        "--cold",
        action="store_true",
        help="do not warm memory before each timed run (memory_state.py says why it does)",
    )
    ap.add_argument("--dir", default=None, help="scratch directory (default: a temporary one)")
    ap.add_argument(
        "--big", type=int, default=0, help="also the peak RSS of a run of this many events"
    )
    a = ap.parse_args(argv)
    global WARM
    WARM = not a.cold
    allowed = os.sched_getaffinity(0)
    res = {"n_events": a.n, "card": CARD.name, "load_before": load(), "bytes_per_event": {}}
    with tempfile.TemporaryDirectory(dir=a.dir) as tmp:
        d = Path(tmp)
        warm = bytecode_env()  # caches warm
        one_run(CARD, d / "warm.h5", 40_000, "simulate", "full", False, env=warm)
        one_run(CARD, d / "warm.root", 40_000, "simulate", "slim", False, env=warm)
        cards = [("", CARD, COMPONENTS)]
        if not a.no_transport_free:
            free = transport_free_card(d)
            cards.append(("transport_free_", free, n_components(free)))
        if not a.no_signal:
            cards.append(("signal_", signal_only_card(d), 1))
        for pinned in (True,) if a.no_unpinned else (True, False):
            os.sched_setaffinity(0, {0} if pinned else allowed)
            tag = "pinned" if pinned else "unpinned"
            for prefix, card, ncomp in cards:
                for fmt, ext in (("root", "root"), ("hdf5", "h5")):
                    for schema in ("full", "slim"):
                        name = f"{prefix}{fmt}" + ("_slim" if schema == "slim" else "")
                        r = best(
                            card, d / f"o.{ext}", a.n // ncomp, "simulate", schema, pinned, a.repeat
                        )
                        res[f"{name}_events_per_s_{tag}"] = r["rate"]
                        res[f"{name}_generated_per_s_{tag}"] = r["generated_rate"]
                        res[f"{name}_whole_run_events_per_s_{tag}"] = r["whole_run"]
                        res[f"{name}_startup_s_{tag}"] = r["startup"]
                        res[f"{name}_runs_{tag}"] = r["runs"]
                        res["bytes_per_event"][f"{prefix}{fmt}_{schema}"] = r["bytes_per_event"]
                r = best(card, d / "g.h5", a.n // ncomp, "generate", "full", pinned, a.repeat)
                res[f"{prefix}generate_only_events_per_s_{tag}"] = r["rate"]
                res[f"{prefix}generate_only_generated_per_s_{tag}"] = r["generated_rate"]
            if pinned:
                res["startup_s"] = command_startup(d, max(a.repeat, 5))
                res["import_s"] = r["import"]
                res["component_costs"] = component_costs(CARD, d, a.n // COMPONENTS, a.repeat)
        os.sched_setaffinity(0, allowed)
        if a.big:
            small = one_run(CARD, d / "m6.root", 1_000_000, "simulate", "full", False)
            big = one_run(CARD, d / "m8.root", a.big, "simulate", "full", False)
            res["peak_rss_mb_1e6"], res["peak_rss_mb_big"] = small["maxrss_mb"], big["maxrss_mb"]
    res["load_after"] = load()
    for fmt in ("root", "hdf5"):
        for schema, target in TARGETS.items():
            name = fmt + ("_slim" if schema == "slim" else "")
            res[f"{name}_target_ratio"] = res[f"{name}_events_per_s_pinned"] / target
    res["startup_target_ratio"] = STARTUP_TARGET_S / res["startup_s"]
    if a.json:
        print(json.dumps(res, indent=2))
        return
    prefixes = [("", f"{CARD.name} as it is ({COMPONENTS} components)")]
    if not a.no_transport_free:
        prefixes.append(("transport_free_", "without photon transport (no source γ, rn222 bare)"))
    if not a.no_signal:
        prefixes.append(("signal_", "the ⁵¹Cr signal alone"))
    print(
        f"{CARD.name}, {a.n:.0e} events in all per run, best of {a.repeat} fresh processes; "
        f"{res['load_before']} before, {res['load_after']} after"
    )
    print(f"{'':26s} {'pinned (1 core)':>16s} {'target':>8s} {'ratio':>6s} {'unpinned':>12s}")
    for prefix, title in prefixes:
        print(title)
        for fmt in ("root", "hdf5"):
            for schema in ("full", "slim"):
                name = f"{prefix}{fmt}" + ("_slim" if schema == "slim" else "")
                p = res[f"{name}_events_per_s_pinned"]
                u = res.get(f"{name}_events_per_s_unpinned", float("nan"))
                t = TARGETS[schema] if not prefix else None
                tt = f"{t:8.1e} {p / t:6.2f}" if t else f"{'':8s} {'':6s}"
                print(f"  {fmt + ' ' + schema + ' events/s':24s} {p:16.3e} {tt} {u:12.3e}")
                w = res[f"{name}_whole_run_events_per_s_pinned"]
                s = res[f"{name}_startup_s_pinned"]
                gen = res[f"{name}_generated_per_s_pinned"]
                print(f"  {'':24s} whole run {w:.3e} /s, start-up {s:.2f} s (pinned)")
                if not prefix:
                    print(f"  {'':24s} generated entities {gen:.3e} /s (pinned)")
        g = res[f"{prefix}generate_only_events_per_s_pinned"]
        print(f"  {'generate+response only':24s} {g:16.3e} (reference, no output)")
    print(
        f"start-up of `simulate -n 1000`: {res['startup_s']:.2f} s wall, pinned "
        f"(target {STARTUP_TARGET_S} s, ratio {res['startup_target_ratio']:.2f})"
    )
    for k, v in res["bytes_per_event"].items():
        print(f"bytes per event {k:32s} {v:6.1f}")
    costs = res["component_costs"]
    total = sum(c["seconds"] for c in costs.values())
    print(
        f"generation + response per component of {CARD.name} "
        f"({a.n // COMPONENTS:.0e} each, pinned):"
    )
    print(
        f"  {'component':14s} {'events':>9s} {'generated':>10s} {'ns/event':>9s} "
        f"{'ns/gen.':>8s} share"
    )
    for name, c in costs.items():
        print(
            f"  {name:14s} {c['events']:9d} {c['generated']:10d} {c['ns_per_event']:9.0f} "
            f"{c['ns_per_generated']:8.0f} {c['seconds'] / total:5.0%}"
        )


if __name__ == "__main__":
    os.environ.setdefault("NUSOURCE_PROGRESS", "0")
    main_or_why(main, __file__)
