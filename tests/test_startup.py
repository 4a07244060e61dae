"""Start-up: commands import only what they need; cached tables are the computed ones."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nusource.core import table_cache

LXE = Path(__file__).resolve().parent.parent / "configs" / "lxe_cr51.toml"

PROBE = """
import sys
from nusource.cli import main
assert main(sys.argv[1:]) == 0
heavy = ("awkward", "uproot", "scipy.linalg", "scipy.special", "scipy.stats", "scipy.integrate",
         "matplotlib", "cffi", "yaml")
print("imported:" + ",".join(m for m in heavy if m in sys.modules))
"""


def imported_by(tmp_path, *args) -> set:
    r = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={"NUSOURCE_PROGRESS": "0", "NUSOURCE_CACHE_DIR": str(tmp_path / "cache"), "PATH": ""},
    )
    line = [x for x in r.stdout.splitlines() if x.startswith("imported:")][-1]
    return set(filter(None, line.removeprefix("imported:").split(",")))


def test_commands_import_no_awkward_uproot_scipy_linalg_cffi_or_yaml(tmp_path):
    assert imported_by(tmp_path, "xsec", "--source", "cr51") == set()
    # the first run computes the β tables (scipy's log-Γ), later ones read them
    imported_by(tmp_path, "rate", str(LXE))
    assert imported_by(tmp_path, "rate", str(LXE)) == set()
    out = tmp_path / "a.h5"
    assert imported_by(tmp_path, "simulate", str(LXE), "-n", "100", "-o", str(out)) == set()


LINEAR_ALGEBRA_AFTER_LEAN_START = """
import json
import sys
import numpy as np
from nusource.cli import _lean_numba
_lean_numba()
import numba
assert "scipy.linalg" not in sys.modules
@numba.njit
def product(a, b):
    return np.dot(a, b), np.linalg.inv(a)
a = np.array([[2.0, 1.0], [1.0, 3.0]])
d, inv = product(a, np.array([1.0, -1.0]))
print(json.dumps([d.tolist(), inv.tolist()]))
"""


def test_numba_linear_algebra_still_works_after_the_commands_lean_start():
    # the commands answer numba's BLAS probe without importing scipy.linalg; a
    # kernel compiled afterwards with np.dot and np.linalg still gets scipy's BLAS/LAPACK
    r = subprocess.run(
        [sys.executable, "-c", LINEAR_ALGEBRA_AFTER_LEAN_START],
        capture_output=True,
        text=True,
        check=True,
    )
    d, inv = json.loads(r.stdout)
    assert np.allclose(d, [1.0, -2.0])
    assert np.allclose(inv, np.linalg.inv([[2.0, 1.0], [1.0, 3.0]]))


NUMBA_CONFIG_AFTER_LEAN_START = """
import json
from nusource.cli import _lean_numba
_lean_numba()
import numba.core.config as config
from numba.core.typing import cffi_utils
import cffi, yaml  # importable again: blocked only while numba loads
print(json.dumps([config.BOUNDSCHECK, cffi_utils.SUPPORTED]))
"""


def test_the_lean_start_reads_a_numba_config_file_and_leaves_cffi_and_yaml_importable(tmp_path):
    # yaml is skipped only where there is no .numba_config.yaml (numba reads it from the
    # working directory); numba's cffi support is off in the command process
    pytest.importorskip("cffi")
    pytest.importorskip("yaml")

    def run(config_file):
        if config_file:
            (tmp_path / ".numba_config.yaml").write_text("boundscheck: 1\n")
        r = subprocess.run(
            [sys.executable, "-c", NUMBA_CONFIG_AFTER_LEAN_START],
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp_path,
            env={"PATH": ""},
        )
        return json.loads(r.stdout)

    assert run(False) == [None, False]
    assert run(True) == [1, False]


def test_cached_tables_are_the_computed_ones_and_keyed_on_their_inputs(tmp_path, monkeypatch):
    from nusource.generator.beta_emitters import tabulate_electron

    monkeypatch.setenv("NUSOURCE_CACHE_DIR", str(tmp_path))
    calls = []

    def build(q):
        calls.append(q)
        return tabulate_electron(q, 37.0, 85.0)

    first = table_cache.cached_arrays("t", [0.687], lambda: build(0.687), modules=(__name__,))
    again = table_cache.cached_arrays("t", [0.687], lambda: build(0.687), modules=(__name__,))
    other = table_cache.cached_arrays("t", [0.5], lambda: build(0.5), modules=(__name__,))
    assert calls == [0.687, 0.5]  # read back, not recomputed; a new input is computed
    direct = tabulate_electron(0.687, 37.0, 85.0)
    for a, b, c in zip(first, again, direct, strict=True):
        assert np.array_equal(a, c) and np.array_equal(b, c)
    assert not np.array_equal(other[0], first[0])
    assert table_cache.table_key("t", [1]) != table_cache.table_key("t", [1], (__name__,))


def test_a_damaged_or_disabled_cache_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("NUSOURCE_CACHE_DIR", str(tmp_path))
    table_cache.cached_arrays("d", [1], lambda: (np.arange(3.0),))
    (path,) = tmp_path.glob("d-*.npz")
    path.write_bytes(b"not a table")
    (a,) = table_cache.cached_arrays("d", [1], lambda: (np.arange(3.0),))
    assert np.array_equal(a, np.arange(3.0))
    monkeypatch.setenv("NUSOURCE_CACHE_DIR", "off")
    assert table_cache.cache_dir() is None
    (b,) = table_cache.cached_arrays("d", [1], lambda: (np.ones(2),))
    assert np.array_equal(b, np.ones(2))


def test_the_program_collects_less_and_freezes_at_the_end_main_leaves_the_collector(
    tmp_path, capsys
):
    import gc

    from nusource.cli import GC_FIRST_THRESHOLD, main

    probe = (
        "import gc, sys\n"
        "from nusource.cli import GC_FIRST_THRESHOLD, run\n"
        "default = gc.get_threshold()\n"
        "sys.argv = ['nusource', 'xsec', '--source', 'cr51']\n"
        "assert run() == 0\n"
        "print('gc:', gc.get_threshold()[0], gc.get_threshold()[1:] == default[1:],"
        " gc.get_freeze_count() > 0)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    line = [x for x in r.stdout.splitlines() if x.startswith("gc:")][-1]
    assert line == f"gc: {GC_FIRST_THRESHOLD} True True"
    before = (gc.get_threshold(), gc.get_freeze_count())
    assert main(["xsec", "--source", "cr51"]) == 0
    assert (gc.get_threshold(), gc.get_freeze_count()) == before
    capsys.readouterr()


def test_recorded_library_versions_are_importlib_metadatas(tmp_path, monkeypatch):
    from importlib import metadata

    from nusource.io.provenance import LIBRARIES, installed_versions

    def reference(name):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    names = (*LIBRARIES, "pydantic", "pip", "setuptools", "nusource", "awkward-cpp", "no-such-dist")
    assert installed_versions(names) == {n: reference(n) for n in names}
    assert installed_versions(["no-such-dist"]) == {"no-such-dist": None}
    # a distribution in an earlier path entry is the one importlib finds too
    info = tmp_path / "numpy-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: numpy\nVersion: 0.0.1\n\nbody\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert installed_versions(["numpy"]) == {"numpy": "0.0.1"} == {"numpy": reference("numpy")}
