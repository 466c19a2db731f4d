"""Hypothesis strategies for the contract's edge cases, shared by the golden test suites."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from golden._contract import EDGE_PROBS

probs_elements = st.one_of(
    st.sampled_from(EDGE_PROBS),
    st.floats(0.0, 1.0, allow_nan=False, allow_infinity=False),
    st.integers(0, 65536).map(lambda k: k / 65536),
    st.integers(0, 131072).map(lambda k: k / 131072),
)

lengths = st.one_of(
    st.integers(1, 300),
    st.sampled_from([63, 64, 65, 127, 128, 129, 191, 192, 193, 4095, 4096, 4097]),
)

seeds = st.one_of(
    st.integers(0, 2**64 - 1),
    st.integers(0, 8),
    st.integers(0xFFF0, 0x1_000F),
    st.integers(2**64 - 20, 2**64 - 1),
)


@st.composite
def sc_cases(draw, max_out: int = 6, max_in: int = 8, length_strategy=lengths):
    """``(weights (n_out, n_in, n_words) uint64, probs (n_in,) float64, length, seed)``."""
    n_out = draw(st.integers(1, max_out))
    n_in = draw(st.integers(1, max_in))
    length = draw(length_strategy)
    seed = draw(seeds)
    probs = np.array(draw(st.lists(probs_elements, min_size=n_in, max_size=n_in)))
    nw = -(-length // 64)
    word = st.one_of(st.integers(0, 2**64 - 1), st.sampled_from([0, 2**64 - 1]))
    flat = draw(st.lists(word, min_size=n_out * n_in * nw, max_size=n_out * n_in * nw))
    weights = np.array(flat, dtype=np.uint64).reshape(n_out, n_in, nw)
    return weights, probs, length, seed
