"""What every BFM shares: the clock, the weight-file name and the cycle-trace replay base."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from ..model import pack_lanes, unpack_lanes
from ..trace import CycleTrace

__all__ = ["CLOCK_NS", "pack_lanes", "start_clock", "unpack_lanes", "wmem_path"]

#: Clock period of every test top, in ns.
CLOCK_NS = 10


def start_clock(clk) -> None:
    """Start the GPI clock of a test top (the clock toggles in the simulator: no Python per
    edge)."""
    Clock(clk, CLOCK_NS, unit="ns", impl="gpi").start()


def wmem_path(name: str = "sctb_wmem.dat") -> Path:
    """The harness's ``WMEM_FILE`` in the run directory (the cwd); the runner's ``wmem_file``
    setting names it."""
    return Path(name)


def _read(handle) -> int | None:
    """The int value of a signal, ``None`` when it holds X or Z."""
    try:
        return int(handle.value)
    except ValueError:
        return None


class _TraceReplay:
    """What the cycle BFMs share: drive a :class:`CycleTrace` and compare every cycle.

    On each falling edge the recorded inputs of that cycle are driven, then
    ``_compare(cycle, expected, trace)`` reads the DUT (registers and Moore outputs hold what
    the previous rising edge stored) and returns the first mismatch or ``None``. Comparison
    starts at cycle 1 (after the first reset edge).
    """

    dut: Any
    inputs: dict
    #: Formats a value in a mismatch line.
    _show: Callable[[int], str] = str

    async def replay(self, trace: CycleTrace) -> str | None:
        """Drive ``trace`` cycle by cycle; return ``None`` if every cycle matched, else a line
        naming the first mismatching cycle, the signal and both values."""
        clk = self.dut.clk
        last: dict = {}
        #: Values compared in the last replay (one per signal and cycle).
        self.compared = 0
        for cycle, (ins, exp) in enumerate(zip(trace.inputs, trace.expected)):
            for name, value in ins.items():
                if last.get(name) != value:
                    self.inputs[name].value = value
                    last[name] = value
            if cycle >= 1:
                bad = self._compare(cycle, exp, trace)
                if bad is not None:
                    return bad
            await FallingEdge(clk)
        return None

    def _compare(self, cycle: int, exp: dict, trace: CycleTrace) -> str | None:
        raise NotImplementedError

    def _check(self, cycle: int, name: str, handle, want: int | None) -> str | None:
        """Compare one signal (``want`` ``None``: not compared this cycle)."""
        if want is None:
            return None
        got = _read(handle)
        self.compared += 1
        if got != want:
            shown = "X" if got is None else self._show(got)
            return (f"first mismatch at cycle {cycle}: {name} RTL={shown} "
                    f"emulator={self._show(want)}")
        return None
