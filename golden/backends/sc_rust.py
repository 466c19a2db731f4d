"""The Rust golden backend (``golden._native``, built from rust/), bit-identical to NumPy."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._backend import Backend
from ._contract import DEFAULT_SEED
from ._validate import (
    _is_int,
    check_bits,
    check_length,
    check_mac,
    check_pair,
    check_probs,
    check_sc_args,
    check_seed,
    check_tail,
    check_triple,
    check_unpack,
    check_words,
    native_words,
)

try:  # the extension is optional: without it this backend reports why it is unavailable
    from . import _native
except ImportError as _exc:  # pragma: no cover - depends on the build
    _native = None
    _IMPORT_ERROR: str | None = str(_exc)
else:
    _IMPORT_ERROR = None

__all__ = ["KERNEL_PATHS", "RustBackend"]

#: Every kernel path of the Rust engine, slowest first (``SCTB_RUST_POPCOUNT`` picks one).
KERNEL_PATHS = ("scalar", "avx2", "avx512")

# What this module calls; an older build that lacks one is reported as unavailable.
_NATIVE_SYMBOLS = (
    "and_popcount",
    "default_kernel_path",
    "dot_to_current",
    "encode_inputs",
    "kernel_paths",
    "lif_run",
    "pack_bits",
    "popcount_total",
    "sc_counts",
    "unpack_bits",
    "vec_and",
    "vec_mux",
    "vec_not",
    "vec_xnor",
)


def _words(arr: np.ndarray) -> np.ndarray:
    """C-contiguous native-endian uint64, same shape (no copy when ``arr`` already is one)."""
    return np.asarray(arr, dtype=np.uint64, order="C")


def _scalar_if_0d(out: np.ndarray) -> Any:
    """NumPy ufuncs return a scalar for 0-d operands; so does this backend."""
    return out[()] if out.ndim == 0 else out


class RustBackend(Backend):
    """The Rust engine: SIMD popcount and encoder chosen at run time, rows threaded with rayon.

    Parameters
    ----------
    threads : int, optional
        ``None`` or ``0``: every core (``RAYON_NUM_THREADS`` when set); ``1``: the calling
        thread only; ``n``: a pool of ``n`` threads. Problems under
        ``golden._native.PARALLEL_MIN_WORDS`` weight words always run on the calling thread.
        Pools are per process, so a forked child (multiprocessing) gets its own.
    popcount : {"scalar", "avx2", "avx512", "auto"}, optional
        Kernel path (popcount and encoder compare). ``None`` reads ``SCTB_RUST_POPCOUNT`` at
        each call and falls back to the fastest path the CPU supports. A path the CPU lacks
        raises ``ValueError`` when used.

    Notes
    -----
    Every method validates with the NumPy floor's checks first, so bad input raises the same
    exception with the same message as ``golden.NumpyBackend``. Arrays are read in place when
    they are C-contiguous native-endian uint64 (float64 for probabilities); anything else is
    converted once. The GIL is released while the kernels run.
    """

    name = "rust"

    def __init__(self, *, threads: int | None = None, popcount: str | None = None) -> None:
        if threads is None:
            threads = 0
        if not _is_int(threads):
            raise TypeError(
                f"threads must be an int or None, got {type(threads).__name__} {threads!r}"
            )
        if threads < 0:
            raise ValueError(f"threads must be >= 0, got {threads}")
        if popcount is not None and (
            not isinstance(popcount, str) or popcount not in KERNEL_PATHS + ("auto",)
        ):
            raise ValueError(
                f"popcount must be one of {', '.join(KERNEL_PATHS + ('auto',))} or None, "
                f"got {popcount!r}"
            )
        self.threads = int(threads)
        self.popcount = popcount

    @classmethod
    def unavailable_reason(cls) -> str | None:
        if _native is None:
            return f"golden._native is not built ({_IMPORT_ERROR}); run `make native`"
        missing = [s for s in _NATIVE_SYMBOLS if not hasattr(_native, s)]
        if missing:
            return (
                f"golden._native is stale: it lacks {', '.join(missing)}; run `make native`"
            )
        return None

    @staticmethod
    def kernel_paths() -> list[str]:
        """The kernel paths this CPU supports, slowest first."""
        return list(_native.kernel_paths())

    def kernel_path(self) -> str:
        """The kernel path a call makes now (explicit, else ``SCTB_RUST_POPCOUNT``, else best)."""
        if self.popcount is not None and self.popcount != "auto":
            return self.popcount
        if self.popcount == "auto":
            return self.kernel_paths()[-1]
        return str(_native.default_kernel_path())

    def _opts(self) -> dict[str, Any]:
        return {"popcount": self.popcount}

    # -- the contract ----------------------------------------------------------------------

    def sc_counts(
        self, weights_packed: Any, input_probs: Any, *, length: int, seed: int = DEFAULT_SEED
    ) -> np.ndarray:
        """The contract's counts ``sum_{i,w} popcount(W[o, i, w] & X[i, w])``.

        Parameters
        ----------
        weights_packed : array_like
            uint64 ``(n_out, n_in, ceil(length / 64))``; any strides or byte order.
        input_probs : array_like
            ``(n_in,)`` probabilities in ``[0, 1]``.
        length : int
            Stream length in bits, ``>= 1``.
        seed : int, optional
            Base seed in ``[0, 2**64)``.

        Returns
        -------
        numpy.ndarray
            int64 ``(n_out,)``.
        """
        weights, probs, length, seed = check_sc_args(weights_packed, input_probs, length, seed)
        return _native.sc_counts(
            _words(weights),
            np.ascontiguousarray(probs, dtype=np.float64),
            length,
            seed,
            threads=self.threads,
            **self._opts(),
        )

    def encode_inputs(
        self, input_probs: Any, *, length: int, seed: int = DEFAULT_SEED
    ) -> np.ndarray:
        """Encode probabilities into packed streams (see :func:`golden.encode_inputs`).

        Returns
        -------
        numpy.ndarray
            uint64 ``(n_in, ceil(length / 64))``.
        """
        length = check_length(length)
        seed = check_seed(seed)
        probs = check_probs(input_probs, "input_probs")
        return _native.encode_inputs(
            np.ascontiguousarray(probs, dtype=np.float64), length, seed, **self._opts()
        )

    # -- packed-bitstream ops (signatures and errors of golden._vector_ops) -----------------

    def pack_bitstream(self, bits: Any) -> np.ndarray:
        """Pack a {0, 1} stream LSB first (see :func:`golden.pack_bitstream`).

        Returns
        -------
        numpy.ndarray
            uint64 ``(ceil(N/64),)`` or ``(B, ceil(N/64))``.
        """
        arr = check_bits(bits)
        if arr.dtype.kind != "b":
            as_bytes = arr.astype(np.uint8)
        else:
            as_bytes = np.ascontiguousarray(arr).view(np.uint8)
        rows = as_bytes.reshape(1, arr.shape[-1]) if arr.ndim == 1 else as_bytes
        packed = _native.pack_bits(np.ascontiguousarray(rows))
        return packed[0] if arr.ndim == 1 else packed

    def unpack_bitstream(
        self, packed: Any, original_length: int, original_shape: tuple[int, ...] | None = None
    ) -> np.ndarray:
        """Inverse of :meth:`pack_bitstream` (see :func:`golden.unpack_bitstream`).

        Returns
        -------
        numpy.ndarray
            uint8 {0, 1}, ``(N,)`` / ``(B, N)`` or ``original_shape``.
        """
        rows, length, shape = check_unpack(packed, original_length, original_shape)
        bits = _native.unpack_bits(_words(rows), length)
        return np.ascontiguousarray(bits.reshape(shape))

    def vec_and(self, a: Any, b: Any) -> np.ndarray:
        """Bitwise AND of two packed streams, same shape (see :func:`golden.vec_and`)."""
        wa, wb = check_pair(a, b)
        return _scalar_if_0d(_native.vec_and(_words(wa), _words(wb)))

    def vec_xnor(self, a: Any, b: Any, *, length: int) -> np.ndarray:
        """Bitwise XNOR with padding kept zero (see :func:`golden.vec_xnor`)."""
        wa, wb = check_pair(a, b)
        length = check_tail(wa, length, "a")
        return _native.vec_xnor(_words(wa), _words(wb), length)

    def vec_not(self, a: Any, *, length: int) -> np.ndarray:
        """Bitwise NOT with padding kept zero (see :func:`golden.vec_not`)."""
        wa = native_words(a, "a")
        length = check_tail(wa, length, "a")
        return _native.vec_not(_words(wa), length)

    def vec_mux(self, sel: Any, a: Any, b: Any, *, length: int) -> np.ndarray:
        """``(sel & a) | (~sel & b)`` with padding kept zero (see :func:`golden.vec_mux`)."""
        ws, wa, wb = check_triple(sel, a, b)
        length = check_tail(ws, length, "sel")
        return _native.vec_mux(_words(ws), _words(wa), _words(wb), length)

    def vec_popcount(self, packed: Any) -> int:
        """Total number of set bits (see :func:`golden.vec_popcount`)."""
        words = check_words(packed, "packed")
        return int(_native.popcount_total(_words(words), **self._opts()))

    def vec_mac(self, packed_weights: Any, packed_inputs: Any) -> np.ndarray:
        """AND each weight row with the inputs, popcount, sum (see :func:`golden.vec_mac`).

        Returns
        -------
        numpy.ndarray
            int64 ``(n_out,)``.
        """
        w, x = check_mac(packed_weights, packed_inputs)
        return _native.and_popcount(_words(w), _words(x), threads=self.threads, **self._opts())
