"""A command's start without what its work never uses (the command process only).

Called by :func:`nusource.cli.main` before a command loads its stages.  Each
step saves a fixed part of every command's start and changes nothing the
command computes; library users (``import nusource``) keep every library's
default.  With other versions of numba or pydantic, where these internals
differ, a step does nothing.
"""

import contextlib
import functools
import importlib
import os
import sys
import types


def dataclasses_compiled_once() -> None:
    """The methods :mod:`dataclasses` writes for each class, compiled once (~0.03 s).

    For each class, :mod:`dataclasses` writes the source of its ``__init__``,
    ``__repr__``, ``__eq__`` (and ``__setattr__``, ``__hash__`` … of frozen
    classes) and compiles it with :func:`exec`: ~0.05 ms a method, ~550
    methods (~110 classes: the package's, pydantic's, annotated_types') in a
    command's start.  The source is the same in every process, so the
    compiled code is kept in the table cache, one file per bytecode format
    (``dataclass_code-<tag>-<magic number>-O<level>.marshal``: source → code,
    marshalled), and :mod:`dataclasses`' ``exec`` runs the kept code of a
    source it has seen before; a new source is compiled as :func:`exec` would
    (same flags, no ``__future__`` of the caller) and kept when the process
    ends.  The classes are the same; only the compilation is saved.
    """
    import builtins
    import dataclasses
    import marshal

    if "exec" in vars(dataclasses) or not hasattr(dataclasses, "_create_fn"):
        return  # (installed already, or another Python's dataclasses: their way)
    from importlib.util import MAGIC_NUMBER

    from nusource.core.table_cache import cache_dir, write_whole

    d = cache_dir()
    if d is None:
        return
    path = d / (
        f"dataclass_code-{sys.implementation.cache_tag}-{MAGIC_NUMBER.hex()}"
        f"-O{sys.flags.optimize}.marshal"
    )
    try:
        with open(path, "rb") as f:
            kept = marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        kept = {}  # none yet, or damaged: written again
    if not isinstance(kept, dict):
        kept = {}
    compiled: dict = {}

    def exec_(source, globals=None, locals=None, /):
        code = kept.get(source) if type(source) is str else None
        if type(code) is bytes:
            try:
                code = marshal.loads(code)
            except (EOFError, ValueError, TypeError):
                code = None
        if type(code) is not types.CodeType:
            if type(source) is not str:
                return builtins.exec(source, globals, locals)
            code = compile(source, "<string>", "exec", dont_inherit=True)
            compiled[source] = code
        return builtins.exec(code, globals, locals)

    def save() -> None:
        if compiled:
            both = {**kept, **{k: marshal.dumps(c) for k, c in compiled.items()}}
            both = dict(list(both.items())[-DATACLASS_CODE_ENTRIES:])
            write_whole(path, lambda f: marshal.dump(both, f))

    exec_.compiled = compiled
    dataclasses.exec = exec_
    import atexit

    atexit.register(save)


DATACLASS_CODE_ENTRIES = 5000
"""Most methods the dataclass code cache keeps (the newest)."""


