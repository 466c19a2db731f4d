"""The self-contained HTML (and JSON) report of ``sctb regress --report DIR``."""

from __future__ import annotations

import base64
import datetime
import html
import json
import os
import platform
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import runner
from ..compare import CompareRow

__all__ = ["build_data", "matplotlib_missing", "render_html", "write_report"]

_CSS = """
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
    seconds : float
        Wall time of the run so far.

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
            "suite": r.suite, "sim": r.sim, "ok": r.ok, "tests": r.tests, "passed": r.passed,
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
    bad_runs = [r for r in rtl_results if not r.ok]
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
    }


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float | None, fmt: str = "{:,}") -> str:
    return "-" if value is None else _e(fmt.format(value))


def _table(headers: Sequence[str], rows: Sequence[str], table_id: str) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    return (f'<table id="{table_id}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _golden_html(data: dict) -> str:
    rows = []
    for r in data["golden"]:
        if r["skipped"]:
            status = f'<span class="skip">skipped: {_e(r["skipped"])}</span>'
        elif r["ok"]:
            status = '<span class="ok">bit-identical</span>'
        else:
            status = f'<span class="bad">MISMATCH</span> {_e(r["first_mismatch"])}'
        cls = ' class="bad"' if not r["skipped"] and not r["ok"] else ""
        rows.append(f'<tr{cls}><td>{_e(r["backend"])}</td><td class="num">{r["cases"]}</td>'
                    f'<td class="num">{r["mismatches"]}</td>'
                    f'<td class="num">{r["seconds"]:.3f}</td><td>{status}</td></tr>')
    return ("<h2>Golden comparison</h2><p>Every available backend against the NumPy floor, bit "
            "for bit.</p>" + _table(("backend", "cases", "mismatches", "seconds", "status"),
                                    rows, "golden"))


def _rtl_html(data: dict) -> str:
    if not data["rtl_ran"]:
        return "<h2>RTL suites</h2><p>Not run (<code>--no-rtl</code>).</p>"
    rows = []
    for r in data["rtl"]:
        cls = "" if r["ok"] else ' class="bad"'
        ok = '<span class="ok">yes</span>' if r["ok"] else '<span class="bad">NO</span>'
        rows.append(
            f'<tr{cls}><td>{_e(r["suite"])}</td><td>{_e(r["sim"])}</td>'
            f'<td class="num">{r["tests"]}</td><td class="num">{r["passed"]}</td>'
            f'<td class="num">{r["failed"]}</td><td class="num">{r["skipped"]}</td>'
            f'<td class="num">{_num(r["transactions"])}</td>'
            f'<td class="num">{_num(r["bit_products"])}</td>'
            f'<td class="num">{r["seconds"]:.1f}</td><td class="num">{r["build_seconds"]:.1f}</td>'
            f"<td>{ok}</td></tr>")
    junit = (f'<p>Merged JUnit results: <a id="junit" href="{_e(data["junit"])}">'
             f'{_e(data["junit"])}</a></p>' if data["junit"] else "")
    return ("<h2>RTL suites x simulators</h2><p>bit-products: n_out x n_in x length of every "
            "verified transaction; seconds: the whole run, build included.</p>"
            + _table(("suite", "sim", "tests", "pass", "fail", "skip", "transactions",
                      "verified bit-products", "seconds", "build seconds", "ok"), rows, "rtl")
            + junit)


def _coverage_html(data: dict) -> str:
    from .. import coverage as cov

    head = "<h2>Functional coverage</h2>"
    if data["coverage"] is None:
        return (head + "<p>No run of this regression records functional coverage (the "
                "<code>uvm</code> and <code>fuzz</code> suites do).</p>")
    holes = set(data["coverage_required_missing"])
    rows = []
    for point, bins in data["coverage"].items():
        chips = []
        for b, hits in bins.items():
            name = f"{point}:{b}"
            cls = "bin hole" if name in holes else "bin empty" if hits == 0 else "bin"
            req = " (required)" if b in cov.REQUIRED.get(point, ()) else ""
            chips.append(f'<span class="{cls}" title="{_e(name + req)}">{_e(b)} '
                         f"<b>{hits}</b></span>")
        cls = ' class="bad"' if any(f"{point}:{b}" in holes for b in bins) else ""
        rows.append(f"<tr{cls}><td>{_e(point)}</td><td>{''.join(chips)}</td></tr>")
    note = (f'<p><span class="bad">Required bins with no hit:</span> '
            f'{_e(", ".join(sorted(holes)))}</p>' if holes else
            '<p><span class="ok">Every required bin was hit.</span> Empty bins that are not '
            "required are grey.</p>")
    return (head + "<p>Hits per bin, summed over every run that recorded coverage. Red: a "
            "required bin that stayed empty.</p>" + note
            + _table(("cover point", "bins (hits)"), rows, "coverage"))


def _failures_html(data: dict) -> str:
    head = f'<h2>Failures ({len(data["failures"])})</h2>'
    if not data["failures"]:
        return head + '<p id="no-failures"><span class="ok">None.</span></p>'
    blocks = []
    for f in data["failures"]:
        if f["waves"]:
            note = f' <span class="skip">({_e(f["waves_note"])})</span>' if f["waves_note"] else ""
            waves = f'<a class="waves" href="{_e(f["waves"])}">{_e(f["waves"])}</a>{note}'
        else:
            waves = f'<span class="nowaves">none: {_e(f["waves_note"])}</span>'
        blocks.append(
            f'<div class="failure"><h3>{_e(f["suite"])} / {_e(f["sim"])} / {_e(f["test"])}</h3>'
            f'<pre class="message">{_e(f["message"])}</pre>'
            f'<p>replay: <code class="replay">{_e(f["replay"])}</code></p>'
            f"<p>wave file: {waves}</p></div>")
    return head + "".join(blocks)


def _throughput_html(data: dict) -> str:
    rows = []
    for r in data["rtl"]:
        if not r["bit_products"]:
            continue
        tp = r["throughput_test_bit_products_per_s"]
        rows.append(f'<tr><td>{_e(r["suite"])}</td><td>{_e(r["sim"])}</td>'
                    f'<td class="num">{_num(r["bit_products"])}</td>'
                    f'<td class="num">{r["test_seconds"]:.2f}</td>'
                    f'<td class="num">{r["bit_products_per_s"] / 1e6:.2f}</td>'
                    f'<td class="num">{"-" if tp is None else f"{tp / 1e6:.2f}"}</td></tr>')
    head = "<h2>Throughput</h2>"
    if not rows:
        return head + "<p>No run of this regression verified dense bit-products.</p>"
    return (head + "<p>Verified bit-products per second of test-body time (no build, no "
            "simulator start-up), per run, and of the <code>throughput</code> test alone.</p>"
            + _table(("suite", "sim", "verified bit-products", "test seconds",
                      "M bit-products/s", "throughput test M/s"), rows, "throughput"))


def _accuracy_html(data: dict, plot_png: bytes | None) -> str:
    acc = data["accuracy"]
    head = "<h2>Accuracy of sc_forward against stream length</h2>"
    if acc is None:
        return head + "<p>Not measured.</p>"
    img = ""
    if plot_png is not None:
        b64 = base64.b64encode(plot_png).decode("ascii")
        img = (f'<p><img id="accuracy-plot" class="plot" alt="RMSE of sc_forward against '
               f'stream length, log-log" src="data:image/png;base64,{b64}"></p>')
    lo, hi = acc["fit_range"]
    rows = []
    for n, r in zip(acc["lengths"], acc["rmse"]):
        fit = acc["c_fit"] / n ** 0.5
        rows.append(f'<tr><td class="num">{n}</td><td class="num">{r:.3e}</td>'
                    f'<td class="num">{r * n ** 0.5:.3f}</td><td class="num">{fit:.3e}</td></tr>')
    text = (
        f"<p>A {acc['n_out']} x {acc['n_in']} layer (weights and inputs uniform in [0, 1], "
        f"NumPy seed {acc['layer_seed']}), {len(acc['seeds'])} random base seeds, backend "
        f"<code>{_e(acc['backend'])}</code>: RMSE of <code>sc_forward</code> (counts / length, "
        "an estimate of <code>W @ p</code>; contract, section 4) against the exact "
        f"<code>W @ p</code>, in {acc['seconds']:.2f} s.</p>"
        f"<p>Log-log slope <b>{acc['slope']:.3f}</b> over N = {lo} .. {hi} (shaded; -0.5 for "
        f"independent random streams), {acc['slope_all']:.3f} over every length. "
        f"<code>c / sqrt(N)</code> fitted over the same range: c = {acc['c_fit']:.2f}; "
        f"independent Bernoulli streams of the same probabilities would give "
        f"c = {acc['c_independent']:.2f}. Below N = {lo} the streams of neighbouring inputs "
        "(seeds s, s + 1) are still alike; near the LFSR period (65535) a stream samples the "
        "states without replacement and a full period counts exactly, so the error falls "
        "faster there.</p>")
    return (head + img + text
            + _table(("N", "RMSE", "RMSE x sqrt(N)", "c / sqrt(N)"), rows, "accuracy"))


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
    reasons = ("<ul class=\"reasons\">" + "".join(f"<li>{_e(r)}</li>" for r in data["reasons"])
               + "</ul>") if data["reasons"] else ""
    body = "".join([
        f'<h1 id="headline" class="{cls}">sctb regress: {status}</h1>',
        (f'<p class="meta">{_e(data["generated"])} &middot; seed {data["seed"]} &middot; '
         f'{data["seconds"]:.1f} s &middot; Python {_e(data["python"])}<br>'
         f'<code>{_e(data["command"])}</code></p>'),
        reasons,
        _golden_html(data), _rtl_html(data), _coverage_html(data), _failures_html(data),
        _throughput_html(data), _accuracy_html(data, plot_png),
    ])
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>sctb regress: {status}</title><style>{_CSS}</style></head>"
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
