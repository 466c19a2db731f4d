"""Cycle models of the RTL blocks (docs/microarchitecture.md): same names, params, ports, regs."""

from __future__ import annotations

import numpy as np

import golden
from golden._contract import LFSR_MASK, LFSR_PERIOD

__all__ = ["ScDense", "ScLfsr16", "ScPopcount", "ScSng", "lfsr_states"]

S_CFG, S_THR, S_RUN, S_OUT = 0, 1, 2, 3
STATE_NAMES = ("CFG", "THR", "RUN", "OUT")
LEN_W = 25


def _check_w(W: int) -> int:
    if isinstance(W, bool) or not isinstance(W, (int, np.integer)) or not 1 <= W <= 64:
        raise ValueError(f"W must be an int in [1, 64] (bits per clock), got {W!r}")
    return int(W)


def _clog2(n: int) -> int:
    return max(0, (int(n) - 1).bit_length())


_ORBIT2 = None


def lfsr_states(regs: np.ndarray, W: int) -> np.ndarray:
    """``step**j(r)`` for every register value ``r`` and ``j < W`` (the unrolled chain).

    Parameters
    ----------
    regs : numpy.ndarray
        uint16 ``(n,)`` nonzero LFSR states.
    W : int

    Returns
    -------
    numpy.ndarray
        uint16 ``(n, W)``; column 0 is ``regs``.
    """
    global _ORBIT2
    if _ORBIT2 is None:
        _ORBIT2 = np.concatenate([golden.orbit_table(), golden.orbit_table()[:64]])
    pos = golden.orbit_index()[regs]
    return _ORBIT2[pos[:, None] + np.arange(W)]


class ScLfsr16:
    """``sc_lfsr16 #(W)``: the contract LFSR register ``r`` with seed load, W states per clock.

    Ports: ``load``, ``seed`` (16 bits), ``advance`` (inputs); ``states`` (output, W x 16 bits,
    ``states[0] == r``). No reset: the register is loaded before use.
    """

    def __init__(self, W: int = 1) -> None:
        self.W = _check_w(W)
        self.r = 1
        self.load = 0
        self.seed = 0
        self.advance = 0

    @property
    def states(self) -> np.ndarray:
        """uint16 ``(W,)``: ``step**j(r)``, j < W."""
        return lfsr_states(np.array([self.r], dtype=np.uint16), self.W)[0]

    def tick(self) -> None:
        if self.load:
            self.r = (self.seed & LFSR_MASK) or 1
        elif self.advance:
            self.r = int(golden.lfsr_jump(self.r, self.W))

    def line_trace(self) -> str:
        return f"r={self.r:04x}"


class ScSng:
    """``sc_sng #(W)``: W comparators ``{1'b0, state} < x`` with a 17-bit threshold."""

    def __init__(self, W: int = 1) -> None:
        self.W = _check_w(W)
        self.states = np.zeros(self.W, dtype=np.uint16)
        self.x = 0

    @property
    def bits(self) -> np.ndarray:
        """uint8 ``(W,)`` stream bits of this clock."""
        return (self.states.astype(np.int32) < self.x).astype(np.uint8)

    def line_trace(self) -> str:
        return f"x={self.x:05x}"


class ScPopcount:
    """``sc_popcount #(W)``: the number of ones of a W-bit word (combinational)."""

    def __init__(self, W: int = 1) -> None:
        self.W = _check_w(W)
        self.in_ = 0

    @property
    def count(self) -> int:
        return int(self.in_ & ((1 << self.W) - 1)).bit_count()

    def line_trace(self) -> str:
        return f"{self.count}"


