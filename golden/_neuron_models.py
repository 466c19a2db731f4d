"""The neuron selector: abstract ``NeuronModel`` (checks once, then a kernel) and ``get_neuron``."""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import numpy as np

from . import _selector
from ._neuron import LifParams, LifState, check_current_args, check_run_args, check_step_args

__all__ = [
    "NEURON_PRIORITY",
    "NeuronModel",
    "available_neurons",
    "get_neuron",
    "neuron_names",
    "neuron_status",
]


class NeuronModel(abc.ABC):
    """The three functions of docs/contract.md section 9 on one engine.

    :meth:`dot_to_current`, :meth:`lif_step` and :meth:`lif_run` take and return exactly what
    :func:`golden.dot_to_current`, :func:`golden.lif_step` and :func:`golden.lif_run` do. They
    are defined here, once: each checks its arguments (``golden._neuron.check_*``) and then
    calls the engine's ``_*_impl`` hook, so bad input fails the same way on every engine by
    construction. A subclass sets ``name``, implements :meth:`_dot_to_current_impl` and
    :meth:`_lif_run_impl`, and may override :meth:`_lif_step_impl` (default: a run of one
    step) and :meth:`unavailable_reason`.
    """

    name: ClassVar[str]

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Why this engine cannot run here, or ``None`` when it can."""
        return None

    def dot_to_current(self, counts: Any, n_in: Any, y_min: Any, y_max: Any) -> np.ndarray:
        """Counts -> Q8.8 current (see :func:`golden.dot_to_current`).

        Returns
        -------
        numpy.ndarray
            int16, the shape of ``counts`` (a NumPy int16 scalar for a 0-d ``counts``).
        """
        return self._dot_to_current_impl(*check_current_args(counts, n_in, y_min, y_max))

    def lif_step(
        self, state: LifState, current: Any, params: LifParams, noise: Any = None
    ) -> tuple[LifState, np.ndarray]:
        """One LIF step (see :func:`golden.lif_step`).

        Returns
        -------
        state : LifState
            ``v`` int16 ``(n,)``, ``ref`` int32 ``(n,)``.
        spikes : numpy.ndarray
            bool ``(n,)``.
        """
        return self._lif_step_impl(*check_step_args(state, current, params, noise))

    def lif_run(
        self, state: LifState, currents: Any, params: LifParams, noise: Any = None
    ) -> tuple[LifState, np.ndarray, np.ndarray]:
        """``T`` LIF steps (see :func:`golden.lif_run`).

        Returns
        -------
        state : LifState
            The state after the last step.
        spikes : numpy.ndarray
            bool ``(T, n)``.
        v_trace : numpy.ndarray
            int16 ``(T, n)``.
        """
        return self._lif_run_impl(*check_run_args(state, currents, params, noise))

    @abc.abstractmethod
    def _dot_to_current_impl(self, c: np.ndarray, n_in: int, y_min: int, y_max: int) -> Any:
        """int16 currents of checked int64 counts ``c`` (any shape)."""

    @abc.abstractmethod
    def _lif_run_impl(
        self, params: LifParams, v: np.ndarray, ref: np.ndarray, cur: np.ndarray,
        nz: np.ndarray | None,
    ) -> tuple[LifState, np.ndarray, np.ndarray]:
        """The run of checked int64 arrays: ``v``, ``ref`` ``(n,)``; ``cur``, ``nz`` ``(T, n)``
        (``nz`` ``None`` means zero)."""

    def _lif_step_impl(
        self, params: LifParams, v: np.ndarray, ref: np.ndarray, cur: np.ndarray,
        nz: np.ndarray | None,
    ) -> tuple[LifState, np.ndarray]:
        """One step of checked int64 ``(n,)`` arrays: a run of ``T = 1``."""
        new, spikes, _ = self._lif_run_impl(
            params, v, ref, cur[None], None if nz is None else nz[None])
        return new, spikes[0]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


# name -> "module:Class", fastest first, imported only when asked for (`import golden` stays
# light); an engine whose module cannot import reports why and is unavailable.
_REGISTRY: dict[str, str] = {
    "rust": "golden.backends.neuron_rust:RustNeuron",
    "jax": "golden.backends.neuron_jax:JaxNeuron",
    "numpy": "golden.backends.neuron_numpy:NumpyNeuron",
}

#: Neuron model names, fastest first; ``get_neuron("auto")`` takes the first available one.
NEURON_PRIORITY: tuple[str, ...] = tuple(_REGISTRY)

_instances: dict[str, NeuronModel] = {}


def neuron_names() -> list[str]:
    """The names :func:`get_neuron` knows (besides ``"auto"``), sorted."""
    return sorted(_REGISTRY)


def neuron_status() -> dict[str, str | None]:
    """Each model's reason for being unavailable (``None`` = available), fastest first."""
    return _selector.status(_REGISTRY, NEURON_PRIORITY)


def available_neurons() -> dict[str, bool]:
    """Which models can run here: ``{name: bool}``, fastest first; ``numpy`` is always True."""
    return {name: reason is None for name, reason in neuron_status().items()}


def get_neuron(name: str = "auto") -> NeuronModel:
    """The neuron model called ``name``; ``"auto"`` (the default) is the fastest available one.

    Every model is bit-identical to the NumPy floor, so ``"auto"`` changes only the speed.

    Parameters
    ----------
    name : str
        ``"auto"`` or one of :data:`NEURON_PRIORITY` (``"rust"``, ``"jax"``, ``"numpy"``).

    Returns
    -------
    NeuronModel
        One instance per name (cached).

    Raises
    ------
    TypeError
        ``name`` is not a str.
    ValueError
        An unknown name (the message lists the valid ones).
    RuntimeError
        A known model whose engine cannot run here, saying why (never a silent fallback).
    """
    return _selector.select("neuron model", _REGISTRY, NEURON_PRIORITY, _instances, name)
