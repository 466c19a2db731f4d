"""The BFMs of sc_dense_lif: time steps in, spikes and membranes out; the lockstep replay."""

from __future__ import annotations

import random
from collections.abc import Sequence

import cocotb
from cocotb.triggers import FallingEdge, RisingEdge, SimTimeoutError, with_timeout

from emu import CoreShape, DenseTransaction, beat_ints, weight_beats

from ..model import pack_lanes, unpack_lanes
from ..trace import DENSE_LIF_INPUTS, DENSE_LIF_PORTS, DENSE_LIF_REGS, CycleTrace
from .base import CLOCK_NS, _TraceReplay, wmem_path
from .base import start_clock as _start_clock
from .dense import DenseBfm

__all__ = ["DenseLifBfm", "DenseLifCycleBfm"]


def _config_values(params, n_full: int, y_min: int, y_max: int) -> dict:
    vals = {"n_full": n_full, "y_min": y_min, "y_max": y_max, **params._asdict()}
    return {k: int(v) & (0x7FFFFFFF if k == "n_full" else 0xFFFF) for k, v in vals.items()}


class DenseLifBfm(DenseBfm):
    """Drivers and monitors of an ``sc_dense_lif`` top (time steps in, one beat per step out).

    The cfg, threshold and weight streams are driven as :class:`DenseBfm` drives sc_dense's
    (right after falling edges, with random valid gaps); every stream runs ahead on its own, so
    consecutive steps overlap in the core exactly as the hardware allows. The output stream is
    taken with random ``out_ready`` back-pressure.
    """

    def __init__(self, dut, core: CoreShape, rng: random.Random) -> None:
        super().__init__(dut, core, rng, wmem_path())

    async def start(self) -> None:
        """Start the clock (first call only), park every input and reset for two cycles."""
        d = self.dut
        if not self._clock_started:
            _start_clock(d.clk)
            self._clock_started = True
        for sig in (d.cfg_valid, d.thr_valid, d.w_valid, d.out_ready, d.cfg_seed, d.cfg_length,
                    d.cfg_noise, d.thr_data, d.w_data):
            sig.value = 0
        await self.reset()

    async def reset(self, cycles: int = 2) -> None:
        """Hold ``rst`` for ``cycles`` clocks: membranes to ``v_rest``, every stream idle."""
        d = self.dut
        d.rst.value = 1
        for _ in range(cycles):
            await FallingEdge(d.clk)
        d.rst.value = 0

    def configure(self, params, *, n_full: int, y_min: int, y_max: int) -> None:
        """Drive the held configuration: the LIF parameters and the current map."""
        for name, value in _config_values(params, n_full, y_min, y_max).items():
            getattr(self.dut, name).value = value

    async def steps(self, steps: Sequence[DenseTransaction], noise, *, gap: float = 0.0,
                    backpressure: float = 0.0, hold: int = 0) -> list[tuple[list[bool], list[int]]]:
        """Run ``steps`` back to back; return each step's ``(spikes, v)`` output beat.

        Parameters
        ----------
        steps : sequence of DenseTransaction
            The core transaction of each time step (the cfg beat carries ``seed16``).
        noise : array_like
            int ``(T, N_OUT)`` Q8.8, sent with each step's cfg beat.
        gap, backpressure : float
            Chances of an idle cycle before an input beat and of ``out_ready`` low.
        hold : int
            ``out_ready`` stays low for the first ``hold`` cycles (a long stall).
        """
        d, core = self.dut, self.core
        cfg, thr, w = [], [], []
        for s, eta in zip(steps, noise, strict=True):
            if len(s.thresholds) != core.n_in or tuple(s.weights.shape[:2]) != (core.n_out,
                                                                               core.n_in):
                raise ValueError(f"step shape (n_out={s.weights.shape[0]}, "
                                 f"n_in={len(s.thresholds)}) does not match the core "
                                 f"({core.n_out}, {core.n_in})")
            cfg.append((s.seed16, s.length, pack_lanes(eta, 16)))
            thr.extend((int(x),) for x in s.thresholds)
            if s.length:
                ints = beat_ints(weight_beats(s.weights, s.length, core.w), core.w)
                w.extend((v,) for v in ints)
        drivers = [
            cocotb.start_soon(self._drive(d.cfg_valid, [d.cfg_seed, d.cfg_length, d.cfg_noise],
                                          d.cfg_ready, cfg, gap)),
            cocotb.start_soon(self._drive(d.thr_valid, [d.thr_data], d.thr_ready, thr, gap)),
            cocotb.start_soon(self._drive(d.w_valid, [d.w_data], d.w_ready, w, gap)),
        ]
        d.out_ready.value = 0
        for _ in range(hold):
            await FallingEdge(d.clk)
        # A step needs at most 4 + N_IN + beats + N_OUT cycles after the previous one (its
        # input gaps and the output back-pressure come on top): a generous bound for one beat.
        wait = 200 + 20 * max((core.cycles(s.length) + 3 for s in steps), default=0)
        beats = await self._collect_beats(len(steps), backpressure, wait)
        for task in drivers:
            await task
        return beats

    async def _collect_beats(self, n: int, backpressure: float, wait_cycles: int):
        """Take ``n`` output beats; ``AssertionError`` when one takes over ``wait_cycles``."""
        d = self.dut
        out = []
        while len(out) < n:
            if not d.out_valid.value:
                d.out_ready.value = 0
                try:
                    await with_timeout(RisingEdge(d.out_valid), wait_cycles * CLOCK_NS, "ns")
                except SimTimeoutError:
                    raise AssertionError(f"output beat {len(out)} of {n} did not come within "
                                         f"{wait_cycles} cycles") from None
                await FallingEdge(d.clk)
                continue
            ready = not (backpressure and self.rng.random() < backpressure)
            d.out_ready.value = int(ready)
            if ready:
                bus = int(d.out_spike.value)
                out.append(([bool((bus >> k) & 1) for k in range(self.core.n_out)],
                            unpack_lanes(int(d.out_v.value), self.core.n_out, 16, True)))
            await FallingEdge(d.clk)
        d.out_ready.value = 0
        return out

    async def stalled_state(self, cycles: int) -> dict:
        """Hold ``out_ready`` low ``cycles`` clocks, then read the handshake outputs.

        Returns
        -------
        dict
            ``cfg_ready``, ``thr_ready``, ``w_ready``, ``out_valid`` (ints) after the stall.
        """
        d = self.dut
        d.out_ready.value = 0
        for _ in range(cycles):
            await FallingEdge(d.clk)
        return {name: int(getattr(d, name).value)
                for name in ("cfg_ready", "thr_ready", "w_ready", "out_valid")}


