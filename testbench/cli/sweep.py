"""``sctb sweep`` command: arguments, rich progress on rank 0, the summary table, exit status."""

from __future__ import annotations

import argparse
import dataclasses
import pathlib
import time
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..design import DesignError, load_design
from ..sweep import (
    SpecError,
    SweepResult,
    SweepSpec,
    count_points,
    get_comm,
    load_spec,
    run_sweep,
)
from .args import add_design_argument, check_output_dir, threads_per_job

__all__ = ["add_arguments", "add_run_arguments", "run", "run_with_progress", "summary_table"]


def run_with_progress(spec: SweepSpec, out: pathlib.Path, comm: Any,
                      args: argparse.Namespace, console: Console) -> SweepResult | None:
    """:func:`~testbench.sweep.run_sweep` of ``spec`` into ``out`` with ``args.resume``,
    ``args.only`` and ``args.in_process``, and a progress bar on rank 0 (sweep and explore).

    Returns
    -------
    SweepResult or None
        None on a worker rank.

    Raises
    ------
    SpecError
        The run was refused (``--only`` names no point, the output directory is locked, ...).
    """
    rank = 0 if comm is None else comm.Get_rank()
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TextColumn("{task.fields[failures]} failed"),
                        TimeElapsedColumn(), console=console, disable=rank != 0)
    with progress:
        task = progress.add_task(spec.name, total=None, failures=0)

        def update(done: int, total: int, failures: int) -> None:
            progress.update(task, completed=done, total=total, failures=failures)

        return run_sweep(spec, out, comm=comm, resume=args.resume, only=args.only,
                         progress=update, isolate=not args.in_process)


