"""``sctb regress``: the main job — the golden comparison, then every RTL suite per simulator."""

from __future__ import annotations

import argparse
import json
import pathlib
import shlex
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape

import golden

from ..compare import compare_backends, jax_cache_dir, use_jax_cache
from ..design import DesignError, load_design
from ..preflight import PreflightError
from ..report.tables import compare_table
from ..runner import (
    FAMILIES,
    SIMULATORS,
    SUITES,
    merged_coverage,
    record_failure_waves,
    suites_help,
    summary,
)
from ..runner.distributed import on_ranks
from ._regress_rtl import (
    code_coverage_report,
    coverage_report,
    plan_rtl,
    results_table,
    run_rtl,
    speed_lines,
)
from .args import (
    add_design_argument,
    check_output_dir,
    non_negative_int,
    positive_float,
    positive_int,
    seed32,
    threads_per_job,
)
from .compare import backend_name, check_available
from .prove import add_prove_arguments, run_prove

__all__ = ["add_arguments", "code_coverage_report", "coverage_report", "results_table", "run",
           "run_rtl", "seed_range", "speed_lines"]


#: Random golden-comparison cases of ``--golden quick``.
QUICK_RANDOM = 8


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = suites_help()
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("sctb-out"),
                        help="output directory for results (default: sctb-out)")
    parser.add_argument("--seed", type=seed32, default=0, help="seed of the random cases")
    parser.add_argument("--random", type=non_negative_int, default=None, dest="n_random",
                        help="random golden-comparison cases (default: 200 with --golden full, "
                             f"{QUICK_RANDOM} with --golden quick)")
    parser.add_argument("--golden", choices=("full", "quick", "none"), default="full",
                        help="the golden-backend comparison first: full (every backend, the "
                             "directed cases and --random cases), quick (the directed cases and "
                             f"{QUICK_RANDOM} random ones), or none (default: full)")
    parser.add_argument("--report", type=pathlib.Path, default=None, metavar="DIR",
                        help="also write a self-contained HTML report (index.html, report.json, "
                             "the merged JUnit file, wave files of failures) to DIR; needs "
                             "matplotlib (the 'report' extra)")
    parser.add_argument("--report-waves", type=non_negative_int, default=16, metavar="N",
                        help="with --report: re-run at most N failing tests with waves "
                             "(default: 16)")
    _add_rtl_arguments(parser)
    parser.add_argument("--prove", action="store_true",
                        help="also run the formal proofs (sctb prove; options --prove-*)")
    add_prove_arguments(parser, prefix="prove-")


def _command(args: argparse.Namespace) -> str:
    """The ``sctb regress`` command line that repeats this run."""
    cmd = ["sctb", "regress", "--out", str(args.out.resolve()), "--seed", str(args.seed),
           "--golden", args.golden]
    if args.golden != "none":
        cmd += ["--random", str(_n_random(args))]
    if args.no_rtl:
        cmd.append("--no-rtl")
    else:
        cmd += ["--sim", args.sim, "--backend", args.rtl_backend, "--family", args.family]
        for suite in args.suites or []:
            cmd += ["--suite", suite]
        if args.scale != 1:
            cmd += ["--scale", str(args.scale)]
        if args.seeds is not None:
            cmd += ["--seeds", f"{args.seeds.start}..{args.seeds.stop - 1}"]
        cmd += args.design.cli_args()
    if getattr(args, "coverage", False):
        cmd.append("--coverage")
    if args.report is not None:
        cmd += ["--report", str(args.report)]
    if args.prove:
        cmd += ["--prove", *(["--prove-quick"] if args.prove_quick else [])]
        for name in args.proofs or []:
            cmd += ["--prove-proof", name]
    return shlex.join(cmd)


def seed_range(value: str) -> range:
    """An argparse type: ``A..B`` (inclusive, A <= B, both >= 0) as a range."""
    first, sep, last = value.partition("..")
    try:
        if not sep:
            raise ValueError
        lo, hi = int(first), int(last)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected A..B (two integers), got {value!r}") from None
    if lo < 0 or hi < lo:
        raise argparse.ArgumentTypeError(f"expected 0 <= A <= B, got {value!r}")
    return range(lo, hi + 1)


