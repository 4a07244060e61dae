"""A resident, warm process that runs this installation's commands (``nusource serve``).

A command's start is mostly Python's imports and numba loading its cached
kernels (~0.4 s in all for a short ``simulate``); the run itself is a small
part of it.  ``nusource
serve`` does that start once: it imports the stages, runs a few small
commands to load the kernels and tables (``--warm CARD``), and waits.  While
it runs, each ``nusource`` command of the same installation hands itself
over to it: the server forks a copy of its warm process, and the copy runs the
command with the caller's arguments, working directory, environment, umask
and standard streams (their file descriptors are passed over the socket), then
reports its exit code.  Events, files and messages are those of the command
run without the server (the copy starts from the same code and the command
takes its seeds from the card); the caller's Ctrl-C (SIGINT), SIGTERM and
SIGHUP reach the copy, which stops as the command would.

A server belongs to one installation as it is: its socket's name is a digest
of the package version, the Python executable, every source and data file of
the package (path, size, modification time) and the environment variables
numba and Python read when they start (``NUMBA_*``, ``PYTHON*`` but
``PYTHONDONTWRITEBYTECODE`` and ``PYTHONUNBUFFERED``).  A command whose
digest differs (an edited source, another environment) finds no server and
runs in its own process, as it does when no server runs, when the socket
directory is not the user's own, or with ``NUSOURCE_SERVE=off``.

The socket directory is ``$NUSOURCE_RUNTIME_DIR``, else
``$XDG_RUNTIME_DIR/nusource``, else ``/tmp/nusource-<uid>``; it is made
readable by its owner only, and a server answers only its own user.

The client side (:func:`forward`) imports nothing beyond the standard library,
and only ``os`` and ``signal`` where no socket directory exists.
"""

from __future__ import annotations

import os
import signal
import struct
import sys

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Signals the caller passes on to the command's process."""

_STAGES = (
    "nusource",
    "nusource.generator",
    "nusource.detsim",
    "nusource.geometry",
    "nusource.analysis",
)
_HEADER = struct.Struct("!I")
_NOT_IN_DIGEST = ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")  # (no part in what runs)


def runtime_dir() -> str:
    """The socket directory (see the module's doc)."""
    env = os.environ.get("NUSOURCE_RUNTIME_DIR")
    if env:
        return env
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg:
        return os.path.join(xdg, "nusource")
    return os.path.join("/tmp", f"nusource-{os.getuid()}")


def source_dirs() -> list[str]:
    """The directories of the package's stages (an editable install maps them apart)."""
    import importlib.util

    found = set()
    for name in _STAGES:
        spec = importlib.util.find_spec(name)
        found.update((spec.submodule_search_locations or []) if spec else [])
    out = []
    for d in sorted(found):  # (an installed wheel nests them: each file once)
        if not any(d.startswith(top + os.sep) for top in out):
            out.append(d)
    return out


def installation_digest(dirs=None, environ=None) -> str:
    """The digest that names this installation's server (see the module's doc)."""
    import hashlib
    import json

    from ._version import __version__

    environ = os.environ if environ is None else environ
    h = hashlib.sha256()
    h.update(json.dumps([__version__, sys.executable, sys.version]).encode())
    for key in sorted(environ):
        if key.startswith(("NUMBA_", "PYTHON")) and key not in _NOT_IN_DIGEST:
            h.update(f"{key}={environ[key]}\0".encode())
    for top in source_dirs() if dirs is None else dirs:
        for root, subdirs, files in os.walk(top):
            subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
            for name in sorted(files):  # (modules and the data files they read)
                path = os.path.join(root, name)
                st = os.stat(path)
                h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return h.hexdigest()[:24]


def socket_path(digest: str | None = None) -> str:
    return os.path.join(runtime_dir(), f"{digest or installation_digest()}.sock")


def _private(directory: str) -> bool:
    """The directory exists, is the user's own and only theirs."""
    try:
        st = os.stat(directory)
    except OSError:
        return False
    return st.st_uid == os.getuid() and (st.st_mode & 0o077) == 0


