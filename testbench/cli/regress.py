"""``sctb regress``: the main job — the golden comparison, then every RTL suite per simulator."""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shlex
import time
from pathlib import Path

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..compare import compare_backends
from ..report.tables import compare_table
from ..runner import (
    SIMULATORS,
    SUITES,
    SuiteResult,
    merge_junit,
    merged_coverage,
    record_failure_waves,
    run_matrix,
    summary,
)

__all__ = ["add_arguments", "coverage_report", "results_table", "run", "run_rtl", "speed_lines"]


def _non_negative(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an int >= 0, got {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected an int >= 0, got {value!r}")
    return n


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("sctb-out"),
                        help="output directory for results (default: sctb-out)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random cases")
    parser.add_argument("--random", type=int, default=200, dest="n_random",
                        help="random golden-comparison cases (default: 200)")
    parser.add_argument("--report", type=pathlib.Path, default=None, metavar="DIR",
                        help="also write a self-contained HTML report (index.html, report.json, "
                             "the merged JUnit file, wave files of failures) to DIR; needs "
                             "matplotlib (the 'report' extra)")
    parser.add_argument("--report-waves", type=_non_negative, default=16, metavar="N",
                        help="with --report: re-run at most N failing tests with waves "
                             "(default: 16)")
    _add_rtl_arguments(parser)


def _command(args: argparse.Namespace) -> str:
    """The ``sctb regress`` command line that repeats this run."""
    cmd = ["sctb", "regress", "--out", str(args.out), "--seed", str(args.seed),
           "--random", str(args.n_random)]
    if args.no_rtl:
        cmd.append("--no-rtl")
    else:
        cmd += ["--sim", args.sim, "--backend", args.rtl_backend]
        for suite in args.suites or []:
            cmd += ["--suite", suite]
        if args.scale != 1:
            cmd += ["--scale", str(args.scale)]
        if args.rtl_dir:
            cmd += ["--rtl-dir", str(args.rtl_dir)]
    if args.report is not None:
        cmd += ["--report", str(args.report)]
    return shlex.join(cmd)


def run(args: argparse.Namespace, console: Console) -> int:
    """Run the regression; return the exit status (1 on any failure, 2 when --report cannot)."""
    start = time.perf_counter()
    if args.report is not None:
        from ..report.html import matplotlib_missing

        why = matplotlib_missing()
        if why is not None:
            console.print(f"[red]error[/red]: --report: {escape(why)}")
            return 2
    rows = compare_backends(seed=args.seed, n_random=args.n_random)
    console.print(compare_table(rows, title="golden comparison"))
    failed = [r for r in rows if not r.skipped and not r.ok]
    args.out.mkdir(parents=True, exist_ok=True)
    rtl_ok, rtl_results = True, []
    if not args.no_rtl:
        rtl_ok, rtl_results = run_rtl(args, console, args.out.resolve(), args.seed)
    compare_replay = f"sctb compare --seed {args.seed} --random {args.n_random}"
    index = None
    if args.report is not None:
        index = _write_report(args, console, rows, rtl_results, compare_replay, start)
    doc = {
        "suites": [{"suite": "golden", "backend": r.backend, "cases": r.cases,
                    "mismatches": r.mismatches, "skipped": r.skipped,
                    "first_mismatch": r.first_mismatch, "seconds": r.seconds} for r in rows],
        "rtl": summary(rtl_results),
        "seconds": time.perf_counter() - start,
        "passed": not failed and rtl_ok,
        "report": str(index) if index is not None else None,
    }
    path = args.out / "regress.json"
    path.write_text(json.dumps(doc, indent=2))
    console.print(f"results: {path}")
    if index is not None:
        console.print(f"report: {index}")
    if failed:
        console.print(f"[red]FAILED[/red]: {', '.join(r.backend for r in failed)}; replay with "
                      f"`{compare_replay}`")
    if not rtl_ok:
        console.print("[red]FAILED[/red]: RTL suites (replay commands above)")
    if failed or not rtl_ok:
        return 1
    console.print("[green]PASSED[/green]")
    return 0


def _write_report(args: argparse.Namespace, console: Console, rows, rtl_results,
                  compare_replay: str, start: float) -> pathlib.Path:
    """Wave files of the failures, the accuracy study, then ``index.html`` + ``report.json``."""
    from .. import coverage
    from ..report import accuracy
    from ..report import html as report_html

    report_dir = args.report.resolve()
    report_dir.mkdir(parents=True, exist_ok=True)
    n_failing = sum(len(r.failures) for r in rtl_results)
    if n_failing:
        console.print(f"report: re-running up to {min(args.report_waves, n_failing)} of "
                      f"{n_failing} failing tests with waves (--report-waves)")
        recorded = record_failure_waves(
            rtl_results, report_dir / "waves", scratch=args.out.resolve() / "report-waves",
            backend=args.rtl_backend, seed=args.seed, scale=args.scale, rtl_dir=args.rtl_dir,
            jobs=args.jobs, limit=args.report_waves)
        console.print(f"report: {recorded} wave files recorded")
        for r in rtl_results:
            for f in r.failures:
                where = str(f.waves) if f.waves is not None else f"none ({f.waves_note})"
                console.print(f"  waves of {r.suite}/{r.sim}/{f.test}: {escape(where)}")
    study = accuracy.run_study()
    console.print(f"report: sc_forward accuracy, log-log slope {study.slope:.3f} over N = "
                  f"{study.fit_range[0]}..{study.fit_range[1]} ({study.seconds:.1f} s)")
    merged = merged_coverage(rtl_results)
    junit = args.out.resolve() / "rtl-results.xml" if not args.no_rtl else None
    data = report_html.build_data(
        report_dir=report_dir, rows=rows, rtl_results=rtl_results, rtl_ran=not args.no_rtl,
        coverage=merged, required_missing=coverage.missing(merged) if merged else [],
        junit=report_dir / "rtl-results.xml" if junit is not None else None,
        compare_replay=compare_replay, accuracy=study.to_dict(), command=_command(args),
        seed=args.seed, seconds=time.perf_counter() - start)
    return report_html.write_report(report_dir, data, accuracy.png(study), junit_source=junit)


def _add_rtl_arguments(parser: argparse.ArgumentParser) -> None:
    """The RTL options of ``sctb regress`` (``--out`` and ``--seed`` are the caller's)."""
    parser.add_argument("--sim", default="all", choices=[*SIMULATORS, "all"],
                        help="simulator(s) of the RTL suites (default: all)")
    parser.add_argument("--suite", action="append", choices=list(SUITES), dest="suites",
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


def results_table(results: list[SuiteResult]) -> Table:
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


def speed_lines(results: list[SuiteResult]) -> list[str]:
    """Verified bit-products per second of each dense run: its throughput test and overall."""
    lines = []
    for r in results:
        tp = r.per_test.get("throughput")
        if tp and tp.get("seconds"):
            lines.append(f"speed {r.suite} on {r.sim}: throughput test "
                         f"{tp['bit_products'] / tp['seconds'] / 1e6:.1f} M bit-products/s; "
                         f"all tests {r.bit_products_per_s / 1e6:.1f} M/s")
    return lines


def coverage_report(results: list[SuiteResult], console: Console
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
    from .. import coverage

    merged = merged_coverage(results)
    if merged is None:
        return True, None
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
            ) -> tuple[bool, list[SuiteResult]]:
    """Run the requested suites; print progress, the table and a replay line per failure.

    Returns
    -------
    ok : bool
        True when every run passed (an unavailable simulator is a failure).
    results : list of SuiteResult
    """
    suites = args.suites or list(SUITES)
    sims = list(SIMULATORS) if args.sim == "all" else [args.sim]
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task("RTL suites", total=len(suites) * len(sims))

        def done(res: SuiteResult) -> None:
            mark = "pass" if res.ok else "FAIL"
            progress.console.print(f"  {res.suite} on {res.sim}: {mark} "
                                   f"({res.passed}/{res.tests}, {res.seconds:.1f} s)")
            progress.advance(task)

        results = run_matrix(suites, sims, out_dir=out, backend=args.rtl_backend, seed=seed,
                                 jobs=args.jobs, scale=args.scale, rtl_dir=args.rtl_dir,
                                 on_done=done)
    console.print(results_table(results))
    for line in speed_lines(results):
        console.print(line)
    junit = merge_junit(results, out / "rtl-results.xml")
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
