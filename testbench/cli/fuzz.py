"""``sctb fuzz``: property-based campaigns on the backends, the emulator or the RTL; replay."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.live import Live
from rich.markup import escape

import golden

from .. import coverage, runner
from ..design import DesignError, load_design
from ..fuzz import FUZZ_CORE, FuzzResult, expected_counts, load_txn, replay_command, run_campaign
from ..model import DenseTxn
from .args import (
    UsageError,
    add_design_argument,
    check_input_file,
    check_output_dir,
    positive_float,
    positive_int,
    seed32,
)

__all__ = ["add_arguments", "execute_backends", "execute_emu", "main", "run"]

TARGETS = ("backends", "emu", "rtl")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``sctb fuzz``."""
    parser.add_argument("--target", choices=TARGETS, default="backends",
                        help="what is fuzzed against the golden model (default: backends)")
    parser.add_argument("--sim", choices=runner.SIMULATORS, default="icarus",
                        help="simulator of --target rtl (default: icarus)")
    parser.add_argument("--seed", type=seed32, default=1, help="hypothesis seed (default: 1)")
    parser.add_argument("--max-examples", type=positive_int, default=None,
                        help="stop after this many generated examples (default: 200 without "
                             "--time-budget)")
    parser.add_argument("--time-budget", type=positive_float, default=None,
                        help="stop after about this many seconds")
    parser.add_argument("--out", default="sctb-out/fuzz",
                        help="output directory (hypothesis databases, minimal.npz)")
    add_design_argument(parser, "with --target rtl: ")
    parser.add_argument("--replay", default=None, metavar="FILE",
                        help="run only the transaction saved in FILE (.npz) on --target")


def execute_backends(txn: DenseTxn, drive: dict) -> np.ndarray:
    """Counts of every available backend; the first that differs from NumPy's, else NumPy's."""
    ref = np.asarray(golden.get_backend("numpy").sc_counts(
        txn.weights, txn.probs, length=txn.length, seed=txn.seed), dtype=np.int64)
    for name in [n for n, ok in golden.available_backends().items() if ok]:
        got = np.asarray(golden.get_backend(name).sc_counts(
            txn.weights, txn.probs, length=txn.length, seed=txn.seed), dtype=np.int64)
        if got.shape != ref.shape or (got != ref).any():
            return got
    return ref


def execute_emu(txn: DenseTxn, drive: dict) -> np.ndarray:
    """Counts of the cycle emulator of the fuzz core (tiled like the RTL)."""
    import emu

    counts, _, _ = emu.run_layer(FUZZ_CORE, txn.weights, txn.probs, txn.length, txn.seed)
    return counts


def _config(args: argparse.Namespace) -> str:
    core = f"core{FUZZ_CORE.n_in}x{FUZZ_CORE.n_out}w{FUZZ_CORE.w}"
    planted = os.environ.get("SCTB_PLANTED_BUG")
    rtl = [args.sim, f"{args.design.name}-{args.design.digest()[:8]}"]
    parts = [args.target] + (rtl if args.target == "rtl" else []) + [core]
    return "-".join(parts + ([f"planted-{planted}"] if planted else []))


def _rtl(args: argparse.Namespace, out: Path, db: Path | None, replay: Path | None
         ) -> tuple[runner.SuiteResult, dict]:
    options = runner.SimOptions(
        fuzz_db=str(db) if db else None, fuzz_examples=args.max_examples or None,
        fuzz_time=args.time_budget or None, replay_file=str(replay) if replay else None)
    if not args.max_examples and not args.time_budget:
        options = dataclasses.replace(options, fuzz_examples=200)
    res = runner.run_suite("fuzz", args.sim, out_dir=out / "rtl", seed=args.seed,
                           options=options, design=args.design)
    info_path = res.log.parent / "fuzz-result.json" if res.log else None
    info = json.loads(info_path.read_text()) if info_path and info_path.is_file() else {}
    return res, info


def _summary(res: FuzzResult | dict) -> str:
    d = res.to_json() if isinstance(res, FuzzResult) else res
    cov = d.get("coverage") or {}
    filled = sum(1 for bins in cov.values() for h in bins.values() if h)
    total = sum(len(bins) for bins in cov.values())
    return (f"{d.get('examples', 0)} examples, {int(bool(d.get('failed')))} failures, "
            f"coverage {filled}/{total} bins, {d.get('seconds', 0):.1f} s")


