"""``sctb explore``: a design-space sweep on the sweep engine, then the page of Pareto fronts."""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import pathlib

from rich.console import Console

from ..design import DesignError, load_design
from ..explore import build_page_data, load_explore_spec, write_page
from ..explore._spec import check_design
from ..sweep import SpecError, expand_points, get_comm, read_records
from ..synth import SynthInputError, check_params
from .args import check_output_dir
from .sweep import add_run_arguments, run_with_progress

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser, "explore", "(overrides explore.design): ")


def run(args: argparse.Namespace, console: Console) -> int:
    """Run ``sctb explore``; every rank calls this, rank 0 writes the page. Exit 1 when a point
    failed (the emulator disagreed, or a point errored), 2 on a bad spec, 3 when points could
    not be evaluated because a tool is missing or failed (and none failed its check)."""
    if importlib.util.find_spec("matplotlib") is None:
        console.print("error: sctb explore draws its page with matplotlib: pip install "
                      "'sctb[report]'", markup=False)
        return 2
    try:
        spec = load_explore_spec(args.spec)
        if args.rtl_dir is not None:
            spec = dataclasses.replace(spec, design=str(load_design(args.rtl_dir).source))
            check_design(spec.design, spec.top, "--rtl-dir")
        design = load_design(spec.design)
        hw = {k: spec.axes[a][0] for k, a in (("N_IN", "core_in"), ("N_OUT", "core_out"),
                                              ("W", "core_w"))}
        try:
            check_params(design, spec.top, hw)
        except SynthInputError as exc:
            raise SpecError(f"axes: {spec.top} of design {design.name} cannot take the explored "
                            f"parameters N_IN, N_OUT, W ({exc})") from None
    except (SpecError, DesignError) as exc:
        console.print(f"error: {exc}", markup=False, highlight=False)
        return 2
    comm = get_comm()
    rank = 0 if comm is None else comm.Get_rank()
    out = check_output_dir("--out", args.out or pathlib.Path("sctb-out") / f"explore-{spec.name}")
    env = os.environ.get("SCTB_SIM_CACHE")
    cache = pathlib.Path(env) / "synth" if env else out / "synth-cache"
    spec = dataclasses.replace(spec, cache_dir=str(cache.resolve()))
    if rank == 0:
        console.print(design.summary(), markup=False, highlight=False)
    try:
        result = run_with_progress(spec, out, comm, args, console)
    except SpecError as exc:
        console.print(f"error: {exc}", markup=False, highlight=False)
        return 2
    if result is None:  # a worker rank
        return 0
    summary = json.loads((out / "summary.json").read_text())
    # The page shows every point with a result under --out (an --only replay redraws it whole).
    keys = {p.key for p in expand_points(spec)}
    data = build_page_data(spec, [r for r in read_records(out) if r["key"] in keys], summary)
    index = write_page(out / "page", data)
    fits = sum(1 for r in data["points"] if r.get("fits"))
    console.print(f"{len(data['points'])}/{len(keys)} points ({fits} fit the device), "
                  f"{len(data['front_latency'])} on the accuracy-latency front, "
                  f"{len(data['front_area'])} on the throughput-area front, "
                  f"{len(data['emu_checked'])} cross-checked on the emulator; wall "
                  f"{result.wall_s:.1f} s", markup=False)
    for rec in result.failures:
        console.print(f"{rec['status'].upper()} {rec['key']}: {rec.get('detail', '')}",
                      markup=False)
        console.print(f"  replay: {rec.get('replay')}", markup=False)
    for incident in result.incidents:
        console.print(f"WORKER DIED: {incident}", markup=False)
    missing = result.total - len(result.records)
    if missing:
        console.print(f"{missing} point(s) have no result; finish them with `sctb explore "
                      f"{args.spec} --out {out} --resume`", markup=False)
    console.print(f"page: {index}  results: {out / 'results.jsonl'}", markup=False)
    if result.lost and comm is not None:
        console.file.flush()
        comm.Abort(1)
    if result.ok:
        return 0
    # A point that could not be evaluated because a tool is missing or failed is infrastructure
    # (exit 3), unless some point failed its check (exit 1).
    tool_errors = [r for r in result.failures if str(r.get("detail", "")).startswith("ToolError")]
    verdicts = [r for r in result.failures if r["status"] == "fail"]
    return 3 if tool_errors and not verdicts else 1
