"""A coverage report from merged points: per module and file tallies, misses, waivers, lcov."""

from __future__ import annotations

import dataclasses
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from ._data import KINDS, Point
from ._waivers import Waiver, _glob

__all__ = ["CoverageReport", "Tally", "build_report", "format_report", "source_module",
           "write_lcov"]


@dataclasses.dataclass
class Tally:
    """Points of one kind: how many, how many hit, how many waived (missed by design)."""

    total: int = 0
    hit: int = 0
    waived: int = 0

    @property
    def percent(self) -> float | None:
        """Hit points over the points that are not waived, in %; None when there are none."""
        counted = self.total - self.waived
        return 100.0 * self.hit / counted if counted > 0 else None

    def add(self, status: str) -> None:
        self.total += 1
        if status == "hit":
            self.hit += 1
        elif status == "waived":
            self.waived += 1

    def to_dict(self) -> dict:
        return {"total": self.total, "hit": self.hit, "waived": self.waived,
                "missed": self.total - self.hit - self.waived, "percent": self.percent}


def _pct(t: Tally | None) -> str:
    if t is None or t.percent is None:
        return "-"
    return f"{t.percent:.1f}%"


@dataclasses.dataclass
class CoverageReport:
    """Coverage of a design, instances merged (a point is hit when any instance hit it).

    Attributes
    ----------
    points : list of dict
        Every point after merging the instances: ``file``, ``module``, ``kind``, ``line``,
        ``lines`` (the span), ``name``, ``count``, ``status`` (``hit``, ``missed``, ``waived``)
        and ``reason`` (the waiver's, for a waived point).
    modules, files : dict of str to dict of str to Tally
        Per module and per file: a :class:`Tally` per kind.
    total : dict of str to Tally
        The whole design, per kind.
    unused_waivers : list of Waiver
        Waivers of a module in the report that matched no missed point (stale, or the point
        was hit); a waiver of a module the runs did not build is not listed.
    runs : int
        The coverage files merged.
    """

    points: list[dict]
    modules: dict[str, dict[str, Tally]]
    files: dict[str, dict[str, Tally]]
    total: dict[str, Tally]
    unused_waivers: list[Waiver]
    runs: int = 0

    def percent(self, kind: str) -> float | None:
        """The design's coverage of ``kind`` in % after waivers (None: no such point)."""
        t = self.total.get(kind)
        return t.percent if t is not None else None

    def missed(self, kind: str | None = None) -> list[dict]:
        """The missed points (of ``kind``), in file and line order."""
        return [p for p in self.points if p["status"] == "missed"
                and (kind is None or p["kind"] == kind)]

    def missed_lines(self) -> dict[str, list[int]]:
        """Per file, the lines holding a missed line or branch point."""
        out: dict[str, set[int]] = defaultdict(set)
        for p in self.points:
            if p["status"] == "missed" and p["kind"] in ("line", "branch"):
                out[p["file"]].update(p["lines"] if p["kind"] == "line" else [p["line"]])
        return {f: sorted(v) for f, v in sorted(out.items())}

    def never_toggled(self) -> dict[str, list[str]]:
        """Per module, the signal bits with a toggle direction never seen (not waived)."""
        out: dict[str, set[str]] = defaultdict(set)
        for p in self.missed("toggle"):
            out[p["module"]].add(p["name"].rsplit(":", 1)[0])
        return {m: sorted(v) for m, v in sorted(out.items())}

    def to_dict(self) -> dict:
        """JSON-ready: totals, per module and file, misses, waived points, unused waivers."""
        def tallies(d: dict[str, Tally]) -> dict:
            return {k: t.to_dict() for k, t in d.items()}

        return {
            "runs": self.runs,
            "total": tallies(self.total),
            "modules": {m: tallies(d) for m, d in self.modules.items()},
            "files": {f: tallies(d) for f, d in self.files.items()},
            "missed_lines": self.missed_lines(),
            "never_toggled": self.never_toggled(),
            "missed": [p for p in self.points if p["status"] == "missed"],
            "waived": [p for p in self.points if p["status"] == "waived"],
            "unused_waivers": [dataclasses.asdict(w) for w in self.unused_waivers],
        }


def source_module(name: str, known: Iterable[str]) -> str:
    """The source module of Verilator's module name ``name``: a parameter set's copy is named
    ``<module>__<parameters>`` (``sc_popcount__Wd``); ``name`` itself when no known module
    fits."""
    best = ""
    for m in known:
        if (name == m or name.startswith(m + "__")) and len(m) > len(best):
            best = m
    return best or name


