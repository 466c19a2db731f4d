"""Fmax: the core in a shift-register wrapper, placed and routed by nextpnr-ice40."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..eda import ToolError, run_tool
from ._common import DEVICES, SynthInputError, _stat, _yosys

__all__ = ["TARGET_MHZ", "WRAPPER_TOP", "fmax_wrapper", "nextpnr_failure", "place_and_route"]

#: The wrapper's module name, and the clock nextpnr is asked to meet (MHz; it reports the Fmax it
#: reached either way: ``--timing-allow-fail``).
WRAPPER_TOP = "sctb_fmax_wrap"
TARGET_MHZ = 40.0
_CLOCK_NAMES = re.compile(r"^(i_)?(clk|clock|aclk|clk_i|clk_in)$", re.I)


def _ports(core_json: Path, top: str) -> list[tuple[str, str, int]]:
    doc = json.loads(core_json.read_text())
    mod = doc["modules"].get(top)
    if mod is None:
        raise ToolError(f"{core_json}: the synthesized netlist has no module {top!r}")
    return [(name, p["direction"], len(p["bits"])) for name, p in mod["ports"].items()]


def fmax_wrapper(top: str, ports: list[tuple[str, str, int]]) -> str:
    """Verilog of the place-and-route wrapper around ``top`` (already synthesized).

    An ice40 package has far fewer pins than a core has port bits, so the wrapper has four:
    ``clk`` (the core's clock), ``sin``, ``ld`` and ``sout``. Every other core input is a bit of
    one shift register fed from ``sin`` (one bit per clock); every core output is captured in a
    second register when ``ld`` is high and shifted out to ``sout`` otherwise. So every path of the
    core starts and ends at a flip-flop, and none is optimised away.

    Parameters
    ----------
    top : str
        The core's module name.
    ports : list of (name, direction, width)
        Its ports; exactly one 1-bit input must be a clock (``clk``, ``clock``, ``clk_i`` ...).

    Raises
    ------
    SynthInputError
        No clock input, several, an ``inout`` port, or no output.
    """
    clocks = [n for n, d, w in ports if d == "input" and w == 1 and _CLOCK_NAMES.match(n)]
    if len(clocks) != 1:
        raise SynthInputError(f"--fmax: top {top} needs exactly one clock input named clk, "
                              f"clock or clk_i; found {clocks or 'none'}")
    if any(d not in ("input", "output") for _, d, _ in ports):
        raise SynthInputError(f"--fmax: top {top} has an inout port; the wrapper supports "
                              "inputs and outputs only")
    ins = [(n, w) for n, d, w in ports if d == "input" and n != clocks[0]]
    outs = [(n, w) for n, d, w in ports if d == "output"]
    if not outs:
        raise SynthInputError(f"--fmax: top {top} has no output: there is no path to time")
    n_in = max(1, sum(w for _, w in ins))
    n_out = sum(w for _, w in outs)
    conns = [f"    .{clocks[0]}(clk)"]
    pos = 0
    for name, w in ins:
        conns.append(f"    .{name}(sr_in[{pos + w - 1}:{pos}])")
        pos += w
    pos = 0
    for name, w in outs:
        conns.append(f"    .{name}(core_out[{pos + w - 1}:{pos}])")
        pos += w
    body = ",\n".join(conns)
    return f"""// sctb synth --fmax: {top} between two shift registers (testbench/synth.py).
module {WRAPPER_TOP} (input wire clk, input wire sin, input wire ld, output wire sout);
  reg [{n_in - 1}:0] sr_in = 0;
  reg [{n_out - 1}:0] sr_out = 0;
  wire [{n_out - 1}:0] core_out;
  always @(posedge clk) sr_in <= {{sr_in, sin}};
  always @(posedge clk) sr_out <= ld ? core_out : {{sr_out, 1'b0}};
  assign sout = sr_out[{n_out - 1}];
  {top} u_core (
{body}
  );
endmodule
"""


def _stub(top: str, ports: list[tuple[str, str, int]]) -> str:
    decl = ", ".join(f"{d} wire [{w - 1}:0] {n}" for n, d, w in ports)
    return f"(* blackbox *)\nmodule {top} ({decl});\nendmodule\n"


_FMAX = re.compile(r"Max frequency for clock\s+'([^']+)':\s*([0-9.]+)\s*MHz")
_UTIL = re.compile(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+(\d+)%", re.M)


def _cells_needed(cells: dict[str, int]) -> int:
    """A lower bound of the logic cells a netlist needs: an iCE40 logic cell holds one LUT4, one
    carry and one flip-flop."""
    return max(sum(v for k, v in cells.items() if "LUT" in k),
               sum(v for k, v in cells.items() if "CARRY" in k),
               sum(v for k, v in cells.items() if "DFF" in k))


def place_and_route(target: str, core_json: Path, top: str, work: Path, timeout: float,
                    core_cells: dict[str, int]) -> tuple[float, dict[str, Any], dict[str, float]]:
    """Wrap the mapped core (``core_json``), place and route it; Fmax, details, tool seconds.

    Raises
    ------
    SynthInputError
        The core alone, or in its wrapper, needs more logic cells than the device has, or
        nextpnr cannot place it ("does not fit").
    ToolError
        yosys or nextpnr failed.
    """
    tool, options, device, lcs = DEVICES[target]  # type: ignore[misc]
    if _cells_needed(core_cells) > lcs:
        raise SynthInputError(f"does not fit: {top} alone needs at least "
                              f"{_cells_needed(core_cells)} logic cells, the {device} has {lcs}")
    ports = _ports(core_json, top)
    doc = json.loads(core_json.read_text())  # the core alone (no cell library, no ABC9 boxes)
    doc["modules"] = {top: doc["modules"][top]}
    (work / "core_only.json").write_text(json.dumps(doc))
    (work / "wrap.v").write_text(fmax_wrapper(top, ports))
    (work / "stub.v").write_text(_stub(top, ports))
    # The wrapper is mapped around a black box of the core, then the core's own mapped netlist
    # (core.json, whose figures are reported) takes the black box's place: nextpnr places exactly
    # the netlist that was counted, and yosys does not re-map it.
    _, t_wrap = _yosys(["read_verilog wrap.v", "read_verilog -lib stub.v",
                        f"synth_ice40 -top {WRAPPER_TOP}", f"delete ={top}",
                        "read_json core_only.json",
                        f"hierarchy -top {WRAPPER_TOP}", "flatten", "opt_clean",
                        "tee -q -o wrap_stat.json stat -json", "write_json wrap.json"],
                       work, "wrap", timeout)
    wrap_cells = _stat(work / "wrap_stat.json", WRAPPER_TOP)
    need = _cells_needed(wrap_cells)
    if need > lcs:
        raise SynthInputError(f"does not fit: {top} in its wrapper needs at least {need} logic "
                              f"cells, the {device} has {lcs}")
    argv = [tool, *options, "--json", "wrap.json", "--freq", f"{TARGET_MHZ:g}",
            "--timing-allow-fail", "--seed", "1"]
    run = run_tool(argv, cwd=work, timeout=timeout)
    text = run.stdout + run.stderr
    (work / "nextpnr.log").write_text(text)
    if run.returncode != 0:
        raise nextpnr_failure(text, run.returncode, top, device, tool)
    found = _FMAX.findall(text)
    if not found:
        raise ToolError(f"{tool} printed no maximum frequency (log: {work / 'nextpnr.log'})")
    fmax = float(found[-1][1])  # nextpnr reports after placement, then after routing: the last
    util = {m[0]: {"used": int(m[1]), "available": int(m[2])} for m in _UTIL.findall(text)}
    info = {"device": device, "tool": tool, "options": list(options),
            "target_mhz": TARGET_MHZ, "seed": 1, "wrapper": (
                f"{WRAPPER_TOP}: pins clk, sin, ld, sout; every core input (but the clock) from "
                "one shift register fed by sin, every core output captured into a second one "
                "(ld) shifted out to sout"),
            "wrapper_cells": wrap_cells, "utilisation": util,
            "critical_path": _critical_path(text)}
    return fmax, info, {"yosys_wrapper": t_wrap, "nextpnr": run.seconds}


def nextpnr_failure(text: str, returncode: int, top: str, device: str, tool: str
                    ) -> SynthInputError | ToolError:
    """What a failed nextpnr run means: "does not fit" when its utilisation report shows a
    resource over the device's count (nextpnr packs more cells than the lower bound checked
    before) or its error says it could not place; a ToolError otherwise."""
    errors = [ln.strip() for ln in text.splitlines() if "ERROR" in ln]
    first = errors[0] if errors else (text.strip().splitlines() or ["no output"])[-1]
    over = [(kind, int(used), int(avail)) for kind, used, avail, _ in _UTIL.findall(text)
            if int(used) > int(avail)]
    if over:
        kind, used, avail = over[0]
        return SynthInputError(f"does not fit: {top} in its wrapper packs into {used} {kind} "
                               f"(nextpnr), the {device} has {avail}")
    if re.search(r"(too many|Unable to (place|find a placement)|overuse|exceed|Failed to "
                 r"expand region)", first, re.I):
        return SynthInputError(f"does not fit: nextpnr could not place {top} on the {device}: "
                               f"{first}")
    return ToolError(f"{tool} failed with exit status {returncode}: {first}")


def _critical_path(text: str) -> dict[str, Any]:
    """Start and end cell of nextpnr's first critical path report, and its delay split."""
    parts = text.split("Critical path report for clock", 1)
    if len(parts) < 2:
        return {}
    block = []
    for line in parts[1].splitlines()[1:]:
        block.append(line)
        if "ns logic" in line:
            break
    cells = [m.group(1) for ln in block if (m := re.search(r"(?:Source|Sink)\s+(\S+)", ln))]
    summary = next((re.sub(r"^Info:\s*", "", ln).strip() for ln in block if "ns logic" in ln),
                   "")

    def short(cell: str) -> str:
        return cell if len(cell) <= 60 else cell[:57] + "..."

    return {"from": short(cells[0]) if cells else None,
            "to": short(cells[-1]) if cells else None, "delay": summary}


