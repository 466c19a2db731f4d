"""``sctb compare``: every available backend against the NumPy floor."""

from __future__ import annotations

import argparse
import os

from rich.console import Console

import golden

from ..compare import compare_backends, jax_cache_dir, use_jax_cache
from ..report.tables import compare_table
from .args import Unavailable, non_negative_int, seed64

__all__ = ["add_arguments", "backend_name", "run"]


def backend_name(value: str) -> str:
    """An argparse type: a registered golden backend's name."""
    if value not in golden.PRIORITY:
        raise argparse.ArgumentTypeError(
            f"unknown backend {value!r}; valid names: {', '.join(golden.PRIORITY)}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=seed64, default=0,
                        help="seed of the random cases (default 0)")
    parser.add_argument("--random", type=non_negative_int, default=200, dest="n_random",
                        help="number of random cases (default 200)")
    parser.add_argument("--backend", action="append", type=backend_name,
                        help="compare only this backend (repeatable)")


def check_available(option: str, names: list[str] | None) -> None:
    """Raise :class:`Unavailable` (exit 3) when a backend named on the command line cannot run
    here: comparing nothing must not pass."""
    status = golden.backend_status()
    for name in names or []:
        if status.get(name) is not None:
            raise Unavailable(f"{option} {name}: not available here ({status[name]})")


def run(args: argparse.Namespace, console: Console) -> int:
    """Print the comparison table; 1 when a backend differs from the floor, 3 when no backend
    could be compared."""
    check_available("--backend", args.backend)
    if os.environ.get("SCTB_SIM_CACHE"):  # the build cache of `make`: JAX's kernels go there
        use_jax_cache(jax_cache_dir("."))
    rows = compare_backends(seed=args.seed, n_random=args.n_random, backends=args.backend or None)
    console.print(compare_table(rows))
    if not any(r.cases for r in rows[1:] if not r.skipped):
        console.print("nothing was compared: no backend besides the NumPy floor is available "
                      "here", markup=False)
        return 3
    bad = [r.backend for r in rows if not r.skipped and not r.ok]
    if bad:
        console.print(f"[red]mismatch[/red] in: {', '.join(bad)}")
        return 1
    return 0
