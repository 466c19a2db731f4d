"""``sctb prove``: the formal proofs (block, protocol, bounded equivalence) on a design."""

from __future__ import annotations

import argparse
import json
import pathlib
import time
from pathlib import Path

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..design import Design, DesignError, load_design
from ..formal import PROOFS, QUICK, ProofResult, run_proofs
from .args import add_design_argument, check_output_dir, positive_float, positive_int

__all__ = ["add_arguments", "exit_status", "proofs_table", "run", "run_prove"]

_STYLE = {"PASS": "green", "FAIL": "red", "UNKNOWN": "yellow", "ERROR": "red", "N/A": "yellow"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "proofs (--quick runs those marked *):\n" + "\n".join(
        f"  {'*' if p.name in QUICK else ' '} {p.name:<32} {p.description}"
        for p in PROOFS.values())
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("sctb-out"),
                        help="output directory: prove.json and prove/<proof>/ with logs and "
                             "counterexample traces (default: sctb-out)")
    add_prove_arguments(parser)
    add_design_argument(parser)


def add_prove_arguments(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    """The proof selection and limits (``sctb regress --prove`` shares them)."""
    parser.add_argument(f"--{prefix}proof", action="append", choices=list(PROOFS),
                        dest="proofs", metavar="PROOF",
                        help="run this proof (repeatable; default: all, listed below)")
    parser.add_argument(f"--{prefix}quick", action="store_true", dest="prove_quick",
                        help=f"the small proof set ({len(QUICK)} proofs, what the CI runs)")
    parser.add_argument(f"--{prefix}timeout", type=positive_float, default=300.0,
                        dest="prove_timeout", metavar="S",
                        help="time limit of each proof in seconds; past it the proof is "
                             "UNKNOWN (default: 300)")
    parser.add_argument(f"--{prefix}jobs", type=positive_int, default=1, dest="prove_jobs",
                        help="proofs run in parallel (default: 1)")


def selected(args: argparse.Namespace) -> list[str]:
    """The proofs of this run, in registry order."""
    if args.proofs:
        return [n for n in PROOFS if n in args.proofs]
    return [n for n in PROOFS if n in QUICK] if args.prove_quick else list(PROOFS)


def proofs_table(results: list[ProofResult], design: Design) -> Table:
    table = Table(title=f"Formal proofs on design {design.name}", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    for col in ("proof", "scope", "method", "status", "s", "detail"):
        table.add_column(col, justify="right" if col == "s" else "left",
                         no_wrap=col != "detail")
    for r in results:
        method = "k-induction" if r.mode == "prove" else f"BMC {r.depth}"
        style = _STYLE[r.status]
        table.add_row(r.name, r.scope, method, f"[{style}]{r.status}[/{style}]",
                      f"{r.seconds:.1f}" if r.status != "N/A" else "-", escape(r.detail))
    return table


def exit_status(results: list[ProofResult]) -> int:
    """0 all that apply proved; 1 a proof failed (or none applied); 3 one could not run."""
    statuses = {r.status for r in results}
    if "FAIL" in statuses:
        return 1
    if statuses & {"ERROR", "UNKNOWN"}:
        return 3
    return 0 if "PASS" in statuses else 1


def run_prove(args: argparse.Namespace, console: Console, design: Design, out: Path
              ) -> tuple[int, dict]:
    """Run the selected proofs, print the table and counterexamples; the status and JSON."""
    start = time.perf_counter()
    names = selected(args)
    console.print(f"proving {len(names)} properties on design {design.name} "
                  f"(limit {args.prove_timeout:g} s each)")

    def done(r: ProofResult) -> None:
        console.print(f"  {r.name}: {r.status} ({r.seconds:.1f} s)", highlight=False)

    results = run_proofs(names, design, out / "prove", timeout=args.prove_timeout,
                         jobs=args.prove_jobs, on_done=done)
    console.print(proofs_table(results, design))
    for r in results:
        if r.status == "FAIL":
            console.print(f"[red]FAILED[/red] {r.name}: {escape(r.detail)}"
                          + (f"; counterexample {escape(r.trace)}" if r.trace else ""),
                          soft_wrap=True)
            if r.transaction:
                t = r.transaction
                console.print(f"  transaction: seed {t['seed']:#06x}, length {t['length']}, "
                              f"thresholds {t['thresholds']}, weight bits (stream o,i: bit t "
                              f"from 0) {t['weight_bits']}; result beat {t['result_beat']}: "
                              f"expected {t['expected']}, got {t['observed']}",
                              soft_wrap=True, highlight=False)
            console.print(f"  replay: {escape(replay(r, design))}", soft_wrap=True)
        elif r.status in ("ERROR", "UNKNOWN"):
            console.print(f"[red]{r.status}[/red] {r.name}: {escape(r.detail)} (logs: "
                          f"{escape(r.workdir or '-')})", soft_wrap=True)
    na = [r for r in results if r.status == "N/A"]
    if na and len(na) == len(results):
        console.print(f"[red]no proof applies to design {escape(design.name)}[/red]: nothing "
                      "was proved", soft_wrap=True)
    status = exit_status(results)
    doc = {"design": design.to_dict(), "passed": status == 0, "exit_status": status,
           "proofs": [r.to_dict() for r in results], "seconds": time.perf_counter() - start}
    return status, doc


def replay(r: ProofResult, design: Design) -> str:
    """The command that reruns one proof (its trace is re-made in the same place)."""
    parts = ["sctb", "prove", "--proof", r.name, *design.cli_args()]
    return " ".join(parts) + (f"   # waves: gtkwave {r.trace}" if r.trace else "")


def run(args: argparse.Namespace, console: Console) -> int:
    """``sctb prove``: 0 all proved, 1 a proof failed, 2 a user error, 3 a proof could not run."""
    try:
        design = load_design(args.rtl_dir)
    except DesignError as e:
        console.print(f"[red]error[/red]: {escape(f'--rtl-dir: {e}')}", soft_wrap=True)
        return 2
    console.print(design.summary(), soft_wrap=True)
    out = check_output_dir("--out", args.out)
    status, doc = run_prove(args, console, design, out)
    path = out / "prove.json"
    path.write_text(json.dumps(doc, indent=2))
    console.print(f"results: {path}")
    word = {0: "[green]PROVED[/green]", 1: "[red]FAILED[/red]",
            3: "[red]INCOMPLETE[/red] (a proof could not run: exit 3)"}[status]
    console.print(word)
    return status
