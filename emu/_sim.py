"""The emulator's scheduler, stream agents and tiling: the same transactions as the cocotb BFM."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

import golden

from ._blocks import LEN_W, S_CFG, ScDense
from ._txn import CoreShape, DenseTransaction, Tile, tiles, untile, weight_beats

__all__ = [
    "ResultSink",
    "Simulator",
    "StreamSource",
    "run_dense",
    "run_layer",
    "transaction_beats",
]


class StreamSource:
    """Drives one valid/ready stream with a queue of beats; ``valid`` follows ``pattern``.

    Parameters
    ----------
    name : str
        Port prefix on the DUT (``cfg``, ``thr`` or ``w``).
    beats : iterable of dict
        Port values of each beat, e.g. ``{"thr_data": 32768}``.
    pattern : sequence of bool, optional
        ``valid`` may be high on cycle ``c`` only when ``pattern[c % len(pattern)]`` (stalls);
        default always.
    """

    def __init__(self, name: str, beats: Iterable[dict], pattern: Sequence[bool] | None = None):
        self.name = name
        self.beats = list(beats)
        self.pos = 0
        self.pattern = np.asarray(pattern if pattern is not None else [True], dtype=bool)

    def add(self, beats: Iterable[dict]) -> None:
        self.beats.extend(beats)

    def drive(self, dut: Any, cycle: int) -> None:
        valid = self.pos < len(self.beats) and bool(self.pattern[cycle % self.pattern.size])
        setattr(dut, f"{self.name}_valid", int(valid))
        if self.pos < len(self.beats):
            for port, value in self.beats[self.pos].items():
                setattr(dut, port, value)

    def observe(self, dut: Any) -> None:
        if getattr(dut, f"{self.name}_valid") and getattr(dut, f"{self.name}_ready"):
            self.pos += 1


class ResultSink:
    """Takes result beats; ``out_ready`` follows ``pattern`` (back-pressure)."""

    def __init__(self, pattern: Sequence[bool] | None = None) -> None:
        self.pattern = np.asarray(pattern if pattern is not None else [True], dtype=bool)
        self.values: list[int] = []
        self.lasts: list[int] = []

    def drive(self, dut: Any, cycle: int) -> None:
        dut.out_ready = int(self.pattern[cycle % self.pattern.size])

    def observe(self, dut: Any) -> None:
        if dut.out_valid and dut.out_ready:
            self.values.append(dut.out_data)
            self.lasts.append(dut.out_last)


class Simulator:
    """A small cycle scheduler: agents drive the inputs (the falling edge), probes sample, then
    every handshake is observed and the DUT takes its rising edge.

    Parameters
    ----------
    dut : ScDense (or any block with ``tick``)
    agents : sequence
        Objects with ``drive(dut, cycle)`` and ``observe(dut)``.
    probes : sequence of callables, optional
        ``probe(cycle, dut)`` after the inputs of a cycle are driven (a VCD writer, a trace).
    """

    def __init__(self, dut: Any, agents: Sequence[Any] = (),
                 probes: Sequence[Callable[[int, Any], None]] = ()) -> None:
        self.dut = dut
        self.agents = list(agents)
        self.probes = list(probes)
        self.cycle = 0

    def reset(self, cycles: int = 1) -> None:
        """Hold ``rst`` high for ``cycles`` edges (agents idle), then release it."""
        if self.agents:
            for port in ("cfg_valid", "thr_valid", "w_valid"):
                if hasattr(self.dut, port):
                    setattr(self.dut, port, 0)
        self.dut.rst = 1
        for _ in range(cycles):
            for probe in self.probes:
                probe(self.cycle, self.dut)
            self.dut.tick()
            self.cycle += 1
        self.dut.rst = 0

    def tick(self) -> None:
        for agent in self.agents:
            agent.drive(self.dut, self.cycle)
        for probe in self.probes:
            probe(self.cycle, self.dut)
        for agent in self.agents:
            agent.observe(self.dut)
        self.dut.tick()
        self.cycle += 1

    def run(self, n: int) -> None:
        for _ in range(n):
            self.tick()

    def run_until(self, done: Callable[[], bool], max_cycles: int) -> int:
        """Tick until ``done()``; return the cycles taken (RuntimeError past ``max_cycles``)."""
        start = self.cycle
        while not done():
            if self.cycle - start >= max_cycles:
                raise RuntimeError(f"no completion within {max_cycles} cycles")
            self.tick()
        return self.cycle - start


def transaction_beats(tx: DenseTransaction, W: int) -> tuple[list[dict], list[dict], list[dict]]:
    """The cfg, threshold and weight beats of one transaction."""
    cfg = [{"cfg_seed": tx.seed16, "cfg_length": int(tx.length)}]
    thr = [{"thr_data": int(x)} for x in tx.thresholds]
    w = [{"w_data": b} for b in weight_beats(tx.weights, tx.length, W)] if tx.length else []
    return cfg, thr, w


_FAST_CHUNK = 1 << 16  # stream bits per vectorised step of the fast path (bounded memory)


def _run_fast(dut: ScDense, sim: Simulator, sink: ResultSink,
              transactions: Sequence[DenseTransaction]) -> None:
    """Advance ``sim`` through whole transactions with no stalls, vectorised over every beat.

    With sources always valid and the sink always ready, the core takes the cfg beat, N_IN
    threshold beats, ``ceil(L / W)`` weight beats and N_OUT result beats on consecutive
    cycles (docs/microarchitecture.md), so each transaction is ``1 + N_IN + B + N_OUT``
    cycles. The counts are those of the per-cycle path (the same comparators on the same LFSR
    states, masked at ``length``); the registers end as the per-cycle path leaves them: state
    CFG, ``idx = rem = 0``, ``thr`` the transaction's thresholds, each LFSR ``B * W`` steps on
    from its seed, ``acc`` all shifted out (zero).
    """
    table, index = golden.orbit_table(), golden.orbit_index()
    period = table.size
    for tx in transactions:
        length = int(tx.length) & ((1 << LEN_W) - 1)
        pos = index[golden.input_seeds(dut.N_IN, tx.seed16)].astype(np.int64)
        thr = np.asarray(tx.thresholds, dtype=np.int64)
        weights = np.asarray(tx.weights, dtype=np.uint64)
        counts = np.zeros(dut.N_OUT, dtype=np.int64)
        for t0 in range(0, length, _FAST_CHUNK):
            n = min(_FAST_CHUNK, length - t0)
            states = table[(pos[:, None] + t0 + np.arange(n)) % period]      # sc_lfsr16 chains
            x = golden.pack_bitstream(states < thr[:, None])                   # sc_sng, masked
            w = weights[:, :, t0 // 64 : t0 // 64 + x.shape[1]]
            counts += np.bitwise_count(w & x[None]).sum(axis=(1, 2), dtype=np.int64)
        beats = -(-length // dut.W)
        sink.values.extend(int(c) for c in counts)
        sink.lasts.extend([0] * (dut.N_OUT - 1) + [1])
        dut.lfsr = table[(pos + beats * dut.W) % period].astype(np.uint16)
        dut.thr = thr.astype(np.int32)
        dut.acc = np.zeros(dut.N_OUT, dtype=np.int64)
        dut.state, dut.idx, dut.rem = S_CFG, 0, 0
        sim.cycle += 1 + dut.N_IN + beats + dut.N_OUT


def run_dense(
    N_IN: int, N_OUT: int, W: int, transactions: Sequence[DenseTransaction], *,
    in_pattern: Sequence[bool] | None = None, out_pattern: Sequence[bool] | None = None,
    probes: Sequence[Callable[[int, Any], None]] = (), max_cycles: int | None = None,
    fast: bool = False,
) -> tuple[list[np.ndarray], Simulator]:
    """Play transactions back to back through an emulated core, with optional stalls.

    ``fast=True`` (no stall patterns, no probes) advances whole transactions at once,
    vectorised over all beats, with the same counts, cycle count and final registers as the
    per-cycle path (tests/test_sim_cycle.py); the default per-cycle path runs ``ScDense.tick``
    every clock (traces, stalls, planted-bug tests).

    Returns
    -------
    results : list of numpy.ndarray
        int64 ``(N_OUT,)`` per transaction, in order.
    sim : Simulator
        ``sim.cycle`` is the number of cycles run (reset included).
    """
    dut = ScDense(N_IN, N_OUT, W)
    if fast and (in_pattern is not None or out_pattern is not None or probes):
        raise ValueError("fast=True needs no stall patterns and no probes (the per-cycle path)")
    if fast:
        sink = ResultSink()
        sim = Simulator(dut, [sink])
        sim.reset()
        _run_fast(dut, sim, sink, transactions)
        vals = np.array(sink.values, dtype=np.int64).reshape(len(transactions), N_OUT)
        return list(vals), sim
    cfg, thr, w = StreamSource("cfg", [], in_pattern), StreamSource("thr", [], in_pattern), \
        StreamSource("w", [], in_pattern)
    for tx in transactions:
        c, t, b = transaction_beats(tx, W)
        cfg.add(c)
        thr.add(t)
        w.add(b)
    sink = ResultSink(out_pattern)
    sim = Simulator(dut, [cfg, thr, w, sink], probes)
    sim.reset()
    expected = N_OUT * len(transactions)
    bound = max_cycles or 1000 + 50 * sum(1 + N_IN + -(-tx.length // W) + N_OUT
                                          for tx in transactions)
    sim.run_until(lambda: len(sink.values) >= expected, bound)
    vals = np.array(sink.values, dtype=np.int64).reshape(len(transactions), N_OUT)
    return list(vals), sim


def run_layer(core: CoreShape, weights: np.ndarray, probs: np.ndarray, length: int, seed: int,
              **kwargs) -> tuple[np.ndarray, list[Tile], Simulator]:
    """A layer of any size through an emulated core: :func:`emu.tiles`, :func:`run_dense`,
    :func:`emu.untile`.

    Parameters
    ----------
    core : CoreShape
        The core (``depth`` is not used).
    weights, probs, length, seed
        As for ``golden.sc_counts``.
    **kwargs
        Passed to :func:`run_dense` (stall patterns, probes, ``fast``).

    Returns
    -------
    counts : numpy.ndarray
        int64 ``(n_out,)``, the layer's counts.
    tiles : list of Tile
        The tiles, in run order.
    sim : Simulator
        The simulator (``sim.cycle`` cycles run, reset included).
    """
    layer = list(tiles(weights, probs, length, seed, core))
    results, sim = run_dense(core.n_in, core.n_out, core.w, [t.transaction for t in layer],
                             **kwargs)
    return untile(zip(layer, results), np.shape(weights)[0]), layer, sim
