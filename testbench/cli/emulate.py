"""``sctb emulate``: run a workload on the cycle-level emulator and report cycles and throughput."""

from __future__ import annotations

import argparse
import json

import numpy as np
from rich.console import Console
from rich.table import Table

import emu
import golden

from .args import UsageError, bounded_int, check_output_file, finite_float, positive_float, seed64

__all__ = ["MAX_WEIGHT_BYTES", "add_arguments", "run"]

#: Largest packed weight array ``emulate`` builds (n_out * n_in * ceil(length / 64) * 8 bytes).
MAX_WEIGHT_BYTES = 1 << 30

_SIZE = bounded_int(1, 1 << 20)
_PROB = finite_float(0.0, 1.0, high_open=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n-out", type=_SIZE, default=128, help="layer outputs (default 128)")
    parser.add_argument("--n-in", type=_SIZE, default=128, help="layer inputs (default 128)")
    parser.add_argument("--length", type=bounded_int(1, emu.MAX_LENGTH), default=4096,
                        help=f"stream length, 1 .. {emu.MAX_LENGTH} (default 4096)")
    parser.add_argument("--seed", type=seed64, default=golden.DEFAULT_SEED,
                        help="base seed of the input encoder (default 0xACE1)")
    parser.add_argument("--core-in", type=bounded_int(1, 4096), default=16,
                        help="core N_IN (default 16)")
    parser.add_argument("--core-out", type=bounded_int(1, 4096), default=8,
                        help="core N_OUT (default 8)")
    parser.add_argument("-W", "--bits-per-clock", dest="W", type=bounded_int(1, 64), default=64,
                        help="core W, stream bits per clock, 1 .. 64 (default 64)")
    parser.add_argument("--clock-mhz", type=positive_float, default=100.0,
                        help="clock (default 100)")
    parser.add_argument("--stall", type=_PROB, default=0.0,
                        help="probability in [0, 1) that an input stream stalls on a cycle "
                             "(default 0)")
    parser.add_argument("--backpressure", type=_PROB, default=0.0,
                        help="probability in [0, 1) that the result sink is not ready "
                             "(default 0)")
    parser.add_argument("--data-seed", type=seed64, default=0, help="seed of the random layer")
    parser.add_argument("--vcd", help="write the trace to this VCD file")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def _pattern(prob: float, rng: np.random.Generator, name: str) -> np.ndarray | None:
    if not 0.0 <= prob < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {prob}")
    return None if prob == 0 else rng.random(4099) >= prob


def run(args: argparse.Namespace, console: Console) -> int:
    nbytes = args.n_out * args.n_in * -(-args.length // 64) * 8
    if nbytes > MAX_WEIGHT_BYTES:
        raise UsageError(f"--n-out {args.n_out} x --n-in {args.n_in} x --length {args.length}: "
                         f"the weights would take {nbytes / 2**30:.1f} GiB (limit "
                         f"{MAX_WEIGHT_BYTES / 2**30:g} GiB)")
    if args.vcd:
        check_output_file("--vcd", args.vcd)
    rng = np.random.default_rng(args.data_seed)
    try:
        weights = golden.encode_weights(rng.random((args.n_out, args.n_in)), length=args.length,
                                        seed=0x9999)
        probs = rng.random(args.n_in)
        report = emu.emulate_layer(
            weights, probs, length=args.length, seed=args.seed, N_IN=args.core_in,
            N_OUT=args.core_out, W=args.W, clock_mhz=args.clock_mhz, vcd=args.vcd,
            in_pattern=_pattern(args.stall, rng, "--stall"),
            out_pattern=_pattern(args.backpressure, rng, "--backpressure"))
    except (TypeError, ValueError) as exc:
        console.print(f"error: {exc}", markup=False, highlight=False)
        return 2
    if args.json:
        print(json.dumps({k: v for k, v in report.items() if k != "counts"}, indent=2))
    else:
        lay, core = report["layer"], report["core"]
        table = Table(title=(f"layer {lay['n_out']} out x {lay['n_in']} in, L={lay['length']} on a "
                             f"{core['N_IN']}-in x {core['N_OUT']}-out core, W={core['W']}, "
                             f"{report['clock_mhz']:g} MHz"))
        table.add_column("figure")
        table.add_column("value", justify="right")
        rows = [
            ("tiles (core transactions)", f"{report['tiles']}"),
            ("cycles per inference", f"{report['cycles']}"),
            ("latency (cfg -> first result)", f"{report['latency_cycles']} cycles = "
                                              f"{report['latency_us']:.3f} us"),
            ("bit-products per cycle", f"{report['bit_products_per_cycle']:.1f}"),
            ("utilisation of the AND array", f"{100 * report['utilisation']:.1f} %"),
            ("inferences per second", f"{report['inferences_per_s']:.4g}"),
            ("counts == golden.sc_counts", "yes" if report["matches_golden"] else "[red]NO[/red]"),
            ("emulator speed", f"{report['emulated_cycles_per_s']:.3g} cycles/s"),
        ]
        for row in rows:
            table.add_row(*row)
        console.print(table)
        if args.vcd:
            console.print(f"trace: {args.vcd}")
    return 0 if report["matches_golden"] else 1
