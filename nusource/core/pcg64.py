"""Uniform draws of a numpy Generator inside compiled kernels, without a call per draw.

numba compiles ``rng.random()`` to an indirect call of the bit generator's C
function (numpy's ``next_double``, through a function pointer).  The call is
cheap, but every floating-point register is caller-saved in the x86-64
calling convention, so a hot loop spills and reloads its live values around
each draw; the photon transport draws ~20 numbers a history.

:func:`uniform` gives exactly what ``rng.random()`` gives and leaves the
Generator in exactly the same state.  In compiled code, when the Generator's
bit generator is numpy's ``PCG64`` (every chunk stream of the toolkit,
:func:`.randomness.chunk_rng`), the PCG64 step is inlined (O'Neill 2014, the
XSL-RR 128/64 generator: state ← state·a + inc mod 2¹²⁸, output
rotr₆₄(hi ⊕ lo, state >> 122); the double is the output's top 53 bits
· 2⁻⁵³, as numpy's).  Any other bit generator takes numba's call, so the
function is right for every Generator.  In Python (``kernel.py_func``) it is
the method.

Which bit generator a Generator has is known only at run time: numba types
every Generator alike.  The compiled draw compares the Generator's
``next_double`` function pointer with numpy PCG64's, which this module reads
at import and hands to compiled code through the linker symbol
:data:`SYMBOL` (so a cached kernel, compiled in another process, reads this
process's address).  The inline step also relies on numpy keeping PCG64's
state and increment as native 128-bit integers behind the pointer its C
functions receive; the import checks that against the state numpy reports
and, where it does not hold, publishes no address: every draw then takes
numba's call.

Normal draws stay numba's (``rng.standard_normal()``): the ziggurat's own
work outweighs the call there (an inlined copy measured no faster).
"""

from __future__ import annotations

import ctypes

import numpy as np
from llvmlite import binding as llvm
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, overload

MULTIPLIER = 0x2360ED051FC65DA44385DF649FCCF645
"""PCG64's 128-bit LCG multiplier (numpy's ``PCG_DEFAULT_MULTIPLIER_128``)."""
SYMBOL = "nusource_pcg64_next_double"
"""Linker symbol of the cell holding numpy PCG64's ``next_double`` address (0: not inlined)."""
_MASK128 = (1 << 128) - 1
_TWO_M53 = 1.0 / 9007199254740992.0  # 2**-53


def _fnptr(cfunc) -> int:
    return int(ctypes.cast(cfunc, ctypes.c_void_p).value or 0)


def state_words(bit_generator) -> tuple[int, int]:
    """(state, inc) of a PCG64 as stored in its C memory, read as native 128-bit integers."""
    words = ctypes.cast(bit_generator.ctypes.state_address, ctypes.POINTER(ctypes.c_void_p))
    raw = ctypes.string_at(words[0], 32)
    return int.from_bytes(raw[:16], "little"), int.from_bytes(raw[16:], "little")


def layout_holds() -> bool:
    """Whether numpy's PCG64 keeps its state as this module's inline step reads it.

    Checked on a PCG64 stepped once by numpy: its memory must hold the reported
    state and increment, and the state must be the previous one times
    :data:`MULTIPLIER` plus the increment.
    """
    bg = np.random.PCG64(20260101)
    before = bg.state["state"]
    bg.random_raw()
    after = bg.state["state"]
    if state_words(bg) != (after["state"], after["inc"]):
        return False
    return (before["state"] * MULTIPLIER + before["inc"]) & _MASK128 == after["state"]


def _publish() -> int:
    """Write PCG64's ``next_double`` address (0: not inlined) into the cell behind
    :data:`SYMBOL`, made once per process and never freed (compiled kernels keep its
    address, also across a reload of this module); returns the address written."""
    cell = llvm.address_of_symbol(SYMBOL)
    if not cell:
        cell = ctypes.CDLL(None).malloc  # (libc's: the cell outlives every Python object)
        cell.restype = ctypes.c_void_p
        cell = cell(8)
        if not cell:
            raise MemoryError("8 bytes for the PCG64 cell")
        llvm.add_symbol(SYMBOL, cell)
    value = _fnptr(np.random.PCG64(0).ctypes.next_double) if layout_holds() else 0
    ctypes.c_uint64.from_address(cell).value = value
    return value


