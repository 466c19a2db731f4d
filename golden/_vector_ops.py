"""Packed-bitstream operations of SC-NeuroCore's accel API, with padding bits kept at zero."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._contract import WORD_BITS, n_words
from ._validate import (
    check_bits,
    check_mac,
    check_pair,
    check_tail,
    check_triple,
    check_unpack,
    check_words,
    native_words,
)

__all__ = [
    "and_popcount",
    "and_words",
    "mux_words",
    "not_words",
    "pack_bits",
    "pack_bitstream",
    "popcount_words",
    "unpack_bitstream",
    "unpack_rows",
    "vec_and",
    "vec_mac",
    "vec_mux",
    "vec_not",
    "vec_popcount",
    "vec_xnor",
    "xnor_words",
]

_ONES = np.uint64(0xFFFF_FFFF_FFFF_FFFF)
# Words ANDed per chunk in and_popcount: 1 MiB temporaries stay in cache.
_CHUNK_WORDS = 1 << 17


def pack_bitstream(bits: Any) -> np.ndarray:
    """Pack a {0, 1} stream (LSB first) into 64-bit words, zero padding.

    Parameters
    ----------
    bits : array_like
        ``(N,)`` or ``(B, N)``, bool or integer dtype, values in {0, 1}.

    Returns
    -------
    numpy.ndarray
        uint64 ``(ceil(N/64),)`` or ``(B, ceil(N/64))``; bit ``j`` of word ``k`` is stream bit
        ``64*k + j``.
    """
    return pack_bits(check_bits(bits))


def pack_bits(arr: np.ndarray) -> np.ndarray:
    """:func:`pack_bitstream` of checked bits (no argument checks)."""
    n = arr.shape[-1]
    nw = n_words(n)
    padded = np.zeros(arr.shape[:-1] + (nw * WORD_BITS,), dtype=np.bool_)
    padded[..., :n] = arr
    packed = np.packbits(padded, axis=-1, bitorder="little")
    return packed.view(np.dtype("<u8")).astype(np.uint64, copy=False)


def unpack_bitstream(
    packed: Any, original_length: int, original_shape: tuple[int, ...] | None = None
) -> np.ndarray:
    """Inverse of :func:`pack_bitstream`.

    Parameters
    ----------
    packed : array_like
        uint64 ``(n_words,)`` or ``(B, n_words)`` with ``n_words == ceil(original_length/64)``.
    original_length : int
        Stream length ``N >= 0``.
    original_shape : tuple of int, optional
        Shape of the result; its size must be ``N`` (1-D) or ``B * N`` (2-D).

    Returns
    -------
    numpy.ndarray
        uint8 {0, 1}, ``(N,)`` / ``(B, N)`` or ``original_shape``.
    """
    return unpack_rows(*check_unpack(packed, original_length, original_shape))


def unpack_rows(rows: np.ndarray, length: int, shape: tuple[int, ...]) -> np.ndarray:
    """:func:`unpack_bitstream` of checked native uint64 ``rows`` ``(B, n_words)`` (no checks)."""
    as_bytes = np.ascontiguousarray(rows, dtype=np.dtype("<u8")).view(np.uint8)
    bits = np.unpackbits(as_bytes, axis=-1, bitorder="little")[:, :length].reshape(shape)
    return np.ascontiguousarray(bits)


def _tail_mask(words: np.ndarray, length: int) -> np.ndarray:
    """Zero the bits past ``length`` (already checked) in place."""
    rem = length % WORD_BITS
    if rem:
        words[..., -1] &= np.uint64((1 << rem) - 1)
    return words


def vec_and(a: Any, b: Any) -> np.ndarray:
    """Bitwise AND of two packed streams (unipolar multiply: ``P = Pa * Pb``).

    Parameters
    ----------
    a, b : array_like
        uint64, same shape.

    Returns
    -------
    numpy.ndarray
        uint64, same shape.
    """
    return and_words(*check_pair(a, b))


def and_words(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a & b`` (no argument checks)."""
    return np.bitwise_and(a, b)


def vec_xnor(a: Any, b: Any, *, length: int) -> np.ndarray:
    """Bitwise XNOR (bipolar multiply: ``P = Pa*Pb + (1-Pa)*(1-Pb)``), padding kept zero.

    Parameters
    ----------
    a, b : array_like
        uint64 ``(..., ceil(length/64))``, same shape.
    length : int
        Stream length; bits past it are zero in the result (upstream sets them).

    Returns
    -------
    numpy.ndarray
        uint64, same shape.
    """
    wa, wb = check_pair(a, b)
    return xnor_words(wa, wb, check_tail(wa, length, "a"))


def xnor_words(a: np.ndarray, b: np.ndarray, length: int) -> np.ndarray:
    """``~(a ^ b)`` with the bits past ``length`` cleared (no argument checks)."""
    return _tail_mask(np.bitwise_xor(np.bitwise_xor(a, b), _ONES), length)


