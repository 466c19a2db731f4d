"""``sctb regress``: the main job — the golden comparison, then every RTL suite per simulator."""

from __future__ import annotations

import argparse
import json
import pathlib
import shlex
import time

from rich.console import Console
from rich.markup import escape

from . import rtl_regress
from .compare import compare_backends
from .report import compare_table

__all__ = ["add_arguments", "run"]


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
    rtl_regress.add_arguments(parser)


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
        from .report_html import matplotlib_missing

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
        rtl_ok, rtl_results = rtl_regress.run_rtl(args, console, args.out.resolve(), args.seed)
    compare_replay = f"sctb compare --seed {args.seed} --random {args.n_random}"
    index = None
    if args.report is not None:
        index = _write_report(args, console, rows, rtl_results, compare_replay, start)
    summary = {
        "suites": [{"suite": "golden", "backend": r.backend, "cases": r.cases,
                    "mismatches": r.mismatches, "skipped": r.skipped,
                    "first_mismatch": r.first_mismatch, "seconds": r.seconds} for r in rows],
        "rtl": rtl_regress.summary(rtl_results),
        "seconds": time.perf_counter() - start,
        "passed": not failed and rtl_ok,
        "report": str(index) if index is not None else None,
    }
    path = args.out / "regress.json"
    path.write_text(json.dumps(summary, indent=2))
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
    from . import accuracy, coverage, report_html

    report_dir = args.report.resolve()
    report_dir.mkdir(parents=True, exist_ok=True)
    n_failing = sum(len(r.failures) for r in rtl_results)
    if n_failing:
        console.print(f"report: re-running up to {min(args.report_waves, n_failing)} of "
                      f"{n_failing} failing tests with waves (--report-waves)")
        recorded = rtl_regress.record_failure_waves(
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
    merged = rtl_regress.merged_coverage(rtl_results)
    junit = args.out.resolve() / "rtl-results.xml" if not args.no_rtl else None
    data = report_html.build_data(
        report_dir=report_dir, rows=rows, rtl_results=rtl_results, rtl_ran=not args.no_rtl,
        coverage=merged, required_missing=coverage.missing(merged) if merged else [],
        junit=report_dir / "rtl-results.xml" if junit is not None else None,
        compare_replay=compare_replay, accuracy=study.to_dict(), command=_command(args),
        seed=args.seed, seconds=time.perf_counter() - start)
    return report_html.write_report(report_dir, data, accuracy.png(study), junit_source=junit)