def _n_random(args: argparse.Namespace) -> int:
    if args.n_random is not None:
        return args.n_random
    return QUICK_RANDOM if args.golden == "quick" else 200


def _user_error(console: Console, message: str) -> int:
    console.print(f"[red]error[/red]: {escape(message)}", soft_wrap=True)
    return 2


def run(args: argparse.Namespace, console: Console) -> int:
    """Run the regression; return the exit status (1 on any failure, 2 on a user error).

    Under ``mpiexec -n N``, rank 0 does everything a serial run does and spreads the RTL jobs
    over all ranks (:func:`~testbench.runner.distributed.run_jobs`); the other ranks only run
    the jobs they are given and print nothing.
    """
    def body() -> int:
        with threads_per_job(getattr(args, "jobs", 1)):
            return _run(args, console)

    return on_ranks(args, body)


def _run(args: argparse.Namespace, console: Console) -> int:
    start = time.perf_counter()
    if args.no_rtl and (args.suites or args.rtl_dir or args.sim != "all" or args.coverage):
        return _user_error(console, "--no-rtl runs no RTL suite: it cannot be combined with "
                           "--suite, --rtl-dir, --sim or --coverage")
    if args.no_rtl and args.golden == "none" and not args.prove:
        return _user_error(console, "--no-rtl with --golden none would check nothing")
    if args.report is not None:
        from ..report.html import matplotlib_missing

        why = matplotlib_missing()
        if why is not None:
            return _user_error(console, f"--report: {why}")
    try:
        args.design = load_design(args.rtl_dir)
    except DesignError as e:
        return _user_error(console, f"--rtl-dir: {e}")
    if not args.no_rtl:
        check_available("--backend", [args.rtl_backend])
    args.out = check_output_dir("--out", args.out)
    if args.report is not None:
        args.report = check_output_dir("--report", args.report)
    console.print(args.design.summary(), soft_wrap=True)
    rtl_plan = None
    if not args.no_rtl:
        try:
            rtl_plan = plan_rtl(args)
        except PreflightError as e:
            console.print(f"[red]pre-flight check FAILED[/red]: {escape(str(e))}", soft_wrap=True)
            _write_json(args, {"design": args.design.to_dict(), "passed": False,
                               "preflight_error": str(e), "seconds": time.perf_counter() - start})
            return 1
    rows = []
    if args.golden != "none":
        use_jax_cache(jax_cache_dir(args.out))  # a warm run loads JAX's kernels, no compile
        rows = compare_backends(seed=args.seed, n_random=_n_random(args))
        console.print(compare_table(rows, title=f"golden comparison ({args.golden})"))
    else:
        console.print("golden comparison: not run (--golden none)")
    failed = [r for r in rows if not r.skipped and not r.ok]
    rtl_ok, rtl_results = True, []
    if rtl_plan is not None:
        rtl_ok, rtl_results = run_rtl(args, console, args.out.resolve(), args.seed, rtl_plan)
    compare_replay = f"sctb compare --seed {args.seed} --random {_n_random(args)}"
    prove_status, prove_doc = 0, None
    if args.prove:
        prove_status, prove_doc = run_prove(args, console, args.design, args.out.resolve())
    index = None
    if args.report is not None:
        index = _write_report(args, console, rows, rtl_results, compare_replay, start,
                              prove_doc)
    doc = {
        "design": args.design.to_dict(),
        "golden_mode": args.golden,
        "suites": [{"suite": "golden", "backend": r.backend, "cases": r.cases,
                    "mismatches": r.mismatches, "skipped": r.skipped,
                    "first_mismatch": r.first_mismatch, "seconds": r.seconds} for r in rows],
        "rtl": summary(rtl_results),
        "code_coverage": _code_coverage_summary(args),
        "seconds": time.perf_counter() - start,
        "passed": not failed and rtl_ok and prove_status == 0,
        "report": str(index) if index is not None else None,
        "prove": prove_doc,
    }
    path = _write_json(args, doc)
    console.print(f"results: {path}")
    if index is not None:
        console.print(f"report: {index}")
    if failed:
        console.print(f"[red]FAILED[/red]: {', '.join(r.backend for r in failed)}; replay with "
                      f"`{compare_replay}`")
    if not rtl_ok:
        console.print("[red]FAILED[/red]: RTL suites (replay commands above)")
    if prove_status:
        console.print("[red]FAILED[/red]: formal proofs (table above)")
    if failed or not rtl_ok or prove_status == 1:
        return 1
    if prove_status:
        return prove_status
    console.print("[green]PASSED[/green]")
    return 0