def numba() -> None:
    """Load numba without the parts no kernel of the package uses.

    - numba's extension entry points: the one installed beside uproot
      (awkward's) imports awkward whole at the first compiled call, ~0.2 s of
      every command's start.
    - numba's BLAS probe: to decide whether ``np.dot`` in a kernel may call
      BLAS, numba imports ``scipy.linalg`` when its array functions load
      (~0.1 s).  scipy is a dependency of nusource, so the answer is known:
      the probe is answered without the import while those functions load,
      and numba's own check is put back for everything after (its linear
      algebra still imports scipy when a kernel uses it).
    - three optional imports of numba's, blocked while numba loads (~0.04 s):
      cffi (numba's support for calling cffi functions: no kernel here does);
      unless the working directory has a ``.numba_config.yaml`` (the only
      place numba looks for one), yaml; and scipy, which numba imports only
      to check that its version is at least 1.0 (nusource requires 1.11).
      All three are importable again after.
    - numba's LLVM-lock events: numba asks llvmlite to call it back around
      every call into LLVM, to time compilations (``get_metadata()``'s
      ``llvm_lock`` timer); loading the cached kernels makes ~5000 such calls
      (~0.02 s).  The callbacks are removed: compiled code and everything else
      numba records are the same.
    - numba's runtime (NRT: reference counting of arrays) is compiled by LLVM
      in every process, before the first kernel loads (~0.02–0.04 s).  Its
      machine code is kept in the table cache (:mod:`nusource.core.table_cache`)
      and loaded as numba loads a cached kernel's (:func:`_runtime_from_cache`).
    - numba's check that a kernel's cache directory is writable creates and
      deletes a temporary file for every compiled function defined (~0.1 ms
      each, ~100 functions): it is made once per directory.
    - numba parses the LLVM bitcode of every cached kernel as it loads it
      (~1.5 ms each), to know the names the kernel defines and to have the
      module at hand should another kernel be compiled against it, which a
      command never does.  The names are kept in the table cache, keyed on a
      digest of the bitcode, and the bitcode is parsed when a compilation asks
      for the module (:func:`_bitcode_parsed_when_needed`).
    - before it loads a cached kernel, numba imports every module of its CPU
      target and refreshes its typing context (every typing template), which
      only a compilation uses: the load makes numba's runtime ready and the C
      symbols registered, and the rest is left to the first compilation,
      which does it anyway (~0.05 s, :func:`_cached_kernels_loaded_lean`).
    - :mod:`importlib.metadata` (with :mod:`email` and :mod:`socket`, ~0.01 s)
      is imported by numba only to look for the extension entry points that
      are not loaded here: while numba loads, a stand-in takes its place that
      imports it at its first use (:class:`_MetadataOnDemand`).
    """
    unused = {"cffi", "scipy"} | (set() if os.path.isfile(".numba_config.yaml") else {"yaml"})
    unused = {m for m in unused if m not in sys.modules}
    sys.modules.update(dict.fromkeys(unused))  # None: an ImportError, which numba expects
    try:
        with _metadata_on_demand():
            from numba.core import entrypoints

        entrypoints._already_initialized = True
        import numba.core.typing.cffi_utils  # noqa: F401 (decides cffi support at import)
    except (ImportError, AttributeError):  # another numba: its default
        pass
    finally:
        for m in unused:
            if sys.modules.get(m, False) is None:
                del sys.modules[m]
    _without_llvm_lock_events()
    _runtime_from_cache()
    _cache_directories_checked_once()
    _bitcode_parsed_when_needed()
    _cached_kernels_loaded_lean()
    import importlib.util

    if "numba.np.arraymath" in sys.modules or importlib.util.find_spec("scipy") is None:
        return
    try:
        from numba.np import linalg
    except ImportError:
        return
    probe = getattr(linalg, "ensure_blas", None)
    if probe is None:
        return
    linalg.ensure_blas = _blas_is_installed
    try:
        import numba.np.arraymath  # noqa: F401 (its BLAS probe runs at import)
    finally:
        linalg.ensure_blas = probe


def _without_llvm_lock_events() -> None:
    """Remove numba's callbacks around llvmlite's lock (see :func:`numba`)."""
    try:
        import numba.core.base  # noqa: F401 (registers them)
        from llvmlite.binding import ffi
    except ImportError:
        return
    registered = getattr(getattr(getattr(ffi, "lib", None), "_lock", None), "_cblist", ())
    for acquired, released in list(registered):
        if getattr(acquired, "__module__", None) == "numba.core.base":
            ffi.unregister_lock_callback(acquired, released)


def _runtime_from_cache() -> None:
    """numba's runtime functions from the table cache (see :func:`numba`).

    The key is the runtime's LLVM IR (as this numba writes it, with this
    configuration), numba's and llvmlite's versions, the optimisation level
    and the CPU (name and features: numba's own key of cached machine code).
    Any failure compiles the runtime as numba does.
    """
    try:
        from numba.core.runtime import nrtdynmod
    except ImportError:
        return
    compile_here = nrtdynmod.compile_nrt_functions
    if getattr(compile_here, "from_cache", False) or not hasattr(nrtdynmod, "create_nrt_module"):
        return

    def compile_nrt_functions(ctx):
        try:
            return _runtime_library(ctx, nrtdynmod.create_nrt_module)
        except Exception:  # another numba's internals (before anything is compiled): its way
            return compile_here(ctx)

    compile_nrt_functions.from_cache = True
    nrtdynmod.compile_nrt_functions = compile_nrt_functions


