"""The JAX golden model: jit-compiled kernels in a thread-local 64-bit scope (CPU or GPU)."""

from __future__ import annotations

import contextlib
import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._backend import Backend
from .._contract import LFSR_MASK, WORD_BITS, n_words
from .._encode import aligned
from .._lfsr import word_columns, word_jump_powers
from .._validate import bit_rows

__all__ = ["JaxBackend", "to_host", "to_jax"]

_FULL = 0xFFFF_FFFF_FFFF_FFFF


def x64_scope() -> contextlib.AbstractContextManager:
    """64-bit types for the current thread only; JAX's global setting is left as it is."""
    scope = getattr(jax, "enable_x64", None)  # jax >= 0.6: a thread-local config context
    if scope is not None:
        return scope(True)
    from jax.experimental import enable_x64  # older jax

    return enable_x64(True)


def _with_x64(method: Any) -> Any:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with x64_scope():
            return method(*args, **kwargs)

    return wrapper


def _aligned_host(arr: np.ndarray) -> np.ndarray:
    """``arr`` as a C-contiguous, native, 64-byte aligned array (a copy only when it is not)."""
    return aligned(arr)


def _put(arr: np.ndarray) -> jax.Array:
    """Host array -> default device; on CPU, 64-byte aligned input is used in place (XLA:CPU
    aliases only such buffers); anything else is copied once, here."""
    if jax.default_backend() == "cpu":
        arr = _aligned_host(arr)
    return jax.device_put(arr)


def to_jax(array: Any) -> jax.Array:
    """An array on JAX's default device, dtype kept (uint64 and float64 too, whatever the global
    ``jax_enable_x64`` says).

    Parameters
    ----------
    array : array_like
        E.g. packed uint64 words ``(..., n_words)``.

    Returns
    -------
    jax.Array
        Same shape and dtype; a ``jax.Array`` is returned as it is.
    """
    if isinstance(array, jax.Array):
        return array
    with x64_scope():
        return _put(np.asarray(array))


def to_host(array: Any) -> np.ndarray:
    """A NumPy host array of ``array`` (``jax.Array`` or array_like), same shape and dtype."""
    if isinstance(array, jax.Array):
        return np.asarray(jax.device_get(array))
    return np.asarray(array)


# --------------------------------------------------------------------------------------------
# Kernels (called inside x64_scope). Shapes are static; length and seed are traced, so a new
# length with the same number of words reuses the compiled kernel. Small operands are padded to
# power-of-two "buckets" (see _bucket) so that a stream of differently shaped small calls
# compiles a handful of kernels, not one per shape.
# --------------------------------------------------------------------------------------------


def _u64(value: int) -> jax.Array:
    return jnp.asarray(np.uint64(value))


def _apply_columns(columns: tuple[int, ...], r: jax.Array) -> jax.Array:
    """GF(2) map with the given 16 column images, applied to int32 states ``r``."""
    out = jnp.zeros_like(r)
    for j, col in enumerate(columns):
        out = out ^ jnp.where(((r >> j) & 1) == 1, jnp.int32(col), jnp.int32(0))
    return out


