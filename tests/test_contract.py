"""The contract's published vectors and invariants (docs/contract.md) on the NumPy floor."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import golden
from golden._contract import FORWARD_VECTORS, STREAM_VECTORS, ForwardVector, StreamVector
from tests.naive import naive_step, naive_threshold
from tests.support import check_contract_vectors

ONES = np.uint64(2**64 - 1)


@pytest.mark.parametrize("v", STREAM_VECTORS, ids=lambda v: f"seed={v.seed:#x}")
def test_stream_golden_vectors(v: StreamVector) -> None:
    packed = golden.encode_inputs([v.p], length=v.length, seed=v.seed)
    assert packed.dtype == np.uint64 and packed.shape == (1, 1)
    assert int(packed[0, 0]) == v.word


@pytest.mark.parametrize("v", FORWARD_VECTORS, ids=lambda v: f"shape={v.shape}")
def test_forward_golden_vectors(v: ForwardVector) -> None:
    w = np.full(v.shape, ONES)
    out = golden.sc_forward(w, list(v.probs), length=v.length, seed=v.seed)
    assert out.dtype == np.float64 and out.tolist() == list(v.forward)
    assert golden.sc_counts(w, list(v.probs), length=v.length, seed=v.seed).tolist() == list(
        v.counts)


def test_golden_module_is_a_contract_level() -> None:
    """The catalogue's checker (re-bound per backend in test_backends.py) on the module API."""
    check_contract_vectors(golden)


def test_input_seeds_are_consecutive_like_separate_encodes() -> None:
    # input i of one call == a single input encoded with seed + i
    probs = [0.5, 0.25, 0.75]
    together = golden.encode_inputs(probs, length=64, seed=0xACE1)
    for i, p in enumerate(probs):
        alone = golden.encode_inputs([p], length=64, seed=0xACE1 + i)
        assert np.array_equal(together[i], alone[0])


@pytest.mark.parametrize("x", [1, 2, 3, 100, 32768, 65535, 65536])
def test_full_period_has_x_minus_1_ones(x: int) -> None:
    p = x / 65536
    for seed in (1, 0xACE1, 0xFFFF):
        packed = golden.encode_inputs([p], length=65535, seed=seed)
        assert golden.vec_popcount(packed) == x - 1


def test_p0_all_zeros_and_p1_all_ones() -> None:
    for length in (1, 63, 64, 65, 1000):
        assert golden.vec_popcount(golden.encode_inputs([0.0], length=length, seed=3)) == 0
        ones = golden.encode_inputs([1.0], length=length, seed=3)
        assert golden.vec_popcount(ones) == length
        assert np.array_equal(golden.unpack_bitstream(ones[0], length), np.ones(length, np.uint8))


def test_lfsr_orbit_is_maximal_and_never_zero() -> None:
    orbit = golden.orbit_table()
    assert orbit.shape == (65535,) and orbit.dtype == np.uint16
    assert np.unique(orbit).size == 65535 and orbit.min() == 1
    assert np.array_equal(golden.lfsr_step(orbit), np.roll(orbit, -1))
    index = golden.orbit_index()
    assert index[0] == -1 and np.array_equal(index[orbit], np.arange(65535))
    r = 1
    for _ in range(65535):  # the whole period by the naive step
        r = naive_step(r)
    assert r == 1


def test_lfsr_step_matches_formula_on_every_state() -> None:
    states = np.arange(65536, dtype=np.uint32)
    expect = np.array([naive_step(int(s)) for s in range(0, 65536, 257)])
    assert np.array_equal(golden.lfsr_step(states)[::257], expect)
    assert golden.lfsr_step(0) == 0 and golden.lfsr_step(0xACE1) == naive_step(0xACE1)


@given(st.integers(0, 0xFFFF), st.integers(0, 200_000))
def test_jump_ahead_equals_stepping(state: int, k: int) -> None:
    seq = golden.lfsr_sequence(state, min(k, 70_000) + 1)
    want = int(seq[-1]) if k <= 70_000 else golden.lfsr_jump(int(seq[-1]), k - 70_000)
    assert golden.lfsr_jump(state, k) == want


@pytest.mark.parametrize("k", [0, 1, 2, 15, 16, 17, 1000, 65534, 65535, 65536, 2**70 + 3])
def test_jump_ahead_directed(k: int) -> None:
    r = 0xACE1
    for _ in range(k % 65535):
        r = naive_step(r)
    assert golden.lfsr_jump(0xACE1, k) == r
    # vectorised over states
    states = np.array([1, 0xACE1, 0xFFFF, 0], dtype=np.uint16)
    got = golden.lfsr_jump(states, k)
    assert got.dtype == np.uint16
    assert got.tolist() == [golden.lfsr_jump(int(s), k) for s in states]


def test_lfsr_sequence_starts_at_seed() -> None:
    seq = golden.lfsr_sequence(0xACE1, 5)
    r, want = 0xACE1, []
    for _ in range(5):
        want.append(r)
        r = naive_step(r)
    assert seq.tolist() == want
    assert golden.lfsr_sequence(0, 3).tolist() == [0, 0, 0]


@pytest.mark.parametrize(
    ("p", "x"),
    [(0.0, 0), (1.0, 65536), (1 / 131072, 0), (3 / 131072, 2), (5 / 131072, 2),
     (0.5, 32768), (2**-17 + 2**-40, 1), (1 - 1 / 131072, 65536)],
)
def test_threshold_rounds_half_to_even(p: float, x: int) -> None:
    assert naive_threshold(p) == x
    assert golden.thresholds(np.array([p])).tolist() == [x]


def test_seed_zero_becomes_one_and_wraps() -> None:
    assert golden.input_seeds(3, 0).tolist() == [1, 1, 2]
    assert golden.input_seeds(3, 0xFFFE).tolist() == [0xFFFE, 0xFFFF, 1]
    assert golden.input_seeds(2, 2**64 - 1).tolist() == [0xFFFF, 1]
    assert golden.input_seeds(1, 0x1_2345).tolist() == [0x2345]


def test_padding_bits_are_zero() -> None:
    for length in (1, 63, 65, 127, 100):
        packed = golden.encode_inputs([1.0, 0.7], length=length, seed=9)
        rem = length % 64
        assert packed.shape == (2, golden.n_words(length))
        assert rem and not np.any(packed[:, -1] >> np.uint64(rem))


def test_weight_padding_bits_never_count() -> None:
    length = 70
    probs = [1.0, 1.0]
    w = np.full((1, 2, 2), ONES)
    assert golden.sc_counts(w, probs, length=length).tolist() == [2 * length]


def test_encode_weights_uses_flattened_index() -> None:
    wp = np.array([[0.1, 0.9, 0.5], [0.0, 1.0, 0.33]])
    packed = golden.encode_weights(wp, length=130, seed=0xFFFD)
    flat = golden.encode_inputs(wp.reshape(-1), length=130, seed=0xFFFD)
    assert packed.shape == (2, 3, 3)
    assert np.array_equal(packed.reshape(6, 3), flat)
