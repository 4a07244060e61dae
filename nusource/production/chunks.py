"""One chunk's events: made by its component from its own Generator, then the detector."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import numpy as np

from ..components.decay import ELECTRON_DIRECTION, NO_NEUTRINO_ONE, NO_NEUTRINO_ZERO
from ..core.randomness import chunk_rng
from ..io.schema import empty_columns, to_array
from .plan import Production
from .stored_bits import store

_BUFFERS: dict = {}
"""Per-process column buffers, reused chunk after chunk (fresh memory is slow to touch)."""


_OUT_BUFFERS: dict = {}
"""Per-process output buffers of a slim run (its fields in their stored types)."""


def _buffers(n: int, detected: bool) -> dict:
    key = (n, detected)
    if key not in _BUFFERS:
        _BUFFERS.clear()
        _BUFFERS[key] = empty_columns(n, detected=detected)
    return _BUFFERS[key]


def _out_buffers(n: int, dtype: np.dtype) -> dict:
    key = (n, dtype)
    if key not in _OUT_BUFFERS:
        _OUT_BUFFERS.clear()
        _OUT_BUFFERS[key] = {name: np.empty(n, dtype[name]) for name in dtype.names}
    return _OUT_BUFFERS[key]


def chunk_columns(prod: Production, j: int, fields=None) -> tuple[dict, int]:
    """Chunk j's events, generated then put through the detector, as (columns, n).

    A pure function of (card, seed, j); the columns are this process's
    reused buffers, valid until the next call.  ``fields``: see :func:`fill_chunk`.
    """
    cols = _buffers(prod.chunk_size, prod.detected)
    return cols, fill_chunk(prod, j, cols, fields)


UNDRAWN_UNLESS_READ = ELECTRON_DIRECTION + ("rec_dx", "rec_dy", "rec_dz")
"""Fields that a caller reading none of them may leave unmade: the isotropic electron
direction of decays and γ rays, and its unsmeared copy (the slim schema stores neither)."""
UNMADE_UNLESS_READ = NO_NEUTRINO_ZERO + NO_NEUTRINO_ONE
"""Fields that events without a neutrino (decays, γ rays) fill with constants (and, for
the source's γ rays, the emission point): each is left unmade when the caller does not
read it (the slim schema reads the cross-section parts and p_ee, not the rest)."""


def fill_chunk(prod: Production, j: int, cols: dict, fields=None) -> int:
    """Chunk j's events into the first rows of column buffers; the number of rows.

    ``fields``: the fields the caller will read (None: all).  Components without
    a neutrino (``isotropic_electrons``) leave out the fields of
    :data:`UNMADE_UNLESS_READ` it does not read; if it reads none of
    :data:`UNDRAWN_UNLESS_READ`, they skip those too (their generator jumps
    past the draws) and the response does not copy them.  Fields left out hold
    stale values; every other field is bit for bit what it is when all are made.
    """
    c, k, first = prod.jobs[j]
    comp = prod.components[c]
    truth_flags = getattr(comp, "sets_flags", False)
    if truth_flags and "flags" in cols:
        cols["flags"][: prod.sizes[j]] = 0  # (the buffers hold the previous chunk's)
    directions = fields is None or any(name in fields for name in UNDRAWN_UNLESS_READ)
    given = cols
    if fields is not None and getattr(comp, "isotropic_electrons", False):
        unread = {name for name in UNMADE_UNLESS_READ if name not in fields}
        if not directions:
            unread.update(UNDRAWN_UNLESS_READ)
        given = {name: col for name, col in cols.items() if name not in unread}
    n = comp.fill(chunk_rng(prod.seed, comp.index, k), given, prod.sizes[j], first)
    response = prod.responses[c]
    if response is not None:
        from ..detsim.response import respond

        view = {name: col[:n] for name, col in cols.items()}
        nest_seed = int(chunk_rng(prod.seed, comp.index, k, "nest").integers(0, 2**31 - 1))
        respond(
            chunk_rng(prod.seed, comp.index, k, "detector"),
            view,
            response,
            nest_seed=nest_seed,
            keep_truth_flags=truth_flags,
            directions=directions,
        )
    return n


WARM_EVENTS = 64
"""Events (decays, photon histories) per component of :func:`load_kernels`."""


def load_kernels(prod: Production, chunks) -> None:
    """Make a few events of each component of these chunks, as their chunks will, and
    drop them: numba loads a compiled kernel from its cache at the kernel's first call
    (10–30 ms a component, the photon transport's the longest).  A process that makes
    chunk after chunk calls this first, so that this is start-up and every component's
    events are made at their steady rate.  The events are the first few of each
    component's chunk 0, made again in scratch buffers: no chunk changes.
    """
    comps = sorted({prod.jobs[j][0] for j in chunks})
    tiny = replace(
        prod,
        jobs=tuple((c, 0, 0) for c in comps),
        sizes=tuple(min(WARM_EVENTS, prod.sizes[prod.jobs.index((c, 0, 0))]) for c in comps),
    )
    cols = empty_columns(16 * WARM_EVENTS, detected=prod.detected)
    fields = None if prod.schema == "full" else prod.dtype.names
    for i in range(len(comps)):
        try:
            fill_chunk(tiny, i, cols, fields)
        except ValueError:  # (e.g. more events than the scratch rows: the chunk will say)
            pass


def fill_output(prod: Production, j: int, out: dict) -> int:
    """Chunk j's events in the run's schema (``prod.dtype``) into the first rows of ``out``.

    The full schema is filled in place; a slim run's events are made in this
    process's full buffers (without the fields it does not store that
    :func:`fill_chunk` may leave unmade) and its fields copied out, rounded to their stored
    types (float32 where :data:`nusource.io.schema.SLIM_FIELDS` says), so
    what is digested is what the file holds.  Returns the number of rows.
    """
    if prod.schema == "full":
        return fill_chunk(prod, j, out)
    cols, n = chunk_columns(prod, j, fields=out.keys())
    for name, col in out.items():
        np.copyto(col[:n], cols[name][:n], casting="same_kind")
    return n


def output_columns(prod: Production, j: int, byte_order: str = "=", digest=None):
    """Chunk j's events in the run's schema as (columns, n): reused buffers, valid until
    the next call (the full schema's are those of :func:`chunk_columns`; a slim run's
    fields stored in their own type are those buffers too, the others rounded copies).

    ``byte_order`` ('=' or '>', a TTree's): the order a slim run's columns come in
    (each is copied to it in the pass that rounds or swaps it); the full schema's
    are native.  ``digest``, a :class:`ChunkDigest`: fed with the columns, from
    that same pass where there is one.
    """
    if prod.schema == "full":
        cols, n = chunk_columns(prod, j)
        if digest is not None:
            digest.update({name: cols[name][:n] for name in prod.dtype.names})
        return cols, n
    dtype = prod.dtype
    cols, n = chunk_columns(prod, j, fields=dtype.names)
    stored = [(name, dtype[name].newbyteorder(byte_order)) for name in dtype.names]
    out = _out_buffers(prod.chunk_size, np.dtype([f for f in stored if f[1] != cols[f[0]].dtype]))
    key = digest.key(dtype.names) if digest is not None else None
    for name in dtype.names:
        made = cols[name][:n]
        dst = out[name][:n] if name in out else None  # (None: stored as made)
        total = store(made, dst)
        if digest is not None:
            digest.add(name, total, (made if dst is None else dst) if name == key else None)
    return {name: out[name] if name in out else cols[name] for name in dtype.names}, n


def chunk_events(prod: Production, j: int) -> np.ndarray:
    """Chunk j's events as a structured array (see :func:`chunk_columns`)."""
    cols, n = chunk_columns(prod, j)
    return to_array(cols, n)


def run_chunk(prod: Production, j: int) -> tuple[int, int]:
    """Make chunk j's file unless a complete one of this run is there: (j, events)."""
    from ..io.formats import byte_order, format_of
    from ..io.readers import count_events, read_metadata
    from ..io.writer import EventWriter

    path = prod.chunk_path(j)
    if path.exists():
        meta = read_metadata(path)
        if meta.get("run_key") != prod.run_key:
            raise ValueError(
                f"chunk file '{path}' belongs to another run (different card, seed, mode, "
                "chunk size or version); remove that directory or run with --overwrite"
            )
        return j, count_events(path)
    digest = ChunkDigest()
    cols, n = output_columns(prod, j, byte_order(format_of(path)), digest)
    meta = {
        "run_key": prod.run_key,
        "chunk": j,
        "chunk_key": prod.chunk_key(j),
        "n_events": n,
        "digest": digest.hexdigest(),
        "seed": prod.seed,
        "run_card_sha256": prod.metadata["provenance"].get("run_card_sha256"),
    }
    with EventWriter(path, meta, compression="none", dtype=prod.dtype, size_hint=n) as w:
        w.append_columns(cols, n)
    return j, n


class Digested(list):
    """A chunk's column pieces with their :class:`ChunkDigest`, made as they were."""

    def __init__(self, pieces, digest):
        super().__init__(pieces)
        self.digest = digest


class ChunkDigest:
    """A chunk's fingerprint, the same whatever pieces it is fed in.

    SHA-256 of its recoil energies, little-endian in their stored type (``te``;
    the reconstructed ``erec``, float32, in a slim file, which has no ``te``)
    and, for every field, the sum (modulo 2⁶⁴) of the values' bit patterns: a
    damaged basket or dataset of any field shows.
    Costs ~0.015 µs per event.
    """

    def __init__(self):
        self._te = hashlib.sha256()
        self._sums = {}
        self.n = 0

    @staticmethod
    def key(names) -> str:
        """The field whose bytes are hashed: ``te``, else (a slim file) ``erec``."""
        return "te" if "te" in names else "erec"

    def update(self, cols: dict) -> None:
        """Add a piece: the next rows of every field."""
        key = self.key(cols)
        for name, col in cols.items():
            self.update_field(name, col, hashed=name == key)

    def update_field(self, name: str, col, *, hashed: bool) -> None:
        """Add the next rows of one field (``hashed``: the recoil-energy field).

        Fields may be fed apart, each in order: a reader then digests each
        block while it is in the cache.
        """
        col = np.asarray(col)
        self.add(name, store(col, None), col if hashed else None)

    def add(self, name: str, bits_sum: int, hashed=None) -> None:
        """Add the next rows of one field given the sum of their bit patterns (mod 2⁶⁴, the
        values in their stored type read as unsigned integers of that width) and, for the
        recoil-energy field, the rows themselves (``hashed``)."""
        self._sums[name] = (self._sums.get(name, 0) + int(bits_sum)) % 2**64
        if hashed is not None:  # (little-endian in the type it is stored in: its buffer, no copy)
            self._te.update(np.ascontiguousarray(hashed, dtype=hashed.dtype.newbyteorder("<")))
            self.n += len(hashed)

    def hexdigest(self) -> str:
        h = self._te.copy()
        h.update(json.dumps(sorted(self._sums.items())).encode())
        return h.hexdigest()
