"""The bit-true signed Q8.8 neuron (docs/contract.md section 9): count to current, and the LIF."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._validate import _first_index, check_int, check_length

__all__ = [
    "Q88_MAX",
    "Q88_MIN",
    "Q88_ONE",
    "LifParams",
    "LifState",
    "dot_to_current",
    "from_q88",
    "lif_init",
    "lif_run",
    "lif_step",
    "to_q88",
]

Q88_MIN = -32768
Q88_MAX = 32767
Q88_ONE = 256
N_IN_MAX = (1 << 31) - 1  # |(y_max - y_min) * count| <= 65535 * (2**31 - 1) < 2**47: 48-bit product
LEAK_MAX = 256             # leak is unsigned Q0.8 in [0, 1]: 256 = jump to v_rest in one step
REFRACTORY_MAX = 0xFFFF


def _check_int_scalar(value: Any, name: str, lo: int, hi: int) -> int:
    value = check_int(value, name)
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {value}")
    return value


def _check_int_array(
    value: Any, name: str, lo: int, hi: int, shape: tuple[int, ...] | None = None
) -> np.ndarray:
    """``value`` as int64 after checking dtype (integer), shape and range ``[lo, hi]``."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers (raw fixed-point), got dtype {arr.dtype}")
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if arr.dtype.kind == "u" and arr.dtype.itemsize == 8:
        big = arr > np.uint64(hi)
        if big.any():
            where = _first_index(big)
            raise ValueError(f"{name} must lie in [{lo}, {hi}], got {arr[where]} at index {where}")
    arr = arr.astype(np.int64)
    bad = (arr < lo) | (arr > hi)
    if bad.any():
        where = _first_index(bad)
        raise ValueError(f"{name} must lie in [{lo}, {hi}], got {arr[where]} at index {where}")
    return arr


def to_q88(x: Any) -> np.ndarray:
    """Real values -> raw signed Q8.8: ``clip(rint(x * 256), -32768, 32767)`` (half to even).

    Parameters
    ----------
    x : array_like
        Finite real numbers.

    Returns
    -------
    numpy.ndarray
        int16, same shape.
    """
    arr = np.asarray(x, dtype=np.float64)
    finite = np.isfinite(arr)
    if not finite.all():
        where = _first_index(~finite) if arr.ndim else ()
        raise ValueError(f"x must be finite, got {arr[where]}")
    return np.clip(np.rint(arr * Q88_ONE), Q88_MIN, Q88_MAX).astype(np.int16)


def from_q88(raw: Any) -> np.ndarray:
    """Raw signed Q8.8 -> float64 ``raw / 256``."""
    return _check_int_array(raw, "raw", Q88_MIN, Q88_MAX).astype(np.float64) / Q88_ONE


def check_current_args(
    counts: Any, n_in: Any, y_min: Any, y_max: Any
) -> tuple[np.ndarray, int, int, int]:
    """Checks of :func:`dot_to_current`: ``n_in``, ``y_min``, ``y_max``, then ``counts``.

    Returns
    -------
    counts : numpy.ndarray
        int64, the shape of ``counts``.
    n_in, y_min, y_max : int
    """
    n_in = check_length(n_in, "n_in")
    if n_in > N_IN_MAX:
        raise ValueError(f"n_in must be <= 2**31 - 1, got {n_in}")
    y_min = _check_int_scalar(y_min, "y_min", Q88_MIN, Q88_MAX)
    y_max = _check_int_scalar(y_max, "y_max", Q88_MIN, Q88_MAX)
    return _check_int_array(counts, "counts", 0, n_in), n_in, y_min, y_max


def dot_to_current(counts: Any, n_in: Any, y_min: Any, y_max: Any) -> np.ndarray:
    """Dot-product counts -> Q8.8 input current ``y_min + floor((y_max - y_min) * count / n_in)``.

    Exact integer arithmetic (a 48-bit signed product suffices), division rounding toward minus
    infinity; the result always lies between ``y_min`` and ``y_max`` (both ends included), so it
    never leaves the Q8.8 range. ``y_max < y_min`` (a falling map) is allowed.

    Parameters
    ----------
    counts : array_like
        Integer ``(n,)`` (any shape) in ``[0, n_in]``.
    n_in : int
        Full-scale count, ``1 <= n_in <= 2**31 - 1``.
    y_min, y_max : int
        Raw Q8.8 currents at count 0 and count ``n_in``, in ``[-32768, 32767]``.

    Returns
    -------
    numpy.ndarray
        int16, the shape of ``counts``.

    Raises
    ------
    TypeError
        Non-integer ``n_in``, ``y_min``, ``y_max`` or ``counts`` dtype.
    ValueError
        An argument outside its range (the message names it and the value).
    """
    return current_checked(*check_current_args(counts, n_in, y_min, y_max))


