"""Fields as a file stores them, and the sums of their bit patterns, in one pass.

A chunk's digest (:class:`.chunks.ChunkDigest`) sums every field's values as
unsigned integers of their stored width (mod 2⁶⁴).  A slim run rounds float64
fields to float32 and a TTree stores big-endian: these kernels write a field
in its stored type and byte order and return that sum from the same pass, so
the chunk's columns are read once on their way to the writer (numpy's copy,
byte swap and sum are three passes over memory, most of a chunk being far
larger than the caches).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from nusource.core.jit import jit

_WIDTH = {types.float32: 32, types.float64: 64}
_UNSIGNED = {32: types.uint32, 64: types.uint64}


@intrinsic
def bits_of(typingctx, x):
    """The bit pattern of a float32 or float64 as uint32 or uint64 (a reinterpretation)."""
    width = _WIDTH.get(x)
    if width is None:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(width))

    return _UNSIGNED[width](x), codegen


@intrinsic
def byteswap(typingctx, b):
    """b with its bytes reversed (uint32 or uint64)."""
    if b not in (types.uint32, types.uint64):
        return None

    def codegen(context, builder, signature, args):
        return builder.bswap(args[0])

    return b(b), codegen


@jit
def bit_sum(bits):
    """Σ bits[i] mod 2⁶⁴ (uint32 or uint64 array)."""
    s = np.uint64(0)
    for i in range(bits.shape[0]):
        s += np.uint64(bits[i])
    return s


@jit
def store_float32(src, dst, swap):
    """dst[i] = the bits of float32(src[i]), byte-swapped if ``swap``; Σ of the (unswapped)
    bits mod 2⁶⁴.  src: float64[n]; dst: uint32[n] (a view of the stored column)."""
    s = np.uint64(0)
    if swap:
        for i in range(src.shape[0]):
            b = bits_of(np.float32(src[i]))
            s += np.uint64(b)
            dst[i] = byteswap(b)
    else:
        for i in range(src.shape[0]):
            b = bits_of(np.float32(src[i]))
            s += np.uint64(b)
            dst[i] = b
    return s


@jit
def store_swapped(src, dst):
    """dst[i] = src[i] byte-swapped; Σ src[i] mod 2⁶⁴.  src, dst: uint32[n] or uint64[n]
    (views of a native column and of its big-endian stored copy)."""
    s = np.uint64(0)
    for i in range(src.shape[0]):
        b = src[i]
        s += np.uint64(b)
        dst[i] = byteswap(b)
    return s


_UNSIGNED_OF_SIZE = {4: np.uint32, 8: np.uint64}


def unsigned_view(a: np.ndarray) -> np.ndarray:
    """a's memory as unsigned integers of its item width (4 or 8 bytes)."""
    if a.dtype.itemsize not in _UNSIGNED_OF_SIZE:
        raise ValueError(f"fields of {a.dtype.itemsize} bytes ({a.dtype}) are not digested")
    return a.view(_UNSIGNED_OF_SIZE[a.dtype.itemsize])


def store(src: np.ndarray, dst: np.ndarray | None) -> int:
    """Write ``src`` into ``dst`` in dst's type and byte order; the sum of the stored values'
    bit patterns (in native order) mod 2⁶⁴.  ``dst`` None: src is stored as it is.

    Handles what the schemas need: the same type in either byte order, and float64
    rounded to float32; anything else by numpy's copy and a sum.
    """
    if dst is None:
        native = src.astype(src.dtype.newbyteorder("="), copy=False)
        return int(bit_sum(unsigned_view(native)))
    swap = not dst.dtype.isnative
    contiguous = src.flags.c_contiguous and dst.flags.c_contiguous and src.dtype.isnative
    if contiguous and src.dtype == np.float64 and dst.dtype.newbyteorder("=") == np.float32:
        return int(store_float32(src, unsigned_view(dst), swap))
    if contiguous and swap and src.dtype == dst.dtype.newbyteorder("="):
        return int(store_swapped(unsigned_view(src), unsigned_view(dst)))
    np.copyto(dst, src, casting="same_kind")
    native = dst.astype(dst.dtype.newbyteorder("="), copy=False)
    return int(bit_sum(unsigned_view(native)))
