"""Verilator's plain-text ``coverage.dat`` (SystemC::Coverage-3): points, read, write, merge."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["HEADER", "KINDS", "Point", "merge", "parse_dat", "read_dat", "write_dat"]

HEADER = "# SystemC::Coverage-3"
#: The point types this package reports (Verilator's ``t`` field).
KINDS = ("line", "branch", "toggle", "expr")
_KEY, _VAL = "\x01", "\x02"


@dataclasses.dataclass(frozen=True)
class Point:
    """One coverage point and its count.

    Attributes
    ----------
    file : str
        The source file (``f``), as the simulator build saw it.
    line : int
        The source line (``l``).
    kind : str
        ``line``, ``branch``, ``toggle`` or ``expr`` (``t``).
    module : str
        The module (from ``page``: ``v_<kind>/<module>``).
    name : str
        The point (``o``): ``block``, ``if``/``else``, ``sig[3]:0->1``, ...
    hier : str
        The instance (``h``).
    fields : tuple of (str, str)
        Every field of the point, in file order (written back unchanged by :func:`write_dat`).
    count : int
        Times the point was hit.
    """

    file: str
    line: int
    kind: str
    module: str
    name: str
    hier: str
    fields: tuple[tuple[str, str], ...]
    count: int

    @property
    def key(self) -> tuple[tuple[str, str], ...]:
        """What identifies the point across runs (every field; the count excluded)."""
        return self.fields

    @property
    def lines(self) -> list[int]:
        """The source lines the point stands for: its ``S`` span (``"4-6,9"``) or its line."""
        span = dict(self.fields).get("S")
        if not span:
            return [self.line]
        out: list[int] = []
        for part in span.split(","):
            lo, _, hi = part.partition("-")
            try:
                a = int(lo)
                b = int(hi) if hi else a
            except ValueError:
                return [self.line]
            out.extend(range(a, b + 1))
        return out or [self.line]

    @property
    def signal(self) -> str:
        """A toggle point's signal bit (``sig[3]`` of ``sig[3]:0->1``); else the point name."""
        return self.name.rsplit(":", 1)[0] if self.kind == "toggle" else self.name


def _split_fields(text: str, where: str) -> tuple[tuple[str, str], ...]:
    if not text.startswith(_KEY):
        raise ValueError(f"{where}: a point's fields must start with byte 0x01, got {text[:20]!r}")
    fields = []
    for chunk in text[1:].split(_KEY):
        key, sep, value = chunk.partition(_VAL)
        if not sep or not key:
            raise ValueError(f"{where}: malformed field {chunk!r} (key 0x02 value expected)")
        fields.append((key, value))
    return tuple(fields)


def parse_dat(text: str, source: str = "<coverage.dat>") -> list[Point]:
    """The points of a ``coverage.dat`` text.

    Parameters
    ----------
    text : str
        The file's content: the ``# SystemC::Coverage-3`` header, then ``C '<fields>' COUNT``
        lines (fields: ``\\x01key\\x02value`` pairs).
    source : str
        Named in error messages.

    Returns
    -------
    list of Point

    Raises
    ------
    ValueError
        No header, or a line that is not a point (the message names the line).
    """
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# SystemC::Coverage-"):
        raise ValueError(f"{source}: not a Verilator coverage file (no '{HEADER}' header)")
    points = []
    for n, line in enumerate(lines[1:], 2):
        if not line.strip() or line.startswith("#"):
            continue
        where = f"{source}:{n}"
        if not line.startswith("C '"):
            raise ValueError(f"{where}: expected C '<fields>' COUNT, got {line[:60]!r}")
        body, sep, count = line[3:].rpartition("' ")
        if not sep:
            raise ValueError(f"{where}: no closing quote before the count: {line[:60]!r}")
        try:
            hits = int(count)
        except ValueError:
            raise ValueError(f"{where}: count {count!r} is not an integer") from None
        if hits < 0:
            raise ValueError(f"{where}: negative count {hits}")
        fields = _split_fields(body, where)
        f = dict(fields)
        kind = f.get("t", "")
        page = f.get("page", "")
        module = page.split("/", 1)[1] if "/" in page else ""
        try:
            lineno = int(f.get("l", "0"))
        except ValueError:
            raise ValueError(f"{where}: line field {f.get('l')!r} is not an integer") from None
        points.append(Point(file=f.get("f", ""), line=lineno, kind=kind, module=module,
                            name=f.get("o", ""), hier=f.get("h", ""), fields=fields,
                            count=hits))
    return points


def read_dat(path: str | os.PathLike) -> list[Point]:
    """The points of the coverage file at ``path`` (:func:`parse_dat`)."""
    path = Path(path)
    return parse_dat(path.read_text(encoding="utf-8", errors="surrogateescape"), str(path))


def merge(runs: Iterable[Iterable[Point]]) -> list[Point]:
    """Points of many runs, counts summed per point (same fields), in first-seen order."""
    total: dict[tuple, Point] = {}
    for points in runs:
        for p in points:
            seen = total.get(p.key)
            total[p.key] = p if seen is None else dataclasses.replace(
                seen, count=seen.count + p.count)
    return list(total.values())


def write_dat(points: Iterable[Point], path: str | os.PathLike) -> Path:
    """Write ``points`` as a ``coverage.dat`` that :func:`read_dat` (and Verilator) reads."""
    path = Path(path)
    out = [HEADER]
    for p in points:
        body = "".join(f"{_KEY}{k}{_VAL}{v}" for k, v in p.fields)
        out.append(f"C '{body}' {p.count}")
    path.write_text("\n".join(out) + "\n", encoding="utf-8", errors="surrogateescape")
    return path
