"""Event file formats: names, compressions, metadata text and checks shared by writers and readers.

Layouts (the same columns, one per field of the event schema, in every format):

``.root`` (uproot)
    TTree ``events``: one flat branch per field, named as the field
    (``events->Draw("te", "flags == 0")``).  TObjString ``metadata``: the run
    metadata as JSON text.  TObjStrings ``units`` and ``descriptions``: JSON
    objects field → unit / description.  TTree ``run``, one entry: the numeric
    items of :data:`RUN_SCALARS` present in the metadata.  No dictionaries are
    needed to read any of them.  ``rntuple=True`` writes ``events`` as an
    RNTuple instead (readable by ROOT ≥ 6.34 only).
``.h5`` / ``.hdf5`` (h5py)
    Group ``events``: one chunked 1-d dataset per field with attributes
    ``unit`` and ``description``.  File attributes: ``metadata`` (JSON) and the
    items of :data:`RUN_SCALARS` present in the metadata.
``.npz`` (numpy)
    ``events``: the structured array; ``metadata``, ``units``,
    ``descriptions``: JSON text (0-d unicode arrays, loadable without pickle).
"""

import json
import os
import secrets
from pathlib import Path

import numpy as np

from .schema import DESCRIPTIONS, EVENT_DTYPE, SLIM_TYPES, UNITS

FORMATS = {".root": "root", ".h5": "hdf5", ".hdf5": "hdf5", ".npz": "npz"}
"""File extension → format."""

COMPRESSIONS = {
    "root": ("lz4", "zstd", "zlib", "lzma", "none"),
    "hdf5": ("none", "gzip", "lzf"),
    "npz": ("none", "zip"),
}
"""Compression names per format; the first is the default.  ``NAME:LEVEL`` sets a level."""

RUN_SCALARS = ("seed", "n_events", "expected_events", "gen_norm", "exposure", "exposure_per_cm2")
"""Metadata items also stored as plain numbers (ROOT ``run`` tree, HDF5 file attributes)."""


def format_of(path) -> str:
    """The format of an event file from its extension.

    Parameters
    ----------
    path : str or os.PathLike
        File name.

    Returns
    -------
    str
        ``'root'``, ``'hdf5'`` or ``'npz'``.

    Raises
    ------
    ValueError
        Naming the file and the allowed extensions.
    """
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise ValueError(f"'{path}' has extension '{ext}'; allowed: {', '.join(sorted(FORMATS))}")
    return FORMATS[ext]


def byte_order(fmt: str, rntuple: bool = False) -> str:
    """The byte order a format's fields are written in: '>' in a TTree, else native ('=')."""
    return ">" if fmt == "root" and not rntuple else "="


def check_output(path, *, overwrite: bool = False) -> str:
    """Check an output name before any work: known extension, directory, no file in the way.

    Parameters
    ----------
    path : str or os.PathLike
        The output file.
    overwrite : bool
        Whether an existing file may be replaced.

    Returns
    -------
    str
        The format (see :func:`format_of`).

    Raises
    ------
    ValueError
        Unknown extension.
    FileNotFoundError
        The directory does not exist.
    FileExistsError
        The file exists and ``overwrite`` is false.
    """
    fmt = format_of(path)
    check_output_path(path, overwrite=overwrite)
    return fmt


