"""What a simulator build is made of: the RTL sources, the build flags and the cache key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from .suites import Suite

__all__ = ["BUILD_FLAGS", "HDL_DIR", "ROOT", "RTL_DIR", "TIMESCALE", "build_flags", "build_key",
           "rtl_sources"]

ROOT = Path(__file__).resolve().parents[2]
RTL_DIR = ROOT / "rtl_models"
HDL_DIR = ROOT / "testbench" / "hdl"
#: Simulation time unit and precision of every build.
TIMESCALE = ("1ns", "1ps")

BUILD_FLAGS = {
    # Only the test tops are visible to VPI (testbench/hdl/sc_tb.vlt): the runner's
    # --public-flat-rw would keep every RTL net public (a model 25x larger and slower).
    "verilator": ["--no-public-flat-rw", "-O3", "--x-assign", "fast", "--x-initial", "fast"],
    "icarus": [],
}


def rtl_sources(rtl_dir: Path = RTL_DIR) -> list[Path]:
    """The RTL files named in ``rtl_dir/sc.f`` (one path per line, relative to ``rtl_dir``)."""
    rtl_dir = Path(rtl_dir)
    out = []
    for line in (rtl_dir / "sc.f").read_text().splitlines():
        line = line.split("//", 1)[0].strip()
        if line and not line.startswith(("+", "-")):
            out.append((rtl_dir / line).resolve())
    if not out:
        raise ValueError(f"{rtl_dir / 'sc.f'} names no source file")
    return out


def build_flags(suite: Suite, sim: str) -> list[str]:
    """Build flags of ``suite`` on ``sim``: its own override, else :data:`BUILD_FLAGS`."""
    if suite.build_flags is not None and sim in suite.build_flags:
        return list(suite.build_flags[sim])
    return list(BUILD_FLAGS.get(sim, []))


def build_key(suite: Suite, sim: str, sources: Sequence[Path], waves: bool) -> str:
    """16 hex digits hashing the top, parameters, simulator, flags and every source's bytes."""
    h = hashlib.sha256()
    h.update(json.dumps([suite.toplevel, dict(suite.parameters), sim, waves, TIMESCALE,
                         build_flags(suite, sim)], sort_keys=True).encode())
    for src in sources:
        h.update(str(src.name).encode())
        h.update(src.read_bytes())
    return h.hexdigest()[:16]
