"""Small random-number kernels shared by the stages.

``split_pair`` turns one 53-bit uniform double into two independent uniforms
on [−1, 1): its top 26 bits give the first (spacing 2⁻²⁵), its low 27 bits the
second (spacing 2⁻²⁶).  That is finer than any angle or length the toolkit
resolves (an azimuth to 10⁻⁷ rad, a point on a 1 m disc to 2·10⁻⁶ cm) at half
the generator calls, which dominate the hot loops.
"""

import math

from .jit import jit_inline

_TWO26 = 67108864.0  # 2**26


@jit_inline
def split_pair(rng):
    """Two independent uniforms on [−1, 1) from one draw of ``rng``."""
    r = rng.random() * _TWO26
    k = math.floor(r)
    return k * (2.0 / _TWO26) - 1.0, 2.0 * (r - k) - 1.0
