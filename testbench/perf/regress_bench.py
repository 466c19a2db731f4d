"""``sctb bench --regress``: cold, warm and one-file-changed regressions, cocotb's overhead and
the regression on MPI ranks, measured in one run and set against the goals of a regression a
team runs every hour."""

from __future__ import annotations

import dataclasses
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from ..runner.build import RTL_DIR
from ..sweep.mpi import find_mpiexec

__all__ = ["GOALS", "HIGHER_IS_BETTER", "MPI_SET", "RegressTiming", "bench_regress",
           "goal_met", "timeless"]

#: Goal of each measure: seconds for the regressions, a slowdown factor for the overhead, a
#: speed-up for the MPI ranks.
GOALS = {"cold": 300.0, "warm": 60.0, "one_file": 120.0, "cocotb_overhead": 2.0,
         "mpi_speedup": 1.7}
#: The measures that meet their goal at or above it (the others at or below).
HIGHER_IS_BETTER = frozenset({"mpi_speedup"})
#: The CPU-bound set of jobs the MPI measure runs on one rank and on N: six suites on both
#: simulators under three seeds (36 jobs of 1-6 s, builds warm), no golden comparison.
MPI_SET = ("--golden", "none", "--suite", "cycle_dense", "--suite", "uvm", "--suite", "fuzz",
           "--suite", "dense_lif", "--suite", "blocks", "--suite", "neuron", "--seeds", "1..3")
#: The file the one-file-changed run edits (every dense suite's core).
CHANGED_FILE = "sc_dense.v"


@dataclasses.dataclass
class RegressTiming:
    """One measured regression: its wall time, exit status and command."""

    name: str
    seconds: float
    returncode: int
    command: str
    log: str

    @property
    def passed(self) -> bool:
        return self.returncode == 0


def _loadavg() -> list[float] | None:
    try:
        return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return None


def _regress(name: str, args: Sequence[str], out: Path, cache: Path, rtl: Path, *,
             launcher: Sequence[str] = (), run_dir: str | None = None) -> RegressTiming:
    cmd = [*launcher, sys.executable, "-m", "testbench", "regress", *args, "--rtl-dir", str(rtl),
           "--out", str(out / (run_dir or name))]
    env = dict(os.environ, SCTB_SIM_CACHE=str(cache))
    env.pop("OBJCACHE", None)
    env.pop("CCACHE_DIR", None)  # the compiler cache lives in the (temporary) build cache too
    log = out / f"{name}.log"
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, check=False)
    return RegressTiming(name, time.perf_counter() - t0, proc.returncode, shlex.join(cmd),
                         str(log))


def _change_one_file(rtl: Path) -> Path:
    """Put a comment line at the top of :data:`CHANGED_FILE` in the copy ``rtl`` (its line
    numbers shift, so the simulators' generated code changes as with a real edit)."""
    path = rtl / CHANGED_FILE
    path.write_text("// sctb bench --regress: one file changed\n" + path.read_text())
    return path


def goal_met(name: str, value: float) -> bool:
    """Whether ``value`` of the measure ``name`` meets its goal in :data:`GOALS`: at or above
    it for :data:`HIGHER_IS_BETTER`, at or below it for the others."""
    goal = GOALS[name]
    return value >= goal if name in HIGHER_IS_BETTER else value <= goal


def timeless(x: object) -> object:
    """``x`` (a ``regress.json`` document) without its wall-clock figures: every key that
    names seconds, and the speeds."""
    if isinstance(x, dict):
        return {k: timeless(v) for k, v in x.items()
                if "seconds" not in k and not k.endswith("_per_s")}
    if isinstance(x, list):
        return [timeless(v) for v in x]
    return x


def _mpi_measure(ranks: int, root: Path, cache: Path, rtl: Path, rounds: int = 2) -> dict:
    """:data:`MPI_SET` with one job at a time on one rank, then on ``ranks`` MPI ranks into
    the same output directory, ``rounds`` times alternated; the speed-up of the best run of
    each (this machine's speed drifts by 20 % over minutes: the best is the least disturbed),
    and whether every pair of ``regress.json`` agreed apart from the times (``applicable``
    False, with ``why``, when there is no ``mpiexec``)."""
    import json

    mpiexec = find_mpiexec()
    if mpiexec is None:
        return {"applicable": False, "ranks": ranks,
                "why": "not applicable: mpiexec not found (pip install 'sctb[mpi]')"}
    doc = root / "mpi" / "regress.json"
    best: dict[str, RegressTiming] = {}
    seconds: dict[str, list[float]] = {"one_rank": [], "n_ranks": []}
    identical = True
    for _ in range(rounds):
        one = _regress("mpi_1_rank", [*MPI_SET, "--jobs", "1"], root, cache, rtl,
                       run_dir="mpi")
        serial = timeless(json.loads(doc.read_text())) if one.passed else None
        many = _regress(f"mpi_{ranks}_ranks", MPI_SET, root, cache, rtl, run_dir="mpi",
                        launcher=[mpiexec, "-n", str(ranks)])
        spread = timeless(json.loads(doc.read_text())) if many.passed else None
        identical &= serial is not None and serial == spread
        for part, timing in (("one_rank", one), ("n_ranks", many)):
            seconds[part].append(timing.seconds)
            if part not in best or not timing.passed or (
                    best[part].passed and timing.seconds < best[part].seconds):
                best[part] = timing
    return {"applicable": True, "ranks": ranks, "args": list(MPI_SET), "rounds": rounds,
            "seconds": seconds,
            "one_rank": dataclasses.asdict(best["one_rank"]) | {
                "passed": best["one_rank"].passed},
            "n_ranks": dataclasses.asdict(best["n_ranks"]) | {"passed": best["n_ranks"].passed},
            "speedup": best["one_rank"].seconds / best["n_ranks"].seconds,
            "identical": identical}


