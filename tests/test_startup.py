"""Start-up: commands import only what they need; cached tables are the computed ones."""

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nusource.core import table_cache

LXE = Path(__file__).resolve().parent.parent / "configs" / "lxe_cr51.toml"


def script_output(script: str, **kw) -> str:
    """What a Python script run in a fresh interpreter prints (it must succeed)."""
    r = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, **kw
    )
    return r.stdout


def file_output(directory: Path, script: str, env: dict) -> str:
    """The same for a script in a file of ``directory`` (numba caches kernels of files only),
    run there."""
    (directory / "script.py").write_text(script)
    r = subprocess.run(
        [sys.executable, "script.py"],
        capture_output=True,
        text=True,
        check=True,
        cwd=directory,
        env=env,
    )
    return r.stdout


PROBE = """
import sys
from nusource.cli import main
assert main(sys.argv[1:]) == 0
heavy = ("awkward", "uproot", "scipy", "scipy.linalg", "scipy.special", "scipy.stats",
         "scipy.integrate", "matplotlib", "cffi", "yaml", "importlib.metadata")
print("imported:" + ",".join(m for m in heavy if m in sys.modules))
"""


def probe_output(tmp_path, *args, after: str = "") -> str:
    """What PROBE (then ``after``) prints, running a command in ``tmp_path`` with its own
    table cache there."""
    r = subprocess.run(
        [sys.executable, "-c", PROBE + after, *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={
            "NUSOURCE_PROGRESS": "0",
            "NUSOURCE_CACHE_DIR": str(tmp_path / "cache"),
            "PATH": "",
            "PYDANTIC_DISABLE_PLUGINS": "__all__",  # (as the program, nusource.cli.run)
        },
    )
    return r.stdout


def imported_by(tmp_path, *args) -> set:
    out = probe_output(tmp_path, *args)
    line = [x for x in out.splitlines() if x.startswith("imported:")][-1]
    return set(filter(None, line.removeprefix("imported:").split(",")))


def test_commands_import_no_awkward_uproot_scipy_cffi_yaml_or_importlib_metadata(tmp_path):
    assert imported_by(tmp_path, "xsec", "--source", "cr51") == set()
    # the first run computes the β tables (scipy's log-Γ), later ones read them
    imported_by(tmp_path, "rate", str(LXE))
    assert imported_by(tmp_path, "rate", str(LXE)) == set()
    out = tmp_path / "a.h5"
    assert imported_by(tmp_path, "simulate", str(LXE), "-n", "100", "-o", str(out)) == set()


DATACLASSES = """
import dataclasses
import json
import sys
from nusource import lean_start
if sys.argv[1] == "lean":
    lean_start.dataclasses_compiled_once()
from dataclasses import dataclass, field, FrozenInstanceError

@dataclass(frozen=True, order=True)
class Line:
    energy_mev: float
    intensity: float = 1.0
    label: str = field(default="", compare=False)
    tags: tuple = field(default_factory=tuple, repr=False)

@dataclass
class Source:
    lines: list = field(default_factory=list)
    name: str = "cr51"

a, b = Line(0.747, 0.8163, "main"), Line(0.752, 0.0849)
s = Source([a, b])
try:
    a.energy_mev = 1.0
    frozen = "assigned"
except FrozenInstanceError as e:
    frozen = str(e)
out = [repr(a), repr(s), a == Line(0.747, 0.8163, "other"), a < b,
       hash(a) == hash(Line(0.747, 0.8163)), frozen, Source() == Source([], "cr51"),
       Line.__doc__, str(Line.__init__.__code__.co_varnames)]
compiled = getattr(getattr(dataclasses, "exec", None), "compiled", None)
print(json.dumps([out, None if compiled is None else len(compiled)]))
"""


def test_dataclass_methods_are_compiled_once_and_the_classes_are_the_same(tmp_path):
    def run(how, cache):
        r = subprocess.run(
            [sys.executable, "-c", DATACLASSES, how],
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": "", "NUSOURCE_CACHE_DIR": str(cache)},
        )
        return json.loads(r.stdout)

    plain, none = run("plain", tmp_path / "cache")
    assert none is None and not (tmp_path / "cache").exists()
    first = run("lean", tmp_path / "cache")
    assert first[0] == plain and first[1] >= 6  # compiled (two classes' methods), and kept
    (kept,) = (tmp_path / "cache").glob("dataclass_code-*.marshal")
    assert run("lean", tmp_path / "cache") == [plain, 0]  # every method from the cache
    kept.write_bytes(kept.read_bytes()[: kept.stat().st_size // 2])  # damaged: compiled again
    assert run("lean", tmp_path / "cache") == first
    assert run("lean", tmp_path / "cache") == [plain, 0]
    assert run("lean", "off") == [plain, None]  # no cache: dataclasses' own way


def test_a_commands_second_run_compiles_no_dataclass_method(tmp_path):
    def compiled():
        after = "import dataclasses\nprint('compiled:', len(dataclasses.exec.compiled))\n"
        return int(probe_output(tmp_path, "rate", str(LXE), after=after).split("compiled:")[-1])

    assert compiled() > 100  # the package's classes, pydantic's, …
    assert compiled() == 0


LINEAR_ALGEBRA_AFTER_LEAN_START = """
import json
import sys
import numpy as np
from nusource import lean_start
lean_start.numba()
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
    d, inv = json.loads(script_output(LINEAR_ALGEBRA_AFTER_LEAN_START))
    assert np.allclose(d, [1.0, -2.0])
    assert np.allclose(inv, np.linalg.inv([[2.0, 1.0], [1.0, 3.0]]))


NUMBA_CONFIG_AFTER_LEAN_START = """
import json
from nusource import lean_start
lean_start.numba()
import numba.core.config as config
from numba.core.typing import cffi_utils
import cffi, yaml  # importable again: blocked only while numba loads
print(json.dumps([config.BOUNDSCHECK, cffi_utils.SUPPORTED]))
"""


LLVM_LOCK_EVENTS = """
import json
from nusource import lean_start
from llvmlite.binding import ffi
import numba.core.base
before = len(ffi.lib._lock._cblist)
lean_start.numba()
import numba
@numba.njit
def cube(x):
    return x * x * x
print(json.dumps([before, len(ffi.lib._lock._cblist), cube(3.0)]))
"""


def test_the_lean_start_removes_numbas_llvm_lock_callbacks_and_kernels_still_compile():
    assert json.loads(script_output(LLVM_LOCK_EVENTS)) == [1, 0, 27.0]


RUNTIME_FROM_CACHE = """
import json
import sys
import numpy as np
from nusource import lean_start
lean_start.numba()
import numba
from numba.core import codegen
compiled = []
add = codegen.CPUCodeLibrary.add_ir_module
def recorded(self, module):
    compiled.append(self.name)
    return add(self, module)
codegen.CPUCodeLibrary.add_ir_module = recorded
@numba.njit(cache=True)  # a kernel that lives on numba's runtime: arrays and lists
def shares(n):
    parts = [np.arange(n) * 1.0 for _ in range(3)]
    total = np.zeros(n)
    for p in parts:
        total += p
    return total / total.sum(), len(parts)
s, k = shares(4)
print(json.dumps(["nrt" in compiled, s.tolist(), k]))
"""


def test_numbas_runtime_is_compiled_once_then_loaded_from_the_cache_and_kernels_run(tmp_path):
    def run(cache):
        env = {"PATH": "", "NUSOURCE_CACHE_DIR": str(cache)}
        return json.loads(file_output(tmp_path, RUNTIME_FROM_CACHE, env))

    expected = [0.0, 1 / 6, 2 / 6, 3 / 6]
    assert run(tmp_path / "cache") == [True, expected, 3]  # compiled, and kept
    (kept,) = (tmp_path / "cache").glob("numba_runtime-*.npz")
    assert run(tmp_path / "cache") == [False, expected, 3]  # loaded; the cached kernel runs
    kept.write_bytes(kept.read_bytes()[:100])  # damaged: compiled again
    assert run(tmp_path / "cache") == [True, expected, 3]
    assert run("off") == [True, expected, 3]


CACHE_DIRECTORY_CHECKS = """
import json
import shutil
import tempfile
from pathlib import Path
from nusource import lean_start
lean_start.numba()
import numba
probes = []
make = tempfile.TemporaryFile
def recorded(*a, **k):
    probes.append(k.get("dir"))
    return make(*a, **k)
tempfile.TemporaryFile = recorded
def f(x):
    return x + 1
def g(x):
    return x * 2
first = numba.njit(cache=True)(f)
cache = Path(__file__).parent / "__pycache__"
shutil.rmtree(cache)  # removed meanwhile: made again, and the kernel is cached there
second = numba.njit(cache=True)(g)
print(json.dumps([len(probes), first(1), second(2), any(cache.glob("*.nbi"))]))
"""


def test_numbas_cache_directory_is_checked_once_and_made_again_if_removed(tmp_path):
    out = file_output(tmp_path, CACHE_DIRECTORY_CHECKS, {"PATH": ""})
    assert json.loads(out) == [1, 2, 4, True]


LAZY_BITCODE = """
import json
import numpy as np
from nusource import lean_start
lean_start.numba()
import numba
from llvmlite import binding
from numba.core import codegen
parsed = []
parse = binding.parse_bitcode
def counted(bitcode):
    parsed.append(len(bitcode))
    return parse(bitcode)
binding.parse_bitcode = counted
@numba.njit(cache=True)
def inner(n):
    a = np.arange(n) * 1.0
    return [a, a[::-1]]
inner(4)  # compiled in the first run, loaded from numba's cache after
at_load = len(parsed)
@numba.njit  # compiled here, against inner's library (its linking module is needed)
def outer(n):
    x = inner(n)
    return x[0].sum() + x[1][0]
value = outer(5)
module = inner.overloads[inner.signatures[0]].library._shared_module
defined = {gv.name for gs in (module.functions, module.global_variables) for gv in gs
           if not gv.is_declaration}
engine = inner.targetctx.codegen()._engine
print(json.dumps([at_load, len(parsed), value, defined <= engine._defined_symbols]))
"""


def test_cached_kernels_load_without_parsing_their_bitcode_until_a_compilation_needs_it(
    tmp_path,
):
    cache = tmp_path / "cache"

    def run(where=cache):
        env = {"PATH": "", "NUSOURCE_CACHE_DIR": str(where)}
        return json.loads(file_output(tmp_path, LAZY_BITCODE, env))

    # (two libraries load from caches: inner's and numba's runtime, from the table cache)
    assert run() == [0, 0, 14.0, True]  # compiled: nothing to parse
    assert run() == [2, 2, 14.0, True]  # loaded, parsed as numba does; their names kept
    (names,) = cache.glob("numba_symbols-*.json")
    assert run() == [0, 2, 14.0, True]  # loaded without parsing; both parsed to link outer
    names.write_text("{not json")
    assert run() == [2, 2, 14.0, True]  # a damaged file: parsed, and written again
    assert run() == [0, 2, 14.0, True]
    assert run("off") == [1, 1, 14.0, True]  # no table cache: the runtime is compiled


METADATA_ON_DEMAND = """
import importlib
import json
import sys
from nusource import lean_start
lean_start.numba()
lean_start.pydantic()
loaded = "importlib.metadata" in sys.modules
from pydantic.plugin import _loader
plugins = list(_loader.get_plugins())  # (a scan of every distribution: the real module)
from numba.core import entrypoints
version = entrypoints.importlib_metadata.version("numpy")  # the stand-in forwards
import importlib.metadata
print(json.dumps([loaded, plugins, version == importlib.metadata.version("numpy"),
                  hasattr(importlib.metadata, "__file__"),
                  importlib.metadata is sys.modules["importlib.metadata"]]))
"""


def test_numba_and_pydantic_load_without_importlib_metadata_which_is_imported_when_used():
    out = json.loads(script_output(METADATA_ON_DEMAND, env={"PATH": ""}))
    assert out == [False, [], True, True, True]


LEAN_OR_NUMBA = """
import json
import sys
import numpy as np
if sys.argv[1] == "lean":
    from nusource import lean_start
    lean_start.numba()
import numba
def calls_of(owner, name):
    calls = []
    original = getattr(owner, name)
    def counted(self, *a, **k):
        calls.append(1)
        return original(self, *a, **k)
    setattr(owner, name, counted)
    return calls
"""
"""The head of a script that loads numba with the command's lean start or as numba does
(and counts the calls of a method: ``calls_of``)."""


def lean_or_numba(tmp_path, script: str, how: str, **env):
    """What a script after :data:`LEAN_OR_NUMBA` prints (JSON), run as ``how`` ('lean' or
    'numba') from a file of ``tmp_path`` (numba caches kernels of files only)."""
    (tmp_path / "script.py").write_text(LEAN_OR_NUMBA + script)
    r = subprocess.run(
        [sys.executable, "script.py", how],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={"PATH": "", "NUSOURCE_CACHE_DIR": str(tmp_path / "cache"), **env},
    )
    return json.loads(r.stdout)


TYPING_WHEN_COMPILING = """from numba.core.typing import context
refreshed = calls_of(context.BaseContext, "refresh")
@numba.njit(cache=True)
def inner(n):
    a = np.arange(n) * 1.0
    return [a, a[::-1]]
first = inner(4)[1].tolist()  # compiled in the first run, loaded from numba's cache after
at_load = len(refreshed)
@numba.njit  # compiled here: typing is needed now
def outer(n):
    x = inner(n)
    return x[0].sum() + x[1][0] + np.sqrt(np.float64(n))
value = outer(5)
print(json.dumps([at_load, len(refreshed) > at_load, first, value]))
"""


def test_a_cached_kernel_loads_without_typing_and_the_next_compilation_types(tmp_path):
    def run(how):
        return lean_or_numba(tmp_path, TYPING_WHEN_COMPILING, how)

    value = 10.0 + 4.0 + 5**0.5
    at_load, typed_after, first, got = run("lean")  # compiled: typing refreshed at once
    assert at_load > 0 and [first, got] == [[3.0, 2.0, 1.0, 0.0], value]
    assert run("lean") == [0, True, [3.0, 2.0, 1.0, 0.0], value]  # loaded: typed later
    at_load, typed_after, *same = run("numba")  # numba's own way types at the load
    assert at_load > 0 and same == [[3.0, 2.0, 1.0, 0.0], value]


KERNELS_OF_EVERY_KIND = """from numba.core import cpu
full = calls_of(cpu.CPUContext, "load_additional_registries")
@numba.njit(cache=True)
def kinds(rng, n, words):
    a = np.linalg.solve(np.array([[2.0, 1.0], [1.0, 3.0]]), np.array([1.0, 2.0]))
    seen = set()
    counts = {0: 0}
    for i in range(n):
        k = int(rng.integers(0, 5))
        seen.add(k)
        counts[k] = counts.get(k, 0) + 1
    h = hash(words) % 1000
    x = np.sort(rng.normal(size=n))
    return a[0], a[1], len(seen), counts[0], h, x[0], np.exp(x).sum(), [x[1], x[2]]
@numba.njit(cache=True)
def fails(x):
    if x < 0:
        raise ValueError("x must be >= 0, got", x)
    return np.sqrt(x)
out = list(kinds(np.random.default_rng(7), 1000, "neutrino"))
try:
    fails(-1.5)
except ValueError as err:
    out.append(str(err))
print(json.dumps([out, fails(4.0), not full]))  # (the target's whole registries: none)
"""


def test_cached_kernels_of_every_kind_give_numbas_results_after_the_lean_start(tmp_path):
    """Loaded with only the runtime and the symbols numba registers (see the lean start):
    arrays, LAPACK, sets and dicts (hashing), a Generator, an exception's message."""

    def run(how):
        return lean_or_numba(tmp_path, KERNELS_OF_EVERY_KIND, how, PYTHONHASHSEED="0")

    compiled, root, lean = run("numba")
    assert not lean  # (numba's own load imports every module of the target)
    assert run("lean") == [compiled, root, True]  # loaded from numba's cache, lean
    assert run("numba") == [compiled, root, False]


def test_the_lean_start_reads_a_numba_config_file_and_leaves_cffi_and_yaml_importable(tmp_path):
    # yaml is skipped only where there is no .numba_config.yaml (numba reads it from the
    # working directory); numba's cffi support is off in the command process
    pytest.importorskip("cffi")
    pytest.importorskip("yaml")

    def run(config_file):
        if config_file:
            (tmp_path / ".numba_config.yaml").write_text("boundscheck: 1\n")
        return json.loads(
            script_output(NUMBA_CONFIG_AFTER_LEAN_START, cwd=tmp_path, env={"PATH": ""})
        )

    assert run(False) == [None, False]
    assert run(True) == [1, False]


PYDANTIC_AFTER_LEAN_START = """
import json
import sys
import types
from nusource import lean_start
lean_start.pydantic()
loaded_asyncio = "asyncio" in sys.modules
stand_ins = [
    f"{name}.{key}"
    for name, module in list(sys.modules.items())
    for key, value in list(vars(module).items())
    if isinstance(value, types.ModuleType) and value.__name__.startswith("asyncio")
]
import asyncio
import inspect
import pydantic
from typing_extensions import deprecated

class Card(pydantic.BaseModel):
    energy_kev: float

@deprecated("old")
async def old_coroutine():
    pass

print(json.dumps([loaded_asyncio, stand_ins, Card(energy_kev="320.1").energy_kev,
                  asyncio.iscoroutinefunction(old_coroutine), hasattr(asyncio, "Queue")]))
"""


def test_pydantic_loads_without_asyncio_and_asyncio_is_asyncio_after():
    # typing_extensions' @deprecated on pydantic_core's functions asks asyncio whether each
    # is a coroutine function: stand-ins answer while pydantic loads, and leave no trace
    loaded_asyncio, stand_ins, energy, coroutine, queue = json.loads(
        script_output(PYDANTIC_AFTER_LEAN_START)
    )
    assert not loaded_asyncio
    assert stand_ins == []  # no module's global is an asyncio module (stand-in or not)
    assert energy == 320.1
    assert coroutine and queue


NEEDS_ASYNCIO = {
    # a coroutine function marked deprecated: asyncio's own marker is needed
    "marks_a_coroutine": "from typing_extensions import deprecated\n"
    "@deprecated('old')\nasync def f():\n    pass\n",
    # asyncio used while the module loads
    "uses_asyncio": "import asyncio\nQUEUE = asyncio.Queue\n",
    # asyncio only bound while the module loads, used later
    "holds_asyncio": "import asyncio.coroutines\n"
    "def loop_policy():\n    return asyncio.get_event_loop_policy()\n",
}


@pytest.mark.parametrize("name", sorted(NEEDS_ASYNCIO))
def test_a_module_that_needs_asyncio_while_loading_gets_asyncio_itself(tmp_path, name):
    (tmp_path / f"{name}.py").write_text(NEEDS_ASYNCIO[name])
    probe = (
        "import sys\n"
        "from nusource import lean_start\n"
        f"lean_start.import_without_asyncio({name!r})\n"
        f"m = sys.modules[{name!r}]\n"
        "import asyncio\n"
        "checks = {\n"
        "    'marks_a_coroutine': lambda: asyncio.iscoroutinefunction(m.f),\n"
        "    'uses_asyncio': lambda: m.QUEUE is asyncio.Queue,\n"
        "    'holds_asyncio': lambda: m.asyncio is asyncio and m.loop_policy() is not None,\n"
        "}\n"
        f"print(checks[{name!r}]())\n"
    )
    assert script_output(probe, cwd=tmp_path).strip() == "True"


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


def test_a_tables_key_does_not_depend_on_whether_its_modules_are_imported_yet():
    """A table's key names its builder modules' source whether or not the process has
    imported them (a module not yet imported once counted as no source: an edit of it
    then kept its old tables)."""
    code = """
import sys
from nusource.core import table_cache
name = "nusource.exchange.hepmc3"
before = name in sys.modules
key = table_cache.table_key("t", [1], (name,))
table_cache._module_digest.cache_clear()
__import__(name)
same = key == table_cache.table_key("t", [1], (name,))
print(before, same, table_cache._module_digest(name) != "")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "True"]


def test_a_damaged_or_disabled_cache_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("NUSOURCE_CACHE_DIR", str(tmp_path))
    table_cache.cached_arrays("d", [1], lambda: (np.arange(3.0),))
    (path,) = tmp_path.glob("d-*.npz")
    whole = path.read_bytes()
    flipped = bytearray(whole)
    flipped[len(whole) // 2] ^= 0xFF  # the zip's checksum no longer matches
    npy = io.BytesIO()
    np.save(npy, np.zeros(2))  # an array, not a table of arrays
    for damaged in (b"not a table", whole[: len(whole) // 2], bytes(flipped), npy.getvalue()):
        path.write_bytes(damaged)
        (a,) = table_cache.cached_arrays("d", [1], lambda: (np.arange(3.0),))
        assert np.array_equal(a, np.arange(3.0))
        assert path.read_bytes() == whole  # written again
    monkeypatch.setenv("NUSOURCE_CACHE_DIR", "off")
    assert table_cache.cache_dir() is None
    (b,) = table_cache.cached_arrays("d", [1], lambda: (np.ones(2),))
    assert np.array_equal(b, np.ones(2))


def test_the_program_collects_less_and_freezes_at_the_end_main_leaves_the_collector(
    tmp_path, capsys
):
    import gc

    from nusource.cli import GC_FIRST_THRESHOLD, main

    # the program ends without the interpreter's shutdown: what it leaves is seen from an
    # exit handler, which runs as it would at a normal exit
    probe = (
        "import atexit, gc, sys\n"
        "from nusource.cli import GC_FIRST_THRESHOLD, run\n"
        "default = gc.get_threshold()\n"
        "sys.argv = ['nusource', 'xsec', '--source', 'cr51']\n"
        "atexit.register(lambda: print('gc:', gc.get_threshold()[0],"
        " gc.get_threshold()[1:] == default[1:], gc.get_freeze_count() > 0))\n"
        "sys.exit(run())\n"
    )
    out = script_output(probe, cwd=tmp_path)
    line = [x for x in out.splitlines() if x.startswith("gc:")][-1]
    assert line == f"gc: {GC_FIRST_THRESHOLD} True True"
    before = (gc.get_threshold(), gc.get_freeze_count())
    assert main(["xsec", "--source", "cr51"]) == 0
    assert (gc.get_threshold(), gc.get_freeze_count()) == before
    capsys.readouterr()


EXIT_PROBE = """
import atexit, sys, tempfile, threading, time
from nusource.cli import run
log = open(sys.argv[1], "w")  # a buffered file: flushed by its exit handler
log.write("written")
atexit.register(log.close)
kept = tempfile.TemporaryDirectory()  # removed by its finalizer at exit
print(kept.name, flush=True)
if sys.argv[2] == "thread":  # a thread still running: the interpreter waits for it
    mark = sys.argv[1] + ".t"
    threading.Thread(target=lambda: (time.sleep(0.5), open(mark, "w").close())).start()
sys.argv = ["nusource", *sys.argv[3:]]
print("unflushed", end="")
sys.exit(run())
"""


@pytest.mark.parametrize("thread", [False, True])
def test_the_program_ends_at_once_with_its_code_and_exit_handlers(tmp_path, thread):
    log = tmp_path / "log.txt"

    def program(*args):
        return subprocess.run(
            [sys.executable, "-c", EXIT_PROBE, str(log), "thread" if thread else "-", *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )

    out = tmp_path / "a.h5"
    r = program("simulate", str(LXE), "-n", "100", "-o", str(out))
    assert r.returncode == 0, r.stderr
    kept, printed = r.stdout.split("\n", 1)
    assert printed.startswith("unflushedwrote ")  # standard output flushed
    assert log.read_text() == "written"  # exit handlers ran
    assert not Path(kept).exists()  # and weakref finalizers
    assert (tmp_path / "log.txt.t").exists() == thread  # a running thread was waited for
    from nusource.io import read_events

    wrote = int(printed.removeprefix("unflushedwrote ").split()[0])
    assert len(read_events(out).events) == wrote > 0  # the file is whole
    r = program("simulate", str(tmp_path / "missing.toml"), "-o", str(tmp_path / "b.h5"))
    assert r.returncode == 2 and "missing.toml" in r.stderr


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


def test_a_serial_run_loads_every_components_kernels_before_its_first_chunk(tmp_path):
    # numba loads a kernel at its first call: a run making chunk after chunk loads them
    # all first (its start-up), not at the first chunk of each component
    script = f"""
from nusource.detsim.photons.transport import transport_kernel
from nusource.generator.solar import solar_events
from nusource.production import backends, plan, simulate

made = backends.output_columns
seen = []

def first_chunk_sees(prod, k, *args):
    seen.append((k, len(transport_kernel.signatures), len(solar_events.signatures)))
    return made(prod, k, *args)

backends.output_columns = first_chunk_sees
assert transport_kernel.signatures == [] and solar_events.signatures == []
prod = plan({str(LXE)!r}, {str(tmp_path / "run.h5")!r}, n=400, chunk_size=200, seed=3)
simulate(prod)
print(seen[0])
"""
    k, transport, solar = eval(script_output(script))
    assert k == 0 and transport > 0 and solar > 0
