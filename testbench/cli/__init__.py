"""The ``sctb`` command line: compare, bench, regress, emulate, fuzz, sweep."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from rich.console import Console

import golden

from . import emulate_cli, fuzz_cli, regress, sweep_cli
from .bench import WORKLOADS, bench_sweep, run_bench
from .compare import compare_backends
from .report import bench_tables, compare_table

__all__ = ["main"]


def _cmd_compare(args: argparse.Namespace, console: Console) -> int:
    rows = compare_backends(seed=args.seed, n_random=args.n_random, backends=args.backend or None)
    console.print(compare_table(rows))
    bad = [r.backend for r in rows if not r.skipped and not r.ok]
    if bad:
        console.print(f"[red]mismatch[/red] in: {', '.join(bad)}")
        return 1
    return 0


def _cmd_bench(args: argparse.Namespace, console: Console) -> int:
    report = run_bench(args.workload or None, args.backend or None,
                       include_upstream=not args.no_upstream)
    if args.sweep_ranks:
        report["sweep"] = bench_sweep(args.sweep_ranks)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for table in bench_tables(report):
            console.print(table)
    return 0


def _backend_name(value: str) -> str:
    if value not in golden.PRIORITY:
        raise argparse.ArgumentTypeError(
            f"unknown backend {value!r}; valid names: {', '.join(golden.PRIORITY)}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sctb", description="Bit-true stochastic-computing golden models and testbenches.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("compare", help="every available backend against the NumPy floor")
    p.add_argument("--seed", type=int, default=0, help="seed of the random cases (default 0)")
    p.add_argument("--random", type=int, default=200, dest="n_random",
                   help="number of random cases (default 200)")
    p.add_argument("--backend", action="append", type=_backend_name,
                   help="compare only this backend (repeatable)")
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("bench", help="time the backends on workloads W1, W2")
    p.add_argument("--workload", action="append", choices=sorted(WORKLOADS),
                   help="workload to run (repeatable; default all)")
    p.add_argument("--backend", action="append", type=_backend_name,
                   help="backend to time (repeatable; default all available)")
    p.add_argument("--no-upstream", action="store_true",
                   help="do not time SC-NeuroCore's sc_forward_numpy")
    p.add_argument("--sweep-ranks", type=int, default=0, metavar="N",
                   help="also time a CPU-bound sweep on 1 rank and on N MPI ranks")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_cmd_bench)

    p = sub.add_parser("regress", help="the main job: golden comparison, then the RTL suites")
    regress.add_arguments(p)
    p.set_defaults(func=regress.run)

    p = sub.add_parser("emulate", help="a workload on the cycle-level emulator: cycles, latency")
    emulate_cli.add_arguments(p)
    p.set_defaults(func=emulate_cli.run)

    p = sub.add_parser("fuzz", help="a property-based campaign: backends, emulator or RTL")
    fuzz_cli.add_arguments(p)
    p.set_defaults(func=fuzz_cli.run)

    p = sub.add_parser("sweep", help="a verification sweep from a TOML spec (serial or mpiexec)")
    sweep_cli.add_arguments(p)
    p.set_defaults(func=sweep_cli.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``sctb``; returns the exit status."""
    args = build_parser().parse_args(argv)
    console = Console(soft_wrap=True)  # long lines (replay commands) stay copy-pastable
    return int(args.func(args, console))


if __name__ == "__main__":
    sys.exit(main())
