"""The models of a design point: cycles from docs/microarchitecture.md, accuracy from golden."""

from __future__ import annotations

import functools
import math

import numpy as np

import golden
from golden._validate import check_int

__all__ = ["accuracy_rmse", "layer_cycles"]


def layer_cycles(n_out: int, n_in: int, length: int, N_IN: int, N_OUT: int, W: int  # noqa: N803
                 ) -> dict[str, int]:
    """Clock cycles of one inference of an ``(n_out, n_in)`` layer on an sc_dense core.

    The layer runs as ``ceil(n_out / N_OUT) * ceil(n_in / N_IN)`` tiles, one core transaction
    each, back to back with no stall; a transaction takes ``1 + N_IN + ceil(L / W) + N_OUT``
    cycles (cfg beat, thresholds, weight beats, results: docs/microarchitecture.md, "Cycle timing
    and latency"). An inference ends with the last result of the last tile, and the next one can
    start on the following edge, so latency and the interval between inferences are both
    ``cycles``.

    Parameters
    ----------
    n_out, n_in : int
        Layer shape, each ``>= 1``.
    length : int
        Stream length ``L``, ``>= 1``.
    N_IN, N_OUT, W : int
        Core parameters, each ``>= 1``.

    Returns
    -------
    dict
        ``tiles``, ``beats`` (``ceil(L / W)``), ``cycles_per_tile`` and ``cycles`` (int).
    """
    n_out, n_in = check_int(n_out, "n_out", 1), check_int(n_in, "n_in", 1)
    length = check_int(length, "length", 1)
    N_IN, N_OUT = check_int(N_IN, "N_IN", 1), check_int(N_OUT, "N_OUT", 1)  # noqa: N806
    W = check_int(W, "W", 1)  # noqa: N806
    tiles = math.ceil(n_out / N_OUT) * math.ceil(n_in / N_IN)
    beats = math.ceil(length / W)
    per_tile = 1 + N_IN + beats + N_OUT
    return {"tiles": tiles, "beats": beats, "cycles_per_tile": per_tile, "cycles": tiles * per_tile}


@functools.lru_cache(maxsize=256)
def accuracy_rmse(n_out: int, n_in: int, length: int, seed: int, workload: int, data_seed: int,
                  backend: str = "auto") -> dict[str, float | int | str]:
    """RMSE of ``sc_forward`` against the exact ``W @ p`` over a workload of input vectors.

    One random layer ``W`` (``(n_out, n_in)``, uniform in ``[0, 1)``) and ``workload`` input
    vectors ``p`` (uniform), all drawn from ``data_seed``; the weights are encoded with seed
    ``seed + n_in`` (so no weight stream starts at an input's state, as in the report's accuracy
    study), the inputs with ``seed``. The hardware computes the same counts bit for bit for any
    core shape (tiling adds whole counts), so the accuracy depends on the layer, ``L`` and the
    seeds only, not on ``N_IN``, ``N_OUT`` or ``W``.

    Returns
    -------
    dict
        ``rmse`` (over every output of every vector), ``max_abs_error``, ``workload``,
        ``backend``.
    """
    be = golden.get_backend(backend)
    rng = np.random.default_rng([data_seed, n_out, n_in])
    w = rng.random((n_out, n_in))
    probs = rng.random((workload, n_in))
    weights = golden.encode_weights(w, length=length, seed=(seed + n_in) % 2**64)
    sq = 0.0
    worst = 0.0
    # One layer, one seed, many input vectors: one batched call (row b == sc_forward of p_b).
    estimates = be.sc_forward_batch(weights, probs, length=length, seed=seed)
    for p, est in zip(probs, estimates, strict=True):
        err = est - w @ p
        sq += float(np.sum(err * err))
        worst = max(worst, float(np.max(np.abs(err))))
    return {"rmse": math.sqrt(sq / (workload * n_out)), "max_abs_error": worst,
            "workload": workload, "backend": be.name}
