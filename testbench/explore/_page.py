"""The exploration page: Pareto fronts (accuracy vs latency, throughput vs area), one HTML file."""

from __future__ import annotations

import base64
import datetime
import html
import io
import json
import pathlib
from collections.abc import Sequence
from typing import Any

from ..report.html import PAGE_CSS

__all__ = ["axes_of", "build_page_data", "pareto_front", "write_page"]

_CSS = PAGE_CSS + "tr.front td { background: #eef5ee; }\n"


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point dominates, both coordinates to be minimised.

    Parameters
    ----------
    points : sequence of (float, float)

    Returns
    -------
    list of int
        Indices into ``points``, by increasing first coordinate. A point is dominated when
        another is no worse in both coordinates and better in one; of exact duplicates the first
        is kept.
    """
    order = sorted(range(len(points)), key=lambda i: (points[i][0], points[i][1], i))
    front: list[int] = []
    best = float("inf")
    for i in order:
        if points[i][1] < best:
            front.append(i)
            best = points[i][1]
    return front


def axes_of(records: Sequence[dict], target: str) -> dict[str, Any]:
    """Which figures the fronts use: latency in µs and inferences/s when every point that fits
    has an Fmax, else cycles and inferences per million cycles; LUTs on FPGA targets, else
    cells."""
    fitting = [r for r in records if r.get("status") == "pass" and r.get("fits")]
    timed = bool(fitting) and all(r.get("fmax_mhz") for r in fitting)
    area = "luts" if target != "generic" else "cells"

    def latency(r: dict) -> float:
        return r["latency_us"] if timed else float(r["cycles"]["cycles"])

    def throughput(r: dict) -> float:
        return r["inferences_per_s"] if timed else 1e6 / r["cycles"]["cycles"]

    return {"timed": timed, "area": area,
            "latency_label": "latency (µs at Fmax)" if timed else "latency (cycles)",
            "throughput_label": ("throughput (inferences/s at Fmax)" if timed
                                 else "throughput (inferences per 10^6 cycles)"),
            "area_label": {"luts": "area (LUT4 cells)", "cells": "area (yosys cells)"}[area],
            "latency": latency, "throughput": throughput}


def build_page_data(spec: Any, records: Sequence[dict], summary: dict) -> dict:
    """JSON-ready contents of the page: every point, both fronts (as point keys), the emulator
    cross-checks and the run summary."""
    ax = axes_of(records, spec.target)
    usable = [r for r in records if r.get("status") == "pass" and r.get("fits")
              and (not ax["timed"] or r.get("fmax_mhz"))]
    lat = [(ax["latency"](r), r["accuracy"]["rmse"]) for r in usable]
    thr = [(float(r["area"][ax["area"]]), -ax["throughput"](r)) for r in usable]
    usable_keys = {r["key"] for r in usable}
    rows = []
    for r in records:
        row = {"key": r["key"], "status": r["status"], "params": r["params"]}
        for k in ("hw", "accuracy", "cycles", "fits", "fit_note", "area", "fmax_mhz",
                  "latency_us", "inferences_per_s", "emu", "detail", "synth", "replay"):
            if k in r:
                row[k] = r[k]
        if r["key"] in usable_keys:
            row["latency"] = ax["latency"](r)
            row["throughput"] = ax["throughput"](r)
        rows.append(row)
    design = next((r["design"] for r in records if "design" in r), None)
    return {
        "name": spec.name, "top": spec.top, "target": spec.target, "fmax": spec.fmax,
        "design": design, "workload": spec.workload, "axes": {k: list(v) for k, v in
                                                              spec.axes.items()},
        "timed": ax["timed"], "area_metric": ax["area"],
        "labels": {k: ax[k] for k in ("latency_label", "throughput_label", "area_label")},
        "points": rows,
        "front_latency": [usable[i]["key"] for i in pareto_front(lat)],
        "front_area": [usable[i]["key"] for i in pareto_front(thr)],
        "emu_checked": [r["key"] for r in records if "emu" in r],
        "summary": summary,
        "generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def _png(data: dict, which: str) -> str:
    import matplotlib.style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    pts = {p["key"]: p for p in data["points"] if "latency" in p}
    front = [pts[k] for k in data[f"front_{which}"]]
    if which == "latency":
        xy = lambda p: (p["latency"], p["accuracy"]["rmse"])  # noqa: E731
        xlabel, ylabel = data["labels"]["latency_label"], "RMSE of sc_forward vs W @ p"
        title = "accuracy vs latency (lower left is better)"
    else:
        xy = lambda p: (p["area"][data["area_metric"]], p["throughput"])  # noqa: E731
        xlabel, ylabel = data["labels"]["area_label"], data["labels"]["throughput_label"]
        title = "throughput vs area (upper left is better)"
    with matplotlib.style.context("default"):
        fig = Figure(figsize=(7.5, 4.6), dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        allx, ally = zip(*(xy(p) for p in pts.values())) if pts else ((), ())
        ax.scatter(allx, ally, s=18, color="0.6", label=f"{len(pts)} points")
        if front:
            fx, fy = zip(*(xy(p) for p in front))
            ax.step(fx, fy, where="post", color="tab:red", linewidth=1.2)
            ax.scatter(fx, fy, s=40, color="tab:red", zorder=3,
                       label=f"Pareto front ({len(front)} points)")
            for p, x, y in zip(front, fx, fy):
                hw = p["hw"]
                ax.annotate(f"{hw['N_IN']}x{hw['N_OUT']} W{hw['W']} L{p['params']['length']}",
                            (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode()


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _num(x: Any, fmt: str = "{:.4g}") -> str:
    return "—" if x is None else fmt.format(x)


def _point_cells(p: dict) -> list[str]:
    hw, area = p.get("hw", {}), p.get("area") or {}
    return [str(hw.get("N_IN", "")), str(hw.get("N_OUT", "")), str(hw.get("W", "")),
            str(p["params"]["length"]),
            _num(p.get("accuracy", {}).get("rmse")), str(p.get("cycles", {}).get("cycles", "")),
            _num(p.get("fmax_mhz"), "{:.2f}"), _num(p.get("latency_us")),
            _num(p.get("inferences_per_s"), "{:.4g}"), str(area.get("luts", "—")),
            str(area.get("cells", "—")), str(area.get("flip_flops", "—"))]


_HEAD = ["N_IN", "N_OUT", "W", "L", "RMSE", "cycles", "Fmax MHz", "latency µs", "inferences/s",
         "LUT4", "cells", "FFs"]


def _table(tid: str, rows: list[dict], cls: dict[str, str] | None = None) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in _HEAD + ["point"])
    body = []
    for p in rows:
        c = (cls or {}).get(p["key"], "")
        cells = "".join(f'<td class="num">{_e(v)}</td>' for v in _point_cells(p))
        note = p.get("fit_note") or p.get("detail") or ""
        body.append(f'<tr class="{c}" data-key="{_e(p["key"])}">{cells}'
                    f"<td><code>{_e(p['key'])}</code>{(' ' + _e(note)) if note else ''}</td></tr>")
    return (f'<table id="{tid}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}'
            "</tbody></table>")


def write_page(out: pathlib.Path, data: dict) -> pathlib.Path:
    """Write ``index.html`` (self-contained: inline CSS and PNGs, no script) and
    ``explore.json`` into ``out``; return the page's path."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "explore.json").write_text(json.dumps(data, indent=2))
    by_key = {p["key"]: p for p in data["points"]}
    failed = [p for p in data["points"] if p["status"] != "pass"]
    ok = not failed and data["summary"].get("ok", False)
    head = f"sctb explore: {data['name']}: {'OK' if ok else 'FAILED'}"
    fronts = {k: "front" for k in set(data["front_latency"]) | set(data["front_area"])}
    fronts.update({p["key"]: "bad" for p in failed})
    emu_rows = "".join(
        f'<tr class="{"" if p["emu"]["agrees"] else "bad"}"><td><code>{_e(p["key"])}</code></td>'
        f'<td class="num">{p["cycles"]["cycles"]}</td><td class="num">{p["emu"]["cycles"]}</td>'
        f'<td>{"yes" if p["emu"]["matches_golden"] else "NO"}</td>'
        f'<td>{"yes" if p["emu"]["agrees"] else "NO"}</td></tr>'
        for p in (by_key[k] for k in data["emu_checked"]))
    timed = data["timed"]
    plots = {w: _png(data, w) for w in ("latency", "area")}
    s = data["summary"]
    parts = [
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<title>{_e(head)}</title><style>{_CSS}</style></head><body>",
        f'<h1 id="headline" class="{"pass" if ok else "fail"}">{_e(head)}</h1>',
        f'<p class="meta">{len(data["points"])} points ({s.get("finished", "?")} with a result), '
        f'wall {s.get("wall_s", 0):.1f} s on {s.get("ranks", 1)} rank(s); generated '
        f'{_e(data["generated"])}</p>',
        f'<p id="design">{_e(data["design"] or "design: unknown")}; top '
        f'<code>{_e(data["top"])}</code>, target {_e(data["target"])}'
        f'{", Fmax by nextpnr" if data["fmax"] else ", no Fmax"}</p>',
        "<h2>What the figures are</h2><ul>",
        "<li><b>RMSE</b> (model: golden <code>sc_forward</code>, bit-true to the RTL): error of "
        f"the layer's outputs against the exact <code>W @ p</code> over {data['workload']} input "
        "vectors; it depends on L and the layer only (every core shape computes the same counts)."
        "</li><li><b>cycles</b> (model: docs/microarchitecture.md): tiles x (1 + N_IN + "
        "ceil(L/W) + N_OUT), cross-checked on the cycle-exact emulator for the points below.</li>"
        "<li><b>LUT4, cells, FFs</b> (measured: yosys) of the core alone; <b>Fmax</b> "
        "(measured: nextpnr-ice40 place and route of the core in a shift-register wrapper) of an "
        "FPGA, not of an ASIC clock. latency = cycles / Fmax, throughput = Fmax / cycles.</li>"
        "</ul>",
        f'<h2>Accuracy vs latency</h2><img id="plot-latency" class="plot" alt="accuracy vs '
        f'latency" src="data:image/png;base64,{plots["latency"]}">',
        f"<p>Pareto front: {len(data['front_latency'])} points no other point beats on both "
        f"RMSE and {_e(data['labels']['latency_label'])}.</p>",
        _table("front-latency", [by_key[k] for k in data["front_latency"]]),
        f'<h2>Throughput vs area</h2><img id="plot-area" class="plot" alt="throughput vs area" '
        f'src="data:image/png;base64,{plots["area"]}">',
        f"<p>Pareto front: {len(data['front_area'])} points no other point beats on both "
        f"{_e(data['labels']['throughput_label'])} and {_e(data['labels']['area_label'])}.</p>",
        _table("front-area", [by_key[k] for k in data["front_area"]]),
        "<h2>Cycle formula against the emulator</h2>",
        ('<table id="emu-check"><thead><tr><th>point</th><th>formula</th><th>emulator</th>'
         f"<th>counts match golden</th><th>agrees</th></tr></thead><tbody>{emu_rows}</tbody>"
         "</table>") if emu_rows else '<p id="emu-check">Not applicable: no point was sampled '
        "(explore.emu_sample = 0, or every point is longer than the emulator's limit).</p>",
        "<h2>All points</h2>" + ("" if timed else "<p>No Fmax: latency and throughput are "
                                 "given in cycles.</p>"),
        _table("points", data["points"], fronts),
        "</body></html>",
    ]
    index = out / "index.html"
    index.write_text("\n".join(parts))
    return index