def _runtime_library(ctx, create_nrt_module):
    """The runtime's code library: its cached machine code, or compiled and then cached."""
    import hashlib

    import llvmlite
    import numba as nb
    import numpy as np
    from numba.core import config

    from nusource.core.table_cache import load_arrays, store_arrays

    ir_module, library = create_nrt_module(ctx)
    codegen = ctx.codegen()
    inputs = [
        nb.__version__,
        llvmlite.__version__,
        list(codegen.magic_tuple()),
        str(config.OPT),
        hashlib.sha256(str(ir_module).encode()).hexdigest(),
    ]
    found = load_arrays("numba_runtime", inputs)
    if found is not None and len(found) == 2:
        machine_code, bitcode = (a.tobytes() for a in found)
        return codegen.unserialize_library((library.name, "object", (machine_code, bitcode)))
    library.enable_object_caching()  # (numba's way for the machine code of cached kernels)
    library.add_ir_module(ir_module)
    library.finalize()
    try:
        _, _, (machine_code, bitcode) = library.serialize_using_object_code()
        code = (np.frombuffer(machine_code, np.uint8), np.frombuffer(bitcode, np.uint8))
        store_arrays("numba_runtime", inputs, code)
    except Exception:  # not kept: compiled again in the next process
        pass
    return library


def _cache_directories_checked_once() -> None:
    """numba's writable-directory check of its cache, once per directory (see :func:`numba`)."""
    try:
        from numba.core import caching
    except ImportError:
        return
    check = getattr(caching._CacheLocator, "ensure_cache_path", None)
    if check is None or getattr(check, "once", False):
        return
    writable: set = set()

    def ensure_cache_path(self):
        path = self.get_cache_path()
        if path in writable:
            os.makedirs(path, exist_ok=True)  # (made again if it was removed meanwhile)
            return
        check(self)
        writable.add(path)

    ensure_cache_path.once = True
    caching._CacheLocator.ensure_cache_path = ensure_cache_path


def _bitcode_parsed_when_needed() -> None:
    """Cached kernels load without parsing their linking bitcode (see :func:`numba`).

    numba's ``CPUCodeLibrary._unserialize`` of object code parses the library's
    bitcode into ``_shared_module`` and adds the names it defines to the JIT
    engine's ``_defined_symbols``.  Here the names come from the table cache
    (``numba_symbols-<numba>-<llvmlite>.json``: SHA-256 of the bitcode → the
    names, as numba lists them), and ``_shared_module`` is parsed from the same
    bitcode when it is first read (to link the library into a new
    compilation).  A bitcode not yet in the cache is parsed at load, as numba
    does, and its names are kept when the process ends.
    """
    try:
        from numba.core import codegen
    except ImportError:
        return
    library = getattr(codegen, "CPUCodeLibrary", None)
    unserialize = getattr(library, "_unserialize", None)
    engine = getattr(codegen, "JitEngine", None)
    if (
        unserialize is None
        or getattr(unserialize, "lazy_bitcode", False)
        or not hasattr(engine, "_load_defined_symbols")
        or not hasattr(library, "_set_compiled_object")
    ):
        return
    import atexit

    store = _SymbolNames()
    numba_unserialize = unserialize.__func__

    def shared_module(self):
        d = self.__dict__
        if "_unparsed_bitcode" in d:  # (numba's __init__ has set it to None)
            from llvmlite import binding

            d["_parsed_shared_module"] = binding.parse_bitcode(d.pop("_unparsed_bitcode"))
        return d.get("_parsed_shared_module")

    def set_shared_module(self, module):
        self.__dict__.pop("_unparsed_bitcode", None)
        self.__dict__["_parsed_shared_module"] = module

    def _unserialize(cls, codegen_, state):
        name, kind, data = state
        names = store.get(data[1]) if kind == "object" else None
        if names is None:
            self = numba_unserialize(cls, codegen_, state)
            if kind == "object":
                store.add(data[1], self._shared_module)
            return self
        object_code, bitcode = data
        self = codegen_.create_library(name)
        self.enable_object_caching()
        self._set_compiled_object(object_code)
        self.__dict__["_unparsed_bitcode"] = bitcode
        self._finalize_final_module()
        codegen_._engine._defined_symbols.update(names)
        return self

    _unserialize.lazy_bitcode = True
    library._shared_module = property(shared_module, set_shared_module)
    library._unserialize = classmethod(_unserialize)
    atexit.register(store.save)


