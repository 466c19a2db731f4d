"""Constants of the bit-true SC contract (docs/contract.md), shared by every level."""

from __future__ import annotations

from typing import NamedTuple

#: Default base seed of the input encoder (SC-NeuroCore's ``sc_forward`` default).
DEFAULT_SEED = 0xACE1
#: Width of the LFSR in bits.
LFSR_BITS = 16
#: Mask of one LFSR state.
LFSR_MASK = 0xFFFF
#: Period of the maximal-length LFSR x^16 + x^14 + x^13 + x^11 + 1 (every nonzero state once).
LFSR_PERIOD = 65535
#: State bits XOR-ed into the feedback bit (bit 15, 13, 12 and 10 of the state).
LFSR_TAPS = (15, 13, 12, 10)
#: Thresholds are ``round_half_even(p * THRESHOLD_SCALE)``, in ``[0, THRESHOLD_SCALE]``.
THRESHOLD_SCALE = 1 << LFSR_BITS
#: Bits per packed word.
WORD_BITS = 64
#: Exclusive upper bound of the base seed.
SEED_LIMIT = 1 << 64


def n_words(length: int) -> int:
    """Number of 64-bit words that hold ``length`` stream bits: ``ceil(length / 64)``."""
    return -(-length // WORD_BITS)


class StreamVector(NamedTuple):
    """A published stream vector: word 0 of ``encode_inputs([p], length, seed)``."""

    seed: int
    p: float
    length: int
    word: int


class ForwardVector(NamedTuple):
    """A published layer vector: all-ones weights of ``shape`` against ``probs``."""

    shape: tuple[int, int, int]
    probs: tuple[float, ...]
    length: int
    seed: int
    counts: tuple[int, ...]
    forward: tuple[float, ...]


#: docs/contract.md section 5, the stream vectors (inputs 0, 1, 2 of the first forward vector).
STREAM_VECTORS = (
    StreamVector(0xACE1, 0.5, 64, 0x2F38174455D878CA),
    StreamVector(0xACE2, 0.25, 64, 0xC009083019C81840),
    StreamVector(0xACE3, 0.75, 64, 0xFFF7FB7E0FFC3CEF),
)
#: docs/contract.md section 5, the layer vectors.
FORWARD_VECTORS = (
    ForwardVector((1, 3, 1), (0.5, 0.25, 0.75), 64, DEFAULT_SEED, (95,), (1.484375,)),
    ForwardVector((1, 1, 2), (1.0,), 100, DEFAULT_SEED, (100,), (1.0,)),
)
#: Probabilities on the contract's edges: 0, 1, the rounding ties of half an LSB (round half to
#: even: 1/131072 -> 0, 3/131072 -> 2), the midpoint, below one LSB, just under 1.
EDGE_PROBS = (0.0, 1.0, 1 / 131072, 3 / 131072, 0.5, 5 / 131072, 2**-17 - 2**-50, 2**-20,
              1 - 1 / 131072, 1 - 3 / 131072)
