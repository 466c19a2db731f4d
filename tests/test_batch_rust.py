"""The Rust engine's batched kernel (rust/src/batch.rs) on every kernel path and thread policy,
and its extension function's own checks."""

from __future__ import annotations

import numpy as np
import pytest

import golden
from tests.support import backend_or_skip

pytestmark = pytest.mark.rust


@pytest.fixture(scope="module")
def native():
    backend_or_skip("rust")
    from golden import _native

    return _native


def test_every_path_and_thread_policy_equals_single_calls(native) -> None:
    from golden.backends.sc_rust import RustBackend

    rng = np.random.default_rng(18)
    length = 64 * 70 + 5  # chunks of words and a tail
    w = rng.integers(0, 2**64 - 1, size=(19, 21, golden.n_words(length)), dtype=np.uint64,
                     endpoint=True)
    p = rng.random((30, 21))
    want = np.stack([golden.sc_counts(w, row, length=length, seed=77) for row in p])
    assert 30 * w.size >= native.PARALLEL_MIN_WORDS  # takes the threaded branch
    for path in native.kernel_paths():
        for threads in (1, 2, 3, 0):
            got = RustBackend(threads=threads, popcount=path).sc_counts_batch(
                w, p, length=length, seed=77)
            assert np.array_equal(got, want), (path, threads)


@pytest.mark.parametrize(
    ("probs", "length", "message"),
    [
        (np.zeros((0, 3)), 100, r"input_probs must hold at least one row \(B >= 1\), got "
                                r"shape \(0, 3\)"),
        (np.zeros((2, 2)), 100, r"input_probs has n_in=2 columns but weights_packed has n_in=3"),
        (np.full((2, 3), 1.5), 100, r"input_probs must be finite and lie in \[0, 1\], got 1\.5"),
        (np.zeros((2, 3)), 300, r"weights_packed has n_words=2 but length=300 needs "),
        (np.zeros((2, 6))[:, ::2], 100, r"probs must be C-contiguous"),
    ],
)
def test_extension_checks_its_arguments(native, probs, length, message) -> None:
    with pytest.raises(ValueError, match=message):
        native.sc_counts_batch(np.zeros((2, 3, 2), np.uint64), probs, length, 1)
