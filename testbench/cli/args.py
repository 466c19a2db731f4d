"""Argument types, input checks and error classes shared by the ``sctb`` commands (one spelling
of each check, so that every bad input is refused the same way before any work starts)."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
from collections.abc import Iterator
from pathlib import Path

from ..runner import SUITES

__all__ = [
    "INFRA_ERROR",
    "OK",
    "USAGE_ERROR",
    "VERIFY_FAILED",
    "Unavailable",
    "UsageError",
    "add_design_argument",
    "bounded_int",
    "check_input_file",
    "check_output_dir",
    "check_output_file",
    "finite_float",
    "non_negative_int",
    "positive_float",
    "positive_int",
    "seed32",
    "seed64",
    "suite_name",
    "threads_per_job",
]

#: Exit statuses of every ``sctb`` command (README "Exit status").
OK, VERIFY_FAILED, USAGE_ERROR, INFRA_ERROR = 0, 1, 2, 3


class UsageError(ValueError):
    """A bad option value or input file; the message names the option and the value (exit 2)."""


class Unavailable(RuntimeError):
    """Something the command needs is not installed or cannot run here (exit 3)."""


def bounded_int(low: int, high: int | None = None):
    """An argparse type: an int in ``[low, high]`` (``high`` None: no upper bound).

    Accepts decimal and ``0x``/``0o``/``0b`` prefixed text.
    """
    what = f"an int >= {low}" if high is None else f"an int in [{low}, {high}]"

    def parse(value: str) -> int:
        try:
            n = int(value, 0)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {value!r}") from None
        if n < low or (high is not None and n > high):
            raise argparse.ArgumentTypeError(f"expected {what}, got {value!r}")
        return n

    parse.__name__ = what  # argparse names the type in some messages
    return parse


def non_negative_int(value: str) -> int:
    """An ``int >= 0`` (argparse type)."""
    return bounded_int(0)(value)


def positive_int(value: str) -> int:
    """An ``int >= 1`` (argparse type)."""
    return bounded_int(1)(value)


def seed64(value: str) -> int:
    """A 64-bit seed, ``0 <= seed < 2**64`` (argparse type)."""
    return bounded_int(0, 2**64 - 1)(value)


def seed32(value: str) -> int:
    """A 32-bit seed (simulator and hypothesis seeds), ``0 <= seed < 2**32`` (argparse type)."""
    return bounded_int(0, 2**32 - 1)(value)


def suite_name(value: str) -> str:
    """The name of a simulation suite (argparse type; the message lists the valid ones)."""
    if value not in SUITES:
        raise argparse.ArgumentTypeError(
            f"unknown suite {value!r}; valid suites: {', '.join(SUITES)}")
    return value


def finite_float(low: float, high: float, *, low_open: bool = False, high_open: bool = False):
    """An argparse type: a finite number in the interval ``low .. high`` (open ends optional)."""
    what = (f"a number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}")

    def parse(value: str) -> float:
        try:
            x = float(value)
        except ValueError:
            x = math.nan
        ok = (math.isfinite(x) and (x > low if low_open else x >= low)
              and (x < high if high_open else x <= high))
        if not ok:
            raise argparse.ArgumentTypeError(f"expected {what}, got {value!r}")
        return x

    parse.__name__ = what
    return parse


def positive_float(value: str) -> float:
    """A finite number ``> 0`` (argparse type)."""
    try:
        x = float(value)
    except ValueError:
        x = math.nan
    if not (x > 0 and math.isfinite(x)):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {value!r}")
    return x


def _refused(option: str, path: str | os.PathLike, why: str) -> UsageError:
    """The error for path ``path`` of ``option``: the option, the path as given, and why."""
    return UsageError(f"{option} {os.fspath(path)!r}: {why}")


def _user_path(option: str, path: str | os.PathLike) -> Path:
    """``path`` with ``~`` expanded; refused when it holds a NUL byte."""
    if "\x00" in os.fspath(path):
        raise _refused(option, path, "a path cannot hold a NUL byte")
    return Path(path).expanduser()


def check_output_dir(option: str, path: str | os.PathLike) -> Path:
    """Create output directory ``path`` (with its parents) and check that it is writable.

    Raises
    ------
    UsageError
        ``path`` is an existing file, cannot be created, or is not writable; the message names
        ``option`` and the path.
    """
    p = _user_path(option, path)
    if p.exists() and not p.is_dir():
        raise _refused(option, path, "exists and is not a directory")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _refused(option, path, f"cannot create the directory ({e.strerror or e})") from None
    if not os.access(p, os.W_OK | os.X_OK):
        raise _refused(option, path, "the directory is not writable")
    return p.resolve()


def check_output_file(option: str, path: str | os.PathLike) -> Path:
    """Check that file ``path`` can be written: its directory exists and is writable, and it
    is not a directory.

    Raises
    ------
    UsageError
        The message names ``option`` and the path.
    """
    p = _user_path(option, path)
    if p.is_dir():
        raise _refused(option, path, "is a directory, not a file")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise _refused(option, path, f"directory {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise _refused(option, path, "not writable")
    return p


def check_input_file(option: str, path: str | os.PathLike) -> Path:
    """Check that ``path`` is an existing, readable regular file.

    Raises
    ------
    UsageError
        The message names ``option`` and the path.
    """
    p = _user_path(option, path)
    if not p.exists():
        raise _refused(option, path, "no such file")
    if not p.is_file():
        raise _refused(option, path, "not a regular file")
    if not os.access(p, os.R_OK):
        raise _refused(option, path, "not readable")
    return p.resolve()


def add_design_argument(parser: argparse.ArgumentParser, what: str = "") -> None:
    """``--rtl-dir PATH`` (alias ``--design``): the design under test of a command."""
    parser.add_argument(
        "--rtl-dir", "--design", dest="rtl_dir", default=None, metavar="PATH",
        help=(f"{what}the design under test: a directory with an sctb.toml or an sc.f (+ sc.vlt "
              "waivers), or such a file (default: the bundled reference RTL); see "
              "docs/verify-your-design.md"))


@contextlib.contextmanager
def threads_per_job(jobs: int) -> Iterator[int]:
    """While the block runs, ``$SCTB_THREADS`` is ``max(1, cores // jobs)`` (jobs x threads <=
    cores), unless the user set it; every golden backend here and in child processes follows it.

    Yields
    ------
    int
        The threads per job now in force.
    """
    import golden

    if os.environ.get(golden.THREADS_ENV, "").strip():
        yield golden.get_threads()
        return
    n = golden.threads_for_jobs(jobs)
    os.environ[golden.THREADS_ENV] = str(n)
    try:
        yield n
    finally:
        os.environ.pop(golden.THREADS_ENV, None)