def current_checked(c: np.ndarray, n_in: int, y_min: int, y_max: int) -> np.ndarray:
    """:func:`dot_to_current` of checked arguments (int64 ``c``), int16, no checks."""
    current = y_min + ((y_max - y_min) * c) // n_in  # int64 floor division
    return current.astype(np.int16)


class LifParams(NamedTuple):
    """Parameters of the fixed-point LIF, shared by all neurons of a layer (raw ints).

    Attributes
    ----------
    v_rest, v_reset, v_th : int
        Q8.8 in ``[-32768, 32767]``: leak target, value after a spike, threshold.
    leak : int
        Unsigned Q0.8 in ``[0, 256]``: the fraction of ``v_rest - v`` recovered per step.
    gain : int
        Signed Q8.8 in ``[-32768, 32767]``: the current's weight.
    refractory : int
        Steps in ``[0, 65535]`` that a neuron holds ``v_reset`` after a spike.
    """

    v_rest: int = 0
    v_reset: int = 0
    v_th: int = Q88_ONE
    leak: int = 16
    gain: int = Q88_ONE
    refractory: int = 0


class LifState(NamedTuple):
    """State of ``n`` neurons: membrane ``v`` (int16 Q8.8), refractory counter ``ref`` (int32)."""

    v: np.ndarray
    ref: np.ndarray


def check_params(params: Any) -> LifParams:
    """Return ``params`` as a checked :class:`LifParams` of Python ints."""
    if not isinstance(params, LifParams):
        raise TypeError(f"params must be a LifParams, got {type(params).__name__}")
    return LifParams(
        v_rest=_check_int_scalar(params.v_rest, "params.v_rest", Q88_MIN, Q88_MAX),
        v_reset=_check_int_scalar(params.v_reset, "params.v_reset", Q88_MIN, Q88_MAX),
        v_th=_check_int_scalar(params.v_th, "params.v_th", Q88_MIN, Q88_MAX),
        leak=_check_int_scalar(params.leak, "params.leak", 0, LEAK_MAX),
        gain=_check_int_scalar(params.gain, "params.gain", Q88_MIN, Q88_MAX),
        refractory=_check_int_scalar(params.refractory, "params.refractory", 0, REFRACTORY_MAX),
    )


