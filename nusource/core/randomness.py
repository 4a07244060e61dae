"""One master seed → a tree of independent random streams.

Every (component, chunk, stream) gets its own ``numpy.random.Generator`` from
``SeedSequence(master_seed, spawn_key=(component, chunk, stream))``, so the
events of a chunk depend only on the run card, the seed and the chunk's key:
never on the number of workers or on which chunks run first.  The global
``np.random`` state is never used.
"""

import numpy as np

STREAMS = {
    "generator": 0,
    "detector": 1,
    "nest": 2,
    "count": 3,
    "geometry": 4,
    "fiducial": 5,
    "pilot": 6,
}
"""Named streams of one (component, chunk)."""

COUNT_CHUNK = 2**32 - 1
"""Chunk key of the per-component stream that draws a Poisson event count."""


def chunk_rng(seed: int, component: int, chunk: int, stream: str = "generator"):
    """The Generator of one (component, chunk, stream)."""
    if stream not in STREAMS:
        raise ValueError(f"stream: '{stream}' is not one of {', '.join(STREAMS)}")
    if not (isinstance(seed, int | np.integer) and seed >= 0):
        raise ValueError(f"seed: {seed!r} is not allowed; it must be an integer ≥ 0")
    ss = np.random.SeedSequence(int(seed), spawn_key=(int(component), int(chunk), STREAMS[stream]))
    return np.random.Generator(np.random.PCG64(ss))


def chunk_key(seed: int, component: int, chunk: int) -> str:
    """Printable key of a chunk's stream (recorded in the files)."""
    return f"{seed}/{component}/{chunk}"
