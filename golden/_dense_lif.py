"""The SC dense layer ending in Q8.8 LIF neurons: counts -> current -> spikes, one step per call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._backend import Backend, get_backend
from ._neuron import (
    N_IN_MAX,
    LifState,
    check_params,
    check_state,
    dot_to_current,
    lif_run,
    lif_step,
)
from ._validate import check_length, check_sc_args

__all__ = ["dense_lif_run", "dense_lif_step"]


def _backend(backend: Any) -> Backend:
    """``None`` -> the NumPy floor; a name -> ``get_backend(name)``; a Backend as it is."""
    if backend is None:
        return get_backend("numpy")
    if isinstance(backend, Backend):
        return backend
    if isinstance(backend, str):
        return get_backend(backend)
    raise TypeError(f"backend must be None, a backend name or a golden.Backend, "
                    f"got {type(backend).__name__} {backend!r}")


def _full_scale(n_full: Any, n_in: int, length: int) -> int:
    """``n_full`` checked, defaulting to ``n_in * length``; in ``[1, 2**31 - 1]``."""
    if n_full is None:
        n_full = n_in * length
        if n_full == 0:
            raise ValueError(f"n_full must be a positive int, got {n_full} "
                             f"(the default n_in * length with n_in = 0)")
    n_full = check_length(n_full, "n_full")
    if n_full > N_IN_MAX:
        raise ValueError(f"n_full must be <= 2**31 - 1, got {n_full}")
    return n_full


def dense_lif_step(
    state: LifState,
    weights: Any,
    probs: Any,
    length: Any,
    seed: Any,
    params: Any,
    *,
    y_min: Any,
    y_max: Any,
    n_full: Any = None,
    noise: Any = None,
    backend: Any = None,
) -> tuple[LifState, np.ndarray, np.ndarray, np.ndarray]:
    """One time step of an SC dense layer whose outputs are LIF neurons (docs/contract.md 9).

    ``counts = sc_counts(weights, probs, length, seed)``, then
    ``current = dot_to_current(counts, n_full, y_min, y_max)``, then one
    :func:`golden.lif_step` of the ``n_out`` neurons with ``current`` and ``noise``.

    Parameters
    ----------
    state : LifState
        ``v`` int ``(n_out,)`` Q8.8 and ``ref`` int ``(n_out,)``: the neurons before the step.
    weights : array_like
        uint64 ``(n_out, n_in, ceil(length / 64))`` packed weight streams.
    probs : array_like
        ``(n_in,)`` input probabilities in ``[0, 1]`` of this step.
    length : int
        Stream length in bits, ``>= 1``.
    seed : int
        Base seed of this step's input encoder, in ``[0, 2**64)``.
    params : LifParams
        Neuron parameters (raw ints).
    y_min, y_max : int
        Raw Q8.8 currents at count 0 and count ``n_full``.
    n_full : int, optional
        Full-scale count in ``[1, 2**31 - 1]``; default ``n_in * length`` (every product bit
        set). Every count must be ``<= n_full``.
    noise : array_like, optional
        Integer ``(n_out,)`` Q8.8 noise of this step; ``None`` means zero.
    backend : str or golden.Backend, optional
        Golden backend of the counts; default the NumPy floor.

    Returns
    -------
    state : LifState
        The neurons after the step: ``v`` int16 ``(n_out,)``, ``ref`` int32 ``(n_out,)``.
    spikes : numpy.ndarray
        bool ``(n_out,)``.
    v : numpy.ndarray
        int16 ``(n_out,)``: the membranes after the step (``v_reset`` where a neuron spiked).
    counts : numpy.ndarray
        int64 ``(n_out,)``: the dot-product counts of the step.

    Raises
    ------
    TypeError, ValueError
        Bad arguments, each message naming the argument and the value: ``params`` and
        ``state`` first (``golden.lif_step``'s checks), then the dot product's
        (docs/contract.md section 6), ``state`` against ``n_out``, ``n_full``, the current
        range and ``noise``.
    """
    params = check_params(params)
    v, _ = check_state(state)
    be = _backend(backend)
    weights, probs, length, seed = check_sc_args(weights, probs, length, seed)
    n_out, n_in = weights.shape[:2]
    if v.shape[0] != n_out:
        raise ValueError(f"state has {v.shape[0]} neurons but weights has n_out={n_out}")
    n_full = _full_scale(n_full, n_in, length)
    counts = np.asarray(be.sc_counts(weights, probs, length=length, seed=seed), dtype=np.int64)
    current = dot_to_current(counts, n_full, y_min, y_max)
    new_state, spikes = lif_step(state, current, params, noise)
    return new_state, spikes, new_state.v.copy(), counts


def dense_lif_run(
    state: LifState,
    weights: Any,
    probs: Any,
    length: Any,
    seeds: Sequence[Any] | np.ndarray,
    params: Any,
    *,
    y_min: Any,
    y_max: Any,
    n_full: Any = None,
    noise: Any = None,
    backend: Any = None,
) -> tuple[LifState, np.ndarray, np.ndarray, np.ndarray]:
    """``T`` steps of :func:`dense_lif_step` with the same weights, per-step inputs and seeds.

    Parameters
    ----------
    state : LifState
        The ``n_out`` neurons before step 0.
    weights : array_like
        uint64 ``(n_out, n_in, ceil(length / 64))``, used at every step.
    probs : array_like
        ``(T, n_in)`` input probabilities, row ``t`` for step ``t``.
    length : int
        Stream length in bits, ``>= 1``.
    seeds : sequence of int
        ``T`` base seeds, one per step.
    params : LifParams
    y_min, y_max, n_full, backend
        As in :func:`dense_lif_step`.
    noise : array_like, optional
        Integer ``(T, n_out)`` Q8.8 noise; ``None`` means zero.

    Returns
    -------
    state : LifState
        The neurons after the last step.
    spikes : numpy.ndarray
        bool ``(T, n_out)``.
    v_trace : numpy.ndarray
        int16 ``(T, n_out)``: the membranes after each step.
    counts : numpy.ndarray
        int64 ``(T, n_out)``.
    """
    params = check_params(params)
    v, _ = check_state(state)
    be = _backend(backend)
    p = np.asarray(probs)
    if p.ndim != 2:
        raise ValueError(f"probs must be 2-D (T, n_in), got shape {p.shape}")
    seeds = list(seeds)
    if len(seeds) != p.shape[0]:
        raise ValueError(f"seeds has {len(seeds)} entries but probs has T={p.shape[0]} rows")
    # The weights' own checks (dtype, rank, n_words) with a stand-in input of their n_in.
    stand_in = np.zeros(np.shape(weights)[1] if np.ndim(weights) == 3 else 0)
    weights, _, length, _ = check_sc_args(weights, stand_in, length, 0)
    n_out, n_in = weights.shape[:2]
    if v.shape[0] != n_out:
        raise ValueError(f"state has {v.shape[0]} neurons but weights has n_out={n_out}")
    n_full = _full_scale(n_full, n_in, length)
    counts = np.zeros((p.shape[0], n_out), dtype=np.int64)
    for t in range(p.shape[0]):
        _, x, _, seed = check_sc_args(weights, p[t], length, seeds[t])
        counts[t] = be.sc_counts(weights, x, length=length, seed=seed)
    # The neurons of all steps at once: one current map, then lif_run's checks and loop.
    currents = dot_to_current(counts, n_full, y_min, y_max)
    state, spikes, trace = lif_run(state, currents, params, noise)
    return state, spikes, trace, counts