_publish()

_BIT_GENERATOR = types.NumPyRandomBitGeneratorType("bit_generator")


def _bit_generator(context, builder, gen_type, gen):
    g = cgutils.create_struct_proxy(gen_type)(context, builder, value=gen)
    return cgutils.create_struct_proxy(_BIT_GENERATOR)(context, builder, value=g.bit_generator)


def _known_address(builder):
    """This process's numpy PCG64 ``next_double`` address (the cell behind :data:`SYMBOL`)."""
    cell = builder.module.globals.get(SYMBOL)
    if cell is None:
        cell = ir.GlobalVariable(builder.module, ir.IntType(64), SYMBOL)  # (the linker's)
        cell.global_constant = True  # (set at import, before any kernel runs: loads may be hoisted)
    return builder.load(cell)


def _inlined_here(builder, bg):
    known = _known_address(builder)
    return builder.and_(
        builder.icmp_unsigned("==", bg.fnptr_next_double, known),
        builder.icmp_unsigned("!=", known, ir.Constant(ir.IntType(64), 0)),
    )


def _pcg64_step(builder, bg):
    """PCG64's next 64-bit output, stepping the state in numpy's memory."""
    i64 = ir.IntType(64)
    i128 = ir.IntType(128)
    # bg.state: numpy's pcg64_state*, whose first member points at (state, inc)
    head = builder.inttoptr(bg.state, i128.as_pointer().as_pointer())
    p_state = builder.load(head)
    p_inc = builder.gep(p_state, [ir.Constant(ir.IntType(32), 1)])
    s = builder.add(
        builder.mul(builder.load(p_state, align=8), ir.Constant(i128, MULTIPLIER)),
        builder.load(p_inc, align=8),
    )
    builder.store(s, p_state, align=8)
    hi = builder.trunc(builder.lshr(s, ir.Constant(i128, 64)), i64)
    x = builder.xor(hi, builder.trunc(s, i64))
    rot = builder.lshr(hi, ir.Constant(i64, 58))
    left = builder.and_(builder.sub(ir.Constant(i64, 0), rot), ir.Constant(i64, 63))
    return builder.or_(builder.lshr(x, rot), builder.shl(x, left))


@intrinsic
def _is_pcg64(typingctx, gen):
    """Whether :func:`uniform` inlines the step for this Generator (its bit generator is
    numpy's PCG64 and the layout holds)."""

    def codegen(context, builder, signature, args):
        return _inlined_here(builder, _bit_generator(context, builder, signature.args[0], args[0]))

    return types.boolean(gen), codegen


@intrinsic
def _uniform_draw(typingctx, gen):
    """``rng.random()``: the PCG64 step inlined, else numba's call (marked unlikely, so that
    the register allocator keeps its spills on that path)."""

    def codegen(context, builder, signature, args):
        bg = _bit_generator(context, builder, signature.args[0], args[0])
        f64 = ir.DoubleType()
        with builder.if_else(_inlined_here(builder, bg), likely=True) as (fast, slow):
            with fast:
                top = builder.lshr(_pcg64_step(builder, bg), ir.Constant(ir.IntType(64), 11))
                x_fast = builder.fmul(builder.uitofp(top, f64), ir.Constant(f64, _TWO_M53))
                b_fast = builder.block
            with slow:
                fnty = ir.FunctionType(f64, (ir.IntType(64),))
                fn = builder.inttoptr(bg.fnptr_next_double, fnty.as_pointer())
                x_slow = builder.call(fn, (bg.state,))
                b_slow = builder.block
        x = builder.phi(f64)
        x.add_incoming(x_fast, b_fast)
        x.add_incoming(x_slow, b_slow)
        return x

    return types.float64(gen), codegen


def uniform(rng):
    """A uniform double on [0, 1): ``rng.random()`` (inlined in compiled code, module notes)."""
    return rng.random()


@overload(uniform, inline="always")
def _uniform(rng):
    if isinstance(rng, types.NumPyRandomGeneratorType):
        return lambda rng: _uniform_draw(rng)
    return None


__all__ = ["MULTIPLIER", "SYMBOL", "layout_holds", "state_words", "uniform"]
