"""Layer transactions of the sc_dense core, their golden prediction and the harness files.

The core vocabulary (core shape, core transaction, tiles, weight beats) is ``emu``'s
(emu/_txn.py); ``CoreShape`` is re-exported here for the testbench's settings."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np

import golden
from emu._txn import CoreShape, Tile, beat_bits, tiles, weight_beats
from golden._contract import WORD_BITS, n_words
from golden._validate import check_sc_args

__all__ = [
    "CoreShape",
    "DenseTxn",
    "buffer_image",
    "hex_lines",
    "pack_lanes",
    "predict_counts",
    "random_probs",
    "random_txn",
    "unpack_lanes",
]


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

    def tiles(self, core: CoreShape) -> Iterator[Tile]:
        """The transaction tiled onto ``core`` (:func:`emu.tiles`)."""
        return tiles(self.weights, self.probs, self.length, self.seed, core)

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


def hex_lines(beat_bits: np.ndarray) -> str:
    """Rows of :func:`emu.beat_bits` as ``$readmemh`` text: one big-endian hex word per line."""
    n_bits = beat_bits.shape[1]
    digits = -(-n_bits // 4)
    packed = np.packbits(beat_bits, axis=1, bitorder="little")[:, ::-1]
    text = np.ascontiguousarray(packed).tobytes().hex()
    row = 2 * packed.shape[1]
    cut = row - digits
    return "".join(text[r + cut : r + row] + "\n" for r in range(0, len(text), row))


def buffer_image(weights: np.ndarray, length: int, w: int, k0: int, k1: int) -> bytes:
    """Beats ``k0 .. k1 - 1`` as the harness's weight-buffer file (``WMEM_FILE``).

    One entry per beat: the ``E * w``-bit ``w_data`` word (``E = n_out * n_in``; lane ``e`` at
    bits ``[e*w +: w]``). When ``w`` is a multiple of 8 the file is raw big-endian words (read
    with ``$fread``: lane ``E - 1`` first), else ``$readmemh`` text with one hex word per line.
    """
    n_out, n_in, nw = weights.shape
    e = n_out * n_in
    if w in (8, 16, 32, 64) and k1 * w <= nw * WORD_BITS:
        # Lanes are aligned slices of the little-endian words (no bit shuffling); a beat is
        # one big-endian word, so its lanes go last first.
        raw = np.ascontiguousarray(weights.reshape(e, nw), dtype="<u8").view(f"<u{w // 8}")
        return np.ascontiguousarray(raw[::-1, k0:k1].T).astype(f">u{w // 8}").tobytes()
    bits = beat_bits(weight_beats(weights, length, w, k0, k1), w)
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