def check_state(state: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(v, ref)`` of a :class:`LifState` as int64 ``(n,)`` arrays after range checks."""
    if not isinstance(state, LifState):
        raise TypeError(f"state must be a LifState, got {type(state).__name__}")
    v = _check_int_array(state.v, "state.v", Q88_MIN, Q88_MAX)
    if v.ndim != 1:
        raise ValueError(f"state.v must be 1-D (n,), got shape {v.shape}")
    ref = _check_int_array(state.ref, "state.ref", 0, REFRACTORY_MAX, v.shape)
    return v, ref


def check_step_args(
    state: Any, current: Any, params: Any, noise: Any
) -> tuple[LifParams, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Checks of :func:`lif_step`, in order: ``params``, ``state``, ``current``, ``noise``.

    Returns
    -------
    params : LifParams
    v, ref, current : numpy.ndarray
        int64 ``(n,)``.
    noise : numpy.ndarray or None
        int64 ``(n,)``, ``None`` when absent.
    """
    params = check_params(params)
    v, ref = check_state(state)
    cur = _check_int_array(current, "current", Q88_MIN, Q88_MAX, v.shape)
    nz = None if noise is None else _check_int_array(noise, "noise", Q88_MIN, Q88_MAX, v.shape)
    return params, v, ref, cur, nz


def check_run_args(
    state: Any, currents: Any, params: Any, noise: Any
) -> tuple[LifParams, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Checks of :func:`lif_run`, in order: ``params``, ``state``, ``currents``, ``noise``.

    Returns
    -------
    params : LifParams
    v, ref : numpy.ndarray
        int64 ``(n,)``.
    currents : numpy.ndarray
        int64 ``(T, n)``.
    noise : numpy.ndarray or None
        int64 ``(T, n)``, ``None`` when absent.
    """
    params = check_params(params)
    v, ref = check_state(state)
    cur = np.asarray(currents)
    if cur.ndim != 2:
        raise ValueError(f"currents must be 2-D (T, n), got shape {cur.shape}")
    cur = _check_int_array(cur, "currents", Q88_MIN, Q88_MAX, (cur.shape[0], v.shape[0]))
    nz = None if noise is None else _check_int_array(noise, "noise", Q88_MIN, Q88_MAX, cur.shape)
    return params, v, ref, cur, nz


def lif_init(n: Any, params: LifParams) -> LifState:
    """``n`` neurons at ``v_rest``, not refractory."""
    n = check_length(n, "n")
    params = check_params(params)
    return LifState(np.full(n, params.v_rest, dtype=np.int16), np.zeros(n, dtype=np.int32))


def _step(v: np.ndarray, ref: np.ndarray, current: np.ndarray, noise: np.ndarray,
          p: LifParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step on checked int64 arrays (no validation)."""
    d_leak = ((p.v_rest - v) * p.leak) >> 8       # 17 x 9 bits -> 26-bit product, floor
    d_in = (current * p.gain) >> 8                 # 16 x 16 bits -> 32-bit product, floor
    v_new = np.clip(v + d_leak + d_in + noise, Q88_MIN, Q88_MAX)  # exact, one saturation
    hold = ref > 0
    spikes = (v_new >= p.v_th) & ~hold
    v_out = np.where(hold | spikes, p.v_reset, v_new)
    ref_out = np.where(hold, ref - 1, np.where(spikes, p.refractory, 0))
    return v_out, ref_out, spikes


def lif_step(
    state: LifState, current: Any, params: LifParams, noise: Any = None
) -> tuple[LifState, np.ndarray]:
    """One step of ``n`` fixed-point LIF neurons (docs/contract.md section 9).

    Parameters
    ----------
    state : LifState
        ``v`` int ``(n,)`` Q8.8 and ``ref`` int ``(n,)`` in ``[0, 65535]``.
    current : array_like
        Integer ``(n,)``, Q8.8 input current (e.g. from :func:`dot_to_current`).
    params : LifParams
    noise : array_like, optional
        Integer ``(n,)`` Q8.8 noise added this step; ``None`` means zero.

    Returns
    -------
    state : LifState
        ``v`` int16 ``(n,)``, ``ref`` int32 ``(n,)``.
    spikes : numpy.ndarray
        bool ``(n,)``.
    """
    return step_checked(*check_step_args(state, current, params, noise))


def step_checked(params: LifParams, v: np.ndarray, ref: np.ndarray, cur: np.ndarray,
                 nz: np.ndarray | None) -> tuple[LifState, np.ndarray]:
    """:func:`lif_step` of checked int64 ``(n,)`` arrays, no checks."""
    v, ref, spikes = _step(v, ref, cur, np.zeros_like(v) if nz is None else nz, params)
    return LifState(v.astype(np.int16), ref.astype(np.int32)), spikes


def lif_run(
    state: LifState, currents: Any, params: LifParams, noise: Any = None
) -> tuple[LifState, np.ndarray, np.ndarray]:
    """``T`` steps of :func:`lif_step` (vectorised over neurons).

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
        The state after the last step.
    spikes : numpy.ndarray
        bool ``(T, n)``.
    v_trace : numpy.ndarray
        int16 ``(T, n)``: the membrane after each step (``v_reset`` where it spiked).
    """
    return run_checked(*check_run_args(state, currents, params, noise))


def run_checked(params: LifParams, v: np.ndarray, ref: np.ndarray, cur: np.ndarray,
                nz: np.ndarray | None) -> tuple[LifState, np.ndarray, np.ndarray]:
    """:func:`lif_run` of checked int64 arrays (``v``, ``ref`` ``(n,)``; ``cur``, ``nz``
    ``(T, n)``), no checks."""
    if nz is None:
        nz = np.zeros_like(cur)
    spikes = np.zeros(cur.shape, dtype=bool)
    trace = np.zeros(cur.shape, dtype=np.int16)
    for t in range(cur.shape[0]):
        v, ref, spikes[t] = _step(v, ref, cur[t], nz[t], params)
        trace[t] = v
    return LifState(v.astype(np.int16), ref.astype(np.int32)), spikes, trace
