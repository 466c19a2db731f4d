"""The bit-true Q8.8 neuron of the NumPy floor as a ``golden.NeuronModel``."""

from __future__ import annotations

import numpy as np

from .._neuron import LifParams, LifState, current_checked, run_checked, step_checked
from .._neuron_models import NeuronModel

__all__ = ["NumpyNeuron"]


class NumpyNeuron(NeuronModel):
    """:func:`golden.dot_to_current`, :func:`golden.lif_step`, :func:`golden.lif_run`."""

    name = "numpy"

    def _dot_to_current_impl(self, c: np.ndarray, n_in: int, y_min: int, y_max: int) -> np.ndarray:
        return current_checked(c, n_in, y_min, y_max)

    def _lif_run_impl(
        self, params: LifParams, v: np.ndarray, ref: np.ndarray, cur: np.ndarray,
        nz: np.ndarray | None,
    ) -> tuple[LifState, np.ndarray, np.ndarray]:
        return run_checked(params, v, ref, cur, nz)

    def _lif_step_impl(
        self, params: LifParams, v: np.ndarray, ref: np.ndarray, cur: np.ndarray,
        nz: np.ndarray | None,
    ) -> tuple[LifState, np.ndarray]:
        return step_checked(params, v, ref, cur, nz)
