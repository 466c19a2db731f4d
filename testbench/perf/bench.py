"""``sctb bench``: time every golden backend on fixed workloads, as ratios measured in one run."""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable

import numpy as np

import golden

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


def timeit(fn: Callable[[], object], *, min_time: float = 0.2, min_reps: int = 5,
           max_reps: int = 1000) -> float:
    """Best seconds of one call of ``fn`` over repeated calls, after one warm-up call (JIT,
    caches). The best, not the median: on a shared machine a call that waits for a busy core
    measures the neighbours, not the code."""
    fn()
    times: list[float] = []
    total = 0.0
    while len(times) < max_reps and (len(times) < min_reps or total < min_time):
        start = time.perf_counter()
        fn()
        dt = time.perf_counter() - start
        times.append(dt)
        total += dt
    return min(times)


def measure_read_bandwidth(n_bytes: int = 1 << 28, threads: int = 2) -> float:
    """Streaming read bandwidth in bytes/s: the best reader of a ``n_bytes`` uint64 array (far
    larger than the caches) among ``np.max`` on 1 and ``threads`` threads and, when the Rust
    extension is built, its single-pass ``popcount_total``.
    """
    data = np.ones(n_bytes // 8, dtype=np.uint64)
    readers: list[Callable[[], object]] = []
    for k in sorted({1, max(1, threads)}):
        parts = np.array_split(data, k)

        def run(parts: list[np.ndarray] = parts) -> None:
            if len(parts) == 1:
                parts[0].max()
                return
            workers = [threading.Thread(target=p.max) for p in parts]
            for w in workers:
                w.start()
            for w in workers:
                w.join()

        readers.append(run)
    try:
        from golden import _native
    except ImportError:
        pass
    else:
        readers.append(lambda: _native.popcount_total(data))
    return max(data.nbytes / timeit(r, min_time=0.5, min_reps=5) for r in readers)


def _upstream_forward():
    try:
        from sc_neurocore.accel.sc_inference import sc_forward_numpy
    except ImportError:
        return None
    return sc_forward_numpy


def run_bench(workloads: list[str] | None = None, backends: list[str] | None = None,
              *, include_upstream: bool = True, encoder_bits: int = 1 << 24,
              neuron_size: tuple[int, int] | None = (1000, 1024)) -> dict:
    """Time ``sc_forward`` of each backend on each workload, the encoder alone, and the neuron.

    ``neuron_size`` is ``(steps, neurons)`` of :func:`bench_neuron` (``None``: not measured).

    Returns
    -------
    dict
        ``{"read_bandwidth_GBps", "workloads": [{name, shape, roofline_s, results: [{backend,
        seconds, vs_numpy, vs_upstream, vs_roofline}]}], "encoder": [{backend, seconds,
        bits_per_s}], "neuron": [{model, seconds, vs_numpy, ...}] (see :func:`bench_neuron`),
        "skipped": {backend: reason}}``. ``vs_numpy`` and ``vs_upstream`` are
        speed-ups (their time / this time); ``vs_roofline`` is this time / roofline time
        (1.0 = at the memory-read limit).
    """
    status = golden.backend_status()
    names = backends or list(golden.PRIORITY)
    unknown = [n for n in names if n not in status]
    if unknown:
        raise ValueError(f"unknown backend(s) {unknown}; valid names: {', '.join(status)}")
    runnable = [n for n in names if status[n] is None]
    upstream = _upstream_forward() if include_upstream else None
    bandwidth = measure_read_bandwidth()
    report: dict = {
        "read_bandwidth_GBps": bandwidth / 1e9,
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
        roofline = wl.weight_bytes / bandwidth
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
                "vs_roofline": t / roofline,
            }
            for name, t in times.items()
        ]
        report["workloads"].append({
            "name": wl.name, "n_out": wl.n_out, "n_in": wl.n_in, "length": wl.length,
            "weight_bytes": wl.weight_bytes, "roofline_s": roofline, "results": results,
        })
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
    return report


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
    import shutil
    import subprocess
    import sys
    import tempfile

    from ..sweep import read_records

    mpiexec = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or \
        shutil.which("mpiexec")
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