def check_output_path(path, *, overwrite: bool = False, suffixes=None) -> Path:
    """Check any output file's name before work: its suffix, its directory, nothing in the way."""
    path = Path(path)
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise ValueError(f"output '{path}': the name must end in {' or '.join(suffixes)}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"output '{path}': directory '{parent}' does not exist")
    if path.is_dir():
        raise ValueError(f"output '{path}' is a directory; give a file name")
    if path.exists() and not overwrite:
        raise FileExistsError(f"output '{path}' exists; remove it or give --overwrite")
    return path


def metadata_json(metadata: dict) -> str:
    """Metadata as JSON text (sorted keys); numpy scalars and arrays become plain values.

    Raises
    ------
    TypeError
        Naming the item (e.g. ``metadata['source']['x']``) that is not JSON-serialisable.
    """
    if not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict, not {type(metadata).__name__}")
    return json.dumps(_jsonable(metadata, "metadata"), sort_keys=True)


def _jsonable(obj, where):
    if isinstance(obj, dict):
        return {_key(k, where): _jsonable(v, f"{where}[{k!r}]") for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist(), where)
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, str | bool | int | float):
        return obj
    raise TypeError(f"{where}: a {type(obj).__name__} is not JSON-serialisable")


def _key(k, where):
    if isinstance(k, np.generic):
        k = k.item()
    if not isinstance(k, str | int | float | bool):
        raise TypeError(f"{where}: key {k!r} is not a string")
    return k


def check_event_dtype(dtype) -> np.dtype:
    """Check that a dtype holds only fields of the event dtype, with their types.

    Parameters
    ----------
    dtype : numpy.dtype
        A structured dtype (``TRUTH_DTYPE``, ``EVENT_DTYPE``, ``SLIM_DTYPE`` or a subset
        of their fields; a field is of its EVENT_DTYPE type or of its slim one).

    Returns
    -------
    numpy.dtype
        The packed dtype with the same fields, in the same order, native byte order.

    Raises
    ------
    ValueError
        Naming the unknown field or the field of the wrong type.
    """
    dtype = np.dtype(dtype)
    if dtype.names is None or not dtype.names:
        raise ValueError(f"events must be a structured array of event fields, not {dtype}")
    for name in dtype.names:
        if name not in EVENT_DTYPE.names:
            raise ValueError(f"field '{name}' is not an event field (see nusource.io.schema)")
        want = EVENT_DTYPE[name]
        got = dtype[name].newbyteorder("=")
        if got != want and got != SLIM_TYPES.get(name, want):
            raise ValueError(f"field '{name}' has type {dtype[name]}; the event dtype has {want}")
    return np.dtype([(n, dtype[n].newbyteorder("=")) for n in dtype.names])


def temp_beside(path: Path) -> str:
    """A fresh, unused name for a hidden temporary file beside ``path``.

    The file is not created here: the writer creates it.  (Opening an existing
    file, even an empty one, with truncation makes ext4 write it out when it is
    closed, ~0.3 s per GB.)  The name carries the process id and a random token.
    """
    while True:
        tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.part"
        if not tmp.exists():
            return str(tmp)


def codec(fmt, compression):
    """(name, level) for a format, from 'NAME' or 'NAME:LEVEL' (ValueError naming the choices)."""
    allowed = COMPRESSIONS[fmt]
    text = allowed[0] if compression is None else str(compression).lower()
    name, _, level = text.partition(":")
    if name not in allowed:
        raise ValueError(
            f"compression '{compression}' is not available for {fmt} files; "
            f"allowed: {', '.join(allowed)} (optionally NAME:LEVEL)"
        )
    if level and (not level.isdigit() or name in ("none", "lzf")):
        raise ValueError(f"compression '{compression}': bad level '{level}'")
    return name, int(level) if level else None


def run_scalars(metadata):
    """The numeric items of RUN_SCALARS in the metadata, as numpy scalars."""
    out = {}
    for key in RUN_SCALARS:
        v = metadata.get(key)
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, bool) or not isinstance(v, int | float):
            continue
        if isinstance(v, float):
            out[key] = np.float64(v)
        elif -(2**63) <= v < 2**63:
            out[key] = np.int64(v)
        elif 0 <= v < 2**64:
            out[key] = np.uint64(v)
    return out


def field_text(dtype):
    units = {n: UNITS[n] for n in dtype.names}
    descriptions = {n: DESCRIPTIONS[n] for n in dtype.names}
    return json.dumps(units), json.dumps(descriptions)
