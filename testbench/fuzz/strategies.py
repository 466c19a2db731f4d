"""Hypothesis strategies of the contract's edge cases: probs, lengths, seeds, shapes, txns."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from golden._contract import WORD_BITS, n_words

from ..model import CoreShape, DenseTxn

__all__ = ["EDGE_OFFSETS", "EDGE_SEEDS", "P_KINDS", "ROW_KINDS", "dense_txns", "lengths",
           "probabilities", "seeds", "sizes_around"]

#: Offsets from a multiple of 64 that are edge cases (0 first: hypothesis shrinks towards it);
#: with one word they make the lengths 64, 63, 65, 1 and 2.
EDGE_OFFSETS = (0, -1, 1, -63, -62)
#: Seeds of the contract's corners: the default, 0 (input 0 uses 1), the 0xFFFF wrap, 2**64 - 1.
EDGE_SEEDS = (0xACE1, 0, 1, 0xFFFF, 0xFFFE, 0xFFFD, 0xFFF9, 0x1_0000, 0x1_FFFF, (1 << 64) - 1,
              (1 << 64) - 2, 0xDEAD_BEEF_0000_0000)


#: The kinds of probability :func:`probabilities` draws, in shrink order.
P_KINDS = ("zero", "one", "tie", "tiny", "near_one", "any")


@st.composite
def probabilities(draw) -> float:
    """p in {0, 1}, rounding ties ``(k + 0.5) / 65536``, tiny p below ``2**-16``, p near 1, any p.

    A kind (:data:`P_KINDS`) and the values of every kind are drawn each time, so that lowering
    the kind alone moves to a simpler kind without disturbing the other draws: a failing p
    shrinks to 0.0 when 0.0 still fails, else to 1.0, else to a tie, and so on.
    """
    kind = draw(st.integers(0, len(P_KINDS) - 1))
    k = draw(st.integers(0, 65535))
    tiny = draw(st.floats(0.0, 2.0**-16, exclude_max=True))
    x = draw(st.floats(0.0, 1.0))
    return (0.0, 1.0, (k + 0.5) / 65536.0, tiny, (65535 - k % 6) / 65536.0, x)[kind]


def lengths(max_length: int = 600) -> st.SearchStrategy[int]:
    """Lengths ``64 * words + offset`` in ``1 .. max_length``: around every multiple of 64, or any.

    ``words`` (1 ..) and ``offset`` (an :data:`EDGE_OFFSETS` entry, or any in -63 .. 63) shrink
    independently towards 1 and 0, so a failing length shrinks to 64 when 64 still fails, to
    fewer words at the same offset, and to a multiple of 64 when the offset does not matter.
    """
    if max_length < 1:
        raise ValueError(f"max_length must be >= 1, got {max_length!r}")
    offsets = st.one_of(st.sampled_from(EDGE_OFFSETS), st.integers(-63, 63))
    return st.tuples(st.integers(1, max(1, max_length // WORD_BITS)), offsets).map(
        lambda wo: min(max_length, max(1, WORD_BITS * wo[0] + wo[1])))


def seeds() -> st.SearchStrategy[int]:
    """Base seeds: the contract's corners, near 0 and the 0xFFFF wrap, and any 64-bit seed.

    Shrinks towards ``EDGE_SEEDS[0]`` (0xACE1, the default seed).
    """
    return st.one_of(
        st.sampled_from(EDGE_SEEDS),
        st.integers(0xFFF0, 0x1_000F),
        st.integers(0, 1 << 64).map(lambda s: s & ((1 << 64) - 1)),
    )


def sizes_around(n: int) -> st.SearchStrategy[int]:
    """Any size in ``1 .. 2n + 1``: below, at and above a core dimension (tiling at 2n + 1).

    A plain integer (not a choice among a few sizes): one less input or output is always one
    shrink step away, so a layer shrinks size by size down to 1.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n!r}")
    return st.integers(1, 2 * n + 1)


