"""The code coverage of a regression: merge its runs' files, write merged/lcov/JSON outputs."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ._data import merge, read_dat, write_dat
from ._report import CoverageReport, build_report, write_lcov
from ._waivers import find_waivers

if TYPE_CHECKING:
    from ..design import Design
    from ..runner import SuiteResult

__all__ = ["annotate", "collect"]


def collect(results: Sequence[SuiteResult], design: Design, out_dir: str | os.PathLike
            ) -> tuple[CoverageReport | None, list[str]]:
    """Merge the coverage files of ``results`` over the design's sources and write, in
    ``out_dir``: ``merged.dat`` (Verilator's format), ``coverage.info`` (lcov) and
    ``coverage.json`` (:meth:`CoverageReport.to_dict` plus the notes).

    Returns
    -------
    report : CoverageReport or None
        None when no run wrote a coverage file (e.g. Icarus only: not applicable).
    notes : list of str
        Per run without coverage, why (``suite on sim: reason``).
    """
    notes = [f"{r.suite} on {r.sim}: {r.code_coverage_note}" for r in results
             if r.code_coverage is None and r.code_coverage_note]
    files = [r.code_coverage for r in results if r.code_coverage is not None]
    if not files:
        return None, notes
    waiver_file, waivers = find_waivers(design)
    points = merge(read_dat(f) for f in files)
    report = build_report(points, files=[str(f) for f in design.files], waivers=waivers,
                          runs=len(files), modules=design.modules())
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_dat(points, out / "merged.dat")
    write_lcov(report, out / "coverage.info", test_name=design.name)
    doc = report.to_dict()
    doc.update(notes=notes, waiver_file=str(waiver_file) if waiver_file else None,
               annotated=annotate(report))
    (out / "coverage.json").write_text(json.dumps(doc, indent=1))
    return report, notes


def annotate(report: CoverageReport, context: int = 2) -> dict[str, list[dict]]:
    """Per file with a missed or waived line/branch point, the source around it.

    Returns ``{file: [{"line": n, "text": source, "status": "missed"|"waived"|"",
    "reason": waiver reason or None}, ...]}``; lines more than ``context`` away from a flagged
    line are left out (a ``{"gap": True}`` row marks each cut).
    """
    flagged: dict[str, dict[int, tuple[str, str | None]]] = {}
    for p in report.points:
        if p["kind"] not in ("line", "branch") or p["status"] == "hit":
            continue
        lines = p["lines"] if p["kind"] == "line" else [p["line"]]
        marks = flagged.setdefault(p["file"], {})
        for n in lines:
            if marks.get(n, ("",))[0] != "missed":
                marks[n] = (p["status"], p["reason"])
    out: dict[str, list[dict]] = {}
    for f, marks in sorted(flagged.items()):
        try:
            src = Path(f).read_text(errors="replace").splitlines()
        except OSError:
            src = []
        show = sorted({m for n in marks for m in range(n - context, n + context + 1)
                       if 1 <= m <= max(len(src), n)})
        rows: list[dict] = []
        prev = None
        for n in show:
            if prev is not None and n != prev + 1:
                rows.append({"gap": True})
            status, reason = marks.get(n, ("", None))
            rows.append({"line": n, "text": src[n - 1] if n <= len(src) else "",
                         "status": status, "reason": reason})
            prev = n
        out[f] = rows
    return out
