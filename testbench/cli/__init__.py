"""The ``sctb`` command line: one subcommand per ``COMMANDS`` entry, one exit-status convention."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import traceback
from collections.abc import Sequence

from rich.console import Console

from ..design import DesignError
from ..eda import ToolError
from ..sweep import SpecError
from . import bench, compare, emulate, explore, fuzz, mutate, prove, regress, sim, sweep, synth
from .args import INFRA_ERROR, USAGE_ERROR, Unavailable, UsageError

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
    "prove": (prove, "formal proofs of the RTL: blocks, protocol, bounded equivalence"),
    "synth": (synth, "what a core costs: yosys cells, LUTs, flip-flops; Fmax from nextpnr"),
    "explore": (explore, "design-space sweep: accuracy, latency, throughput, area, Fmax"),
    "mutate": (mutate, "mutation score: source mutants of the design judged by the suites"),
}


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line (``sctb CMD: error: ...``), exit status 2."""

    def error(self, message: str):  # noqa: D102 (argparse's hook)
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``sctb`` parser: one subcommand per :data:`COMMANDS` entry."""
    parser = _Parser(
        prog="sctb", description="Bit-true stochastic-computing golden models and testbenches.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module, text) in COMMANDS.items():
        p = sub.add_parser(name, help=text)
        module.add_arguments(p)
        p.set_defaults(func=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``sctb``; returns the exit status.

    0: everything checked passed; 1: a verification failure; 2: a usage or input error (one
    line naming the option and the value, no traceback); 3: an infrastructure error (a tool or
    backend missing, out of time or resources) or an internal error (with a traceback and a
    "please report" line); 130: interrupted. A run that checked nothing never exits 0.
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # --help (0) or a bad option (2, already printed on one line)
        return e.code if isinstance(e.code, int) else USAGE_ERROR
    console = Console(soft_wrap=True)  # long lines (replay commands) stay copy-pastable
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # CI logs and pipes: full-width tables (rich would cut them to 80 columns).
        console = Console(soft_wrap=True, width=200)
    try:
        with _interrupts_end_children():
            return int(args.func(args, console))
    except (UsageError, DesignError, SpecError) as e:  # a bad input: one line, exit 2
        console.print(f"sctb {args.command}: error: {_one_line(e)}", markup=False,
                      highlight=False)
        return USAGE_ERROR
    except (ToolError, Unavailable) as e:  # a tool missing, crashed or out of time: exit 3
        console.print(f"sctb {args.command}: error: {_one_line(e)}", markup=False,
                      highlight=False)
        return INFRA_ERROR
    except MemoryError:
        console.print(f"sctb {args.command}: error: out of memory", markup=False,
                      highlight=False)
        return INFRA_ERROR
    except KeyboardInterrupt:
        console.print(f"sctb {args.command}: interrupted", markup=False, highlight=False)
        return 130
    except Exception:  # an internal bug: show everything, ask for a report
        traceback.print_exc()
        print(f"sctb {args.command}: internal error (a bug in sctb, not in your design); please "
              "report it with the command line and the traceback above", file=sys.stderr)
        return INFRA_ERROR


def _end_children() -> None:
    """End every simulator, EDA tool and sweep worker this process started."""
    eda = sys.modules.get("testbench.eda")
    if eda is not None:
        eda.kill_tools()
    procs = sys.modules.get("testbench.runner.procs")
    if procs is not None:
        procs.kill_children()
    mp = sys.modules.get("multiprocessing")
    if mp is not None:
        for child in mp.active_children():
            with contextlib.suppress(Exception):
                child.terminate()


@contextlib.contextmanager
def _interrupts_end_children():
    """SIGTERM and SIGINT (Ctrl-C) end every simulator and worker the command started, then
    raise KeyboardInterrupt (exit 130); the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        _end_children()
        raise KeyboardInterrupt(signal.Signals(signum).name)

    old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        procs = sys.modules.get("testbench.runner.procs")
        if procs is not None:
            procs._STOPPING.clear()  # a later command in this process may start simulations


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
