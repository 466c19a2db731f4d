"""The BFM of sc_blocks_top: LFSRs, SNG words and popcount units."""

from __future__ import annotations

from collections.abc import Sequence

from cocotb.triggers import FallingEdge

from .base import start_clock as _start_clock

__all__ = ["BlocksBfm"]


class BlocksBfm:
    """Drivers and monitors of sc_blocks_top (LFSRs, SNG, popcount units)."""

    def __init__(self, dut) -> None:
        self.dut = dut

    async def start(self) -> None:
        d = self.dut
        _start_clock(d.clk)
        for sig in (d.l1_load, d.l1_advance, d.l64_load, d.l64_advance, d.l1_seed, d.l64_seed,
                    d.sng_x, d.pc64_in, d.pc13_in, d.pc1_in):
            sig.value = 0
        await FallingEdge(d.clk)

    async def lfsr1_states(self, seed: int, n: int) -> list[int]:
        """Load ``seed`` into the 1-state LFSR and read ``n`` consecutive states."""
        d = self.dut
        d.l1_seed.value = seed
        d.l1_load.value = 1
        await FallingEdge(d.clk)
        d.l1_load.value = 0
        d.l1_advance.value = 1
        out = []
        for _ in range(n):
            out.append(int(d.l1_state.value))
            await FallingEdge(d.clk)
        d.l1_advance.value = 0
        return out

    async def lfsr64_windows(self, seed: int, n_clocks: int, x: int | None = None):
        """Load ``seed`` into the 64-state LFSR; per clock read the 64-state window.

        With ``x`` given, the SNG threshold is ``x`` and the 64 SNG bits are read too.

        Returns
        -------
        states : list of int
            ``n_clocks`` windows as 1024-bit ints (state ``j`` at bits ``16*j``).
        words : list of int
            ``n_clocks`` SNG words (bit ``j`` = state ``j`` < x); empty without ``x``.
        """
        d = self.dut
        d.l64_seed.value = seed
        d.l64_load.value = 1
        if x is not None:
            d.sng_x.value = x
        await FallingEdge(d.clk)
        d.l64_load.value = 0
        d.l64_advance.value = 1
        states, words = [], []
        for _ in range(n_clocks):
            states.append(int(d.l64_states.value))
            if x is not None:
                words.append(int(d.sng_bits.value))
            await FallingEdge(d.clk)
        d.l64_advance.value = 0
        return states, words

    async def popcounts(self, width: int, words: Sequence[int]) -> list[int]:
        """Drive ``words`` into the popcount unit of ``width`` (64, 13 or 1), one per clock."""
        d = self.dut
        unit = {64: (d.pc64_in, d.pc64_count), 13: (d.pc13_in, d.pc13_count),
                1: (d.pc1_in, d.pc1_count)}
        if width not in unit:
            raise ValueError(f"width must be 64, 13 or 1, got {width}")
        sig_in, sig_out = unit[width]
        out = []
        for w in words:
            sig_in.value = w
            await FallingEdge(d.clk)
            out.append(int(sig_out.value))
        return out
