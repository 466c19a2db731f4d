"""Cycles per second of the emulator (emu.run_dense) vs Icarus and Verilator on one workload."""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import golden

from .. import runner
from ..model import CoreShape, predict_counts, random_txn
from . import overhead as perf

__all__ = ["EmuSpeed", "measure_emu_speed", "run_selftest_icarus"]


@dataclasses.dataclass
class EmuSpeed:
    """Clock cycles per second of the emulator and of the two HDL simulators, one workload.

    Every figure simulates the same transactions back to back with no stalls (sources always
    valid, sink always ready) on the same core, and each checks its counts against golden.
    The HDL runs are ``sc_dense_selftest`` binaries (weights from memory, no Python per clock):
    ``*_seconds`` is the process wall time (start-up and reading the stimulus files included);
    ``icarus_startup_seconds`` is the wall time of the same Icarus binary on a one-beat
    workload, and ``icarus_net_rate`` subtracts it. The emulator time is the best of
    ``repeats`` calls of ``emu.run_dense`` (no probes, no VCD): ``emu_*`` its fast path
    (``fast=True``: whole transactions vectorised), ``emu_percycle_*`` its default per-cycle
    path (the one the cycle suites compare with the RTL).
    """

    core: CoreShape
    transactions: int
    length: int
    cycles: int
    emu_seconds: float
    emu_cycles: int
    emu_percycle_seconds: float
    icarus_seconds: float | None = None
    icarus_startup_seconds: float | None = None
    icarus_startup_cycles: int | None = None
    verilator_seconds: float | None = None
    notes: list = dataclasses.field(default_factory=list)

    @property
    def emu_rate(self) -> float:
        return self.emu_cycles / self.emu_seconds

    @property
    def emu_percycle_rate(self) -> float:
        return self.emu_cycles / self.emu_percycle_seconds

    @property
    def icarus_rate(self) -> float | None:
        return self.cycles / self.icarus_seconds if self.icarus_seconds else None

    @property
    def icarus_net_rate(self) -> float | None:
        if not (self.icarus_seconds and self.icarus_startup_seconds is not None):
            return None
        net = self.icarus_seconds - self.icarus_startup_seconds
        return (self.cycles - self.icarus_startup_cycles) / net if net > 0 else None

    @property
    def verilator_rate(self) -> float | None:
        return self.cycles / self.verilator_seconds if self.verilator_seconds else None

    def as_dict(self) -> dict:
        def r(v):
            return None if v is None else round(v, 1)

        return {
            "core": dataclasses.asdict(self.core), "transactions": self.transactions,
            "length": self.length, "cycles": self.cycles,
            "emu_seconds": round(self.emu_seconds, 5), "emu_cycles_per_s": r(self.emu_rate),
            "emu_percycle_seconds": round(self.emu_percycle_seconds, 5),
            "emu_percycle_cycles_per_s": r(self.emu_percycle_rate),
            "icarus_seconds": self.icarus_seconds, "icarus_cycles_per_s": r(self.icarus_rate),
            "icarus_startup_seconds": self.icarus_startup_seconds,
            "icarus_net_cycles_per_s": r(self.icarus_net_rate),
            "verilator_seconds": self.verilator_seconds,
            "verilator_cycles_per_s": r(self.verilator_rate),
            "emu_vs_icarus": _ratio(self.emu_rate, self.icarus_rate),
            "emu_vs_icarus_net": _ratio(self.emu_rate, self.icarus_net_rate),
            "emu_vs_verilator": _ratio(self.emu_rate, self.verilator_rate),
            "emu_percycle_vs_icarus": _ratio(self.emu_percycle_rate, self.icarus_rate),
            "emu_percycle_vs_verilator": _ratio(self.emu_percycle_rate, self.verilator_rate),
            "notes": self.notes,
        }


def _ratio(a: float, b: float | None) -> float | None:
    return round(a / b, 3) if b else None


def run_selftest_icarus(core: CoreShape, txns: list, out_dir: Path,
                        backend: golden.Backend) -> tuple[float, int]:
    """Compile (cached) and run sc_dense_selftest on Icarus; return (wall seconds, cycles).

    Raises
    ------
    RuntimeError
        If the compile or the run fails, or a count differs from golden.
    """
    iverilog, vvp = shutil.which("iverilog"), shutil.which("vvp")
    if iverilog is None or vvp is None:
        raise RuntimeError("iverilog/vvp are not on PATH (run testbench/setup_sims.sh)")
    k = len(txns)
    beats = sum(core.beats(t.length) for t in txns)
    tag = f"{core.n_in}x{core.n_out}x{core.w}-k{k}-b{beats}"
    build = out_dir / "build" / f"selftest-icarus-{tag}"
    binary = build / "sc_dense_selftest.vvp"
    build.mkdir(parents=True, exist_ok=True)
    params = {"N_IN": core.n_in, "N_OUT": core.n_out, "W": core.w, "K": k, "BEATS": beats}
    cmd = [iverilog, "-g2012", "-s", "sc_dense_selftest", "-o", str(binary),
           *[f"-Psc_dense_selftest.{n}={v}" for n, v in params.items()],
           *map(str, runner.rtl_sources()), str(runner.HDL_DIR / "sc_dense_selftest.v")]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"icarus selftest compile failed:\n{proc.stdout}{proc.stderr}")
    run = out_dir / "run" / f"selftest-icarus-{tag}"
    perf.write_selftest_stimulus(run, core, txns, backend)
    t0 = time.perf_counter()
    proc = subprocess.run([vvp, "-n", str(binary)], cwd=run, capture_output=True, text=True,
                          check=False)
    seconds = time.perf_counter() - t0
    done = [ln for ln in proc.stdout.splitlines() if ln.startswith("SELFTEST DONE")]
    if proc.returncode != 0 or not done or "errors=0 " not in done[0]:
        raise RuntimeError(f"icarus selftest failed (status {proc.returncode}):\n"
                           f"{proc.stdout[-3000:]}{proc.stderr[-2000:]}")
    cycles = int(done[0].rsplit("cycles=", 1)[1])
    expected = sum(core.cycles(t.length) for t in txns)
    if cycles != expected:
        raise RuntimeError(f"icarus selftest took {cycles} cycles, the documented timing "
                           f"says {expected}")
    return seconds, cycles


