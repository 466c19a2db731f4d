"""cocotb overhead: the dense throughput test vs the same transactions in an HDL-only testbench."""

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
from ..model import CoreShape, buffer_image, predict_counts, random_txn

__all__ = ["OverheadResult", "measure_overhead", "run_selftest", "write_selftest_stimulus"]


@dataclasses.dataclass
class OverheadResult:
    """Verified bit-products per second with and without cocotb, on Verilator.

    ``cocotb_*`` come from the ``throughput`` test of the ``dense`` suite (test body time:
    golden prediction, weight files, cocotb); ``hdl_*`` from ``sc_dense_selftest`` run as a
    plain Verilator binary on transactions of the same shape (process wall time, including
    reading its files; its expected counts are computed beforehand, untimed).
    ``ratio = hdl_rate / cocotb_rate`` (cocotb's slowdown); ``ratio_no_predict`` leaves the
    golden prediction's ``predict_seconds`` out of the cocotb time, like the HDL run.
    """

    transactions: int
    bit_products: int
    cocotb_seconds: float
    predict_seconds: float
    hdl_seconds: float
    hdl_cycles: int

    @property
    def cocotb_rate(self) -> float:
        return self.bit_products / self.cocotb_seconds

    @property
    def hdl_rate(self) -> float:
        return self.bit_products / self.hdl_seconds

    @property
    def ratio(self) -> float:
        return self.hdl_rate / self.cocotb_rate

    @property
    def ratio_no_predict(self) -> float:
        return (self.cocotb_seconds - self.predict_seconds) / self.hdl_seconds


def write_selftest_stimulus(run: Path, core: CoreShape, txns: list,
                            backend: golden.Backend) -> None:
    """The input files of ``sc_dense_selftest.v`` in ``run``: cfg, thresholds, expected counts
    and the weight buffer image of every transaction."""
    run.mkdir(parents=True, exist_ok=True)
    (run / "selftest_cfg.hex").write_text(
        "".join(f"{(t.length << 16) | (t.seed & 0xFFFF):x}\n" for t in txns))
    (run / "selftest_thr.hex").write_text(
        "".join(f"{int(x):x}\n" for t in txns for x in t.thresholds))
    (run / "selftest_exp.hex").write_text(
        "".join(f"{int(c):x}\n" for t in txns for c in predict_counts(t, backend)))
    name = "selftest_w.bin" if core.w % 8 == 0 else "selftest_w.hex"
    with open(run / name, "wb") as f:
        f.writelines(buffer_image(t.weights, t.length, core.w, 0, core.beats(t.length))
                     for t in txns)