def _cached_kernels_loaded_lean() -> None:
    """A cached kernel loads with only what its machine code links (see :func:`numba`).

    Before it loads a kernel from its cache, numba refreshes the CPU target:
    it imports the ~40 modules that implement its functions (installing their
    lowering registries; one of them registers C symbols) and refreshes the
    typing context, which installs every typing template (~0.05 s in all).
    Lowering and typing are used only to compile; loading and calling a
    cached kernel needs numba's runtime and the C symbols its machine code
    calls, and a compilation refreshes both contexts itself (numba's
    ``CompilerBase``).  Here numba's load runs as it is, with the typing
    context's refresh a no-op and the target's registries reduced to
    :func:`_what_machine_code_links` while it does.
    """
    try:
        from numba.core import caching, cpu
    except ImportError:
        return
    cache = getattr(caching, "Cache", None)
    load = getattr(cache, "load_overload", None)
    if load is None:
        return
    seen = load
    while seen is not None:  # (installed already, maybe under another's wrapper)
        if getattr(seen, "lean_kernel_load", False):
            return
        seen = getattr(seen, "__wrapped__", None)

    def load_overload(self, sig, target_context):
        typing = getattr(target_context, "typing_context", None)
        if (
            typing is None
            or "refresh" in vars(typing)  # (nested: the outer load's way)
            or type(target_context) is not getattr(cpu, "CPUContext", None)
        ):
            return load(self, sig, target_context)
        typing.refresh = _no_refresh
        target_context.load_additional_registries = functools.partial(
            _what_machine_code_links, target_context
        )
        try:
            return load(self, sig, target_context)
        finally:
            del typing.refresh
            del target_context.load_additional_registries

    load_overload.lean_kernel_load = True
    cache.load_overload = load_overload


def _what_machine_code_links(target_context) -> None:
    """The part of the CPU target's registries that a cached kernel's machine code needs:
    numba's runtime (NRT) and the C symbols numba registers as a module loads (only
    :mod:`numba.cpython.hashing` does, among the target's modules)."""
    import numba.cpython.hashing  # noqa: F401 (registers _Py_HashSecret)
    from numba.core.runtime import rtsys

    rtsys.initialize(target_context)


def _no_refresh() -> None:
    """The typing context's refresh while a cached kernel loads (nothing is typed)."""


class _SymbolNames:
    """The names each cached kernel's bitcode defines, kept in the table cache."""

    MAX_ENTRIES = 2000

    def __init__(self):
        import json

        import llvmlite
        import numba as nb

        from nusource.core.table_cache import cache_dir

        d = cache_dir()
        self.path = (
            None if d is None else d / f"numba_symbols-{nb.__version__}-{llvmlite.__version__}.json"
        )
        self.names, self.added = {}, False
        if self.path is not None:
            try:
                found = json.loads(self.path.read_text())
                if isinstance(found, dict):
                    self.names = found
            except (OSError, ValueError):
                pass  # none yet, or damaged: written again

    @staticmethod
    def key(bitcode: bytes) -> str:
        import hashlib

        return hashlib.sha256(bitcode).hexdigest()

    def get(self, bitcode):
        names = self.names.get(self.key(bitcode))
        return names if isinstance(names, list) and all(isinstance(n, str) for n in names) else None

    def add(self, bitcode, module) -> None:
        """The names numba's ``JitEngine._load_defined_symbols`` takes from the module."""
        self.names[self.key(bitcode)] = sorted(
            gv.name
            for defined in (module.functions, module.global_variables)
            for gv in defined
            if not gv.is_declaration
        )
        self.added = True

    def save(self) -> None:
        import json

        from nusource.core.table_cache import write_whole

        if not (self.added and self.path is not None):
            return
        kept = dict(list(self.names.items())[-self.MAX_ENTRIES :])
        write_whole(self.path, lambda f: f.write(json.dumps(kept).encode()))


