"""Cycle models of the neuron blocks sc_dot_to_current, sc_lif, sc_dense_lif (contract sec. 9)."""

from __future__ import annotations

import numpy as np

import golden
from golden import LifParams, LifState
from golden._neuron import check_params

from ._blocks import ScDense
from ._sim import ResultSink, Simulator, StreamSource, transaction_beats

__all__ = ["ScDenseLif", "ScDotToCurrent", "ScLif", "SpikeSink", "dense_lif_sources",
           "run_dense_lif"]


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


Q31_MAX = (1 << 31) - 1


class ScDenseLif:
    """``sc_dense_lif #(N_IN, N_OUT, W)``: an sc_dense core whose counts drive N_OUT LIF neurons.

    Built from :class:`emu.ScDense` (``u_core``), :class:`ScDotToCurrent` (``u_d2c``) and
    :class:`ScLif` (``u_lif``), cycle for cycle as the RTL (docs/microarchitecture.md,
    *sc_dense_lif*). One transaction is one time step; the neuron state persists across them.

    Input ports (set before :meth:`tick`): ``rst``, ``cfg_valid``, ``cfg_seed``, ``cfg_length``,
    ``cfg_noise`` (int ``(N_OUT,)`` Q8.8, taken with the cfg beat), ``thr_valid``, ``thr_data``,
    ``w_valid``, ``w_data`` (uint64 ``(N_OUT, N_IN)``, as :class:`emu.ScDense`), ``out_ready``,
    and the held configuration ``n_full``, ``y_min``, ``y_max``, ``v_rest``, ``v_reset``,
    ``v_th``, ``leak``, ``gain``, ``refractory`` (:meth:`configure` sets them). Outputs:
    ``cfg_ready``, ``thr_ready``, ``w_ready`` (the core's), ``out_valid`` (a register),
    ``out_spike`` (bool ``(N_OUT,)``) and ``out_v`` (int16 ``(N_OUT,)``), the last two being
    ``u_lif``'s ``spike`` and ``v`` registers. Registers of the block itself: ``cnt`` (int64
    ``(N_OUT,)``, result beat k in lane k), ``cnt_valid``, ``noise_cfg``, ``noise_step`` (int
    ``(N_OUT,)``) and ``out_valid``; wires ``pending`` and ``core_out_ready``.
    """

    def __init__(self, N_IN: int = 16, N_OUT: int = 8, W: int = 64) -> None:
        self.u_core = ScDense(N_IN, N_OUT, W)
        self.N_IN, self.N_OUT, self.W = self.u_core.N_IN, self.u_core.N_OUT, self.u_core.W
        self.CNT_W = self.u_core.CNT_W
        self.u_d2c = ScDotToCurrent(self.N_OUT)
        self.u_lif = ScLif(self.N_OUT)
        p = LifParams()
        # inputs
        self.rst = 0
        self.cfg_valid = 0
        self.cfg_seed = 0
        self.cfg_length = 0
        self.cfg_noise = np.zeros(self.N_OUT, dtype=np.int64)
        self.thr_valid = 0
        self.thr_data = 0
        self.w_valid = 0
        self.w_data = np.zeros((self.N_OUT, self.N_IN), dtype=np.uint64)
        self.out_ready = 0
        self.n_full = 1
        self.y_min = 0
        self.y_max = golden.to_q88(1.0).item()
        self.v_rest, self.v_reset, self.v_th = p.v_rest, p.v_reset, p.v_th
        self.leak, self.gain, self.refractory = p.leak, p.gain, p.refractory
        # registers
        self.cnt = np.zeros(self.N_OUT, dtype=np.int64)
        self.cnt_valid = 0
        self.noise_cfg = np.zeros(self.N_OUT, dtype=np.int64)
        self.noise_step = np.zeros(self.N_OUT, dtype=np.int64)
        self.out_valid = 0

    def configure(self, params: LifParams, *, n_full: int, y_min: int, y_max: int) -> None:
        """Set the held configuration ports from ``params`` and the current map."""
        p = check_params(params)
        (self.v_rest, self.v_reset, self.v_th, self.leak, self.gain, self.refractory) = p
        self.n_full, self.y_min, self.y_max = int(n_full), int(y_min), int(y_max)

    # ---- outputs and wires
    @property
    def cfg_ready(self) -> int:
        return self.u_core.cfg_ready

    @property
    def thr_ready(self) -> int:
        return self.u_core.thr_ready

    @property
    def w_ready(self) -> int:
        return self.u_core.w_ready

    @property
    def out_spike(self) -> np.ndarray:
        return self.u_lif.spike

    @property
    def out_v(self) -> np.ndarray:
        return self.u_lif.v

    @property
    def pending(self) -> int:
        """A step not yet handed out: counts complete, currents ready, or the output beat."""
        return int(bool(self.cnt_valid or self.u_d2c.out_valid or self.out_valid))

    @property
    def core_out_ready(self) -> int:
        return int(not self.pending)

    def tick(self) -> None:
        """One rising clock edge."""
        core, d2c, lif = self.u_core, self.u_d2c, self.u_lif
        core_ready = self.core_out_ready
        cfg_fire = bool(self.cfg_valid and core.cfg_ready)
        core_fire = bool(core.out_valid and core_ready)
        core_last = core_fire and bool(core.out_last)
        core_data = core.out_data
        out_fire = bool(self.out_valid and self.out_ready)
        d2c_valid = d2c.out_valid
        # the sub-blocks' inputs, all from values before the edge
        core.rst, core.cfg_valid = self.rst, self.cfg_valid
        core.cfg_seed, core.cfg_length = self.cfg_seed, self.cfg_length
        core.thr_valid, core.thr_data = self.thr_valid, self.thr_data
        core.w_valid, core.w_data, core.out_ready = self.w_valid, self.w_data, core_ready
        d2c.rst, d2c.in_valid = self.rst, self.cnt_valid
        d2c.count = np.minimum(self.cnt, Q31_MAX)     # 31-bit clamp (only N_IN > 64 needs it)
        d2c.n_in, d2c.y_min, d2c.y_max = self.n_full, self.y_min, self.y_max
        lif.rst, lif.in_valid = self.rst, d2c_valid
        lif.current, lif.noise = d2c.current.copy(), self.noise_step.copy()
        (lif.v_rest, lif.v_reset, lif.v_th, lif.leak, lif.gain, lif.refractory) = (
            self.v_rest, self.v_reset, self.v_th, self.leak, self.gain, self.refractory)
        core.tick()
        d2c.tick()
        lif.tick()
        if self.rst:
            self.cnt = np.zeros(self.N_OUT, dtype=np.int64)
            self.cnt_valid = 0
            self.noise_cfg = np.zeros(self.N_OUT, dtype=np.int64)
            self.noise_step = np.zeros(self.N_OUT, dtype=np.int64)
            self.out_valid = 0
            return
        noise_cfg = self.noise_cfg
        if cfg_fire:
            self.noise_cfg = np.asarray(self.cfg_noise, dtype=np.int64).copy()
        if core_fire:
            self.cnt = np.concatenate([self.cnt[1:], [core_data]]).astype(np.int64)
        if core_last:
            self.noise_step = noise_cfg
        self.cnt_valid = int(core_last)
        if d2c_valid:
            self.out_valid = 1
        elif out_fire:
            self.out_valid = 0

    def line_trace(self) -> str:
        spikes = "".join("|" if s else "." for s in self.out_spike[:16])
        flags = "".join(c if v else "." for c, v in (("C", self.cnt_valid),
                                                      ("I", self.u_d2c.out_valid),
                                                      ("O", self.out_valid)))
        return f"{self.u_core.line_trace()} | {flags} {spikes} v0={int(self.out_v[0])}"


