"""The CuPy golden model: CUDA kernels (``__popcll``), bit-identical to the NumPy floor."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import Backend
from .._contract import LFSR_MASK, n_words
from .._lfsr import word_columns, word_jump_powers
from .._validate import bit_rows, tail_mask

__all__ = ["CupyBackend", "to_device", "to_host"]

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

    def _host(self, array: Any) -> Any:
        return self._cp.asnumpy(array) if isinstance(array, self._cp.ndarray) else array

    def _resident(self, array: Any) -> Any:
        cp = self._cp
        return array if isinstance(array, cp.ndarray) and array.dtype == np.uint64 else None

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

    # -- the kernels ----------------------------------------------------------------------------

    def _sc_counts_impl(self, weights: Any, probs: np.ndarray, length: int, seed: int) -> Any:
        cp = self._cp
        if not isinstance(weights, cp.ndarray):
            weights = cp.asarray(weights if weights.dtype.isnative else weights.astype(np.uint64))
        return self._launch_mac(weights, self._launch_encode(probs, length, seed))

    def _encode_inputs_impl(self, probs: np.ndarray, length: int, seed: int) -> np.ndarray:
        return self._launch_encode(probs, length, seed).get()

    def _pack_bitstream_impl(self, bits: np.ndarray) -> np.ndarray:
        flat = bit_rows(bits)
        b, n = flat.shape
        nw = n_words(n)
        out = self._cp.empty((b, nw), dtype=self._cp.uint64)
        if out.size:
            self._pack(self._cp.asarray(flat), np.int64(n), np.int64(nw), out)
        host = out.get()
        return host.reshape(nw) if bits.ndim == 1 else host

    def _unpack_bitstream_impl(
        self, rows: np.ndarray, length: int, shape: tuple[int, ...]
    ) -> np.ndarray:
        b, nw = rows.shape
        out = self._cp.empty((b, length), dtype=self._cp.uint8)
        if out.size:
            self._unpack(self._cp.asarray(rows), np.int64(length), np.int64(nw), out)
        return np.ascontiguousarray(out.get().reshape(shape))

    def _vec_and_impl(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return self._and(self._cp.asarray(a), self._cp.asarray(b)).get()

    def _vec_xnor_impl(self, a: np.ndarray, b: np.ndarray, length: int) -> np.ndarray:
        return self._xnor(self._cp.asarray(a), self._cp.asarray(b), np.int64(a.shape[-1]),
                          np.uint64(tail_mask(length))).get()

    def _vec_not_impl(self, a: np.ndarray, length: int) -> np.ndarray:
        return self._not(self._cp.asarray(a), np.int64(a.shape[-1]),
                         np.uint64(tail_mask(length))).get()

    def _vec_mux_impl(
        self, sel: np.ndarray, a: np.ndarray, b: np.ndarray, length: int
    ) -> np.ndarray:
        cp = self._cp
        return self._mux(cp.asarray(sel), cp.asarray(a), cp.asarray(b), np.int64(sel.shape[-1]),
                         np.uint64(tail_mask(length))).get()

    def _vec_popcount_impl(self, words: Any) -> int:
        cp = self._cp
        if not isinstance(words, cp.ndarray):
            words = cp.asarray(words if words.dtype.isnative else words.astype(np.uint64))
        if words.size == 0:
            return 0
        return int(self._popcount(words.ravel()).get())

    def _vec_mac_impl(self, weights: np.ndarray, inputs: np.ndarray) -> np.ndarray:
        return self._launch_mac(self._cp.asarray(weights), self._cp.asarray(inputs))

    @staticmethod
    def to_device(array: Any) -> Any:
        """See :func:`to_device`."""
        return to_device(array)

    @staticmethod
    def to_host(array: Any) -> np.ndarray:
        """See :func:`to_host`."""
        return to_host(array)


