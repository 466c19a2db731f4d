"""``sctb bench``: time the backends on the workloads (and optionally a sweep over MPI)."""

from __future__ import annotations

import argparse
import json
import pathlib
import shlex

from rich.console import Console

from ..perf.bench import WORKLOADS, bench_sweep, run_bench
from ..report.tables import bench_tables
from .args import Unavailable, UsageError, bounded_int
from .compare import backend_name, check_available

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS),
                        help="workload to run (repeatable; default all)")
    parser.add_argument("--backend", action="append", type=backend_name,
                        help="backend to time (repeatable; default all available)")
    parser.add_argument("--no-upstream", action="store_true",
                        help="do not time SC-NeuroCore's sc_forward_numpy")
    parser.add_argument("--sweep-ranks", type=bounded_int(0, 256), default=0, metavar="N",
                        help="also time a CPU-bound sweep on 1 rank and on N MPI ranks "
                             "(2 .. 256; 0: no sweep)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--regress", action="store_true",
                        help="instead: time `sctb regress` cold (empty build cache), warm and "
                             "with one RTL file changed, and cocotb's overhead over raw "
                             "Verilator; print each against its goal")
    parser.add_argument("--regress-args", default="", metavar="ARGS",
                        help="with --regress: options of the timed `sctb regress` (one string; "
                             "default none: the whole job)")
    parser.add_argument("--no-overhead", action="store_true",
                        help="with --regress: skip the cocotb overhead measure")
    parser.add_argument("--regress-ranks", type=bounded_int(0, 256), default=2, metavar="N",
                        help="with --regress: also time a CPU-bound set of regression jobs on "
                             "1 rank and on N MPI ranks (default 2; 0: not)")
    parser.add_argument("--bench-out", type=pathlib.Path, default=None, metavar="DIR",
                        help="with --regress: keep the runs and their logs in DIR (default: a "
                             "temporary directory, removed)")


def _has_mpiexec() -> bool:
    from ..sweep.mpi import find_mpiexec

    return find_mpiexec() is not None


def run(args: argparse.Namespace, console: Console) -> int:
    """Time the workloads; print tables (or JSON); 0. With ``--regress``: the regression
    figures against their goals; 1 when a timed regression failed."""
    if args.regress:
        return _run_regress(args, console)
    if args.sweep_ranks == 1:
        raise UsageError("--sweep-ranks 1: the sweep compares 1 rank with N ranks; N must be "
                         ">= 2 (or 0: no sweep)")
    check_available("--backend", args.backend)
    report = run_bench(args.workload or None, args.backend or None,
                       include_upstream=not args.no_upstream)
    if args.sweep_ranks:
        if not _has_mpiexec():
            raise Unavailable("--sweep-ranks: mpiexec not found (pip install 'sctb[mpi]')")
        report["sweep"] = bench_sweep(args.sweep_ranks)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for table in bench_tables(report):
            console.print(table)
    return 0


def _run_regress(args: argparse.Namespace, console: Console) -> int:
    from rich.table import Table

    from ..perf.regress_bench import GOALS, HIGHER_IS_BETTER, bench_regress

    try:
        regress_args = shlex.split(args.regress_args)
    except ValueError as e:
        console.print(f"error: --regress-args {args.regress_args!r}: {e}", markup=False)
        return 2
    if args.regress_ranks == 1:
        raise UsageError("--regress-ranks 1: the measure compares 1 rank with N ranks; N must "
                         "be >= 2 (or 0: no MPI measure)")
    report = bench_regress(regress_args, out=args.bench_out, overhead=not args.no_overhead,
                           ranks=args.regress_ranks)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        load = report["load"]
        table = Table(title=f"sctb regress {' '.join(regress_args) or '(whole job)'}: "
                      f"{report['cpus']} CPUs, load average {load['before']} -> "
                      f"{load['after']}")
        for col in ("measure", "measured", "goal", "measured / goal", "verdict"):
            table.add_column(col, justify="left" if col in ("measure", "verdict") else "right")
        names = {"cold": "cold (empty build cache)", "warm": "warm (nothing changed)",
                 "one_file": f"one RTL file changed ({report['changed_file']})",
                 "cocotb_overhead": "cocotb over raw Verilator",
                 "mpi_speedup": f"MPI: 1 rank / {args.regress_ranks} ranks (CPU-bound set)"}
        mpi = report["mpi"]
        for key, value in report["measured"].items():
            unit = "x" if key in ("cocotb_overhead", "mpi_speedup") else " s"
            run = report["runs"].get(key)
            verdict = "meets" if report["met"][key] else "MISSES"
            if run is not None and not run["passed"]:
                verdict = f"REGRESSION FAILED (exit {run['returncode']}; log {run['log']})"
            if key == "mpi_speedup":
                for part in ("one_rank", "n_ranks"):
                    if not mpi[part]["passed"]:
                        verdict = (f"REGRESSION FAILED (exit {mpi[part]['returncode']}; log "
                                   f"{mpi[part]['log']})")
                if not mpi["identical"]:
                    verdict += "; the ranks' regress.json differs from the serial run's"
            goal = f"{'>= ' if key in HIGHER_IS_BETTER else ''}{report['goals'][key]:g}{unit}"
            table.add_row(names[key], f"{value:.2f}{unit}", goal,
                          f"{report['ratios'][key]:.2f}", verdict)
        if mpi is not None and not mpi["applicable"]:
            table.add_row(names["mpi_speedup"], "-", f">= {GOALS['mpi_speedup']:g}x", "-",
                          mpi["why"])
        console.print(table)
    failed = [k for k, r in report["runs"].items() if not r["passed"]]
    mpi = report["mpi"]
    if mpi is not None and mpi["applicable"]:
        failed += [k for k in ("one_rank", "n_ranks") if not mpi[k]["passed"]]
    return 1 if failed else 0
