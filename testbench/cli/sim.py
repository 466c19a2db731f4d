"""``sctb sim``: run RTL suites on Icarus and/or Verilator, print a summary per run."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from ..design import DesignError, load_design
from ..runner import (
    DEFAULT_SEED,
    SIMULATORS,
    SUITES,
    format_result,
    run_matrix,
    run_suite,
    suites_help,
)
from .args import (
    UsageError,
    add_design_argument,
    check_output_dir,
    positive_float,
    positive_int,
    seed32,
    suite_name,
)
from .compare import backend_name, check_available

__all__ = ["add_arguments", "run"]


def suite_tests(name: str) -> list[str]:
    """The cocotb tests suite ``name`` runs (read from its module's source: no cocotb import)."""
    import ast
    import importlib.util

    spec = SUITES[name]
    if spec.tests:
        return list(spec.tests)
    found = importlib.util.find_spec(spec.test_module)
    tree = ast.parse(Path(found.origin).read_text())
    names = []
    for node in tree.body:
        if isinstance(node, (ast.AsyncFunctionDef, ast.ClassDef)):
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                if ast.unparse(target) in ("cocotb.test", "pyuvm.test", "test"):
                    names.append(node.name)
    return names


def check_test(test: str | None, suites: list[str]) -> None:
    """Raise UsageError when ``--test`` names no test of the chosen suites."""
    if test is None:
        return
    known = {n: suite_tests(n) for n in suites}
    if all(known.values()) and not any(test in names for names in known.values()):
        valid = sorted({t for names in known.values() for t in names})
        raise UsageError(f"--test {test!r}: no such test in suite(s) {', '.join(suites)}; "
                         f"valid: {', '.join(valid)}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = suites_help()
    parser.add_argument("suites", nargs="*", type=suite_name, metavar="SUITE",
                        help="suites to run (default: all that apply to the design; "
                             "listed below)")
    parser.add_argument("--sim", default="all", choices=[*SIMULATORS, "all"],
                        help="simulator (default: all)")
    parser.add_argument("--backend", default="numpy", type=backend_name,
                        help="golden backend of the predictions (default: numpy)")
    parser.add_argument("--seed", type=seed32, default=DEFAULT_SEED,
                        help=f"seed of the random stimulus (default {DEFAULT_SEED})")
    parser.add_argument("--scale", type=positive_float, default=1.0,
                        help="multiplies the random batch sizes (default 1)")
    parser.add_argument("--test", default=None, help="run only this test")
    add_design_argument(parser)
    parser.add_argument("--out", default="sctb-out", help="output directory (default sctb-out)")
    parser.add_argument("--waves", action="store_true", help="record waves")
    parser.add_argument("--jobs", type=positive_int, default=1,
                        help="runs in parallel (default 1)")
    parser.add_argument("--coverage", action="store_true",
                        help="code coverage on Verilator (line, branch, toggle), merged over the "
                             "runs into OUT/code-coverage (docs/coverage.md)")


def run(args: argparse.Namespace, console: Console) -> int:
    """Run the suites; print each run's summary (failures with replay commands).

    1 when a run failed or when no suite applied to the design (nothing was verified); a
    suite that does not apply is reported with its reason and is not a pass.
    """
    try:
        design = load_design(args.rtl_dir)
    except DesignError as e:
        console.print(f"[red]error[/red]: --rtl-dir: {escape(str(e))}", soft_wrap=True)
        return 2
    suites = args.suites or list(SUITES)
    check_test(args.test, suites)
    check_available("--backend", [args.backend])
    args.out = check_output_dir("--out", args.out)
    print(design.summary(), flush=True)
    sims = SIMULATORS if args.sim == "all" else (args.sim,)
    if args.test:
        results = [run_suite(name, s, out_dir=args.out, backend=args.backend, seed=args.seed,
                             waves=args.waves, scale=args.scale, test=args.test, design=design,
                             coverage=args.coverage)
                   for name in suites for s in sims]
    else:
        results = run_matrix(suites, sims, out_dir=args.out, backend=args.backend,
                             seed=args.seed, jobs=args.jobs, scale=args.scale, waves=args.waves,
                             design=design, coverage=args.coverage)
    for res in results:
        print(format_result(res), flush=True)
    if args.coverage:
        from pathlib import Path

        from .regress import code_coverage_report

        code_coverage_report(results, design, Path(args.out).resolve() / "code-coverage",
                             console)
    ran = [r for r in results if r.not_applicable is None]
    if not ran:
        print(f"no suite applies to design {design.name}: nothing was verified", flush=True)
        return 1
    return 0 if all(r.ok for r in ran) else 1
