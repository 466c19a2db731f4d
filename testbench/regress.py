"""``sctb regress``: the main job — the golden comparison, then every RTL suite per simulator."""

from __future__ import annotations

import argparse
import json
import pathlib
import time

from rich.console import Console

from . import rtl_regress
from .compare import compare_backends
from .report import compare_table

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("sctb-out"),
                        help="output directory for results (default: sctb-out)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random cases")
    parser.add_argument("--random", type=int, default=200, dest="n_random",
                        help="random golden-comparison cases (default: 200)")
    rtl_regress.add_arguments(parser)


def run(args: argparse.Namespace, console: Console) -> int:
    """Run the regression; return the exit status (1 on any failure)."""
    start = time.perf_counter()
    rows = compare_backends(seed=args.seed, n_random=args.n_random)
    console.print(compare_table(rows, title="golden comparison"))
    failed = [r for r in rows if not r.skipped and not r.ok]
    args.out.mkdir(parents=True, exist_ok=True)
    rtl_ok, rtl_results = True, []
    if not args.no_rtl:
        rtl_ok, rtl_results = rtl_regress.run_rtl(args, console, args.out.resolve(), args.seed)
    summary = {
        "suites": [{"suite": "golden", "backend": r.backend, "cases": r.cases,
                    "mismatches": r.mismatches, "skipped": r.skipped,
                    "first_mismatch": r.first_mismatch, "seconds": r.seconds} for r in rows],
        "rtl": rtl_regress.summary(rtl_results),
        "seconds": time.perf_counter() - start,
        "passed": not failed and rtl_ok,
    }
    path = args.out / "regress.json"
    path.write_text(json.dumps(summary, indent=2))
    console.print(f"results: {path}")
    if failed:
        console.print(f"[red]FAILED[/red]: {', '.join(r.backend for r in failed)}; replay with "
                      f"`sctb compare --seed {args.seed} --random {args.n_random}`")
    if not rtl_ok:
        console.print("[red]FAILED[/red]: RTL suites (replay commands above)")
    if failed or not rtl_ok:
        return 1
    console.print("[green]PASSED[/green]")
    return 0
