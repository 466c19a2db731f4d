"""The CuPy golden model (CUDA kernels with ``__popcll``) and the op argument checks it shares."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ._backend import Backend
from ._contract import DEFAULT_SEED, LFSR_MASK, LFSR_PERIOD, WORD_BITS, n_words
from ._validate import _is_int, check_length, check_probs, check_sc_args, check_seed, check_words
from ._vector_ops import _same_shape

__all__ = ["CupyBackend", "to_device", "to_host"]

# ---------------------------------------------------------------------------------------------
# Argument checks of the packed-word ops, in the NumPy floor's order and with its messages
# (golden/_vector_ops.py). The numba and jax backends import them from here because this module
# imports nothing heavy; they only check and reshape arguments, they compute nothing.
# ---------------------------------------------------------------------------------------------


def native_words(words: Any, name: str) -> np.ndarray:
    """``check_words`` and then native byte order (a copy only for byte-swapped input).

    Returns
    -------
    numpy.ndarray
        uint64 in native byte order, any strides.
    """
    arr = check_words(words, name)
    if not arr.dtype.isnative:
        arr = arr.astype(np.uint64)
    return arr


def shape_stand_in(shape: tuple[int, ...]) -> np.ndarray:
    """A zero-strided uint64 host array of ``shape`` (no memory): lets ``check_sc_args`` check
    the shape of device weights, in its order, without copying them to the host."""
    return np.lib.stride_tricks.as_strided(np.zeros(1, np.uint64), shape, (0,) * len(shape))


def check_tail(shape: tuple[int, ...], length: Any, name: str) -> tuple[int, int]:
    """The checks of the floor's ``_tail_mask``: ``length``, rank >= 1, ``n_words``.

    Returns
    -------
    length : int
    tail : int
        Mask of the valid bits of the last word (all ones when ``length % 64 == 0``).
    """
    length = check_length(length)
    if len(shape) == 0:
        raise ValueError(f"{name} must have at least 1 dimension (n_words,), got a scalar")
    need = n_words(length)
    if shape[-1] != need:
        raise ValueError(
            f"{name} has n_words={shape[-1]} but length={length} needs ceil(length/64)={need}"
        )
    rem = length % WORD_BITS
    return length, ((1 << rem) - 1) if rem else (1 << WORD_BITS) - 1


def check_pair(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    """Checks of ``vec_and`` / ``vec_xnor``: both packed words, same shape."""
    wa, wb = native_words(a, "a"), native_words(b, "b")
    _same_shape(("a", "b"), (wa, wb))
    return wa, wb


def check_triple(sel: Any, a: Any, b: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checks of ``vec_mux``: three packed operands of one shape."""
    ws, wa, wb = native_words(sel, "sel"), native_words(a, "a"), native_words(b, "b")
    _same_shape(("sel", "a", "b"), (ws, wa, wb))
    return ws, wa, wb


def check_bits(bits: Any) -> np.ndarray:
    """Checks of ``pack_bitstream``; returns the bits as C-contiguous uint8 ``(B, N)``.

    Raises
    ------
    TypeError
        For a dtype other than bool or integer.
    ValueError
        For a rank other than 1 or 2, or a value other than 0 and 1.
    """
    arr = np.asarray(bits)
    if arr.dtype.kind not in "biu":
        raise TypeError(f"bits must be a bool or integer array of 0/1, got dtype {arr.dtype}")
    if arr.ndim not in (1, 2):
        raise ValueError(f"bits must be 1-D (N,) or 2-D (B, N), got {arr.ndim}-D")
    if arr.dtype.kind != "b":
        bad = (arr != 0) & (arr != 1)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"bits must be 0 or 1, got {arr[where]} at index {where}")
    rows = 1 if arr.ndim == 1 else arr.shape[0]
    return np.ascontiguousarray(arr.reshape(rows, arr.shape[-1]), dtype=np.uint8)


