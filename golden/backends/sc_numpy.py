"""The NumPy golden model: the bit-true floor every other level is compared against."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import Backend
from .._contract import DEFAULT_SEED
from .._encode import encode_streams, input_seeds, thresholds
from .._vector_ops import (
    and_popcount,
    and_popcount_batch,
    and_words,
    mux_words,
    not_words,
    pack_bits,
    popcount_words,
    unpack_rows,
    xnor_words,
)

__all__ = ["NumpyBackend", "sc_counts", "sc_counts_batch", "sc_forward", "sc_forward_batch"]


class NumpyBackend(Backend):
    """The bit-true floor, pure NumPy, always available."""

    name = "numpy"

    def _sc_counts_impl(
        self, weights: np.ndarray, probs: np.ndarray, length: int, seed: int
    ) -> np.ndarray:
        return and_popcount(weights, self._encode_inputs_impl(probs, length, seed))

    def _sc_counts_batch_impl(
        self, weights: np.ndarray, probs: np.ndarray, length: int, seed: int
    ) -> np.ndarray:
        # All B * n_in streams in one encoder call: row b's input i has seed (seed + i).
        n_rows, n_in = probs.shape
        seeds = np.tile(input_seeds(n_in, seed), n_rows)
        inputs = encode_streams(thresholds(probs.reshape(-1)), seeds, length)
        return and_popcount_batch(weights, inputs.reshape(n_rows, n_in, weights.shape[2]))

    def _encode_inputs_impl(self, probs: np.ndarray, length: int, seed: int) -> np.ndarray:
        return encode_streams(thresholds(probs), input_seeds(probs.shape[0], seed), length)

    def _pack_bitstream_impl(self, bits: np.ndarray) -> np.ndarray:
        return pack_bits(bits)

    def _unpack_bitstream_impl(
        self, rows: np.ndarray, length: int, shape: tuple[int, ...]
    ) -> np.ndarray:
        return unpack_rows(rows, length, shape)

    def _vec_and_impl(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return and_words(a, b)

    def _vec_xnor_impl(self, a: np.ndarray, b: np.ndarray, length: int) -> np.ndarray:
        return xnor_words(a, b, length)

    def _vec_not_impl(self, a: np.ndarray, length: int) -> np.ndarray:
        return not_words(a, length)

    def _vec_mux_impl(
        self, sel: np.ndarray, a: np.ndarray, b: np.ndarray, length: int
    ) -> np.ndarray:
        return mux_words(sel, a, b, length)

    def _vec_popcount_impl(self, words: np.ndarray) -> int:
        return popcount_words(words)

    def _vec_mac_impl(self, weights: np.ndarray, inputs: np.ndarray) -> np.ndarray:
        return and_popcount(weights, inputs)


_FLOOR = NumpyBackend()


def sc_counts(
    weights_packed: Any, input_probs: Any, *, length: int, seed: int = DEFAULT_SEED
) -> np.ndarray:
    """The contract's counts: ``sum_{i,w} popcount(W[o, i, w] & X[i, w])``.

    ``X`` is :func:`golden.encode_inputs` of ``input_probs``; padding bits of ``X`` are zero,
    so weight bits past ``length`` never count.

    Parameters
    ----------
    weights_packed : array_like
        uint64 ``(n_out, n_in, ceil(length / 64))``; any strides or byte order.
    input_probs : array_like
        ``(n_in,)`` probabilities in ``[0, 1]``.
    length : int
        Stream length in bits, ``>= 1``.
    seed : int, optional
        Base seed in ``[0, 2**64)``, default ``0xACE1``.

    Returns
    -------
    numpy.ndarray
        int64 ``(n_out,)``. ``n_out == 0`` gives an empty array; ``n_in == 0`` gives zeros.

    Raises
    ------
    TypeError, ValueError
        For bad arguments (see ``docs/contract.md``, *Bad input*).
    """
    return _FLOOR.sc_counts(weights_packed, input_probs, length=length, seed=seed)


def sc_forward(
    weights_packed: Any, input_probs: Any, *, length: int, seed: int = DEFAULT_SEED
) -> np.ndarray:
    """``sc_counts(...) / length``: float64 ``(n_out,)``, not divided by ``n_in``."""
    return _FLOOR.sc_forward(weights_packed, input_probs, length=length, seed=seed)


def sc_counts_batch(
    weights_packed: Any, input_probs: Any, *, length: int, seed: int = DEFAULT_SEED
) -> np.ndarray:
    """:func:`sc_counts` of one layer for ``B`` input vectors, every row with the same ``seed``.

    Row ``b`` is bit-identical to ``sc_counts(weights_packed, input_probs[b], length=length,
    seed=seed)`` (``B`` single calls with that one seed), computed with one encoder call and
    blocked AND + popcount.

    Parameters
    ----------
    weights_packed : array_like
        uint64 ``(n_out, n_in, ceil(length / 64))``; any strides or byte order.
    input_probs : array_like
        ``(B, n_in)`` probabilities in ``[0, 1]``, ``B >= 1``.
    length : int
        Stream length in bits, ``>= 1``.
    seed : int, optional
        Base seed in ``[0, 2**64)``, default ``0xACE1``, shared by every row.

    Returns
    -------
    numpy.ndarray
        int64 ``(B, n_out)``.

    Raises
    ------
    TypeError, ValueError
        For bad arguments (see ``docs/contract.md``, *Bad input*); a 1-D ``input_probs`` or
        ``B == 0`` is a ``ValueError``.
    """
    return _FLOOR.sc_counts_batch(weights_packed, input_probs, length=length, seed=seed)


def sc_forward_batch(
    weights_packed: Any, input_probs: Any, *, length: int, seed: int = DEFAULT_SEED
) -> np.ndarray:
    """``sc_counts_batch(...) / length``: float64 ``(B, n_out)``, not divided by ``n_in``."""
    return _FLOOR.sc_forward_batch(weights_packed, input_probs, length=length, seed=seed)
