"""Rich tables shared by the CLI commands."""

from __future__ import annotations

from rich.table import Table

from ..compare import CompareRow

__all__ = ["bench_tables", "compare_table"]


def compare_table(rows: list[CompareRow], title: str = "sctb compare") -> Table:
    table = Table(title=title)
    numeric = ("cases", "mismatches", "seconds")
    for col in ("backend", "cases", "mismatches", "seconds", "status"):
        table.add_column(col, justify="right" if col in numeric else "left")
    for r in rows:
        if r.skipped:
            status = f"[yellow]skipped[/yellow]: {r.skipped}"
        elif r.ok:
            status = "[green]bit-identical[/green]"
        else:
            status = f"[red]MISMATCH[/red] {r.first_mismatch}"
        table.add_row(r.backend, str(r.cases), str(r.mismatches), f"{r.seconds:.3f}", status)
    return table


def _ratio(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}x"


def _rooflines_table(report: dict) -> Table:
    t = Table(title=(f"measured rooflines ({report['cores']} cores, golden.get_threads() = "
                     f"{report['threads']})"),
              caption=f"best of repeated runs; load average {report['load_average_1min']:.2f}")
    for col in ("roofline", "figure", "how"):
        t.add_column(col, justify="right" if col == "figure" else "left")
    for wl in report["workloads"]:
        rd = wl["read"]
        t.add_row(f"read {wl['name']} weights ({rd['bytes'] / 2**20:.1f} MiB)",
                  f"{rd['GBps']:.1f} GB/s", f"{rd['method']}, {rd['threads']} thread(s): "
                  f"{rd['seconds'] * 1e3:.3f} ms")
    comp = report["compute"]
    if "not_applicable" in comp:
        t.add_row("AND + popcount peak", "-", f"not applicable: {comp['not_applicable']}")
    else:
        t.add_row("AND + popcount peak", f"{comp['words_per_s'] / 1e9:.2f} Gword/s",
                  f"{comp['isa']} ({comp['features']}), {comp['threads']} thread(s), L1-resident")
        for path, rate in comp["paths"].items():
            if path != comp["isa"]:
                t.add_row(f"  on the {path} path", f"{rate / 1e9:.2f} Gword/s", "")
    return t


def _goal_tables(report: dict) -> list[Table]:
    tables = []
    if report.get("batch"):
        t = Table(title="batch: sc_counts_batch of 256 input vectors on W1 (compute bound)")
        for col in ("backend", "ms", "Gword/s", "/ compute roofline"):
            t.add_column(col, justify="left" if col == "backend" else "right")
        for r in report["batch"]:
            frac = r["vs_compute_roofline"]
            t.add_row(r["backend"], f"{r['seconds'] * 1e3:.2f}", f"{r['words_per_s'] / 1e9:.2f}",
                      "-" if frac is None else f"{frac:.0%}")
        tables.append(t)
    if report.get("busy_core"):
        t = Table(title=f"{report['busy_core']['workload']} with one core kept busy")
        for col in ("backend", "quiet ms", "busy ms", "busy / quiet"):
            t.add_column(col, justify="left" if col == "backend" else "right")
        for r in report["busy_core"]["results"]:
            t.add_row(r["backend"], f"{r['quiet_s'] * 1e3:.3f}", f"{r['busy_s'] * 1e3:.3f}",
                      _ratio(r["busy_vs_quiet"]))
        tables.append(t)
    if report.get("jax_copy"):
        j = report["jax_copy"]
        t = Table(title=f"jax on {j['workload']}: host weights vs device-resident")
        for col in ("host (encode_weights) ms", "resident ms", "misaligned host ms",
                    "host / resident"):
            t.add_column(col, justify="right")
        t.add_row(f"{j['host_s'] * 1e3:.2f}", f"{j['resident_s'] * 1e3:.2f}",
                  f"{j['misaligned_s'] * 1e3:.2f}", _ratio(j["host_vs_resident"]))
        tables.append(t)
    if report.get("goals"):
        t = Table(title="goals (issue 18), measured in this run")
        for col in ("goal", "measured", "verdict", "note"):
            t.add_column(col, justify="right" if col == "measured" else "left")
        for g in report["goals"]:
            verdict = {True: "[green]PASS[/green]", False: "[red]FAIL[/red]",
                       None: "[yellow]n/a[/yellow]"}[g["passed"]]
            t.add_row(g["goal"], "-" if g["measured"] is None else f"{g['measured']:.2f}",
                      verdict, g["note"])
        tables.append(t)
    return tables


def bench_tables(report: dict) -> list[Table]:
    tables = [_rooflines_table(report)]
    for wl in report["workloads"]:
        t = Table(title=(f"{wl['name']}: {wl['n_out']} out x {wl['n_in']} in, L={wl['length']} "
                         f"({wl['weight_bytes'] / 2**20:.1f} MiB of weights; read roofline "
                         f"{wl['roofline_s'] * 1e3:.3f} ms at {wl['read']['GBps']:.1f} GB/s, "
                         "all cores)"),
                  caption=f"best of repeated calls; load average {report['load_average_1min']:.2f}")
        for col in ("backend", "best ms", "speed-up vs numpy", "speed-up vs upstream",
                    "time / roofline"):
            t.add_column(col, justify="left" if col == "backend" else "right")
        for r in wl["results"]:
            t.add_row(r["backend"], f"{r['seconds'] * 1e3:.3f}", _ratio(r["vs_numpy"]),
                      _ratio(r["vs_upstream"]), _ratio(r["vs_roofline"]))
        tables.append(t)
    if report["encoder"]:
        t = Table(title="encoder alone (encode_inputs)")
        for col in ("backend", "streams x bits", "ms", "Gbit/s"):
            t.add_column(col, justify="left" if col == "backend" else "right")
        for r in report["encoder"]:
            t.add_row(r["backend"], f"{r['n_in']} x {r['length']}", f"{r['seconds'] * 1e3:.2f}",
                      f"{r['bits_per_s'] / 1e9:.2f}")
        tables.append(t)
    if report.get("neuron"):
        first = report["neuron"][0]
        t = Table(title=(f"neuron: lif_run, {first['steps']} steps x {first['neurons']} Q8.8 LIF "
                         f"neurons (bit-identical to NumPy, checked)"))
        for col in ("model", "ms", "speed-up vs numpy"):
            t.add_column(col, justify="left" if col == "model" else "right")
        for r in report["neuron"]:
            t.add_row(r["model"], f"{r['seconds'] * 1e3:.2f}", _ratio(r["vs_numpy"]))
        tables.append(t)
    tables.extend(_goal_tables(report))
    if "sweep" in report:
        sw = report["sweep"]
        t = Table(title=f"sweep: {sw['points']} CPU-bound points, 1 rank vs {sw['ranks']} ranks")
        for col in ("1 rank s", f"{sw['ranks']} ranks s", "speed-up", "identical results"):
            t.add_column(col, justify="right")
        t.add_row(f"{sw['one_rank_s']:.2f}", f"{sw['n_ranks_s']:.2f}", f"{sw['speedup']:.2f}x",
                  "yes" if sw["identical"] else "[red]NO[/red]")
        tables.append(t)
    if report["skipped"]:
        t = Table(title="not measured")
        t.add_column("backend")
        t.add_column("why")
        for name, why in report["skipped"].items():
            t.add_row(name, why)
        tables.append(t)
    return tables
