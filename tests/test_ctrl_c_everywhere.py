"""Ctrl-C ends every long command within a second, at whatever stage it arrives: exit 130,
one line, no traceback, nothing left but the resumable state the README promises."""

import gc
import os
import signal
import subprocess
import sys
import time
from importlib.resources import files

import pytest

LXE = files("nusource.configs").joinpath("lxe_cr51.toml").read_text(encoding="utf-8")
COVERAGE = files("nusource.configs").joinpath("analysis/lxe_mu_bound.toml").read_text("utf-8")
RESUMABLE = "what was written is kept"

COMMANDS = {
    # (arguments, what may be left in the working directory)
    "rate": (["rate", "big_mc.toml"], set()),
    "simulate": (["simulate", "lxe_cr51.toml", "-n", "100000000", "-o", "s.h5"], {"s.h5.chunks"}),
    "sample-card": (["sample", "lama.toml", "-n", "100000000", "-o", "c.h5"], {"c.h5.chunks"}),
    "sample-source": (["sample", "--source", "cr51", "-n", "100000000", "-o", "x.h5"], set()),
    "reproduce": (["reproduce", "lama", "-n", "100000000"], set()),
    "coverage": (["coverage", "cov.toml", "--toys", "10000000", "--truth", "0"], set()),
}


QUICK = ("simulate", "sample-source")
"""Run by default; the others (~2 s each) with the slow tests."""


@pytest.mark.parametrize(
    "name", [n if n in QUICK else pytest.param(n, marks=pytest.mark.slow) for n in COMMANDS]
)
def test_ctrl_c_ends_each_long_command_within_a_second(tmp_path, name):
    args, kept = COMMANDS[name]
    big_mc = LXE.split("[[components]]")[0]
    big_mc = big_mc.replace("seed = 1\n", "seed = 1\ngeometry_mc_samples = 1000000000\n", 1)
    (tmp_path / "big_mc.toml").write_text(big_mc, encoding="utf-8")
    (tmp_path / "cov.toml").write_text(COVERAGE, encoding="utf-8")
    (tmp_path / "tmp").mkdir()
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "nusource.cli", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.5)
        assert proc.poll() is None, "ended before Ctrl-C"
        t0 = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        took = time.perf_counter() - t0
        err = proc.stderr.read()
    finally:
        proc.kill()
        proc.stderr.close()
    lines = err.splitlines()
    assert proc.returncode == 130, (proc.returncode, err)
    assert took < 1.0, (took, err)
    assert len(lines) == 1 and "interrupted" in lines[0] and "Traceback" not in err, err
    left = {p.name for p in tmp_path.iterdir()} - {"big_mc.toml", "cov.toml", "tmp"}
    assert left <= kept, left
    assert not any((tmp_path / "tmp").iterdir())
    for directory in left:  # the resumable state: the partial output and its record, no lock
        assert RESUMABLE in lines[0]
        assert not (tmp_path / directory / "lock").exists() or _unlocked(tmp_path / directory)


def _unlocked(directory) -> bool:
    import fcntl

    with open(directory / "lock") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
    return True


class _Raises:
    def __del__(self):
        raise KeyboardInterrupt


def test_a_ctrl_c_lost_in_a_finaliser_is_raised_again():
    """Python ignores (prints and drops) an exception raised in ``__del__`` or a weakref
    callback; a Ctrl-C arriving while the garbage collector runs one was lost, and the
    command went on to its end.  The hook delivers it again in the program."""
    from nusource.cli import _ctrl_c_is_never_lost

    hook = sys.unraisablehook
    sys.unraisablehook = _ctrl_c_is_never_lost(hook)
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)  # Python's own
    try:
        t0 = time.perf_counter()
        with pytest.raises(KeyboardInterrupt):
            x = _Raises()
            del x  # the KeyboardInterrupt of __del__ is "ignored" here
            gc.collect()
            while time.perf_counter() - t0 < 5.0:
                time.sleep(0.01)
        assert time.perf_counter() - t0 < 1.0
    finally:
        sys.unraisablehook = hook
        signal.signal(signal.SIGINT, handler)


def test_a_ctrl_c_while_numba_loads_ends_the_command_in_one_line(monkeypatch, capsys):
    """The first few tenths of a second of a command import numba (``lean_start``); a
    Ctrl-C then ended it with Python's traceback.  It says it was interrupted, exit 130."""
    from nusource import cli, lean_start

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(lean_start, "numba", interrupted)
    try:
        code = cli.main(["xsec", "--source", "cr51"])
    except KeyboardInterrupt:
        pytest.fail("the Ctrl-C left the command as a KeyboardInterrupt")
    assert code == 130
    assert capsys.readouterr().err == "nusource xsec: interrupted\n"


