"""``sctb mutate``: the mutation score of the suites on a design (how good are the tests?)."""

from __future__ import annotations

import argparse
import json
import pathlib
import shlex
import threading
import time

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..design import DesignError, load_design
from ..mutate import (
    DEFAULT_SUITES,
    MutantResult,
    campaign_summary,
    enumerate_mutants,
    run_mutants,
    sample_mutants,
    skip_tests,
)
from ..runner import SIMULATORS
from .args import (
    add_design_argument,
    check_output_dir,
    positive_float,
    positive_int,
    seed32,
    suite_name,
)

__all__ = ["add_arguments", "run"]


def _score(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        x = -1.0
    if not 0.0 <= x <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1], got {value!r}")
    return x


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_design_argument(parser, "mutate ")
    parser.add_argument("--count", type=positive_int, default=10,
                        help="mutants in the seeded sample, spread over the modules (default 10)")
    parser.add_argument("--seed", type=seed32, default=1, help="seed of the sample (default 1)")
    parser.add_argument("--module", action="append", default=None, metavar="NAME",
                        help="sample only these modules (repeatable; default: every module)")
    parser.add_argument("--only", action="append", default=None, metavar="ID",
                        help="run exactly these mutants (ids such as sc_lif.m018; repeatable), "
                             "instead of a sample")
    parser.add_argument("--suites", nargs="+", type=suite_name, default=None, metavar="SUITE",
                        help="the judges (default: every suite but dense and cycle_dense, the "
                             "N_IN=16 N_OUT=8 W=64 configurations)")
    parser.add_argument("--skip-test", action="append", default=[], metavar="SUITE.TEST",
                        help="leave one test out of a suite (repeatable): how much it adds")
    parser.add_argument("--sim", choices=SIMULATORS, default="icarus",
                        help="simulator of the judges (default icarus: the fast builds)")
    parser.add_argument("--jobs", type=positive_int, default=1,
                        help="mutants judged in parallel (default 1)")
    parser.add_argument("--matrix", action="store_true",
                        help="run every applicable suite on every mutant (default: stop at the "
                             "first suite that kills it)")
    parser.add_argument("--no-equiv", action="store_true",
                        help="skip the SAT equivalence pre-check")
    parser.add_argument("--equiv-timeout", type=positive_float, default=120.0,
                        help="seconds per equivalence proof before it counts as unproven "
                             "(default 120)")
    parser.add_argument("--timeout", type=positive_float, default=900.0,
                        help="seconds per suite run before the mutant counts as killed (a "
                             "hang; default 900)")
    parser.add_argument("--scale", type=positive_float, default=1.0,
                        help="multiplies the suites' random batch sizes (default 1)")
    parser.add_argument("--min-score", type=_score, default=None, metavar="X",
                        help="exit 1 when the score (killed / non-equivalent) is below X")
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("sctb-out/mutate"),
                        help="output directory: mutate.json, the mutants (default "
                             "sctb-out/mutate)")
    parser.add_argument("--list", action="store_true",
                        help="list the sampled mutants and stop (nothing is run)")


def _error(console: Console, message: str) -> int:
    console.print(f"[red]error[/red]: {escape(message)}", soft_wrap=True)
    return 2


def _replay(args: argparse.Namespace, design_args: list[str], mutant_id: str) -> str:
    cmd = ["sctb", "mutate", *design_args, "--only", mutant_id, "--matrix", "--sim", args.sim,
           "--out", str(args.out.resolve() / "replay" / mutant_id)]
    if args.suites:
        cmd += ["--suites", *args.suites]
    for t in args.skip_test:
        cmd += ["--skip-test", t]
    if args.scale != 1:
        cmd += ["--scale", str(args.scale)]
    return shlex.join(cmd)


