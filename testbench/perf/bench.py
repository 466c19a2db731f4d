"""``sctb bench``: time every golden backend on fixed workloads, as ratios measured in one run."""

from __future__ import annotations

import dataclasses
import os
import time

import numpy as np

import golden

from . import goals as _goals
from .roofline import compute_roofline, read_roofline, timeit

__all__ = ["WORKLOADS", "Workload", "get_workload", "measure_read_bandwidth", "run_bench", "timeit"]


@dataclasses.dataclass(frozen=True)
class Workload:
    """A dense layer: weights packed with ``weight_seed``, inputs encoded with ``input_seed``."""

    name: str
    n_out: int
    n_in: int
    length: int
    weight_seed: int = 0x9999
    input_seed: int = 7

    def build(self) -> tuple[np.ndarray, np.ndarray]:
        """Weights ``(n_out, n_in, n_words)`` uint64 and input probabilities ``(n_in,)``.

        Weight probabilities come from ``default_rng(0)``, input probabilities from
        ``default_rng(1)``; the weights are packed by :func:`golden.encode_weights` with base
        seed ``weight_seed`` (upstream's way: base seed + flattened index).
        """
        wp = np.random.default_rng(0).random((self.n_out, self.n_in))
        probs = np.random.default_rng(1).random(self.n_in)
        return golden.encode_weights(wp, length=self.length, seed=self.weight_seed), probs

    @property
    def weight_bytes(self) -> int:
        return self.n_out * self.n_in * golden.n_words(self.length) * 8


WORKLOADS: dict[str, Workload] = {
    "W1": Workload("W1", 128, 128, 4096),
    "W2": Workload("W2", 1024, 784, 1024),
}


def get_workload(name: str) -> Workload:
    """The workload called ``name``; ValueError listing the valid names otherwise."""
    try:
        return WORKLOADS[name]
    except KeyError:
        raise ValueError(
            f"unknown workload {name!r}; valid names: {', '.join(WORKLOADS)}") from None


