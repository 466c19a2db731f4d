"""Emulator recorders: run the cycle-level emulator and record every cycle for an RTL replay.

Only the emulator runs here (no simulator, no ``dut``): the BFMs replay the traces on the RTL.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .model import CoreShape, pack_lanes

__all__ = [
    "CYCLE_CONTROL",
    "CYCLE_INPUTS",
    "CYCLE_PORTS",
    "DENSE_LIF_CONFIG",
    "DENSE_LIF_INPUTS",
    "DENSE_LIF_PORTS",
    "DENSE_LIF_REGS",
    "CycleTrace",
    "record_dense_lif",
    "record_emulator",
]

#: Input ports of sc_dense_harness the cycle replay drives (src_* stay 0: the port source).
CYCLE_INPUTS = ("rst", "cfg_valid", "cfg_seed", "cfg_length", "thr_valid", "thr_data",
                "w_valid", "w_data", "out_ready")
#: Output ports compared every cycle.
CYCLE_PORTS = ("cfg_ready", "thr_ready", "w_ready", "out_valid", "out_data", "out_last")
#: Control registers compared every cycle after reset.
CYCLE_CONTROL = ("state", "idx", "rem")


@dataclasses.dataclass
class CycleTrace:
    """What the emulator drove and held on every cycle of one run.

    Attributes
    ----------
    inputs : list of dict
        Per cycle, the value of every port in :data:`CYCLE_INPUTS` (``w_data`` as the RTL's
        packed int: stream ``(o, i)`` at bits ``[(o*N_IN + i)*W +: W]``).
    expected : list of dict
        Per cycle, the emulator's outputs (:data:`CYCLE_PORTS`), control registers
        (:data:`CYCLE_CONTROL`) and ``lfsr`` / ``acc`` (tuples of int), sampled after the inputs
        of that cycle are driven, before its rising edge.
    first_cfg : int
        The first cycle whose rising edge takes a cfg beat (LFSRs and accumulators are loaded
        there: the RTL holds X before it); ``-1`` if none.
    results : list of int
        The result beats the sink took.
    finished : bool
        Whether every result beat was taken within the cycle bound (a broken model may hang;
        its trace up to the bound is still replayed, so the first mismatch is reported).
    """

    inputs: list
    expected: list
    first_cfg: int
    results: list
    finished: bool = True


class _Recorder:
    """An emulator probe that records the driven inputs and the state of every cycle."""

    def __init__(self, core: CoreShape) -> None:
        self.shifts = [(o * core.n_in + i) * core.w for o in range(core.n_out)
                       for i in range(core.n_in)]
        self.inputs: list[dict] = []
        self.expected: list[dict] = []
        self.first_cfg = -1
        self._w_key = None
        self._w_int = 0

    def _w_pack(self, w_data: np.ndarray) -> int:
        key = w_data.tobytes()
        if key != self._w_key:
            flat = w_data.reshape(-1)
            self._w_key, self._w_int = key, sum(int(v) << s for v, s in zip(flat, self.shifts))
        return self._w_int

    def __call__(self, cycle: int, model) -> None:
        ins = {name: int(getattr(model, name)) for name in CYCLE_INPUTS if name != "w_data"}
        ins["w_data"] = self._w_pack(model.w_data)
        exp = {name: int(getattr(model, name)) for name in CYCLE_PORTS + CYCLE_CONTROL}
        exp["lfsr"] = tuple(int(v) for v in model.lfsr)
        exp["acc"] = tuple(int(v) for v in model.acc)
        if self.first_cfg < 0 and ins["cfg_valid"] and exp["cfg_ready"]:
            self.first_cfg = cycle
        self.inputs.append(ins)
        self.expected.append(exp)


def record_emulator(core: CoreShape, transactions, patterns: dict, *, reset_cycles: int = 2,
                    tail_cycles: int = 3, dense_cls=None) -> CycleTrace:
    """Run ``transactions`` through the emulator with stalls and record every cycle.

    The cfg, threshold and weight sources (``emu.StreamSource``) and the result sink
    (``emu.ResultSink``) make the per-cycle drive decisions; the replay on the RTL
    (:meth:`CycleBfm.replay`) drives literally the recorded values.

    Parameters
    ----------
    core : CoreShape
    transactions : sequence of emu.DenseTransaction
    patterns : dict
        ``{"cfg", "thr", "w", "out"}`` -> sequence of bool (``valid`` / ``out_ready`` may be
        high on cycle ``c`` only when ``pattern[c % len]``); a missing key means always.
    reset_cycles : int
        Cycles with ``rst`` high first.
    tail_cycles : int
        Idle cycles recorded after the last result beat.
    dense_cls : type, optional
        The core model (default ``emu.ScDense``; a planted-bug subclass in the negative tests).
    """
    import emu

    model = (dense_cls or emu.ScDense)(core.n_in, core.n_out, core.w)
    srcs = {k: emu.StreamSource(k, [], patterns.get(k)) for k in ("cfg", "thr", "w")}
    for tx in transactions:
        for k, beats in zip(("cfg", "thr", "w"), emu.transaction_beats(tx, core.w)):
            srcs[k].add(beats)
    sink = emu.ResultSink(patterns.get("out"))
    rec = _Recorder(core)
    sim = emu.Simulator(model, [*srcs.values(), sink], [rec])
    model.out_ready = 0
    sim.reset(reset_cycles)
    expected = core.n_out * len(transactions)
    bound = 100 + 50 * sum(core.cycles(tx.length) for tx in transactions)
    try:
        sim.run_until(lambda: len(sink.values) >= expected, bound)
    except RuntimeError:
        return CycleTrace(rec.inputs, rec.expected, rec.first_cfg, list(sink.values), False)
    sim.run(tail_cycles)
    return CycleTrace(rec.inputs, rec.expected, rec.first_cfg, list(sink.values))


#: Held configuration ports of sc_dense_lif (raw ints; signed Q8.8 ones are driven as 16 bits).
DENSE_LIF_CONFIG = ("n_full", "y_min", "y_max", "v_rest", "v_reset", "v_th", "leak", "gain",
                    "refractory")


#: Input ports of sc_dense_lif the lockstep replay drives every cycle (and the configuration).
DENSE_LIF_INPUTS = ("rst", "cfg_valid", "cfg_seed", "cfg_length", "cfg_noise", "thr_valid",
                    "thr_data", "w_valid", "w_data", "out_ready") + DENSE_LIF_CONFIG
#: Output ports compared every cycle.
DENSE_LIF_PORTS = ("cfg_ready", "thr_ready", "w_ready", "out_valid", "out_spike", "out_v")
#: Registers compared every cycle, by their RTL path below the top (``None``: not yet defined).
DENSE_LIF_REGS = ("u_core.state", "u_core.idx", "u_core.rem", "core_out_ready", "cnt",
                  "cnt_valid", "noise_cfg", "noise_step", "u_d2c.out_valid", "u_d2c.current",
                  "u_lif.ref_cnt")


class _DenseLifRecorder(_Recorder):
    """An emulator probe recording every cycle of an :class:`emu.ScDenseLif` run."""

    def __init__(self, core: CoreShape) -> None:
        super().__init__(core)
        self.d2c_defined = False

    def __call__(self, cycle: int, model) -> None:
        cnt_w = model.CNT_W
        ins = {name: int(getattr(model, name)) for name in DENSE_LIF_INPUTS
               if name not in ("w_data", "cfg_noise", "y_min", "y_max", "v_rest", "v_reset",
                               "v_th", "gain")}
        for name in ("y_min", "y_max", "v_rest", "v_reset", "v_th", "gain"):
            ins[name] = int(getattr(model, name)) & 0xFFFF
        ins["w_data"] = self._w_pack(model.w_data)
        ins["cfg_noise"] = pack_lanes(model.cfg_noise, 16)
        core = model.u_core
        exp = {
            "cfg_ready": model.cfg_ready, "thr_ready": model.thr_ready, "w_ready": model.w_ready,
            "out_valid": int(model.out_valid),
            "out_spike": pack_lanes(model.out_spike, 1), "out_v": pack_lanes(model.out_v, 16),
            "u_core.state": core.state, "u_core.idx": core.idx, "u_core.rem": core.rem,
            "core_out_ready": model.core_out_ready,
            "cnt": pack_lanes(model.cnt, cnt_w), "cnt_valid": int(model.cnt_valid),
            "noise_cfg": pack_lanes(model.noise_cfg, 16),
            "noise_step": pack_lanes(model.noise_step, 16),
            "u_d2c.out_valid": int(model.u_d2c.out_valid),
            "u_d2c.current": pack_lanes(model.u_d2c.current, 16) if self.d2c_defined else None,
            "u_lif.ref_cnt": pack_lanes(model.u_lif.ref_cnt, 16),
        }
        datapath = self.first_cfg >= 0 and cycle > self.first_cfg
        exp["lfsr"] = tuple(int(v) for v in core.lfsr) if datapath else None
        exp["acc"] = tuple(int(v) for v in core.acc) if datapath else None
        if self.first_cfg < 0 and ins["cfg_valid"] and exp["cfg_ready"]:
            self.first_cfg = cycle
        if model.cnt_valid and not model.rst:
            self.d2c_defined = True   # u_d2c.current is loaded at this edge (X before on RTL)
        self.inputs.append(ins)
        self.expected.append(exp)


def record_dense_lif(core: CoreShape, transactions, noise, params, *, n_full: int, y_min: int,
                     y_max: int, patterns: dict, reset_cycles: int = 2,
                     tail_cycles: int = 4) -> tuple[CycleTrace, np.ndarray, np.ndarray]:
    """Run time steps through the emulated sc_dense_lif with stalls and record every cycle.

    Parameters
    ----------
    core : CoreShape
    transactions : sequence of emu.DenseTransaction
        One per step.
    noise : array_like or None
        Integer ``(T, N_OUT)`` Q8.8.
    params : golden.LifParams
    n_full, y_min, y_max : int
    patterns : dict
        ``{"cfg", "thr", "w", "out"}`` -> stall pattern; missing = always.

    Returns
    -------
    trace : CycleTrace
        ``results`` holds the number of output beats taken.
    spikes : numpy.ndarray
        bool ``(T, N_OUT)`` the emulator's output beats.
    v : numpy.ndarray
        int16 ``(T, N_OUT)``.
    """
    import emu

    rec = _DenseLifRecorder(core)
    bound = 100 + 50 * sum(core.cycles(tx.length) + 3 for tx in transactions)
    try:
        spikes, v, _ = emu.run_dense_lif(
            core.n_in, core.n_out, core.w, transactions, params, n_full=n_full, y_min=y_min,
            y_max=y_max, noise=noise, patterns=patterns, probes=[rec], max_cycles=bound,
            reset_cycles=reset_cycles, tail_cycles=tail_cycles)
        finished = True
    except RuntimeError:  # did not finish: the caller reports it (trace.finished)
        spikes = np.zeros((0, core.n_out), dtype=bool)
        v = np.zeros((0, core.n_out), dtype=np.int16)
        finished = False
    trace = CycleTrace(rec.inputs, rec.expected, rec.first_cfg, list(range(len(spikes))),
                       finished)
    return trace, spikes, v