def run(args: argparse.Namespace, console: Console) -> int:
    """Run the campaign; 0 when the score meets ``--min-score`` (or none was set), 1 below it
    or when no mutant was judged, 2 on a usage error, 3 (via ToolError) on a tool failure.

    Under ``mpiexec -n N``, rank 0 does everything a serial run does and spreads the mutants
    over all ranks (:func:`~testbench.mutate.distributed.run_mutants_mpi`, ``--jobs`` is then
    one per rank); the other ranks only judge the mutants they are given and print nothing.
    """
    from ..runner.distributed import on_ranks

    return on_ranks(args, lambda: _run(args, console))


def _run(args: argparse.Namespace, console: Console) -> int:
    try:
        design = load_design(args.rtl_dir)
    except DesignError as e:
        return _error(console, f"--rtl-dir: {e}")
    if args.sim not in design.simulators:
        return _error(console, f"--sim: design {design.name} lists only "
                      f"{', '.join(design.simulators)}, not {args.sim!r}")
    why = skip_tests(args.skip_test)
    if why is not None:
        return _error(console, why)
    console.print(f"mutation score of {design.summary()}", soft_wrap=True)
    candidates = enumerate_mutants(design)
    by_id = {m.id: m for ms in candidates.values() for m in ms}
    if args.only:
        bad = [i for i in args.only if i not in by_id]
        if bad:
            return _error(console, f"--only: no mutant {bad[0]!r} in design {design.name} (ids "
                          f"are MODULE.mNNN, e.g. {next(iter(by_id), 'none')})")
        mutants = [by_id[i] for i in dict.fromkeys(args.only)]
    else:
        modules = args.module
        if modules:
            bad = [m for m in modules if m not in candidates]
            if bad:
                return _error(console, f"--module: {bad[0]!r} is not a module of design "
                              f"{design.name}; valid: {', '.join(sorted(candidates))}")
        mutants = sample_mutants(candidates, args.count, args.seed, modules)
    if not mutants:
        return _error(console, f"design {design.name} has no mutable logic in its modules")
    suites = list(args.suites or DEFAULT_SUITES)
    if args.list:
        for m in mutants:
            console.print(f"{m.id:<22} {m.describe()}", markup=False, highlight=False)
        return 0
    args.out = check_output_dir("--out", args.out)
    console.print(f"{len(mutants)} mutants of {len(candidates)} modules "
                  f"({sum(map(len, candidates.values()))} candidates), seed {args.seed}, "
                  f"judged on {args.sim} by {', '.join(suites)}", soft_wrap=True)
    start = time.perf_counter()
    lock, finished = threading.Lock(), {}
    order = {m.id: k for k, m in enumerate(mutants)}

    def document(results: list[MutantResult], complete: bool) -> dict:
        return {"design": design.to_dict(), "seed": args.seed, "count": len(mutants),
                "sim": args.sim, "suites": suites, "skipped_tests": args.skip_test,
                "matrix_mode": args.matrix, "equivalence_check": not args.no_equiv,
                "min_score": args.min_score, "complete": complete,
                "wall_seconds": time.perf_counter() - start,
                **campaign_summary(results), "mutants": [r.to_dict() for r in results]}

    def done(r: MutantResult) -> None:
        who = f" by {r.killed_by}" if r.killed_by else ""
        if r.killed_by_assertion:
            who += f" (assertion {r.killed_by_assertion})"
        eq = f" [{r.equiv.verdict} {r.equiv.seconds:.0f} s]" if r.equiv else ""
        with lock:
            finished[r.mutant.id] = r
            so_far = sorted(finished.values(), key=lambda x: order[x.mutant.id])
            # Written as each mutant finishes: a campaign cut short still says what it measured.
            (args.out / "mutate.json").write_text(json.dumps(document(so_far, False), indent=2,
                                                             default=str))
            console.print(f"  [{len(finished)}/{len(mutants)}] {r.mutant.id:<22} {r.status}{who} "
                          f"in {r.seconds:.0f} s{eq}: {r.mutant.describe()}", markup=False,
                          highlight=False)

    replays = [_replay(args, design.cli_args(), m.id) for m in mutants]
    options = {"matrix": args.matrix, "equiv": not args.no_equiv,
               "equiv_timeout": args.equiv_timeout, "timeout": args.timeout, "scale": args.scale}
    if args.comm is not None:
        from ..mutate.distributed import MutantJobs, run_mutants_mpi

        console.print(f"on {args.comm.Get_size()} MPI ranks, one mutant at a time each")
        work = MutantJobs(design, tuple(mutants), tuple(replays), tuple(suites), args.sim,
                          str(args.out.resolve()), tuple(args.skip_test), options)
        args.jobs_sent = True
        results = run_mutants_mpi(args.comm, work, on_done=done, on_lost=lambda rank, why: (
            console.print(f"[red]MPI rank {rank} lost[/red]: {escape(why)}")))
    else:
        results = run_mutants(design, mutants, suites, sim=args.sim, out_dir=args.out.resolve(),
                              jobs=args.jobs, on_done=done,
                              replay=lambda m: replays[order[m.id]], **options)
    summary = campaign_summary(results)
    doc = document(results, True)
    score = summary["score"]
    passed = score is not None and (args.min_score is None or score >= args.min_score)
    doc["passed"] = passed
    (args.out / "mutate.json").write_text(json.dumps(doc, indent=2, default=str))
    console.print(_table(results))
    for what, kills in (("suite", summary["kills_by_suite"]),
                        ("RTL assertion", summary["kills_by_assertion"])):
        if kills:
            console.print(f"kills per {what}: " + ", ".join(
                f"{k} {v}" for k, v in sorted(kills.items(), key=lambda kv: -kv[1])),
                markup=False, highlight=False, soft_wrap=True)
    for s in summary["survivors"]:
        console.print(f"SURVIVOR {s['id']}: {s['mutation']}\n  line: {s['line']}\n"
                      f"  replay: {s['replay']}", markup=False, highlight=False)
    line = (f"design {design.name}: {summary['killed']} killed, {summary['survived']} survived, "
            f"{summary['equivalent']} equivalent, {summary['invalid']} invalid"
            + (f", {summary['lost']} lost" if summary["lost"] else "")
            + f" of {len(mutants)}; score ")
    line += f"{score:.1%}" if score is not None else "n/a (no non-equivalent mutant was judged)"
    line += (f"; {summary['seconds_per_mutant']:.1f} s per mutant, {doc['wall_seconds']:.0f} s "
             f"wall; results: {args.out / 'mutate.json'}")
    console.print(line, markup=False, highlight=False)
    if score is None or summary["lost"]:
        return 1
    if args.min_score is not None and score < args.min_score:
        console.print(f"FAIL: score {score:.1%} is below the floor {args.min_score:.1%}",
                      markup=False, highlight=False)
        return 1
    return 0


_MARK = {"killed": "K", "survived": "s", "invalid": "X"}


def _table(results: list[MutantResult]) -> Table:
    """The kill matrix, one row per mutant: its status and each suite run (K killed after so
    many seconds, s survived), in the order they ran."""
    table = Table(title="kill matrix (K: killed, s: survived; seconds of the suite run)",
                  box=box.SIMPLE)
    for col in ("mutant", "status", "killed by (test)", "runs"):
        table.add_column(col, overflow="fold")
    for r in results:
        first = next((run for run in r.runs if run["outcome"] == "killed"), None)
        who = f"{first['suite']} ({first['test'] or '?'})" if first else ""
        if first and first.get("assertion"):
            who += f" assert {first['assertion']}"
        runs = " ".join(f"{run['suite']}:{_MARK.get(run['outcome'], '?')}{run['seconds']:.0f}"
                        for run in r.runs)
        if r.equiv is not None:
            runs += f" equiv:{r.equiv.verdict}"
        table.add_row(r.mutant.id, r.status, who, runs)
    return table
