"""Coverage waivers: points that cannot be covered by design, one reason each (``sc.cov``)."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ._data import KINDS, Point

if TYPE_CHECKING:
    from ..design import Design

__all__ = ["WAIVER_FILE", "Waiver", "WaiverError", "find_waivers", "parse_waivers"]

#: The waiver file's name, beside the design's description (``sc.f`` or ``sctb.toml``).
WAIVER_FILE = "sc.cov"


class WaiverError(ValueError):
    """A waiver file that cannot be used: the message names the file, the line and the problem."""


@dataclasses.dataclass(frozen=True)
class Waiver:
    """One waiver: the points of one kind in one module that match a pattern, and why.

    Attributes
    ----------
    kind : str
        ``line``, ``branch``, ``toggle`` or ``expr``.
    module : str
        The module the points belong to: its source name (``sc_popcount``: every parameter
        set), or Verilator's name of one parameter set (``sc_popcount__Wd``: W = 13); ``*``
        and ``?`` match as in ``pattern``.
    pattern : str
        Toggle and expr points: a signal-bit name where ``*`` matches any run of characters,
        ``?`` one character and ``<N-M>`` a decimal number from N to M (other brackets are
        literal: ``g_node[*].s[<1-15>]``). Line and branch points: a line ``12`` or a range
        ``12-14`` of the module's file.
    reason : str
        Why the points cannot be covered (required, non-empty).
    where : str
        ``file:line`` of the waiver.
    """

    kind: str
    module: str
    pattern: str
    reason: str
    where: str = ""

    def matches(self, point: Point, module: str | None = None) -> bool:
        """Whether ``point`` is one of the waived points (``module``: the point's source
        module name, when it differs from Verilator's ``point.module``)."""
        if point.kind != self.kind:
            return False
        mod = _glob(self.module)
        if not (mod.fullmatch(point.module) or (module and mod.fullmatch(module))):
            return False
        if self.kind in ("line", "branch"):
            lo, _, hi = self.pattern.partition("-")
            a, b = int(lo), int(hi or lo)
            return any(a <= n <= b for n in point.lines)
        return _glob(self.pattern).fullmatch(point.signal)


_RANGE = re.compile(r"<(\d+)-(\d+)>")


def _glob(pattern: str) -> _Glob:
    return _Glob(pattern)


class _Glob:
    """A waiver pattern: ``*``, ``?`` and ``<N-M>`` (a number in N..M); the rest literal."""

    def __init__(self, pattern: str) -> None:
        self.ranges = [(int(a), int(b)) for a, b in _RANGE.findall(pattern)]
        parts = _RANGE.split(pattern)[::3]
        body = r"(\d+)".join(re.escape(p).replace(r"\*", ".*").replace(r"\?", ".")
                             for p in parts)
        self.regex = re.compile(body)

    def fullmatch(self, text: str) -> bool:
        m = self.regex.fullmatch(text)
        if m is None:
            return False
        return all(lo <= int(g) <= hi for g, (lo, hi) in zip(m.groups(), self.ranges,
                                                             strict=True))


_LINES = re.compile(r"\d+(-\d+)?")


def parse_waivers(text: str, source: str = "<waivers>") -> list[Waiver]:
    """The waivers of a waiver file's text.

    One waiver per line: ``KIND MODULE POINT -- REASON``; blank lines and lines starting with
    ``#`` are ignored. KIND is one of :data:`~testbench.codecov.KINDS`; POINT a signal-bit
    pattern (toggle, expr) or a line / range (line, branch); REASON is required.

    Raises
    ------
    WaiverError
        A line that does not parse, an unknown kind, a bad line range, or no reason.
    """
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source}:{n}"
        head, sep, reason = line.partition(" -- ")
        reason = reason.strip()
        if not sep or not reason:
            raise WaiverError(f"{where}: a waiver needs its reason: 'KIND MODULE POINT -- "
                              f"REASON', got {line!r}")
        parts = head.split()
        if len(parts) != 3:
            raise WaiverError(f"{where}: expected KIND MODULE POINT before ' -- ', got {head!r}")
        kind, module, pattern = parts
        if kind not in KINDS:
            raise WaiverError(f"{where}: unknown kind {kind!r}; valid: {', '.join(KINDS)}")
        if kind in ("line", "branch"):
            m = _LINES.fullmatch(pattern)
            if m is None or (m.group(1) and int(pattern.split("-")[1]) < int(
                    pattern.split("-")[0])):
                raise WaiverError(f"{where}: a {kind} waiver names a line or a range N-M, got "
                                  f"{pattern!r}")
        out.append(Waiver(kind, module, pattern, reason, where))
    return out


def find_waivers(design: Design | str | os.PathLike | None) -> tuple[Path | None, list[Waiver]]:
    """The waiver file of a design (``sc.cov`` beside its description) and its waivers.

    ``design`` is a :class:`~testbench.design.Design`, or the directory holding the file; a
    design without the file has no waivers: ``(None, [])``.
    """
    if design is None:
        return None, []
    if isinstance(design, (str, os.PathLike)):
        where = Path(design)
    else:
        where = Path(design.source).parent
    path = where / WAIVER_FILE
    if not path.is_file():
        return None, []
    return path, parse_waivers(path.read_text(), str(path))