def _blas_is_installed() -> None:
    """numba's BLAS probe, answered: scipy (a dependency) provides BLAS."""


class _NeedsAsyncio(BaseException):  # (not an Exception: no module may take it for a failure)
    """A function asked about really is a coroutine function: asyncio's own answer is needed."""


def pydantic() -> None:
    """Load pydantic (the run cards' validation) without asyncio (~0.015 s).

    pydantic_core marks some of its functions with typing_extensions'
    ``@deprecated``, which imports asyncio (and with it ssl, sockets and
    event loops) to ask of each whether it is a coroutine function; none is.
    While pydantic loads, ``asyncio`` and ``asyncio.coroutines`` are stand-ins
    whose ``iscoroutinefunction`` answers "no" for every function that is not
    a coroutine function by :func:`inspect.iscoroutinefunction` and carries no
    asyncio marker.  For any other function, or any other use of asyncio
    while pydantic loads, they give up: the import is made again with asyncio
    itself.  The stand-ins are gone once pydantic is loaded;
    ``import asyncio`` after it is asyncio's.

    :mod:`importlib.metadata`, which pydantic binds to look for its plugins
    (which the program turns off: :func:`nusource.cli.run`), stands in as
    for numba.
    """
    if "pydantic.main" not in sys.modules:
        with _metadata_on_demand():
            import_without_asyncio("pydantic.main")
            try:
                import pydantic.plugin._loader  # noqa: F401 (binds importlib.metadata)
            except ImportError:  # another pydantic: its way
                pass


class _MetadataOnDemand(types.ModuleType):
    """Stand-in of :mod:`importlib.metadata` that imports it at its first use (see
    :func:`numba`): the modules that bound it while it stood in keep a working name."""

    def __getattr__(self, attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        _drop_stand_in(self)
        return getattr(importlib.import_module("importlib.metadata"), attribute)


_METADATA = _MetadataOnDemand(
    "importlib.metadata", "importlib.metadata, imported at its first use (nusource.lean_start)"
)


def _drop_stand_in(stand_in) -> None:
    if sys.modules.get("importlib.metadata") is stand_in:
        del sys.modules["importlib.metadata"]
    if vars(importlib).get("metadata") is stand_in:
        del importlib.metadata


@contextlib.contextmanager
def _metadata_on_demand():
    """:mod:`importlib.metadata` stands in (:class:`_MetadataOnDemand`) while numba or
    pydantic loads, unless it is loaded already; an import after it gets the module."""
    if "importlib.metadata" in sys.modules:
        yield
        return
    sys.modules["importlib.metadata"] = _METADATA
    try:
        yield
    finally:
        _drop_stand_in(_METADATA)


def import_without_asyncio(name: str) -> None:
    """Import module ``name`` with the stand-ins of :func:`pydantic` for asyncio."""
    if name in sys.modules or "asyncio" in sys.modules:
        importlib.import_module(name)
        return
    import inspect
    import types

    def iscoroutinefunction(func) -> bool:
        if inspect.iscoroutinefunction(func) or hasattr(func, "_is_coroutine"):
            raise _NeedsAsyncio
        return False

    def anything_else(attribute):  # a module loading now wants more of asyncio: give up
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        raise _NeedsAsyncio

    package = types.ModuleType("asyncio", f"stand-in while {name} loads (nusource.lean_start)")
    package.__path__ = []
    package.__getattr__ = anything_else
    coroutines = types.ModuleType("asyncio.coroutines")
    coroutines.iscoroutinefunction = iscoroutinefunction
    package.coroutines = coroutines
    stand_ins = {"asyncio": package, "asyncio.coroutines": coroutines}
    before = set(sys.modules)
    sys.modules.update(stand_ins)
    try:
        importlib.import_module(name)
    except _NeedsAsyncio:
        pass  # (the modules whose import failed are gone again): imported below with asyncio
    finally:
        for key, module in stand_ins.items():
            if sys.modules.get(key) is module:
                del sys.modules[key]
    importlib.import_module(name)
    for module in [sys.modules[m] for m in set(sys.modules) - before]:
        for attribute, value in list(vars(module).items()):  # a global bound to a stand-in
            if value is package or value is coroutines:
                setattr(module, attribute, importlib.import_module(value.__name__))
