"""The RTL half of ``sctb regress``: every suite on every simulator, a table, merged JUnit."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import sim

__all__ = ["add_arguments", "coverage_report", "results_table", "run_rtl", "speed_lines",
           "summary"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The RTL options of ``sctb regress`` (``--out`` and ``--seed`` are the caller's)."""
    parser.add_argument("--sim", default="all", choices=[*sim.SIMULATORS, "all"],
                        help="simulator(s) of the RTL suites (default: all)")
    parser.add_argument("--suite", action="append", choices=list(sim.SUITES), dest="suites",
                        help="RTL suite to run (repeatable; default: all)")
    parser.add_argument("--backend", default="numpy", dest="rtl_backend",
                        help="golden backend that predicts the RTL's counts (default: numpy)")
    parser.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) // 2),
                        help="RTL suite runs in parallel (default: half the cores)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiplies the RTL random batch sizes (default: 1)")
    parser.add_argument("--rtl-dir", default=None,
                        help="RTL directory with an sc.f to test instead of rtl_models/")
    parser.add_argument("--no-rtl", action="store_true", help="skip the RTL suites")


def results_table(results: list[sim.SuiteResult]) -> Table:
    """Suite x simulator: tests, passed, failed, transactions, verified bit-products, seconds."""
    table = Table(title="RTL suites (bit-products: n_out x n_in x length, verified)",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    cols = ("suite", "sim", "tests", "pass", "fail", "txns", "bit-products", "s", "ok")
    for col in cols:
        table.add_column(col, justify="left" if col in ("suite", "sim", "ok") else "right",
                         no_wrap=True, min_width=len(col))
    for r in results:
        status = "[green]yes[/green]" if r.ok else "[red]NO[/red]"
        table.add_row(r.suite, r.sim, str(r.tests), str(r.passed), str(r.failed),
                      str(r.transactions), str(r.bit_products), f"{r.seconds:.0f}", status)
    return table


def speed_lines(results: list[sim.SuiteResult]) -> list[str]:
    """Verified bit-products per second of each dense run: its throughput test and overall."""
    lines = []
    for r in results:
        tp = r.per_test.get("throughput")
        if tp and tp.get("seconds"):
            lines.append(f"speed {r.suite} on {r.sim}: throughput test "
                         f"{tp['bit_products'] / tp['seconds'] / 1e6:.1f} M bit-products/s; "
                         f"all tests {r.bit_products_per_s / 1e6:.1f} M/s")
    return lines


def summary(results: list[sim.SuiteResult]) -> list[dict]:
    """JSON-ready rows, the per-test figures included."""
    return [{
        "suite": r.suite, "sim": r.sim, "ok": r.ok, "tests": r.tests, "passed": r.passed,
        "failed": r.failed, "skipped": r.skipped, "transactions": r.transactions,
        "bit_products": r.bit_products, "seconds": r.seconds, "build_seconds": r.build_seconds,
        "test_seconds": r.sim_seconds, "bit_products_per_s": r.bit_products_per_s,
        "error": r.error, "junit": str(r.junit) if r.junit else None, "log": str(r.log),
        "failures": [{"test": f.test, "message": f.message, "replay": f.replay}
                     for f in r.failures],
        "per_test": r.per_test,
        "coverage": _coverage_of(r),
    } for r in results]


def _coverage_of(r: sim.SuiteResult) -> dict | None:
    """The functional coverage a run wrote (``coverage.json`` in its run directory), if any."""
    path = r.log.parent / "coverage.json" if r.log is not None else None
    return json.loads(path.read_text()) if path is not None and path.is_file() else None


def coverage_report(results: list[sim.SuiteResult], console: Console
                    ) -> tuple[bool, dict | None]:
    """Merge the functional coverage the runs wrote (``coverage.json``), print hits per bin.

    Returns
    -------
    ok : bool
        False when a bin of ``testbench.coverage.REQUIRED`` stayed empty (only checked when a
        run wrote coverage).
    merged : dict or None
        ``{point: {bin: hits}}``, or None when no run wrote coverage.
    """
    from . import coverage

    reports = [json.loads(p.read_text()) for r in results if r.log is not None
               for p in [r.log.parent / "coverage.json"] if p.is_file()]
    if not reports:
        return True, None
    merged = coverage.merge(reports)
    table = Table(title="Functional coverage (hits per bin, all runs)", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    table.add_column("cover point", no_wrap=True)
    table.add_column("bins (hits)")
    for name, bins in merged.items():
        table.add_row(name, "  ".join(f"{b}={h}" if h else f"[red]{b}=0[/red]"
                                      for b, h in bins.items()))
    console.print(table)
    empty = coverage.missing(merged)
    if empty:
        console.print(f"[red]coverage holes[/red] (required bins with no hit): "
                      f"{', '.join(empty)}", soft_wrap=True)
    return not empty, merged


def run_rtl(args: argparse.Namespace, console: Console, out: Path, seed: int
            ) -> tuple[bool, list[sim.SuiteResult]]:
    """Run the requested suites; print progress, the table and a replay line per failure.

    Returns
    -------
    ok : bool
        True when every run passed (an unavailable simulator is a failure).
    results : list of SuiteResult
    """
    suites = args.suites or list(sim.SUITES)
    sims = list(sim.SIMULATORS) if args.sim == "all" else [args.sim]
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task("RTL suites", total=len(suites) * len(sims))

        def done(res: sim.SuiteResult) -> None:
            mark = "pass" if res.ok else "FAIL"
            progress.console.print(f"  {res.suite} on {res.sim}: {mark} "
                                   f"({res.passed}/{res.tests}, {res.seconds:.1f} s)")
            progress.advance(task)

        results = sim.run_matrix(suites, sims, out_dir=out, backend=args.rtl_backend, seed=seed,
                                 jobs=args.jobs, scale=args.scale, rtl_dir=args.rtl_dir,
                                 on_done=done)
    console.print(results_table(results))
    for line in speed_lines(results):
        console.print(line)
    junit = sim.merge_junit(results, out / "rtl-results.xml")
    console.print(f"RTL JUnit results: {junit}")
    ok = all(r.ok for r in results)
    cov_ok, _ = coverage_report(results, console)
    ok = ok and cov_ok
    for r in results:
        for f in r.failures:
            first = f.message.splitlines()[0] if f.message else ""
            console.print(f"[red]FAILED[/red] {r.suite}/{r.sim}/{f.test}: {first}")
            console.print(f"  replay: {f.replay}", soft_wrap=True)
    return ok, results
