"""Fields written in their stored type and byte order, with their bit sums, in one pass.

References: numpy's own casts (float64 → float32 rounds to nearest, overflow to
inf, NaN kept) and byte swaps, and the digest's definition computed with numpy
and hashlib (SHA-256 of the little-endian recoil energies, then the JSON of the
per-field sums of bit patterns mod 2⁶⁴).
"""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from nusource.production import ChunkDigest, output_columns, plan
from nusource.production.stored_bits import store

CARD = Path(__file__).resolve().parent.parent / "configs" / "lxe_cr51.toml"
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-320, -1e-310, 3.5e38, -1e39, 1e-46, 5e-324]


def _values(n, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n) * 10.0 ** rng.integers(-40, 40, n)
    k = min(n, len(SPECIAL))
    x[:k] = SPECIAL[:k]
    return x


def _ref_sum(a):
    native = a.astype(a.dtype.newbyteorder("="))
    bits = native.view(np.uint64 if a.dtype.itemsize == 8 else np.uint32)
    return int(bits.sum(dtype=np.uint64))


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("n", [0, 1, 7, 4099])
def test_rounding_to_float32_is_numpys_in_either_byte_order(order, n):
    with np.errstate(over="ignore"):
        src = _values(n)
        want = src.astype(order + "f4")
    dst = np.empty(n, order + "f4")
    got = store(src, dst)
    assert dst.tobytes() == want.tobytes()
    assert got == _ref_sum(want)


@pytest.mark.parametrize("kind", ["f8", "f4", "i4", "u4", "u8"])
def test_a_swapped_copy_is_numpys_and_its_sum_the_native_values(kind):
    size = np.dtype(kind).itemsize
    src = np.frombuffer(np.random.default_rng(1).bytes(5000 * size), "<" + kind).copy()
    dst = np.empty(len(src), ">" + kind)
    got = store(src, dst)
    assert dst.tobytes() == src.astype(">" + kind).tobytes()
    assert got == _ref_sum(src) == _ref_sum(dst)


def test_a_column_stored_as_it_is_and_a_strided_one_are_summed_as_numpy_does():
    src = _values(3001)
    assert store(src, None) == _ref_sum(src)
    assert store(src[::3], None) == _ref_sum(src[::3])
    big = src.astype(">f8")
    assert store(big, None) == _ref_sum(src)


def _reference_digest(cols):
    key = "te" if "te" in cols else "erec"
    h = hashlib.sha256(cols[key].astype(cols[key].dtype.newbyteorder("<")).tobytes())
    sums = {name: _ref_sum(col) % 2**64 for name, col in cols.items()}
    h.update(json.dumps(sorted(sums.items())).encode())
    return h.hexdigest()


@pytest.mark.parametrize("schema", ["slim", "full"])
def test_a_chunks_digest_made_while_storing_is_its_definition(tmp_path, schema):
    prod = plan(CARD, tmp_path / "d.root", n=3000, chunk_size=3000, seed=5, schema=schema)
    for j in (0, len(prod.sizes) - 1):  # the signal and the source's γ rays
        seen = {}
        for order in ("=", ">"):
            digest = ChunkDigest()
            cols, n = output_columns(prod, j, order, digest)
            stored = {name: np.array(cols[name][:n]) for name in prod.dtype.names}
            if schema == "slim":
                assert all(c.dtype.byteorder in ("=", "|", order) for c in stored.values())
            seen[order] = (digest.hexdigest(), digest.n, stored)
        (a, na, ca), (b, nb, cb) = seen["="], seen[">"]
        assert a == b == _reference_digest(ca) and na == nb == len(ca["component"])
        for name in ca:
            assert np.array_equal(ca[name], cb[name], equal_nan=True), name
        plain = ChunkDigest()
        plain.update(cb)  # fed from the stored columns, as a reader does
        assert plain.hexdigest() == a
