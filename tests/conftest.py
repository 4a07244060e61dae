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
