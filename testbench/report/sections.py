"""The sections of the regression report's page, one HTML fragment each (from report.json data)."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from typing import Any

__all__ = ["accuracy_html", "code_coverage_html", "coverage_html", "design_html", "e",
           "failures_html", "golden_html", "prove_html", "rtl_html", "throughput_html"]


def e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float | None, fmt: str = "{:,}") -> str:
    return "-" if value is None else e(fmt.format(value))


def _table(headers: Sequence[str], rows: Sequence[str], table_id: str) -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    return (f'<table id="{table_id}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def golden_html(data: dict) -> str:
    rows = []
    for r in data["golden"]:
        if r["skipped"]:
            status = f'<span class="skip">skipped: {e(r["skipped"])}</span>'
        elif r["ok"]:
            status = '<span class="ok">bit-identical</span>'
        else:
            status = f'<span class="bad">MISMATCH</span> {e(r["first_mismatch"])}'
        cls = ' class="bad"' if not r["skipped"] and not r["ok"] else ""
        rows.append(f'<tr{cls}><td>{e(r["backend"])}</td><td class="num">{r["cases"]}</td>'
                    f'<td class="num">{r["mismatches"]}</td>'
                    f'<td class="num">{r["seconds"]:.3f}</td><td>{status}</td></tr>')
    return ("<h2>Golden comparison</h2><p>Every available backend against the NumPy floor, bit "
            "for bit.</p>" + _table(("backend", "cases", "mismatches", "seconds", "status"),
                                    rows, "golden"))


def rtl_html(data: dict) -> str:
    if not data["rtl_ran"]:
        return "<h2>RTL suites</h2><p>Not run (<code>--no-rtl</code>).</p>"
    rows = []
    na = []
    for r in data["rtl"]:
        if r.get("not_applicable") is not None:
            na.append(f'<li><code>{e(r["suite"])}</code> on {e(r["sim"])} ({e(r["family"])} '
                      f'suite): not applicable: {e(r["not_applicable"])}</li>')
            continue
        cls = "" if r["ok"] else ' class="bad"'
        ok = '<span class="ok">yes</span>' if r["ok"] else '<span class="bad">NO</span>'
        rows.append(
            f'<tr{cls}><td>{e(r["suite"])}</td><td>{e(r["sim"])}</td>'
            f'<td class="num">{r["tests"]}</td><td class="num">{r["passed"]}</td>'
            f'<td class="num">{r["failed"]}</td><td class="num">{r["skipped"]}</td>'
            f'<td class="num">{_num(r["transactions"])}</td>'
            f'<td class="num">{_num(r["bit_products"])}</td>'
            f'<td class="num">{r["seconds"]:.1f}</td><td class="num">{r["build_seconds"]:.1f}</td>'
            f"<td>{ok}</td></tr>")
    junit = (f'<p>Merged JUnit results: <a id="junit" href="{e(data["junit"])}">'
             f'{e(data["junit"])}</a></p>' if data["junit"] else "")
    return ("<h2>RTL suites x simulators</h2><p>bit-products: n_out x n_in x length of every "
            "verified transaction; seconds: the whole run, build included.</p>"
            + _table(("suite", "sim", "tests", "pass", "fail", "skip", "transactions",
                      "verified bit-products", "seconds", "build seconds", "ok"), rows, "rtl")
            + (f'<p>Not applicable to this design (nothing ran, not counted as passed):</p>'
               f'<ul id="not-applicable">{"".join(na)}</ul>' if na else "")
            + junit)


def design_html(data: dict) -> str:
    d = data.get("design")
    if not d:
        return ""
    kind = "the bundled reference RTL" if d["reference"] else "a user design"
    rows = [f'<tr><td><code>{e(f["path"])}</code></td><td class="num">{f["bytes"]:,}</td>'
            f'<td><code>{e(f["sha256"])}</code></td></tr>' for f in d["files"]]
    return (f'<h2>Design under test</h2><p id="design"><b>{e(d["name"])}</b> ({kind}), '
            f'described by <code>{e(d["source"])}</code>; digest <code>{e(d["digest"])}'
            f'</code></p>' + _table(("file", "bytes", "SHA-256"), rows, "design-files"))


def coverage_html(data: dict) -> str:
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
            chips.append(f'<span class="{cls}" title="{e(name + req)}">{e(b)} '
                         f"<b>{hits}</b></span>")
        cls = ' class="bad"' if any(f"{point}:{b}" in holes for b in bins) else ""
        rows.append(f"<tr{cls}><td>{e(point)}</td><td>{''.join(chips)}</td></tr>")
    note = (f'<p><span class="bad">Required bins with no hit:</span> '
            f'{e(", ".join(sorted(holes)))}</p>' if holes else
            '<p><span class="ok">Every required bin was hit.</span> Empty bins that are not '
            "required are grey.</p>")
    return (head + "<p>Hits per bin, summed over every run that recorded coverage. Red: a "
            "required bin that stayed empty.</p>" + note
            + _table(("cover point", "bins (hits)"), rows, "coverage"))


def failures_html(data: dict) -> str:
    head = f'<h2>Failures ({len(data["failures"])})</h2>'
    if not data["failures"]:
        return head + '<p id="no-failures"><span class="ok">None.</span></p>'
    blocks = []
    for f in data["failures"]:
        if f["waves"]:
            note = f' <span class="skip">({e(f["waves_note"])})</span>' if f["waves_note"] else ""
            waves = f'<a class="waves" href="{e(f["waves"])}">{e(f["waves"])}</a>{note}'
        else:
            waves = f'<span class="nowaves">none: {e(f["waves_note"])}</span>'
        blocks.append(
            f'<div class="failure"><h3>{e(f["suite"])} / {e(f["sim"])} / {e(f["test"])}</h3>'
            f'<pre class="message">{e(f["message"])}</pre>'
            f'<p>replay: <code class="replay">{e(f["replay"])}</code></p>'
            f"<p>wave file: {waves}</p></div>")
    return head + "".join(blocks)


def throughput_html(data: dict) -> str:
    rows = []
    for r in data["rtl"]:
        if not r["bit_products"]:
            continue
        tp = r["throughput_test_bit_products_per_s"]
        rows.append(f'<tr><td>{e(r["suite"])}</td><td>{e(r["sim"])}</td>'
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


def accuracy_html(data: dict, plot_png: bytes | None) -> str:
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
        f"<code>{e(acc['backend'])}</code>: RMSE of <code>sc_forward</code> (counts / length, "
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


def prove_html(data: dict) -> str:
    """The formal proofs of ``sctb regress --prove`` (empty when they did not run)."""
    doc = data.get("prove")
    if not doc:
        return ""
    rows = []
    for p in doc["proofs"]:
        ok = p["status"] == "PASS"
        cls = "" if ok or p["status"] == "N/A" else ' class="bad"'
        mark = "ok" if ok else "skip" if p["status"] == "N/A" else "bad"
        method = "k-induction" if p["mode"] == "prove" else f"BMC depth {p['depth']}"
        cex = (f"<br>counterexample: <code>{e(p['trace'])}</code>" if p.get("trace") else "")
        rows.append(f'<tr{cls}><td>{e(p["name"])}</td><td>{e(p["scope"])}</td>'
                    f'<td>{e(method)}</td><td><span class="{mark}">{e(p["status"])}</span></td>'
                    f'<td class="num">{p["seconds"]:.1f}</td><td>{e(p["detail"])}{cex}</td></tr>')
    return ("<h2>Formal proofs</h2><p>SymbiYosys proofs of the design's blocks and of sc_dense's "
            "ports (docs/formal.md).</p>"
            + _table(("proof", "scope", "method", "status", "seconds", "detail"), rows, "prove"))


def _cov_cell(t: dict | None) -> str:
    if not t or t.get("percent") is None:
        return '<td class="num">-</td>'
    waived = f', {t["waived"]} waived' if t["waived"] else ""
    cls = "ok" if t["missed"] == 0 else "bad"
    return (f'<td class="num"><span class="{cls}">{t["percent"]:.1f}%</span> '
            f'({t["hit"]}/{t["total"] - t["waived"]}{waived})</td>')


def code_coverage_html(data: dict) -> str:
    """Line, branch and toggle coverage per module, the missed lines annotated in their source,
    the never-toggled signals and the waived points with their reasons."""
    cc = data.get("code_coverage")
    if cc is None:
        return ""
    head = "<h2>Code coverage</h2>"
    if not cc.get("available"):
        notes = "".join(f"<li>{e(n)}</li>" for n in cc.get("notes", []))
        return (head + '<p id="code-coverage-na"><span class="skip">Not applicable</span>: no '
                "run recorded code coverage (Verilator runs do; Icarus Verilog has no coverage "
                f"instrumentation).</p><ul>{notes}</ul>")
    kinds = [k for k in ("line", "branch", "toggle", "expr") if k in cc["total"]]
    rows = [f'<tr><td><b>all</b></td>{"".join(_cov_cell(cc["total"].get(k)) for k in kinds)}'
            "</tr>"]
    rows += [f'<tr><td>{e(m)}</td>{"".join(_cov_cell(d.get(k)) for k in kinds)}</tr>'
             for m, d in cc["modules"].items()]
    parts = [head, f"<p>{cc['runs']} Verilator runs merged; instances of a module merged (a "
             "point is hit when any instance hit it); percentages after waivers.</p>",
             _table(("module", *kinds), rows, "code-coverage")]
    for f, src in cc.get("annotated", {}).items():
        lines = []
        for r in src:
            if r.get("gap"):
                lines.append('<tr class="gap"><td></td><td>...</td></tr>')
                continue
            tip = f' title="{e(r["reason"])}"' if r.get("reason") else ""
            lines.append(f'<tr class="{e(r["status"])}"{tip}><td class="num">{r["line"]}</td>'
                         f'<td>{e(r["text"])}</td></tr>')
        parts.append(f"<h3>{e(f)}</h3><table class=\"src\">{''.join(lines)}</table>")
    if cc.get("never_toggled"):
        items = "".join(f"<li>{e(m)}: <code>{e(', '.join(sigs))}</code></li>"
                        for m, sigs in cc["never_toggled"].items())
        parts.append(f'<p>Never toggled (not waived):</p><ul id="never-toggled">{items}</ul>')
    if cc.get("waived"):
        items = "".join(f'<li>{e(p["module"])} {e(p["kind"])} <code>{e(p["name"])}</code> '
                        f'line {p["line"]}: {e(p["reason"])}</li>' for p in cc["waived"])
        parts.append(f'<p>Waived (cannot be covered by design; not counted):</p>'
                     f'<ul id="waived">{items}</ul>')
    if cc.get("unused_waivers"):
        items = "".join(f'<li>{e(w["where"])}: {e(w["kind"])} {e(w["module"])} '
                        f'{e(w["pattern"])}</li>' for w in cc["unused_waivers"])
        parts.append(f"<p>Waivers that matched no missed point:</p><ul>{items}</ul>")
    return "".join(parts)