def _tail_and_last(length: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Mask of the valid bits of the last word, and that word's index, for a traced length."""
    rem = (length % WORD_BITS).astype(jnp.uint64)
    tail = jnp.where(rem == 0, _u64(_FULL), (_u64(1) << rem) - _u64(1))
    return tail, (length - 1) // WORD_BITS


@functools.partial(jax.jit, static_argnames=("nw",))
def _encode(probs: jax.Array, seed16: jax.Array, length: jax.Array, *, nw: int) -> jax.Array:
    """uint64 ``(n, nw)`` packed streams (words past ``length`` are zero); word ``w`` is a
    16-plane bit-sliced compare that needs only the state ``r_{64w}``, reached from the input's
    seed by binary powering of the 64-step jump."""
    n = probs.shape[0]
    x = jnp.clip(jnp.rint(probs * 65536.0), 0, 65536).astype(jnp.int32)[:, None]
    r0 = ((seed16 + jnp.arange(n, dtype=jnp.int64)) & LFSR_MASK).astype(jnp.int32)
    r0 = jnp.where(r0 == 0, 1, r0)
    w = jnp.arange(nw, dtype=jnp.int64)[None, :]
    r = jnp.broadcast_to(r0[:, None], (n, nw))
    for b, cols in enumerate(word_jump_powers(max(1, (nw - 1).bit_length()))):
        r = jnp.where(((w >> b) & 1) == 1, _apply_columns(cols, r), r)
    zero, full = _u64(0), _u64(_FULL)
    cur = jnp.zeros(r.shape, dtype=jnp.uint64)  # bits a_{64w} .. a_{64w+63}
    for j, col in enumerate(word_columns()):
        cur = cur ^ jnp.where(((r >> j) & 1) == 1, _u64(col), zero)
    prev = jnp.zeros(r.shape, dtype=jnp.uint64)  # bit m of r_{64w} at position 64 - m
    for m in range(1, 16):
        prev = prev | jnp.where(((r >> m) & 1) == 1, _u64(1 << (64 - m)), zero)
    lt, eq = jnp.zeros_like(cur), jnp.full_like(cur, full)
    for k in range(15, -1, -1):
        plane = cur if k == 0 else (cur << _u64(k)) | (prev >> _u64(64 - k))
        xm = jnp.where(((x >> k) & 1) == 1, full, zero)
        lt = lt | (eq & ~plane & xm)
        eq = eq & ~(plane ^ xm)
    words = jnp.where(x >= 65536, full, jnp.where(x <= 0, zero, lt))
    tail, last = _tail_and_last(length)
    return jnp.where(w < last, words, jnp.where(w == last, words & tail, zero))


def _mac_impl(weights: jax.Array, inputs: jax.Array, by_rows: bool) -> jax.Array:
    """``counts[o] = sum popcount(weights[o] & inputs)`` as int64 ``(n_out,)``.

    ``by_rows`` (XLA:CPU): one output row per scan step, so each reduction stays in cache and no
    popcount temporary the size of the weights is materialised; otherwise (GPU) one fused
    reduction over the whole array.
    """
    if by_rows:
        flat = inputs.reshape(-1)

        def row(carry: None, w: jax.Array) -> tuple[None, jax.Array]:
            return carry, jnp.sum(lax.population_count(w.reshape(-1) & flat))

        _, counts = lax.scan(row, None, weights)
        return counts.astype(jnp.int64)
    counts = lax.population_count(weights & inputs[None])
    return jnp.sum(jnp.sum(counts, axis=2), axis=1).astype(jnp.int64)


@functools.partial(jax.jit, static_argnames=("by_rows",))
def _mac(weights: jax.Array, inputs: jax.Array, *, by_rows: bool) -> jax.Array:
    return _mac_impl(weights, inputs, by_rows)


def _by_rows() -> bool:
    return jax.default_backend() == "cpu"


def _masked(words: jax.Array, length: jax.Array) -> jax.Array:
    """Zero the bits past ``length`` in the last valid word and every word after it."""
    tail, last = _tail_and_last(length)
    col = jnp.arange(words.shape[-1])
    mask = jnp.where(col < last, _u64(_FULL), jnp.where(col == last, tail, _u64(0)))
    return words & mask


@jax.jit
def _and(a: jax.Array, b: jax.Array) -> jax.Array:
    return a & b


@jax.jit
def _xnor(a: jax.Array, b: jax.Array, length: jax.Array) -> jax.Array:
    return _masked(~(a ^ b), length)


@jax.jit
def _not(a: jax.Array, length: jax.Array) -> jax.Array:
    return _masked(~a, length)


@jax.jit
def _mux(s: jax.Array, a: jax.Array, b: jax.Array, length: jax.Array) -> jax.Array:
    return _masked((s & a) | (~s & b), length)


@jax.jit
def _popcount(words: jax.Array) -> jax.Array:
    return jnp.sum(lax.population_count(words).ravel()).astype(jnp.int64)


@jax.jit
def _pack(bits: jax.Array) -> jax.Array:
    """uint8 ``(B, 64 * nw)`` (already zero-padded) -> uint64 ``(B, nw)``."""
    rows, n = bits.shape
    shifts = jnp.arange(WORD_BITS, dtype=jnp.uint64)
    words = bits.astype(jnp.uint64).reshape(rows, n // WORD_BITS, WORD_BITS) << shifts
    return jnp.sum(words, axis=-1, dtype=jnp.uint64)  # distinct bits: the sum is the OR


@jax.jit
def _unpack(words: jax.Array) -> jax.Array:
    shifts = jnp.arange(WORD_BITS, dtype=jnp.uint64)
    bits = (words[:, :, None] >> shifts) & _u64(1)
    return bits.reshape(words.shape[0], -1).astype(jnp.uint8)


# Operands up to this many elements are padded to power-of-two shapes (a cheap host copy that
# saves a compile per new shape); larger ones keep their shape (no copy, compile amortised).
_BUCKET_LIMIT = 1 << 16
# Smallest bucket of a row axis and of the word axis while the padded operand stays within
# the limit: small operands cost microseconds whatever their padding, while every distinct
# shape costs a compile (~0.3-1 s on XLA:CPU), so few coarse buckets pay (the golden
# comparison's 255 cases: 96 compiled shapes with plain powers of two, 16 with these floors).
_MIN_ROWS, _MIN_WORDS = 32, 64


def _bucket(n: int, floor: int = 1) -> int:
    return 0 if n == 0 else max(floor, 1 << (n - 1).bit_length())


def _bucketed(arr: np.ndarray, multiple: tuple[int, ...] = ()) -> np.ndarray:
    """``arr`` zero-padded at the end of each axis to a power of two (times ``multiple``; at
    least ``_MIN_ROWS`` rows and ``_MIN_WORDS`` words where that stays small) when the result
    stays small; else ``arr`` itself."""
    mult = (1,) * (arr.ndim - len(multiple)) + tuple(multiple)
    floors = (_MIN_ROWS,) * (arr.ndim - 1) + (_MIN_WORDS,)
    shape = tuple(_bucket(-(-n // m), f) * m
                  for n, m, f in zip(arr.shape, mult, floors, strict=True))
    if int(np.prod(shape)) > _BUCKET_LIMIT:
        shape = tuple(_bucket(-(-n // m)) * m for n, m in zip(arr.shape, mult, strict=True))
    if shape == arr.shape or int(np.prod(shape)) > _BUCKET_LIMIT:
        return arr
    out = np.zeros(shape, dtype=arr.dtype.newbyteorder("="))
    out[tuple(slice(0, n) for n in arr.shape)] = arr
    return out


def _rows(arr: np.ndarray) -> np.ndarray:
    """``(..., n_words)`` -> ``(rows, n_words)``, bucketed."""
    return _bucketed(arr.reshape(-1, arr.shape[-1]))


def _owned(arr: Any) -> np.ndarray:
    """A writable, C-contiguous NumPy copy (``np.asarray`` of a ``jax.Array`` is read-only)."""
    return np.array(arr, order="C", copy=True)


def _tail_result(out: jax.Array, shape: tuple[int, ...]) -> np.ndarray:
    rows = int(np.prod(shape[:-1]))
    return _owned(np.asarray(out)[:rows, : shape[-1]].reshape(shape))


class JaxBackend(Backend):
    """The contract in JAX: jit-compiled, on JAX's default device (CPU here, GPU where present).

    Every call runs in a thread-local 64-bit scope (:func:`x64_scope`); the global
    ``jax_enable_x64`` is never changed. Ops take array_like (NumPy or ``jax.Array``; uint64
    ``jax.Array`` weights of ``sc_counts`` and words of ``vec_popcount`` stay on the device)
    and return NumPy host arrays.
    """

    name = "jax"

    @classmethod
    def unavailable_reason(cls) -> str | None:
        return None  # the module imported jax, so it runs (on CPU at least)

    def _host(self, array: Any) -> Any:
        return np.asarray(jax.device_get(array)) if isinstance(array, jax.Array) else array

    def _resident(self, array: Any) -> Any:
        return array if isinstance(array, jax.Array) and array.dtype == np.uint64 else None

    @_with_x64
    def _sc_counts_impl(self, weights: Any, probs: np.ndarray, length: int, seed: int) -> Any:
        n_out = weights.shape[0]
        # zero padding of host weights: zero weights count nothing
        dev = weights if isinstance(weights, jax.Array) else _put(_bucketed(weights))
        # Padded inputs have p = 0 (all-zero streams); input i's stream does not depend on n_in.
        padded = np.zeros(dev.shape[1], dtype=np.float64)
        padded[: probs.shape[0]] = probs
        # Two dispatches on purpose: inside one jit XLA fuses the encoder into the reduction
        # and redoes it for every output row (an optimization_barrier does not stop it).
        inputs = _encode(jnp.asarray(padded), jnp.int64(seed & LFSR_MASK), jnp.int64(length),
                         nw=dev.shape[2])
        return _owned(np.asarray(_mac(dev, inputs, by_rows=_by_rows()))[:n_out])

    @_with_x64
    def _sc_counts_batch_impl(
        self, weights: Any, probs: np.ndarray, length: int, seed: int
    ) -> np.ndarray:
        from ._jax_batch import counts_batch

        dev = weights if isinstance(weights, jax.Array) else _put(_bucketed(weights))
        return counts_batch(dev, probs, length, seed, weights.shape[0], _by_rows())

    @_with_x64
    def _encode_inputs_impl(self, probs: np.ndarray, length: int, seed: int) -> np.ndarray:
        n, nw = probs.shape[0], n_words(length)
        small = _bucket(n) * _bucket(nw) <= _BUCKET_LIMIT
        nwp = _bucket(nw) if small else nw
        padded = _bucketed(probs) if small else probs
        words = _encode(jnp.asarray(padded), jnp.int64(seed & LFSR_MASK), jnp.int64(length),
                        nw=nwp)
        return _owned(np.asarray(words)[:n, :nw])

    @_with_x64
    def _pack_bitstream_impl(self, bits: np.ndarray) -> np.ndarray:
        flat = bit_rows(bits)
        rows, n = flat.shape
        nw = n_words(n)
        full = np.zeros((rows, nw * WORD_BITS), dtype=np.uint8)
        full[:, :n] = flat
        out = np.asarray(_pack(jnp.asarray(_bucketed(full, (WORD_BITS,)))))[:rows, :nw]
        return _owned(out.reshape(-1) if bits.ndim == 1 else out)

    @_with_x64
    def _unpack_bitstream_impl(
        self, rows: np.ndarray, length: int, shape: tuple[int, ...]
    ) -> np.ndarray:
        bits = np.asarray(_unpack(_put(_bucketed(rows))))
        return _owned(bits[: rows.shape[0], :length].reshape(shape))

    @_with_x64
    def _vec_and_impl(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = np.asarray(_and(_put(_bucketed(a.ravel())), _put(_bucketed(b.ravel()))))
        return _owned(out[: a.size].reshape(a.shape))

    @_with_x64
    def _vec_xnor_impl(self, a: np.ndarray, b: np.ndarray, length: int) -> np.ndarray:
        out = _xnor(_put(_rows(a)), _put(_rows(b)), jnp.int64(length))
        return _tail_result(out, a.shape)

    @_with_x64
    def _vec_not_impl(self, a: np.ndarray, length: int) -> np.ndarray:
        return _tail_result(_not(_put(_rows(a)), jnp.int64(length)), a.shape)

    @_with_x64
    def _vec_mux_impl(
        self, sel: np.ndarray, a: np.ndarray, b: np.ndarray, length: int
    ) -> np.ndarray:
        out = _mux(_put(_rows(sel)), _put(_rows(a)), _put(_rows(b)), jnp.int64(length))
        return _tail_result(out, sel.shape)

    @_with_x64
    def _vec_popcount_impl(self, words: Any) -> int:
        if not isinstance(words, jax.Array):
            if not words.dtype.isnative:
                words = words.astype(np.uint64)
            words = _put(_bucketed(words.ravel()))
        return int(_popcount(words))

    @_with_x64
    def _vec_mac_impl(self, weights: np.ndarray, inputs: np.ndarray) -> np.ndarray:
        # Zero padding of both operands adds nothing to any count.
        wp = _bucketed(weights)
        xp = inputs if wp.shape[1:] == inputs.shape else np.zeros(wp.shape[1:], dtype=np.uint64)
        if xp is not inputs:
            xp[: inputs.shape[0], : inputs.shape[1]] = inputs
        counts = _mac(_put(wp), _put(xp), by_rows=_by_rows())
        return _owned(np.asarray(counts)[: weights.shape[0]])

    @staticmethod
    def to_jax(array: Any) -> jax.Array:
        """See :func:`to_jax`."""
        return to_jax(array)

    @staticmethod
    def to_host(array: Any) -> np.ndarray:
        """See :func:`to_host`."""
        return to_host(array)