def measure_read_bandwidth(n_bytes: int = 1 << 26) -> float:
    """All-core read bandwidth in bytes/s of a ``n_bytes`` uint64 buffer (see
    :func:`~testbench.perf.roofline.read_roofline`)."""
    return read_roofline(np.ones(n_bytes // 8, dtype=np.uint64))["GBps"] * 1e9


def _upstream_forward():
    try:
        from sc_neurocore.accel.sc_inference import sc_forward_numpy
    except ImportError:
        return None
    return sc_forward_numpy


def run_bench(workloads: list[str] | None = None, backends: list[str] | None = None,
              *, include_upstream: bool = True, encoder_bits: int = 1 << 24,
              neuron_size: tuple[int, int] | None = (1000, 1024), goals: bool = True) -> dict:
    """Time ``sc_forward`` of each backend on each workload against the measured rooflines, the
    encoder alone, and the neuron; with ``goals``, also the batch, busy-core and JAX-copy
    measures and every goal of :data:`testbench.perf.goals.GOALS`.

    ``neuron_size`` is ``(steps, neurons)`` of :func:`bench_neuron` (``None``: not measured).

    Returns
    -------
    dict
        ``{"read_bandwidth_GBps" (best all-core read of the workloads' weights), "compute":
        (see :func:`~testbench.perf.roofline.compute_roofline`), "threads", "cores",
        "workloads": [{name, shape, read (see :func:`~testbench.perf.roofline.read_roofline`),
        roofline_s, results: [{backend, seconds, vs_numpy, vs_upstream, vs_roofline}]}],
        "encoder": [{backend, seconds, bits_per_s}], "neuron": [...] (see
        :func:`bench_neuron`), "paired_read": {workload, backend, call_s, read_s,
        call_vs_read}, "batch": [...], "busy_core": {workload, results},
        "jax_copy": {...}, "goals": [{goal, measured, passed, note}], "skipped": {name:
        reason}}`` (paired_read to goals: only with ``goals``). ``vs_numpy`` and ``vs_upstream`` are
        speed-ups (their time / this time); ``vs_roofline`` is this time / roofline time (1.0 =
        at the all-core read limit of the same buffer).
    """
    status = golden.backend_status()
    names = backends or list(golden.PRIORITY)
    unknown = [n for n in names if n not in status]
    if unknown:
        raise ValueError(f"unknown backend(s) {unknown}; valid names: {', '.join(status)}")
    runnable = [n for n in names if status[n] is None]
    upstream = _upstream_forward() if include_upstream else None
    report: dict = {
        "read_bandwidth_GBps": 0.0,
        "compute": compute_roofline(),
        "threads": golden.get_threads(),
        "cores": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0],
        "workloads": [],
        "encoder": [],
        "skipped": {n: status[n] for n in names if status[n] is not None},
    }
    if include_upstream and upstream is None:
        report["skipped"]["upstream"] = "sc-neurocore is not installed"
    for wname in workloads or list(WORKLOADS):
        wl = get_workload(wname)
        weights, probs = wl.build()
        read = read_roofline(weights)
        times: dict[str, float] = {}
        for name in runnable:
            be = golden.get_backend(name)
            times[name] = timeit(lambda be=be, w=weights, p=probs, wl=wl: be.sc_forward(
                w, p, length=wl.length, seed=wl.input_seed))
        if upstream is not None:
            times["upstream"] = timeit(lambda w=weights, p=probs, wl=wl: upstream(
                w, p, wl.length, seed=wl.input_seed))
        base = times.get("numpy")
        results = [
            {
                "backend": name,
                "seconds": t,
                "vs_numpy": (base / t) if base else None,
                "vs_upstream": (times["upstream"] / t) if "upstream" in times else None,
            }
            for name, t in times.items()
        ]
        # the roofline again after the calls, and the best of both: on a shared machine the
        # load moves while we measure, and a roofline must not be slower than the calls it rates
        again = read_roofline(weights)
        read = again if again["seconds"] < read["seconds"] else read
        roofline = read["seconds"]
        for row in results:
            row["vs_roofline"] = row["seconds"] / roofline
        report["read_bandwidth_GBps"] = max(report["read_bandwidth_GBps"], read["GBps"])
        report["workloads"].append({
            "name": wl.name, "n_out": wl.n_out, "n_in": wl.n_in, "length": wl.length,
            "weight_bytes": wl.weight_bytes, "read": read, "roofline_s": roofline,
            "results": results,
        })
        if goals:
            _goal_measures(report, wl, weights, probs, runnable)
    # The encoder alone: n_in streams of `length` bits.
    n_in, length = 1024, max(64, encoder_bits // 1024)
    probs = np.random.default_rng(2).random(n_in)
    for name in runnable:
        be = golden.get_backend(name)
        if not hasattr(be, "encode_inputs"):
            continue
        t = timeit(lambda be=be: be.encode_inputs(probs, length=length, seed=7), min_reps=3)
        report["encoder"].append({"backend": name, "seconds": t, "bits_per_s": n_in * length / t,
                                  "n_in": n_in, "length": length})
    if neuron_size is not None:
        report["neuron"], neuron_skipped = bench_neuron(*neuron_size)
        report["skipped"].update(neuron_skipped)
    if goals:
        report["goals"] = _goals.evaluate_goals(report)
    return report


def _goal_measures(report: dict, wl: Workload, weights: np.ndarray, probs: np.ndarray,
                   runnable: list[str]) -> None:
    """The goals' own measures on workload ``wl``: batch and busy core on W1, JAX's copy on
    W2 (the largest)."""
    if wl.name == "W1":
        w1 = report["workloads"][-1]["results"]
        best = min((r for r in w1 if r["backend"] != "upstream"), key=lambda r: r["seconds"])
        report["paired_read"] = {"workload": wl.name, **_goals.bench_paired_read(
            best["backend"], weights, probs, wl.length, wl.input_seed)}
        report["batch"], skipped = _goals.bench_batch(runnable, weights, wl.length,
                                                      wl.input_seed, report["compute"])
        report["skipped"].update(skipped)
        if report["batch"] and "words_per_s" in report["compute"]:
            # the peak again beside the batches, the best of both (the load drifts)
            again = compute_roofline()
            if again["words_per_s"] > report["compute"]["words_per_s"]:
                report["compute"] = again
            for row in report["batch"]:
                row["vs_compute_roofline"] = row["words_per_s"] / report["compute"]["words_per_s"]
        report["busy_core"] = {"workload": wl.name, "results": _goals.bench_busy(
            runnable, weights, probs, wl.length, wl.input_seed)}
    if "jax" in runnable and (wl.name == "W2" or "jax_copy" not in report):
        report["jax_copy"] = {"workload": wl.name, **_goals.bench_jax_copy(
            weights, probs, wl.length, wl.input_seed)}


def bench_neuron(steps: int = 1000, neurons: int = 1024) -> tuple[list[dict], dict[str, str]]:
    """``lif_run`` of every neuron model on ``steps`` x ``neurons`` random Q8.8 currents.

    Returns
    -------
    rows : list of dict
        ``{model, seconds, vs_numpy, steps, neurons}`` per model that runs here, NumPy first;
        every model's spikes and trace are checked equal to NumPy's first.
    skipped : dict
        ``{"neuron <model>": why}`` for the models that cannot run here.
    """
    rng = np.random.default_rng(3)
    params = golden.LifParams(v_rest=0, v_reset=-256, v_th=512, leak=20, gain=256, refractory=2)
    state = golden.lif_init(neurons, params)
    currents = rng.integers(-400, 900, size=(steps, neurons)).astype(np.int16)
    noise = rng.integers(-30, 30, size=(steps, neurons)).astype(np.int16)
    want = golden.lif_run(state, currents, params, noise)
    rows: list[dict] = []
    skipped: dict[str, str] = {}
    for name in ["numpy", *(n for n in golden.neuron_names() if n != "numpy")]:
        try:
            model = golden.get_neuron(name)
        except RuntimeError as exc:
            skipped[f"neuron {name}"] = str(exc)
            continue
        got = model.lif_run(state, currents, params, noise)
        if not (np.array_equal(got[1], want[1]) and np.array_equal(got[2], want[2])):
            raise AssertionError(f"neuron model {name!r} differs from NumPy in lif_run")
        t = timeit(lambda m=model: m.lif_run(state, currents, params, noise), min_reps=3)
        rows.append({"model": name, "seconds": t, "steps": steps, "neurons": neurons})
    for row in rows:
        row["vs_numpy"] = rows[0]["seconds"] / row["seconds"]
    return rows, skipped


SWEEP_BENCH_SPEC = """
[sweep]
name = "bench"
checks = ["golden"]
[axes]
n_out = [1]
n_in = [1024]
length = [524288]
seed = [{seeds}]
backend = ["numpy"]
"""


def bench_sweep(ranks: int = 2, points: int = 48) -> dict:
    """Wall time of the same CPU-bound sweep on one rank and on ``ranks`` MPI ranks.

    Both runs are whole ``python -m testbench sweep`` processes (start-up included); the results
    of the two runs must be identical. Needs ``mpiexec`` (the ``mpi`` extra).
    """
    import json
    import os
    import subprocess
    import sys
    import tempfile

    from ..sweep import find_mpiexec, read_records

    mpiexec = find_mpiexec()
    if mpiexec is None:
        raise RuntimeError("mpiexec not found: pip install 'sctb[mpi]'")
    with tempfile.TemporaryDirectory(prefix="sctb-sweep-bench-") as tmp:
        spec = os.path.join(tmp, "bench.toml")
        with open(spec, "w") as fh:
            fh.write(SWEEP_BENCH_SPEC.format(seeds=", ".join(map(str, range(1, points + 1)))))
        runs = {}
        for label, prefix, env in (
            ("1 rank", [], {**os.environ, "SCTB_MPI": "0"}),
            (f"{ranks} ranks", [mpiexec, "-n", str(ranks)], dict(os.environ)),
        ):
            out = os.path.join(tmp, label.replace(" ", "_"))
            start = time.perf_counter()
            subprocess.run(
                prefix + [sys.executable, "-m", "testbench", "sweep", spec, "--out", out],
                env=env, check=True, capture_output=True)
            wall = time.perf_counter() - start
            stable = [json.dumps({k: r[k] for k in ("key", "status", "digest")})
                      for r in read_records(__import__("pathlib").Path(out))]
            runs[label] = {"wall_s": wall, "records": stable}
        one, many = runs["1 rank"], runs[f"{ranks} ranks"]
        return {"points": points, "ranks": ranks, "one_rank_s": one["wall_s"],
                "n_ranks_s": many["wall_s"], "speedup": one["wall_s"] / many["wall_s"],
                "identical": one["records"] == many["records"] and len(one["records"]) == points}
