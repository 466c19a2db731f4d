"""Cycle-exactness on sc_dense: the emulator's recorded per-cycle drive replayed on the RTL."""

from __future__ import annotations

from cocotb.triggers import FallingEdge

from ..model import CoreShape
from ..trace import CYCLE_CONTROL, CYCLE_INPUTS, CYCLE_PORTS, CycleTrace
from .base import _TraceReplay
from .base import start_clock as _start_clock

__all__ = ["CycleBfm"]


class CycleBfm(_TraceReplay):
    """Replays a :class:`CycleTrace` on sc_dense_harness and compares every cycle.

    On each falling edge the recorded inputs of that cycle are driven, then the ports and
    registers are read (they are registers or Moore functions of registers, so they hold what
    the previous rising edge stored) and compared with the emulator's values of that cycle.

    Parameters
    ----------
    dut : cocotb handle
        The ``sc_dense_harness`` top (weights through the ``w_*`` port).
    core : CoreShape
    registers : bool
        Compare the internal registers too (``u_dense.state``, ``idx``, ``rem``, each
        ``g_in[i].u_lfsr.r``, each ``g_out[o].acc``); needs a build that exposes them.
    """

    def __init__(self, dut, core: CoreShape, *, registers: bool = True) -> None:
        self.dut = dut
        self.core = core
        self.inputs = {name: getattr(dut, name) for name in CYCLE_INPUTS}
        self.ports = {name: getattr(dut, name) for name in CYCLE_PORTS}
        self.registers = registers
        if registers:
            u = dut.u_dense
            self.control = {name: getattr(u, name) for name in CYCLE_CONTROL}
            self.lfsr = [u.g_in[i].u_lfsr.r for i in range(core.n_in)]
            self.acc = [u.g_out[o].acc for o in range(core.n_out)]
        #: Values compared in the last replay (one per signal and cycle).
        self.compared = 0

    async def start(self) -> None:
        """Start the clock, park every input with ``rst`` high, and wait for a falling edge."""
        d = self.dut
        _start_clock(d.clk)
        for sig in (d.src_sel, d.src_load, d.src_count):
            sig.value = 0
        for sig in self.inputs.values():
            sig.value = 0
        d.rst.value = 1
        await FallingEdge(d.clk)

    def _compare(self, cycle: int, exp: dict, trace: CycleTrace) -> str | None:
        datapath = trace.first_cfg >= 0 and cycle > trace.first_cfg

        def check(name: str, handle, want: int) -> str | None:
            return self._check(cycle, name, handle, want)

        for name, handle in self.ports.items():
            if name == "out_data" and not datapath:
                continue  # out_data is acc[0]: X until the first cfg beat clears it
            bad = check(name, handle, exp[name])
            if bad:
                return bad
        if not self.registers:
            return None
        for name, handle in self.control.items():
            bad = check(name, handle, exp[name])
            if bad:
                return bad
        if datapath:
            for i, handle in enumerate(self.lfsr):
                bad = check(f"g_in[{i}].u_lfsr.r", handle, exp["lfsr"][i])
                if bad:
                    return bad
            for o, handle in enumerate(self.acc):
                bad = check(f"g_out[{o}].acc", handle, exp["acc"][o])
                if bad:
                    return bad
        return None