# ------------------------------------------------------------------ the caller


def forward(argv: list[str]) -> int | None:
    """Run the command ``argv`` in this installation's server: its exit code.

    None when there is no server to run it (then the caller runs it itself).
    """
    if os.environ.get("NUSOURCE_SERVE", "").strip().lower() in ("off", "0", "no"):
        return None
    directory = runtime_dir()
    if not _private(directory):
        return None
    try:
        path = socket_path()
    except Exception:  # (no digest, no server: a command never fails for want of one)
        return None
    if not os.path.exists(path):
        return None
    import json
    import socket

    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
        request = json.dumps(
            {"argv": list(argv), "cwd": os.getcwd(), "env": dict(os.environ), "umask": _umask()}
        ).encode()
        conn.settimeout(10.0)
        socket.send_fds(conn, [_HEADER.pack(len(request)) + request], [0, 1, 2])
        pid = _read_int(conn)
        if pid is None:  # the server declined: run here
            conn.close()
            return None
        return _wait(conn, pid)
    except OSError:
        conn.close()
        return None  # (a server gone, or one that stopped answering): run here
    except KeyboardInterrupt:  # before the command started: it never will
        conn.close()
        print("nusource: interrupted", file=sys.stderr)
        return 130


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _read_int(conn) -> int | None:
    data = b""
    while len(data) < 4:
        part = conn.recv(4 - len(data))
        if not part:
            return None
        data += part
    value = struct.unpack("!i", data)[0]
    return None if value < 0 else value


def _wait(conn, pid: int) -> int | None:
    """Start the command in process ``pid`` and wait for its exit code, passing signals on.

    The command starts only when told (once the signals are passed on), so a
    caller that gave up before never has it run twice.
    """

    def pass_on(signum, frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    old = {s: signal.signal(s, pass_on) for s in FORWARDED_SIGNALS}
    try:
        try:
            conn.sendall(b"g")
        except OSError:
            return None  # (not started: the caller runs it)
        conn.settimeout(None)
        try:
            code = _read_int(conn)
        except OSError:  # (started: never run again here)
            code = None
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        conn.close()
    if code is None:
        print(
            f"nusource: the server's process {pid} ended without an exit code "
            "(killed, or it crashed); see the server's messages",
            file=sys.stderr,
        )
        return 1
    return code


# ------------------------------------------------------------------ the server


def serve(*, warm_cards=(), idle_minutes: float = 60.0, log=sys.stderr) -> int:
    """Warm up, then run the commands handed over until idle (or Ctrl-C)."""
    import socket
    import tempfile

    directory = runtime_dir()
    os.makedirs(directory, mode=0o700, exist_ok=True)
    if not _private(directory):
        raise ValueError(
            f"socket directory '{directory}' must be the user's own and private "
            "(mode 700); set NUSOURCE_RUNTIME_DIR to another"
        )
    digest = installation_digest()
    path = socket_path(digest)
    with tempfile.TemporaryDirectory() as tmp:
        for argv in _warm_commands(warm_cards, tmp):
            code = _quiet(argv)
            if code != 0:
                raise ValueError(
                    f"warming up: 'nusource {' '.join(argv)}' failed (exit {code}); "
                    "run it alone to see why"
                )
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    listener.bind(path)
    bound = os.stat(path).st_ino
    listener.listen(16)
    listener.settimeout(idle_minutes * 60.0)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # (the command processes reap themselves)
    signal.signal(signal.SIGTERM, _stop)
    print(
        f"nusource serve: ready at {path} (pid {os.getpid()}; idle for "
        f"{idle_minutes:g} min ends it; Ctrl-C to stop)",
        file=log,
        flush=True,
    )
    try:
        while True:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                print("nusource serve: idle; stopped", file=log, flush=True)
                return 0
            with conn:
                try:
                    _handle(conn, listener, log)
                except (OSError, ValueError) as err:  # (the caller then runs the command)
                    print(f"nusource serve: a request failed: {err}", file=log, flush=True)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # (a second Ctrl-C while stopping)
        print("nusource serve: stopped", file=log, flush=True)
        return 0
    finally:
        listener.close()
        try:
            if os.stat(path).st_ino == bound:  # (not a newer server's socket)
                os.unlink(path)
        except OSError:
            pass


def _stop(signum, frame):
    raise KeyboardInterrupt


def _warm_commands(cards, tmp):
    from pathlib import Path

    yield ["xsec", "--source", "cr51"]
    for i, card in enumerate(cards):
        yield ["rate", str(card)]
        yield ["simulate", str(card), "-n", "200", "-o", str(Path(tmp) / f"warm{i}.h5")]


def _quiet(argv) -> int:
    """Run a command in this process with its output discarded (warming up): its code."""
    from .cli import main

    saved = (os.dup(1), os.dup(2))
    null = os.open(os.devnull, os.O_WRONLY)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)
        return main(list(argv))
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, null):
            os.close(fd)


