"""``sctb bench --regress``: cold, warm and one-file-changed regressions and cocotb's overhead,
measured in one run and set against the goals of a regression a team runs every hour."""

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

__all__ = ["GOALS", "RegressTiming", "bench_regress"]

#: Goal of each measure: seconds for the regressions, a slowdown factor for the overhead.
GOALS = {"cold": 300.0, "warm": 60.0, "one_file": 120.0, "cocotb_overhead": 2.0}
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


def _regress(name: str, args: Sequence[str], out: Path, cache: Path, rtl: Path) -> RegressTiming:
    cmd = [sys.executable, "-m", "testbench", "regress", *args, "--rtl-dir", str(rtl),
           "--out", str(out / name)]
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


def bench_regress(regress_args: Sequence[str] = (), *, out: str | os.PathLike | None = None,
                  overhead: bool = True, overhead_scale: float = 4.0) -> dict:
    """Measure the regression cold, warm and with one RTL file changed, and cocotb's overhead.

    The three regressions run ``sctb regress REGRESS_ARGS`` on a copy of the reference RTL in
    a fresh build cache (simulator builds, ccache, JAX's kernels): first cold (empty cache),
    then warm (nothing changed), then after :data:`CHANGED_FILE` changed. The overhead is
    :func:`~testbench.perf.overhead.measure_overhead` (the dense throughput test under cocotb
    vs the HDL-only selftest on raw Verilator).

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

    Returns
    -------
    dict
        ``runs`` (name -> seconds, passed, command, log), ``overhead`` (or None), ``goals``,
        ``ratios`` (measured / goal; <= 1 meets the goal), ``met`` (name -> bool), ``load``
        (1-minute load average before and after) and ``cpus``.
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
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    measured = {name: t.seconds for name, t in runs.items()}
    if over is not None:
        measured["cocotb_overhead"] = over["slowdown"]
    ratios = {k: v / GOALS[k] for k, v in measured.items()}
    met = {k: ratios[k] <= 1.0 and (k not in runs or runs[k].passed) for k in measured}
    return {
        "regress_args": list(regress_args),
        "runs": {k: dataclasses.asdict(t) | {"passed": t.passed} for k, t in runs.items()},
        "overhead": over, "goals": {k: GOALS[k] for k in measured}, "measured": measured,
        "ratios": ratios, "met": met, "changed_file": CHANGED_FILE,
        "load": {"before": load_before, "after": _loadavg()}, "cpus": os.cpu_count(),
    }