class SpikeSink(ResultSink):
    """Takes the output beats of :class:`ScDenseLif`; ``out_ready`` follows ``pattern``.

    Attributes
    ----------
    spikes, v : list of numpy.ndarray
        Per beat taken: bool ``(N_OUT,)`` spikes and int16 ``(N_OUT,)`` membranes.
    """

    def __init__(self, pattern=None) -> None:
        super().__init__(pattern)
        self.spikes: list[np.ndarray] = []
        self.v: list[np.ndarray] = []

    def observe(self, dut) -> None:
        if dut.out_valid and dut.out_ready:
            self.spikes.append(np.array(dut.out_spike, dtype=bool))
            self.v.append(np.array(dut.out_v, dtype=np.int16))


def dense_lif_sources(transactions, noise, W: int, patterns: dict | None = None) -> list:
    """The cfg, threshold and weight :class:`emu.StreamSource` of a run of steps.

    Parameters
    ----------
    transactions : sequence of emu.DenseTransaction
        One per step.
    noise : array_like or None
        Integer ``(T, N_OUT)`` Q8.8 noise, sent with each step's cfg beat; ``None`` = zero.
    W : int
    patterns : dict, optional
        ``{"cfg", "thr", "w"}`` -> stall pattern (see :class:`emu.StreamSource`).
    """
    patterns = patterns or {}
    srcs = {k: StreamSource(k, [], patterns.get(k)) for k in ("cfg", "thr", "w")}
    for t, tx in enumerate(transactions):
        cfg, thr, w = transaction_beats(tx, W)
        n_out = tx.weights.shape[0]
        cfg[0]["cfg_noise"] = (np.zeros(n_out, dtype=np.int64) if noise is None
                               else np.asarray(noise[t], dtype=np.int64))
        srcs["cfg"].add(cfg)
        srcs["thr"].add(thr)
        srcs["w"].add(w)
    return list(srcs.values())


