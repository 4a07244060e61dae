"""``nusource serve``: commands handed to a warm process give what they give alone."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nusource import serve
from nusource.io import read_events

CLI = [sys.executable, "-m", "nusource.cli"]


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUSOURCE_")}
    env.update(
        NUSOURCE_RUNTIME_DIR=str(tmp_path / "run"),
        NUSOURCE_CACHE_DIR=str(tmp_path / "cache"),
        NUSOURCE_PROGRESS="0",
        **extra,
    )
    return env


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    env = _env(tmp)
    log = open(tmp / "server.log", "w+")
    p = subprocess.Popen([*CLI, "serve", "--idle-minutes", "10"], env=env, stderr=log, cwd=tmp)
    deadline = time.monotonic() + 120
    while "ready at" not in (tmp / "server.log").read_text():
        assert p.poll() is None, (tmp / "server.log").read_text()
        assert time.monotonic() < deadline, "the server did not get ready in 120 s"
        time.sleep(0.1)
    yield tmp, env, tmp / "server.log"
    p.send_signal(signal.SIGINT)
    assert p.wait(30) == 0
    assert not list((tmp / "run").glob("*.sock"))  # its socket is gone with it
    log.close()


def _served(log: Path, argv) -> bool:
    return f"nusource serve: {' '.join(argv)} (pid" in log.read_text()


def test_a_served_command_gives_the_events_messages_and_code_of_one_run_alone(server, tmp_path):
    _, env, log = server
    argv = ["simulate", "lxe_cr51.toml", "-n", "300", "--seed", "7", "-o", "served.h5"]
    served = subprocess.run([*CLI, *argv], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert _served(log, argv)  # (the server's log names each command it ran)
    alone = subprocess.run(
        [*CLI, *argv[:-1], "alone.h5"],
        env={**env, "NUSOURCE_SERVE": "off"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert not _served(log, [*argv[:-1], "alone.h5"])
    assert served.returncode == alone.returncode == 0
    a, b = read_events(tmp_path / "served.h5"), read_events(tmp_path / "alone.h5")
    assert len(a.events) > 0 and a.events.dtype == b.events.dtype
    for name in a.events.dtype.names:
        assert np.array_equal(a.events[name], b.events[name]), name
    assert a.run["seed"] == b.run["seed"] == 7

    def words(text):  # (all but the time taken)
        return text.replace("served.h5", "OUT").replace("alone.h5", "OUT").rsplit(";", 1)[0]

    assert words(served.stdout) == words(alone.stdout) and served.stderr == alone.stderr

    # local worker processes started by the served command: the same events again
    workers = [*argv[:-1], "workers.h5", "--workers", "2"]
    r = subprocess.run([*CLI, *workers], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0 and _served(log, workers), r.stderr
    c = read_events(tmp_path / "workers.h5")
    for name in a.events.dtype.names:
        assert np.array_equal(a.events[name], c.events[name]), name

    # an error: the same message on the caller's stderr and the same exit code
    bad = ["rate", "no_such_card.toml"]
    served = subprocess.run([*CLI, *bad], env=env, cwd=tmp_path, capture_output=True, text=True)
    alone = subprocess.run(
        [*CLI, *bad],
        env={**env, "NUSOURCE_SERVE": "off"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert _served(log, bad)
    assert served.returncode == alone.returncode == 2
    assert served.stderr == alone.stderr and "no_such_card.toml" in served.stderr


def test_a_served_command_has_the_callers_directory_environment_and_streams(server, tmp_path):
    _, env, log = server
    (tmp_path / "here").mkdir()
    argv = ["xsec", "--source", "ar37", "--json"]
    r = subprocess.run([*CLI, *argv], env=env, cwd=tmp_path / "here", capture_output=True)
    alone = subprocess.run(
        [*CLI, *argv], env={**env, "NUSOURCE_SERVE": "off"}, capture_output=True, check=True
    )
    assert r.returncode == 0 and _served(log, argv)
    assert json.loads(r.stdout) == json.loads(alone.stdout)
    assert json.loads(r.stdout)["source"] == "ar37"
    # the directory: a relative output lands in the caller's
    argv = ["simulate", "lxe_cr51.toml", "-n", "50", "-o", "rel.h5"]
    r = subprocess.run([*CLI, *argv], env=env, cwd=tmp_path / "here", capture_output=True)
    assert r.returncode == 0 and _served(log, argv)
    assert (tmp_path / "here" / "rel.h5").is_file()
    # the environment: the caller's, not the server's (NUSOURCE_CACHE_DIR moves the tables)
    cache = tmp_path / "callers_cache"
    argv = ["rate", "lxe_cr51.toml", "--json"]
    r = subprocess.run(
        [*CLI, *argv],
        env={**env, "NUSOURCE_CACHE_DIR": str(cache)},
        cwd=tmp_path,
        capture_output=True,
    )
    assert r.returncode == 0 and _served(log, argv)
    assert list(cache.glob("*.npz"))  # tables the server had were written where the caller said


def test_ctrl_c_reaches_the_served_command_which_can_then_go_on(server, tmp_path):
    _, env, log = server
    argv = ["simulate", "lxe_cr51.toml", "-n", "3000000", "--chunk-size", "100000", "-o", "l.h5"]
    p = subprocess.Popen([*CLI, *argv], env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    chunks = tmp_path / "l.h5.chunks"
    deadline = time.monotonic() + 60
    while not (chunks.is_dir() and any(chunks.iterdir())):
        assert time.monotonic() < deadline and p.poll() is None
        time.sleep(0.05)
    time.sleep(1.0)
    assert _served(log, argv)
    assert p.poll() is None, "the run ended before it could be interrupted"
    p.send_signal(signal.SIGINT)
    err = p.communicate(timeout=60)[1]
    assert p.returncode == 130
    assert "interrupted; what was written is kept" in err
    r = subprocess.run([*CLI, *argv], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert " 0 resumed" not in r.stdout and "resumed" in r.stdout


def test_a_served_command_killed_is_reported_and_not_run_again_by_the_caller(server, tmp_path):
    _, env, log = server
    argv = ["simulate", "lxe_cr51.toml", "-n", "3000000", "--chunk-size", "100000", "-o", "k.h5"]
    p = subprocess.Popen([*CLI, *argv], env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    line = f"nusource serve: {' '.join(argv)} (pid "
    deadline = time.monotonic() + 60
    while line not in log.read_text():
        assert time.monotonic() < deadline and p.poll() is None
        time.sleep(0.05)
    pid = int(log.read_text().split(line)[-1].split(")")[0])
    time.sleep(0.5)
    os.kill(pid, signal.SIGKILL)
    err = p.communicate(timeout=60)[1]
    assert p.returncode == 1
    assert f"the server's process {pid} ended without an exit code" in err
    assert not (tmp_path / "k.h5").exists()  # (the caller did not make it itself)


def test_another_installation_or_a_shared_directory_is_not_served(tmp_path, monkeypatch):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_text("x = 1\n")
    first = serve.installation_digest([str(pkg)], environ={})
    assert serve.installation_digest([str(pkg)], environ={}) == first
    os.utime(pkg / "a.py", ns=(0, 10**18))  # an edited source
    assert serve.installation_digest([str(pkg)], environ={}) != first
    again = serve.installation_digest([str(pkg)], environ={})
    assert serve.installation_digest([str(pkg)], environ={"NUMBA_OPT": "0"}) != again
    assert serve.installation_digest([str(pkg)], environ={"OTHER": "1"}) == again

    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    monkeypatch.setenv("NUSOURCE_RUNTIME_DIR", str(shared))
    (shared / f"{serve.installation_digest()}.sock").write_text("")
    assert serve.forward(["sources"]) is None  # (a directory others can write: ignored)
    os.chmod(shared, 0o700)
    assert serve.forward(["sources"]) is None  # (no server listens there: run here)
    monkeypatch.setenv("NUSOURCE_SERVE", "off")
    assert serve.forward(["sources"]) is None


def test_an_installed_wheels_nested_stage_directories_are_read_once(monkeypatch):
    import importlib.util
    from types import SimpleNamespace

    where = {
        "nusource": "/site/nusource",
        "nusource.generator": "/site/nusource/generator",
        "nusource.detsim": "/repo/detsim",
        "nusource.geometry": "/site/nusource-extra",
        "nusource.analysis": "/site/nusource/analysis",
    }
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name: SimpleNamespace(submodule_search_locations=[where[name]]),
    )
    assert serve.source_dirs() == ["/repo/detsim", "/site/nusource", "/site/nusource-extra"]


def test_the_program_runs_commands_itself_without_a_server(tmp_path):
    env = _env(tmp_path)
    r = subprocess.run([*CLI, "sources", "--json"], env=env, capture_output=True, text=True)
    assert r.returncode == 0 and "cr51" in r.stdout
    assert not (tmp_path / "run").exists()


def test_serve_refuses_a_bad_idle_time_or_warm_card(tmp_path):
    def serve_(*args):
        return subprocess.run(
            [*CLI, "serve", *args], env=_env(tmp_path), capture_output=True, text=True, timeout=120
        )

    r = serve_("--idle-minutes", "0")
    assert r.returncode == 2 and "--idle-minutes: 0 must be in (0, 10080]" in r.stderr
    r = serve_("--warm", "no_such_card.toml")
    assert r.returncode == 2 and "run card no_such_card.toml: no such file" in r.stderr
    assert not list((tmp_path / "run").glob("*.sock"))
