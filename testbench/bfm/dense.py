"""The BFM of sc_dense (through sc_dense_harness): weights by buffer or port, results back."""

from __future__ import annotations

import math
import os
import random
from collections.abc import Sequence
from pathlib import Path

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, First, RisingEdge, SimTimeoutError, Timer, with_timeout
from cocotb.utils import get_sim_steps, get_sim_time

from emu import CoreShape, DenseTransaction, Tile, beat_ints, weight_beats

from ..model import buffer_image
from .base import CLOCK_NS
from .base import start_clock as _start_clock

__all__ = ["DEFAULT_CYCLE_MARGIN", "DenseBfm", "cycle_budget"]

#: The watchdog of a transaction allows this many times its stall-free cycle count (the
#: microarchitecture's ``1 + N_IN + ceil(L / W) + N_OUT``, plus buffer loads); the
#: ``SCTB_CYCLE_MARGIN`` environment variable overrides it.
DEFAULT_CYCLE_MARGIN = 4.0


def cycle_margin() -> float:
    """The watchdog margin: ``$SCTB_CYCLE_MARGIN`` (a number > 0) or the default."""
    text = os.environ.get("SCTB_CYCLE_MARGIN", "")
    try:
        margin = float(text) if text else DEFAULT_CYCLE_MARGIN
    except ValueError:
        margin = math.nan
    if not (margin > 0 and math.isfinite(margin)):
        raise ValueError(f"SCTB_CYCLE_MARGIN must be a number > 0, got {text!r}")
    return margin


def cycle_budget(core: CoreShape, length: int, *, gap: float = 0.0, backpressure: float = 0.0,
                 margin: float | None = None) -> int:
    """Clock cycles a transaction may take before the BFM's watchdog fails it.

    ``margin`` (default :func:`cycle_margin`) times the stall-free cycle count
    ``core.cycles(length)`` plus 4 cycles per weight-buffer load, stretched by the chance of an
    idle input cycle (``gap``) or of a held ``out_ready`` (``backpressure``), plus 64.
    """
    margin = cycle_margin() if margin is None else margin
    loads = core.beats(length) // max(1, core.depth) + 1
    base = core.cycles(length) + 4 * loads
    return math.ceil(margin * base / (1.0 - max(gap, backpressure, 0.0))) + 64


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

    def _state(self) -> str:
        """The handshake signals now (X/Z shown as such), for a watchdog message."""
        d = self.dut
        names = ("out_valid", "out_ready", "cfg_valid", "cfg_ready", "thr_valid", "thr_ready",
                 "w_valid", "w_ready", "src_done")
        return ", ".join(f"{n}={getattr(d, n).value}" for n in names if hasattr(d, n))

    def _overdue(self, what: str) -> AssertionError:
        return AssertionError(
            f"{what} within {self._budget} cycles (watchdog: {self._why}; "
            f"SCTB_CYCLE_MARGIN scales it); state {self._state()}")

    def _left(self) -> int:
        """Simulator steps left before the watchdog's deadline (at least one clock period)."""
        return max(int(self._deadline - get_sim_time("step")), 0)

    async def _collect(self, n: int, backpressure: float) -> list[int]:
        """Take ``n`` result beats; ``backpressure`` is the chance of holding ``out_ready`` low.

        Raises AssertionError when result beat k of n does not come before the watchdog's
        deadline (a deadlocked design, or one whose handshake went X)."""
        d = self.dut
        out: list[int] = []
        while len(out) < n:
            if self._left() <= 0:
                raise self._overdue(f"no result beat {len(out) + 1} of {n}")
            if not d.out_valid.value.is_resolvable or not d.out_valid.value:
                # Sleep in the simulator until the core has results: no Python per cycle.
                d.out_ready.value = 0
                rose = RisingEdge(d.out_valid)
                fired = await First(rose, Timer(max(self._left(), self._clock), "step"))
                if fired is not rose:
                    raise self._overdue(f"no result beat {len(out) + 1} of {n}")
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
        ints = beat_ints(weight_beats(weights, length, self.core.w, 0, beats), self.core.w)
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
        tx: DenseTransaction,
        *,
        source: str = "buffer",
        gap: float = 0.0,
        backpressure: float = 0.0,
    ) -> list[int]:
        """Run one core transaction and return its ``N_OUT`` counts.

        Parameters
        ----------
        tx : DenseTransaction
            The core transaction: ``N_IN`` thresholds, weights uint64
            ``(N_OUT, N_IN, n_words(length))`` (an array or ``PaddedWeights``, sliced
            ``[..., a:b]`` per buffer load), length ``0 .. 2**25 - 1``; the cfg beat carries
            ``tx.seed16``.
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
        seed16, length, weights = tx.seed16, int(tx.length), tx.weights
        thresholds = np.asarray(tx.thresholds).tolist()
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
        self._budget = cycle_budget(core, length, gap=gap if source == "port" else 0.0,
                                    backpressure=backpressure)
        self._why = (f"{cycle_margin():g} x the {core.cycles(length)}-cycle transaction "
                     f"1 + N_IN {core.n_in} + {core.beats(length)} weight beats + N_OUT "
                     f"{core.n_out}")
        self._clock = get_sim_steps(CLOCK_NS, "ns")
        self._deadline = int(get_sim_time("step")) + self._budget * self._clock
        counts = await self._collect(core.n_out, backpressure)
        for name, task in zip(("cfg", "threshold", "weight"), drivers):
            try:
                await with_timeout(task, max(self._left(), self._clock), "step")
            except SimTimeoutError:
                raise self._overdue(f"the {name} beats were not all taken") from None
        return counts

    async def tile(self, tile: Tile, **kwargs) -> list[int]:
        """Run one tile of a tiled layer (see :func:`emu.tiles`)."""
        return await self.transaction(tile.transaction, **kwargs)
