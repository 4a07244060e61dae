"""Memory the event writers and readers allocate again and again: kept by the C heap."""

import ctypes
import functools
import sys


@functools.cache
def keep_freed_heap() -> bool:
    """Let glibc keep freed heap memory for reuse (once per process; True if done).

    Writers and readers allocate and free a few MB per basket or piece.  glibc
    returns freed memory at the top of the heap to the system (above 128 kB–32
    MB, adjusted on the fly) and takes it back at the next allocation; on
    virtual machines freshly mapped memory is slow to touch (~0.4 GB/s), which
    made ROOT writing ~1.5× slower with chunks of 2¹⁷ events and HDF5 reading
    ~2× slower.  Raising the two thresholds keeps up to 256 MB of freed memory
    in the heap.  Elsewhere (no glibc): nothing.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(mallopt(m_mmap_threshold, 32 << 20) and mallopt(m_trim_threshold, 256 << 20))
