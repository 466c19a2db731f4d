"""The NumPy golden model: the bit-true floor every other level is compared against."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._backend import Backend
from ._contract import DEFAULT_SEED
from ._encode import encode_inputs, encode_streams, input_seeds, thresholds
from ._validate import check_sc_args
from ._vector_ops import (
    and_popcount,
    pack_bitstream,
    unpack_bitstream,
    vec_and,
    vec_mac,
    vec_mux,
    vec_not,
    vec_popcount,
    vec_xnor,
)

__all__ = ["NumpyBackend", "sc_counts", "sc_forward"]


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
    weights, probs, length, seed = check_sc_args(weights_packed, input_probs, length, seed)
    inputs = encode_streams(thresholds(probs), input_seeds(probs.shape[0], seed), length)
    return and_popcount(weights, inputs)


def sc_forward(
    weights_packed: Any, input_probs: Any, *, length: int, seed: int = DEFAULT_SEED
) -> np.ndarray:
    """``sc_counts(...) / length``: float64 ``(n_out,)``, not divided by ``n_in``."""
    return NumpyBackend().sc_forward(weights_packed, input_probs, length=length, seed=seed)


class NumpyBackend(Backend):
    """The bit-true floor, pure NumPy, always available."""

    name = "numpy"

    encode_inputs = staticmethod(encode_inputs)
    pack_bitstream = staticmethod(pack_bitstream)
    unpack_bitstream = staticmethod(unpack_bitstream)
    vec_and = staticmethod(vec_and)
    vec_mac = staticmethod(vec_mac)
    vec_mux = staticmethod(vec_mux)
    vec_not = staticmethod(vec_not)
    vec_popcount = staticmethod(vec_popcount)
    vec_xnor = staticmethod(vec_xnor)

    def sc_counts(
        self, weights_packed: Any, input_probs: Any, *, length: int, seed: int = DEFAULT_SEED
    ) -> np.ndarray:
        return sc_counts(weights_packed, input_probs, length=length, seed=seed)
