"""Transactions of the sc_dense core, their golden prediction, weight-beat packing and tiling."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np

import golden
from golden._contract import LFSR_MASK, WORD_BITS, n_words
from golden._validate import check_sc_args

__all__ = [
    "MAX_LENGTH",
    "CoreShape",
    "DenseTxn",
    "PaddedWeights",
    "Tile",
    "beat_ints",
    "buffer_image",
    "hex_lines",
    "pack_lanes",
    "predict_counts",
    "random_probs",
    "random_txn",
    "tiles",
    "unpack_lanes",
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


@dataclasses.dataclass
class DenseTxn:
    """One layer evaluation: ``counts = golden.sc_counts(weights, probs, length, seed)``.

    Attributes
    ----------
    weights : numpy.ndarray
        uint64 ``(n_out, n_in, n_words(length))`` packed weight streams.
    probs : numpy.ndarray
        float64 ``(n_in,)`` input probabilities in ``[0, 1]``.
    length : int
        Stream length in bits.
    seed : int
        Base seed in ``[0, 2**64)``.
    label : str
        What the transaction checks (for reports).
    """

    weights: np.ndarray
    probs: np.ndarray
    length: int
    seed: int
    label: str = ""

    def __post_init__(self) -> None:
        self.weights, self.probs, self.length, self.seed = check_sc_args(
            self.weights, self.probs, self.length, self.seed
        )
        self.weights = np.ascontiguousarray(self.weights, dtype=np.uint64)

    @property
    def n_out(self) -> int:
        return int(self.weights.shape[0])

    @property
    def n_in(self) -> int:
        return int(self.weights.shape[1])

    @property
    def thresholds(self) -> np.ndarray:
        """int32 ``(n_in,)``: the host-side ``golden.thresholds(probs)``."""
        return golden.thresholds(self.probs)

    @property
    def bit_products(self) -> int:
        """``n_out * n_in * length``: the AND-and-count operations the transaction verifies."""
        return self.n_out * self.n_in * self.length

    def describe(self, limit: int = 64) -> str:
        """The whole transaction as text (arrays longer than ``limit`` entries are abbreviated)."""
        with np.printoptions(threshold=limit, linewidth=100, formatter={"int": hex}):
            w = np.array2string(self.weights, separator=", ")
            x = np.array2string(self.thresholds, separator=", ")
        with np.printoptions(threshold=limit, linewidth=100, floatmode="unique"):
            p = np.array2string(self.probs, separator=", ")
        return (
            f"DenseTxn({self.label!r}: n_out={self.n_out}, n_in={self.n_in}, "
            f"length={self.length}, seed={self.seed:#x})\n"
            f"  probs={p}\n  thresholds={x}\n  weights={w}"
        )


def predict_counts(txn: DenseTxn, backend: golden.Backend) -> np.ndarray:
    """The golden prediction of ``txn``: int64 ``(n_out,)`` from ``backend.sc_counts``."""
    counts = backend.sc_counts(txn.weights, txn.probs, length=txn.length, seed=txn.seed)
    return np.asarray(counts, dtype=np.int64)


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
class Tile:
    """One core transaction of a tiled layer.

    Attributes
    ----------
    o0, i0 : int
        First output and first input of the layer the tile covers.
    n_out, n_in : int
        Outputs and inputs of the layer the tile covers (at most the core's).
    seed16 : int
        The base seed the core gets: ``(seed + i0) & 0xFFFF``, so that core input ``k`` uses the
        layer's seed of input ``i0 + k``.
    thresholds : numpy.ndarray
        int32 ``(core.n_in,)``; the padding inputs get 0 (an all-zero stream).
    weights : PaddedWeights
        ``(core.n_out, core.n_in, n_words(length))`` uint64 on demand; padding is zero.
    """

    o0: int
    i0: int
    n_out: int
    n_in: int
    seed16: int
    thresholds: np.ndarray
    weights: PaddedWeights


def tiles(txn: DenseTxn, core: CoreShape) -> Iterator[Tile]:
    """Map a layer of any size onto the core: output blocks x input blocks.

    The layer's counts are, per output block, the sum of the tile counts over its input blocks.
    Padding inputs have threshold 0 (stream all zeros) and zero weights, so they add nothing.
    """
    x = txn.thresholds
    for o0 in range(0, txn.n_out, core.n_out):
        no = min(core.n_out, txn.n_out - o0)
        for i0 in range(0, txn.n_in, core.n_in):
            ni = min(core.n_in, txn.n_in - i0)
            thr = np.zeros(core.n_in, dtype=np.int32)
            thr[:ni] = x[i0 : i0 + ni]
            w = PaddedWeights(txn.weights, o0, i0, core.n_out, core.n_in)
            yield Tile(o0, i0, no, ni, (txn.seed + i0) & LFSR_MASK, thr, w)


def weight_beats(weights: np.ndarray, length: int, w: int, k0: int, k1: int) -> np.ndarray:
    """Beats ``k0 .. k1 - 1`` of the weight stream, one row of bits per beat.

    Beat ``k`` bit ``e * w + j`` is stream bit ``k * w + j`` of weight ``e = o * n_in + i``
    (bits at or past ``length`` as stored, i.e. normally zero).

    Parameters
    ----------
    weights : numpy.ndarray
        uint64 ``(n_out, n_in, n_words)``.
    length : int
        Stream length in bits.
    w : int
        Bits per beat.
    k0, k1 : int
        Beat range, ``0 <= k0 <= k1 <= ceil(length / w)``.

    Returns
    -------
    numpy.ndarray
        uint8 ``(k1 - k0, n_out * n_in * w)`` of 0/1.
    """
    e = weights.shape[0] * weights.shape[1]
    nw = weights.shape[2]
    b0, b1 = k0 * w, k1 * w
    w0, w1 = b0 // WORD_BITS, min(nw, -(-b1 // WORD_BITS))
    words = np.ascontiguousarray(weights.reshape(e, nw)[:, w0:w1], dtype="<u8")
    bits = np.unpackbits(words.view(np.uint8), axis=1, bitorder="little")
    bits = bits[:, b0 - w0 * WORD_BITS :]
    need = b1 - b0
    if bits.shape[1] < need:  # a last beat that runs past the last word
        bits = np.pad(bits, ((0, 0), (0, need - bits.shape[1])))
    bits = bits[:, :need].reshape(e, k1 - k0, w)
    return np.ascontiguousarray(bits.transpose(1, 0, 2).reshape(k1 - k0, e * w))


def beat_ints(beat_bits: np.ndarray) -> list[int]:
    """Rows of :func:`weight_beats` as Python ints (bit ``n`` of the int is column ``n``)."""
    packed = np.packbits(beat_bits, axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def hex_lines(beat_bits: np.ndarray) -> str:
    """Rows of :func:`weight_beats` as ``$readmemh`` text: one big-endian hex word per line."""
    n_bits = beat_bits.shape[1]
    digits = -(-n_bits // 4)
    packed = np.packbits(beat_bits, axis=1, bitorder="little")[:, ::-1]
    text = np.ascontiguousarray(packed).tobytes().hex()
    row = 2 * packed.shape[1]
    cut = row - digits
    return "".join(text[r + cut : r + row] + "\n" for r in range(0, len(text), row))


def buffer_image(weights: np.ndarray, length: int, w: int, k0: int, k1: int) -> bytes:
    """Beats ``k0 .. k1 - 1`` as the harness's weight-buffer file (``WMEM_FILE``).

    One W-bit entry per (beat, weight), entry ``k * E + e`` (``E = n_out * n_in``). When ``w`` is a
    multiple of 8 the file is raw big-endian entries (read with ``$fread``), else ``$readmemh``
    text with one hex entry per line.
    """
    n_out, n_in, nw = weights.shape
    e = n_out * n_in
    if w in (8, 16, 32, 64) and k1 * w <= nw * WORD_BITS:
        # Entries are aligned slices of the little-endian words: no bit shuffling needed.
        raw = np.ascontiguousarray(weights.reshape(e, nw), dtype="<u8").view(f"<u{w // 8}")
        return np.ascontiguousarray(raw[:, k0:k1].T).astype(f">u{w // 8}").tobytes()
    bits = weight_beats(weights, length, w, k0, k1).reshape(-1, w)
    if w % 8 == 0:
        return np.packbits(bits, axis=1, bitorder="little")[:, ::-1].tobytes()
    return hex_lines(bits).encode()


_TIE_UNITS = np.array([0, 1, 2, 3, 65534, 65535], dtype=np.float64)


def random_probs(rng: np.random.Generator, n: int) -> np.ndarray:
    """float64 ``(n,)`` probabilities mixing uniform values, 0, 1, and rounding ties."""
    kind = rng.integers(0, 5, size=n)
    uniform = rng.random(n)
    ends = rng.integers(0, 2, size=n).astype(np.float64)
    ties = (rng.integers(0, 65536, size=n) + 0.5) / 65536.0
    near = _TIE_UNITS[rng.integers(0, _TIE_UNITS.size, size=n)] / 65536.0
    return np.select([kind == 0, kind == 1, kind == 2, kind == 3], [uniform, ends, ties, near],
                     uniform)


def random_txn(
    rng: np.random.Generator,
    n_out: int,
    n_in: int,
    length: int,
    *,
    seed: int | None = None,
    tail_garbage: bool = False,
    label: str = "random",
) -> DenseTxn:
    """A random transaction: weights of random density, mixed probabilities, random 64-bit seed.

    ``tail_garbage`` sets random bits past ``length`` in the last weight word (the core must
    ignore them, as the contract's counts do).
    """
    nw = n_words(length)
    shape = (n_out, n_in, nw)
    # Density 2**-k (or 1 - 2**-k when inverted): AND of k + 1 random words.
    words = rng.integers(0, 1 << 64, size=shape, dtype=np.uint64)
    for _ in range(int(rng.integers(0, 4))):
        words &= rng.integers(0, 1 << 64, size=shape, dtype=np.uint64)
    if rng.random() < 0.5:
        words = ~words
    if not tail_garbage and length % WORD_BITS:
        words[:, :, -1] &= np.uint64((1 << (length % WORD_BITS)) - 1)
    weights = words
    if seed is None:
        seed = int(rng.integers(0, 1 << 64, dtype=np.uint64))
    return DenseTxn(weights, random_probs(rng, n_in), length, seed, label)


def pack_lanes(values, width: int) -> int:
    """Lanes (signed or unsigned ints) -> one bus value, lane k at bits ``[k*width +: width]``."""
    mask = (1 << width) - 1
    out = 0
    for k, v in enumerate(values):
        out |= (int(v) & mask) << (k * width)
    return out


def unpack_lanes(bus: int, n: int, width: int, signed: bool = True) -> list[int]:
    """The inverse of :func:`pack_lanes`."""
    out = []
    for k in range(n):
        v = (bus >> (k * width)) & ((1 << width) - 1)
        if signed and v >> (width - 1):
            v -= 1 << width
        out.append(v)
    return out