def vec_not(a: Any, *, length: int) -> np.ndarray:
    """Bitwise NOT (``P = 1 - Pa``), padding kept zero.

    Parameters
    ----------
    a : array_like
        uint64 ``(..., ceil(length/64))``.
    length : int
        Stream length; bits past it are zero in the result (upstream sets them).

    Returns
    -------
    numpy.ndarray
        uint64, same shape.
    """
    wa = native_words(a, "a")
    return not_words(wa, check_tail(wa, length, "a"))


def not_words(a: np.ndarray, length: int) -> np.ndarray:
    """``~a`` with the bits past ``length`` cleared (no argument checks)."""
    return _tail_mask(np.bitwise_xor(a, _ONES), length)


def vec_mux(sel: Any, a: Any, b: Any, *, length: int) -> np.ndarray:
    """Multiplexer ``(sel & a) | (~sel & b)`` (scaled add ``P = Ps*Pa + (1-Ps)*Pb``).

    Parameters
    ----------
    sel, a, b : array_like
        uint64 ``(..., ceil(length/64))``, same shape.
    length : int
        Stream length; bits past it are zero in the result.

    Returns
    -------
    numpy.ndarray
        uint64, same shape.
    """
    ws, wa, wb = check_triple(sel, a, b)
    return mux_words(ws, wa, wb, check_tail(ws, length, "sel"))


def mux_words(sel: np.ndarray, a: np.ndarray, b: np.ndarray, length: int) -> np.ndarray:
    """``(sel & a) | (~sel & b)`` with the bits past ``length`` cleared (no argument checks)."""
    return _tail_mask((sel & a) | (np.bitwise_xor(sel, _ONES) & b), length)


def vec_popcount(packed: Any) -> int:
    """Total number of set bits in a packed array (any shape).

    Returns
    -------
    int
    """
    return popcount_words(check_words(packed, "packed"))


def popcount_words(words: np.ndarray) -> int:
    """Set bits of uint64 ``words`` (no argument checks)."""
    return int(np.bitwise_count(words).sum(dtype=np.int64))


def and_popcount(weights: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """``counts[o] = sum_{i,w} popcount(weights[o, i, w] & inputs[i, w])`` (no argument checks).

    Parameters
    ----------
    weights : numpy.ndarray
        uint64 ``(n_out, n_in, n_words)``, any strides or byte order.
    inputs : numpy.ndarray
        uint64 ``(n_in, n_words)``.

    Returns
    -------
    numpy.ndarray
        int64 ``(n_out,)``.
    """
    n_out, n_in, nw = weights.shape
    counts = np.zeros(n_out, dtype=np.int64)
    per_row = max(1, n_in * nw)
    chunk = max(1, _CHUNK_WORDS // per_row)
    buf = np.empty((min(chunk, n_out), n_in, nw), dtype=np.uint64)
    cnt = np.empty(buf.shape, dtype=np.uint8)
    for a in range(0, n_out, chunk):
        b = min(n_out, a + chunk)
        anded = np.bitwise_and(weights[a:b], inputs, out=buf[: b - a])
        bits = np.bitwise_count(anded, out=cnt[: b - a])
        counts[a:b] = bits.reshape(b - a, -1).sum(axis=1, dtype=np.int64)
    return counts


def and_popcount_batch(weights: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """``counts[b, o] = sum_{i,w} popcount(weights[o, i, w] & inputs[b, i, w])`` (no checks).

    Parameters
    ----------
    weights : numpy.ndarray
        uint64 ``(n_out, n_in, n_words)``, any strides or byte order.
    inputs : numpy.ndarray
        uint64 ``(B, n_in, n_words)``.

    Returns
    -------
    numpy.ndarray
        int64 ``(B, n_out)``; blocks of rows are broadcast against all weights at once.
    """
    n_rows = inputs.shape[0]
    per_row = weights.size
    if per_row == 0:  # n_out == 0, or empty sums
        return np.zeros((n_rows, weights.shape[0]), dtype=np.int64)
    if per_row > _CHUNK_WORDS:  # one row at a time is already a large vectorised op
        return np.stack([and_popcount(weights, x) for x in inputs]).reshape(n_rows, -1)
    counts = np.zeros((n_rows, weights.shape[0]), dtype=np.int64)
    chunk = max(1, _CHUNK_WORDS // max(1, per_row))
    for a in range(0, n_rows, chunk):
        b = min(n_rows, a + chunk)
        bits = np.bitwise_count(weights[None] & inputs[a:b, None])
        counts[a:b] = bits.reshape(b - a, weights.shape[0], -1).sum(axis=2, dtype=np.int64)
    return counts


def vec_mac(packed_weights: Any, packed_inputs: Any) -> np.ndarray:
    """Packed multiply-accumulate: AND each weight row with the inputs, popcount, sum.

    Parameters
    ----------
    packed_weights : array_like
        uint64 ``(n_out, n_in, n_words)``.
    packed_inputs : array_like
        uint64 ``(n_in, n_words)``.

    Returns
    -------
    numpy.ndarray
        int64 ``(n_out,)`` raw counts.
    """
    w, x = check_mac(packed_weights, packed_inputs)
    return and_popcount(w, x)

