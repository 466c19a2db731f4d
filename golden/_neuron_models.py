"""One selector for the bit-true Q8.8 neuron models (NumPy floor, JAX, Rust), all bit-identical."""

from __future__ import annotations

import importlib
from typing import Callable, NamedTuple

__all__ = ["NeuronModel", "get_neuron", "neuron_names"]


class NeuronModel(NamedTuple):
    """The three functions of docs/contract.md section 9 on one engine.

    Every model takes and returns exactly what :func:`golden.dot_to_current`,
    :func:`golden.lif_step` and :func:`golden.lif_run` do, with the same checks and messages.
    """

    name: str
    dot_to_current: Callable
    lif_step: Callable
    lif_run: Callable


def _numpy() -> NeuronModel:
    from . import _neuron

    return NeuronModel("numpy", _neuron.dot_to_current, _neuron.lif_step, _neuron.lif_run)


def _jax() -> NeuronModel:
    try:
        nj = importlib.import_module("golden._neuron_jax")
    except ImportError as exc:
        raise RuntimeError(f"neuron model 'jax' needs JAX ({exc}); install the 'jax' extra") from exc
    return NeuronModel("jax", nj.jax_dot_to_current, nj.jax_lif_step, nj.jax_lif_run)


def _rust() -> NeuronModel:
    from . import _neuron_rust as nr

    reason = nr.unavailable_reason()
    if reason is not None:
        raise RuntimeError(f"neuron model 'rust' is unavailable: {reason}")
    return NeuronModel("rust", nr.dot_to_current, nr.lif_step, nr.lif_run)


#: name -> loader; a loader imports its engine only when called.
_REGISTRY: dict[str, Callable[[], NeuronModel]] = {"numpy": _numpy, "jax": _jax, "rust": _rust}


def neuron_names() -> list[str]:
    """The names :func:`get_neuron` knows, sorted."""
    return sorted(_REGISTRY)


def get_neuron(name: str = "numpy") -> NeuronModel:
    """The neuron model called ``name``.

    Parameters
    ----------
    name : str
        ``"numpy"`` (the floor, always there), ``"jax"`` or ``"rust"``.

    Returns
    -------
    NeuronModel

    Raises
    ------
    TypeError
        ``name`` is not a str.
    ValueError
        An unknown name (the message lists the valid ones).
    RuntimeError
        A known model whose engine cannot run here, saying why (never a silent fallback).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__} {name!r}")
    try:
        loader = _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown neuron model {name!r}; valid names: "
                         f"{', '.join(neuron_names())}") from None
    return loader()
