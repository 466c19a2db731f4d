"""The backend selector: ``Backend`` (checks once, then a kernel), ``PRIORITY``, ``get_backend``."""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import numpy as np

from . import _selector
from ._contract import DEFAULT_SEED
from ._validate import (
    check_bits,
    check_encode_args,
    check_mac,
    check_pair,
    check_sc_args,
    check_sc_batch_args,
    check_tail,
    check_triple,
    check_unpack,
    check_words,
    native_words,
    shape_stand_in,
)

__all__ = [
    "PRIORITY",
    "Backend",
    "available_backends",
    "backend_status",
    "get_backend",
]


#: Encoded input words one batched kernel call holds at most (128 MiB); larger batches are
#: cut into blocks of rows.
_BATCH_WORDS = 1 << 24


def _scalar_if_0d(out: Any) -> Any:
    """NumPy ufuncs return a scalar for 0-d operands; so does every backend."""
    return out[()] if isinstance(out, np.ndarray) and out.ndim == 0 else out


class Backend(abc.ABC):
    """A golden model of the contract (docs/contract.md).

    The public ops are defined here, once: each checks its arguments with
    ``golden._validate`` and then calls the backend's ``_<op>_impl`` hook with the checked
    arrays, so bad input raises the same exception with the same message on every backend by
    construction. A subclass sets ``name`` and implements the ``_*_impl`` hooks; it may
    override :meth:`unavailable_reason`, :meth:`_host` and :meth:`_resident` (device arrays).
    """

    name: ClassVar[str]

    #: The full function set of a golden model (array-api-compat style), all with the
    #: signatures of the NumPy floor (``golden.vec_and`` etc.).
    OPS: ClassVar[tuple[str, ...]] = (
        "encode_inputs",
        "pack_bitstream",
        "sc_counts",
        "sc_counts_batch",
        "sc_forward",
        "sc_forward_batch",
        "unpack_bitstream",
        "vec_and",
        "vec_mac",
        "vec_mux",
        "vec_not",
        "vec_popcount",
        "vec_xnor",
    )

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Why this backend cannot run here, or ``None`` when it can."""
        return None

    # -- hooks for device-resident operands ----------------------------------------------------

    def _host(self, array: Any) -> Any:
        """``array`` readable by the host checks: a device array as a NumPy copy, anything
        else unchanged (so the checks see exactly what the NumPy floor would)."""
        return array

    def _resident(self, array: Any) -> Any:
        """``array`` itself when it is a uint64 device array the kernels read in place (its
        shape is checked, its values need none), else ``None``."""
        return None

    # -- the ops: checks here, kernels in the subclasses ---------------------------------------

    def sc_counts(
        self, weights_packed: Any, input_probs: Any, *, length: int, seed: int = DEFAULT_SEED
    ) -> np.ndarray:
        """AND-then-popcount counts of the contract: ``sum_{i,w} popcount(W[o,i,w] & X[i,w])``.

        Parameters
        ----------
        weights_packed : array_like
            uint64 ``(n_out, n_in, ceil(length / 64))`` packed weight streams; any strides or
            byte order.
        input_probs : array_like
            ``(n_in,)`` probabilities in ``[0, 1]``.
        length : int
            Stream length in bits, ``>= 1``.
        seed : int, optional
            Base seed of the input encoder, in ``[0, 2**64)``.

        Returns
        -------
        numpy.ndarray
            int64 ``(n_out,)``.

        Raises
        ------
        TypeError, ValueError
            For bad arguments (docs/contract.md, *Bad input*), the same on every backend.
        """
        weights, probs, length, seed = self._checked_sc(
            check_sc_args, weights_packed, input_probs, length, seed)
        return self._sc_counts_impl(weights, probs, length, seed)

    def _checked_sc(self, check: Any, weights_packed: Any, input_probs: Any, length: Any,
                    seed: Any) -> tuple[Any, np.ndarray, int, int]:
        """``check(weights, probs, length, seed)`` on host views; a resident device array of
        weights is checked through a zero-strided host stand-in of its shape and kept as is."""
        resident = self._resident(weights_packed)
        host = self._host(weights_packed) if resident is None else shape_stand_in(resident.shape)
        weights, probs, length, seed = check(host, self._host(input_probs), length, seed)
        return (weights if resident is None else resident), probs, length, seed

    def sc_forward(
        self, weights_packed: Any, input_probs: Any, *, length: int, seed: int = DEFAULT_SEED
    ) -> np.ndarray:
        """``sc_counts(...) / length`` as float64 ``(n_out,)`` (not divided by ``n_in``)."""
        counts = self.sc_counts(weights_packed, input_probs, length=length, seed=seed)
        return counts / np.float64(length)

    def sc_counts_batch(
        self, weights_packed: Any, input_probs: Any, *, length: int, seed: int = DEFAULT_SEED
    ) -> np.ndarray:
        """:meth:`sc_counts` of one layer for ``B`` input vectors, all with the same ``seed``.

        Row ``b`` is bit-identical to ``sc_counts(weights_packed, input_probs[b],
        length=length, seed=seed)``: every row is encoded with the same base seed, as ``B``
        single calls with that seed would be (one layer, many input vectors). The weights are
        read once per block of rows, not once per vector.

        Parameters
        ----------
        weights_packed : array_like
            uint64 ``(n_out, n_in, ceil(length / 64))`` packed weight streams; any strides or
            byte order.
        input_probs : array_like
            ``(B, n_in)`` probabilities in ``[0, 1]``, ``B >= 1`` (one vector: use
            :meth:`sc_counts`).
        length : int
            Stream length in bits, ``>= 1``.
        seed : int, optional
            Base seed of the input encoder, in ``[0, 2**64)``, shared by every row.

        Returns
        -------
        numpy.ndarray
            int64 ``(B, n_out)``.

        Raises
        ------
        TypeError, ValueError
            For bad arguments (docs/contract.md, *Bad input*), the same on every backend.
        """
        weights, probs, length, seed = self._checked_sc(
            check_sc_batch_args, weights_packed, input_probs, length, seed)
        # Blocks of rows bound the encoded inputs a kernel holds (B * n_in * n_words words).
        rows = max(1, _BATCH_WORDS // max(1, weights.shape[1] * weights.shape[2]))
        if probs.shape[0] <= rows:
            return self._sc_counts_batch_impl(weights, probs, length, seed)
        return np.concatenate([self._sc_counts_batch_impl(weights, probs[a : a + rows], length,
                                                          seed)
                               for a in range(0, probs.shape[0], rows)])

    def sc_forward_batch(
        self, weights_packed: Any, input_probs: Any, *, length: int, seed: int = DEFAULT_SEED
    ) -> np.ndarray:
        """``sc_counts_batch(...) / length`` as float64 ``(B, n_out)``; row ``b`` equals
        ``sc_forward(weights_packed, input_probs[b], length=length, seed=seed)``."""
        counts = self.sc_counts_batch(weights_packed, input_probs, length=length, seed=seed)
        return counts / np.float64(length)

    def encode_inputs(
        self, input_probs: Any, *, length: int, seed: int = DEFAULT_SEED
    ) -> np.ndarray:
        """Packed input streams (see :func:`golden.encode_inputs`).

        Returns
        -------
        numpy.ndarray
            uint64 ``(n_in, ceil(length / 64))``.
        """
        probs, length, seed = check_encode_args(self._host(input_probs), length, seed)
        # The output must fit in memory: the same MemoryError on every backend (a device
        # runtime such as XLA would abort the process instead of raising).
        np.empty((probs.shape[0], -(-length // 64)), dtype=np.uint64)
        return self._encode_inputs_impl(probs, length, seed)

    def pack_bitstream(self, bits: Any) -> np.ndarray:
        """Pack a {0, 1} stream LSB first (see :func:`golden.pack_bitstream`).

        Returns
        -------
        numpy.ndarray
            uint64 ``(ceil(N/64),)`` or ``(B, ceil(N/64))``.
        """
        return self._pack_bitstream_impl(check_bits(self._host(bits)))

    def unpack_bitstream(
        self, packed: Any, original_length: int, original_shape: tuple[int, ...] | None = None
    ) -> np.ndarray:
        """Inverse of :meth:`pack_bitstream` (see :func:`golden.unpack_bitstream`).

        Returns
        -------
        numpy.ndarray
            uint8 {0, 1}, ``(N,)`` / ``(B, N)`` or ``original_shape``.
        """
        rows, length, shape = check_unpack(self._host(packed), original_length, original_shape)
        return self._unpack_bitstream_impl(rows, length, shape)

    def vec_and(self, a: Any, b: Any) -> np.ndarray:
        """Bitwise AND of two packed streams, same shape (see :func:`golden.vec_and`)."""
        wa, wb = check_pair(self._host(a), self._host(b))
        return _scalar_if_0d(self._vec_and_impl(wa, wb))

    def vec_xnor(self, a: Any, b: Any, *, length: int) -> np.ndarray:
        """Bitwise XNOR, padding kept zero (see :func:`golden.vec_xnor`)."""
        wa, wb = check_pair(self._host(a), self._host(b))
        length = check_tail(wa, length, "a")
        return self._vec_xnor_impl(wa, wb, length)

    def vec_not(self, a: Any, *, length: int) -> np.ndarray:
        """Bitwise NOT, padding kept zero (see :func:`golden.vec_not`)."""
        wa = native_words(self._host(a), "a")
        length = check_tail(wa, length, "a")
        return self._vec_not_impl(wa, length)

    def vec_mux(self, sel: Any, a: Any, b: Any, *, length: int) -> np.ndarray:
        """``(sel & a) | (~sel & b)``, padding kept zero (see :func:`golden.vec_mux`)."""
        ws, wa, wb = check_triple(self._host(sel), self._host(a), self._host(b))
        length = check_tail(ws, length, "sel")
        return self._vec_mux_impl(ws, wa, wb, length)

    def vec_popcount(self, packed: Any) -> int:
        """Total number of set bits, any shape (see :func:`golden.vec_popcount`)."""
        words = self._resident(packed)
        if words is None:
            words = check_words(self._host(packed), "packed")
        return int(self._vec_popcount_impl(words))

    def vec_mac(self, packed_weights: Any, packed_inputs: Any) -> np.ndarray:
        """AND each weight row with the inputs, popcount, sum (see :func:`golden.vec_mac`).

        Returns
        -------
        numpy.ndarray
            int64 ``(n_out,)``.
        """
        w, x = check_mac(self._host(packed_weights), self._host(packed_inputs))
        return self._vec_mac_impl(w, x)

    # -- kernels on checked arguments ----------------------------------------------------------

    @abc.abstractmethod
    def _sc_counts_impl(
        self, weights: Any, probs: np.ndarray, length: int, seed: int
    ) -> np.ndarray:
        """Counts of checked arguments: ``weights`` uint64 ``(n_out, n_in, n_words)`` (any
        strides or byte order, or a resident device array), ``probs`` float64 ``(n_in,)``."""

    @abc.abstractmethod
    def _sc_counts_batch_impl(
        self, weights: Any, probs: np.ndarray, length: int, seed: int
    ) -> np.ndarray:
        """int64 ``(B, n_out)`` counts of checked arguments: ``weights`` as for
        :meth:`_sc_counts_impl`, ``probs`` float64 ``(B, n_in)`` with ``B >= 1``, every row
        encoded with the same ``seed``."""

    @abc.abstractmethod
    def _encode_inputs_impl(self, probs: np.ndarray, length: int, seed: int) -> np.ndarray:
        """uint64 ``(n_in, n_words)`` streams of checked float64 ``(n_in,)`` probabilities."""

    @abc.abstractmethod
    def _pack_bitstream_impl(self, bits: np.ndarray) -> np.ndarray:
        """Packed words of checked bits ``(N,)`` or ``(B, N)`` (bool or integer 0/1)."""

    @abc.abstractmethod
    def _unpack_bitstream_impl(
        self, rows: np.ndarray, length: int, shape: tuple[int, ...]
    ) -> np.ndarray:
        """uint8 bits of native uint64 ``rows`` ``(B, n_words)``, reshaped to ``shape``."""

    @abc.abstractmethod
    def _vec_and_impl(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``a & b`` of native uint64 operands of one shape."""

    @abc.abstractmethod
    def _vec_xnor_impl(self, a: np.ndarray, b: np.ndarray, length: int) -> np.ndarray:
        """``~(a ^ b)`` with the bits past ``length`` cleared (native uint64, one shape)."""

    @abc.abstractmethod
    def _vec_not_impl(self, a: np.ndarray, length: int) -> np.ndarray:
        """``~a`` with the bits past ``length`` cleared (native uint64)."""

    @abc.abstractmethod
    def _vec_mux_impl(
        self, sel: np.ndarray, a: np.ndarray, b: np.ndarray, length: int
    ) -> np.ndarray:
        """``(sel & a) | (~sel & b)`` with the bits past ``length`` cleared."""

    @abc.abstractmethod
    def _vec_popcount_impl(self, words: Any) -> int:
        """Set bits of uint64 ``words`` (any strides or byte order, or a resident array)."""

    @abc.abstractmethod
    def _vec_mac_impl(self, weights: np.ndarray, inputs: np.ndarray) -> np.ndarray:
        """int64 ``(n_out,)`` of native uint64 ``(n_out, n_in, n_words)``, ``(n_in, n_words)``."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


# name -> "module:Class", imported only when asked for (so `import golden` stays light).
# A backend whose module is absent or cannot import reports why and is unavailable.
_REGISTRY: dict[str, str] = {
    "rust": "golden.backends.sc_rust:RustBackend",
    "cupy": "golden.backends.sc_cupy:CupyBackend",
    "numba": "golden.backends.sc_numba:NumbaBackend",
    "jax": "golden.backends.sc_jax:JaxBackend",
    "numpy": "golden.backends.sc_numpy:NumpyBackend",
}

#: Backend names, fastest first; ``get_backend("auto")`` takes the first available one.
PRIORITY: tuple[str, ...] = tuple(_REGISTRY)

_instances: dict[str, Backend] = {}


def backend_status() -> dict[str, str | None]:
    """Each backend's reason for being unavailable (``None`` = available), fastest first."""
    return _selector.status(_REGISTRY, PRIORITY)


def available_backends() -> dict[str, bool]:
    """Which backends can run here: ``{name: bool}``, fastest first; ``numpy`` is always True."""
    return {name: reason is None for name, reason in backend_status().items()}


def get_backend(name: str = "auto") -> Backend:
    """Return a backend by name; ``"auto"`` (the default) is the fastest available one.

    Parameters
    ----------
    name : str
        ``"auto"`` or one of :data:`PRIORITY`.

    Returns
    -------
    Backend
        One instance per name (cached).

    Raises
    ------
    TypeError
        If ``name`` is not a str.
    ValueError
        If ``name`` is unknown (the message lists the valid names).
    RuntimeError
        If the backend is known but cannot run here (the message says why).
    """
    return _selector.select("backend", _REGISTRY, PRIORITY, _instances, name)
