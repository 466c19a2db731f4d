"""The self-contained HTML (and JSON) report of ``sctb regress --report DIR``."""

from __future__ import annotations

import datetime
import json
import os
import platform
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import runner
from ..compare import CompareRow
from .sections import (
    accuracy_html,
    code_coverage_html,
    coverage_html,
    design_html,
    e,
    failures_html,
    golden_html,
    prove_html,
    rtl_html,
    throughput_html,
)

__all__ = ["PAGE_CSS", "build_data", "matplotlib_missing", "render_html", "write_report"]

#: The style of sctb's HTML pages (the regression report, the exploration page).
PAGE_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5em 2em;
       color: #1d1d1f; max-width: 1200px; }
h1 { margin-bottom: .2em; }
h1.pass { color: #1a7f37; } h1.fail { color: #c62828; }
h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .6em 0; font-size: 14px; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; }
th { background: #f3f4f6; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td { background: #fdecea; }
span.ok { color: #1a7f37; font-weight: 600; } span.bad { color: #c62828; font-weight: 600; }
span.skip { color: #8a6d00; }
span.bin { display: inline-block; margin: 1px 3px; padding: 0 5px; border-radius: 3px;
           background: #eef5ee; }
span.bin.empty { background: #f3f4f6; color: #666; }
span.bin.hole { background: #c62828; color: #fff; font-weight: 600; }
ul.reasons { margin-top: .2em; }
div.failure { border: 1px solid #e0b4b4; border-radius: 4px; padding: .4em .8em; margin: .6em 0;
              background: #fffafa; }
pre { background: #f6f8fa; padding: .5em; overflow: auto; max-height: 18em; font-size: 12px;
      white-space: pre-wrap; }
code { background: #f6f8fa; padding: 1px 4px; font-size: 12px; word-break: break-all; }
p.meta { color: #555; font-size: 13px; margin-top: 0; }
img.plot { max-width: 100%; border: 1px solid #ddd; }
table.src td { border: none; padding: 0 6px; font-family: monospace; font-size: 12px;
               white-space: pre; }
table.src tr.missed td { background: #fdecea; } table.src tr.waived td { background: #fff8e1; }
table.src tr.gap td { color: #999; }
"""


def _rel(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with ``/`` separators (a link inside the report)."""
    return Path(os.path.relpath(path, root)).as_posix()


def _failure_dict(f: runner.Failure, report_dir: Path) -> dict[str, Any]:
    waves = f.waves if f.waves is not None and Path(f.waves).is_file() else None
    if f.waves is not None and waves is None:
        note = f"the wave file {f.waves} is missing"
    else:
        note = f.waves_note or ("" if waves is not None else "no wave file was recorded")
    return {"test": f.test, "message": f.message, "replay": f.replay,
            "waves": _rel(Path(waves), report_dir) if waves is not None else None,
            "waves_note": note}


def build_data(
    *,
    report_dir: str | os.PathLike,
    rows: Sequence[CompareRow],
    rtl_results: Sequence[runner.SuiteResult],
    rtl_ran: bool,
    coverage: dict[str, dict[str, int]] | None,
    required_missing: Sequence[str],
    junit: str | os.PathLike | None,
    compare_replay: str,
    accuracy: dict[str, Any] | None,
    command: str,
    seed: int,
    seconds: float,
    design: dict[str, Any] | None = None,
    code_coverage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the page shows, JSON-ready (``report.json`` holds exactly this).

    Parameters
    ----------
    report_dir : path
        The report directory: wave and JUnit paths are given relative to it.
    rows : sequence of CompareRow
        The golden comparison.
    rtl_results : sequence of SuiteResult
        The RTL runs (their ``Failure.waves`` set where waves were recorded).
    rtl_ran : bool
        False under ``--no-rtl``.
    coverage : dict or None
        Merged hits per bin (``{point: {bin: hits}}``), None when no run recorded coverage.
    required_missing : sequence of str
        ``point:bin`` of the required bins with no hit.
    junit : path or None
        The merged JUnit file (inside ``report_dir``).
    compare_replay : str
        The command that replays the golden comparison.
    accuracy : dict or None
        ``AccuracyStudy.to_dict()``.
    command : str
        The command line of the run.
    seed : int
        The run's seed.
    design : dict, optional
        The design under test (``Design.to_dict()``: name, files and their SHA-256).
    seconds : float
        Wall time of the run so far.
    code_coverage : dict, optional
        The code coverage of ``--coverage`` (``coverage.json`` plus ``available``), or None
        when it was not asked for.

    Returns
    -------
    dict
    """
    report_dir = Path(report_dir)
    golden_rows = [{"backend": r.backend, "cases": r.cases, "mismatches": r.mismatches,
                    "seconds": r.seconds, "skipped": r.skipped,
                    "first_mismatch": r.first_mismatch, "ok": r.ok} for r in rows]
    golden_failed = [r.backend for r in rows if not r.skipped and not r.ok]
    runs, failures = [], []
    for r in rtl_results:
        tp = r.per_test.get("throughput") or {}
        runs.append({
            "suite": r.suite, "sim": r.sim, "family": r.family, "status": r.status,
            "not_applicable": r.not_applicable, "ok": r.ok, "tests": r.tests, "passed": r.passed,
            "failed": r.failed, "skipped": r.skipped, "transactions": r.transactions,
            "bit_products": r.bit_products, "seconds": r.seconds,
            "build_seconds": r.build_seconds, "test_seconds": r.sim_seconds,
            "bit_products_per_s": r.bit_products_per_s,
            "throughput_test_bit_products_per_s": (tp["bit_products"] / tp["seconds"]
                                                   if tp.get("seconds") else None),
            "error": r.error,
        })
        for f in r.failures:
            failures.append({"suite": r.suite, "sim": r.sim, **_failure_dict(f, report_dir)})
    for name in golden_failed:
        row = next(r for r in rows if r.backend == name)
        failures.append({"suite": "golden", "sim": name, "test": "compare",
                         "message": f"{row.mismatches} mismatches; first: {row.first_mismatch}",
                         "replay": compare_replay, "waves": None,
                         "waves_note": "a golden-model comparison: no simulation, no waves"})
    reasons = []
    if golden_failed:
        reasons.append(f"golden comparison: mismatches in {', '.join(golden_failed)}")
    bad_runs = [r for r in rtl_results if not r.ok and r.not_applicable is None]
    if rtl_ran and rtl_results and all(r.not_applicable is not None for r in rtl_results):
        reasons.append("RTL: no suite applies to the design: nothing was verified")
    if bad_runs:
        n_tests = sum(r.failed + r.skipped for r in bad_runs)
        reasons.append(f"RTL: {len(bad_runs)} of {len(rtl_results)} runs failed "
                       f"({n_tests} failing or skipped tests)")
    if required_missing:
        reasons.append(f"coverage: {len(required_missing)} required bins stayed empty "
                       f"({', '.join(required_missing)})")
    return {
        "title": "sctb regress",
        "passed": not reasons,
        "reasons": reasons,
        "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "command": command,
        "seed": seed,
        "design": design,
        "seconds": seconds,
        "python": platform.python_version(),
        "golden": golden_rows,
        "rtl_ran": rtl_ran,
        "rtl": runs,
        "junit": _rel(Path(junit), report_dir) if junit is not None else None,
        "coverage": coverage,
        "coverage_required_missing": list(required_missing),
        "failures": failures,
        "accuracy": accuracy,
        "code_coverage": code_coverage,
    }


def render_html(data: dict, plot_png: bytes | None) -> str:
    """The page of ``data`` (from :func:`build_data`): one string, inline CSS, no script.

    Parameters
    ----------
    data : dict
        From :func:`build_data`.
    plot_png : bytes or None
        The accuracy plot, embedded as a base64 PNG.
    """
    status = "PASSED" if data["passed"] else "FAILED"
    cls = "pass" if data["passed"] else "fail"
    reasons = ("<ul class=\"reasons\">" + "".join(f"<li>{e(r)}</li>" for r in data["reasons"])
               + "</ul>") if data["reasons"] else ""
    body = "".join([
        f'<h1 id="headline" class="{cls}">sctb regress: {status}</h1>',
        (f'<p class="meta">{e(data["generated"])} &middot; seed {data["seed"]} &middot; '
         f'{data["seconds"]:.1f} s &middot; Python {e(data["python"])}<br>'
         f'<code>{e(data["command"])}</code></p>'),
        reasons, design_html(data),
        golden_html(data), rtl_html(data), coverage_html(data), code_coverage_html(data),
        failures_html(data), throughput_html(data), accuracy_html(data, plot_png), prove_html(data),
    ])
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>sctb regress: {status}</title><style>{PAGE_CSS}</style></head>"
            f"<body>{body}</body></html>\n")


def write_report(report_dir: str | os.PathLike, data: dict, plot_png: bytes | None,
                 junit_source: str | os.PathLike | None = None) -> Path:
    """Write ``index.html`` and ``report.json`` (and copy the merged JUnit file) into the dir.

    Parameters
    ----------
    report_dir : path
        Created if missing.
    data : dict
        From :func:`build_data` (its ``junit`` names the copy's place in ``report_dir``).
    plot_png : bytes or None
        The accuracy plot.
    junit_source : path, optional
        The merged JUnit file to copy to ``report_dir / data["junit"]``.

    Returns
    -------
    Path
        ``report_dir / "index.html"``.
    """
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    if junit_source is not None and data.get("junit"):
        dest = report_dir / data["junit"]
        if Path(junit_source).resolve() != dest.resolve():
            shutil.copyfile(junit_source, dest)
    (report_dir / "report.json").write_text(json.dumps(data, indent=2))
    index = report_dir / "index.html"
    index.write_text(render_html(data, plot_png), encoding="utf-8")
    return index


def matplotlib_missing() -> str | None:
    """Why the report cannot draw its plot here (matplotlib not installed), or None."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        return "matplotlib is not installed; install the 'report' extra: pip install 'sctb[report]'"
    return None