class DenseLifCycleBfm(_TraceReplay):
    """Replays a recorded :func:`record_dense_lif` trace on sc_dense_lif, comparing every cycle.

    On each falling edge the recorded inputs of that cycle are driven, then the ports and the
    registers (:data:`DENSE_LIF_PORTS`, :data:`DENSE_LIF_REGS`, each input's LFSR and each
    output's accumulator) are read and compared with the emulator's values of that cycle. Needs
    a build that exposes the registers (Verilator ``--public-flat-rw``).
    """

    def __init__(self, dut, core: CoreShape) -> None:
        self.dut = dut
        self.core = core
        self.inputs = {name: getattr(dut, name) for name in DENSE_LIF_INPUTS}

        def handle(path: str):
            h = dut
            for part in path.split("."):
                h = getattr(h, part)
            return h

        self.checked = {name: handle(name) for name in DENSE_LIF_PORTS + DENSE_LIF_REGS}
        self.lfsr = [dut.u_core.g_in[i].u_lfsr.r for i in range(core.n_in)]
        self.acc = [dut.u_core.g_out[o].acc for o in range(core.n_out)]
        #: Values compared in the last replay.
        self.compared = 0

    async def start(self) -> None:
        """Start the clock, park every input with ``rst`` high, and wait for a falling edge."""
        d = self.dut
        _start_clock(d.clk)
        for sig in self.inputs.values():
            sig.value = 0
        d.n_full.value = 1
        d.rst.value = 1
        await FallingEdge(d.clk)

    _show = staticmethod(hex)

    def _compare(self, cycle: int, exp: dict, trace: CycleTrace) -> str | None:
        def check(name: str, handle, want) -> str | None:
            return self._check(cycle, name, handle, want)

        for name, handle in self.checked.items():
            bad = check(name, handle, exp[name])
            if bad:
                return bad
        for group, handles in (("lfsr", self.lfsr), ("acc", self.acc)):
            if exp[group] is None:
                continue
            for k, handle in enumerate(handles):
                label = (f"u_core.g_in[{k}].u_lfsr.r" if group == "lfsr"
                         else f"u_core.g_out[{k}].acc")
                bad = check(label, handle, exp[group][k])
                if bad:
                    return bad
        return None
