"""Productions on a real (one-node) SLURM: dask workers as batch jobs, and array jobs.

Marked ``slurm``: they skip in one line unless SLURM runs here (.ci/slurm-up).
Every job they submit is cancelled at the end (by job id).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nusource.cli import main
from nusource.production import plan, simulate
from nusource.runcard import card_path

pytestmark = pytest.mark.slurm

REPO = Path(__file__).resolve().parents[1]
LXE = str(Path(card_path("configs/lxe_cr51.toml")).absolute())
RUN = ["-n", "8000", "--chunk-size", "2000", "--seed", "9"]  # 7 components: 28 chunks


@pytest.fixture(scope="module")
def local_run(slurm, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "run.h5"
    simulate(plan(LXE, out, n=8000, chunk_size=2000, seed=9))
    return out


@pytest.fixture
def jobs(slurm):
    """Job ids submitted by a test; those still queued or running are cancelled after it."""
    ids = []
    yield ids
    if ids:
        subprocess.run(["scancel", *ids], capture_output=True)
        wait_for(lambda: not queued(ids), 60, "cancelled jobs to leave the queue")


def queued(ids) -> list[str]:
    """The jobs (or array tasks) of ids still in the queue."""
    r = subprocess.run(
        ["squeue", "-h", "-o", "%i %T", "-j", ",".join(ids)], capture_output=True, text=True
    )
    return [line for line in r.stdout.splitlines() if line.strip()]


def known_jobs() -> dict[str, Path]:
    """Every job SLURM still lists, ended ones too (kept a while), and its working directory."""
    r = subprocess.run(
        ["squeue", "-h", "-t", "all", "-o", "%i %Z"], capture_output=True, text=True, check=True
    )
    rows = (line.split(maxsplit=1) for line in r.stdout.splitlines() if line.strip())
    return {job: Path(cwd) for job, cwd in rows}


def wait_for(done, seconds, what):
    t = time.monotonic() + seconds
    while not done():
        if time.monotonic() > t:
            raise TimeoutError(f"waited {seconds} s for {what}")
        time.sleep(0.2)


def env():
    """This environment for the jobs: its `nusource` and python first on PATH."""
    e = dict(os.environ)
    e["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{e.get('PATH', '')}"
    return e


def sbatch(args, cwd, jobs, **exports) -> str:
    extra = ",".join(f"{k}={v}" for k, v in exports.items())
    r = subprocess.run(
        ["sbatch", "--parsable", f"--export=ALL{',' + extra if extra else ''}", *args],
        cwd=cwd,
        env=env(),
        capture_output=True,
        text=True,
        check=True,
    )
    job = r.stdout.strip().split(";")[0]
    jobs.append(job)
    return job


def test_dask_workers_as_slurm_jobs(tmp_path, monkeypatch, local_run, jobs, same_run, capsys):
    """--cluster slurm --jobs 2: the scheduler here, two worker jobs; the local run's events."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", env()["PATH"])
    before = known_jobs()  # (an earlier test's jobs may have had this directory)
    code = main(["simulate", LXE, "-o", "run.h5", *RUN, "--cluster", "slurm", "--jobs", "2"])
    out, err = capsys.readouterr()
    assert code == 0, err
    same_run(tmp_path / "run.h5", local_run)
    # two jobs submitted; a short run may end before the second starts (it is then cancelled)
    jobs.extend(j for j, cwd in known_jobs().items() if j not in before and cwd == tmp_path)
    assert len(jobs) == 2, out
    assert list(tmp_path.glob("slurm-*.out")), "no worker job ran"
    wait_for(lambda: not queued(jobs), 60, "the worker jobs to end")


def test_array_jobs_then_assemble(tmp_path, local_run, jobs, same_run, capsys):
    """The shipped examples/slurm/array.sbatch as an array of 2 tasks, then --assemble."""
    args = " ".join(RUN)
    sbatch(
        ["--wait", "--array=0-1", str(REPO / "examples/slurm/array.sbatch")],
        tmp_path,
        jobs,
        CARD=LXE,
        OUT="run.h5",
        ARGS=args,
    )
    assert len(list((tmp_path / "run.h5.chunks").glob("chunk_*.h5"))) == 28
    code = main(["simulate", LXE, "-o", str(tmp_path / "run.h5"), *RUN, "--assemble"])
    assert code == 0, capsys.readouterr().err
    same_run(tmp_path / "run.h5", local_run)


TASK = """#!/bin/bash
# array task: its range of chunks; task 1 one chunk per command with a pause after each
# (a slower task, to be killed after its first chunk: the pause keeps it from making more)
set -euo pipefail
range=($RANGES)
a=${range[$SLURM_ARRAY_TASK_ID]%:*}
b=${range[$SLURM_ARRAY_TASK_ID]#*:}
if [ "$SLURM_ARRAY_TASK_ID" != 1 ]; then
    exec nusource simulate "$CARD" -o run.h5 $ARGS --chunks "$a:$b"
fi
for ((j = a; j < b; j++)); do
    nusource simulate "$CARD" -o run.h5 $ARGS --chunks "$j:$((j + 1))"
    sleep 2
done
"""


def test_a_killed_array_task_run_again_completes_the_run(
    tmp_path, local_run, jobs, same_run, capsys
):
    script = tmp_path / "task.sh"
    script.write_text(TASK)
    chunks = tmp_path / "run.h5.chunks"
    array = sbatch(
        ["--array=0-1", str(script)],
        tmp_path,
        jobs,
        CARD=LXE,
        ARGS=" ".join(RUN),
        RANGES="0:25 25:28",
    )
    # task 1 is killed once its first chunk is made (each chunk is one command of a few s)
    wait_for(lambda: (chunks / "chunk_000025.h5").exists(), 120, "task 1's first chunk")
    subprocess.run(["scancel", f"{array}_1"], check=True)
    wait_for(lambda: not queued([array]), 120, "the array to end")
    made = sorted(int(p.stem.split("_")[1]) for p in chunks.glob("chunk_*.h5"))
    assert made[:26] == list(range(26)) and len(made) < 28
    first_missing = min(set(range(28)) - set(made))
    out = tmp_path / "run.h5"
    code = main(["simulate", LXE, "-o", str(out), *RUN, "--assemble"])
    err = capsys.readouterr().err
    assert code == 2 and f"chunk_{first_missing:06d}.h5" in err and not out.exists()
    # the killed task, submitted again alone, makes what is missing
    sbatch(
        ["--wait", "--array=1", str(script)],
        tmp_path,
        jobs,
        CARD=LXE,
        ARGS=" ".join(RUN),
        RANGES="0:25 25:28",
    )
    assert main(["simulate", LXE, "-o", str(out), *RUN, "--assemble"]) == 0
    same_run(out, local_run)
