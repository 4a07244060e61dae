"""Shared test helpers: the shipped cards, synthetic events and metadata, event comparison.

Imported by the test modules (tests do not import one another).
"""

import glob
from pathlib import Path

import numpy as np

from nusource.io.schema import EVENT_DTYPE, TRUTH_DTYPE

CONFIGS = sorted(glob.glob(str(Path(__file__).parent.parent / "configs" / "*.toml")))
"""Every run card shipped in configs/."""
NAMES = {Path(c).name for c in CONFIGS}
BASE = Path(CONFIGS[0]).parent / "lxe_cr51.toml"


def signal_only(name: str, directory) -> Path:
    """A copy of a shipped card without its [photons] table and [[components]] (the signal
    alone: one component, every generated event written), in ``directory``."""
    text = (Path(CONFIGS[0]).parent / name).read_text()
    marks = (text.find("\n[photons]"), text.find("\n[[components]]"), len(text))
    cut = min(i for i in marks if i >= 0)
    path = Path(directory) / f"signal_only_{name}"
    path.write_text(text[:cut] + "\n")
    return path


def sample_events(n, *, seed=0, detected=True):
    """Events with every field filled: large uint64 ids, negative, tiny and huge values."""
    rng = np.random.default_rng(seed)
    ev = np.zeros(n, EVENT_DTYPE if detected else TRUTH_DTYPE)
    for name in ev.dtype.names:
        kind = ev.dtype[name].kind
        if kind == "f":
            ev[name] = rng.normal(0, 1, n) * 10.0 ** rng.integers(-45, 10, n)
        elif kind == "u":
            ev[name] = rng.integers(0, np.iinfo(ev.dtype[name]).max, n, dtype=ev.dtype[name])
        else:
            ev[name] = rng.integers(-5, 5, n)
    ev["event_id"] = np.arange(n, dtype=np.uint64) + np.uint64(2**63 + 12345)
    return ev


def sample_metadata(**extra):
    """Metadata as a run writes it, with numpy scalars and an array in it."""
    meta = {
        "mode": "fixed",
        "seed": np.int64(7),
        "n_events": np.int64(1000),
        "expected_events": np.float64(12.5),
        "gen_norm": 0.0125,
        "exposure_per_cm2": 1.0,
        "chunk_keys": ["7/0/0"],
        "window_mev": np.array([0.1, 0.56]),
        "provenance": {"run_card_sha256": "ab" * 32, "software": {"numpy": np.__version__}},
    }
    meta.update(extra)
    return meta


def assert_same_events(a, b):
    """Same fields, dtypes and values, bit for bit (NaN and -0.0 included)."""
    assert a.dtype.names == b.dtype.names
    for name in a.dtype.names:
        assert a.dtype[name] == b.dtype[name], name
        assert np.array_equal(a[name], b[name], equal_nan=a.dtype[name].kind == "f"), name
        bits = f"u{a.dtype[name].itemsize}"
        assert np.array_equal(a[name].view(bits), b[name].view(bits)), name
