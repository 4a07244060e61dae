"""Where the start of `nusource simulate CARD -n 1000` goes, phase by phase, beside numba's floor.

Runs the command's own code (``nusource.cli.run``) in fresh processes pinned
to one core (``os.sched_setaffinity(0, {0})``), warm (numba's cache, the
table cache and Python's bytecode filled by an untimed run first), with
timers around its phases; each phase's time excludes the phases inside it:

- imports: numpy, numba, pydantic and h5py, then every module of the
  package the command uses (with its card models and kernel declarations);
- numba's CPU target made ready (its registries) at the first compiled call
  (the command skips numba's extension entry points and answers its BLAS
  probe without importing ``scipy.linalg``: ``nusource.lean_start.numba``);
- the compiled functions loaded from numba's cache (how many: ``kernels``);
- the card read and validated, the experiment built (geometry checks), the
  detector response, the geometric factor, the components (their sampler
  tables), the provenance;
- the events made (generation and response) and the rest of the production
  (state, writer and file, checkpoints, closing);
- the rest in the process, then the interpreter's start and shutdown (wall
  clock of the whole process minus its time in ``run``).

Beside it, numba's floor on this machine: ``python -c pass``,
``import numpy``, ``import numba``, and a script loading one cached
``@jit`` function and calling it (interpreter, numba, the CPU target, one
kernel) with the command's process settings, its lean numba start and its
end (no interpreter shutdown).  Best of ``--repeat`` runs per
phase (the machine is shared); the unpinned wall time of the command beside.

    python benchmarks/startup_phases.py [--json] [--repeat 5] [--card CARD]
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
TARGET_S = 0.5

PHASES = """
import os, sys, time
t_start = time.perf_counter()
os.sched_setaffinity(0, {0})
import functools, importlib, json
acc, stack = {}, []

def timed(name, fn):
    @functools.wraps(fn)
    def w(*a, **k):
        t = time.perf_counter()
        stack.append(0.0)
        try:
            return fn(*a, **k)
        finally:
            dt = time.perf_counter() - t
            acc[name] = acc.get(name, 0.0) + dt - stack.pop()
            if stack:
                stack[-1] += dt
    return w

def patch(module, attr, name, also=()):
    m = importlib.import_module(module)
    f = getattr(m, attr)
    g = timed(name, f)
    for mod in (m, *map(importlib.import_module, also)):
        if getattr(mod, attr, None) is f:
            setattr(mod, attr, g)

def imported(name, modules):
    t = time.perf_counter()
    for m in modules:
        m() if callable(m) else importlib.import_module(m)
    acc[name] = time.perf_counter() - t

imported("import numpy", ["numpy"])
try:  # the command's own lean start, where there is one
    from nusource import lean_start
    lean_numba, lean_pydantic = lean_start.numba, lean_start.pydantic
except ImportError:
    lean_numba = lean_pydantic = lambda: None
imported("import numba", [lean_numba, "numba"])
imported("import pydantic, h5py (libraries the command uses)",
         [lean_pydantic, "pydantic.main", "h5py"])
imported("import nusource (modules the command uses)", [
    "nusource.cli", "nusource.jobs", "nusource.production", "nusource.runcard",
    "nusource.experiment", "nusource.components", "nusource.io.writer", "nusource.progress",
    "nusource.detsim.response"])
from numba.core import base, caching
kernels = []
load = caching.Cache.load_overload
def counted(self, *a, **k):
    kernels.append(1)
    return load(self, *a, **k)
caching.Cache.load_overload = timed("numba: compiled functions loaded from the cache", counted)
base.BaseContext.refresh = timed("numba: CPU target made ready", base.BaseContext.refresh)
patch("nusource.runcard", "load_card", "card read and validated")
patch("nusource.experiment", "build_experiment", "experiment built (geometry checks)")
patch("nusource.experiment", "detector_response", "detector response",
      also=["nusource.production.plan"])
patch("nusource.experiment", "geometric_factor", "geometric factor")
patch("nusource.components", "build_components", "components built (sampler tables)")
patch("nusource.production.plan", "provenance", "provenance")
patch("nusource.production", "simulate", "production: state, writer, file, checkpoints")
patch("nusource.production.chunks", "fill_chunk", "events made (generation, response)")
from nusource import cli
sys.argv = ["nusource", *sys.argv[1:]]

def report():
    t_end = time.perf_counter()
    acc["rest of the command (argparse, messages)"] = (t_end - t_run) - sum(
        v for k, v in acc.items() if not k.startswith("import"))
    print(json.dumps({"phases": acc, "kernels": len(kernels), "in_process": t_end - t_start}))
    sys.stdout.flush()