def test_a_failure_a_lost_ctrl_c_caused_is_the_interruption(monkeypatch, capsys):
    """A Ctrl-C in LLVM's callback while numba compiles is "ignored" by Python, and numba
    then fails to cache the kernel it was compiling ("no compiled object yet"): the
    command ended with that traceback, exit 1.  It says it was interrupted, exit 130,
    and the Ctrl-C delivered again does not follow it out."""
    from types import SimpleNamespace

    from nusource import cli

    def compiling(args, argv, given):
        sys.unraisablehook(SimpleNamespace(exc_value=KeyboardInterrupt(), exc_type=None))
        raise RuntimeError("no compiled object yet for <Library 'kernel'>")

    monkeypatch.setattr(cli, "_run", compiling)
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    code = None
    try:
        try:
            code = cli.main(["xsec", "--source", "cr51"])
        except RuntimeError as err:
            code = err
        time.sleep(0.2)  # (the delivery 20 ms later was cancelled)
    except KeyboardInterrupt:
        pytest.fail(f"the Ctrl-C was delivered after the command ended ({code!r})")
    finally:
        signal.signal(signal.SIGINT, handler)
    assert code == 130
    assert capsys.readouterr().err.endswith("nusource xsec: interrupted\n")
    _a_failure_of_its_own_propagates(monkeypatch, RuntimeError)


def _a_failure_of_its_own_propagates(monkeypatch, kind):
    """A command failing with ``kind`` and no Ctrl-C behind it ends with that error."""
    from nusource import cli

    def failing(args, argv, given):
        raise kind("a real failure")

    monkeypatch.setattr(cli, "_run", failing)
    with pytest.raises(kind, match="a real failure"):
        cli.main(["xsec", "--source", "cr51"])


def test_a_ctrl_c_inside_a_compiled_call_is_the_interruption(monkeypatch, capsys):
    """A Ctrl-C landing while numba's dispatcher runs Python code (loading a kernel) is
    pending when the call returns: CPython raises SystemError ("returned a result with
    an exception set") from the KeyboardInterrupt.  The command says it was
    interrupted, exit 130; a SystemError of its own is still an error."""
    from nusource import cli

    def in_a_kernel(args, argv, given):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as ctrl_c:
            raise SystemError(
                "CPUDispatcher(<function _vose>) returned a result with an exception set"
            ) from ctrl_c

    monkeypatch.setattr(cli, "_run", in_a_kernel)
    assert cli.main(["xsec", "--source", "cr51"]) == 130
    assert capsys.readouterr().err.endswith("nusource xsec: interrupted\n")
    _a_failure_of_its_own_propagates(monkeypatch, SystemError)


def test_starting_a_batch_cluster_keeps_ctrl_c(monkeypatch):
    """Importing dask_jobqueue makes Ctrl-C a silent sys.exit() (exit 0): the handler the
    command had is put back."""
    pytest.importorskip("dask_jobqueue")
    from nusource.production import clusters

    for name in [m for m in sys.modules if m.startswith("dask_jobqueue")]:
        monkeypatch.delitem(sys.modules, name)  # imported afresh, as in a new process
    monkeypatch.setattr(clusters, "job_options", lambda spec: 1 / 0)
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(ZeroDivisionError):
            clusters.start_cluster(clusters.ClusterSpec("slurm", jobs=1))
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, handler)


def test_sterile_toys_are_fitted_in_short_calls_with_the_same_results(monkeypatch):
    """A toy block of the sterile Feldman–Cousins map is fitted in calls of a few toys (the
    toys' number and the grid are the user's), with the results of one call."""
    import numpy as np

    from nusource.analysis import sterile

    rng = np.random.default_rng(1)
    a0, bg = rng.uniform(50, 100, 12), rng.uniform(10, 20, 12)
    a1, s22 = rng.uniform(0, 40, (6, 12)), np.geomspace(1e-3, 1, 5)
    calls = []
    kernel = sterile.toy_grid_dchi2
    monkeypatch.setattr(sterile, "toy_grid_dchi2", lambda *a: calls.append(len(a[0])) or kernel(*a))
    monkeypatch.setattr(sterile, "TOY_CELLS_PER_CALL", 6 * 12 * 5 * 7)  # 7 toys a call
    split = sterile.fc_grid_toys(a0, a1, bg, s22, 2, 3, 30, np.random.default_rng(4))
    assert calls == [7, 7, 7, 7, 2]
    monkeypatch.setattr(sterile, "TOY_CELLS_PER_CALL", 10**12)
    whole = sterile.fc_grid_toys(a0, a1, bg, s22, 2, 3, 30, np.random.default_rng(4))
    assert calls[-1] == 30
    np.testing.assert_array_equal(split, whole)