class ScDense:
    """``sc_dense #(N_IN, N_OUT, W)``: the layer core, cycle for cycle as the RTL.

    Input ports are attributes the environment sets before :meth:`tick` (the falling-edge drive):
    ``rst``, ``cfg_valid``, ``cfg_seed``, ``cfg_length``, ``thr_valid``, ``thr_data``,
    ``w_valid``, ``w_data`` (uint64 ``(N_OUT, N_IN)``: the W-bit beat of each weight stream),
    ``out_ready``. Output ports are properties of the registers (Moore): ``cfg_ready``,
    ``thr_ready``, ``w_ready``, ``out_valid``, ``out_data``, ``out_last``. Registers: ``state``,
    ``idx``, ``rem``, ``thr`` (N_IN,), ``lfsr`` (N_IN,), ``acc`` (N_OUT,).

    The combinational beat (LFSR chain, comparators, AND, popcount, sum) is vectorised over
    inputs, lanes and outputs: no Python per bit.
    """

    def __init__(self, N_IN: int = 16, N_OUT: int = 8, W: int = 64) -> None:
        for name, v in (("N_IN", N_IN), ("N_OUT", N_OUT)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be an int >= 1, got {v!r}")
        self.N_IN, self.N_OUT, self.W = int(N_IN), int(N_OUT), _check_w(W)
        self.CNT_W = LEN_W + _clog2(self.N_IN)
        self.SUM_W = _clog2(self.N_IN * self.W + 1)
        self.IDX_W = _clog2(max(self.N_IN, self.N_OUT) + 1)
        self._lanes = np.arange(self.W)
        self._weights = np.uint64(1) << np.arange(self.W, dtype=np.uint64)
        # inputs
        self.rst = 0
        self.cfg_valid = 0
        self.cfg_seed = 0
        self.cfg_length = 0
        self.thr_valid = 0
        self.thr_data = 0
        self.w_valid = 0
        self.w_data = np.zeros((self.N_OUT, self.N_IN), dtype=np.uint64)
        self.out_ready = 0
        # registers (X in the RTL until loaded; 0 here)
        self.state = S_CFG
        self.idx = 0
        self.rem = 0
        self.thr = np.zeros(self.N_IN, dtype=np.int32)
        self.lfsr = np.ones(self.N_IN, dtype=np.uint16)
        self.acc = np.zeros(self.N_OUT, dtype=np.int64)

    # ---- Moore outputs
    @property
    def cfg_ready(self) -> int:
        return int(self.state == S_CFG)

    @property
    def thr_ready(self) -> int:
        return int(self.state == S_THR)

    @property
    def w_ready(self) -> int:
        return int(self.state == S_RUN)

    @property
    def out_valid(self) -> int:
        return int(self.state == S_OUT)

    @property
    def out_last(self) -> int:
        return int(self.state == S_OUT and self.idx == self.N_OUT - 1)

    @property
    def out_data(self) -> int:
        return int(self.acc[0])

    # ---- the combinational beat
    def beat_sum(self) -> np.ndarray:
        """Per-output sum of this weight beat: ``sum_i popcount(w_data[o, i] & x[i])``.

        Returns
        -------
        numpy.ndarray
            int64 ``(N_OUT,)``.
        """
        states = lfsr_states(self.lfsr, self.W)                       # sc_lfsr16 chains
        bits = states < self.thr[:, None]                              # sc_sng
        bits &= self._lanes < self.rem                                 # mask[j] = rem > j
        x = (bits.astype(np.uint64) * self._weights).sum(axis=1, dtype=np.uint64)
        anded = np.bitwise_and(self.w_data, x[None, :])
        return np.bitwise_count(anded).sum(axis=1, dtype=np.int64)     # sc_popcount + sum

    def tick(self) -> None:
        """One rising clock edge."""
        st = self.state
        cfg_fire = self.cfg_valid and st == S_CFG
        thr_fire = self.thr_valid and st == S_THR
        w_fire = self.w_valid and st == S_RUN
        out_fire = self.out_ready and st == S_OUT
        if self.rst:
            self.state, self.idx, self.rem = S_CFG, 0, 0
        if cfg_fire:
            if not self.rst:
                self.rem = int(self.cfg_length) & ((1 << LEN_W) - 1)
                self.idx = 0
                self.state = S_THR
            seeds = (int(self.cfg_seed) + np.arange(self.N_IN)) & LFSR_MASK
            seeds[seeds == 0] = 1
            self.lfsr = seeds.astype(np.uint16)
            self.acc = np.zeros(self.N_OUT, dtype=np.int64)
        elif thr_fire:
            self.thr = np.concatenate([self.thr[1:], [int(self.thr_data)]]).astype(np.int32)
            if not self.rst:
                if self.idx == self.N_IN - 1:
                    self.idx = 0
                    self.state = S_OUT if self.rem == 0 else S_RUN
                else:
                    self.idx += 1
        elif w_fire:
            self.acc = self.acc + self.beat_sum()
            pos = (golden.orbit_index()[self.lfsr] + self.W) % LFSR_PERIOD
            self.lfsr = golden.orbit_table()[pos]
            if not self.rst:
                if self.rem > self.W:
                    self.rem -= self.W
                else:
                    self.rem = 0
                    self.state = S_OUT
        elif out_fire:
            self.acc = np.concatenate([self.acc[1:], [0]])
            if not self.rst:
                if self.idx == self.N_OUT - 1:
                    self.idx = 0
                    self.state = S_CFG
                else:
                    self.idx += 1

    def line_trace(self) -> str:
        """One line per cycle: state, handshakes and the first registers."""
        hs = "".join(c if v else "." for c, v in (("C", self.cfg_ready), ("T", self.thr_ready),
                                                   ("W", self.w_ready), ("O", self.out_valid)))
        return (f"{STATE_NAMES[self.state]} {hs} idx={self.idx} rem={self.rem} "
                f"lfsr0={int(self.lfsr[0]):04x} acc0={int(self.acc[0])}")
