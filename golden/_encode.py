"""Stochastic number generation: probabilities -> LFSR-compared, packed 64-bit streams."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ._contract import DEFAULT_SEED, LFSR_MASK, LFSR_PERIOD, THRESHOLD_SCALE, WORD_BITS, n_words
from ._lfsr import orbit_index, orbit_table
from ._validate import check_length, check_probs, check_seed

__all__ = [
    "encode_inputs",
    "encode_streams",
    "encode_weights",
    "input_seeds",
    "thresholds",
]

# Bits materialised per chunk while encoding (bounds the temporaries to a few MiB).
_CHUNK_BITS = 1 << 18


def thresholds(probs: np.ndarray) -> np.ndarray:
    """Comparator thresholds ``x = clip(rint(p * 65536), 0, 65536)`` (round half to even).

    Parameters
    ----------
    probs : numpy.ndarray
        float64, any shape, already checked to lie in ``[0, 1]``.

    Returns
    -------
    numpy.ndarray
        int32 of the same shape, in ``[0, 65536]``.
    """
    return np.clip(np.rint(probs * THRESHOLD_SCALE), 0, THRESHOLD_SCALE).astype(np.int32)


def input_seeds(n: int, seed: int) -> np.ndarray:
    """Per-stream LFSR seeds ``(seed + i) & 0xFFFF`` for ``i < n``, with 0 replaced by 1.

    Parameters
    ----------
    n : int
        Number of streams.
    seed : int
        Base seed in ``[0, 2**64)``.

    Returns
    -------
    numpy.ndarray
        uint16 ``(n,)``, never 0.
    """
    seeds = ((seed & LFSR_MASK) + np.arange(n, dtype=np.int64)) & LFSR_MASK
    seeds[seeds == 0] = 1
    return seeds.astype(np.uint16)


@functools.lru_cache(maxsize=4)
def _periodic_orbit(total: int) -> np.ndarray:
    """The orbit repeated to ``total`` entries (``total <= 2 * period`` is cached, 256 KiB)."""
    out = np.resize(orbit_table(), total)
    out.setflags(write=False)
    return out


def encode_streams(x: np.ndarray, seeds: np.ndarray, length: int) -> np.ndarray:
    """Packed streams for thresholds ``x`` and seeds ``seeds`` (no argument checks).

    Bit ``t`` of stream ``i`` is ``state_t < x[i]`` with ``state_0 = seeds[i]`` (compare, then
    advance); it goes to word ``t // 64``, bit ``t % 64``; bits past ``length`` are zero.

    Parameters
    ----------
    x : numpy.ndarray
        int32 ``(n,)`` thresholds in ``[0, 65536]``.
    seeds : numpy.ndarray
        uint16 ``(n,)`` nonzero LFSR seeds.
    length : int
        Stream length in bits, ``>= 1``.

    Returns
    -------
    numpy.ndarray
        uint64 ``(n, ceil(length / 64))``, C-contiguous.
    """
    n = x.shape[0]
    nw = n_words(length)
    out = np.empty((n, nw), dtype=np.uint64)
    if n == 0:
        return out
    starts = orbit_index()[seeds]
    # A window of `length` states from any start is a slice of the periodic orbit.
    table = _periodic_orbit(max(2 * LFSR_PERIOD, LFSR_PERIOD + length))
    windows = np.lib.stride_tricks.sliding_window_view(table, length)
    chunk = max(1, _CHUNK_BITS // (nw * WORD_BITS))
    padded = nw * WORD_BITS != length
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        states = windows[starts[a:b]]
        if padded:
            bits = np.zeros((b - a, nw * WORD_BITS), dtype=np.bool_)
            np.less(states, x[a:b, None], out=bits[:, :length])
        else:
            bits = states < x[a:b, None]
        packed = np.packbits(bits, axis=1, bitorder="little")
        out[a:b] = packed.view(np.dtype("<u8"))
    return out


def encode_inputs(input_probs: Any, *, length: int, seed: int = DEFAULT_SEED) -> np.ndarray:
    """Encode input probabilities into packed stochastic streams (the contract's encoder).

    Parameters
    ----------
    input_probs : array_like
        ``(n_in,)`` probabilities in ``[0, 1]``.
    length : int
        Stream length in bits, ``>= 1``.
    seed : int, optional
        Base seed in ``[0, 2**64)``; input ``i`` uses ``(seed + i) & 0xFFFF`` (0 -> 1).

    Returns
    -------
    numpy.ndarray
        uint64 ``(n_in, ceil(length / 64))``.
    """
    length = check_length(length)
    seed = check_seed(seed)
    probs = check_probs(input_probs, "input_probs")
    return encode_streams(thresholds(probs), input_seeds(probs.shape[0], seed), length)


def encode_weights(weight_probs: Any, *, length: int, seed: int = DEFAULT_SEED) -> np.ndarray:
    """Pack a weight-probability matrix as upstream's tests do: seed + flattened index.

    Weight ``(o, i)`` is encoded like input ``o * n_in + i`` of :func:`encode_inputs`.

    Parameters
    ----------
    weight_probs : array_like
        ``(n_out, n_in)`` probabilities in ``[0, 1]``.
    length : int
        Stream length in bits, ``>= 1``.
    seed : int, optional
        Base seed in ``[0, 2**64)``.

    Returns
    -------
    numpy.ndarray
        uint64 ``(n_out, n_in, ceil(length / 64))``, C-contiguous and 64-byte aligned (JAX on
        CPU reads it in place instead of copying it per call; SIMD loads stay on cache lines).
    """
    length = check_length(length)
    seed = check_seed(seed)
    probs = check_probs(weight_probs, "weight_probs", ndim=2)
    flat = probs.reshape(-1)
    packed = encode_streams(thresholds(flat), input_seeds(flat.shape[0], seed), length)
    return aligned(packed.reshape(probs.shape[0], probs.shape[1], -1))


ALIGN = 64


def aligned(arr: np.ndarray) -> np.ndarray:
    """``arr`` as a C-contiguous, native-endian, ``ALIGN``-byte aligned array (``arr`` itself
    when it already is one, else a copy), same shape and values."""
    if arr.flags.c_contiguous and arr.dtype.isnative and (
            arr.ctypes.data % ALIGN == 0 or arr.size == 0):
        return arr
    buf = np.empty(arr.nbytes + ALIGN, dtype=np.uint8)
    offset = (-buf.ctypes.data) % ALIGN
    out = buf[offset: offset + arr.nbytes].view(arr.dtype.newbyteorder("=")).reshape(arr.shape)
    np.copyto(out, arr)
    return out
