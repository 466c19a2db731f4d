"""The BFM of sc_neuron_top: sc_dot_to_current and sc_lif side by side."""

from __future__ import annotations

from cocotb.triggers import FallingEdge

from ..model import pack_lanes, unpack_lanes
from .base import start_clock as _start_clock

__all__ = ["NeuronBfm"]


class NeuronBfm:
    """Drives sc_neuron_top right after falling edges; samples its registers one clock later.

    Each ``*_cycle`` call is one clock with ``in_valid`` as given, then ``in_valid`` drops to 0.
    """

    #: Count width of the top's sc_dot_to_current lanes.
    CNT_W = 31

    def __init__(self, dut) -> None:
        self.dut = dut
        self.n = int(dut.N.value) if hasattr(dut, "N") else len(dut.lif_spike)

    async def start(self) -> None:
        d = self.dut
        _start_clock(d.clk)
        for sig in (d.d2c_in_valid, d.d2c_count, d.lif_in_valid, d.lif_current, d.lif_noise):
            sig.value = 0
        d.d2c_n_in.value = 1
        d.rst.value = 1
        await FallingEdge(d.clk)
        d.rst.value = 0

    def d2c_config(self, n_in: int, y_min: int, y_max: int) -> None:
        d = self.dut
        d.d2c_n_in.value = n_in
        d.d2c_y_min.value = y_min & 0xFFFF
        d.d2c_y_max.value = y_max & 0xFFFF

    async def d2c_cycle(self, counts, valid: bool = True) -> tuple[int, list[int]]:
        """One clock of sc_dot_to_current: ``(out_valid, currents)`` after it."""
        d = self.dut
        d.d2c_in_valid.value = int(valid)
        d.d2c_count.value = pack_lanes(counts, self.CNT_W)
        await FallingEdge(d.clk)
        d.d2c_in_valid.value = 0
        return int(d.d2c_out_valid.value), unpack_lanes(int(d.d2c_current.value), self.n, 16)

    def lif_config(self, p) -> None:
        """Hold the parameters of a ``golden.LifParams``."""
        d = self.dut
        d.lif_v_rest.value = p.v_rest & 0xFFFF
        d.lif_v_reset.value = p.v_reset & 0xFFFF
        d.lif_v_th.value = p.v_th & 0xFFFF
        d.lif_leak.value = p.leak
        d.lif_gain.value = p.gain & 0xFFFF
        d.lif_refractory.value = p.refractory

    async def lif_reset(self) -> tuple[int, int]:
        """One clock with ``rst`` high: ``(lif out_valid, d2c out_valid)`` after it (a
        synchronous reset drops both)."""
        d = self.dut
        d.rst.value = 1
        await FallingEdge(d.clk)
        d.rst.value = 0
        return int(d.lif_out_valid.value), int(d.d2c_out_valid.value)

    async def lif_cycle(self, current, noise, valid: bool = True):
        """One clock of sc_lif: ``(out_valid, spikes, v, ref_cnt)`` after it."""
        d = self.dut
        d.lif_in_valid.value = int(valid)
        d.lif_current.value = pack_lanes(current, 16)
        d.lif_noise.value = pack_lanes(noise, 16)
        await FallingEdge(d.clk)
        d.lif_in_valid.value = 0
        bus = int(d.lif_spike.value)
        spikes = [bool((bus >> k) & 1) for k in range(self.n)]
        return (int(d.lif_out_valid.value), spikes, unpack_lanes(int(d.lif_v.value), self.n, 16),
                unpack_lanes(int(d.lif_ref_cnt.value), self.n, 16, signed=False))
