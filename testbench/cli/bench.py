"""``sctb bench``: time the backends on the workloads (and optionally a sweep over MPI)."""

from __future__ import annotations

import argparse
import json

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


def _has_mpiexec() -> bool:
    import os
    import shutil
    import sys

    return bool(shutil.which("mpiexec", path=os.path.dirname(sys.executable))
                or shutil.which("mpiexec"))


def run(args: argparse.Namespace, console: Console) -> int:
    """Time the workloads; print tables (or JSON); 0."""
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