exit_now = getattr(cli, "_exit_now", None)
if exit_now is not None:  # the program's own end (no interpreter shutdown) after the report
    cli._exit_now = lambda code: (report(), exit_now(code))[1]
t_run = time.perf_counter()
code = getattr(cli, "run", cli.main)()  # (main: versions before run existed)
report()
"""

FLOOR = """
import gc
gc.set_threshold(50_000, *gc.get_threshold()[1:])
import numpy as np
import numba
from nusource import lean_start
lean_start.numba()  # as the command does: no extension entry points, no scipy.linalg

@numba.njit(cache=True, nogil=True, error_model="numpy")
def total(x):
    s = 0.0
    for v in x:
        s += v
    return s

total(np.ones(3))
gc.freeze()
import os, sys
sys.stdout.flush()
os._exit(0)  # as the program ends: without the interpreter's shutdown
"""


def _pin():
    os.sched_setaffinity(0, {0})


def wall(cmd, *, pinned=True, env=None) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        cmd, check=True, capture_output=True, env=env, preexec_fn=_pin if pinned else None
    )
    return time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--card", default=str(CARD))
    a = ap.parse_args(argv)
    env = {**os.environ, "NUSOURCE_PROGRESS": "0", "NUSOURCE_SERVE": "off"}  # (own process)
    warm_env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    py = sys.executable
    res = {"card": Path(a.card).name, "load_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "small.h5")
        cmd = [a.card, "-n", "1000", "-o", out, "--overwrite"]
        command = [py, "-m", "nusource.cli", "simulate", *cmd]
        floor = Path(tmp) / "floor.py"
        floor.write_text(FLOOR)
        # untimed: numba's cache, the table cache and Python's bytecode filled
        subprocess.run(command, check=True, capture_output=True, env=warm_env)
        subprocess.run([py, str(floor)], check=True, capture_output=True, env=warm_env)
        runs = []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            r = subprocess.run(
                [py, "-c", PHASES, "simulate", *cmd],
                check=True,
                capture_output=True,
                text=True,
                env=env,
                preexec_fn=_pin,
            )
            whole = time.perf_counter() - t0
            one = json.loads(r.stdout.strip().splitlines()[-1])
            one["phases"]["interpreter start and shutdown"] = whole - one["in_process"]
            one["whole"] = whole
            runs.append(one)
        names = list(runs[0]["phases"])
        res["phases_s"] = {k: min(r["phases"].get(k, 0.0) for r in runs) for k in names}
        res["phases_sum_s"] = sum(res["phases_s"].values())
        res["kernels_loaded"] = runs[0]["kernels"]
        res["floor_s"] = {
            "python -c pass": min(wall([py, "-c", "pass"], env=env) for _ in range(a.repeat)),
            "import numpy": min(wall([py, "-c", "import numpy"], env=env) for _ in range(a.repeat)),
            "import numba": min(wall([py, "-c", "import numba"], env=env) for _ in range(a.repeat)),
            "one cached kernel": min(wall([py, str(floor)], env=env) for _ in range(a.repeat)),
        }
        res["startup_s"] = min(wall(command, env=env) for _ in range(a.repeat))
        res["startup_s_unpinned"] = min(
            wall(command, pinned=False, env=env) for _ in range(a.repeat)
        )
    res["above_floor_s"] = res["startup_s"] - res["floor_s"]["one cached kernel"]
    res["startup_target_ratio"] = TARGET_S / res["startup_s"]
    res["load_after"] = os.getloadavg()[0]
    if a.json:
        print(json.dumps(res, indent=2))
        return
    print(
        f"`nusource simulate {res['card']} -n 1000`, pinned, warm, best of {a.repeat} per phase "
        f"(load {res['load_before']:.2f} / {res['load_after']:.2f})"
    )
    for k, v in res["phases_s"].items():
        print(f"  {v:7.3f} s  {k}")
    print(
        f"  {res['phases_sum_s']:7.3f} s  sum of the phases' best "
        f"({res['kernels_loaded']} compiled functions loaded)"
    )
    print("numba's floor (pinned, best):")
    for k, v in res["floor_s"].items():
        print(f"  {v:7.3f} s  {k}")
    print(
        f"the command: {res['startup_s']:.3f} s pinned (target {TARGET_S} s, ratio "
        f"{res['startup_target_ratio']:.2f}; {res['above_floor_s']:.3f} s above the floor), "
        f"{res['startup_s_unpinned']:.3f} s unpinned"
    )


if __name__ == "__main__":
    main_or_why(main, __file__)
