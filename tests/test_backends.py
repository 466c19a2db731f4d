"""Every golden backend is bit-identical to the NumPy floor (one suite, re-bound per backend)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import golden
from tests.strategies import lengths, probs_elements, sc_cases, seeds
from tests.support import check_contract_vectors

FLOOR = golden.NumpyBackend()


def _has_ops(backend) -> None:
    extra = [op for op in golden.Backend.OPS if op not in ("sc_counts", "sc_forward")]
    offered = [op for op in extra if callable(getattr(backend, op, None))]
    if not offered:
        pytest.skip(f"backend {backend.name!r} offers only sc_counts / sc_forward")
    assert offered == extra, f"{backend.name} offers some ops but not all: {offered}"


@given(case=sc_cases())
def test_sc_counts_bit_identical(backend, case) -> None:
    weights, probs, length, seed = case
    want = FLOOR.sc_counts(weights, probs, length=length, seed=seed)
    got = backend.sc_counts(weights, probs, length=length, seed=seed)
    assert isinstance(got, np.ndarray) and got.dtype == np.int64 and got.shape == want.shape
    assert np.array_equal(got, want)
    fwd = backend.sc_forward(weights, probs, length=length, seed=seed)
    assert fwd.dtype == np.float64 and np.array_equal(fwd, want / length)


def test_contract_vectors(backend) -> None:
    check_contract_vectors(backend)


def test_layouts_and_zero_sizes(backend) -> None:
    rng = np.random.default_rng(9)
    w = rng.integers(0, 2**64 - 1, size=(6, 5, 3), dtype=np.uint64, endpoint=True)
    p = rng.random(5)
    want = FLOOR.sc_counts(w, p, length=170, seed=0xFFFE)
    strided = np.zeros((12, 5, 6), dtype=np.uint64)
    strided[::2, :, ::2] = w
    for variant in (np.asfortranarray(w), w.astype(">u8"), strided[::2, :, ::2], w[::-1][::-1]):
        got = backend.sc_counts(variant, p, length=170, seed=0xFFFE)
        assert np.array_equal(got, want)
    assert backend.sc_counts(np.zeros((0, 5, 3), np.uint64), p, length=170).shape == (0,)
    assert backend.sc_counts(np.zeros((3, 0, 3), np.uint64), [], length=170).tolist() == [0, 0, 0]


def test_long_streams(backend) -> None:
    rng = np.random.default_rng(4)
    for length in (65535, 65536 + 77):
        w = rng.integers(0, 2**64 - 1, size=(3, 4, golden.n_words(length)), dtype=np.uint64,
                         endpoint=True)
        p = np.array([0.0, 1.0, 3 / 131072, 0.61])
        want = FLOOR.sc_counts(w, p, length=length, seed=0xFFFD)
        assert np.array_equal(backend.sc_counts(w, p, length=length, seed=0xFFFD), want)


ONES = 2**64 - 1


@given(
    probs=st.lists(probs_elements, min_size=0, max_size=6),
    length=lengths,
    seed=seeds,
    rows=st.integers(1, 3),
    data=st.data(),
)
def test_every_op_bit_identical(backend, probs, length, seed, rows, data) -> None:
    """Each op of Backend.OPS equals the floor, on streams of lengths not a multiple of 64."""
    _has_ops(backend)
    want = FLOOR.encode_inputs(probs, length=length, seed=seed)
    got = backend.encode_inputs(probs, length=length, seed=seed)
    assert got.dtype == np.uint64 and np.array_equal(got, want)
    nw = golden.n_words(length)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32), label="rng seed"))
    fill = data.draw(st.sampled_from(["random", "zeros", "ones"]), label="fill of a")
    s, a, b = rng.integers(0, ONES, size=(3, rows, nw), dtype=np.uint64, endpoint=True)
    if fill != "random":
        a[:] = 0 if fill == "zeros" else ONES
    bits = rng.integers(0, 2, size=(rows, length), dtype=np.uint8)
    for op, args, kwargs in [
        ("vec_and", (a, b), {}),
        ("vec_xnor", (a, b), {"length": length}),
        ("vec_not", (a,), {"length": length}),
        ("vec_mux", (s, a, b), {"length": length}),
        ("vec_mac", (np.stack([a, b]), s), {}),
        ("pack_bitstream", (bits,), {}),
        ("pack_bitstream", (bits[0].astype(bool),), {}),
        ("unpack_bitstream", (a, length), {}),
        ("unpack_bitstream", (a[0], length, (1, length)), {}),
    ]:
        want = getattr(FLOOR, op)(*args, **kwargs)
        got = getattr(backend, op)(*args, **kwargs)
        assert isinstance(got, np.ndarray), op
        assert got.dtype == want.dtype and got.shape == want.shape, op
        assert np.array_equal(got, want), op
    got = backend.vec_popcount(a)
    assert isinstance(got, int) and got == FLOOR.vec_popcount(a)


@pytest.mark.parametrize(
    ("op", "args", "kwargs"),
    [
        ("vec_and", (np.zeros(2, np.uint64), np.zeros(3, np.uint64)), {}),
        ("vec_not", (np.zeros(2, np.uint64),), {"length": 200}),
        ("vec_xnor", (np.zeros(2, np.uint64), np.zeros(2)), {"length": 100}),
        ("vec_mux", (np.zeros(1, np.uint64),) * 3, {"length": 0}),
        ("vec_popcount", (np.array([-3]),), {}),
        ("vec_mac", (np.zeros((2, 3), np.uint64), np.zeros((3, 1), np.uint64)), {}),
        ("pack_bitstream", (np.array([0, 3]),), {}),
        ("unpack_bitstream", (np.zeros(2, np.uint64), 300), {}),
        ("encode_inputs", ([0.5, np.nan],), {"length": 64}),
    ],
)
def test_ops_reject_like_the_floor(backend, op, args, kwargs) -> None:
    _has_ops(backend)
    with pytest.raises((TypeError, ValueError)) as floor:
        getattr(FLOOR, op)(*args, **kwargs)
    with pytest.raises(type(floor.value)) as got:
        getattr(backend, op)(*args, **kwargs)
    assert str(got.value) == str(floor.value)
