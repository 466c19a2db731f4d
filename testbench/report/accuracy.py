"""Accuracy of ``sc_forward`` against the exact ``W @ p`` over stream length (RMSE, log-log)."""

from __future__ import annotations

import dataclasses
import io
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

import golden
from golden._validate import check_int

__all__ = ["DEFAULT_FIT_RANGE", "LENGTHS", "AccuracyStudy", "figure", "loglog_slope", "png",
           "run_study"]

#: Stream lengths of the study: 64, 128, ..., 65536.
LENGTHS: tuple[int, ...] = tuple(64 << k for k in range(11))

#: Lengths over which the slope and the ``c / sqrt(N)`` line are fitted. Below 256 the streams
#: of neighbouring inputs (seeds ``s`` and ``s + 1``) are still alike: an LFSR shifts left, so
#: the high bits that decide ``state < x`` agree for the first ~16 states. From 32768 on, a
#: stream covers half the 65535-state period and more: it samples the states without
#: replacement, so its count errs less, and over a full period it is exact (contract, section 2).
DEFAULT_FIT_RANGE: tuple[int, int] = (256, 16384)


@dataclasses.dataclass(frozen=True)
class AccuracyStudy:
    """What :func:`run_study` measured.

    Attributes
    ----------
    lengths : numpy.ndarray
        int64 ``(n_lengths,)`` stream lengths ``N``.
    rmse : numpy.ndarray
        float64 ``(n_lengths,)``: RMSE of ``sc_forward`` against ``W @ p`` over every output and
        every seed at each length.
    rmse_per_seed : numpy.ndarray
        float64 ``(n_lengths, n_seeds)``: the same RMSE over the outputs, per seed.
    seeds : tuple of int
        Base seeds of the input encoder (the weights use ``seed + weight_seed_offset``).
    n_out, n_in : int
        Layer shape.
    layer_seed : int
        Seed of the NumPy generator that drew ``W`` (``(n_out, n_in)``) and ``p`` (``(n_in,)``),
        uniform in ``[0, 1)``, and the base seeds.
    weight_seed_offset : int
        Weight ``(o, i)`` is encoded with seed ``seed + weight_seed_offset + o * n_in + i``.
    backend : str
        Golden backend that computed ``sc_forward`` and encoded the weights.
    fit_range : (int, int)
        Lengths (both included) of the fits.
    slope : float
        Least-squares slope of ``log(rmse)`` against ``log(N)`` over ``fit_range``
        (``-1/2`` for independent random streams).
    slope_all : float
        The same slope over every length.
    c_fit : float
        ``c`` of the line ``c / sqrt(N)`` fitted (slope fixed at ``-1/2``) over ``fit_range``:
        the geometric mean of ``rmse * sqrt(N)`` there.
    c_independent : float
        ``c`` of independent Bernoulli streams with the same probabilities (no fit):
        ``sqrt(mean over o of sum over i of q (1 - q))`` with ``q = W[o, i] * p[i]``.
    seconds : float
        Wall time of the study.
    """

    lengths: np.ndarray
    rmse: np.ndarray
    rmse_per_seed: np.ndarray
    seeds: tuple[int, ...]
    n_out: int
    n_in: int
    layer_seed: int
    weight_seed_offset: int
    backend: str
    fit_range: tuple[int, int]
    slope: float
    slope_all: float
    c_fit: float
    c_independent: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready numbers of the study (lists instead of arrays)."""
        return {
            "lengths": [int(n) for n in self.lengths],
            "rmse": [float(r) for r in self.rmse],
            "rmse_per_seed": self.rmse_per_seed.tolist(),
            "seeds": list(self.seeds), "n_out": self.n_out, "n_in": self.n_in,
            "layer_seed": self.layer_seed, "weight_seed_offset": self.weight_seed_offset,
            "backend": self.backend, "fit_range": list(self.fit_range),
            "slope": self.slope, "slope_all": self.slope_all, "c_fit": self.c_fit,
            "c_independent": self.c_independent, "seconds": self.seconds,
        }


def loglog_slope(lengths: Sequence[int] | np.ndarray, values: Sequence[float] | np.ndarray,
                 lo: int | None = None, hi: int | None = None) -> float:
    """Least-squares slope of ``log(values)`` against ``log(lengths)`` for ``lo <= N <= hi``.

    Parameters
    ----------
    lengths : array_like
        ``(n,)`` positive lengths.
    values : array_like
        ``(n,)`` positive values (e.g. RMSE).
    lo, hi : int, optional
        Range of lengths (both included); default all.

    Returns
    -------
    float
    """
    n = np.asarray(lengths, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if n.shape != v.shape or n.ndim != 1:
        raise ValueError(f"lengths and values must be 1-D of one shape, got {n.shape} and "
                         f"{v.shape}")
    keep = (n >= (lo if lo is not None else -np.inf)) & (n <= (hi if hi is not None else np.inf))
    if keep.sum() < 2:
        raise ValueError(f"fewer than 2 lengths in [{lo}, {hi}]: {n.tolist()}")
    if np.any(n[keep] <= 0) or np.any(v[keep] <= 0):
        raise ValueError(f"lengths and values must be > 0 for a log-log fit, got {v.tolist()}")
    return float(np.polyfit(np.log(n[keep]), np.log(v[keep]), 1)[0])


def run_study(
    lengths: Sequence[int] = LENGTHS,
    *,
    n_out: int = 32,
    n_in: int = 64,
    n_seeds: int = 16,
    layer_seed: int = 2024,
    weight_seed_offset: int | None = None,
    backend: str = "auto",
    fit_range: tuple[int, int] = DEFAULT_FIT_RANGE,
) -> AccuracyStudy:
    """RMSE of ``sc_forward`` against the exact ``W @ p`` at each stream length.

    A fixed random layer (``W`` uniform ``(n_out, n_in)``, ``p`` uniform ``(n_in,)``, drawn
    from ``layer_seed``) is encoded at every length with ``n_seeds`` random base seeds. As the
    contract defines it (section 4), ``sc_forward = counts / length`` estimates
    ``sum_i W[o, i] p[i]``, so the exact value is ``W @ p``, not divided by ``n_in``.

    Parameters
    ----------
    lengths : sequence of int
        Stream lengths, each ``>= 1`` (default 64, 128, ..., 65536).
    n_out, n_in : int
        Layer shape, each ``>= 1``.
    n_seeds : int
        Base seeds per length, ``>= 1``.
    layer_seed : int
        Seed of ``numpy.random.default_rng`` for the layer and the base seeds.
    weight_seed_offset : int, optional
        Weight ``(o, i)`` uses seed ``seed + weight_seed_offset + o * n_in + i``; default
        ``n_in``, so that no weight stream starts at an input stream's state. ``0`` encodes
        row 0's weights with exactly the inputs' seeds: correlated streams, whose AND estimates
        ``min(w, p)`` instead of ``w * p``.
    backend : str
        Golden backend (default the fastest available).
    fit_range : (int, int)
        Lengths of the slope and line fits (see :data:`DEFAULT_FIT_RANGE`).

    Returns
    -------
    AccuracyStudy
    """
    t0 = time.perf_counter()
    lengths = [check_int(n, "lengths", 1) for n in lengths]
    if len(lengths) < 2:
        raise ValueError(f"lengths must hold at least 2 lengths, got {lengths!r}")
    n_out = check_int(n_out, "n_out", 1)
    n_in = check_int(n_in, "n_in", 1)
    n_seeds = check_int(n_seeds, "n_seeds", 1)
    layer_seed = check_int(layer_seed, "layer_seed", 0)
    offset = n_in if weight_seed_offset is None else check_int(
        weight_seed_offset, "weight_seed_offset", 0)
    be = golden.get_backend(backend)
    encode = getattr(be, "encode_inputs", golden.encode_inputs)
    rng = np.random.default_rng(layer_seed)
    w_probs = rng.random((n_out, n_in))
    p = rng.random(n_in)
    seeds = tuple(int(s) for s in rng.integers(1, 1 << 16, n_seeds))
    exact = w_probs @ p
    flat = w_probs.reshape(-1)
    sq = np.empty((len(lengths), n_seeds))
    for a, length in enumerate(lengths):
        for b, seed in enumerate(seeds):
            weights = encode(flat, length=length, seed=seed + offset).reshape(n_out, n_in, -1)
            est = be.sc_forward(weights, p, length=length, seed=seed)
            sq[a, b] = np.mean(np.square(est - exact))
    rmse = np.sqrt(sq.mean(axis=1))
    n = np.asarray(lengths, dtype=np.int64)
    lo, hi = fit_range
    keep = (n >= lo) & (n <= hi)
    if keep.sum() < 2:
        raise ValueError(f"fit_range {fit_range!r} holds fewer than 2 of the lengths {lengths}")
    q = w_probs * p
    return AccuracyStudy(
        lengths=n, rmse=rmse, rmse_per_seed=np.sqrt(sq), seeds=seeds, n_out=n_out, n_in=n_in,
        layer_seed=layer_seed, weight_seed_offset=offset, backend=be.name,
        fit_range=(int(lo), int(hi)), slope=loglog_slope(n, rmse, lo, hi),
        slope_all=loglog_slope(n, rmse),
        c_fit=float(np.exp(np.mean(np.log(rmse[keep] * np.sqrt(n[keep]))))),
        c_independent=float(math.sqrt(np.mean(np.sum(q * (1 - q), axis=1)))),
        seconds=time.perf_counter() - t0,
    )


def figure(study: AccuracyStudy):
    """The log-log plot of ``study``: a ``matplotlib.figure.Figure`` (Agg canvas, no pyplot).

    matplotlib is imported here only; no global backend or ``rcParams`` setting is changed.
    """
    import matplotlib.style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n = study.lengths.astype(np.float64)
    with matplotlib.style.context("default"):
        fig = Figure(figsize=(7.5, 4.6), dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        for col in study.rmse_per_seed.T:
            ax.plot(n, col, color="tab:blue", alpha=0.15, linewidth=0.8)
        ax.plot(n, study.rmse, "o-", color="tab:blue", linewidth=2,
                label=f"sc_forward RMSE ({len(study.seeds)} seeds; fitted slope "
                      f"{study.slope:.3f} over N = {study.fit_range[0]}..{study.fit_range[1]})")
        ax.plot(n, study.c_fit / np.sqrt(n), "--", color="black",
                label=f"c / sqrt(N), c = {study.c_fit:.2f} (fitted over the same N)")
        ax.plot(n, study.c_independent / np.sqrt(n), ":", color="tab:red",
                label=f"independent random streams, c = {study.c_independent:.2f}")
        ax.axvspan(*study.fit_range, color="0.92", zorder=0)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("stream length N (bits)")
        ax.set_ylabel("RMSE of sc_forward vs exact W @ p")
        ax.set_title(f"sc_forward accuracy: {study.n_out} x {study.n_in} layer, W, p uniform "
                     f"in [0, 1], backend {study.backend}", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="lower left")
    return fig


def png(study: AccuracyStudy) -> bytes:
    """The plot of ``study`` as PNG bytes."""
    buf = io.BytesIO()
    figure(study).savefig(buf, format="png")
    return buf.getvalue()