def run_selftest(core: CoreShape, txns: list, out_dir: Path, backend: golden.Backend,
                 jobs: int = 2) -> tuple[float, int]:
    """Build (cached) and run sc_dense_selftest on ``txns``; return (wall seconds, cycles).

    Raises
    ------
    RuntimeError
        If the build fails, the binary fails, or any count differs from the golden model.
    """
    lengths = {t.length for t in txns}
    beats = sum(core.beats(t.length) for t in txns)
    k = len(txns)
    env = runner.simulator_env("verilator")
    exe = shutil.which("verilator", path=env["PATH"])
    if exe is None:
        raise RuntimeError("verilator is not installed (run testbench/setup_sims.sh)")
    build = out_dir / "build" / f"selftest-{core.n_in}x{core.n_out}x{core.w}-k{k}-b{beats}"
    binary = build / "Vsc_dense_selftest"
    if not binary.is_file():
        if build.exists():
            shutil.rmtree(build)
        build.mkdir(parents=True)
        cmd = [exe, "--binary", "--timing", "-O3", "--x-assign", "fast", "--x-initial", "fast",
               "--timescale", "1ns/1ps", "-j", str(jobs), "-Mdir", str(build),
               "--top-module", "sc_dense_selftest", f"-GN_IN={core.n_in}",
               f"-GN_OUT={core.n_out}", f"-GW={core.w}", f"-GK={k}", f"-GBEATS={beats}",
               *map(str, runner.rtl_sources()), str(runner.HDL_DIR / "sc_dense_selftest.v")]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(
                f"selftest build failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    run = out_dir / "run" / f"selftest-{len(lengths)}-{k}"
    write_selftest_stimulus(run, core, txns, backend)
    t0 = time.perf_counter()
    proc = subprocess.run([str(binary)], cwd=run, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    done = [ln for ln in proc.stdout.splitlines() if ln.startswith("SELFTEST DONE")]
    if proc.returncode != 0 or not done or "errors=0 " not in done[0]:
        raise RuntimeError(f"selftest failed (status {proc.returncode}):\n{proc.stdout[-3000:]}")
    cycles = int(done[0].rsplit("cycles=", 1)[1])
    # docs/microarchitecture.md: back to back, 1 + N_IN + ceil(L / W) + N_OUT cycles each.
    expected = sum(core.cycles(t.length) for t in txns)
    if cycles != expected:
        raise RuntimeError(f"selftest took {cycles} cycles, the documented timing says {expected}")
    return seconds, cycles


def measure_overhead(out_dir: str | Path = "sctb-out", *, scale: float = 4.0, seed: int = 1,
                     backend: str = "numpy", rounds: int = 3) -> OverheadResult:
    """Run the dense ``throughput`` test on Verilator and the HDL-only selftest of the same size.

    ``scale`` multiplies the throughput test's 4 transactions (so 16 by default). The two runs
    alternate ``rounds`` times and the best time of each counts (sub-second runs on a shared
    machine: the best is the least disturbed; the same transactions every round).
    """
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds!r}")
    out_dir = Path(out_dir).resolve()
    spec = runner.get_suite("dense")
    core = spec.core
    best: dict | None = None
    txns: list = []
    hdl_best = float("inf")
    for _ in range(rounds):
        res = runner.run_suite("dense", "verilator", out_dir=out_dir, backend=backend,
                               seed=seed, scale=scale, test="throughput")
        if not res.ok:
            raise RuntimeError(f"the throughput test failed: {res.error or res.failures}")
        entry = res.per_test["throughput"]
        if best is None or entry["seconds"] < best["seconds"]:
            best = entry
        if not txns:  # the same shape as the test's transactions, made once
            n = int(entry["transactions"])
            length = min(4 * core.depth * core.w, 1 << 16)
            rng = np.random.default_rng([seed, 7])
            txns = [random_txn(rng, core.n_out, core.n_in, length) for _ in range(n)]
        hdl_seconds, cycles = run_selftest(core, txns, out_dir, golden.get_backend(backend))
        hdl_best = min(hdl_best, hdl_seconds)
    bit_products = int(best["bit_products"])
    assert bit_products == sum(t.bit_products for t in txns)
    return OverheadResult(n, bit_products, float(best["seconds"]),
                          float(best.get("predict_seconds", 0.0)), hdl_best, cycles)


def main(argv: list[str] | None = None) -> int:
    """``python -m testbench.perf.overhead``: print the cocotb overhead figures as JSON."""
    parser = argparse.ArgumentParser(prog="python -m testbench.perf.overhead", description=__doc__)
    parser.add_argument("--out", default="sctb-out")
    parser.add_argument("--scale", type=float, default=4.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    r = measure_overhead(args.out, scale=args.scale, seed=args.seed, backend=args.backend,
                         rounds=args.rounds)
    print(json.dumps({
        "transactions": r.transactions, "bit_products": r.bit_products,
        "cocotb_seconds": round(r.cocotb_seconds, 4),
        "golden_predict_seconds": round(r.predict_seconds, 4),
        "hdl_seconds": round(r.hdl_seconds, 4),
        "hdl_cycles": r.hdl_cycles,
        "cocotb_bit_products_per_s": round(r.cocotb_rate), "hdl_bit_products_per_s":
        round(r.hdl_rate), "cocotb_slowdown": round(r.ratio, 3),
        "cocotb_slowdown_without_prediction": round(r.ratio_no_predict, 3),
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
