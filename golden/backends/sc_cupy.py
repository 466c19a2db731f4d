"""The CuPy golden model: CUDA kernels (``__popcll``), bit-identical to the NumPy floor."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import Backend
from .._contract import LFSR_MASK, n_words
from .._lfsr import word_columns, word_jump_powers
from .._validate import bit_rows, tail_mask
from . import _cuda_src

__all__ = ["CupyBackend", "to_device", "to_host"]

# ---------------------------------------------------------------------------------------------
# CuPy backend
# ---------------------------------------------------------------------------------------------

_THREADS = 256
# Words of one weight row handled by one block of sc_and_popcount(_batch).
_WORDS_PER_BLOCK = 1 << 14
# Outputs and rows of one block of sc_and_popcount_batch (its TO and TB); CUDA's grid z limit.
_BATCH_OUTS, _BATCH_ROWS, _GRID_Z = 4, 8, 65535


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

    def __init__(self, cupy_module: Any = None) -> None:
        """Compile the kernels.

        Parameters
        ----------
        cupy_module : module, optional
            The CuPy module (default: ``import cupy``). tests/test_cuda_host.py passes
            ``testbench.cudahost.host_cupy()``, which runs these very kernels and launches on
            the CPU (docs/cuda-host.md).
        """
        cp = _cupy() if cupy_module is None else cupy_module
        self._cp = cp
        module = cp.RawModule(code=_cuda_src.CUDA_SOURCE, options=("--std=c++14",))
        self._encode_kernel = module.get_function("sc_encode")
        self._mac_kernel = module.get_function("sc_and_popcount")
        self._batch_kernel = module.get_function("sc_and_popcount_batch")
        self._word_cols = cp.asarray(np.array(word_columns(), dtype=np.uint64))
        self._pow_cols = cp.asarray(np.array(word_jump_powers(63), dtype=np.uint16))
        ew = {name: cp.ElementwiseKernel(*spec, name)
              for name, spec in _cuda_src.ELEMENTWISE.items()}
        self._xnor, self._not, self._mux = ew["sctb_xnor"], ew["sctb_not"], ew["sctb_mux"]
        self._and, self._pack, self._unpack = ew["sctb_and"], ew["sctb_pack"], ew["sctb_unpack"]
        self._popcount = cp.ReductionKernel(*_cuda_src.REDUCTIONS["sctb_popcount"], "sctb_popcount")

    # -- plumbing -------------------------------------------------------------------------------

    def _host(self, array: Any) -> Any:
        return self._cp.asnumpy(array) if isinstance(array, self._cp.ndarray) else array

    def _resident(self, array: Any) -> Any:
        cp = self._cp
        return array if isinstance(array, cp.ndarray) and array.dtype == np.uint64 else None

    def _launch_encode(self, probs: np.ndarray, length: int, seed: int) -> Any:
        """Streams of ``probs`` (1-D, or 2-D rows that each restart at ``seed``): (n, nw)."""
        cp = self._cp
        n, nw = probs.size, n_words(length)
        lanes = probs.shape[-1]
        out = cp.empty((n, nw), dtype=cp.uint64)
        total = n * nw
        if total:
            self._encode_kernel(
                ((total + _THREADS - 1) // _THREADS,), (_THREADS,),
                (cp.asarray(np.ascontiguousarray(probs, dtype=np.float64).ravel()),
                 np.int64(n), np.int64(lanes), np.int64(nw), np.int64(length),
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

    def _launch_batch(self, weights: Any, inputs: Any, rows: int) -> np.ndarray:
        """``inputs``: (rows * n_in, nw) encoded rows; int64 (rows, n_out) counts."""
        cp = self._cp
        n_out, n_in, nw = weights.shape
        row = n_in * nw
        counts = cp.zeros((rows, n_out), dtype=cp.uint64)
        if n_out and row and rows:
            w = cp.ascontiguousarray(weights)
            blocks = (row + _WORDS_PER_BLOCK - 1) // _WORDS_PER_BLOCK
            chunk = _GRID_Z * _BATCH_ROWS
            for b0 in range(0, rows, chunk):
                b1 = min(b0 + chunk, rows)
                self._batch_kernel(
                    ((n_out + _BATCH_OUTS - 1) // _BATCH_OUTS, blocks,
                     (b1 - b0 + _BATCH_ROWS - 1) // _BATCH_ROWS), (_THREADS,),
                    (w, inputs[b0 * n_in:b1 * n_in], np.int64(n_out), np.int64(b1 - b0),
                     np.int64(row), np.int64(_WORDS_PER_BLOCK), counts[b0:b1]),
                )
        return cp.asnumpy(counts).astype(np.int64)

    # -- the kernels ----------------------------------------------------------------------------

    def _sc_counts_impl(self, weights: Any, probs: np.ndarray, length: int, seed: int) -> Any:
        cp = self._cp
        if not isinstance(weights, cp.ndarray):
            weights = cp.asarray(weights if weights.dtype.isnative else weights.astype(np.uint64))
        return self._launch_mac(weights, self._launch_encode(probs, length, seed))

    def _sc_counts_batch_impl(
        self, weights: Any, probs2d: np.ndarray, length: int, seed: int
    ) -> np.ndarray:
        cp = self._cp
        if not isinstance(weights, cp.ndarray):
            weights = cp.asarray(weights if weights.dtype.isnative else weights.astype(np.uint64))
        return self._launch_batch(weights, self._launch_encode(probs2d, length, seed),
                                  probs2d.shape[0])

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


