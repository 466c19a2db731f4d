"""Argument types and options shared by the ``sctb`` commands (one spelling of each check)."""

from __future__ import annotations

import argparse
import math

__all__ = ["add_design_argument", "non_negative_int", "positive_float", "positive_int"]


def _int_at_least(value: str, low: int) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an int >= {low}, got {value!r}") from None
    if n < low:
        raise argparse.ArgumentTypeError(f"expected an int >= {low}, got {value!r}")
    return n


def non_negative_int(value: str) -> int:
    """An ``int >= 0`` (argparse type)."""
    return _int_at_least(value, 0)


def positive_int(value: str) -> int:
    """An ``int >= 1`` (argparse type)."""
    return _int_at_least(value, 1)


def positive_float(value: str) -> float:
    """A finite number ``> 0`` (argparse type)."""
    try:
        x = float(value)
    except ValueError:
        x = math.nan
    if not (x > 0 and math.isfinite(x)):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {value!r}")
    return x


def add_design_argument(parser: argparse.ArgumentParser, what: str = "") -> None:
    """``--rtl-dir PATH`` (alias ``--design``): the design under test of a command."""
    parser.add_argument(
        "--rtl-dir", "--design", dest="rtl_dir", default=None, metavar="PATH",
        help=(f"{what}the design under test: a directory with an sctb.toml or an sc.f (+ sc.vlt "
              "waivers), or such a file (default: the bundled reference RTL); see "
              "docs/verify-your-design.md"))
