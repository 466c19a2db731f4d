"""``sctb synth``: cells, flip-flops, LUTs and carries of a core, and its Fmax from nextpnr."""

from __future__ import annotations

import argparse
import json
import pathlib

from rich.console import Console
from rich.table import Table

from ..design import DesignError, load_design
from ..synth import TARGETS, SynthInputError, default_cache_dir, parse_params, synthesize
from .args import add_design_argument, check_output_dir, positive_float

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_design_argument(parser)
    parser.add_argument("--top", default="sc_dense", help="module to synthesize (default sc_dense)")
    parser.add_argument("-P", dest="params", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter of the top (repeatable), e.g. -P N_IN=16 -P W=64")
    parser.add_argument("--target", default="generic",
                        help=f"{', '.join(TARGETS)} (default generic)")
    parser.add_argument("--fmax", action="store_true",
                        help="place and route with nextpnr-ice40 (iCE40-HX8K, ct256) inside a "
                             "shift-register wrapper and report Fmax (ice40 only)")
    parser.add_argument("--out", type=pathlib.Path, default=None,
                        help="cache directory root: OUT/synth-cache (default $SCTB_SIM_CACHE/synth,"
                             " else sctb-out/synth-cache)")
    parser.add_argument("--timeout", type=positive_float, default=1800.0, metavar="SEC",
                        help="limit of each tool call (default 1800 s); past it: exit 3")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


def run(args: argparse.Namespace, console: Console) -> int:
    """Run ``sctb synth``; exit 2 on a bad option or a design that does not fit, 3 on a tool
    failure (raised as ToolError to ``main``)."""
    if args.out is not None:
        args.out = check_output_dir("--out", args.out)
    try:
        params = parse_params(args.params)
        design = load_design(args.rtl_dir)
        if not args.json:
            console.print(design.summary(), markup=False, highlight=False)
        result = synthesize(design, args.top, params, target=args.target, fmax=args.fmax,
                            cache_dir=default_cache_dir(args.out), timeout=args.timeout)
    except (SynthInputError, DesignError) as exc:
        console.print(f"error: {exc}", markup=False, highlight=False)
        return 2
    if args.json:
        console.print_json(json.dumps(result.to_dict()))
        return 0
    shape = ", ".join(f"{k}={v}" for k, v in result.params.items()) or "default parameters"
    table = Table(title=f"{result.top} ({shape}), target {result.target}"
                        f"{' (cached)' if result.cached else ''}")
    table.add_column("cell type")
    table.add_column("count", justify="right")
    for name, n in result.cells.items():
        table.add_row(name, str(n))
    table.add_section()
    table.add_row("cells", str(result.cells_total))
    table.add_row("flip-flops", str(result.flip_flops))
    if result.luts is not None:
        table.add_row("LUT4", str(result.luts))
        table.add_row("carries", str(result.carries))
    console.print(table)
    f = result.fmax
    if result.fmax_mhz is not None:
        lc = f["utilisation"].get("ICESTORM_LC", {})
        console.print(f"Fmax {result.fmax_mhz:.2f} MHz on the {f['device']} (nextpnr-ice40, "
                      f"seed {f['seed']}, {f['target_mhz']:g} MHz asked), logic cells "
                      f"{lc.get('used')}/{lc.get('available')}", markup=False)
        console.print(f"wrapper: {f['wrapper']}", markup=False)
        cp = f.get("critical_path") or {}
        if cp:
            console.print(f"critical path: {cp.get('from')} -> {cp.get('to')} ({cp.get('delay')})",
                          markup=False)
        console.print("an FPGA's Fmax, not an ASIC clock (docs/explore.md)", markup=False)
    else:
        console.print(f"Fmax: {f.get('reason', 'not measured')}", markup=False)
    secs = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    console.print(f"tools: {', '.join(result.tools.values())}; {secs}"
                  f"{' (first run; now from the cache)' if result.cached else ''}", markup=False)
    return 0