def build_report(points: Iterable[Point], *, files: Sequence[str | os.PathLike] | None = None,
                 waivers: Sequence[Waiver] = (), runs: int = 0,
                 modules: Iterable[str] = ()) -> CoverageReport:
    """Merge the instances of ``points``, apply ``waivers`` and tally per module and file.

    Parameters
    ----------
    points : iterable of Point
        Merged points of every run (:func:`~testbench.codecov.merge`).
    files : sequence of path, optional
        Keep only points of these source files (the design's; the test tops are left out).
    waivers : sequence of Waiver
        A missed point that a waiver matches is ``waived`` (shown, not counted).
    runs : int
        How many coverage files were merged (reported).
    modules : iterable of str
        The design's module names: Verilator's per-parameter-set copies are reported under
        them (:func:`source_module`); their points merged like instances.
    """
    known = list(modules)
    keep = None if files is None else {str(Path(f).resolve()) for f in files}
    merged: dict[tuple, dict] = {}
    for p in points:
        if p.kind not in KINDS:
            continue
        path = str(Path(p.file).resolve()) if p.file else p.file
        if keep is not None and path not in keep:
            continue
        module = source_module(p.module, known)
        ident = (path, module, tuple(kv for kv in p.fields if kv[0] not in ("h", "f", "page")))
        row = merged.get(ident)
        if row is None:
            merged[ident] = {"file": path, "module": module, "kind": p.kind, "line": p.line,
                             "lines": p.lines, "name": p.name, "count": p.count,
                             "_points": [p]}
        else:
            row["count"] += p.count
            row["_points"].append(p)
    used: set[int] = set()
    modules: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    by_file: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    total: dict[str, Tally] = defaultdict(Tally)
    seen_modules = {m for r in merged.values()
                    for m in (r["module"], *(p.module for p in r["_points"]))}
    rows = sorted(merged.values(), key=lambda r: (r["file"], r["line"], r["kind"], r["name"]))
    for row in rows:
        pts = row.pop("_points")
        status, reason = ("hit", None) if row["count"] > 0 else ("missed", None)
        if status == "missed":
            for i, w in enumerate(waivers):
                if all(w.matches(pt, row["module"]) for pt in pts):
                    status, reason = "waived", f"{w.reason} ({w.where})"
                    used.add(i)
                    break
        row["status"], row["reason"] = status, reason
        modules[row["module"]][row["kind"]].add(status)
        by_file[row["file"]][row["kind"]].add(status)
        total[row["kind"]].add(status)
    # A waiver of a module this run did not build is not stale: only the others are listed.
    unused = [w for i, w in enumerate(waivers) if i not in used
              and any(_glob(w.module).fullmatch(m) for m in seen_modules)]
    return CoverageReport(
        points=rows, modules={m: dict(d) for m, d in sorted(modules.items())},
        files={f: dict(d) for f, d in sorted(by_file.items())}, total=dict(total),
        unused_waivers=unused, runs=runs)


def format_report(report: CoverageReport, *, max_items: int = 20) -> str:
    """The report as text: totals, one row per module, the missed lines and signals."""
    kinds = [k for k in KINDS if k in report.total]
    out = [f"code coverage ({report.runs} runs merged; after waivers): " + ", ".join(
        f"{k} {_pct(report.total[k])} ({report.total[k].hit}/"
        f"{report.total[k].total - report.total[k].waived}"
        + (f", {report.total[k].waived} waived" if report.total[k].waived else "") + ")"
        for k in kinds)]
    for m, d in report.modules.items():
        out.append(f"  {m:<20} " + "  ".join(f"{k} {_pct(d.get(k)):>6}" for k in kinds))
    for f, lines in report.missed_lines().items():
        shown = ", ".join(map(str, lines[:max_items])) + (" ..." if len(lines) > max_items
                                                          else "")
        out.append(f"  missed lines {Path(f).name}: {shown}")
    for m, sigs in report.never_toggled().items():
        shown = ", ".join(sigs[:max_items]) + (f" ... ({len(sigs)} in all)"
                                               if len(sigs) > max_items else "")
        out.append(f"  never toggled in {m}: {shown}")
    for w in report.unused_waivers:
        out.append(f"  unused waiver {w.where}: {w.kind} {w.module} {w.pattern}")
    return "\n".join(out)


def write_lcov(report: CoverageReport, path: str | os.PathLike, test_name: str = "sctb") -> Path:
    """Write the line and branch points as an lcov tracefile (``genhtml`` reads it).

    ``DA`` lines come from the line points (a line's count: the sum over the blocks spanning
    it), ``BRDA`` from the branch points (block 0, one branch per point). Waived points are
    written as hit-or-not like the others: lcov has no waiver (the report lists them).
    """
    by_file: dict[str, list[dict]] = defaultdict(list)
    for p in report.points:
        if p["kind"] in ("line", "branch"):
            by_file[p["file"]].append(p)
    out = []
    for f, pts in sorted(by_file.items()):
        out += [f"TN:{test_name}", f"SF:{f}"]
        da: dict[int, int] = defaultdict(int)
        for p in pts:
            if p["kind"] == "line":
                for n in p["lines"]:
                    da[n] += p["count"]
        brda: dict[int, list[int]] = defaultdict(list)
        for p in pts:
            if p["kind"] == "branch":
                brda[p["line"]].append(p["count"])
                da[p["line"]] += 0
        for n in sorted(brda):
            for i, c in enumerate(brda[n]):
                out.append(f"BRDA:{n},0,{i},{c if c else '-'}")
        n_br = sum(len(v) for v in brda.values())
        out += [f"BRF:{n_br}", f"BRH:{sum(1 for v in brda.values() for c in v if c)}"]
        out += [f"DA:{n},{c}" for n, c in sorted(da.items())]
        out += [f"LF:{len(da)}", f"LH:{sum(1 for c in da.values() if c)}", "end_of_record"]
    path = Path(path)
    path.write_text("\n".join(out) + "\n")
    return path
