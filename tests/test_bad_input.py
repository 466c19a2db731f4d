"""Every bad input raises a clear error naming the argument and the value, on every backend."""

from __future__ import annotations

import re

import numpy as np
import pytest

import golden

ONES = np.uint64(2**64 - 1)
W = np.full((2, 3, 2), ONES)  # n_out=2, n_in=3, length 65..128
P = np.array([0.1, 0.5, 0.9])
L = 100

# (id, weights, probs, length, seed, exception, regex the message must match)
SC_CASES = [
    ("probs-nan", W, [0.1, np.nan, 0.2], L, 1, ValueError,
     r"input_probs must be finite, got nan at index 1"),
    ("probs-inf", W, [0.1, np.inf, 0.2], L, 1, ValueError, r"input_probs must be finite, got inf"),
    ("probs-neg-inf", W, [-np.inf, 0.1, 0.2], L, 1, ValueError,
     r"input_probs must be finite, got -inf"),
    ("probs-negative", W, [0.1, -0.25, 0.2], L, 1, ValueError,
     r"input_probs must lie in \[0, 1\], got -0\.25 at index 1"),
    ("probs-above-1", W, [0.1, 0.2, 1.5], L, 1, ValueError,
     r"input_probs must lie in \[0, 1\], got 1\.5 at index 2"),
    ("probs-wrong-size", W, [0.1, 0.2], L, 1, ValueError,
     r"input_probs has 2 entries but weights_packed has n_in=3"),
    ("probs-2d", W, [[0.1, 0.2, 0.3]], L, 1, ValueError,
     r"input_probs must be 1-D, got shape \(1, 3\)"),
    ("probs-scalar", W, 0.5, L, 1, ValueError, r"input_probs must be 1-D, got shape \(\)"),
    ("probs-bool", W, np.array([True, False, True]), L, 1, TypeError,
     r"input_probs must hold real numbers .* got dtype bool"),
    ("probs-complex", W, np.array([0.1, 0.2, 0.3j]), L, 1, TypeError,
     r"input_probs .* got dtype complex128"),
    ("probs-object", W, np.array([0.1, None, 0.3], dtype=object), L, 1, TypeError,
     r"input_probs .* got dtype object"),
    ("probs-str", W, ["a", "b", "c"], L, 1, TypeError, r"input_probs .* got dtype <U1"),
    ("weights-2d", W[0], P, L, 1, ValueError,
     r"weights_packed must be 3-D \(n_out, n_in, n_words\), got 2-D"),
    ("weights-4d", W[None], P, L, 1, ValueError,
     r"weights_packed must be 3-D \(n_out, n_in, n_words\), got 4-D"),
    ("weights-float", W.astype(np.float64), P, L, 1, TypeError,
     r"weights_packed must hold packed 64-bit words \(uint64\), got dtype float64"),
    ("weights-bool", W.astype(bool), P, L, 1, TypeError, r"weights_packed .* got dtype bool"),
    ("weights-object", W.astype(object), P, L, 1, TypeError, r"weights_packed .* got dtype object"),
    ("weights-negative", np.full((2, 3, 2), -5, dtype=np.int64), P, L, 1, ValueError,
     r"weights_packed must not be negative, got -5 at index \(0, 0, 0\)"),
    ("weights-too-few-words", W[:, :, :1], P, L, 1, ValueError,
     r"weights_packed has n_words=1 but length=100 needs ceil\(length/64\)=2"),
    ("weights-too-many-words", W, P, 64, 1, ValueError,
     r"weights_packed has n_words=2 but length=64 needs ceil\(length/64\)=1"),
    ("weights-n_in-mismatch", W[:, :2], P, L, 1, ValueError,
     r"input_probs has 3 entries but weights_packed has n_in=2"),
    ("length-zero", W, P, 0, 1, ValueError, r"length must be a positive int, got 0"),
    ("length-negative", W, P, -64, 1, ValueError, r"length must be a positive int, got -64"),
    ("length-float", W, P, 100.0, 1, TypeError, r"length must be an int, got float 100\.0"),
    ("length-bool", W, P, True, 1, TypeError, r"length must be an int, got bool True"),
    ("length-str", W, P, "100", 1, TypeError, r"length must be an int, got str '100'"),
    ("seed-negative", W, P, L, -1, ValueError, r"seed must be in \[0, 2\*\*64\), got -1"),
    ("seed-2**64", W, P, L, 2**64, ValueError,
     r"seed must be in \[0, 2\*\*64\), got 18446744073709551616"),
    ("seed-float", W, P, L, 1.0, TypeError, r"seed must be an int, got float 1\.0"),
    ("seed-bool", W, P, L, False, TypeError, r"seed must be an int, got bool False"),
    ("seed-none", W, P, L, None, TypeError, r"seed must be an int, got NoneType None"),
]


@pytest.mark.parametrize(
    ("weights", "probs", "length", "seed", "exc", "pattern"),
    [pytest.param(*c[1:], id=c[0]) for c in SC_CASES],
)
def test_sc_counts_rejects(backend, weights, probs, length, seed, exc, pattern) -> None:
    for fn in (backend.sc_counts, backend.sc_forward):
        with pytest.raises(exc, match=pattern) as info:
            fn(weights, probs, length=length, seed=seed)
        with pytest.raises(exc) as floor:
            golden.sc_counts(weights, probs, length=length, seed=seed)
        assert type(info.value) is type(floor.value)
        assert str(info.value) == str(floor.value)