def _handle(conn, listener, log) -> None:
    import json
    import socket
    import threading

    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _, uid, _ = struct.unpack("3i", creds)
    if uid != os.getuid():
        return
    conn.settimeout(10.0)  # (a caller that sends nothing does not hold the server)
    head, fds, _, _ = socket.recv_fds(conn, _HEADER.size + 65536, 3)
    try:
        if len(fds) != 3 or len(head) < _HEADER.size:
            return
        (size,) = _HEADER.unpack(head[: _HEADER.size])
        body = head[_HEADER.size :]
        while len(body) < size:
            part = conn.recv(size - len(body))
            if not part:
                return
            body += part
        request = json.loads(body)
        if threading.active_count() > 1:  # forking now could copy a held lock
            conn.sendall(struct.pack("!i", -1))
            return
        pid = os.fork()
        if pid == 0:
            listener.close()
            _child(conn, fds, request)  # (never returns)
        print(f"nusource serve: {' '.join(request['argv'])} (pid {pid})", file=log, flush=True)
    finally:
        for fd in fds:
            os.close(fd)


def _child(conn, fds, request) -> None:
    """The command, in the forked copy: the caller's streams, place and environment."""
    code = 1
    try:
        os.setsid()  # (apart from the server's terminal: its Ctrl-C is not the caller's)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for s in FORWARDED_SIGNALS:
            signal.signal(s, signal.default_int_handler if s == signal.SIGINT else signal.SIG_DFL)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        unbuffered = bool(request["env"].get("PYTHONUNBUFFERED"))
        sys.stdin = _text(0, False, like=sys.stdin)
        sys.stdout = _text(1, unbuffered, like=sys.stdout)
        sys.stderr = _text(2, True, like=sys.stderr)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.umask(request["umask"])
        sys.argv = ["nusource", *request["argv"]]
        from .cli import main, program_environment

        program_environment()
        conn.sendall(struct.pack("!i", os.getpid()))
        if conn.recv(1) != b"g":  # the caller gave up waiting and runs the command itself
            os._exit(1)
        conn.settimeout(None)

        code = main(request["argv"])
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if not isinstance(e.code, int | None):
            print(e.code, file=sys.stderr)
    except KeyboardInterrupt:
        print("nusource: interrupted", file=sys.stderr)
        code = 130
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:
            from .cli import finish_as_at_exit

            finish_as_at_exit()
            conn.sendall(struct.pack("!i", int(code)))
        finally:
            os._exit(int(code) & 0xFF)


def _text(fd: int, write_through: bool, *, like):
    """A standard stream on descriptor ``fd``, with the encoding of the one it replaces."""
    import io

    return io.TextIOWrapper(
        io.FileIO(fd, "r" if fd == 0 else "w", closefd=False),
        encoding=getattr(like, "encoding", None),
        errors=getattr(like, "errors", None),
        line_buffering=os.isatty(fd),
        write_through=write_through,
    )
