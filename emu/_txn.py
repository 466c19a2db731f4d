"""The sc_dense vocabulary every level shares: core shape, core transaction, tiles, weight beats."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

import golden
from golden._contract import LFSR_MASK, WORD_BITS
from golden._validate import check_sc_args

__all__ = [
    "MAX_LENGTH",
    "CoreShape",
    "DenseTransaction",
    "PaddedWeights",
    "Tile",
    "beat_bits",
    "beat_ints",
    "core_seed",
    "tiles",
    "untile",
    "weight_beats",
]

#: Longest stream the core takes in one transaction (its length field is 25 bits wide).
MAX_LENGTH = 1 << 24


@dataclasses.dataclass(frozen=True)
class CoreShape:
    """Parameters of one sc_dense instance.

    Attributes
    ----------
    n_in, n_out : int
        Inputs and outputs of the core (``N_IN``, ``N_OUT``).
    w : int
        Stream bits per clock (``W``).
    depth : int
        Weight beats the harness buffer holds (``DEPTH``).
    """

    n_in: int
    n_out: int
    w: int
    depth: int = 256

    def beats(self, length: int) -> int:
        """Weight beats of a transaction: ``ceil(length / w)``."""
        return -(-length // self.w)

    def cycles(self, length: int) -> int:
        """Clock cycles of one transaction with no stalls: ``1 + N_IN + beats + N_OUT``."""
        return 1 + self.n_in + self.beats(length) + self.n_out


def core_seed(seed: int, i0: int = 0) -> int:
    """The 16-bit seed the core gets for a block of inputs starting at layer input ``i0``.

    docs/contract.md: the seed of input ``i`` is ``s_i = (seed + i) & 0xFFFF`` (1 where that is
    0). The core derives its input ``k``'s seed as ``(cfg_seed + k) & 0xFFFF`` (1 where 0), so
    ``cfg_seed = (seed + i0) & 0xFFFF`` gives core input ``k`` exactly the layer's ``s_{i0+k}``.
    """
    return (int(seed) + int(i0)) & LFSR_MASK


class PaddedWeights:
    """A block of a layer's weights, zero-padded to the core's shape, materialised on demand.

    Slicing ``pw[..., a:b]`` returns uint64 ``(core_n_out, core_n_in, b - a)`` for words ``a:b``;
    ``numpy.asarray(pw)`` the whole block. Long streams are thus never padded all at once.
    """

    def __init__(self, weights: np.ndarray, o0: int, i0: int, n_out: int, n_in: int) -> None:
        self._w = weights
        self._o = slice(o0, min(o0 + n_out, weights.shape[0]))
        self._i = slice(i0, min(i0 + n_in, weights.shape[1]))
        self.shape = (n_out, n_in, weights.shape[2])

    def __getitem__(self, key) -> np.ndarray:
        if not (isinstance(key, tuple) and len(key) == 2 and key[0] is Ellipsis
                and isinstance(key[1], slice)):
            raise TypeError("PaddedWeights supports only [..., a:b]")
        src = self._w[self._o, self._i, key[1]]
        out = np.zeros(self.shape[:2] + (src.shape[2],), dtype=np.uint64)
        out[: src.shape[0], : src.shape[1]] = src
        return out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = self[..., :]
        return out if dtype is None else out.astype(dtype)


@dataclasses.dataclass(frozen=True)
class DenseTransaction:
    """One core transaction: what the cfg, threshold and weight streams carry.

    Attributes
    ----------
    weights : numpy.ndarray or PaddedWeights
        uint64 ``(N_OUT, N_IN, ceil(length / 64))`` packed weight streams of the core.
    thresholds : numpy.ndarray
        int ``(N_IN,)`` in ``[0, 65536]`` (``golden.thresholds``).
    length : int
        Stream length in bits, ``0 <= length < 2**25``.
    seed : int
        Base seed; the core takes its low 16 bits (:func:`core_seed`).
    """

    weights: Any
    thresholds: np.ndarray
    length: int
    seed: int

    @property
    def seed16(self) -> int:
        """The ``cfg_seed`` beat: :func:`core_seed` of ``seed``."""
        return core_seed(self.seed)


@dataclasses.dataclass(frozen=True)
class Tile:
    """One core transaction of a tiled layer, and where it sits in the layer.

    Attributes
    ----------
    o0, i0 : int
        First output and first input of the layer the tile covers.
    n_out, n_in : int
        Outputs and inputs of the layer the tile covers (at most the core's).
    transaction : DenseTransaction
        The core's transaction: seed ``core_seed(seed, i0)``, thresholds of inputs ``i0 ..``
        (padding inputs get 0, an all-zero stream), weights a :class:`PaddedWeights` block
        (padding is zero).
    """

    o0: int
    i0: int
    n_out: int
    n_in: int
    transaction: DenseTransaction


def tiles(weights: np.ndarray, probs: np.ndarray, length: int, seed: int, core: CoreShape,
          ) -> Iterator[Tile]:
    """Map a layer of any size onto the core: output blocks x input blocks, in run order.

    The layer's counts are, per output block, the sum of the tile counts over its input blocks
    (:func:`untile`). Padding inputs have threshold 0 (stream all zeros) and zero weights, so
    they add nothing (docs/microarchitecture.md, tiling).

    Parameters
    ----------
    weights : numpy.ndarray
        uint64 ``(n_out, n_in, n_words(length))``.
    probs : numpy.ndarray
        float64 ``(n_in,)``.
    length, seed : int
        As for ``golden.sc_counts``.
    core : CoreShape
    """
    weights, probs, length, seed = check_sc_args(weights, probs, length, seed)
    n_out, n_in, _ = weights.shape
    x = golden.thresholds(probs)
    for o0 in range(0, n_out, core.n_out):
        no = min(core.n_out, n_out - o0)
        for i0 in range(0, max(n_in, 1), core.n_in):
            ni = min(core.n_in, n_in - i0)
            thr = np.zeros(core.n_in, dtype=np.int32)
            thr[:ni] = x[i0 : i0 + ni]
            w = PaddedWeights(weights, o0, i0, core.n_out, core.n_in)
            yield Tile(o0, i0, no, ni,
                       DenseTransaction(w, thr, length, core_seed(seed, i0)))


def untile(results: Iterable[tuple[Tile, Any]], n_out: int) -> np.ndarray:
    """Sum the tiles' counts back into the layer's.

    Parameters
    ----------
    results : iterable of (Tile, array_like)
        Each tile with the core's counts for it (``(core.n_out,)``; the padding outputs are
        dropped).
    n_out : int
        Outputs of the layer.

    Returns
    -------
    numpy.ndarray
        int64 ``(n_out,)``.
    """
    out = np.zeros(n_out, dtype=np.int64)
    for tile, counts in results:
        out[tile.o0 : tile.o0 + tile.n_out] += np.asarray(counts, dtype=np.int64)[: tile.n_out]
    return out


def weight_beats(weights: Any, length: int, w: int, k0: int = 0, k1: int | None = None
                 ) -> np.ndarray:
    """Beats ``k0 .. k1 - 1`` of packed weight streams, as the core's W-bit lanes.

    Parameters
    ----------
    weights : numpy.ndarray or PaddedWeights
        uint64 ``(n_out, n_in, n_words)``.
    length : int
        Stream length in bits; there are ``ceil(length / w)`` beats.
    w : int
        Bits per beat, 1 .. 64.
    k0, k1 : int
        Beat range, ``0 <= k0 <= k1 <= ceil(length / w)`` (default all beats).

    Returns
    -------
    numpy.ndarray
        uint64 ``(k1 - k0, n_out, n_in)``: beat ``k`` lane ``(o, i)`` holds stream bits
        ``[k*w, k*w + w)`` of weight ``(o, i)`` (bits at or past ``length`` as stored, i.e.
        normally zero).
    """
    if k1 is None:
        k1 = -(-length // w)
    nw = weights.shape[2]
    w0 = min(nw, k0 * w // WORD_BITS)
    w1 = min(nw, -(-(k1 * w) // WORD_BITS) + 1)
    words = np.asarray(weights[..., w0:w1], dtype=np.uint64)
    start = np.arange(k0, k1, dtype=np.int64) * w - w0 * WORD_BITS
    q, r = start // WORD_BITS, (start % WORD_BITS).astype(np.uint64)
    pad = int(q.max()) + 2 - words.shape[2] if q.size else 0
    if pad > 0:  # beats that run past the last stored word read zeros
        words = np.concatenate([words, np.zeros(words.shape[:2] + (pad,), np.uint64)], axis=2)
    lo = words[:, :, q] >> r
    hi_shift = (np.uint64(64) - r) % np.uint64(64)
    hi = np.where(r > 0, words[:, :, q + 1] << hi_shift, np.uint64(0))
    mask = np.uint64((1 << w) - 1) if w < 64 else np.uint64(2**64 - 1)
    beats = (lo | hi) & mask
    return np.ascontiguousarray(np.moveaxis(beats, 2, 0))


def beat_bits(beats: np.ndarray, w: int) -> np.ndarray:
    """Beats of :func:`weight_beats` as rows of bits: uint8 ``(B, n_out * n_in * w)`` of 0/1.

    Row ``k`` bit ``e * w + j`` is bit ``j`` of lane ``e = o * n_in + i`` (the RTL's ``w_data``).
    """
    b, e = beats.shape[0], int(np.prod(beats.shape[1:]))
    lanes = np.ascontiguousarray(beats.reshape(b, e), dtype="<u8")
    bits = np.unpackbits(lanes.view(np.uint8).reshape(b, e, 8), axis=2, bitorder="little")
    return np.ascontiguousarray(bits[:, :, :w].reshape(b, e * w))


def beat_ints(beats: np.ndarray, w: int) -> list[int]:
    """Beats of :func:`weight_beats` as the RTL's ``w_data`` bus values (lane ``e`` at
    bits ``[e*w +: w]``)."""
    packed = np.packbits(beat_bits(beats, w), axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]
