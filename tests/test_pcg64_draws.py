"""The inlined PCG64 draw (nusource.core.pcg64): numpy's numbers, state and fallbacks."""

import subprocess
import sys
import textwrap

import numba
import numpy as np
import pytest

from nusource.core.pcg64 import MULTIPLIER, _is_pcg64, layout_holds, state_words, uniform


@numba.njit
def _draws(rng, out):
    for i in range(out.size):
        out[i] = uniform(rng)


@numba.njit
def _inlined(rng):
    return _is_pcg64(rng)


def _numpy_draws(rng, n):
    return np.array([rng.random() for _ in range(n)])


def _generators(make, seed):
    return np.random.Generator(make(seed)), np.random.Generator(make(seed))


def test_numpy_keeps_pcg64_as_the_inline_step_reads_it():
    assert layout_holds()
    bg = np.random.PCG64(5)
    s = bg.state["state"]
    assert state_words(bg) == (s["state"], s["inc"])
    bg.random_raw()
    assert state_words(bg)[0] == (s["state"] * MULTIPLIER + s["inc"]) % 2**128


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**63 + 7])
def test_compiled_draws_are_numpys_bit_for_bit_and_leave_its_state(seed):
    a, b = _generators(np.random.PCG64, seed)
    assert _inlined(a)  # (the inline step, not numba's call)
    got = np.empty(20_000)
    _draws(a, got)
    assert np.array_equal(got, b.random(20_000))
    assert a.bit_generator.state == b.bit_generator.state
    assert a.random() == b.random()  # (numpy's own draws go on from the same state)


def test_a_buffered_half_draw_and_an_advance_are_kept():
    a, b = _generators(np.random.PCG64, 9)
    a.integers(0, 2**32, dtype=np.uint32)  # leaves a 32-bit half in the state
    b.integers(0, 2**32, dtype=np.uint32)
    a.bit_generator.advance(1000)
    b.bit_generator.advance(1000)
    got = np.empty(100)
    _draws(a, got)
    assert np.array_equal(got, _numpy_draws(b, 100))
    assert a.bit_generator.state == b.bit_generator.state
    assert a.integers(0, 2**32, dtype=np.uint32) == b.integers(0, 2**32, dtype=np.uint32)


@pytest.mark.parametrize(
    "make", [np.random.PCG64DXSM, np.random.MT19937, np.random.Philox, np.random.SFC64]
)
def test_other_bit_generators_take_numbas_call(make):
    a, b = _generators(make, 3)
    assert not _inlined(a)
    got = np.empty(5_000)
    _draws(a, got)
    assert np.array_equal(got, b.random(5_000))
    assert str(a.bit_generator.state) == str(b.bit_generator.state)


def test_in_python_it_is_the_method():
    a, b = _generators(np.random.PCG64, 4)
    assert [uniform(a) for _ in range(10)] == [b.random() for _ in range(10)]


def test_a_cached_kernel_finds_this_processs_pcg64(tmp_path):
    """The compiled code reads PCG64's address through a linker symbol: a kernel loaded from
    numba's cache in a new process must still recognise PCG64 and draw numpy's numbers."""
    (tmp_path / "cached_draws.py").write_text(
        textwrap.dedent(
            """
            import numba, numpy as np
            from nusource.core.pcg64 import _is_pcg64, uniform

            @numba.njit(cache=True)
            def draws(rng, out):
                for i in range(out.size):
                    out[i] = uniform(rng)
                return _is_pcg64(rng)

            a, b = np.random.default_rng(77), np.random.default_rng(77)
            out = np.empty(1000)
            assert draws(a, out), "PCG64 not recognised"
            assert np.array_equal(out, b.random(1000)), "not numpy's numbers"
            assert a.bit_generator.state == b.bit_generator.state
            print(len(draws.stats.cache_hits))
            """
        )
    )
    runs = [
        subprocess.run(
            [sys.executable, "cached_draws.py"], cwd=tmp_path, capture_output=True, text=True
        )
        for _ in range(2)
    ]
    for r in runs:
        assert r.returncode == 0, r.stderr
    assert [r.stdout.strip() for r in runs] == ["0", "1"]  # compiled, then from the cache
