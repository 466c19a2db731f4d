"""The Numba golden model: fused, parallel (``prange``) encode + AND + popcount kernels."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from typing import Any

import numba
import numpy as np
from numba import njit, prange, types
from numba.extending import intrinsic

from .._backend import Backend
from .._contract import LFSR_MASK, n_words
from .._lfsr import byte_tables
from .._threads import get_threads
from .._validate import bit_rows, tail_mask

__all__ = ["NumbaBackend"]

# Idle OpenMP workers sleep instead of spinning (a value the user set is kept). With one core
# kept busy by another process, a spinning worker that shares the caller's core held every W1
# call for whole timeslices (issue 18: 0.35 -> 28-31 ms; here 0.28 -> 137 ms; passive: 0.33 ->
# 0.49 ms). libgomp reads it when numba's OpenMP layer loads, at the first parallel launch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_ONES = np.uint64(0xFFFF_FFFF_FFFF_FFFF)
# Parallel tasks per thread in the AND-popcount loop (splits n_in when n_out is small).
_TASKS_PER_THREAD = 4
# Work (in weight words; one encoded word counts as _ENCODE_COST) worth one more thread: below
# it a launch runs on fewer threads, so small calls never wait on a busy core at the barrier.
_GRAIN = 1 << 17
_ENCODE_COST = 32


@intrinsic
def _popcount(typingctx: Any, x: Any) -> Any:
    """``llvm.ctpop.i64``: one ``popcnt`` (or ``vpopcntq`` once vectorised)."""
    if x != types.uint64:
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.ctpop(args[0])

    return types.int64(types.uint64), codegen


@njit(cache=True, inline="always")
def _threshold(p: float) -> int:
    """``clip(rint(p * 65536), 0, 65536)`` (``rint`` rounds half to even)."""
    return np.int64(min(max(np.rint(p * 65536.0), 0.0), 65536.0))


@njit(cache=True, inline="always")
def _encode_row(x: int, r: int, length: int, word: Any, jump: Any, out: Any) -> None:
    """Pack ``state_t < x`` for ``t < length`` from the state ``r = state_0`` into ``out``.

    Word ``w`` is a 16-plane bit-sliced compare: plane ``k`` holds bit ``k`` of the 64 states
    ``r_{64w} .. r_{64w+63}``, which is ``(cur << k) | (prev >> (64 - k))`` with ``cur`` the 64
    low bits those states start with (a table lookup of ``r_{64w}``) and ``prev`` the previous
    word's ``cur``; ``r`` then jumps 64 steps (another lookup).
    """
    nw = out.shape[0]
    rem = length % 64
    tail = _ONES if rem == 0 else (np.uint64(1) << np.uint64(rem)) - np.uint64(1)
    if x >= 65536 or x <= 0:
        fill = _ONES if x >= 65536 else np.uint64(0)
        for w in range(nw):
            out[w] = fill
    else:
        # Before word 0, "prev" holds bit m of state_0 at position 64 - m (m = 1 .. 15).
        prev = np.uint64(0)
        for m in range(1, 16):
            prev |= np.uint64((r >> m) & 1) << np.uint64(64 - m)
        for w in range(nw):
            cur = word[0, r & 0xFF] ^ word[1, r >> 8]
            lt = np.uint64(0)
            eq = _ONES
            for kk in range(16):
                k = 15 - kk
                if k == 0:
                    plane = cur
                else:
                    plane = (cur << np.uint64(k)) | (prev >> np.uint64(64 - k))
                xm = _ONES if (x >> k) & 1 else np.uint64(0)
                lt |= eq & ~plane & xm
                eq &= ~(plane ^ xm)
            out[w] = lt
            prev = cur
            r = jump[0, r & 0xFF] ^ jump[1, r >> 8]
    if nw:
        out[nw - 1] &= tail


@njit(cache=True, inline="always")
def _input_state(seed16: int, i: int) -> int:
    r = (seed16 + i) & 0xFFFF
    return 1 if r == 0 else r


@njit(cache=True, inline="always")
def _mac_task(weights: Any, inputs: Any, o: int, lo: int, hi: int) -> int:
    acc = 0
    for i in range(lo, hi):
        for w in range(inputs.shape[1]):
            acc += _popcount(weights[o, i, w] & inputs[i, w])
    return acc


@njit(cache=True, parallel=True)
def _encode_kernel(probs: Any, seed16: int, length: int, word: Any, jump: Any, out: Any) -> None:
    for i in prange(probs.shape[0]):
        _encode_row(_threshold(probs[i]), _input_state(seed16, i), length, word, jump, out[i])


@njit(cache=True, parallel=True)
def _mac_kernel(weights: Any, inputs: Any, n_split: int) -> Any:
    n_out, n_in = weights.shape[0], weights.shape[1]
    partial = np.zeros((n_out, n_split), dtype=np.int64)
    for task in prange(n_out * n_split):
        o, c = task // n_split, task % n_split
        partial[o, c] = _mac_task(weights, inputs, o, c * n_in // n_split,
                                  (c + 1) * n_in // n_split)
    counts = np.zeros(n_out, dtype=np.int64)
    for o in range(n_out):
        for c in range(n_split):
            counts[o] += partial[o, c]
    return counts


@njit(cache=True, parallel=True)
def _sc_counts_kernel(
    weights: Any, probs: Any, seed16: int, length: int, n_split: int, word: Any, jump: Any
) -> Any:
    """Encode the inputs (``n_in x n_words`` words) and AND-popcount them with the weights."""
    n_in, nw = weights.shape[1], weights.shape[2]
    inputs = np.empty((n_in, nw), dtype=np.uint64)
    for i in prange(n_in):
        _encode_row(_threshold(probs[i]), _input_state(seed16, i), length, word, jump, inputs[i])
    return _mac_kernel(weights, inputs, n_split)


@njit(cache=True, inline="always")
def _mac_tile(weights: Any, inputs: Any, o: int, b: int, counts: Any) -> None:
    """Counts of rows ``b .. b + 3`` and outputs ``o, o + 1`` (a 4 x 2 register tile: each
    weight word is loaded once for four input rows, each input word once for two outputs)."""
    a0 = a1 = a2 = a3 = c0 = c1 = c2 = c3 = 0
    for i in range(inputs.shape[1]):
        for w in range(inputs.shape[2]):
            w0, w1 = weights[o, i, w], weights[o + 1, i, w]
            x0, x1, x2, x3 = inputs[b, i, w], inputs[b + 1, i, w], inputs[b + 2, i, w], \
                inputs[b + 3, i, w]
            a0 += _popcount(w0 & x0)
            a1 += _popcount(w0 & x1)
            a2 += _popcount(w0 & x2)
            a3 += _popcount(w0 & x3)
            c0 += _popcount(w1 & x0)
            c1 += _popcount(w1 & x1)
            c2 += _popcount(w1 & x2)
            c3 += _popcount(w1 & x3)
    counts[b, o], counts[b + 1, o], counts[b + 2, o], counts[b + 3, o] = a0, a1, a2, a3
    counts[b, o + 1], counts[b + 1, o + 1], counts[b + 2, o + 1], counts[b + 3, o + 1] = \
        c0, c1, c2, c3


@njit(cache=True, parallel=True)
def _sc_counts_batch_kernel(
    weights: Any, probs: Any, seed16: int, length: int, word: Any, jump: Any
) -> Any:
    """Encode the ``B x n_in`` inputs (row ``b``'s input ``i`` from the state of input ``i``),
    then AND-popcount them in tasks of four rows x two outputs (rows outer, so a task's input
    tile is reused from cache by the next outputs); the edges go row by row."""
    n_rows, n_in = probs.shape
    n_out, nw = weights.shape[0], weights.shape[2]
    inputs = np.empty((n_rows, n_in, nw), dtype=np.uint64)
    for t in prange(n_rows * n_in):
        b, i = t // max(n_in, 1), t % max(n_in, 1)
        _encode_row(_threshold(probs[b, i]), _input_state(seed16, i), length, word, jump,
                    inputs[b, i])
    counts = np.zeros((n_rows, n_out), dtype=np.int64)
    n_pairs = (n_out + 1) // 2
    for task in prange((n_rows + 3) // 4 * n_pairs):
        b, o = 4 * (task // n_pairs), 2 * (task % n_pairs)
        if b + 4 <= n_rows and o + 2 <= n_out:
            _mac_tile(weights, inputs, o, b, counts)
        else:
            for r in range(b, min(b + 4, n_rows)):
                for q in range(o, min(o + 2, n_out)):
                    counts[r, q] = _mac_task(weights, inputs[r], q, 0, n_in)
    return counts


@njit(cache=True, parallel=True)
def _popcount_kernel(flat: Any) -> int:
    acc = 0
    for k in prange(flat.shape[0]):
        acc += _popcount(flat[k])
    return acc


@njit(cache=True)
def _and_kernel(a: Any, b: Any, out: Any) -> None:
    for k in range(out.shape[0]):
        out[k] = a[k] & b[k]


@njit(cache=True)
def _xnor_kernel(a: Any, b: Any, tail: Any, out: Any) -> None:
    nw = out.shape[1]
    for r in range(out.shape[0]):
        for w in range(nw):
            out[r, w] = ~(a[r, w] ^ b[r, w])
        out[r, nw - 1] &= tail


@njit(cache=True)
def _not_kernel(a: Any, tail: Any, out: Any) -> None:
    nw = out.shape[1]
    for r in range(out.shape[0]):
        for w in range(nw):
            out[r, w] = ~a[r, w]
        out[r, nw - 1] &= tail


@njit(cache=True)
def _mux_kernel(s: Any, a: Any, b: Any, tail: Any, out: Any) -> None:
    nw = out.shape[1]
    for r in range(out.shape[0]):
        for w in range(nw):
            out[r, w] = (s[r, w] & a[r, w]) | (~s[r, w] & b[r, w])
        out[r, nw - 1] &= tail


@njit(cache=True)
def _pack_kernel(bits: Any, out: Any) -> None:
    n = bits.shape[1]
    for r in range(out.shape[0]):
        for w in range(out.shape[1]):
            word = np.uint64(0)
            for j in range(min(64, n - 64 * w)):
                word |= np.uint64(bits[r, 64 * w + j] & 1) << np.uint64(j)
            out[r, w] = word


@njit(cache=True)
def _unpack_kernel(words: Any, out: Any) -> None:
    for r in range(out.shape[0]):
        for t in range(out.shape[1]):
            out[r, t] = np.uint8((words[r, t >> 6] >> np.uint64(t & 63)) & np.uint64(1))


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray]:
    word, jump = byte_tables()
    word.setflags(write=False)
    jump.setflags(write=False)
    return word, jump


@contextlib.contextmanager
def _threads_for(work: int) -> Iterator[None]:
    """Run the enclosed launches on ``ceil(work / _GRAIN)`` threads at most, and never more than
    :func:`golden.get_threads` (numba's thread count is thread-local, so this touches neither
    other threads nor the caller's setting)."""
    before = numba.get_num_threads()
    wanted = max(1, min(before, get_threads(), -(-work // _GRAIN)))
    if wanted == before:
        yield
        return
    numba.set_num_threads(wanted)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _n_split(n_out: int, n_in: int) -> int:
    """Chunks of ``n_in`` per output so that a small ``n_out`` still feeds every thread."""
    tasks = _TASKS_PER_THREAD * numba.get_num_threads()
    if n_out >= tasks or n_in <= 1:
        return 1
    return min(n_in, -(-tasks // max(n_out, 1)))


def _rows(arr: np.ndarray) -> np.ndarray:
    """``(..., n_words)`` as a C-contiguous ``(rows, n_words)`` array."""
    return np.ascontiguousarray(arr).reshape(-1, arr.shape[-1])


def _tail_op(kernel: Any, operands: tuple[np.ndarray, ...], tail: int) -> np.ndarray:
    shape = operands[0].shape
    out = np.empty((int(np.prod(shape[:-1])), shape[-1]), dtype=np.uint64)
    if out.size:
        kernel(*(_rows(x) for x in operands), np.uint64(tail), out)
    return out.reshape(shape)


class NumbaBackend(Backend):
    """The contract in Numba: every op is a compiled kernel (``cache=True``), bit-identical to
    the NumPy floor; ``sc_counts`` encodes the inputs and AND-popcounts them in one parallel
    kernel without temporaries the size of the weights."""

    name = "numba"

    @classmethod
    def unavailable_reason(cls) -> str | None:
        return None  # the module imported numba, so it runs

    def _sc_counts_impl(
        self, weights: np.ndarray, probs: np.ndarray, length: int, seed: int
    ) -> np.ndarray:
        if not weights.dtype.isnative:
            weights = weights.astype(np.uint64)  # byte-swapped input: the one copy
        n_out, n_in, nw = weights.shape
        word, jump = _tables()
        with _threads_for(n_out * n_in * nw + _ENCODE_COST * n_in * nw):
            return _sc_counts_kernel(weights, probs, seed & LFSR_MASK, length,
                                     _n_split(n_out, n_in), word, jump)

    def _sc_counts_batch_impl(
        self, weights: np.ndarray, probs: np.ndarray, length: int, seed: int
    ) -> np.ndarray:
        if not weights.dtype.isnative:
            weights = weights.astype(np.uint64)
        n_rows, n_in = probs.shape
        nw = weights.shape[2]
        word, jump = _tables()
        with _threads_for(n_rows * weights.size + _ENCODE_COST * n_rows * n_in * nw):
            return _sc_counts_batch_kernel(weights, np.ascontiguousarray(probs),
                                           seed & LFSR_MASK, length, word, jump)

    def _encode_inputs_impl(self, probs: np.ndarray, length: int, seed: int) -> np.ndarray:
        out = np.empty((probs.shape[0], n_words(length)), dtype=np.uint64)
        word, jump = _tables()
        with _threads_for(_ENCODE_COST * out.size):
            _encode_kernel(probs, seed & LFSR_MASK, length, word, jump, out)
        return out

    def _pack_bitstream_impl(self, bits: np.ndarray) -> np.ndarray:
        flat = bit_rows(bits)
        out = np.empty((flat.shape[0], n_words(flat.shape[1])), dtype=np.uint64)
        _pack_kernel(flat, out)
        return out.reshape(-1) if bits.ndim == 1 else out

    def _unpack_bitstream_impl(
        self, rows: np.ndarray, length: int, shape: tuple[int, ...]
    ) -> np.ndarray:
        out = np.empty((rows.shape[0], length), dtype=np.uint8)
        _unpack_kernel(rows, out)
        return out.reshape(shape)

    def _vec_and_impl(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = np.empty(a.shape, dtype=np.uint64)
        _and_kernel(np.ravel(a), np.ravel(b), out.reshape(-1))
        return out

    def _vec_xnor_impl(self, a: np.ndarray, b: np.ndarray, length: int) -> np.ndarray:
        return _tail_op(_xnor_kernel, (a, b), tail_mask(length))

    def _vec_not_impl(self, a: np.ndarray, length: int) -> np.ndarray:
        return _tail_op(_not_kernel, (a,), tail_mask(length))

    def _vec_mux_impl(
        self, sel: np.ndarray, a: np.ndarray, b: np.ndarray, length: int
    ) -> np.ndarray:
        return _tail_op(_mux_kernel, (sel, a, b), tail_mask(length))

    def _vec_popcount_impl(self, words: np.ndarray) -> int:
        if not words.dtype.isnative:
            words = words.astype(np.uint64)
        with _threads_for(words.size):
            return int(_popcount_kernel(np.ravel(words)))

    def _vec_mac_impl(self, weights: np.ndarray, inputs: np.ndarray) -> np.ndarray:
        with _threads_for(weights.size):
            return _mac_kernel(weights, inputs, _n_split(weights.shape[0], weights.shape[1]))
