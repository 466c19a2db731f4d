"""``sc_counts_batch`` / ``sc_forward_batch``: row ``b`` of every backend equals the NumPy floor's
single call on ``input_probs[b]`` with the same seed, and bad input fails like the floor."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import golden
from golden._contract import FORWARD_VECTORS
from tests.strategies import probs_elements, sc_cases

FLOOR = golden.NumpyBackend()
ONES = np.uint64(2**64 - 1)


def _stacked(weights, probs, length, seed) -> np.ndarray:
    """B single calls of the floor, stacked: int64 ``(B, n_out)``."""
    rows = [FLOOR.sc_counts(weights, p, length=length, seed=seed) for p in probs]
    return np.stack(rows).reshape(len(rows), weights.shape[0])


@given(case=sc_cases(max_out=7, max_in=6), n_rows=st.integers(1, 9), data=st.data())
def test_rows_equal_single_calls(backend, case, n_rows, data) -> None:
    weights, first, length, seed = case
    rest = data.draw(st.lists(st.lists(probs_elements, min_size=len(first),
                                       max_size=len(first)),
                              min_size=n_rows - 1, max_size=n_rows - 1), label="other rows")
    probs = np.array([list(first), *rest], dtype=np.float64).reshape(n_rows, len(first))
    want = _stacked(weights, probs, length, seed)
    got = backend.sc_counts_batch(weights, probs, length=length, seed=seed)
    assert isinstance(got, np.ndarray) and got.dtype == np.int64 and got.shape == want.shape
    assert np.array_equal(got, want)
    fwd = backend.sc_forward_batch(weights, probs, length=length, seed=seed)
    assert fwd.dtype == np.float64 and np.array_equal(fwd, want / length)


def test_module_functions_are_the_floor() -> None:
    rng = np.random.default_rng(3)
    w = rng.integers(0, 2**64 - 1, size=(4, 5, 2), dtype=np.uint64, endpoint=True)
    p = rng.random((6, 5))
    want = _stacked(w, p, 100, 2**64 - 1)
    assert np.array_equal(golden.sc_counts_batch(w, p, length=100, seed=2**64 - 1), want)
    assert np.array_equal(golden.sc_forward_batch(w, p, length=100, seed=2**64 - 1), want / 100)
    # the default seed is the single call's default seed
    assert np.array_equal(golden.sc_counts_batch(w, p, length=100), _stacked(w, p, 100, 0xACE1))


def test_contract_vectors(backend) -> None:
    """docs/contract.md section 5, each vector as every row of a batch (and B = 1)."""
    for v in FORWARD_VECTORS:
        w = np.full(v.shape, ONES)
        for n_rows in (1, 5):
            probs = np.tile(np.asarray(v.probs, dtype=np.float64), (n_rows, 1))
            counts = backend.sc_counts_batch(w, probs, length=v.length, seed=v.seed)
            assert counts.tolist() == [list(v.counts)] * n_rows, v
            fwd = backend.sc_forward_batch(w, probs, length=v.length, seed=v.seed)
            assert fwd.tolist() == [list(v.forward)] * n_rows, v


def test_layouts_zero_sizes_and_a_large_layer(backend) -> None:
    rng = np.random.default_rng(8)
    w = rng.integers(0, 2**64 - 1, size=(6, 5, 3), dtype=np.uint64, endpoint=True)
    p = rng.random((7, 5))
    want = _stacked(w, p, 170, 0xFFFE)
    strided = np.zeros((12, 5, 6), dtype=np.uint64)
    strided[::2, :, ::2] = w
    for variant in (np.asfortranarray(w), w.astype(">u8"), strided[::2, :, ::2]):
        got = backend.sc_counts_batch(variant, np.asfortranarray(p), length=170, seed=0xFFFE)
        assert np.array_equal(got, want)
    assert np.array_equal(backend.sc_counts_batch(w, p.astype(np.float32), length=170,
                                                  seed=0xFFFE),
                          _stacked(w, p.astype(np.float32), 170, 0xFFFE))
    assert backend.sc_counts_batch(np.zeros((0, 5, 3), np.uint64), p, length=170).shape == (7, 0)
    empty_in = backend.sc_counts_batch(np.zeros((3, 0, 3), np.uint64), np.zeros((2, 0)),
                                       length=170)
    assert empty_in.dtype == np.int64 and empty_in.tolist() == [[0, 0, 0]] * 2
    # large enough for the threaded paths; B, n_out not multiples of the tiles, a long stream
    length = 64 * 40 + 13
    w = rng.integers(0, 2**64 - 1, size=(37, 33, golden.n_words(length)), dtype=np.uint64,
                     endpoint=True)
    p = rng.random((23, 33))
    p[3] = 0.0
    p[4] = 1.0
    got = backend.sc_counts_batch(w, p, length=length, seed=2**64 - 3)
    assert np.array_equal(got, _stacked(w, p, length, 2**64 - 3))


def test_inputs_are_not_modified(backend) -> None:
    w = np.full((2, 3, 2), ONES)
    p = np.array([[0.1, 0.5, 0.9], [0.2, 0.3, 0.4]])
    w0, p0 = w.copy(), p.copy()
    backend.sc_counts_batch(w, p, length=100, seed=3)
    assert np.array_equal(w, w0) and np.array_equal(p, p0)


W = np.full((2, 3, 2), ONES)  # n_out=2, n_in=3, length 65..128
P = np.array([[0.1, 0.5, 0.9], [0.3, 0.2, 0.1]])
L = 100

# (id, weights, probs, length, seed, exception, regex the message must match)
BAD = [
    ("probs-1d", W, P[0], L, 1, ValueError,
     r"input_probs must be 2-D \(B, n_in\), got shape \(3,\); for one input vector call "
     r"sc_counts / sc_forward"),
    ("probs-scalar", W, 0.5, L, 1, ValueError, r"input_probs must be 2-D, got shape \(\)"),
    ("probs-3d", W, P[None], L, 1, ValueError, r"input_probs must be 2-D, got shape \(1, 2, 3\)"),
    ("probs-no-rows", W, np.zeros((0, 3)), L, 1, ValueError,
     r"input_probs must hold at least one row \(B >= 1\), got shape \(0, 3\)"),
    ("probs-n_in-mismatch", W, P[:, :2], L, 1, ValueError,
     r"input_probs has n_in=2 columns but weights_packed has n_in=3"),
    ("probs-nan", W, [[0.1, 0.2, 0.3], [0.1, np.nan, 0.2]], L, 1, ValueError,
     r"input_probs must be finite, got nan at index \(1, 1\)"),
    ("probs-above-1", W, [[0.1, 0.2, 1.5], [0.1, 0.2, 0.3]], L, 1, ValueError,
     r"input_probs must lie in \[0, 1\], got 1\.5 at index \(0, 2\)"),
    ("probs-negative", W, [[0.1, 0.2, 0.3], [-0.5, 0.2, 0.3]], L, 1, ValueError,
     r"input_probs must lie in \[0, 1\], got -0\.5 at index \(1, 0\)"),
    ("probs-bool", W, P > 0.2, L, 1, TypeError,
     r"input_probs must hold real numbers .* got dtype bool"),
    ("probs-masked", W, np.ma.masked_array(P), L, 1, TypeError,
     r"input_probs must not be a masked array"),
    ("weights-2d", W[0], P, L, 1, ValueError,
     r"weights_packed must be 3-D \(n_out, n_in, n_words\), got 2-D"),
    ("weights-float", W.astype(np.float64), P, L, 1, TypeError,
     r"weights_packed must hold packed 64-bit words \(uint64\), got dtype float64"),
    ("weights-too-few-words", W[:, :, :1], P, L, 1, ValueError,
     r"weights_packed has n_words=1 but length=100 needs ceil\(length/64\)=2"),
    ("length-zero", W, P, 0, 1, ValueError, r"length must be a positive int, got 0"),
    ("length-float", W, P, 100.0, 1, TypeError, r"length must be an int, got float 100\.0"),
    ("length-bool", W, P, True, 1, TypeError, r"length must be an int, got bool True"),
    ("seed-negative", W, P, L, -1, ValueError, r"seed must be in \[0, 2\*\*64\), got -1"),
    ("seed-2**64", W, P, L, 2**64, ValueError,
     r"seed must be in \[0, 2\*\*64\), got 18446744073709551616"),
    ("seed-float", W, P, L, 1.0, TypeError, r"seed must be an int, got float 1\.0"),
    ("seed-none", W, P, L, None, TypeError, r"seed must be an int, got NoneType None"),
]


@pytest.mark.parametrize(
    ("weights", "probs", "length", "seed", "exc", "pattern"),
    [pytest.param(*c[1:], id=c[0]) for c in BAD],
)
def test_bad_input_fails_like_the_floor(backend, weights, probs, length, seed, exc,
                                        pattern) -> None:
    with pytest.raises(exc, match=pattern) as floor:
        golden.sc_counts_batch(weights, probs, length=length, seed=seed)
    for fn in (backend.sc_counts_batch, backend.sc_forward_batch):
        with pytest.raises(exc) as got:
            fn(weights, probs, length=length, seed=seed)
        assert type(got.value) is type(floor.value)
        assert str(got.value) == str(floor.value)


def test_large_batches_run_in_blocks_of_rows(backend, monkeypatch) -> None:
    """A batch past the input budget is cut into row blocks; the rows stay the floor's."""
    from golden import _backend

    rng = np.random.default_rng(12)
    w = rng.integers(0, 2**64 - 1, size=(3, 4, 2), dtype=np.uint64, endpoint=True)
    p = rng.random((11, 4))
    calls = []
    impl = type(backend)._sc_counts_batch_impl
    monkeypatch.setattr(_backend, "_BATCH_WORDS", 4 * 2 * 3)  # 3 rows per block
    monkeypatch.setattr(type(backend), "_sc_counts_batch_impl",
                        lambda self, *a: calls.append(a[1].shape[0]) or impl(self, *a))
    got = backend.sc_counts_batch(w, p, length=100, seed=5)
    assert calls == [3, 3, 3, 2]
    assert np.array_equal(got, _stacked(w, p, 100, 5))
