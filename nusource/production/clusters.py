"""Dask workers as batch jobs: a scheduler here, its workers submitted through dask-jobqueue.

Site defaults (queue, account, interface, job directives, ...) come from dask's
own configuration (``~/.config/dask/jobqueue.yaml`` and the other places dask
reads); what is given on the command line wins.  The workers run this
process's Python (``sys.executable``), so they import the same nusource.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

SYSTEMS = {
    "slurm": "SLURMCluster",
    "pbs": "PBSCluster",
    "htcondor": "HTCondorCluster",
    "lsf": "LSFCluster",
    "sge": "SGECluster",
}
"""The batch systems ``--cluster`` takes, and their dask-jobqueue classes."""

DEFAULT_CORES = 1
DEFAULT_MEMORY_PER_CORE = "2GiB"
DEFAULT_DISK = "1GiB"  # HTCondor needs a disk request


@dataclass(frozen=True)
class ClusterSpec:
    """What ``--cluster SYSTEM --jobs N [--queue Q] [--walltime T] [--cores C] [--memory M]`` asks.

    Attributes
    ----------
    system : str
        One of :data:`SYSTEMS`.
    jobs : int
        Worker jobs to submit (each one dask worker process).
    queue, walltime, memory : str or None
        Per job: queue (partition), time limit HH:MM:SS, memory (e.g. '4GB');
        None: dask's configuration, else the defaults here.
    cores : int or None
        Cores per job (threads of its worker).
    """

    system: str
    jobs: int
    queue: str | None = None
    walltime: str | None = None
    cores: int | None = None
    memory: str | None = None

    def __post_init__(self):
        check_cluster(self)

    def describe(self) -> str:
        return f"dask on {self.system} ({self.jobs} worker job{'s' * (self.jobs != 1)})"


def check_cluster(spec: ClusterSpec) -> None:
    """Refuse a bad request in one line naming the flag, the value and what is allowed."""
    if spec.system not in SYSTEMS:
        raise ValueError(
            f"--cluster: '{spec.system}' is not allowed; it must be one of {', '.join(SYSTEMS)}"
        )
    if spec.jobs < 1:
        raise ValueError(f"--jobs: {spec.jobs} is not allowed; it must be ≥ 1")
    if spec.cores is not None and spec.cores < 1:
        raise ValueError(f"--cores: {spec.cores} is not allowed; it must be ≥ 1")
    if spec.walltime is not None and not re.fullmatch(r"\d+:[0-5]\d:[0-5]\d", spec.walltime):
        raise ValueError(f"--walltime: '{spec.walltime}' is not allowed; it must be HH:MM:SS")
    if spec.memory is not None:
        from dask.utils import parse_bytes

        try:
            ok = parse_bytes(spec.memory) > 0
        except (ValueError, TypeError):
            ok = False
        if not ok:
            raise ValueError(
                f"--memory: '{spec.memory}' is not allowed; it must be a size such as 4GB or 3.5GiB"
            )
    if spec.system == "htcondor":
        for flag, value in (("--queue", spec.queue), ("--walltime", spec.walltime)):
            if value is not None:
                raise ValueError(
                    f"{flag}: '{value}' is not allowed with --cluster htcondor (HTCondor jobs "
                    "have none; give job-extra-directives in dask's jobqueue.yaml)"
                )


def job_options(spec: ClusterSpec) -> dict:
    """The dask-jobqueue keyword arguments: what was given, else dask's configuration, else ours."""
    import dask

    conf = dask.config.get(f"jobqueue.{spec.system}", default={}) or {}
    kw = {"python": sys.executable}
    cores = spec.cores if spec.cores is not None else conf.get("cores") or DEFAULT_CORES
    kw["cores"] = cores
    if spec.memory is not None:
        kw["memory"] = spec.memory
    elif not conf.get("memory"):
        from dask.utils import format_bytes, parse_bytes

        kw["memory"] = format_bytes(cores * parse_bytes(DEFAULT_MEMORY_PER_CORE)).replace(" ", "")
    if not conf.get("processes"):
        kw["processes"] = 1  # one worker per job: its threads share the chunk buffers
    if spec.queue is not None:
        kw["queue"] = spec.queue
    if spec.walltime is not None:
        # LSF takes HH:MM
        kw["walltime"] = spec.walltime[:-3] if spec.system == "lsf" else spec.walltime
    if spec.system == "htcondor" and not conf.get("disk"):
        kw["disk"] = DEFAULT_DISK
    return kw


def start_cluster(spec: ClusterSpec):
    """A dask-jobqueue cluster of ``spec.jobs`` worker jobs (submitted now); close it after."""
    import signal

    ctrl_c = signal.getsignal(signal.SIGINT)
    try:
        import dask_jobqueue
    except ImportError:
        raise ValueError("--cluster needs dask-jobqueue: pip install 'nusource[dask]'") from None
    finally:
        # dask_jobqueue.runner makes Ctrl-C a silent sys.exit() (exit 0) when imported
        if signal.getsignal(signal.SIGINT) is not ctrl_c and ctrl_c is not None:
            try:
                signal.signal(signal.SIGINT, ctrl_c)
            except ValueError:  # not the main thread: signals are not its business
                pass
    cls = getattr(dask_jobqueue, SYSTEMS[spec.system])
    cluster = cls(**job_options(spec))
    try:
        cluster.scale(jobs=spec.jobs)
    except BaseException:
        cluster.close()
        raise
    return cluster