def run_dense_lif(
    N_IN: int, N_OUT: int, W: int, transactions, params: LifParams, *, n_full: int, y_min: int,
    y_max: int, noise=None, patterns: dict | None = None, probes=(), max_cycles: int | None = None,
    reset_cycles: int = 1, tail_cycles: int = 0,
):
    """Play time steps back to back through an emulated :class:`ScDenseLif` (after a reset).

    Parameters
    ----------
    N_IN, N_OUT, W : int
        Core parameters.
    transactions : sequence of emu.DenseTransaction
        One per step, each of the core's shape.
    params : golden.LifParams
    n_full, y_min, y_max : int
        The current map (held configuration).
    noise : array_like, optional
        Integer ``(T, N_OUT)`` Q8.8 noise; ``None`` = zero.
    patterns : dict, optional
        ``{"cfg", "thr", "w", "out"}`` -> stall / back-pressure pattern; missing = always.
    probes : sequence of callables
        ``probe(cycle, dut)`` each cycle (see :class:`emu.Simulator`).
    max_cycles : int, optional
        Bound on the cycles after the reset (``RuntimeError`` past it); default generous.
    reset_cycles, tail_cycles : int
        Cycles of reset before the steps, and cycles run after the last output beat.

    Returns
    -------
    spikes : numpy.ndarray
        bool ``(T, N_OUT)``.
    v : numpy.ndarray
        int16 ``(T, N_OUT)``: the membranes after each step.
    sim : emu.Simulator
    """
    dut = ScDenseLif(N_IN, N_OUT, W)
    dut.configure(params, n_full=n_full, y_min=y_min, y_max=y_max)
    sink = SpikeSink((patterns or {}).get("out"))
    sim = Simulator(dut, [*dense_lif_sources(transactions, noise, W, patterns), sink], probes)
    sim.reset(reset_cycles)
    T = len(transactions)
    bound = max_cycles or 1000 + 50 * sum(4 + N_IN + -(-int(tx.length) // W) + N_OUT
                                          for tx in transactions)
    sim.run_until(lambda: len(sink.spikes) >= T, bound)
    sim.run(tail_cycles)
    shape = (T, N_OUT)
    spikes = np.array(sink.spikes, dtype=bool).reshape(shape)
    v = np.array(sink.v, dtype=np.int16).reshape(shape)
    return spikes, v, sim