def test_inputs_are_not_modified(backend) -> None:
    w = W.copy()
    p = P.copy()
    backend.sc_counts(w, p, length=L, seed=3)
    assert np.array_equal(w, W) and np.array_equal(p, P)


def test_huge_python_int_words_are_exact_and_out_of_range_rejected() -> None:
    words = [[[2**64 - 1, 2**63]]]
    assert golden.sc_counts(words, [1.0], length=128).tolist() == [65]
    with pytest.raises(ValueError, match=r"weights_packed must hold 64-bit words in "
                                         r"\[0, 2\*\*64\), got 18446744073709551616"):
        golden.sc_counts([[[2**64, 1]]], [1.0], length=128)
    with pytest.raises(TypeError, match=r"got dtype float64"):
        golden.sc_counts([[[1.5, 1.0]]], [1.0], length=128)


ENC_CASES = [
    ("probs-nan", [np.nan], 64, 1, ValueError, "input_probs must be finite"),
    ("length-zero", [0.5], 0, 1, ValueError, "length must be a positive int, got 0"),
    ("seed-big", [0.5], 64, 2**64, ValueError, "seed must be in"),
]


@pytest.mark.parametrize(("probs", "length", "seed", "exc", "msg"),
                         [pytest.param(*c[1:], id=c[0]) for c in ENC_CASES])
def test_encode_inputs_rejects(backend, probs, length, seed, exc, msg) -> None:
    if not hasattr(backend, "encode_inputs"):
        pytest.skip(f"backend {backend.name!r} offers no encode_inputs")
    with pytest.raises(exc, match=re.escape(msg)):
        backend.encode_inputs(probs, length=length, seed=seed)


def test_encode_weights_rejects() -> None:
    with pytest.raises(ValueError, match=r"weight_probs must be 2-D, got shape \(3,\)"):
        golden.encode_weights([0.1, 0.2, 0.3], length=64)
    with pytest.raises(ValueError,
                       match=r"weight_probs must lie in \[0, 1\], got 2\.0 at index \(0, 1\)"):
        golden.encode_weights([[0.1, 2.0]], length=64)


@pytest.mark.parametrize(
    ("call", "exc", "pattern"),
    [
        (lambda: golden.lfsr_step(0x10000), ValueError,
         r"state must be in \[0, 0xFFFF\], got 65536"),
        (lambda: golden.lfsr_step(-1), ValueError, r"state must be in \[0, 0xFFFF\], got -1"),
        (lambda: golden.lfsr_step(1.0), TypeError,
         r"state must be an int or an integer array, got float64"),
        (lambda: golden.lfsr_jump(1, -1), ValueError, r"k must be >= 0, got -1"),
        (lambda: golden.lfsr_jump(1, 2.0), TypeError, r"k must be an int, got float 2\.0"),
        (lambda: golden.lfsr_sequence(1, -2), ValueError, r"n must be >= 0, got -2"),
        (lambda: golden.lfsr_sequence(0x10000, 2), ValueError,
         r"seed must be in \[0, 0xFFFF\], got 65536"),
    ],
)
def test_lfsr_rejects(call, exc, pattern) -> None:
    with pytest.raises(exc, match=pattern):
        call()


@pytest.mark.parametrize("length", [2**40, 2**64 - 1])
def test_encode_inputs_too_long_for_memory_is_memory_error(backend, length) -> None:
    """Every backend raises the floor's MemoryError (JAX used to abort the process)."""
    with pytest.raises(MemoryError):
        backend.encode_inputs([0.5], length=length, seed=1)


def test_nested_int_lists_are_accepted(backend) -> None:
    words = [[[2**64 - 1, 2**63]]]
    assert backend.sc_counts(words, [1.0], length=128).tolist() == [65]
    assert backend.vec_and([[1, 2]], [[3, 6]]).tolist() == [[1, 2]]
    with pytest.raises(ValueError, match=r"a must hold 64-bit words in \[0, 2\*\*64\)"):
        backend.vec_and([2**64], [1])


def test_masked_arrays_are_refused(backend) -> None:
    """The same TypeError on every backend (docs/contract.md section 6): never silently unmasked."""
    w = np.ma.masked_array(W, mask=np.zeros(W.shape, bool))
    p = np.ma.masked_array(P, mask=[False, True, False])
    with pytest.raises(TypeError, match=r"weights_packed must not be a masked array"):
        backend.sc_counts(w, P, length=L, seed=1)
    with pytest.raises(TypeError, match=r"input_probs must not be a masked array"):
        backend.sc_counts(W, p, length=L, seed=1)
    with pytest.raises(TypeError, match=r"input_probs must not be a masked array"):
        backend.encode_inputs(p, length=L, seed=1)
    with pytest.raises(TypeError, match=r"a must not be a masked array"):
        backend.vec_and(np.ma.masked_array(W[0, 0]), W[0, 0])
    with pytest.raises(TypeError, match=r"bits must not be a masked array"):
        backend.pack_bitstream(np.ma.masked_array([1, 0, 1]))
