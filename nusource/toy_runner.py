"""Where `nusource coverage` throws its toy blocks: local processes or dask tasks, resumably.

Every block of toys is a pure function of its arguments (the model, the true
value, the seed tree's key of the block), so blocks may run anywhere and in
any order.  With a state directory each finished block is kept there as a
small file named by the hash of its arguments: a study interrupted (Ctrl-C, a
killed batch job) and started again with the same command reads the blocks
it has and throws only the others, with the same result.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

import numpy as np


class BlockRunner:
    """Runs toy blocks for :func:`nusource.analysis.coverage.map_blocks`.

    Parameters
    ----------
    workers : int
        Local processes (when ``dask`` is None).
    dask : str, optional
        A dask.distributed scheduler address, or 'local' for a local cluster.
    state : path, optional
        Directory of finished blocks (made if needed): a study resumes from it.
    """

    def __init__(self, *, workers: int = 1, dask: str | None = None, state=None):
        if workers < 1:
            raise ValueError(f"--workers: {workers} is not allowed; it must be ≥ 1")
        self.workers = workers
        self.dask = dask
        self.state = None if state is None else Path(state)
        if self.state is not None:
            self.state.mkdir(parents=True, exist_ok=True)
        self.reused = 0
        self.made = 0

    def _path(self, fn, args) -> Path | None:
        if self.state is None:
            return None
        key = hashlib.sha256(pickle.dumps((fn.__module__, fn.__name__, args))).hexdigest()[:24]
        return self.state / f"block_{key}.npz"

    def map_blocks(self, fn, args) -> list:
        paths = [self._path(fn, a) for a in args]
        out = [None] * len(args)
        todo = []
        for i, path in enumerate(paths):
            if path is not None and path.exists():
                with np.load(path) as z:
                    out[i] = z["_"] if z.files == ["_"] else {k: z[k] for k in z.files}
                self.reused += 1
            else:
                todo.append(i)
        for i, result in zip(todo, self._run(fn, [args[i] for i in todo]), strict=True):
            out[i] = result
            self.made += 1
            if paths[i] is not None:
                tmp = paths[i].with_name(f".{paths[i].name}.{os.getpid()}.part")
                with open(tmp, "wb") as f:
                    np.savez(f, **(result if isinstance(result, dict) else {"_": result}))
                tmp.replace(paths[i])
        return out

    def _run(self, fn, args):
        if not args:
            return
        if self.dask is not None:
            yield from self._dask(fn, args)
        elif self.workers > 1 and len(args) > 1:
            from concurrent.futures import ProcessPoolExecutor

            # results arrive in order as they are done: each is kept before the next
            with ProcessPoolExecutor(max_workers=self.workers) as ex:
                yield from ex.map(fn, args)
        else:
            for a in args:
                yield fn(a)

    def _dask(self, fn, args):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ValueError(
                "--dask needs dask.distributed: pip install 'nusource[dask]'"
            ) from None
        cluster = (
            # the HTTP server on a free port: a taken 8787 (another cluster) must not matter
            LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0")
            if self.dask == "local"
            else None
        )
        try:
            with Client(cluster if cluster is not None else self.dask) as client:
                futures = client.map(fn, args, pure=False)
                for future in futures:  # in order, each kept as soon as it is there
                    yield future.result()
        finally:
            if cluster is not None:
                cluster.close()
