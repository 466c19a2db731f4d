"""Workload figures of the emulated core: cycles, latency, throughput and utilisation at a clock."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

import golden

from ._blocks import ScDense
from ._sim import ResultSink, Simulator, StreamSource, transaction_beats
from ._txn import CoreShape, tiles, untile

__all__ = ["emulate_layer"]


class _Latency:
    """Records the edges of cfg and first-result handshakes (a probe)."""

    def __init__(self) -> None:
        self.cfg_edges: list[int] = []
        self.first_out_edges: list[int] = []
        self._armed = False

    def __call__(self, cycle: int, dut: Any) -> None:
        if dut.cfg_valid and dut.cfg_ready:
            self.cfg_edges.append(cycle)
            self._armed = True
        if self._armed and dut.out_valid and dut.out_ready:
            self.first_out_edges.append(cycle)
            self._armed = False


def emulate_layer(
    weights: np.ndarray, probs: np.ndarray, *, length: int, seed: int, N_IN: int, N_OUT: int,
    W: int, clock_mhz: float = 100.0, vcd: str | None = None,
    in_pattern: Any = None, out_pattern: Any = None,
) -> dict:
    """Run one inference of a layer (tiled onto the core) and report its figures.

    Returns
    -------
    dict
        ``counts`` (int64 list, checked against ``golden.sc_counts``), ``matches_golden``,
        ``tiles``, ``cycles`` (first cfg handshake to the last result handshake, both included:
        ``tiles * (1 + N_IN + ceil(L / W) + N_OUT)`` without stalls),
        ``latency_cycles`` (cfg handshake to first result handshake of the first tile),
        ``bit_products_per_cycle``, ``utilisation`` (of the core's N_OUT*N_IN*W AND gates),
        ``inferences_per_s`` and ``latency_us`` at ``clock_mhz``, and the emulator's own speed
        ``emulated_cycles_per_s``.
    """
    weights, probs, length, seed = golden._validate.check_sc_args(weights, probs, length, seed)
    if not clock_mhz > 0:
        raise ValueError(f"clock_mhz must be > 0, got {clock_mhz}")
    n_out, n_in, _ = weights.shape
    layer = list(tiles(weights, probs, length, seed, CoreShape(N_IN, N_OUT, W)))
    dut = ScDense(N_IN, N_OUT, W)
    sources = [StreamSource(n, [], in_pattern) for n in ("cfg", "thr", "w")]
    for tile in layer:
        for src, beats in zip(sources, transaction_beats(tile.transaction, W)):
            src.add(beats)
    sink = ResultSink(out_pattern)
    lat = _Latency()
    probes: list = [lat]
    writer = None
    if vcd:
        from ._vcd import VcdProbe

        writer = VcdProbe(vcd, dut)
        probes.append(writer)
    sim = Simulator(dut, sources + [sink], probes)
    sim.reset()
    start = time.perf_counter()
    try:
        sim.run_until(lambda: len(sink.values) >= N_OUT * len(layer),
                      1000 + 50 * sum(1 + N_IN + -(-length // W) + N_OUT for _ in layer))
    finally:
        if writer is not None:
            writer.close()
    elapsed = time.perf_counter() - start
    counts = untile(((t, sink.values[k * N_OUT:(k + 1) * N_OUT]) for k, t in enumerate(layer)),
                    n_out)
    want = golden.sc_counts(weights, probs, length=length, seed=seed)
    # Cycles from the first cfg handshake to the last result handshake, both included.
    cycles = sim.cycle - lat.cfg_edges[0]
    latency = lat.first_out_edges[0] - lat.cfg_edges[0]
    bit_products = n_out * n_in * length
    return {
        "layer": {"n_out": n_out, "n_in": n_in, "length": length, "seed": seed},
        "core": {"N_IN": N_IN, "N_OUT": N_OUT, "W": W}, "clock_mhz": clock_mhz,
        "tiles": len(layer), "counts": counts.tolist(),
        "matches_golden": bool(np.array_equal(counts, want)),
        "cycles": cycles, "latency_cycles": latency,
        "bit_products_per_cycle": bit_products / cycles,
        "utilisation": bit_products / (cycles * N_OUT * N_IN * W),
        "inferences_per_s": clock_mhz * 1e6 / cycles,
        "latency_us": latency / clock_mhz,
        "emulated_cycles_per_s": sim.cycle / elapsed if elapsed > 0 else None,
        "vcd": vcd,
    }