#: The kinds of weight row :func:`_weight_row` makes, in shrink order.
ROW_KINDS = ("zero", "bits", "ones", "tail", "random")
#: The draws of one weight row: its kind, bit positions, words (the same whatever the kind).
_ROW_DRAWS = st.tuples(st.integers(0, len(ROW_KINDS) - 1), st.integers(0, (1 << 41) - 1),
                       st.integers(0, (1 << 256) - 1))


def _weight_row(draws: tuple[int, int, int], nw: int) -> np.ndarray:
    """One weight's ``nw`` words (uint64) from its :data:`_ROW_DRAWS`.

    The kinds (:data:`ROW_KINDS`): ``zero``; ``bits``, one or two set bits counted from the
    tail's last bit (bit 0 of ``pos`` says two; small positions, which hypothesis draws most,
    are near the tail, where the length edge cases live); ``ones``, every bit set; ``tail``,
    the last four words as drawn (they shrink bit by bit) and the rest random; ``random``,
    uniformly random words (a generator seeded by ``words``) ANDed ``words % 4`` times
    (density 1/2 to 1/16). Every row makes the same draws whatever ``nw`` and its kind, so that
    a shorter length or a simpler kind keeps the rest of the example as it was while shrinking.
    """
    kind, pos, words = draws
    row = np.zeros(nw, dtype=np.uint64)
    kind = ROW_KINDS[kind]
    if kind == "bits":
        for t in ((pos >> 1) & 0xFFFFF, (pos >> 21) & 0xFFFFF)[: 1 + (pos & 1)]:
            t = nw * WORD_BITS - 1 - t % (nw * WORD_BITS)
            row[t // WORD_BITS] |= np.uint64(1 << (t % WORD_BITS))
    elif kind == "ones":
        row[:] = np.uint64((1 << 64) - 1)
    elif kind in ("tail", "random"):
        rng = np.random.default_rng(words)
        row[:] = rng.integers(0, 1 << 64, size=nw, dtype=np.uint64)
        for _ in range(words % 4):
            row &= rng.integers(0, 1 << 64, size=nw, dtype=np.uint64)
        if kind == "tail":
            m = min(nw, 4)
            tail = [words >> (WORD_BITS * k) & ((1 << WORD_BITS) - 1) for k in range(m)]
            row[nw - m:] = tail[::-1]
    return row


@st.composite
def _column(draw, n_out: int, nw: int) -> tuple[float, list[np.ndarray]]:
    """One input: its probability, then its weight row for each of the ``n_out`` outputs."""
    return draw(probabilities()), [_weight_row(draw(_ROW_DRAWS), nw) for _ in range(n_out)]


@st.composite
def dense_txns(draw, core: CoreShape, max_length: int = 600) -> DenseTxn:
    """A whole layer transaction: shape around the core, edge lengths, seeds and probabilities.

    The shape comes first (``n_out`` and ``n_in``, each any size in ``1 .. 2n + 1``), then the
    length and the seed, then the layer input by input (its probability, then its weight for
    every output). Each input and each weight is its own span of draws, and one less input or
    output is one shrink step (the shrinker lowers the size and deletes one span), so a failure
    shrinks to the fewest inputs and outputs that still fail, keeping the ones that matter,
    then to the shortest such length and the simplest seed and probabilities. Each weight is
    zero, a few set bits, or random words of random density; some layers keep garbage bits past
    ``length``.
    """
    n_out = draw(sizes_around(core.n_out))
    n_in = draw(sizes_around(core.n_in))
    length = draw(lengths(max_length))
    seed = draw(seeds())
    nw = n_words(length)
    columns = [draw(_column(n_out, nw)) for _ in range(n_in)]
    probs = np.array([p for p, _ in columns], dtype=np.float64)
    weights = np.array([rows for _, rows in columns], dtype=np.uint64).transpose(1, 0, 2).copy()
    if length % WORD_BITS and not draw(st.booleans()):  # garbage past length when True
        weights[:, :, -1] &= np.uint64((1 << (length % WORD_BITS)) - 1)
    return DenseTxn(weights, probs, length, seed, "hypothesis")
