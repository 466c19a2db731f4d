"""The RTL suites: a registry of test tops, their parameters and cocotb test modules."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..model import CoreShape

__all__ = ["SUITES", "WMEM_FILE", "Suite", "get_suite"]

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
    """

    name: str
    description: str
    toplevel: str
    test_module: str
    hdl: tuple[str, ...]
    parameters: Mapping[str, Any]
    core: CoreShape | None = None
    build_flags: Mapping[str, tuple[str, ...]] | None = None


def _dense(name: str, description: str, n_in: int, n_out: int, w: int, depth: int) -> Suite:
    core = CoreShape(n_in=n_in, n_out=n_out, w=w, depth=depth)
    params = {"N_IN": n_in, "N_OUT": n_out, "W": w, "DEPTH": depth,
              "WMEM_FILE": f'"{WMEM_FILE}"'}
    return Suite(name, description, "sc_dense_harness", "testbench.suites.dense",
                 ("sc_dense_harness.v",), params, core)


#: Every suite by name. ``dense`` is the default configuration (the speed figure).
SUITES: dict[str, Suite] = {
    "blocks": Suite("blocks", "sc_lfsr16 full period (W=1, 64), sc_sng vs encode_inputs, "
                    "sc_popcount (64, 13, 1 bits)", "sc_blocks_top",
                    "testbench.suites.blocks", ("sc_blocks_top.v",), {}),
    "dense": _dense("dense", "sc_dense N_IN=16 N_OUT=8 W=64 (default configuration)",
                    16, 8, 64, 256),
    "dense_w8": _dense("dense_w8", "sc_dense N_IN=5 N_OUT=3 W=8", 5, 3, 8, 64),
    "dense_w1": _dense("dense_w1", "sc_dense N_IN=3 N_OUT=2 W=1", 3, 2, 1, 512),
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
    flags = {"verilator": ("--public-flat-rw", "-O1", "--x-assign", "fast", "--x-initial", "fast"),
             "icarus": ()}
    return Suite(name, f"emulator cycle-exact to sc_dense N_IN={n_in} N_OUT={n_out} W={w} "
                 "(ports and registers every cycle, random stalls)", "sc_dense_harness",
                 "testbench.suites.cycle", ("sc_dense_harness.v",), params, core, flags)


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
    "neuron", "sc_dot_to_current and sc_lif (N=4): directed edge cases, random batches, "
    "counts -> spikes chain", "sc_neuron_top", "testbench.suites.neuron",
    ("sc_neuron_top.v",), {"N": 4}, None,
    {"verilator": ("--public-flat-rw", "-O1", "--x-assign", "fast", "--x-initial", "fast"),
     "icarus": ()})


SUITES["dense_lif"] = Suite(
    "dense_lif", "sc_dense_lif N_IN=3 N_OUT=4 W=8: time steps -> spikes and membranes against "
    "golden.dense_lif_run, directed edge cases, stalls, emulator in lockstep",
    "sc_dense_lif", "testbench.suites.dense_lif", (), {"N_IN": 3, "N_OUT": 4, "W": 8},
    CoreShape(n_in=3, n_out=4, w=8, depth=1),
    {"verilator": ("--public-flat-rw", "-O1", "--x-assign", "fast", "--x-initial", "fast"),
     "icarus": ()})


def get_suite(name: str) -> Suite:
    """The suite called ``name``; ``KeyError`` lists the valid names."""
    try:
        return SUITES[name]
    except KeyError:
        raise KeyError(f"unknown suite {name!r}; valid suites: {', '.join(SUITES)}") from None
