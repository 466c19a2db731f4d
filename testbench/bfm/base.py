"""Bus-functional models: the only code that touches ``dut`` (drives on the falling clock edge)."""

from __future__ import annotations

import dataclasses
import os
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge, SimTimeoutError, with_timeout

from .model import CoreShape, Tile, beat_ints, buffer_image, weight_beats

__all__ = [
    "BlocksBfm",
    "CycleBfm",
    "CycleTrace",
    "DenseBfm",
    "DenseLifBfm",
    "DenseLifCycleBfm",
    "DenseLifStep",
    "NeuronBfm",
    "pack_lanes",
    "record_dense_lif",
    "record_emulator",
    "unpack_lanes",
]

#: Clock period of every test top, in ns.
CLOCK_NS = 10


def _start_clock(clk) -> None:
    # The clock toggles in the simulator (GPI clock): no Python per clock edge.
    Clock(clk, CLOCK_NS, unit="ns", impl="gpi").start()


class DenseBfm:
    """Drivers and monitors of the sc_dense_harness streams.

    Every input changes right after a falling edge; ``ready`` and ``valid`` outputs depend on
    registers only, so the value read at a falling edge is the one the next rising edge sees:
    a beat is transferred at that rising edge when ``valid`` and ``ready`` were both read high.

    Parameters
    ----------
    dut : cocotb handle
        The ``sc_dense_harness`` top.
    core : CoreShape
        Its parameters.
    rng : random.Random
        Source of valid gaps and ready back-pressure.
    wmem_file : pathlib.Path
        The ``WMEM_FILE`` the harness reads (relative to the simulator's working directory).
    """

    def __init__(self, dut, core: CoreShape, rng: random.Random, wmem_file: Path) -> None:
        self.dut = dut
        self.core = core
        self.rng = rng
        self.wmem_file = Path(wmem_file)
        self._clock_started = False

    async def start(self) -> None:
        """Start the clock (on the first call only), park every input, and reset for two cycles.

        Calling it again resets the DUT between transactions (the pyuvm and hypothesis suites
        reset per example)."""
        d = self.dut
        if not self._clock_started:
            _start_clock(d.clk)
            self._clock_started = True
        for sig in (d.cfg_valid, d.thr_valid, d.w_valid, d.out_ready, d.src_sel, d.src_load):
            sig.value = 0
        d.cfg_seed.value = 0
        d.cfg_length.value = 0
        d.thr_data.value = 0
        d.w_data.value = 0
        d.src_count.value = 0
        d.rst.value = 1
        for _ in range(2):
            await FallingEdge(d.clk)
        d.rst.value = 0

    # -- generic valid/ready driver ----------------------------------------------------------
    async def _drive(self, valid, data: Sequence, ready, payloads: Sequence, gap: float) -> None:
        """Offer ``payloads`` one beat each; ``gap`` is the chance of an idle cycle before a beat.

        ``data`` is the list of data signals, each payload a tuple of the same length.
        Must be entered right after a falling edge; returns right after one.
        """
        clk = self.dut.clk
        for payload in payloads:
            while gap and self.rng.random() < gap:
                valid.value = 0
                await FallingEdge(clk)
            for sig, value in zip(data, payload):
                sig.value = value
            valid.value = 1
            while True:
                taken = bool(ready.value)
                await FallingEdge(clk)
                if taken:
                    break
        valid.value = 0

    async def _collect(self, n: int, backpressure: float) -> list[int]:
        """Take ``n`` result beats; ``backpressure`` is the chance of holding ``out_ready`` low."""
        d = self.dut
        out: list[int] = []
        while len(out) < n:
            if not d.out_valid.value:
                # Sleep in the simulator until the core has results: no Python per cycle.
                d.out_ready.value = 0
                await RisingEdge(d.out_valid)
                await FallingEdge(d.clk)
                continue
            ready = not (backpressure and self.rng.random() < backpressure)
            d.out_ready.value = int(ready)
            if ready:
                out.append(int(d.out_data.value))
                last = bool(d.out_last.value)
                if last != (len(out) == n):
                    raise AssertionError(
                        f"out_last was {int(last)} on result beat {len(out) - 1} of {n}"
                    )
            await FallingEdge(d.clk)
        d.out_ready.value = 0
        return out

    # -- weight sources ---------------------------------------------------------------------
    async def _weights_port(self, weights: np.ndarray, length: int, gap: float) -> None:
        d = self.dut
        beats = self.core.beats(length)
        ints = beat_ints(weight_beats(np.asarray(weights), length, self.core.w, 0, beats))
        await self._drive(d.w_valid, [d.w_data], d.w_ready, [(v,) for v in ints], gap)

    def _image(self, weights, length: int, k0: int, k1: int) -> bytes:
        """The buffer file for beats ``k0 .. k1 - 1``, slicing only the words they cover."""
        w = self.core.w
        if (k0 * w) % 64 == 0:
            w0, w1 = k0 * w // 64, -(-k1 * w // 64)
            return buffer_image(weights[..., w0:w1], length - k0 * w, w, 0, k1 - k0)
        return buffer_image(np.asarray(weights), length, w, k0, k1)

    async def _weights_buffer(self, weights: np.ndarray, length: int) -> None:
        """Stream the weights from the harness buffer, DEPTH beats per file load."""
        d = self.dut
        beats = self.core.beats(length)
        d.src_sel.value = 1
        for k0 in range(0, beats, self.core.depth):
            k1 = min(beats, k0 + self.core.depth)
            self.wmem_file.write_bytes(self._image(weights, length, k0, k1))
            d.src_count.value = k1 - k0
            d.src_load.value = 1
            await FallingEdge(d.clk)
            d.src_load.value = 0
            # The buffer now offers its beats, one per clock, without Python.
            await FallingEdge(d.clk)
            if not d.src_done.value:
                await RisingEdge(d.src_done)
                await FallingEdge(d.clk)
        d.src_sel.value = 0

    # -- one core transaction ---------------------------------------------------------------
    async def transaction(
        self,
        seed16: int,
        length: int,
        thresholds: Sequence[int],
        weights: np.ndarray,
        *,
        source: str = "buffer",
        gap: float = 0.0,
        backpressure: float = 0.0,
    ) -> list[int]:
        """Run one core transaction and return its ``N_OUT`` counts.

        Parameters
        ----------
        seed16 : int
            Base seed of core input 0, ``0 .. 0xFFFF``.
        length : int
            Stream length, ``0 .. 2**25 - 1``.
        thresholds : sequence of int
            ``N_IN`` thresholds in ``[0, 65536]``.
        weights : numpy.ndarray or PaddedWeights
            uint64 ``(N_OUT, N_IN, n_words(length))`` (sliced ``[..., a:b]`` per buffer load).
        source : {"buffer", "port"}
            ``"buffer"``: weights from the harness buffer (no Python per beat);
            ``"port"``: beat by beat from Python through the ``w_*`` port.
        gap, backpressure : float
            Chances of an idle cycle before an input beat and of ``out_ready`` low
            (cfg, threshold and port weight beats; result beats).

        Returns
        -------
        list of int
            ``N_OUT`` counts, output 0 first.
        """
        d = self.dut
        core = self.core
        if len(thresholds) != core.n_in or tuple(weights.shape[:2]) != (core.n_out, core.n_in):
            raise ValueError(
                f"transaction shape (n_out={weights.shape[0]}, n_in={len(thresholds)}) "
                f"does not match the core ({core.n_out}, {core.n_in})"
            )
        if source not in ("buffer", "port"):
            raise ValueError(f"source must be 'buffer' or 'port', got {source!r}")
        drivers = [
            cocotb.start_soon(self._drive(
                d.cfg_valid, [d.cfg_seed, d.cfg_length], d.cfg_ready, [(seed16, length)], gap)),
            cocotb.start_soon(self._drive(
                d.thr_valid, [d.thr_data], d.thr_ready, [(int(x),) for x in thresholds], gap)),
        ]
        if length:
            if source == "port":
                drivers.append(cocotb.start_soon(self._weights_port(weights, length, gap)))
            else:
                drivers.append(cocotb.start_soon(self._weights_buffer(weights, length)))
        counts = await self._collect(core.n_out, backpressure)
        for task in drivers:
            await task
        return counts

    async def tile(self, tile: Tile, length: int, **kwargs) -> list[int]:
        """Run one tile of a tiled layer (see :func:`testbench.model.tiles`)."""
        return await self.transaction(tile.seed16, length, tile.thresholds.tolist(),
                                      tile.weights, **kwargs)


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


