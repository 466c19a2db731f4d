"""``sctb sim``: run RTL suites on Icarus and/or Verilator, print a summary per run."""

from __future__ import annotations

import argparse

from rich.console import Console

from ..runner import (
    DEFAULT_SEED,
    SIMULATORS,
    SUITES,
    format_result,
    run_matrix,
    run_suite,
)
from .compare import backend_name

__all__ = ["add_arguments", "run"]


def _suite_name(value: str) -> str:
    if value not in SUITES:
        raise argparse.ArgumentTypeError(
            f"unknown suite {value!r}; valid suites: {', '.join(SUITES)}")
    return value


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected an int >= 1, got {value!r}")
    return n


def _positive_float(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        x = 0.0
    if not x > 0 or x == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {value!r}")
    return x


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("suites", nargs="*", type=_suite_name, metavar="SUITE",
                        help=f"suites to run (default all: {', '.join(SUITES)})")
    parser.add_argument("--sim", default="all", choices=[*SIMULATORS, "all"],
                        help="simulator (default: all)")
    parser.add_argument("--backend", default="numpy", type=backend_name,
                        help="golden backend of the predictions (default: numpy)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"seed of the random stimulus (default {DEFAULT_SEED})")
    parser.add_argument("--scale", type=_positive_float, default=1.0,
                        help="multiplies the random batch sizes (default 1)")
    parser.add_argument("--test", default=None, help="run only this test")
    parser.add_argument("--rtl-dir", default=None, help="RTL directory with an sc.f")
    parser.add_argument("--out", default="sctb-out", help="output directory (default sctb-out)")
    parser.add_argument("--waves", action="store_true", help="record waves")
    parser.add_argument("--jobs", type=_positive_int, default=1,
                        help="runs in parallel (default 1)")


def run(args: argparse.Namespace, console: Console) -> int:
    """Run the suites; print each run's summary (failures with replay commands); 1 on failure."""
    suites = args.suites or list(SUITES)
    sims = SIMULATORS if args.sim == "all" else (args.sim,)
    if args.test or args.rtl_dir:
        results = [run_suite(name, s, out_dir=args.out, backend=args.backend, seed=args.seed,
                             waves=args.waves, scale=args.scale, test=args.test,
                             rtl_dir=args.rtl_dir)
                   for name in suites for s in sims]
    else:
        results = run_matrix(suites, sims, out_dir=args.out, backend=args.backend,
                             seed=args.seed, jobs=args.jobs, scale=args.scale, waves=args.waves)
    for res in results:
        print(format_result(res), flush=True)
    return 0 if all(r.ok for r in results) else 1
