"""The RTL part of ``sctb regress``: run the suites that apply, print results and coverage."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ..design import Design
from ..runner import (
    FAMILIES,
    SIMULATORS,
    SUITES,
    SuiteResult,
    merge_junit,
    merged_coverage,
    plan,
    run_matrix,
)
from ..runner.distributed import RtlJobs, job_list, run_jobs

__all__ = ["code_coverage_report", "coverage_report", "plan_rtl", "results_table", "run_rtl",
           "speed_lines"]


def plan_rtl(args: argparse.Namespace) -> list:
    """The suites x simulators of this run and whether each applies to the design."""
    suites = args.suites or list(SUITES)
    sims = list(SIMULATORS) if args.sim == "all" else [args.sim]
    families = FAMILIES if args.family == "all" else (args.family,)
    return plan(suites, sims, args.design, families)


def results_table(results: list[SuiteResult]) -> Table:
    """Suite x simulator: tests, passed, failed, transactions, verified bit-products, seconds."""
    table = Table(title="RTL suites (bit-products: n_out x n_in x length, verified)",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    several = len({r.seed for r in results if r.not_applicable is None}) > 1
    cols = ("suite", "sim", *(("seed",) if several else ()), "family", "tests", "pass", "fail",
            "txns", "bit-products", "s", "ok")
    for col in cols:
        table.add_column(col, justify="left" if col in ("suite", "sim", "family", "ok")
                         else "right", no_wrap=True, min_width=len(col))
    for r in results:
        seed = (("-" if r.seed is None else str(r.seed)),) if several else ()
        if r.not_applicable is not None:
            table.add_row(r.suite, r.sim, *seed, r.family, "-", "-", "-", "-", "-", "-",
                          "[yellow]n/a[/yellow]")
            continue
        status = "[green]yes[/green]" if r.ok else "[red]NO[/red]"
        table.add_row(r.suite, r.sim, *seed, r.family, str(r.tests), str(r.passed),
                      str(r.failed), str(r.transactions), str(r.bit_products),
                      f"{r.seconds:.0f}", status)
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


def code_coverage_report(results: list[SuiteResult], design: Design, out: Path,
                         console: Console) -> dict:
    """Merge the runs' code coverage (``--coverage``), print it, write merged.dat, lcov and
    JSON under ``out``; the JSON-ready summary (``available`` False, with the reasons, when no
    run could record coverage)."""
    from ..codecov import collect, format_report

    report, notes = collect(results, design, out)
    for note in notes:
        console.print(f"[yellow]code coverage[/yellow] {escape(note)}", soft_wrap=True)
    if report is None:
        console.print("code coverage: [yellow]not applicable[/yellow]: no run recorded "
                      "coverage (Verilator runs do; Icarus has no coverage instrumentation)",
                      soft_wrap=True)
        return {"available": False, "notes": notes}
    console.print(escape(format_report(report)), soft_wrap=True)
    console.print(f"code coverage: {out / 'coverage.json'}, lcov {out / 'coverage.info'}")
    doc = json.loads((out / "coverage.json").read_text())
    doc.update(available=True, dir=str(out))
    return doc


def run_rtl(args: argparse.Namespace, console: Console, out: Path, seed: int,
            rtl_plan: list | None = None) -> tuple[bool, list[SuiteResult]]:
    """Run the suites that apply; print progress, the table, the suites that do not apply
    (with the reason) and a replay line per failure.

    Returns
    -------
    ok : bool
        True when at least one run took place and every run passed (an unavailable simulator
        is a failure; a suite that does not apply is neither a pass nor a failure).
    results : list of SuiteResult
    """
    design: Design = args.design
    rtl_plan = rtl_plan if rtl_plan is not None else plan_rtl(args)
    skipped = [SuiteResult(suite=name, sim=sim, design=design.name,
                           family=SUITES[name].family, not_applicable=fit.reason)
               for name, sim, fit in rtl_plan if not fit.applies]
    todo = [(name, sim) for name, sim, fit in rtl_plan if fit.applies]
    seeds = list(getattr(args, "seeds", None) or [seed])
    comm = getattr(args, "comm", None)
    workers = comm.Get_size() if comm is not None else args.jobs
    total = len(todo) * len(seeds)
    t0 = time.perf_counter()
    state = {"started": 0, "done": 0}
    # A terminal gets a live bar (done/total, running, elapsed, time left); CI logs get one
    # plain line per finished job with the same figures.
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[running]} running"), TimeElapsedColumn(),
                  TextColumn("left"), TimeRemainingColumn(), console=console,
                  transient=True) as progress:
        where = f" on {workers} MPI ranks" if comm is not None else ""
        task = progress.add_task(f"RTL jobs on {design.name}{where}", total=total,
                                 running=0)

        def running() -> int:
            if comm is not None:  # every rank runs one job at a time
                return min(workers, total - state["done"])
            return state["started"] - state["done"]

        def started(*job) -> None:
            state["started"] += 1
            progress.update(task, running=running())

        def done(res: SuiteResult) -> None:
            state["done"] += 1
            mark = "pass" if res.ok else "FAIL"
            label = f" seed {res.seed}" if len(seeds) > 1 else ""
            elapsed = time.perf_counter() - t0
            progress.console.print(
                f"  [{state['done']}/{total}] {res.suite} on {res.sim}{label}: {mark} "
                f"({res.passed}/{res.tests}, {res.seconds:.1f} s; elapsed {elapsed:.0f} s)",
                highlight=False)
            progress.update(task, advance=1, running=running())

        if comm is not None:
            args.jobs_sent = True
            work = RtlJobs(job_list(todo, seeds), str(out), args.rtl_backend, args.scale, design,
                          coverage=getattr(args, "coverage", False))
            results = run_jobs(comm, work, on_done=done, on_lost=lambda rank, why: (
                progress.console.print(f"[red]LOST RANK {rank}[/red]: {escape(why)}")))
        else:
            results = run_matrix([], [], pairs=todo, out_dir=out, backend=args.rtl_backend,
                                 seed=seed, jobs=args.jobs, scale=args.scale, design=design,
                                 on_done=done, seeds=seeds, on_start=started,
                                 coverage=getattr(args, "coverage", False))
    order = {(name, sim): i for i, (name, sim, _) in enumerate(rtl_plan)}
    results = sorted(results + skipped, key=lambda r: order[(r.suite, r.sim)])
    console.print(results_table(results))
    for r in skipped:
        console.print(f"[yellow]not applicable[/yellow] {r.suite} on {r.sim} ({r.family} suite):"
                      f" {escape(r.not_applicable or '')}", soft_wrap=True)
    for line in speed_lines(results):
        console.print(line)
    junit = merge_junit(results, out / "rtl-results.xml", design=design)
    console.print(f"RTL JUnit results: {junit}")
    ran = [r for r in results if r.not_applicable is None]
    if not ran:
        console.print(f"[red]no RTL suite applies to design {escape(design.name)}[/red]: "
                      "nothing was verified", soft_wrap=True)
    ok = bool(ran) and all(r.ok for r in ran)
    cov_ok, _ = coverage_report(results, console)
    ok = ok and cov_ok
    if getattr(args, "coverage", False):
        args.code_coverage = code_coverage_report(results, design, out / "code-coverage",
                                                  console)
    for r in results:
        for f in r.failures:
            first = f.message.splitlines()[0] if f.message else ""
            console.print(f"[red]FAILED[/red] {r.suite}/{r.sim}/{f.test}: {escape(first)}")
            console.print(f"  replay: {f.replay}", soft_wrap=True, markup=False)
    return ok, results