# ---- cycle-exactness: the emulator's per-cycle drive replayed on the RTL ----------------------
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

    def __call__(self, cycle: int, dut) -> None:
        ins = {name: int(getattr(dut, name)) for name in CYCLE_INPUTS if name != "w_data"}
        ins["w_data"] = self._w_pack(dut.w_data)
        exp = {name: int(getattr(dut, name)) for name in CYCLE_PORTS + CYCLE_CONTROL}
        exp["lfsr"] = tuple(int(v) for v in dut.lfsr)
        exp["acc"] = tuple(int(v) for v in dut.acc)
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

    dut = (dense_cls or emu.ScDense)(core.n_in, core.n_out, core.w)
    srcs = {k: emu.StreamSource(k, [], patterns.get(k)) for k in ("cfg", "thr", "w")}
    for tx in transactions:
        for k, beats in zip(("cfg", "thr", "w"), emu.transaction_beats(tx, core.w)):
            srcs[k].add(beats)
    sink = emu.ResultSink(patterns.get("out"))
    rec = _Recorder(core)
    sim = emu.Simulator(dut, [*srcs.values(), sink], [rec])
    dut.out_ready = 0
    sim.reset(reset_cycles)
    expected = core.n_out * len(transactions)
    bound = 100 + 50 * sum(core.cycles(tx.length) for tx in transactions)
    try:
        sim.run_until(lambda: len(sink.values) >= expected, bound)
    except RuntimeError:
        return CycleTrace(rec.inputs, rec.expected, rec.first_cfg, list(sink.values), False)
    sim.run(tail_cycles)
    return CycleTrace(rec.inputs, rec.expected, rec.first_cfg, list(sink.values))


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


