"""Constants of the bit-true SC contract (docs/contract.md), shared by every level."""

from __future__ import annotations

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