def check_unpack(
    packed: Any, original_length: Any, original_shape: Any
) -> tuple[np.ndarray, int, tuple[int, ...]]:
    """Checks of ``unpack_bitstream``.

    Returns
    -------
    words : numpy.ndarray
        Native uint64 ``(B, n_words)`` (1-D input becomes ``B = 1``).
    length : int
        ``original_length``.
    shape : tuple of int
        Shape of the result: ``(N,)``, ``(B, N)`` or ``original_shape``.
    """
    words = native_words(packed, "packed")
    if words.ndim not in (1, 2):
        raise ValueError(f"packed must be 1-D (n_words,) or 2-D (B, n_words), got {words.ndim}-D")
    if not _is_int(original_length):
        raise TypeError(
            f"original_length must be an int, got {type(original_length).__name__} "
            f"{original_length!r}"
        )
    if original_length < 0:
        raise ValueError(f"original_length must be >= 0, got {original_length}")
    length = int(original_length)
    need = n_words(length)
    if words.shape[-1] != need:
        raise ValueError(
            f"packed has n_words={words.shape[-1]} but original_length={original_length} "
            f"needs ceil(original_length/64)={need}"
        )
    natural = words.shape[:-1] + (length,)
    if original_shape is not None:
        shape = tuple(int(s) for s in original_shape)
        size = int(np.prod(natural))
        if int(np.prod(shape)) != size:
            raise ValueError(f"original_shape {shape} does not hold {size} bits ({natural})")
        natural = shape
    rows = 1 if words.ndim == 1 else words.shape[0]
    return words.reshape(rows, words.shape[-1]), length, natural


def check_mac(packed_weights: Any, packed_inputs: Any) -> tuple[np.ndarray, np.ndarray]:
    """Checks of ``vec_mac``: weights ``(n_out, n_in, n_words)``, inputs ``(n_in, n_words)``."""
    w = native_words(packed_weights, "packed_weights")
    x = native_words(packed_inputs, "packed_inputs")
    if w.ndim != 3:
        raise ValueError(f"packed_weights must be 3-D (n_out, n_in, n_words), got {w.ndim}-D")
    if x.ndim != 2:
        raise ValueError(f"packed_inputs must be 2-D (n_in, n_words), got {x.ndim}-D")
    if w.shape[1:] != x.shape:
        raise ValueError(
            f"packed_weights (n_out, n_in, n_words)={w.shape} does not match "
            f"packed_inputs (n_in, n_words)={x.shape}"
        )
    return w, x


# ---------------------------------------------------------------------------------------------
# The LFSR as GF(2) linear maps (plain Python ints; tiny, computed once).
#
# With a_t = bit 0 of the state r_t, bit k of r_t is a_{t-k}. So the 64 stream states of word w
# are fixed by r_{64w}: bit plane k of the word (bit j = bit k of r_{64w+j}) is
# (A << k) | (B >> (64 - k)), where A = a_{64w..64w+63} is a linear image of r_{64w} and B
# holds bit m of r_{64w} at position 64 - m. ``state < x`` is then a 16-plane bit-sliced compare.
# ---------------------------------------------------------------------------------------------


def lfsr_step_int(r: int) -> int:
    """One LFSR step on a Python int (the contract's formula)."""
    fb = ((r >> 15) ^ (r >> 13) ^ (r >> 12) ^ (r >> 10)) & 1
    return ((r << 1) | fb) & LFSR_MASK


def _apply_columns(columns: tuple[int, ...], r: int) -> int:
    out = 0
    for j, col in enumerate(columns):
        if (r >> j) & 1:
            out ^= col
    return out


