"""The RTL half of ``sctb regress``: every suite on every simulator, a table, merged JUnit."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import sim

__all__ = ["add_arguments", "coverage_report", "merged_coverage", "record_failure_waves",
           "results_table", "run_rtl", "speed_lines", "summary"]


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
        "failures": [{"test": f.test, "message": f.message, "replay": f.replay,
                      "waves": str(f.waves) if f.waves is not None else None,
                      "waves_note": f.waves_note} for f in r.failures],
        "per_test": r.per_test,
        "coverage": _coverage_of(r),
    } for r in results]


def _coverage_of(r: sim.SuiteResult) -> dict | None:
    """The functional coverage a run wrote (``coverage.json`` in its run directory), if any."""
    path = r.log.parent / "coverage.json" if r.log is not None else None
    return json.loads(path.read_text()) if path is not None and path.is_file() else None


def merged_coverage(results: list[sim.SuiteResult]) -> dict[str, dict[str, int]] | None:
    """Hits per bin summed over the runs that wrote coverage; None when none did."""
    from . import coverage

    reports = [c for r in results for c in [_coverage_of(r)] if c is not None]
    return coverage.merge(reports) if reports else None


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


def _wave_name(suite: str, sim_name: str, test: str, suffix: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", test).strip("_") or "suite"
    return f"{suite}-{sim_name}-{safe}{suffix}"


def record_failure_waves(results: list[sim.SuiteResult], dest: Path, *, scratch: Path,
                         backend: str, seed: int, scale: float = 1.0,
                         rtl_dir: str | os.PathLike | None = None, jobs: int = 1,
                         limit: int = 16) -> int:
    """Re-run each failing test alone with waves; move its wave file into ``dest``.

    Sets ``Failure.waves`` (the file in ``dest``) and ``Failure.waves_note`` on every failure
    of ``results``: why there is no wave file (the build failed, the re-run recorded none,
    ``limit`` reached), or that the test passed when re-run alone. A ``<suite>`` failure (the
    run ended abnormally) re-runs the whole suite. Never claims a file that is not there.

    Parameters
    ----------
    results : list of SuiteResult
        The regression's runs; changed in place.
    dest : Path
        Where the wave files go (created when one is recorded).
    scratch : Path
        Output root of the re-runs (their run directories and logs).
    backend, seed, scale, rtl_dir
        As the regression ran the suites, so that a re-run repeats the failing test.
    jobs : int
        Re-runs in parallel.
    limit : int
        At most this many re-runs (``>= 0``); later failures get a note instead.

    Returns
    -------
    int
        The number of wave files recorded.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"limit must be an int >= 0, got {limit!r}")
    todo: list[tuple[sim.SuiteResult, sim.Failure]] = []
    for r in results:
        for f in r.failures:
            if r.error is not None and r.error.startswith(("build failed", "simulator unavailable")):
                f.waves_note = f"no simulation ran ({r.error.splitlines()[0][:200]})"
            elif len(todo) >= limit:
                f.waves_note = (f"not re-run: the first {limit} failing tests were (--report-waves);"
                                " the replay command records waves")
            else:
                todo.append((r, f))

    def one(item: tuple[sim.SuiteResult, sim.Failure]) -> bool:
        r, f = item
        res = sim.run_suite(r.suite, r.sim, out_dir=scratch, backend=backend, seed=seed,
                            waves=True, scale=scale, rtl_dir=rtl_dir,
                            test=None if f.test == "<suite>" else f.test)
        src = res.waves
        if src is None or not src.is_file() or src.stat().st_size == 0:
            why = res.error.splitlines()[0][:200] if res.error else f"log: {res.log}"
            f.waves_note = f"the re-run with waves recorded no wave file ({why})"
            return False
        dest.mkdir(parents=True, exist_ok=True)
        target = dest / _wave_name(r.suite, r.sim, f.test, src.suffix)
        shutil.move(src, target)
        f.waves = target
        if res.ok:
            f.waves_note = ("this test passed when re-run alone: its failure needs the tests "
                            "that ran before it (replay the whole suite)")
        else:
            f.waves_note = "recorded by re-running the test alone; it failed again"
        return True

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return sum(pool.map(one, todo))
