"""The bit-true Q8.8 neuron on the Rust engine (``golden._native``), bit-identical to NumPy."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._neuron import (
    LifParams,
    LifState,
    check_current_args,
    check_run_args,
    check_step_args,
)

try:  # the extension is optional: without it the functions raise RuntimeError saying why
    from . import _native
except ImportError as _exc:  # pragma: no cover - depends on the build
    _native = None
    _IMPORT_ERROR: str | None = str(_exc)
else:
    _IMPORT_ERROR = None

__all__ = ["dot_to_current", "lif_run", "lif_step", "unavailable_reason"]

# What this module calls; an older build that lacks one is reported as unavailable.
_NATIVE_SYMBOLS = ("dot_to_current", "lif_run")


def unavailable_reason() -> str | None:
    """Why the Rust neuron cannot run here (``None`` when it can)."""
    if _native is None:
        return f"golden._native is not built ({_IMPORT_ERROR}); run `make native`"
    missing = [s for s in _NATIVE_SYMBOLS if not hasattr(_native, s)]
    if missing:
        return f"golden._native is stale: it lacks {', '.join(missing)}; run `make native`"
    return None


def _lib() -> Any:
    reason = unavailable_reason()
    if reason is not None:
        raise RuntimeError(reason)
    return _native


def _raw(arr: np.ndarray, dtype: type) -> np.ndarray:
    """A checked int64 array as C-contiguous ``dtype`` (exact: its range was checked); keeps 0-d."""
    return np.asarray(arr, dtype=dtype, order="C")


def _params_tuple(params: LifParams) -> tuple[int, ...]:
    return tuple(int(x) for x in params)


def dot_to_current(counts: Any, n_in: Any, y_min: Any, y_max: Any) -> np.ndarray:
    """Rust twin of :func:`golden.dot_to_current` (same checks, same int16 result).

    Parameters
    ----------
    counts : array_like
        Integer, any shape, in ``[0, n_in]``.
    n_in : int
        Full-scale count, ``1 <= n_in <= 2**31 - 1``.
    y_min, y_max : int
        Raw Q8.8 currents at count 0 and count ``n_in``.

    Returns
    -------
    numpy.ndarray
        int16, the shape of ``counts`` (a NumPy int16 scalar for a 0-d ``counts``, as
        :func:`golden.dot_to_current` returns).
    """
    lib = _lib()
    c, n_in, y_min, y_max = check_current_args(counts, n_in, y_min, y_max)
    out = lib.dot_to_current(_raw(c, np.int64), n_in, y_min, y_max)
    return out[()] if out.ndim == 0 else out


def lif_step(
    state: LifState, current: Any, params: LifParams, noise: Any = None
) -> tuple[LifState, np.ndarray]:
    """Rust twin of :func:`golden.lif_step` (same checks, same results).

    Parameters
    ----------
    state : LifState
        ``v`` int ``(n,)`` Q8.8 and ``ref`` int ``(n,)`` in ``[0, 65535]``.
    current : array_like
        Integer ``(n,)`` Q8.8 input current.
    params : LifParams
    noise : array_like, optional
        Integer ``(n,)`` Q8.8 noise; ``None`` means zero.

    Returns
    -------
    state : LifState
        ``v`` int16 ``(n,)``, ``ref`` int32 ``(n,)``.
    spikes : numpy.ndarray
        bool ``(n,)``.
    """
    lib = _lib()
    params, v, ref, cur, nz = check_step_args(state, current, params, noise)
    new, spikes, _ = _run(lib, params, v, ref, cur[None], None if nz is None else nz[None])
    return new, spikes[0]


def lif_run(
    state: LifState, currents: Any, params: LifParams, noise: Any = None
) -> tuple[LifState, np.ndarray, np.ndarray]:
    """Rust twin of :func:`golden.lif_run` (same checks, same results).

    Each neuron runs through all ``T`` steps in a vectorised loop; large problems split the
    neurons over threads (``RAYON_NUM_THREADS`` caps them). The result never depends on it.

    Parameters
    ----------
    state : LifState
        Initial state of ``n`` neurons.
    currents : array_like
        Integer ``(T, n)`` Q8.8 currents, row ``t`` for step ``t``.
    params : LifParams
    noise : array_like, optional
        Integer ``(T, n)`` Q8.8 noise; ``None`` means zero.

    Returns
    -------
    state : LifState
        The state after the last step: ``v`` int16 ``(n,)``, ``ref`` int32 ``(n,)``.
    spikes : numpy.ndarray
        bool ``(T, n)``.
    v_trace : numpy.ndarray
        int16 ``(T, n)``: the membrane after each step (``v_reset`` where it spiked).
    """
    lib = _lib()
    return _run(lib, *check_run_args(state, currents, params, noise))


def _run(lib: Any, params: LifParams, v: np.ndarray, ref: np.ndarray, cur: np.ndarray,
         nz: np.ndarray | None) -> tuple[LifState, np.ndarray, np.ndarray]:
    """``_native.lif_run`` on checked int64 arrays (``cur`` and ``nz`` ``(T, n)``)."""
    v2, ref2, spikes, trace = lib.lif_run(
        _raw(v, np.int16), _raw(ref, np.uint16), _raw(cur, np.int16), _params_tuple(params),
        None if nz is None else _raw(nz, np.int16))
    return LifState(v2, ref2.astype(np.int32)), spikes, trace