def wmem_path() -> Path:
    """The harness's ``WMEM_FILE`` (``SCTB_WMEM_FILE``, else ``sctb_wmem.dat`` in the cwd)."""
    return Path(os.environ.get("SCTB_WMEM_FILE", "sctb_wmem.dat"))


# ---- sc_dense_lif: the dense core ending in LIF neurons ---------------------------------------
def pack_lanes(values, width: int) -> int:
    """Lanes (signed or unsigned ints) -> one bus value, lane k at bits ``[k*width +: width]``."""
    mask = (1 << width) - 1
    out = 0
    for k, v in enumerate(values):
        out |= (int(v) & mask) << (k * width)
    return out


def unpack_lanes(bus: int, n: int, width: int, signed: bool = True) -> list[int]:
    """The inverse of :func:`pack_lanes`."""
    out = []
    for k in range(n):
        v = (bus >> (k * width)) & ((1 << width) - 1)
        if signed and v >> (width - 1):
            v -= 1 << width
        out.append(v)
    return out


#: Held configuration ports of sc_dense_lif (raw ints; signed Q8.8 ones are driven as 16 bits).
DENSE_LIF_CONFIG = ("n_full", "y_min", "y_max", "v_rest", "v_reset", "v_th", "leak", "gain",
                    "refractory")


def _config_values(params, n_full: int, y_min: int, y_max: int) -> dict:
    vals = {"n_full": n_full, "y_min": y_min, "y_max": y_max, **params._asdict()}
    return {k: int(v) & (0x7FFFFFFF if k == "n_full" else 0xFFFF) for k, v in vals.items()}


