"""The ``sctb`` command line: compare, bench, regress, sim, emulate, fuzz, sweep."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rich.console import Console

from ..eda import ToolError
from . import bench, compare, emulate, fuzz, mutate, regress, sim, sweep

__all__ = ["build_parser", "main"]

#: Command name -> (module with add_arguments and run, one-line help).
COMMANDS = {
    "compare": (compare, "every available backend against the NumPy floor"),
    "bench": (bench, "time the backends on workloads W1, W2"),
    "regress": (regress, "the main job: golden comparison, then the RTL suites"),
    "sim": (sim, "RTL suites on Icarus and/or Verilator (one run per suite and simulator)"),
    "emulate": (emulate, "a workload on the cycle-level emulator: cycles, latency"),
    "fuzz": (fuzz, "a property-based campaign: backends, emulator or RTL"),
    "sweep": (sweep, "a verification sweep from a TOML spec (serial or mpiexec)"),
    "mutate": (mutate, "mutation score: source mutants of the design judged by the suites"),
}


def build_parser() -> argparse.ArgumentParser:
    """The ``sctb`` parser: one subcommand per :data:`COMMANDS` entry."""
    parser = argparse.ArgumentParser(
        prog="sctb", description="Bit-true stochastic-computing golden models and testbenches.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module, text) in COMMANDS.items():
        p = sub.add_parser(name, help=text)
        module.add_arguments(p)
        p.set_defaults(func=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``sctb``; returns the exit status."""
    args = build_parser().parse_args(argv)
    console = Console(soft_wrap=True)  # long lines (replay commands) stay copy-pastable
    try:
        return int(args.func(args, console))
    except ToolError as e:  # an EDA tool missing, crashed or out of time: infrastructure, exit 3
        console.print(f"error: {e}", markup=False, highlight=False)
        return 3


if __name__ == "__main__":
    sys.exit(main())
