"""Tables kept on disk across runs: computed once per package version and inputs.

Building some tables costs more than the rest of a short command's start
(β spectra with the relativistic Fermi function need scipy's complex log-Γ;
a geometric factor is a Monte Carlo integral of millions of tries).  They are
pure functions of their inputs, so :func:`cached_arrays` stores each under a
key made of the package version, the source of the module that builds it and
the inputs, and reads it back in later runs (~0.1 ms).  A changed input, a
new version or an edited builder module give a new key; nothing is ever
looked up by a stale key.  :func:`load_arrays` and :func:`store_arrays` are
the two halves, for a caller that must build on a miss itself (the command's
lean start keeps numba's runtime functions here: ``nusource.lean_start``).

The directory is ``$NUSOURCE_CACHE_DIR``, else ``$XDG_CACHE_HOME/nusource``,
else ``~/.cache/nusource``; ``NUSOURCE_CACHE_DIR=off`` disables the cache.
An unwritable or damaged cache is ignored: the table is then computed (and a
damaged file written again).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .._version import __version__


def cache_dir() -> Path | None:
    """The table cache's directory (None: disabled)."""
    env = os.environ.get("NUSOURCE_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "none") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nusource"


@functools.cache
def _module_digest(module: str) -> str:
    """SHA-256 of a module's source file (so an edited builder never meets its old tables)."""
    path = getattr(sys.modules.get(module), "__file__", None)
    if path is None:  # (not imported yet: its file all the same, or a key would depend on it)
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        path = getattr(spec, "origin", None)
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16] if path else ""
    except OSError:
        return ""


def table_key(name: str, inputs, modules=()) -> str:
    """The cache key of a table: version, builder modules' source and JSON of the inputs."""
    digests = [_module_digest(m) for m in modules]
    text = json.dumps([__version__, name, digests, inputs], sort_keys=True)
    return f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def cached_arrays(name: str, inputs, build: Callable[[], tuple], *, modules=()) -> tuple:
    """``build()``'s tuple of numpy arrays, from the disk cache when it holds them.

    Parameters
    ----------
    name : str
        What the table is (a file-name prefix).
    inputs : JSON-serialisable
        Everything the table depends on besides the package version and the
        builder's module (numbers, strings, lists).
    build : callable
        Makes the tuple of arrays (floats, ints) when the cache has none.
    modules : sequence of str
        The modules whose source the table depends on (their ``__name__``).

    Returns
    -------
    tuple of numpy.ndarray
    """
    found = load_arrays(name, inputs, modules=modules)
    if found is not None:
        return found
    out = tuple(np.asarray(a) for a in build())
    store_arrays(name, inputs, out, modules=modules)
    return out


def load_arrays(name: str, inputs, *, modules=()) -> tuple | None:
    """The arrays :func:`store_arrays` kept under this key, or None (none, damaged, disabled)."""
    d = cache_dir()
    if d is None:
        return None
    path = d / (table_key(name, inputs, modules) + ".npz")
    try:
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as z:
            return tuple(z[f"a{i}"] for i in range(len(z.files)))
    except (OSError, ValueError, TypeError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # none yet, or damaged (cut short, a bad checksum): computed and written again


def store_arrays(name: str, inputs, arrays, *, modules=()) -> None:
    """Keep ``arrays`` under the key of (name, inputs, modules): written whole or not at all."""
    d = cache_dir()
    if d is None:
        return
    path = d / (table_key(name, inputs, modules) + ".npz")
    write_whole(
        path, lambda f: np.savez(f, **{f"a{i}": np.asarray(a) for i, a in enumerate(arrays)})
    )


def write_whole(path: Path, write: Callable) -> None:
    """``write(f)`` into a temporary file beside ``path``, then renamed to it: the file is
    written whole or not at all.  An unwritable directory is ignored (a read-only home:
    computed again next time)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # (a random part too: processes of two machines sharing the directory may have one pid)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.part")
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except OSError:
        pass
