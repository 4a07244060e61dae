"""The one numba policy every kernel of the package uses.

- ``cache=True``: compiled machine code is stored beside the source, so a
  second run (and every worker process) starts without recompiling.
- ``nogil=True``: kernels release the GIL, so threads can run them in
  parallel on separate chunks (each chunk with its own Generator).
- ``fastmath`` is *off*: the sampler's exactness arguments rely on IEEE
  comparisons (rejection bounds), and reproducibility across machines
  matters more than the last few percent of speed.
- ``error_model="numpy"``: a division by zero gives inf/nan as in numpy
  instead of raising inside a hot loop.

Every kernel stays valid Python: ``kernel.py_func`` runs the same code
uncompiled, and the tests compare the two.
"""

import numba

jit = numba.njit(cache=True, nogil=True, error_model="numpy")

jit_inline = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
"""The same policy for small per-event helpers called from hot loops: numba
inlines them at its IR level, which LLVM cannot always do across calls that
return tuples."""

__all__ = ["jit", "jit_inline"]
