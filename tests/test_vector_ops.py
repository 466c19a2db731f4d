"""Packed-bitstream ops: round trips, the bit meaning of each op, padding kept at zero."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import golden

bit_rows = st.integers(0, 200).flatmap(
    lambda n: st.lists(st.lists(st.integers(0, 1), min_size=n, max_size=n), min_size=1, max_size=4)
)


@given(bit_rows)
def test_pack_unpack_round_trip_2d(rows: list[list[int]]) -> None:
    bits = np.array(rows, dtype=np.uint8)
    n = bits.shape[1]
    packed = golden.pack_bitstream(bits)
    assert packed.dtype == np.uint64 and packed.shape == (bits.shape[0], golden.n_words(n))
    for r, row in enumerate(rows):  # bit t -> word t // 64, position t % 64
        for t, b in enumerate(row):
            assert (int(packed[r, t // 64]) >> (t % 64)) & 1 == b
    assert np.array_equal(golden.unpack_bitstream(packed, n), bits)
    assert np.array_equal(golden.pack_bitstream(bits[0]), packed[0])
    assert np.array_equal(golden.unpack_bitstream(packed[0], n), bits[0])


def test_unpack_to_original_shape_and_bool_input() -> None:
    bits = np.random.default_rng(1).integers(0, 2, size=(3, 70)).astype(bool)
    packed = golden.pack_bitstream(bits)
    out = golden.unpack_bitstream(packed, 70, original_shape=(3, 70))
    assert out.dtype == np.uint8 and np.array_equal(out, bits)
    with pytest.raises(ValueError, match=r"original_shape \(3, 71\) does not hold 210 bits"):
        golden.unpack_bitstream(packed, 70, original_shape=(3, 71))


@pytest.mark.parametrize(
    ("call", "exc", "pattern"),
    [
        (lambda: golden.pack_bitstream(np.zeros((2, 2, 2), np.uint8)), ValueError,
         r"bits must be 1-D \(N,\) or 2-D \(B, N\), got 3-D"),
        (lambda: golden.pack_bitstream(np.array([0, 2, 1])), ValueError,
         r"bits must be 0 or 1, got 2 at index \(1,\)"),
        (lambda: golden.pack_bitstream(np.array([0.0, 1.0])), TypeError,
         r"bits must be a bool or integer array of 0/1, got dtype float64"),
        (lambda: golden.unpack_bitstream(np.zeros(2, np.uint64), 200), ValueError,
         r"packed has n_words=2 but original_length=200 needs ceil\(original_length/64\)=4"),
        (lambda: golden.unpack_bitstream(np.zeros(2, np.uint64), 100.0), TypeError,
         r"original_length must be an int, got float 100\.0"),
        (lambda: golden.vec_and(np.zeros(2, np.uint64), np.zeros(3, np.uint64)), ValueError,
         r"same shape, got a\(2,\), b\(3,\)"),
        (lambda: golden.vec_and(np.zeros(2, np.uint64), np.zeros(2)), TypeError,
         r"b must hold packed 64-bit words \(uint64\), got dtype float64"),
        (lambda: golden.vec_not(np.zeros(2, np.uint64), length=200), ValueError,
         r"a has n_words=2 but length=200 needs ceil\(length/64\)=4"),
        (lambda: golden.vec_not(np.zeros(2, np.uint64), length=0), ValueError,
         r"length must be a positive int, got 0"),
        (lambda: golden.vec_xnor(np.zeros(2, np.uint64), np.zeros(2, np.uint64), length=2.5),
         TypeError, r"length must be an int, got float 2\.5"),
        (lambda: golden.vec_mux(np.zeros(2, np.uint64), np.zeros(2, np.uint64),
                                np.zeros(1, np.uint64), length=100),
         ValueError, r"sel\(2,\), a\(2,\), b\(1,\)"),
        (lambda: golden.vec_mac(np.zeros((2, 3), np.uint64), np.zeros((3, 1), np.uint64)),
         ValueError, r"packed_weights must be 3-D \(n_out, n_in, n_words\), got 2-D"),
        (lambda: golden.vec_mac(np.zeros((2, 3, 1), np.uint64), np.zeros(3, np.uint64)), ValueError,
         r"packed_inputs must be 2-D \(n_in, n_words\), got 1-D"),
        (lambda: golden.vec_mac(np.zeros((2, 3, 1), np.uint64), np.zeros((4, 1), np.uint64)),
         ValueError, r"does not match packed_inputs"),
        (lambda: golden.vec_popcount(np.array([-1])), ValueError,
         r"packed must not be negative, got -1"),
    ],
)
def test_vector_ops_reject(call, exc, pattern) -> None:
    with pytest.raises(exc, match=pattern):
        call()


def _streams(length: int, probs, seed: int) -> np.ndarray:
    return golden.encode_inputs(probs, length=length, seed=seed)


@given(st.integers(1, 300), st.integers(0, 2**16))
def test_ops_bit_meaning_and_zero_padding(length: int, seed: int) -> None:
    s, a, b = _streams(length, [0.3, 0.6, 0.8], seed)
    ua, ub, us = (golden.unpack_bitstream(v, length) for v in (a, b, s))
    checks = {
        "and": (golden.vec_and(a, b), ua & ub),
        "xnor": (golden.vec_xnor(a, b, length=length), 1 - (ua ^ ub)),
        "not": (golden.vec_not(a, length=length), 1 - ua),
        "mux": (golden.vec_mux(s, a, b, length=length), np.where(us == 1, ua, ub)),
    }
    for name, (packed, bits) in checks.items():
        assert np.array_equal(golden.unpack_bitstream(packed, length), bits), name
        assert golden.vec_popcount(packed) == int(bits.sum()), f"{name}: padding bits set"


def test_not_all_zero_sets_exactly_length_bits() -> None:
    for length in (1, 63, 64, 65, 200):
        zero = np.zeros(golden.n_words(length), np.uint64)
        assert golden.vec_popcount(golden.vec_not(zero, length=length)) == length


def test_vec_mac_equals_sc_counts() -> None:
    rng = np.random.default_rng(3)
    w = rng.integers(0, 2**64 - 1, size=(4, 5, 2), dtype=np.uint64, endpoint=True)
    p = rng.random(5)
    x = golden.encode_inputs(p, length=100, seed=42)
    got = golden.vec_mac(w, x)
    assert got.dtype == np.int64
    assert np.array_equal(got, golden.sc_counts(w, p, length=100, seed=42))
    manual = [sum(bin(int(w[o, i, k]) & int(x[i, k])).count("1")
                  for i in range(5) for k in range(2))
              for o in range(4)]
    assert got.tolist() == manual
    assert golden.vec_popcount(x) == int(golden.unpack_bitstream(x, 100).sum())
