"""Event file writers.  The format follows the file's extension.

Every write is atomic: the data go to a temporary name beside the target and
are renamed into place only when complete, so an interrupted run leaves
complete files or none.
"""

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

FORMATS = {".npz": "npz", ".h5": "hdf5", ".hdf5": "hdf5"}


def format_of(path) -> str:
    """'npz' or 'hdf5' from the file name (ValueError naming the allowed extensions)."""
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise ValueError(
            f"output: '{path}' has extension '{ext}'; allowed: {', '.join(sorted(FORMATS))}"
        )
    return FORMATS[ext]


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename it to ``path`` on success."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent or ".")
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_events(path, events: np.ndarray, metadata: dict) -> None:
    """Write an event array and its metadata (JSON-serialisable dict) atomically."""
    fmt = format_of(path)
    text = json.dumps(metadata, sort_keys=True, default=_json_default)
    with atomic_path(path) as tmp:
        if fmt == "npz":
            with open(tmp, "wb") as f:
                np.savez(f, events=events, metadata=np.array(text))
        else:
            _write_hdf5(tmp, events, text, metadata)


def _write_hdf5(tmp, events, text, metadata):
    import h5py
    from nusource.generator.events import DESCRIPTIONS, UNITS

    with h5py.File(tmp, "w") as f:
        g = f.create_group("events")
        n = len(events)
        for name in events.dtype.names:
            d = g.create_dataset(
                name, data=events[name], chunks=(min(max(n, 1), 1 << 16),) if n else None
            )
            d.attrs["unit"] = UNITS.get(name, "")
            d.attrs["description"] = DESCRIPTIONS.get(name, "")
        f.attrs["metadata"] = text
        for key in ("mode", "seed", "n_events", "expected_events", "gen_norm"):
            if key in metadata and metadata[key] is not None:
                f.attrs[key] = metadata[key]


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
