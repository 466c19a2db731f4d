"""The RTL suites: a registry of test tops, their parameters and cocotb test modules."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..model import CoreShape
from ..preflight import Requirement
from ..trace import DENSE_LIF_REGS

__all__ = ["CONTRACT", "FAMILIES", "REFERENCE", "SUITES", "WMEM_FILE", "Suite", "get_suite",
           "suites_help"]

#: Suite families. *contract* suites check results bit for bit through the valid/ready
#: handshakes and accept any latency or pipelining; *reference* suites check the reference
#: microarchitecture cycle for cycle, or its sub-modules, and apply to a design only where it
#: provides what they probe.
CONTRACT = "contract"
REFERENCE = "reference"
FAMILIES = (CONTRACT, REFERENCE)
#: What the cycle suites probe inside sc_dense every cycle (testbench/bfm/cycle.py).
_DENSE_REGS = ("state", "idx", "rem", "g_in[0].u_lfsr.r", "g_out[0].acc")
#: What the lockstep tests probe inside sc_dense_lif (testbench/bfm/dense_lif.py): its registers
#: and the core's input 0 LFSR and output 0 accumulator.
_DENSE_LIF_REGS = (*DENSE_LIF_REGS, "u_core.g_in[0].u_lfsr.r", "u_core.g_out[0].acc")
#: Name of the harness's weight file, written by the BFM in the run directory.
WMEM_FILE = "sctb_wmem.dat"


@dataclasses.dataclass(frozen=True)
class Suite:
    """One RTL suite: a test top, its parameters and a cocotb test module.

    Attributes
    ----------
    name : str
        Registry key.
    description : str
        One line for reports.
    toplevel : str
        HDL top module.
    test_module : str
        Dotted name of the cocotb test module.
    hdl : tuple of str
        Test-top files in ``testbench/hdl`` (the RTL comes from ``rtl_models/sc.f``).
    parameters : dict
        Top-level parameters.
    core : CoreShape or None
        The sc_dense shape, for dense suites.
    build_flags : dict or None
        Per simulator, build flags that replace the default ``build.BUILD_FLAGS`` (e.g. the cycle
        suites keep Verilator's ``--public-flat-rw`` so that the RTL registers are visible).
    family : {"contract", "reference"}
        What the suite assumes of the design (see :data:`CONTRACT`, :data:`REFERENCE`).
    requires : Requirement or None
        The modules (at which parameters) and internal names the suite needs from the design.
    tests : tuple of str or None
        The tests of ``test_module`` this suite runs (None: all of them).
    """

    name: str
    description: str
    toplevel: str
    test_module: str
    hdl: tuple[str, ...]
    parameters: Mapping[str, Any]
    core: CoreShape | None = None
    build_flags: Mapping[str, tuple[str, ...]] | None = None
    family: str = CONTRACT
    requires: Requirement | None = None
    tests: tuple[str, ...] | None = None


def _dense_needs(n_in: int, n_out: int, w: int, hierarchy: tuple[str, ...] = ()) -> Requirement:
    params = {"N_IN": n_in, "N_OUT": n_out, "W": w}
    return Requirement({"sc_dense": (params,)}, {"sc_dense": hierarchy} if hierarchy else {})


def _dense(name: str, description: str, n_in: int, n_out: int, w: int, depth: int) -> Suite:
    core = CoreShape(n_in=n_in, n_out=n_out, w=w, depth=depth)
    params = {"N_IN": n_in, "N_OUT": n_out, "W": w, "DEPTH": depth,
              "WMEM_FILE": f'"{WMEM_FILE}"'}
    return Suite(name, description, "sc_dense_harness", "testbench.suites.dense",
                 ("sc_dense_harness.v",), params, core, requires=_dense_needs(n_in, n_out, w))


#: Every suite by name. ``dense`` is the default configuration (the speed figure).
SUITES: dict[str, Suite] = {
    "blocks": Suite("blocks", "the reference sub-modules: sc_lfsr16 full period (W=1, 64), "
                    "sc_sng vs encode_inputs, sc_popcount (64, 13, 1 bits)", "sc_blocks_top",
                    "testbench.suites.blocks", ("sc_blocks_top.v",), {}, family=REFERENCE,
                    requires=Requirement({"sc_lfsr16": ({"W": 1}, {"W": 64}),
                                          "sc_sng": ({"W": 64},),
                                          "sc_popcount": ({"W": 64}, {"W": 13}, {"W": 1})})),
    "dense": _dense("dense", "sc_dense N_IN=16 N_OUT=8 W=64 (default configuration): directed "
                    "edge cases, tiled layers, random batches with stalls, throughput",
                    16, 8, 64, 256),
    "dense_w8": _dense("dense_w8", "sc_dense N_IN=5 N_OUT=3 W=8: the dense tests at a narrow "
                       "word (partial last beats)", 5, 3, 8, 64),
    "dense_w1": _dense("dense_w1", "sc_dense N_IN=3 N_OUT=2 W=1: the dense tests one bit per "
                       "clock", 3, 2, 1, 512),
}
SUITES["uvm"] = dataclasses.replace(
    _dense("uvm", "pyuvm env on sc_dense N_IN=5 N_OUT=3 W=8: directed, seeded random and "
           "hypothesis sequences, scoreboard, functional coverage", 5, 3, 8, 64),
    test_module="testbench.suites.uvm")
SUITES["fuzz"] = dataclasses.replace(
    _dense("fuzz", "hypothesis @given in the simulator (cocotb.task.bridge/resume), DUT reset "
           "per example, on sc_dense N_IN=5 N_OUT=3 W=8", 5, 3, 8, 64),
    test_module="testbench.suites.fuzz")


def _cycle(name: str, n_in: int, n_out: int, w: int) -> Suite:
    core = CoreShape(n_in=n_in, n_out=n_out, w=w, depth=4)
    params = {"N_IN": n_in, "N_OUT": n_out, "W": w, "DEPTH": 4, "WMEM_FILE": f'"{WMEM_FILE}"'}
    # Small cores: every RTL net public on Verilator costs little here and exposes the registers.
    flags = {"verilator": ("--public-flat-rw", "-O1", "--x-assign", "fast", "--x-initial", "fast",
                           "--assert"),
             "icarus": ()}
    return Suite(name, f"the reference timing: the emulator cycle-exact to sc_dense N_IN={n_in} "
                 f"N_OUT={n_out} W={w} (ports and registers every cycle, random stalls)",
                 "sc_dense_harness", "testbench.suites.cycle", ("sc_dense_harness.v",), params,
                 core, flags, family=REFERENCE,
                 requires=_dense_needs(n_in, n_out, w, _DENSE_REGS))


SUITES.update({
    "cycle": _cycle("cycle", 3, 2, 64),
    "cycle_w8": _cycle("cycle_w8", 5, 3, 8),
    "cycle_w1": _cycle("cycle_w1", 2, 3, 1),
    "cycle_w13": _cycle("cycle_w13", 1, 1, 13),
    # The exact cores of the dense suites (dense_w8 is cycle_w8's): every configuration the RTL
    # suites run is also checked cycle for cycle.
    "cycle_dense": _cycle("cycle_dense", 16, 8, 64),
    "cycle_dense_w1": _cycle("cycle_dense_w1", 3, 2, 1),
})

SUITES["neuron"] = Suite(
    "neuron", "the reference neuron blocks sc_dot_to_current and sc_lif (N=4): directed edge "
    "cases, random batches, counts -> spikes chain", "sc_neuron_top", "testbench.suites.neuron",
    ("sc_neuron_top.v",), {"N": 4}, None,
    {"verilator": ("--public-flat-rw", "-O1", "--x-assign", "fast", "--x-initial", "fast",
                   "--assert"),
     "icarus": ()}, family=REFERENCE,
    requires=Requirement({"sc_dot_to_current": ({"N": 4, "CNT_W": 31},),
                          "sc_lif": ({"N": 4},)}))


_LIF_FLAGS = {"verilator": ("--public-flat-rw", "-O1", "--x-assign", "fast", "--x-initial",
                             "fast", "--assert"), "icarus": ()}
_LIF_PARAMS = {"N_IN": 3, "N_OUT": 4, "W": 8}
SUITES["dense_lif"] = Suite(
    "dense_lif", "sc_dense_lif N_IN=3 N_OUT=4 W=8: time steps -> spikes and membranes against "
    "golden.dense_lif_run, directed edge cases, random runs, stalls and back-pressure",
    "sc_dense_lif", "testbench.suites.dense_lif", (), _LIF_PARAMS,
    CoreShape(n_in=3, n_out=4, w=8, depth=1), _LIF_FLAGS,
    requires=Requirement({"sc_dense_lif": (_LIF_PARAMS,)}),
    tests=("threshold_equality", "saturation_overflow", "negative_range",
           "refractory_across_steps", "zero_weights_and_p_extremes", "random_steps",
           "output_backpressure_stalls_core"))
SUITES["cycle_dense_lif"] = dataclasses.replace(
    SUITES["dense_lif"], name="cycle_dense_lif", family=REFERENCE,
    description="the reference timing of sc_dense_lif N_IN=3 N_OUT=4 W=8: the emulator "
    "(emu.ScDenseLif) in lockstep with the RTL every cycle, directed and random",
    requires=Requirement({"sc_dense_lif": (_LIF_PARAMS,)}, {"sc_dense_lif": _DENSE_LIF_REGS}),
    tests=("lockstep_directed", "lockstep_random"))

def suites_help() -> str:
    """One line per suite, its family and what it checks (the epilog of ``--help``)."""
    width = max(map(len, SUITES))
    lines = ["suites (contract: results bit for bit at any latency; reference: the reference "
             "microarchitecture, run only where the design provides what they probe):"]
    lines += [f"  {s.name:<{width}}  {s.family:<9}  {s.description}" for s in SUITES.values()]
    return "\n".join(lines)


def get_suite(name: str) -> Suite:
    """The suite called ``name``; ``KeyError`` lists the valid names."""
    try:
        return SUITES[name]
    except KeyError:
        raise KeyError(f"unknown suite {name!r}; valid suites: {', '.join(SUITES)}") from None
