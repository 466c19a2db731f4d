"""Hypothesis strategies of the contract's edge cases: probabilities, lengths, seeds, shapes, txns."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from golden._contract import WORD_BITS, n_words

from .model import CoreShape, DenseTxn

__all__ = ["EDGE_LENGTHS", "EDGE_SEEDS", "dense_txns", "lengths", "probabilities", "seeds",
           "sizes_around"]

#: Lengths around multiples of 64 (1 first: hypothesis shrinks towards the first entry).
EDGE_LENGTHS = (1, 2, 63, 64, 65, 127, 128, 129, 191, 192, 193, 255, 256, 257)
#: Seeds of the contract's corners: the default, 0 (input 0 uses 1), the 0xFFFF wrap, 2**64 - 1.
EDGE_SEEDS = (0xACE1, 0, 1, 0xFFFF, 0xFFFE, 0xFFFD, 0xFFF9, 0x1_0000, 0x1_FFFF, (1 << 64) - 1,
              (1 << 64) - 2, 0xDEAD_BEEF_0000_0000)


def probabilities() -> st.SearchStrategy[float]:
    """p in {0, 1}, rounding ties ``(k + 0.5) / 65536``, tiny p below ``2**-16``, any p in [0, 1]."""
    return st.one_of(
        st.sampled_from([0.0, 1.0]),
        st.integers(0, 65535).map(lambda k: (k + 0.5) / 65536.0),
        st.floats(0.0, 2.0**-16, exclude_max=True),
        st.integers(65530, 65535).map(lambda k: k / 65536.0),
        st.floats(0.0, 1.0),
    )


def lengths(max_length: int = 600) -> st.SearchStrategy[int]:
    """Lengths around multiples of 64, and any length in ``1 .. max_length``."""
    # Any length as 64 * a + b: a failing length then shrinks towards a multiple of 64 and
    # towards fewer words (b -> 0, a -> 0), not just to a smaller number.
    words_and_rest = st.tuples(st.integers(0, max_length // 64), st.integers(-2, 63)).map(
        lambda ab: min(max_length, max(1, 64 * ab[0] + ab[1])))
    return st.one_of(st.sampled_from([n for n in EDGE_LENGTHS if n <= max_length]),
                     words_and_rest)


def seeds() -> st.SearchStrategy[int]:
    """Base seeds: the contract's corners, near 0 and the 0xFFFF wrap, and any 64-bit seed."""
    return st.one_of(
        st.sampled_from(EDGE_SEEDS),
        st.integers(0xFFF0, 0x1_000F),
        st.integers(0, 1 << 64).map(lambda s: s & ((1 << 64) - 1)),
    )


def sizes_around(n: int) -> st.SearchStrategy[int]:
    """1, then n - 1, n, n + 1 and 2n + 1 (below, at and above a core dimension: tiling)."""
    return st.sampled_from(sorted({1, max(1, n - 1), n, n + 1, 2 * n + 1}))


@st.composite
def _weight_row(draw, nw: int) -> np.ndarray:
    """One weight's ``nw`` words: zero, one or two set bits, or random words (tail first).

    Every row makes the same draws whatever ``nw`` and its kind, so that a shorter length or
    another kind keeps the rest of the example as it was while shrinking.
    """
    kind = draw(st.integers(0, 2))
    bits = draw(st.lists(st.integers(0, 1 << 20), min_size=2, max_size=2))
    words = draw(st.lists(st.integers(0, (1 << 64) - 1), min_size=4, max_size=4))
    seed = draw(st.integers(0, 2**32 - 1))
    ands = draw(st.integers(0, 3))
    row = np.zeros(nw, dtype=np.uint64)
    if kind == 1:
        for t in bits[: 1 + (bits[1] & 1)]:
            t = nw * WORD_BITS - 1 - t % (nw * WORD_BITS)  # counted from the tail's last bit
            row[t // WORD_BITS] |= np.uint64(1 << (t % WORD_BITS))
    elif kind == 2:
        # The last words as drawn (the tail, where length edge cases live; they shrink bit by
        # bit and stay the last words when the length shrinks), the rest random.
        m = min(nw, 4)
        row[nw - m:] = words[4 - m:]
        if nw > 4:
            rng = np.random.default_rng(seed)
            rest = rng.integers(0, 1 << 64, size=nw - 4, dtype=np.uint64)
            for _ in range(ands):
                rest &= rng.integers(0, 1 << 64, size=nw - 4, dtype=np.uint64)
            row[: nw - 4] = rest
    return row


@st.composite
def _weights(draw, n_out: int, n_in: int, length: int) -> np.ndarray:
    """Weights, one independently drawn row per (output, input) so that each shrinks alone."""
    nw = n_words(length)
    rows = draw(st.lists(_weight_row(nw), min_size=n_out * n_in, max_size=n_out * n_in))
    w = np.array(rows, dtype=np.uint64).reshape(n_out, n_in, nw)
    if length % WORD_BITS and not draw(st.booleans()):  # garbage past length when True
        w[:, :, -1] &= np.uint64((1 << (length % WORD_BITS)) - 1)
    return w


@st.composite
def dense_txns(draw, core: CoreShape, max_length: int = 600) -> DenseTxn:
    """A whole layer transaction: shape around the core, edge lengths, seeds and probabilities.

    Drawn input by input (its probability, then its weight for every output), so that dropping
    an input while shrinking keeps the others as they were. Each weight is zero, a few set bits,
    or random words of random density; some layers keep garbage bits past ``length``.
    """
    length = draw(lengths(max_length))
    seed = draw(seeds())
    n_out = draw(sizes_around(core.n_out))
    nw = n_words(length)
    n_in_target = draw(sizes_around(core.n_in))
    columns = draw(st.lists(
        st.tuples(probabilities(), st.lists(_weight_row(nw), min_size=n_out, max_size=n_out)),
        min_size=1, max_size=n_in_target))
    probs = np.array([p for p, _ in columns], dtype=np.float64)
    weights = np.array([rows for _, rows in columns], dtype=np.uint64).transpose(1, 0, 2).copy()
    if length % WORD_BITS and not draw(st.booleans()):  # garbage past length when True
        weights[:, :, -1] &= np.uint64((1 << (length % WORD_BITS)) - 1)
    return DenseTxn(weights, probs, length, seed, "hypothesis")
