"""Test configuration shared by the whole suite."""

import glob
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests are derandomised (the same examples every run: no test that
# "fails occasionally") and have no deadline (the first call of a kernel
# includes numba's compilation).
settings.register_profile("nusource", deadline=None, derandomize=True, max_examples=100)
settings.load_profile("nusource")

# Commands the tests start run in their own processes, even where a `nusource serve`
# of this installation is running (tests/test_serve.py starts its own).
os.environ["NUSOURCE_SERVE"] = "off"


# --------------------------------------------------------------------------- real ROOT
# Tests marked `root` run PyROOT and `root -l -b -q` from ROOT's own virtual
# environment (made by .ci/root-env), in subprocesses: ROOT is never imported here.

REPO = Path(__file__).resolve().parents[1]
ROOT_SUMMARY = pytest.StashKey[list]()


class RootEnv:
    """ROOT's virtual environment: its python, `root` and `hadd`, run with a clean environment."""

    def __init__(self, venv: Path):
        self.venv = venv
        self.python = venv / "bin" / "python"
        self.root = venv / "bin" / "root"
        found = sorted(glob.glob(str(venv / "lib" / "python*" / "site-packages" / "ROOT" / "bin")))
        self.bin = Path(found[0]) if found else None
        self.hadd = None if self.bin is None else self.bin / "hadd"

    @property
    def env(self) -> dict:
        keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "LC_ALL", "TMPDIR")}
        path = [str(self.venv / "bin")] + ([str(self.bin)] if self.bin else [])
        return {**keep, "PATH": ":".join(path + ["/usr/bin", "/bin"]), "PYTHONWARNINGS": "ignore"}

    def run(self, args, *, cwd=None, timeout=600) -> subprocess.CompletedProcess:
        """Run a command of ROOT's environment; output as text (stdout, stderr)."""
        return subprocess.run(
            [str(a) for a in args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _root_venv() -> Path:
    return Path(os.environ.get("NUSOURCE_ROOT_VENV", REPO / ".root-venv"))


@pytest.fixture(scope="session")
def root_env() -> RootEnv:
    """ROOT's environment, or a skip in one line when it is absent."""
    venv = _root_venv()
    env = RootEnv(venv)
    if not (env.python.is_file() and env.root.is_file() and env.hadd and env.hadd.is_file()):
        pytest.skip(f"no ROOT environment at {venv}: run .ci/root-env (NUSOURCE_ROOT_VENV sets it)")
    return env


@pytest.fixture
def root_summary(request) -> list:
    """Lines printed at the end of the run (files and branches compared with ROOT)."""
    return request.config.stash.setdefault(ROOT_SUMMARY, [])


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    _mutation_section(terminalreporter, config)
    lines = config.stash.get(ROOT_SUMMARY, [])
    if lines:
        terminalreporter.section("read with real ROOT")
        for line in lines:
            terminalreporter.write_line(line)


REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def lxe_mu_parts():
    """SM and magnetic expectation (quadrature) of configs/lxe_cr51.toml, 0.1 keV bins 2–140 keV."""
    from nusource.analysis.mu_bound import card_expectation, lxe_edges_kev

    return card_expectation(
        REPO / "configs" / "lxe_cr51.toml", lxe_edges_kev(2.0), geometry_samples=200_000
    )


@pytest.fixture(scope="session")
def lxe_signal_events(tmp_path_factory):
    """60,000 'fixed'-mode signal events of configs/lxe_cr51.toml (generator truth), seed 11."""
    from nusource.io.readers import read_events
    from nusource.jobs import sample_card

    out = tmp_path_factory.mktemp("lxe") / "signal.h5"
    sample_card(REPO / "configs" / "lxe_cr51.toml", out, n=60_000, seed=11)
    events = read_events(out).events
    return events[events["component"] == 0]  # the card's backgrounds are not the signal


# --------------------------------------------------------------------------- productions


@pytest.fixture
def same_run():
    """Assert two event files hold the same events, field by field, and the same metadata."""
    import numpy as np

    from nusource.io.readers import read_events, read_metadata

    def check(a, b):
        ea, eb = read_events(a).events, read_events(b).events
        assert len(ea) == len(eb) > 0
        assert ea.dtype == eb.dtype
        for name in ea.dtype.names:
            assert np.array_equal(ea[name], eb[name], equal_nan=True), name
        assert read_metadata(a) == read_metadata(b)

    return check


# --------------------------------------------------------------------------- a real SLURM
# Tests marked `slurm` submit jobs to a one-node SLURM on this machine (.ci/slurm-up
# starts it, .ci/slurm-down stops it).


@pytest.fixture(scope="session")
def slurm() -> str:
    """The SLURM partition to submit to, or a skip in one line when SLURM is not running."""
    import shutil

    if not (shutil.which("sbatch") and shutil.which("sinfo")):
        pytest.skip("SLURM is not installed: run .ci/slurm-up (it installs and starts one)")
    r = subprocess.run(["sinfo", "-h", "-o", "%P %T"], capture_output=True, text=True)
    rows = [line.split() for line in r.stdout.splitlines() if line.strip()]
    idle = [p.rstrip("*") for p, state in rows if state in ("idle", "mixed")]
    if r.returncode != 0 or not idle:
        pytest.skip("SLURM is not running (no idle node): start it with .ci/slurm-up")
    return idle[0]


# --------------------------------------------------------------------------- bad input
MUTATION_SUMMARY = pytest.StashKey[list]()


@pytest.fixture
def mutation_summary(request) -> list:
    """Lines printed at the end of the run (how many card mutations ran, and their outcomes)."""
    return request.config.stash.setdefault(MUTATION_SUMMARY, [])


def _mutation_section(terminalreporter, config):
    lines = config.stash.get(MUTATION_SUMMARY, [])
    if lines:
        terminalreporter.section("run-card mutations")
        for line in lines:
            terminalreporter.write_line(line)
