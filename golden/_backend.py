"""The backend selector: abstract ``Backend``, the registry, ``PRIORITY`` and ``get_backend``."""

from __future__ import annotations

import abc
import importlib
from typing import Any, ClassVar

import numpy as np

from ._contract import DEFAULT_SEED

__all__ = [
    "PRIORITY",
    "Backend",
    "available_backends",
    "backend_status",
    "get_backend",
]


class Backend(abc.ABC):
    """A golden model of the contract (docs/contract.md).

    Subclasses set ``name``, implement :meth:`sc_counts` and may override
    :meth:`unavailable_reason`. Every backend validates with ``golden._validate.check_sc_args``
    so that bad input raises the same exception with the same message everywhere.
    """

    name: ClassVar[str]

    #: The full function set of a golden model (array-api-compat style). ``sc_counts`` and
    #: ``sc_forward`` are required; a backend that offers the rest offers all of them, with the
    #: signatures of the NumPy floor (``golden.vec_and`` etc.).
    OPS: ClassVar[tuple[str, ...]] = (
        "encode_inputs",
        "pack_bitstream",
        "sc_counts",
        "sc_forward",
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

    @abc.abstractmethod
    def sc_counts(
        self, weights_packed: Any, input_probs: Any, *, length: int, seed: int = DEFAULT_SEED
    ) -> np.ndarray:
        """AND-then-popcount counts of the contract.

        Parameters
        ----------
        weights_packed : array_like
            uint64 ``(n_out, n_in, ceil(length / 64))`` packed weight streams.
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
        """

    def sc_forward(
        self, weights_packed: Any, input_probs: Any, *, length: int, seed: int = DEFAULT_SEED
    ) -> np.ndarray:
        """``sc_counts(...) / length`` as float64 ``(n_out,)`` (not divided by ``n_in``)."""
        counts = self.sc_counts(weights_packed, input_probs, length=length, seed=seed)
        return counts / np.float64(length)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


# name -> "module:Class", imported only when asked for (so `import golden` stays light).
# A backend whose module is absent or cannot import reports why and is unavailable.
_REGISTRY: dict[str, str] = {
    "rust": "golden._rust_backend:RustBackend",
    "cupy": "golden._cupy_backend:CupyBackend",
    "numba": "golden._numba_backend:NumbaBackend",
    "jax": "golden._jax_backend:JaxBackend",
    "numpy": "golden._numpy_backend:NumpyBackend",
}

#: Backend names, fastest first; ``get_backend("auto")`` takes the first available one.
PRIORITY: tuple[str, ...] = tuple(_REGISTRY)

_instances: dict[str, Backend] = {}


def _load(name: str) -> tuple[type[Backend] | None, str | None]:
    module_name, _, class_name = _REGISTRY[name].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return None, f"{module_name} cannot be imported ({exc})"
    cls = getattr(module, class_name)
    return cls, cls.unavailable_reason()


def backend_status() -> dict[str, str | None]:
    """Each backend's reason for being unavailable (``None`` = available), fastest first."""
    return {name: _load(name)[1] for name in PRIORITY}


def available_backends() -> dict[str, bool]:
    """Which backends can run here: ``{name: bool}``, fastest first; ``numpy`` is always True."""
    return {name: reason is None for name, reason in backend_status().items()}


def get_backend(name: str = "auto") -> Backend:
    """Return a backend by name; ``"auto"`` is the fastest available one.

    Raises
    ------
    TypeError
        If ``name`` is not a str.
    ValueError
        If ``name`` is unknown (the message lists the valid names).
    RuntimeError
        If the backend is known but cannot run here (the message says why).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__} {name!r}")
    if name == "auto":
        for candidate in PRIORITY:
            if _load(candidate)[1] is None:
                return get_backend(candidate)
        raise RuntimeError("no backend is available")  # unreachable: numpy always is
    if name not in _REGISTRY:
        valid = ", ".join(("auto",) + PRIORITY)
        raise ValueError(f"unknown backend {name!r}; valid names: {valid}")
    if name not in _instances:
        cls, reason = _load(name)
        if reason is not None or cls is None:
            raise RuntimeError(f"backend {name!r} is not available: {reason}")
        _instances[name] = cls()
    return _instances[name]
