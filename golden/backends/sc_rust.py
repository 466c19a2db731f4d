"""The Rust golden backend (``golden._native``, built from rust/), bit-identical to NumPy."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import Backend
from .._threads import get_threads
from .._validate import _is_int
from ._native_import import IMPORT_ERROR as _IMPORT_ERROR
from ._native_import import native as _native
from ._native_import import unavailable_reason

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
    "sc_counts_batch",
    "unpack_bits",
    "vec_and",
    "vec_mux",
    "vec_not",
    "vec_xnor",
)


def _words(arr: np.ndarray) -> np.ndarray:
    """C-contiguous native-endian uint64, same shape (no copy when ``arr`` already is one)."""
    return np.asarray(arr, dtype=np.uint64, order="C")


class RustBackend(Backend):
    """The Rust engine: SIMD popcount and encoder chosen at run time, rows threaded with rayon.

    Parameters
    ----------
    threads : int, optional
        ``None``: :func:`golden.get_threads` at each call (``golden.set_threads``,
        ``$SCTB_THREADS``, else every core); ``0``: every core (``RAYON_NUM_THREADS`` when
        set); ``1``: the calling thread only; ``n``: a pool of ``n`` threads (built once, not
        rayon's global pool). Problems under
        ``golden._native.PARALLEL_MIN_WORDS`` weight words always run on the calling thread.
        Pools are per process, so a forked child (multiprocessing) gets its own.
    popcount : {"scalar", "avx2", "avx512", "auto"}, optional
        Kernel path (popcount and encoder compare). ``None`` reads ``SCTB_RUST_POPCOUNT`` at
        each call and falls back to the fastest path the CPU supports. A path the CPU lacks
        raises ``ValueError`` when used.

    Notes
    -----
    :class:`golden.Backend` checks every argument before a kernel runs, so bad input raises the
    same exception with the same message as ``golden.NumpyBackend``. Arrays are read in place when
    they are C-contiguous native-endian uint64 (float64 for probabilities); anything else is
    converted once. The GIL is released while the kernels run.
    """

    name = "rust"

    def __init__(self, *, threads: int | None = None, popcount: str | None = None) -> None:
        if threads is not None and not _is_int(threads):
            raise TypeError(
                f"threads must be an int or None, got {type(threads).__name__} {threads!r}"
            )
        if threads is not None and threads < 0:
            raise ValueError(f"threads must be >= 0, got {threads}")
        if popcount is not None and (
            not isinstance(popcount, str) or popcount not in KERNEL_PATHS + ("auto",)
        ):
            raise ValueError(
                f"popcount must be one of {', '.join(KERNEL_PATHS + ('auto',))} or None, "
                f"got {popcount!r}"
            )
        self._threads_setting = None if threads is None else int(threads)
        self.popcount = popcount

    @classmethod
    def unavailable_reason(cls) -> str | None:
        return unavailable_reason(_native, _IMPORT_ERROR, _NATIVE_SYMBOLS)

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

    @property
    def threads(self) -> int:
        """The ``threads=`` of a native call made now (``golden.get_threads()`` unless the
        backend was built with its own)."""
        return get_threads() if self._threads_setting is None else self._threads_setting

    def _opts(self) -> dict[str, Any]:
        return {"popcount": self.popcount}

    # -- the kernels (on arguments Backend has checked) -----------------------------------

    def _sc_counts_impl(
        self, weights: np.ndarray, probs: np.ndarray, length: int, seed: int
    ) -> np.ndarray:
        return _native.sc_counts(
            _words(weights),
            np.ascontiguousarray(probs, dtype=np.float64),
            length,
            seed,
            threads=self.threads,
            **self._opts(),
        )

    def _sc_counts_batch_impl(
        self, weights: np.ndarray, probs: np.ndarray, length: int, seed: int
    ) -> np.ndarray:
        return _native.sc_counts_batch(
            _words(weights),
            np.ascontiguousarray(probs, dtype=np.float64),
            length,
            seed,
            threads=self.threads,
            **self._opts(),
        )

    def _encode_inputs_impl(self, probs: np.ndarray, length: int, seed: int) -> np.ndarray:
        return _native.encode_inputs(
            np.ascontiguousarray(probs, dtype=np.float64), length, seed, **self._opts()
        )

    def _pack_bitstream_impl(self, bits: np.ndarray) -> np.ndarray:
        if bits.dtype.kind != "b":
            as_bytes = bits.astype(np.uint8)
        else:
            as_bytes = np.ascontiguousarray(bits).view(np.uint8)
        rows = as_bytes.reshape(1, bits.shape[-1]) if bits.ndim == 1 else as_bytes
        packed = _native.pack_bits(np.ascontiguousarray(rows))
        return packed[0] if bits.ndim == 1 else packed

    def _unpack_bitstream_impl(
        self, rows: np.ndarray, length: int, shape: tuple[int, ...]
    ) -> np.ndarray:
        return np.ascontiguousarray(_native.unpack_bits(_words(rows), length).reshape(shape))

    def _vec_and_impl(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _native.vec_and(_words(a), _words(b))

    def _vec_xnor_impl(self, a: np.ndarray, b: np.ndarray, length: int) -> np.ndarray:
        return _native.vec_xnor(_words(a), _words(b), length)

    def _vec_not_impl(self, a: np.ndarray, length: int) -> np.ndarray:
        return _native.vec_not(_words(a), length)

    def _vec_mux_impl(
        self, sel: np.ndarray, a: np.ndarray, b: np.ndarray, length: int
    ) -> np.ndarray:
        return _native.vec_mux(_words(sel), _words(a), _words(b), length)

    def _vec_popcount_impl(self, words: np.ndarray) -> int:
        return int(_native.popcount_total(_words(words), **self._opts()))

    def _vec_mac_impl(self, weights: np.ndarray, inputs: np.ndarray) -> np.ndarray:
        return _native.and_popcount(
            _words(weights), _words(inputs), threads=self.threads, **self._opts()
        )