def add_run_arguments(parser: argparse.ArgumentParser, command: str, design_help: str) -> None:
    """The options ``sctb sweep`` and ``sctb explore`` share: the spec, ``--out``, ``--resume``,
    ``--only``, ``--rtl-dir`` (help prefix ``design_help``) and ``--in-process``; ``command``
    names the spec kind and the default output directory (``sctb-out/COMMAND-NAME``)."""
    docs = {"sweep": "docs/sweeps.md", "explore": "docs/explore.md"}[command]
    kind = "exploration" if command == "explore" else command
    parser.add_argument("spec", type=pathlib.Path, help=f"{kind} spec (TOML, see {docs})")
    parser.add_argument("--out", type=pathlib.Path, default=None,
                        help=f"output directory (default: sctb-out/{command}-NAME)")
    parser.add_argument("--resume", action="store_true",
                        help="skip points that already have a result under --out")
    parser.add_argument("--only", metavar="KEY", help="run just this point (replay)")
    add_design_argument(parser, design_help)
    parser.add_argument("--in-process", action="store_true",
                        help="run points in the rank's own process instead of a worker "
                             "subprocess (for debugging; a crash then ends the run)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser, "sweep", "of the rtl check (overrides sweep.design): ")


def summary_table(result: SweepResult) -> Table:
    """Per check: points with a result / in the sweep, failures, and this run's point-seconds."""
    rows: dict[str, list] = {}
    for rec in result.records:
        row = rows.setdefault(rec["check"], [0, 0, 0.0])
        row[0] += 1
        row[1] += rec["status"] != "pass"
    for rec in result.ran:
        rows.setdefault(rec["check"], [0, 0, 0.0])[2] += rec["seconds"] or 0.0
    busy = sum(r[2] for r in rows.values())
    table = Table(title=f"sweep: {result.total} points on {result.ranks} rank(s), "
                        f"wall {result.wall_s:.2f} s")
    for col in ("check", "points", "failed", "point-seconds"):
        table.add_column(col, justify="left" if col == "check" else "right")
    for name, (n, failed, secs) in rows.items():
        table.add_row(name, str(n), f"[red]{failed}[/red]" if failed else "0", f"{secs:.2f}")
    table.add_section()
    table.add_row("all", f"{len(result.records)}/{result.total}", str(len(result.failures)),
                  f"{busy:.2f}")
    notes = []
    if result.skipped_done:
        notes.append(f"{result.skipped_done} point(s) already done (--resume)")
    if result.stale:
        notes.append(f"{result.stale} earlier result(s) came from another data_seed or design "
                     "and were recomputed")
    if result.ran and result.wall_s > 0:
        notes.append(f"ranks busy on average (point-seconds / wall): {busy / result.wall_s:.2f}"
                     " (not a wall-clock speed-up: `sctb bench --sweep-ranks N` measures that)")
    table.caption = "; ".join(notes) or None
    return table


def _error(console: Console, message: str) -> int:
    console.print(f"sctb sweep: error: {message}", markup=False, highlight=False)
    return 2


def run(args: argparse.Namespace, console: Console) -> int:
    """Run ``sctb sweep``; every rank calls this, rank 0 reports. Exit 1 on any failure, 2 on
    a bad spec or option (or an --out another sweep holds)."""
    comm = get_comm()
    rank = 0 if comm is None else comm.Get_rank()
    try:
        spec = load_spec(args.spec)
        if args.rtl_dir is not None:
            if "rtl" not in spec.checks:
                raise SpecError(f"--rtl-dir: only the rtl check simulates a design; the spec's "
                                f"checks are {list(spec.checks)}")
            try:
                spec = dataclasses.replace(spec, design=str(load_design(args.rtl_dir).source))
            except DesignError as exc:
                raise SpecError(f"--rtl-dir: {exc}") from None
        out = args.out or pathlib.Path("sctb-out") / f"sweep-{spec.name}"
        if rank == 0:
            out = check_output_dir("--out", out)
    except (SpecError, DesignError, ValueError) as exc:
        return _error(console, str(exc))
    if "rtl" in spec.checks:
        console.print(load_design(spec.design).summary(), soft_wrap=True, markup=False)
    if rank == 0:
        console.print(f"sweep {spec.name}: {count_points(spec)} points, output {out}",
                      markup=False, highlight=False)
    try:
        with threads_per_job(1 if comm is None else comm.Get_size()):
            result = run_with_progress(spec, out, comm, args, console)
    except SpecError as exc:
        result, refused = None, str(exc)
    else:
        refused = None
    if refused is not None:
        _error(console, refused)
        if comm is not None and comm.Get_size() > 1:
            console.file.flush()
            time.sleep(0.5)
            comm.Abort(2)  # the other ranks wait for points that will never come
        return 2
    if result is None:  # a worker rank: rank 0 reports
        return 0
    console.print(summary_table(result))
    for rec in result.failures:
        console.print(f"[red]{rec['status'].upper()}[/red] {escape(rec['key'])}: "
                      f"{escape(str(rec.get('detail', '')))}")
        console.print(f"  replay: {rec['replay']}", markup=False)
    for incident in result.incidents:
        console.print(f"[red]WORKER DIED[/red]: {escape(incident)}")
    for lost_rank, why in result.lost.items():
        console.print(f"[red]LOST RANK {lost_rank}[/red]: {escape(why)}")
    for note in result.notes:
        console.print(f"note: {note}", markup=False)
    if result.bad_lines:
        shown = ", ".join(result.bad_lines[:5]) + (" ..." if len(result.bad_lines) > 5 else "")
        console.print(f"warning: {len(result.bad_lines)} unreadable result line(s) skipped "
                      f"({shown})", markup=False)
    missing = result.total - len(result.records)
    if missing:
        console.print(f"[red]{missing} point(s) have no result[/red]; finish them with "
                      f"`sctb sweep {args.spec} --out {out} --resume`")
    console.print(f"results: {out / 'results.jsonl'}  summary: {out / 'summary.json'}")
    if result.lost and comm is not None:
        console.file.flush()
        time.sleep(0.5)  # let mpiexec forward the report before the abort ends its proxies
        comm.Abort(1)  # the lost rank cannot join a clean shutdown
    return 0 if result.ok else 1