def _code_coverage_summary(args: argparse.Namespace) -> dict | None:
    """The totals of ``--coverage`` for regress.json (the details are in coverage.json)."""
    doc = getattr(args, "code_coverage", None)
    if doc is None:
        return None
    return {k: doc.get(k) for k in ("available", "notes", "total", "dir", "unused_waivers")}


def _write_json(args: argparse.Namespace, doc: dict) -> Path:
    path = args.out / "regress.json"
    path.write_text(json.dumps(doc, indent=2))
    return path


def _write_report(args: argparse.Namespace, console: Console, rows, rtl_results,
                  compare_replay: str, start: float, prove_doc: dict | None = None
                  ) -> pathlib.Path:
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
            backend=args.rtl_backend, seed=args.seed, scale=args.scale, design=args.design,
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
        seed=args.seed, seconds=time.perf_counter() - start, design=args.design.to_dict(),
        code_coverage=getattr(args, "code_coverage", None))
    if prove_doc is not None:
        data["prove"] = prove_doc
        if not prove_doc["passed"]:
            data["passed"] = False
            bad = [f"{p['name']} {p['status']}" for p in prove_doc["proofs"]
                   if p["status"] not in ("PASS", "N/A")]
            data["reasons"].append(f"formal proofs: {', '.join(bad) or 'none applies'}")
    return report_html.write_report(report_dir, data, accuracy.png(study), junit_source=junit)


def _add_rtl_arguments(parser: argparse.ArgumentParser) -> None:
    """The RTL options of ``sctb regress`` (``--out`` and ``--seed`` are the caller's)."""
    parser.add_argument("--sim", default="all", choices=[*SIMULATORS, "all"],
                        help="simulator(s) of the RTL suites (default: all)")
    parser.add_argument("--suite", action="append", choices=list(SUITES), dest="suites",
                        metavar="SUITE",
                        help="RTL suite to run (repeatable; default: all that apply to the "
                             "design; listed below)")
    parser.add_argument("--family", choices=(*FAMILIES, "all"), default="all",
                        help="contract suites check results bit for bit through the handshakes "
                             "(any latency); reference suites check the reference "
                             "microarchitecture cycle for cycle or its sub-modules and run only "
                             "where the design provides what they probe (default: all)")
    parser.add_argument("--backend", default="numpy", dest="rtl_backend", type=backend_name,
                        help="golden backend that predicts the RTL's counts (default: numpy)")
    # One simulator process per core: a warm run is all simulation, one thread each (measured
    # on 2 cores: 138 s with --jobs 1, 65 s with --jobs 2); the golden models then get
    # cores // jobs threads (threads_per_job).
    parser.add_argument("--jobs", type=positive_int, default=golden.cpu_count(),
                        help="RTL suite runs in parallel (default: one per core)")
    parser.add_argument("--scale", type=positive_float, default=1.0,
                        help="multiplies the RTL random batch sizes (default: 1)")
    parser.add_argument("--seeds", type=seed_range, default=None, metavar="A..B",
                        help="run every RTL suite under each seed A..B (inclusive; nightly "
                             "regressions), each failure with its own replay (default: --seed)")
    add_design_argument(parser)
    parser.add_argument("--coverage", action="store_true",
                        help="code coverage: Verilator builds with line, branch and toggle "
                             "coverage (their own build cache), merged over every run and "
                             "reported per module (waivers: sc.cov beside the design; lcov "
                             "export in OUT/code-coverage; docs/coverage.md)")
    parser.add_argument("--no-rtl", action="store_true", help="skip the RTL suites")
