"""What a simulator build is made of: the RTL sources, the build flags and the cache key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..design import REFERENCE_RTL, load_design
from .suites import Suite

__all__ = ["BUILD_FLAGS", "COVERAGE_FLAGS", "HDL_DIR", "ROOT", "RTL_DIR", "TIMESCALE",
           "VERILATOR_EXTRAS", "build_flags", "build_key", "rtl_sources"]

ROOT = Path(__file__).resolve().parents[2]
RTL_DIR = REFERENCE_RTL
HDL_DIR = ROOT / "testbench" / "hdl"
#: Simulation time unit and precision of every build.
TIMESCALE = ("1ns", "1ps")

BUILD_FLAGS = {
    # Only the test tops are visible to VPI (testbench/hdl/sc_tb.vlt): the runner's
    # --public-flat-rw would keep every RTL net public (a model 25x larger and slower).
    # --assert: the RTL's named assertions are checked (docs/coverage.md).
    "verilator": ["--no-public-flat-rw", "-O3", "--x-assign", "fast", "--x-initial", "fast",
                  "--assert"],
    "icarus": [],
}

#: C++ compiled into every Verilator build beside cocotb's main (passed to ``verilator`` with
#: the flags, hashed into the build key with the sources): ``sc_tb_threads.cpp`` keeps the
#: simulation single-threaded, so stdio (the harness's ``$fread``) takes no lock per character.
VERILATOR_EXTRAS = (HDL_DIR / "sc_tb_threads.cpp",)

#: Added to a Verilator build for code coverage (``sctb regress --coverage``): line (with
#: branch) and toggle points. Different flags give a different build key, hence its own build.
COVERAGE_FLAGS = ("--coverage-line", "--coverage-toggle")


def rtl_sources(rtl_dir: Path | None = None) -> list[Path]:
    """The sources of a design (:func:`~testbench.design.load_design`; default the reference)."""
    return list(load_design(rtl_dir).files)


def build_flags(suite: Suite, sim: str, coverage: bool = False) -> list[str]:
    """Build flags of ``suite`` on ``sim``: its own override, else :data:`BUILD_FLAGS`; with
    ``coverage`` on Verilator, :data:`COVERAGE_FLAGS` too."""
    if suite.build_flags is not None and sim in suite.build_flags:
        flags = list(suite.build_flags[sim])
    else:
        flags = list(BUILD_FLAGS.get(sim, []))
    if coverage and sim == "verilator":
        flags += COVERAGE_FLAGS
    return flags


def build_key(suite: Suite, sim: str, sources: Sequence[Path], waves: bool, *,
              includes: Sequence[str] = (), defines: Mapping[str, str] | None = None,
              coverage: bool = False) -> str:
    """16 hex digits hashing the top, parameters, simulator, flags, include directories,
    defines and every source's name and bytes."""
    h = hashlib.sha256()
    h.update(json.dumps([suite.toplevel, dict(suite.parameters), sim, waves, TIMESCALE,
                         build_flags(suite, sim, coverage), list(includes), dict(defines or {})],
                        sort_keys=True).encode())
    for src in sources:
        h.update(str(src.name).encode())
        h.update(src.read_bytes())
    return h.hexdigest()[:16]
