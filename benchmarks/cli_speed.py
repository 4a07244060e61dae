"""Wall-clock time of short `nusource` commands, warm, pinned to one core (unpinned beside).

Times ``nusource xsec --source cr51``, ``nusource rate configs/lxe_cr51.toml``
and the start-up of ``nusource simulate configs/lxe_cr51.toml -n 1000``
(1000 events of the signal and of each component, before the card's
window) as a user meets them: a fresh process each time, wall clock from its
start to its end, after one untimed run that fills numba's cache, the table
cache and Python's bytecode.  Best of ``--repeat`` runs (the machine is
shared); the pinned runs are started with ``os.sched_setaffinity(0, {0})``
(as ``taskset -c 0``).

Then the same commands handed to a warm ``nusource serve`` (started pinned
to the same core, in a private temporary socket directory): ``*_served_s``.

    python benchmarks/cli_speed.py [--json] [--repeat 7] [--no-serve]

For where the time goes: ``python -X importtime -m nusource.cli xsec --source cr51``.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from failures import main_or_why

CARD = Path(__file__).resolve().parent.parent / "configs" / "lxe_cr51.toml"
TARGETS_S = {"xsec_s": 0.4, "rate_s": 0.6, "simulate_1000_s": 0.5}


def _pin():
    os.sched_setaffinity(0, {0})


def wall(cmd, *, pinned: bool, repeat: int, env=None) -> float:
    """Best wall time of ``repeat`` fresh runs of cmd [s] (one untimed run first).

    The untimed run fills numba's cache, the table cache and Python's bytecode
    cache (``__pycache__``, written as by default even where the environment
    sets ``PYTHONDONTWRITEBYTECODE``).
    """
    env = {**os.environ, "NUSOURCE_PROGRESS": "0", "NUSOURCE_SERVE": "off", **(env or {})}
    warm = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(cmd, check=True, capture_output=True, env=warm)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(
            cmd, check=True, capture_output=True, env=env, preexec_fn=_pin if pinned else None
        )
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--no-serve", action="store_true", help="skip the served figures")
    a = ap.parse_args(argv)
    cli = [sys.executable, "-m", "nusource.cli"]
    res = {"load_before": "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())}
    allowed = os.sched_getaffinity(0)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "small.h5"
        cmds = {
            "xsec_s": [*cli, "xsec", "--source", "cr51"],
            "rate_s": [*cli, "rate", str(CARD)],
            "simulate_1000_s": [*cli, "simulate", str(CARD), "-n", "1000", "-o", str(out)]
            + ["--overwrite"],
            "python_numpy_s": [sys.executable, "-c", "import numpy"],
        }
        for pinned in (True, False):
            os.sched_setaffinity(0, {0} if pinned else allowed)
            for key, cmd in cmds.items():
                t = wall(cmd, pinned=pinned, repeat=a.repeat)
                res[key if pinned else key + "_unpinned"] = t
        os.sched_setaffinity(0, allowed)
        if not a.no_serve:
            res.update(served(cmds, tmp, a.repeat, allowed))
    res["load_after"] = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    for key, target in TARGETS_S.items():
        res[key.removesuffix("_s") + "_target_ratio"] = target / res[key]
    if a.json:
        print(json.dumps(res, indent=2))
        return
    print(f"wall clock, warm, best of {a.repeat}; load {res['load_before']} / {res['load_after']}")
    for key in cmds:
        target = TARGETS_S.get(key)
        vs = f"target {target} s, ratio {target / res[key]:.2f}" if target else "reference"
        print(f"{key:18s} {res[key]:.3f} s pinned ({vs}); unpinned {res[key + '_unpinned']:.3f} s")
    if not a.no_serve:
        print("handed to a warm `nusource serve` (pinned with it):")
        for key in TARGETS_S:
            k = key.removesuffix("_s") + "_served_s"
            print(
                f"{k:25s} {res[k]:.3f} s (target {TARGETS_S[key]} s, ratio "
                f"{TARGETS_S[key] / res[k]:.2f})"
            )


def served(cmds, tmp, repeat, allowed) -> dict:
    """The commands' best wall times when a warm server runs them (both pinned to core 0)."""
    run_dir = Path(tmp) / "run"
    env = {**os.environ, "NUSOURCE_PROGRESS": "0", "NUSOURCE_RUNTIME_DIR": str(run_dir)}
    env["NUSOURCE_SERVE"] = ""  # (on: wall() turns it off unless told)
    log = Path(tmp) / "serve.log"
    with open(log, "w") as err:
        server = subprocess.Popen(
            [sys.executable, "-m", "nusource.cli", "serve", "--idle-minutes", "30"],
            env=env,
            stderr=err,
            stdout=subprocess.DEVNULL,
            preexec_fn=_pin,
        )
    try:
        deadline = time.monotonic() + 300
        while "ready at" not in log.read_text():
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nusource serve did not start: {log.read_text()}")
            time.sleep(0.1)
        os.sched_setaffinity(0, {0})
        out = {}
        for key in TARGETS_S:
            t = wall(cmds[key], pinned=True, repeat=repeat, env=env)
            out[key.removesuffix("_s") + "_served_s"] = t
        runs = log.read_text().count(" (pid ")
        if runs < len(TARGETS_S) * repeat:
            raise RuntimeError(f"the server ran {runs} commands, not all: {log.read_text()}")
        return out
    finally:
        os.sched_setaffinity(0, allowed)
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main_or_why(main, __file__)