@dataclasses.dataclass(frozen=True)
class DenseLifStep:
    """One time step of sc_dense_lif: what its cfg, threshold and weight streams carry.

    Attributes
    ----------
    seed16 : int
        Base seed of core input 0, ``0 .. 0xFFFF``.
    length : int
        Stream length in bits.
    thresholds : numpy.ndarray
        int ``(N_IN,)`` in ``[0, 65536]``.
    weights : numpy.ndarray
        uint64 ``(N_OUT, N_IN, n_words(length))``.
    noise : numpy.ndarray
        int ``(N_OUT,)`` Q8.8, sent with the cfg beat.
    """

    seed16: int
    length: int
    thresholds: np.ndarray
    weights: np.ndarray
    noise: np.ndarray


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

    async def steps(self, steps: Sequence[DenseLifStep], *, gap: float = 0.0,
                    backpressure: float = 0.0, hold: int = 0) -> list[tuple[list[bool], list[int]]]:
        """Run ``steps`` back to back; return each step's ``(spikes, v)`` output beat.

        Parameters
        ----------
        steps : sequence of DenseLifStep
        gap, backpressure : float
            Chances of an idle cycle before an input beat and of ``out_ready`` low.
        hold : int
            ``out_ready`` stays low for the first ``hold`` cycles (a long stall).
        """
        d, core = self.dut, self.core
        cfg, thr, w = [], [], []
        for s in steps:
            if len(s.thresholds) != core.n_in or tuple(s.weights.shape[:2]) != (core.n_out,
                                                                               core.n_in):
                raise ValueError(f"step shape (n_out={s.weights.shape[0]}, "
                                 f"n_in={len(s.thresholds)}) does not match the core "
                                 f"({core.n_out}, {core.n_in})")
            cfg.append((s.seed16, s.length, pack_lanes(s.noise, 16)))
            thr.extend((int(x),) for x in s.thresholds)
            if s.length:
                ints = beat_ints(weight_beats(np.asarray(s.weights), s.length, core.w, 0,
                                              core.beats(s.length)))
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

    def __call__(self, cycle: int, dut) -> None:
        cnt_w = dut.CNT_W
        ins = {name: int(getattr(dut, name)) for name in DENSE_LIF_INPUTS
               if name not in ("w_data", "cfg_noise", "y_min", "y_max", "v_rest", "v_reset",
                               "v_th", "gain")}
        for name in ("y_min", "y_max", "v_rest", "v_reset", "v_th", "gain"):
            ins[name] = int(getattr(dut, name)) & 0xFFFF
        ins["w_data"] = self._w_pack(dut.w_data)
        ins["cfg_noise"] = pack_lanes(dut.cfg_noise, 16)
        core = dut.u_core
        exp = {
            "cfg_ready": dut.cfg_ready, "thr_ready": dut.thr_ready, "w_ready": dut.w_ready,
            "out_valid": int(dut.out_valid),
            "out_spike": pack_lanes(dut.out_spike, 1), "out_v": pack_lanes(dut.out_v, 16),
            "u_core.state": core.state, "u_core.idx": core.idx, "u_core.rem": core.rem,
            "core_out_ready": dut.core_out_ready,
            "cnt": pack_lanes(dut.cnt, cnt_w), "cnt_valid": int(dut.cnt_valid),
            "noise_cfg": pack_lanes(dut.noise_cfg, 16),
            "noise_step": pack_lanes(dut.noise_step, 16),
            "u_d2c.out_valid": int(dut.u_d2c.out_valid),
            "u_d2c.current": pack_lanes(dut.u_d2c.current, 16) if self.d2c_defined else None,
            "u_lif.ref_cnt": pack_lanes(dut.u_lif.ref_cnt, 16),
        }
        datapath = self.first_cfg >= 0 and cycle > self.first_cfg
        exp["lfsr"] = tuple(int(v) for v in core.lfsr) if datapath else None
        exp["acc"] = tuple(int(v) for v in core.acc) if datapath else None
        if self.first_cfg < 0 and ins["cfg_valid"] and exp["cfg_ready"]:
            self.first_cfg = cycle
        if dut.cnt_valid and not dut.rst:
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


# ---- sc_dot_to_current and sc_lif side by side (sc_neuron_top) ---------------------------------
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

    async def lif_reset(self) -> None:
        d = self.dut
        d.rst.value = 1
        await FallingEdge(d.clk)
        d.rst.value = 0

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
