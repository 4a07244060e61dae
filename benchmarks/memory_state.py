"""Memory in the same state before every timed phase of a benchmark.

Virtual machines that hand free memory back to their host (free page
reporting, e.g. Firecracker's balloon) do so about a second after it is
freed; the next touch then faults it in from the host: writing into the
page cache runs at ~1 GB/s instead of ~6 GB/s (measured on the 2-core
machine the figures come from).  A benchmark's phases then depend on what
ran just before them: a fresh run writes into the memory the previous phase
freed, a resume after its reads meets returned memory.  A cluster node
keeps its memory, so the benchmarks touch and free a few GB before each
timed phase; on such a node this changes nothing.
"""

import numpy as np

WARM_BYTES = 4 << 30
"""Memory touched and freed by :func:`warm_memory` [bytes]."""


def warm_memory(nbytes: int = WARM_BYTES) -> None:
    """Touch ``nbytes`` of fresh memory and free it (the next allocations reuse it)."""
    np.ones(nbytes // 8)