def _emu_transactions(txns: list) -> list:
    import emu

    return [emu.DenseTransaction(np.asarray(t.weights), np.asarray(t.thresholds), t.length,
                                 t.seed) for t in txns]


def time_emulator(core: CoreShape, txns: list, backend: golden.Backend,
                  repeats: int = 3, fast: bool = True) -> tuple[float, int]:
    """Best-of-``repeats`` seconds of ``emu.run_dense(..., fast=fast)`` on ``txns`` and its
    cycles after reset.

    Raises
    ------
    RuntimeError
        If a count differs from golden or the cycle count from the documented timing.
    """
    import emu

    etx = _emu_transactions(txns)
    best = float("inf")
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        results, s = emu.run_dense(core.n_in, core.n_out, core.w, etx, fast=fast)
        best = min(best, time.perf_counter() - t0)
    for t, got in zip(txns, results):
        want = predict_counts(t, backend)
        if not np.array_equal(np.asarray(got), want):
            raise RuntimeError(f"emulator counts {got} differ from golden {want}")
    cycles = s.cycle - 1  # one reset cycle
    expected = sum(core.cycles(t.length) for t in txns)
    if cycles != expected:
        raise RuntimeError(f"the emulator took {cycles} cycles, the documented timing says "
                           f"{expected}")
    return best, cycles


def measure_emu_speed(out_dir: str | Path = "sctb-out", *, n_in: int = 16, n_out: int = 8,
                      w: int = 64, length: int = 4096, transactions: int = 4, seed: int = 1,
                      backend: str = "numpy", sims: tuple[str, ...] = ("icarus", "verilator"),
                      repeats: int = 3) -> EmuSpeed:
    """Time the emulator, Icarus and Verilator on the same back-to-back transactions.

    Parameters
    ----------
    out_dir : path
        Builds and stimulus files go under ``out_dir/build`` and ``out_dir/run``.
    n_in, n_out, w : int
        The core (default 16 x 8 x 64).
    length, transactions : int
        Each of ``transactions`` full-core transactions has streams of ``length`` bits.
    sims : tuple of str
        Which HDL simulators to time; one that is unavailable is noted, not timed.

    Returns
    -------
    EmuSpeed
    """
    out_dir = Path(out_dir).resolve()
    core = CoreShape(n_in=n_in, n_out=n_out, w=w, depth=256)
    be = golden.get_backend(backend)
    rng = np.random.default_rng([seed, 11])
    txns = [random_txn(rng, n_out, n_in, length) for _ in range(transactions)]
    cycles = sum(core.cycles(t.length) for t in txns)
    emu_s, emu_cycles = time_emulator(core, txns, be, repeats, fast=True)
    slow_s, slow_cycles = time_emulator(core, txns, be, repeats, fast=False)
    assert slow_cycles == emu_cycles
    res = EmuSpeed(core, transactions, length, cycles, emu_s, emu_cycles, slow_s)
    if "icarus" in sims:
        reason = runner.simulator_status("icarus")
        if reason is None:
            res.icarus_seconds, _ = run_selftest_icarus(core, txns, out_dir, be)
            small = [random_txn(rng, n_out, n_in, w)]
            res.icarus_startup_seconds, res.icarus_startup_cycles = run_selftest_icarus(
                core, small, out_dir, be)
        else:
            res.notes.append(f"icarus not timed: {reason}")
    if "verilator" in sims:
        reason = runner.simulator_status("verilator")
        if reason is None:
            res.verilator_seconds, _ = perf.run_selftest(core, txns, out_dir, be, jobs=1)
        else:
            res.notes.append(f"verilator not timed: {reason}")
    return res


def main(argv: list[str] | None = None) -> int:
    """``python -m testbench.perf.emu_speed``: print the emulator-vs-simulator speed as JSON."""
    parser = argparse.ArgumentParser(prog="python -m testbench.perf.emu_speed",
                                     description=__doc__)
    parser.add_argument("--out", default="sctb-out")
    parser.add_argument("--length", type=int, default=4096)
    parser.add_argument("--transactions", type=int, default=4)
    parser.add_argument("--core", default="16x8x64", help="N_INxN_OUTxW (default 16x8x64)")
    parser.add_argument("--sim", default="all", choices=["icarus", "verilator", "all"])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    n_in, n_out, w = (int(v) for v in args.core.lower().split("x"))
    sims = ("icarus", "verilator") if args.sim == "all" else (args.sim,)
    r = measure_emu_speed(args.out, n_in=n_in, n_out=n_out, w=w, length=args.length,
                          transactions=args.transactions, seed=args.seed, sims=sims)
    print(json.dumps(r.as_dict(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