def run(args: argparse.Namespace, console: Console) -> int:
    """Run ``sctb fuzz``; 0 when no counterexample was found (or the replay passes), else 1."""
    if args.rtl_dir is not None and args.target != "rtl":
        console.print(f"[red]error[/red]: --rtl-dir names a design: it needs --target rtl, not "
                      f"--target {args.target}")
        return 2
    try:
        args.design = load_design(args.rtl_dir)
    except DesignError as e:
        console.print(f"[red]error[/red]: --rtl-dir: {escape(str(e))}", soft_wrap=True)
        return 2
    if args.replay and (args.max_examples or args.time_budget):
        raise UsageError("--replay runs one saved transaction: it cannot be combined with "
                         "--max-examples or --time-budget")
    if args.replay:
        path = check_input_file("--replay", args.replay)
        try:
            load_txn(path)  # refuse a bad file before anything runs
        except ValueError as e:
            raise UsageError(f"--replay: {e}") from None
    out = check_output_dir("--out", args.out)
    if args.target == "rtl":
        console.print(args.design.summary(), soft_wrap=True)
    if args.replay:
        if args.target == "rtl":
            res, _ = _rtl(args, out, None, path)
            for f in res.failures:
                console.print(f"[red]FAILED[/red] {escape(f.message.splitlines()[0])}")
            console.print(f"replay of {path} on {args.sim}: {'pass' if res.ok else 'FAIL'} "
                          f"(log: {res.log})")
            return 0 if res.ok else 1
        txn, drive = load_txn(path)
        execute = execute_emu if args.target == "emu" else execute_backends
        got = np.asarray(execute(txn, drive), dtype=np.int64)
        expected = expected_counts(txn, golden.get_backend("numpy"))
        ok = got.shape == expected.shape and bool((got == expected).all())
        console.print(txn.describe())
        console.print(f"replay of {path} on {args.target}: expected {expected.tolist()}, "
                      f"got {got.tolist()}: {'pass' if ok else 'FAIL'}")
        return 0 if ok else 1
    config = _config(args)
    db = out / "hypothesis-db" / config
    run_dir = out / config
    run_dir.mkdir(parents=True, exist_ok=True)
    max_examples = args.max_examples
    if max_examples is None and args.time_budget is None:
        max_examples = 200
    console.print(f"fuzz {config}: seed {args.seed}, "
                  f"{max_examples or 'unlimited'} examples, "
                  f"{args.time_budget or 'no'} time budget; database {db}")
    if args.target == "rtl":
        t0 = time.perf_counter()
        with console.status(f"hypothesis in {args.sim} (examples are counted in the "
                            "simulator)"):
            res, info = _rtl(args, out, db, None)
        if res.not_applicable is not None:
            console.print(f"[red]the fuzz suite does not apply to design "
                          f"{escape(args.design.name)}[/red]: {escape(res.not_applicable)}; "
                          "nothing was fuzzed", soft_wrap=True)
            return 1
        if not info:
            console.print(f"[red]the fuzz suite did not report[/red]: {escape(str(res.error))} "
                          f"(log: {res.log})")
            return 1
        info.setdefault("seconds", time.perf_counter() - t0)
        failed, summary = bool(info.get("failed")), _summary(info)
        message, replay = info.get("message", ""), (info.get("replay") or {})
        minimal = info.get("minimal")
        cov = info.get("coverage", {})
    else:
        execute = execute_emu if args.target == "emu" else execute_backends
        with Live(console=console, refresh_per_second=4, transient=True) as live:
            def progress(r: FuzzResult) -> None:
                live.update(f"fuzz {config}: {r.examples} examples, "
                            f"{int(r.failed)} failures")

            result = run_campaign(execute, core=FUZZ_CORE, seed=args.seed,
                                  max_examples=max_examples, time_budget=args.time_budget,
                                  database=db, out_dir=run_dir, on_progress=progress)
        failed, summary, message = result.failed, _summary(result), result.message
        minimal = str(result.minimal) if result.minimal else None
        replay = ({args.target: replay_command(result.minimal, args.target),
                   "icarus": replay_command(result.minimal, "rtl", "icarus"),
                   "verilator": replay_command(result.minimal, "rtl", "verilator")}
                  if result.minimal else {})
        cov = result.coverage
        (run_dir / "fuzz-result.json").write_text(json.dumps(
            {**result.to_json(), "replay": replay}, indent=1))
    console.print(f"fuzz {config}: {summary}")
    empty = coverage.missing(cov)
    if empty:
        console.print(f"bins not reached: {', '.join(empty)}", soft_wrap=True)
    if failed:
        console.print(f"[red]FAILED[/red]: {escape(message)}", soft_wrap=True)
        console.print(f"minimal transaction saved: {minimal}", soft_wrap=True)
        for where, cmd in replay.items():
            console.print(f"replay ({where}): {cmd}", soft_wrap=True)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m testbench.cli.fuzz`` (the same as ``sctb fuzz``)."""
    from . import main as sctb_main

    return sctb_main(["fuzz", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
