"""Cycle models of the neuron blocks sc_dot_to_current and sc_lif (docs/contract.md section 9)."""

from __future__ import annotations

import numpy as np

import golden
from golden import LifParams, LifState

__all__ = ["ScDotToCurrent", "ScLif"]


def _check_n(N: int) -> int:
    if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 1:
        raise ValueError(f"N must be an int >= 1 (neurons in parallel), got {N!r}")
    return int(N)


class ScDotToCurrent:
    """``sc_dot_to_current #(N)``: N counts -> N Q8.8 currents, one register stage.

    Input ports (set before :meth:`tick`): ``rst``, ``in_valid``, ``count`` (int ``(N,)`` in
    ``[0, n_in]``), and the configuration ``n_in``, ``y_min``, ``y_max`` (held steady).
    Output ports (registers): ``out_valid``, ``current`` (int16 ``(N,)``). Latency one clock,
    one result per clock, no back-pressure. The combinational part is
    ``golden.dot_to_current`` (floor division, 48-bit product).
    """

    def __init__(self, N: int = 8) -> None:
        self.N = _check_n(N)
        self.rst = 0
        self.in_valid = 0
        self.count = np.zeros(self.N, dtype=np.int64)
        self.n_in = 1
        self.y_min = 0
        self.y_max = golden.to_q88(1.0).item()
        self.out_valid = 0
        self.current = np.zeros(self.N, dtype=np.int16)

    def tick(self) -> None:
        """One rising clock edge."""
        if self.rst:
            self.out_valid = 0
            return
        self.out_valid = int(bool(self.in_valid))
        if self.in_valid:
            self.current = golden.dot_to_current(self.count, self.n_in, self.y_min, self.y_max)

    def line_trace(self) -> str:
        return f"{'V' if self.out_valid else '.'} I0={int(self.current[0])}"


class ScLif:
    """``sc_lif #(N)``: N fixed-point LIF neurons updated once per valid input.

    Input ports: ``rst`` (membranes to ``v_rest``, counters and spikes to 0), ``in_valid``,
    ``current`` and ``noise`` (int ``(N,)`` Q8.8), and the configuration ``v_rest``,
    ``v_reset``, ``v_th``, ``leak``, ``gain``, ``refractory`` (held steady). Registers (and
    outputs): ``v`` (int16 ``(N,)``), ``ref_cnt`` (int32 ``(N,)``), ``out_valid`` and ``spike``
    (bool ``(N,)``: the spikes of the step just taken; ``v`` then holds ``v_reset`` where a
    neuron spiked). A clock without ``in_valid`` keeps ``v``, ``ref_cnt`` and ``spike`` and
    drops ``out_valid``. The combinational step is ``golden.lif_step``.
    """

    def __init__(self, N: int = 8) -> None:
        self.N = _check_n(N)
        p = LifParams()
        self.rst = 0
        self.in_valid = 0
        self.current = np.zeros(self.N, dtype=np.int64)
        self.noise = np.zeros(self.N, dtype=np.int64)
        self.v_rest, self.v_reset, self.v_th = p.v_rest, p.v_reset, p.v_th
        self.leak, self.gain, self.refractory = p.leak, p.gain, p.refractory
        self.v = np.full(self.N, p.v_rest, dtype=np.int16)
        self.ref_cnt = np.zeros(self.N, dtype=np.int32)
        self.out_valid = 0
        self.spike = np.zeros(self.N, dtype=bool)

    @property
    def params(self) -> LifParams:
        """The configuration ports as a :class:`golden.LifParams`."""
        return LifParams(self.v_rest, self.v_reset, self.v_th, self.leak, self.gain,
                         self.refractory)

    def tick(self) -> None:
        """One rising clock edge."""
        if self.rst:
            self.v = golden.lif_init(self.N, self.params).v
            self.ref_cnt = np.zeros(self.N, dtype=np.int32)
            self.out_valid = 0
            self.spike = np.zeros(self.N, dtype=bool)
            return
        self.out_valid = int(bool(self.in_valid))
        if self.in_valid:
            state, self.spike = golden.lif_step(LifState(self.v, self.ref_cnt), self.current,
                                                self.params, self.noise)
            self.v, self.ref_cnt = state.v, state.ref

    def line_trace(self) -> str:
        spikes = "".join("|" if s else "." for s in self.spike[:16])
        return (f"{'V' if self.out_valid else '.'} {spikes} v0={int(self.v[0])} "
                f"ref0={int(self.ref_cnt[0])}")
