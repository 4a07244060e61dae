"""Chunks made by local worker processes straight into shared memory.

Each of ``workers + 1`` slots holds one chunk as contiguous columns (one per
field of the event dtype).  A worker process fills a free slot with
``fill(prod, k, columns)`` and returns the number of rows; the parent uses the
columns in place (nothing is pickled, copied or written to disk on the way)
and frees the slot when it asks for the next chunk.  Chunks come out in order,
whatever the order in which the workers finish.
"""

import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import shared_memory

import numpy as np


def _columns(buf, dtype: np.dtype, capacity: int) -> dict:
    """Column views of one slot: field after field, each ``capacity`` long."""
    out, offset = {}, 0
    for name in dtype.names:
        t = dtype[name]
        out[name] = np.ndarray(capacity, dtype=t, buffer=buf, offset=offset)
        offset += capacity * t.itemsize
    return out


_ATTACHED: dict = {}
"""A worker's open slots: name → (SharedMemory, column views)."""


def _attach(name: str, dtype: np.dtype, capacity: int) -> dict:
    if name not in _ATTACHED:
        _ATTACHED[name] = (shm := _open_untracked(name), _columns(shm.buf, dtype, capacity))
    return _ATTACHED[name][1]


def _open_untracked(name: str) -> shared_memory.SharedMemory:
    """Attach to the parent's segment without registering it for removal at exit
    (the parent owns it; Python < 3.13 has no ``track=False``)."""
    if sys.version_info >= (3, 13):
        return shared_memory.SharedMemory(name=name, track=False)
    from multiprocessing import resource_tracker

    register = resource_tracker.register
    resource_tracker.register = lambda *args, **kwargs: None
    try:
        return shared_memory.SharedMemory(name=name)
    finally:
        resource_tracker.register = register


def _fill_slot(fill: Callable, prod, k: int, name: str, dtype: np.dtype, capacity: int) -> int:
    """In a worker: chunk k into slot ``name``; its number of rows."""
    return fill(prod, k, _attach(name, dtype, capacity))


class ChunkSlots:
    """Shared-memory slots and the worker processes that fill them.

    Use as a context manager; :meth:`chunks` yields ``(k, columns)`` in the
    order of ``ks``.  The columns are valid until the next chunk is asked for.
    """

    def __init__(self, dtype: np.dtype, capacity: int, workers: int):
        self.dtype, self.capacity = np.dtype(dtype), int(capacity)
        size = max(1, self.capacity * self.dtype.itemsize)
        self._shm = []
        try:
            for _ in range(workers + 1):
                self._shm.append(shared_memory.SharedMemory(create=True, size=size))
        except BaseException:
            self.close()
            raise
        self._views = [_columns(s.buf, self.dtype, self.capacity) for s in self._shm]
        self._pool = ProcessPoolExecutor(max_workers=workers)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def chunks(self, fill: Callable, prod, ks: Iterable[int]) -> Iterator[tuple[int, dict]]:
        """``fill(prod, k, columns) -> rows`` for each k, by the workers; yields in order."""
        ks = list(ks)
        free = list(range(len(self._shm)))
        pending = {}
        ahead = iter(ks)

        def feed():
            while free:
                k = next(ahead, None)
                if k is None:
                    return
                slot = free.pop()
                name = self._shm[slot].name
                args = (fill, prod, k, name, self.dtype, self.capacity)
                pending[k] = (self._pool.submit(_fill_slot, *args), slot)

        for k in ks:
            feed()
            future, slot = pending.pop(k)
            rows = future.result()
            yield k, {name: view[:rows] for name, view in self._views[slot].items()}
            free.append(slot)

    def close(self) -> None:
        """Stop the workers (cancelling queued chunks) and remove the slots."""
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._views = []
        for shm in self._shm:
            shm.unlink()  # the name goes now; the memory when its last view does
            try:
                shm.close()
            except BufferError:  # a caller still holds columns of it
                pass
        self._shm = []
