"""The contract's 16-bit Fibonacci LFSR: step, sequence, GF(2) jump-ahead and the orbit table."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ._contract import LFSR_BITS, LFSR_MASK, LFSR_PERIOD
from ._validate import _is_int, check_int

__all__ = [
    "byte_tables",
    "jump_columns",
    "lfsr_jump",
    "lfsr_jump_matrix",
    "lfsr_sequence",
    "lfsr_step",
    "orbit_index",
    "orbit_table",
    "word_columns",
    "word_jump_powers",
]


def _check_state(state: Any, name: str = "state") -> Any:
    """Return a state (int or integer array) after checking it lies in ``[0, 0xFFFF]``."""
    if _is_int(state):
        state = int(state)
        if not 0 <= state <= LFSR_MASK:
            raise ValueError(f"{name} must be in [0, 0xFFFF], got {state}")
        return state
    arr = np.asarray(state)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an int or an integer array, got {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() > LFSR_MASK):
        bad = arr[(arr < 0) | (arr > LFSR_MASK)].flat[0]
        raise ValueError(f"{name} must be in [0, 0xFFFF], got {bad}")
    return arr.astype(np.uint16)


def lfsr_step(state: Any) -> Any:
    """Advance the LFSR by one step.

    ``fb = (r>>15 ^ r>>13 ^ r>>12 ^ r>>10) & 1; r' = ((r << 1) | fb) & 0xFFFF``.

    Parameters
    ----------
    state : int or array_like of int
        State(s) in ``[0, 0xFFFF]``; 0 is the lock-up state and maps to 0.

    Returns
    -------
    int or numpy.ndarray
        The next state(s): an int for an int, else uint16 of the same shape.
    """
    s = _check_state(state)
    if isinstance(s, np.ndarray):
        s = s.astype(np.uint32)
    fb = ((s >> 15) ^ (s >> 13) ^ (s >> 12) ^ (s >> 10)) & 1
    out = ((s << 1) | fb) & LFSR_MASK
    return out.astype(np.uint16) if isinstance(out, np.ndarray) else int(out)


def _apply(columns: tuple[int, ...], s: Any) -> Any:
    """Multiply GF(2) matrix (given by its 16 column images) by the state vector(s) ``s``."""
    out = s * 0
    for j, col in enumerate(columns):
        out ^= ((s >> j) & 1) * col
    return out


def _compose(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """Columns of the product ``a @ b`` (apply ``b`` first)."""
    return tuple(_apply(a, col) for col in b)


_STEP_COLUMNS = tuple(lfsr_step(1 << j) for j in range(LFSR_BITS))
_IDENTITY = tuple(1 << j for j in range(LFSR_BITS))


@functools.lru_cache(maxsize=64)
def _power(k: int) -> tuple[int, ...]:
    result, base = _IDENTITY, _STEP_COLUMNS
    while k:
        if k & 1:
            result = _compose(base, result)
        base = _compose(base, base)
        k >>= 1
    return result


def lfsr_jump_matrix(k: int) -> np.ndarray:
    """The GF(2) matrix ``M**k`` that advances a state by ``k`` steps.

    Parameters
    ----------
    k : int
        Number of steps, ``k >= 0`` (any size; reduced modulo the period 65535).

    Returns
    -------
    numpy.ndarray
        uint16 ``(16,)``: entry ``j`` is the image of the state ``1 << j``; a state ``r`` maps to
        the XOR of the entries whose bit is set in ``r``.
    """
    k = check_int(k, "k")
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    return np.array(_power(int(k) % LFSR_PERIOD), dtype=np.uint16)


def lfsr_jump(state: Any, k: int) -> Any:
    """Advance the LFSR by ``k`` steps at once (GF(2) matrix power), equal to ``k`` steps.

    Parameters
    ----------
    state : int or array_like of int
        State(s) in ``[0, 0xFFFF]``.
    k : int
        Number of steps, ``k >= 0``.

    Returns
    -------
    int or numpy.ndarray
        An int for an int, else uint16 of the same shape.
    """
    s = _check_state(state)
    columns = tuple(int(c) for c in lfsr_jump_matrix(k))
    if isinstance(s, np.ndarray):
        return _apply(columns, s.astype(np.uint32)).astype(np.uint16)
    return int(_apply(columns, s))


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray]:
    orbit = np.empty(LFSR_PERIOD, dtype=np.uint32)
    orbit[0] = 1
    n = 1
    while n < LFSR_PERIOD:  # doubling: states[n:2n] = M**n states[0:n]; 16 rounds
        m = min(n, LFSR_PERIOD - n)
        orbit[n : n + m] = _apply(_power(n), orbit[:m])
        n += m
    orbit = orbit.astype(np.uint16)
    index = np.full(1 << LFSR_BITS, -1, dtype=np.int64)
    index[orbit] = np.arange(LFSR_PERIOD, dtype=np.int64)
    orbit.setflags(write=False)
    index.setflags(write=False)
    return orbit, index


def orbit_table() -> np.ndarray:
    """The whole period from state 1: ``orbit[t]`` is the state ``t`` steps after 1.

    Returns
    -------
    numpy.ndarray
        Read-only uint16 ``(65535,)`` (128 KiB); every nonzero state exactly once.
    """
    return _tables()[0]


def orbit_index() -> np.ndarray:
    """Inverse of :func:`orbit_table`: ``index[state]`` is its position, ``index[0] == -1``.

    Returns
    -------
    numpy.ndarray
        Read-only int64 ``(65536,)``.
    """
    return _tables()[1]


def lfsr_sequence(seed: int, n: int) -> np.ndarray:
    """The first ``n`` states from ``seed``: ``out[0] == seed``, ``out[t+1] == lfsr_step(out[t])``.

    Parameters
    ----------
    seed : int
        Start state in ``[0, 0xFFFF]`` (0 stays 0).
    n : int
        Number of states, ``n >= 0``.

    Returns
    -------
    numpy.ndarray
        uint16 ``(n,)``.
    """
    seed = _check_state(seed, "seed")
    if not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    n = check_int(n, "n")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if seed == 0:
        return np.zeros(int(n), dtype=np.uint16)
    orbit, index = _tables()
    return orbit[(index[seed] + np.arange(int(n), dtype=np.int64)) % LFSR_PERIOD]


# ---- word-level linear maps, for bit-sliced encoders (numba, jax, cupy kernels)
#
# With a_t = bit 0 of the state r_t, bit k of r_t is a_{t-k}. So the 64 stream states of word w
# are fixed by r_{64w}: bit plane k of the word (bit j = bit k of r_{64w+j}) is
# (A << k) | (B >> (64 - k)), where A = a_{64w..64w+63} is a linear image of r_{64w} and B holds
# bit m of r_{64w} at position 64 - m. ``state < x`` is then a 16-plane bit-sliced compare.


def jump_columns(k: int) -> tuple[int, ...]:
    """Images of the 16 unit states after ``k >= 0`` steps: the columns of ``M**k``."""
    return _power(k % LFSR_PERIOD)


@functools.lru_cache(maxsize=8)
def word_jump_powers(levels: int) -> tuple[tuple[int, ...], ...]:
    """Columns of ``M**(64 * 2**b)`` for ``b < levels``: jump ``w`` words by the bits of ``w``."""
    powers = [jump_columns(64)]
    for _ in range(1, levels):
        powers.append(_compose(powers[-1], powers[-1]))
    return tuple(powers[:levels])


@functools.lru_cache(maxsize=1)
def word_columns() -> tuple[int, ...]:
    """For each unit state ``1 << j``: the 64 bits ``a_0..a_63`` (bit 0 of each state) it starts."""
    cols = []
    for j in range(LFSR_BITS):
        r, word = 1 << j, 0
        for t in range(64):
            word |= (r & 1) << t
            r = lfsr_step(r)
        cols.append(word)
    return tuple(cols)


def byte_tables() -> tuple[np.ndarray, np.ndarray]:
    """Byte-indexed tables of the two linear maps of a state ``r``.

    Returns
    -------
    word : numpy.ndarray
        uint64 ``(2, 256)``: ``word[0, r & 255] ^ word[1, r >> 8]`` = bits ``a_0..a_63``.
    jump : numpy.ndarray
        int64 ``(2, 256)``: ``jump[0, r & 255] ^ jump[1, r >> 8]`` = the state 64 steps later.
    """
    word_cols, jump_cols = word_columns(), jump_columns(64)
    word = np.zeros((2, 256), dtype=np.uint64)
    jump = np.zeros((2, 256), dtype=np.int64)
    for half in range(2):
        for b in range(256):
            r = b << (8 * half)
            word[half, b] = _apply(word_cols, r)
            jump[half, b] = _apply(jump_cols, r)
    return word, jump
