"""The speed goals of ``sctb bench`` (issue 18): ratios measured in one run, each PASS or FAIL."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import golden

from .roofline import busy_core, read_roofline, timeit

__all__ = [
    "BATCH", "GOALS", "ROUNDS", "bench_batch", "bench_busy", "bench_jax_copy", "bench_paired_read",
    "evaluate_goals",
]

#: Inputs per batch of the compute-bound measure.
BATCH = 256
#: Alternated rounds of the paired measures (quiet / busy, host / resident).
ROUNDS = 3

#: Each goal's limit (see :func:`evaluate_goals`).
GOALS = {
    "single_vs_read_roofline": 1.5,  # best W1 call time / W1 read roofline time, at most
    "batch_vs_compute_roofline": 0.5,  # Rust W1 batch rate / compute peak, at least
    "rust_vs_numba": 1.0,  # numba time / rust time on W1 and W2, at least
    "busy_vs_quiet": 2.0,  # W1 call with a core busy / quiet, at most, on every backend
    "jax_host_vs_resident": 1.5,  # JAX call on host weights / device-resident ones, at most
}


def bench_busy(backends: list[str], weights: np.ndarray, probs: np.ndarray, length: int,
               seed: int) -> list[dict]:
    """One call of each backend quiet, then with one core kept busy (:func:`busy_core`).

    Returns
    -------
    list of dict
        ``{backend, quiet_s, busy_s, busy_vs_quiet}`` per backend (best of repeated calls).
    """
    def call(be: golden.Backend) -> Any:
        return lambda: be.sc_counts(weights, probs, length=length, seed=seed)

    calls = {name: call(golden.get_backend(name)) for name in backends}
    quiet = dict.fromkeys(backends, float("inf"))
    busy = dict.fromkeys(backends, float("inf"))
    for _ in range(ROUNDS):  # alternated, best of each: the machine's own load drifts
        for name, fn in calls.items():
            quiet[name] = min(quiet[name], timeit(fn, min_time=0.1))
        with busy_core():
            for name, fn in calls.items():
                busy[name] = min(busy[name], timeit(fn, min_time=0.1))
    return [{"backend": n, "quiet_s": quiet[n], "busy_s": busy[n],
             "busy_vs_quiet": busy[n] / quiet[n]} for n in backends]


def bench_paired_read(backend: str, weights: np.ndarray, probs: np.ndarray, length: int,
                      seed: int) -> dict:
    """One backend's call and the all-core read of the same weights, alternated in
    :data:`ROUNDS` rounds, best of each (a ratio of two figures taken under the same load).

    Returns
    -------
    dict
        ``{backend, call_s, read_s, call_vs_read}``.
    """
    be = golden.get_backend(backend)
    call_s = read_s = float("inf")
    for _ in range(ROUNDS):
        call_s = min(call_s, timeit(lambda: be.sc_counts(weights, probs, length=length,
                                                          seed=seed), min_time=0.1))
        read_s = min(read_s, read_roofline(weights, min_time=0.1)["seconds"])
    return {"backend": backend, "call_s": call_s, "read_s": read_s,
            "call_vs_read": call_s / read_s}


def bench_batch(backends: list[str], weights: np.ndarray, length: int, seed: int,
                compute: dict) -> tuple[list[dict], dict[str, str]]:
    """``sc_counts_batch`` of :data:`BATCH` input vectors on each backend that has it.

    Returns
    -------
    rows : list of dict
        ``{backend, batch, seconds, words_per_s, vs_compute_roofline}``; ``words_per_s`` counts
        the 64-bit AND + popcounts (``batch * weights.size``) per second.
    skipped : dict
        ``{"batch <backend>": why}`` for the backends without ``sc_counts_batch``.
    """
    probs = np.random.default_rng(4).random((BATCH, weights.shape[1]))
    peak = compute.get("words_per_s")
    rows, skipped = [], {}
    calls = {}
    for name in backends:
        be = golden.get_backend(name)
        if not hasattr(be, "sc_counts_batch"):
            skipped[f"batch {name}"] = "no sc_counts_batch on this backend (yet)"
            continue
        calls[name] = lambda be=be: be.sc_counts_batch(weights, probs, length=length, seed=seed)
    best = dict.fromkeys(calls, math.inf)
    for _ in range(ROUNDS):  # alternated, best of each: the machine's own load drifts
        for name, fn in calls.items():
            best[name] = min(best[name], timeit(fn, min_reps=3))
    for name, t in best.items():
        rate = BATCH * weights.size / t
        rows.append({"backend": name, "batch": BATCH, "seconds": t, "words_per_s": rate,
                     "vs_compute_roofline": rate / peak if peak else None})
    return rows, skipped


def bench_jax_copy(weights: np.ndarray, probs: np.ndarray, length: int, seed: int) -> dict:
    """JAX's call on host weights (as ``golden.encode_weights`` returns them: 64-byte aligned),
    on device-resident weights (``to_jax`` once), and on a misaligned host copy (what the per-call
    host-to-device copy costs).

    Returns
    -------
    dict
        ``{host_s, resident_s, misaligned_s, host_vs_resident}``.
    """
    from golden.backends.sc_jax import to_jax

    be = golden.get_backend("jax")
    buf = np.empty(weights.size + 1, dtype=np.uint64)  # 8 bytes past a 16-byte boundary
    start = 1 if buf.ctypes.data % 64 == 0 else 0
    misaligned = buf[start: start + weights.size].reshape(weights.shape)
    misaligned[...] = weights
    resident = to_jax(weights)
    times = dict.fromkeys(("host_s", "resident_s", "misaligned_s"), float("inf"))
    for _ in range(ROUNDS):  # alternated, best of each: the machine's own load drifts
        for key, w in (("host_s", weights), ("resident_s", resident),
                       ("misaligned_s", misaligned)):
            times[key] = min(times[key], timeit(
                lambda w=w: be.sc_counts(w, probs, length=length, seed=seed), min_time=0.1))
    return {**times, "host_vs_resident": times["host_s"] / times["resident_s"]}


def _goal(name: str, measured: float | None, passed: bool | None, note: str) -> dict:
    return {"goal": name, "measured": measured, "passed": passed, "note": note}


def evaluate_goals(report: dict[str, Any]) -> list[dict]:
    """Each goal of :data:`GOALS` against the figures of one ``run_bench`` report.

    Returns
    -------
    list of dict
        ``{goal, measured, passed, note}`` (the goal's text names its limit); ``passed`` is
        ``None`` (not applicable) when the run lacks what the goal needs, and ``note`` says
        why.
    """
    out: list[dict] = []
    wls = {w["name"]: w for w in report["workloads"]}
    times = {n: {r["backend"]: r["seconds"] for r in w["results"]} for n, w in wls.items()}
    own = {n: {b: t for b, t in ts.items() if b != "upstream"} for n, ts in times.items()}
    paired = report.get("paired_read")
    if paired:
        ratio = paired["call_vs_read"]
        out.append(_goal("best W1 call / all-core read roofline <= 1.5", ratio,
                         ratio <= GOALS["single_vs_read_roofline"],
                         f"best: {paired['backend']}, alternated with the read"))
    elif own.get("W1"):
        best = min(own["W1"], key=own["W1"].get)
        ratio = own["W1"][best] / wls["W1"]["roofline_s"]
        out.append(_goal("best W1 call / all-core read roofline <= 1.5", ratio,
                         ratio <= GOALS["single_vs_read_roofline"], f"best: {best}"))
    else:
        out.append(_goal("best W1 call / all-core read roofline <= 1.5", None, None,
                         "not applicable: W1 not measured"))
    rust_batch = [r for r in report.get("batch", []) if r["backend"] == "rust"]
    if rust_batch and rust_batch[0]["vs_compute_roofline"] is not None:
        frac = rust_batch[0]["vs_compute_roofline"]
        out.append(_goal(f"rust W1 batch B={BATCH} / compute roofline >= 0.5", frac,
                         frac >= GOALS["batch_vs_compute_roofline"], ""))
    else:
        why = report.get("skipped", {}).get("batch rust", "rust or the compute roofline not "
                                                          "measured")
        out.append(_goal(f"rust W1 batch B={BATCH} / compute roofline >= 0.5", None, None,
                         f"not applicable: {why}"))
    for name, ts in own.items():
        label = f"rust >= numba on {name} (numba time / rust time >= 1)"
        if "rust" in ts and "numba" in ts:
            ratio = ts["numba"] / ts["rust"]
            first = _auto_choice()
            out.append(_goal(label, ratio, ratio >= GOALS["rust_vs_numba"],
                             f"get_backend() picks {first}"))
        else:
            out.append(_goal(label, None, None, "not applicable: rust or numba not measured"))
    busy = report.get("busy_core", {}).get("results", [])
    for row in busy:
        r = row["busy_vs_quiet"]
        out.append(_goal(f"{row['backend']} W1 with a core busy / quiet <= 2", r,
                         r <= GOALS["busy_vs_quiet"], ""))
    if not busy:
        out.append(_goal("W1 with a core busy / quiet <= 2", None, None,
                         "not applicable: not measured"))
    jax = report.get("jax_copy")
    if jax:
        r = jax["host_vs_resident"]
        out.append(_goal(f"jax host weights / resident <= 1.5 ({jax['workload']})", r,
                         r <= GOALS["jax_host_vs_resident"],
                         f"a misaligned host copy takes {jax['misaligned_s'] * 1e3:.2f} ms"))
    else:
        out.append(_goal("jax host weights / resident <= 1.5", None, None,
                         "not applicable: jax not measured"))
    return out


def _auto_choice() -> str:
    return golden.get_backend().name
