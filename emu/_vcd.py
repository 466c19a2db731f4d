"""VCD traces of the emulator (pyvcd), with the RTL's signal names so both open side by side."""

from __future__ import annotations

import pathlib
from typing import Any

from ._blocks import LEN_W, ScDense

__all__ = ["VcdProbe"]


class VcdProbe:
    """A probe for :class:`emu.Simulator` that writes ``sc_dense``'s ports and registers.

    Time: the rising edge that starts cycle ``c`` is at ``10*c`` ns (registers and outputs
    change), the falling edge at ``10*c + 5`` ns (inputs change), like the cocotb testbench's
    10 ns clock. Signal names follow the RTL hierarchy: ``sc_dense.cfg_valid``,
    ``sc_dense.g_in[i].thr``, ``sc_dense.g_in[i].u_lfsr.r``, ``sc_dense.g_out[o].acc``.

    Parameters
    ----------
    path : str or pathlib.Path
        The VCD file to write.
    dut : ScDense
    scope : str
        Top scope name.
    """

    def __init__(self, path: str | pathlib.Path, dut: ScDense, scope: str = "sc_dense") -> None:
        from vcd import VCDWriter

        self.dut = dut
        self.file = open(path, "w")
        self.writer = VCDWriter(self.file, timescale="1 ns", date="today", comment="sctb emu")
        reg = self.writer.register_var
        d = dut
        ports = [("rst", 1), ("cfg_valid", 1), ("cfg_ready", 1), ("cfg_seed", 16),
                 ("cfg_length", LEN_W), ("thr_valid", 1), ("thr_ready", 1), ("thr_data", 17),
                 ("w_valid", 1), ("w_ready", 1), ("w_data", d.N_OUT * d.N_IN * d.W),
                 ("out_valid", 1), ("out_ready", 1), ("out_data", d.CNT_W), ("out_last", 1),
                 ("state", 2), ("idx", max(1, d.IDX_W)), ("rem", LEN_W)]
        self.clk = reg(scope, "clk", "wire", size=1)
        self.vars = {name: reg(scope, name, "wire", size=size) for name, size in ports}
        self.thr = [reg(f"{scope}.g_in[{i}]", "thr", "reg", size=17) for i in range(d.N_IN)]
        self.lfsr = [reg(f"{scope}.g_in[{i}].u_lfsr", "r", "reg", size=16) for i in range(d.N_IN)]
        self.acc = [reg(f"{scope}.g_out[{o}]", "acc", "reg", size=d.CNT_W)
                    for o in range(d.N_OUT)]

    def _w_data(self) -> int:
        d = self.dut
        value = 0
        for o in range(d.N_OUT):
            for i in range(d.N_IN):
                value |= int(d.w_data[o, i]) << ((o * d.N_IN + i) * d.W)
        return value

    def __call__(self, cycle: int, dut: Any) -> None:
        w, t = self.writer, 10 * cycle
        w.change(self.clk, t, 1)
        for name in ("cfg_ready", "thr_ready", "w_ready", "out_valid", "out_data", "out_last",
                     "state", "idx", "rem"):
            w.change(self.vars[name], t, int(getattr(dut, name)))
        for i in range(dut.N_IN):
            w.change(self.thr[i], t, int(dut.thr[i]))
            w.change(self.lfsr[i], t, int(dut.lfsr[i]))
        for o in range(dut.N_OUT):
            w.change(self.acc[o], t, int(dut.acc[o]))
        w.change(self.clk, t + 5, 0)
        for name in ("rst", "cfg_valid", "cfg_seed", "cfg_length", "thr_valid", "thr_data",
                     "w_valid", "out_ready"):
            w.change(self.vars[name], t + 5, int(getattr(dut, name)))
        w.change(self.vars["w_data"], t + 5, self._w_data())

    def close(self) -> None:
        self.writer.close()
        self.file.close()
