"""The bit-true Q8.8 neuron on the Rust engine (``golden._native``), bit-identical to NumPy."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._neuron import LifParams, LifState
from .._neuron_models import NeuronModel
from .._threads import get_threads
from ._native_import import IMPORT_ERROR as _IMPORT_ERROR
from ._native_import import native as _native
from ._native_import import unavailable_reason

__all__ = ["RustNeuron"]

# What this module calls; an older build that lacks one is reported as unavailable.
_NATIVE_SYMBOLS = ("dot_to_current", "lif_run")


def _raw(arr: np.ndarray, dtype: type) -> np.ndarray:
    """A checked int64 array as C-contiguous ``dtype`` (exact: its range was checked); keeps 0-d."""
    return np.asarray(arr, dtype=dtype, order="C")


class RustNeuron(NeuronModel):
    """The bit-true neuron on the Rust engine: each neuron runs all ``T`` steps in a vectorised
    loop; large problems split the neurons over :func:`golden.get_threads` threads, and the
    result never depends on it."""

    name = "rust"

    @classmethod
    def unavailable_reason(cls) -> str | None:
        return unavailable_reason(_native, _IMPORT_ERROR, _NATIVE_SYMBOLS)

    def __init__(self) -> None:
        reason = self.unavailable_reason()
        if reason is not None:
            raise RuntimeError(f"neuron model 'rust' is not available: {reason}")

    def _dot_to_current_impl(self, c: np.ndarray, n_in: int, y_min: int, y_max: int) -> Any:
        out = _native.dot_to_current(_raw(c, np.int64), n_in, y_min, y_max)
        return out[()] if out.ndim == 0 else out

    def _lif_run_impl(
        self, params: LifParams, v: np.ndarray, ref: np.ndarray, cur: np.ndarray,
        nz: np.ndarray | None,
    ) -> tuple[LifState, np.ndarray, np.ndarray]:
        v2, ref2, spikes, trace = _native.lif_run(
            _raw(v, np.int16), _raw(ref, np.uint16), _raw(cur, np.int16),
            tuple(int(x) for x in params), None if nz is None else _raw(nz, np.int16),
            threads=get_threads())
        return LifState(v2, ref2.astype(np.int32)), spikes, trace