def _compose(outer: tuple[int, ...], inner: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(_apply_columns(outer, c) for c in inner)


@functools.lru_cache(maxsize=64)
def jump_columns(k: int) -> tuple[int, ...]:
    """Images of the 16 unit states after ``k >= 0`` LFSR steps (columns of ``M**k``, GF(2))."""
    k %= LFSR_PERIOD  # M**65535 is the identity on the 16-bit states
    result = tuple(1 << j for j in range(16))
    base = tuple(lfsr_step_int(1 << j) for j in range(16))
    while k:
        if k & 1:
            result = _compose(base, result)
        base = _compose(base, base)
        k >>= 1
    return result


@functools.lru_cache(maxsize=8)
def word_jump_powers(levels: int) -> tuple[tuple[int, ...], ...]:
    """Columns of ``M**(64 * 2**b)`` for ``b < levels``: jump ``w`` words by the bits of ``w``."""
    powers = [jump_columns(WORD_BITS)]
    for _ in range(1, levels):
        powers.append(_compose(powers[-1], powers[-1]))
    return tuple(powers[:levels])


@functools.lru_cache(maxsize=1)
def word_columns() -> tuple[int, ...]:
    """For each unit state ``1 << j``: the 64 bits ``a_0..a_63`` (bit 0 of each state) it starts."""
    cols = []
    for j in range(16):
        r, word = 1 << j, 0
        for t in range(WORD_BITS):
            word |= (r & 1) << t
            r = lfsr_step_int(r)
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
    word_cols, jump_cols = word_columns(), jump_columns(WORD_BITS)
    word = np.zeros((2, 256), dtype=np.uint64)
    jump = np.zeros((2, 256), dtype=np.int64)
    for half in range(2):
        for b in range(256):
            r = b << (8 * half)
            word[half, b] = _apply_columns(word_cols, r)
            jump[half, b] = _apply_columns(jump_cols, r)
    return word, jump


# ---------------------------------------------------------------------------------------------
# CuPy backend
# ---------------------------------------------------------------------------------------------

_CUDA_SOURCE = r"""
typedef unsigned long long u64;

// r_{64w} from r_0 by binary powering: pow_cols[b*16 + j] = (M^(64 * 2^b)) e_j.
__device__ __forceinline__ unsigned int jump_words(unsigned int r, long long w,
                                                   const unsigned short* pow_cols) {
    int b = 0;
    while (w) {
        if (w & 1) {
            unsigned int s = 0;
            #pragma unroll
            for (int j = 0; j < 16; ++j) {
                if ((r >> j) & 1u) s ^= pow_cols[b * 16 + j];
            }
            r = s;
        }
        w >>= 1;
        ++b;
    }
    return r;
}

// One packed word: bits t = 64w .. 64w+63 are (state_t < x) for the state r = r_{64w}.
__device__ __forceinline__ u64 encode_word(unsigned int r, int x, const u64* word_cols) {
    if (x >= 65536) return ~0ull;
    if (x <= 0) return 0ull;
    u64 cur = 0;
    #pragma unroll
    for (int j = 0; j < 16; ++j) {
        if ((r >> j) & 1u) cur ^= word_cols[j];
    }
    // bit m of r (m = 1..15) at position 64 - m; bit 0 falls off.
    u64 prev = ((u64)__brev(r)) << 33;
    u64 lt = 0, eq = ~0ull;
    #pragma unroll
    for (int k = 15; k >= 0; --k) {
        u64 plane = (k == 0) ? cur : ((cur << k) | (prev >> (64 - k)));
        u64 xm = ((x >> k) & 1) ? ~0ull : 0ull;
        lt |= eq & ~plane & xm;
        eq &= ~(plane ^ xm);
    }
    return lt;
}

__device__ __forceinline__ int threshold(double p) {
    double v = rint(p * 65536.0);
    v = fmin(fmax(v, 0.0), 65536.0);
    return (int)v;
}

extern "C" __global__ void sc_encode(const double* probs, long long n, long long nw,
                                     long long length, unsigned int seed16,
                                     const unsigned short* pow_cols, const u64* word_cols,
                                     u64* out) {
    long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= n * nw) return;
    long long i = idx / nw, w = idx % nw;
    unsigned int r0 = (unsigned int)((seed16 + (unsigned long long)i) & 0xFFFFull);
    if (r0 == 0) r0 = 1;
    unsigned int r = jump_words(r0, w, pow_cols);
    u64 word = encode_word(r, threshold(probs[i]), word_cols);
    if (w == nw - 1) {
        int rem = (int)(length % 64);
        if (rem) word &= (1ull << rem) - 1ull;
    }
    out[idx] = word;
}

// counts[o] += sum_k popcount(W[o, k] & X[k]) over k in this block's slice of n_in * n_words.
extern "C" __global__ void sc_and_popcount(const u64* weights, const u64* inputs,
                                           long long n_out, long long row,
                                           long long per_block, unsigned long long* counts) {
    long long o = blockIdx.x;
    long long lo = (long long)blockIdx.y * per_block;
    long long hi = lo + per_block < row ? lo + per_block : row;
    const u64* wrow = weights + o * row;
    unsigned long long acc = 0;
    for (long long k = lo + threadIdx.x; k < hi; k += blockDim.x) {
        acc += __popcll(wrow[k] & inputs[k]);
    }
    #pragma unroll
    for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, off);
    __shared__ unsigned long long warp_sums[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) warp_sums[warp] = acc;
    __syncthreads();
    if (warp == 0) {
        int n_warps = (blockDim.x + 31) >> 5;
        acc = lane < n_warps ? warp_sums[lane] : 0ull;
        #pragma unroll
        for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, off);
        if (lane == 0 && acc) atomicAdd(counts + o, acc);
    }
}
"""

_THREADS = 256
# Words of one weight row handled by one block of sc_and_popcount.
_WORDS_PER_BLOCK = 1 << 14


def _cupy() -> Any:
    import cupy  # optional dependency: imported only when used

    return cupy


def to_device(array: Any) -> Any:
    """Copy an array to the current CUDA device.

    Parameters
    ----------
    array : array_like
        Any array (packed words are uint64 and stay uint64).

    Returns
    -------
    cupy.ndarray
        Same dtype and shape.
    """
    return _cupy().asarray(array)


def to_host(array: Any) -> np.ndarray:
    """Copy an array (CuPy or host) to a NumPy array.

    Returns
    -------
    numpy.ndarray
        Same dtype and shape.
    """
    cp = _cupy()
    if isinstance(array, cp.ndarray):
        return cp.asnumpy(array)
    return np.asarray(array)


class CupyBackend(Backend):
    """The contract on a CUDA GPU: CuPy raw and elementwise kernels (``__popcll``).

    Every op takes array_like (NumPy or CuPy arrays) and returns NumPy host arrays; weights that
    already are uint64 CuPy arrays are used in place. Bit-identical to the NumPy floor.
    """

    name = "cupy"

    @classmethod
    def unavailable_reason(cls) -> str | None:
        try:
            import cupy
        except ImportError as exc:
            return f"CuPy is not installed ({exc}); install the 'gpu' extra (cupy-cuda12x)"
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except (RuntimeError, OSError) as exc:  # CUDARuntimeError: no driver, no device
            return f"CuPy found no usable CUDA device ({type(exc).__name__}: {exc})"
        if count < 1:
            return "CuPy found no CUDA GPU (getDeviceCount() == 0)"
        return None

    def __init__(self) -> None:
        cp = _cupy()
        self._cp = cp
        module = cp.RawModule(code=_CUDA_SOURCE, options=("--std=c++14",))
        self._encode_kernel = module.get_function("sc_encode")
        self._mac_kernel = module.get_function("sc_and_popcount")
        self._word_cols = cp.asarray(np.array(word_columns(), dtype=np.uint64))
        self._pow_cols = cp.asarray(np.array(word_jump_powers(63), dtype=np.uint16))
        self._xnor = cp.ElementwiseKernel(
            "uint64 a, uint64 b, int64 nw, uint64 tail", "uint64 out",
            "out = ~(a ^ b); if (i % nw == nw - 1) out &= tail;", "sctb_xnor")
        self._not = cp.ElementwiseKernel(
            "uint64 a, int64 nw, uint64 tail", "uint64 out",
            "out = ~a; if (i % nw == nw - 1) out &= tail;", "sctb_not")
        self._mux = cp.ElementwiseKernel(
            "uint64 s, uint64 a, uint64 b, int64 nw, uint64 tail", "uint64 out",
            "out = (s & a) | (~s & b); if (i % nw == nw - 1) out &= tail;", "sctb_mux")
        self._and = cp.ElementwiseKernel("uint64 a, uint64 b", "uint64 out", "out = a & b",
                                         "sctb_and")
        self._popcount = cp.ReductionKernel(
            "uint64 x", "int64 y", "__popcll(x)", "a + b", "y = a", "0", "sctb_popcount")
        self._pack = cp.ElementwiseKernel(
            "raw uint8 bits, int64 n, int64 nw", "uint64 out",
            """
            long long b = i / nw, w = i % nw;
            unsigned long long word = 0;
            for (int j = 0; j < 64; ++j) {
                long long t = w * 64 + j;
                if (t < n && bits[b * n + t]) word |= 1ull << j;
            }
            out = word;
            """, "sctb_pack")
        self._unpack = cp.ElementwiseKernel(
            "raw uint64 words, int64 n, int64 nw", "uint8 out",
            "long long b = i / n, t = i % n; out = (words[b * nw + t / 64] >> (t % 64)) & 1ull;",
            "sctb_unpack")

    # -- plumbing -------------------------------------------------------------------------------

    def _words(self, words: Any, name: str) -> Any:
        """Checked uint64 words on the device (``check_words`` semantics for CuPy arrays too)."""
        cp = self._cp
        if isinstance(words, cp.ndarray):
            if words.dtype == np.uint64:
                return words
            # Other dtypes: the host check gives the floor's exact exception and message.
            return cp.asarray(native_words(cp.asnumpy(words), name))
        return cp.asarray(native_words(words, name))

    def _launch_encode(self, probs: np.ndarray, length: int, seed: int) -> Any:
        cp = self._cp
        n, nw = probs.shape[0], n_words(length)
        out = cp.empty((n, nw), dtype=cp.uint64)
        total = n * nw
        if total:
            self._encode_kernel(
                ((total + _THREADS - 1) // _THREADS,), (_THREADS,),
                (cp.asarray(np.ascontiguousarray(probs)), np.int64(n), np.int64(nw),
                 np.int64(length),
                 np.uint32(seed & LFSR_MASK), self._pow_cols, self._word_cols, out),
            )
        return out

    def _launch_mac(self, weights: Any, inputs: Any) -> np.ndarray:
        cp = self._cp
        n_out, n_in, nw = weights.shape
        counts = cp.zeros(n_out, dtype=cp.uint64)
        row = n_in * nw
        if n_out and row:
            w = cp.ascontiguousarray(weights)
            x = cp.ascontiguousarray(inputs)
            blocks = (row + _WORDS_PER_BLOCK - 1) // _WORDS_PER_BLOCK
            self._mac_kernel(
                (n_out, blocks), (_THREADS,),
                (w, x, np.int64(n_out), np.int64(row), np.int64(_WORDS_PER_BLOCK), counts),
            )
        return cp.asnumpy(counts).astype(np.int64)

    # -- the ops --------------------------------------------------------------------------------

    def sc_counts(
        self, weights_packed: Any, input_probs: Any, *, length: int, seed: int = DEFAULT_SEED
    ) -> np.ndarray:
        cp = self._cp
        on_device = isinstance(weights_packed, cp.ndarray) and weights_packed.dtype == np.uint64
        # uint64 device weights: a zero-strided host stand-in of their shape runs the shared
        # checks in their order, without copying the weights to the host.
        host = shape_stand_in(weights_packed.shape) if on_device else to_host(weights_packed)
        weights, probs, length, seed = check_sc_args(host, to_host(input_probs), length, seed)
        if on_device:
            weights = weights_packed
        else:
            weights = cp.asarray(weights if weights.dtype.isnative else weights.astype(np.uint64))
        return self._launch_mac(weights, self._launch_encode(probs, length, seed))

    def encode_inputs(
        self, input_probs: Any, *, length: int, seed: int = DEFAULT_SEED
    ) -> np.ndarray:
        """Packed input streams: uint64 ``(n_in, ceil(length / 64))``, see ``encode_inputs``."""
        length = check_length(length)
        seed = check_seed(seed)
        probs = check_probs(to_host(input_probs), "input_probs")
        return self._launch_encode(probs, length, seed).get()

    def pack_bitstream(self, bits: Any) -> np.ndarray:
        """See ``golden.pack_bitstream``: uint64 ``(ceil(N/64),)`` or ``(B, ceil(N/64))``."""
        arr = to_host(bits)
        flat = check_bits(arr)
        b, n = flat.shape
        nw = n_words(n)
        out = self._cp.empty((b, nw), dtype=self._cp.uint64)
        if out.size:
            self._pack(self._cp.asarray(flat), np.int64(n), np.int64(nw), out)
        host = out.get()
        return host.reshape(nw) if arr.ndim == 1 else host

    def unpack_bitstream(
        self, packed: Any, original_length: int, original_shape: tuple[int, ...] | None = None
    ) -> np.ndarray:
        """See ``golden.unpack_bitstream``: uint8 {0, 1}."""
        words, length, shape = check_unpack(to_host(packed), original_length, original_shape)
        b, nw = words.shape
        out = self._cp.empty((b, length), dtype=self._cp.uint8)
        if out.size:
            self._unpack(self._cp.asarray(words), np.int64(length), np.int64(nw), out)
        return np.ascontiguousarray(out.get().reshape(shape))

    def vec_and(self, a: Any, b: Any) -> np.ndarray:
        """See ``golden.vec_and``."""
        wa, wb = check_pair(to_host(a), to_host(b))
        out = self._and(self._cp.asarray(wa), self._cp.asarray(wb)).get()
        return out[()] if out.ndim == 0 else out

    def vec_xnor(self, a: Any, b: Any, *, length: int) -> np.ndarray:
        """See ``golden.vec_xnor``."""
        wa, wb = check_pair(to_host(a), to_host(b))
        _, tail = check_tail(wa.shape, length, "a")
        return self._xnor(self._cp.asarray(wa), self._cp.asarray(wb), np.int64(wa.shape[-1]),
                          np.uint64(tail)).get()

    def vec_not(self, a: Any, *, length: int) -> np.ndarray:
        """See ``golden.vec_not``."""
        wa = native_words(to_host(a), "a")
        _, tail = check_tail(wa.shape, length, "a")
        return self._not(self._cp.asarray(wa), np.int64(wa.shape[-1]), np.uint64(tail)).get()

    def vec_mux(self, sel: Any, a: Any, b: Any, *, length: int) -> np.ndarray:
        """See ``golden.vec_mux``."""
        ws, wa, wb = check_triple(to_host(sel), to_host(a), to_host(b))
        _, tail = check_tail(ws.shape, length, "sel")
        cp = self._cp
        return self._mux(cp.asarray(ws), cp.asarray(wa), cp.asarray(wb), np.int64(ws.shape[-1]),
                         np.uint64(tail)).get()

    def vec_popcount(self, packed: Any) -> int:
        """See ``golden.vec_popcount``."""
        words = self._words(packed, "packed")
        if words.size == 0:
            return 0
        return int(self._popcount(words.ravel()).get())

    def vec_mac(self, packed_weights: Any, packed_inputs: Any) -> np.ndarray:
        """See ``golden.vec_mac``: int64 ``(n_out,)``."""
        w, x = check_mac(to_host(packed_weights), to_host(packed_inputs))
        return self._launch_mac(self._cp.asarray(w), self._cp.asarray(x))

    @staticmethod
    def to_device(array: Any) -> Any:
        """See :func:`to_device`."""
        return to_device(array)

    @staticmethod
    def to_host(array: Any) -> np.ndarray:
        """See :func:`to_host`."""
        return to_host(array)


