"""The NumPy floor against the naive per-bit model (tests/naive.py), under hypothesis."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import golden
from tests.naive import naive_counts, naive_encode
from tests.strategies import lengths, probs_elements, sc_cases, seeds


@given(st.lists(probs_elements, min_size=1, max_size=6), lengths, seeds)
def test_encode_matches_naive(probs: list[float], length: int, seed: int) -> None:
    got = golden.encode_inputs(probs, length=length, seed=seed)
    assert got.dtype == np.uint64 and got.shape == (len(probs), golden.n_words(length))
    assert got.tolist() == naive_encode(probs, length, seed)


@given(sc_cases())
def test_sc_counts_matches_naive(case) -> None:
    weights, probs, length, seed = case
    got = golden.sc_counts(weights, probs, length=length, seed=seed)
    assert got.dtype == np.int64 and got.shape == (weights.shape[0],)
    assert got.tolist() == naive_counts(weights.tolist(), probs.tolist(), length, seed)
    fwd = golden.sc_forward(weights, probs, length=length, seed=seed)
    assert fwd.dtype == np.float64
    assert np.array_equal(fwd, got / length)


def test_long_stream_past_one_period_matches_naive() -> None:
    length = 65535 + 300
    probs = [0.3, 1.0, 0.0]
    got = golden.encode_inputs(probs, length=length, seed=0xFFFE)
    assert got.tolist() == naive_encode(probs, length, 0xFFFE)


def test_layouts_give_the_same_counts() -> None:
    rng = np.random.default_rng(5)
    w = rng.integers(0, 2**64 - 1, size=(5, 7, 3), dtype=np.uint64, endpoint=True)
    p = rng.random(7)
    want = golden.sc_counts(w, p, length=150, seed=11)
    fortran = np.asfortranarray(w)
    big = w.astype(">u8")
    strided = np.zeros((10, 7, 6), dtype=np.uint64)
    strided[::2, :, ::2] = w
    view = strided[::2, :, ::2]
    assert not view.flags.c_contiguous and not fortran.flags.c_contiguous
    for variant in (fortran, big, view, w.astype(np.int64) & np.int64(2**62), w.tolist()):
        expect = want
        if isinstance(variant, np.ndarray) and variant.dtype == np.int64:
            expect = golden.sc_counts(variant.astype(np.uint64), p, length=150, seed=11)
        assert np.array_equal(golden.sc_counts(variant, p, length=150, seed=11), expect)
    assert np.array_equal(golden.sc_counts(w, p.astype(">f8"), length=150, seed=11), want)
    assert np.array_equal(golden.sc_counts(w, p[::-1][::-1], length=150, seed=11), want)


def test_zero_sized_layers() -> None:
    # n_out == 0: an empty result; n_in == 0: every count is 0 (an empty sum).
    empty = golden.sc_counts(np.zeros((0, 3, 2), np.uint64), [0.1, 0.2, 0.3], length=100)
    assert empty.dtype == np.int64 and empty.shape == (0,)
    zeros = golden.sc_counts(np.zeros((4, 0, 2), np.uint64), [], length=100)
    assert zeros.dtype == np.int64 and zeros.tolist() == [0, 0, 0, 0]
    assert golden.sc_forward(np.zeros((4, 0, 2), np.uint64), [], length=100).tolist() == [0.0] * 4


def test_seed_is_taken_modulo_2_16_per_input() -> None:
    w = np.full((2, 3, 2), np.uint64(2**64 - 1))
    p = [0.2, 0.5, 0.9]
    a = golden.sc_counts(w, p, length=100, seed=0x1_0005)
    b = golden.sc_counts(w, p, length=100, seed=5)
    c = golden.sc_counts(w, p, length=100, seed=2**63 + 5)
    assert np.array_equal(a, b) and np.array_equal(a, c)