def bench_regress(regress_args: Sequence[str] = (), *, out: str | os.PathLike | None = None,
                  overhead: bool = True, overhead_scale: float = 4.0, ranks: int = 2) -> dict:
    """Measure the regression cold, warm and with one RTL file changed, cocotb's overhead and
    the regression on MPI ranks.

    The three regressions run ``sctb regress REGRESS_ARGS`` on a copy of the reference RTL in
    a fresh build cache (simulator builds, ccache, JAX's kernels): first cold (empty cache),
    then warm (nothing changed), then after :data:`CHANGED_FILE` changed. The overhead is
    :func:`~testbench.perf.overhead.measure_overhead` (the dense throughput test under cocotb
    vs the HDL-only selftest on raw Verilator). The MPI measure runs :data:`MPI_SET` (warm)
    with ``--jobs 1`` and then under ``mpiexec -n RANKS`` into the same output directory, twice
    alternated: the speed-up of the best of each, and whether each pair wrote the same
    ``regress.json`` apart from the times.

    Parameters
    ----------
    regress_args : sequence of str
        Options of ``sctb regress`` (default none: the whole ``make regress`` job).
    out : path, optional
        Where the runs go (default a temporary directory, removed afterwards).
    overhead : bool
        Also measure cocotb's overhead.
    overhead_scale : float
        ``scale`` of the overhead's throughput test.
    ranks : int
        MPI ranks of the MPI measure (0: no MPI measure).

    Returns
    -------
    dict
        ``runs`` (name -> seconds, passed, command, log), ``overhead`` (or None), ``mpi`` (or
        None; ``applicable`` False with ``why`` when ``mpiexec`` is missing), ``goals``,
        ``ratios`` (measured / goal), ``met`` (name -> bool: the ratio <= 1, or >= 1 for
        :data:`HIGHER_IS_BETTER`; an MPI measure whose two runs disagree or fail misses),
        ``load`` (1-minute load average before and after) and ``cpus``.
    """
    keep = out is not None
    root = Path(out).resolve() if keep else Path(tempfile.mkdtemp(prefix="sctb-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    load_before = _loadavg()
    try:
        cache = root / "sim-cache"
        if cache.exists():
            shutil.rmtree(cache)
        rtl = root / "rtl"
        if rtl.exists():
            shutil.rmtree(rtl)
        shutil.copytree(RTL_DIR, rtl)
        runs = {"cold": _regress("cold", regress_args, root, cache, rtl),
                "warm": _regress("warm", regress_args, root, cache, rtl)}
        _change_one_file(rtl)
        runs["one_file"] = _regress("one_file", regress_args, root, cache, rtl)
        over = None
        if overhead:
            from .overhead import measure_overhead

            old = os.environ.get("SCTB_SIM_CACHE")
            os.environ["SCTB_SIM_CACHE"] = str(cache)
            try:
                r = measure_overhead(root / "overhead", scale=overhead_scale)
            finally:
                if old is None:
                    os.environ.pop("SCTB_SIM_CACHE", None)
                else:
                    os.environ["SCTB_SIM_CACHE"] = old
            over = {"transactions": r.transactions, "bit_products": r.bit_products,
                    "cocotb_seconds": r.cocotb_seconds, "hdl_seconds": r.hdl_seconds,
                    "slowdown": r.ratio, "slowdown_without_prediction": r.ratio_no_predict}
        mpi = _mpi_measure(ranks, root, cache, rtl) if ranks else None
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    measured = {name: t.seconds for name, t in runs.items()}
    if over is not None:
        measured["cocotb_overhead"] = over["slowdown"]
    if mpi is not None and mpi["applicable"]:
        measured["mpi_speedup"] = mpi["speedup"]
    ratios = {k: v / GOALS[k] for k, v in measured.items()}
    met = {k: goal_met(k, v) and (k not in runs or runs[k].passed) for k, v in measured.items()}
    if "mpi_speedup" in met:
        met["mpi_speedup"] &= bool(mpi["identical"] and mpi["one_rank"]["passed"]
                                   and mpi["n_ranks"]["passed"])
    return {
        "regress_args": list(regress_args),
        "runs": {k: dataclasses.asdict(t) | {"passed": t.passed} for k, t in runs.items()},
        "overhead": over, "mpi": mpi, "goals": {k: GOALS[k] for k in measured},
        "measured": measured,
        "ratios": ratios, "met": met, "changed_file": CHANGED_FILE,
        "load": {"before": load_before, "after": _loadavg()}, "cpus": os.cpu_count(),
    }
