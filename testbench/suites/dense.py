"""cocotb tests of sc_dense (through sc_dense_harness): directed cases, tiling, random batches."""

from __future__ import annotations

import cocotb
import numpy as np

import golden
from emu import MAX_LENGTH
from golden._contract import FORWARD_VECTORS, STREAM_VECTORS

from ..model import DenseTxn, random_txn
from .common import dense_setup, dense_test, record, run_layer, settings

ONES = np.uint64(0xFFFF_FFFF_FFFF_FFFF)


def _ones(n_out: int, n_in: int, length: int) -> np.ndarray:
    """All-ones weights with zero bits past ``length``."""
    w = np.full((n_out, n_in, golden.n_words(length)), ONES, dtype=np.uint64)
    if length % 64:
        w[:, :, -1] = np.uint64((1 << (length % 64)) - 1)
    return w


def _diag(n: int, length: int) -> np.ndarray:
    """Weights that pass input i to output i unchanged (all ones on the diagonal)."""
    w = np.zeros((n, n, golden.n_words(length)), dtype=np.uint64)
    ones = _ones(1, 1, length)[0, 0]
    for i in range(n):
        w[i, i] = ones
    return w


@cocotb.test()
async def golden_vectors(dut):
    """The contract's golden vectors, as counts."""
    async with dense_test(dut, "golden_vectors") as (bfm, sb, _):
        # Input streams one by one: counts[i] = popcount of input i's word (the stream vectors
        # are inputs 0, 1, 2 of one layer: seeds seed + i).
        probs = np.array([v.p for v in STREAM_VECTORS])
        length, seed = STREAM_VECTORS[0].length, STREAM_VECTORS[0].seed
        txn = DenseTxn(_diag(probs.size, length), probs, length, seed, "streams")
        got = await run_layer(bfm, txn, sb)
        assert got.tolist() == [v.word.bit_count() for v in STREAM_VECTORS], got
        for v in FORWARD_VECTORS:
            txn = DenseTxn(_ones(v.shape[0], v.shape[1], v.length), np.array(v.probs), v.length,
                           v.seed, f"forward {v.shape} L={v.length}")
            got = await run_layer(bfm, txn, sb)
            assert got.tolist() == list(v.counts), got


@cocotb.test()
async def probabilities_0_and_1(dut):
    """p = 0 gives no ones, p = 1 (threshold 65536) gives all ones, mixed in one layer."""
    async with dense_test(dut, "probabilities_0_and_1") as (bfm, sb, _):
        n_in, n_out = bfm.core.n_in, bfm.core.n_out
        for probs, length in (
            (np.zeros(n_in), 200),
            (np.ones(n_in), 200),
            (np.arange(n_in) % 2 == 0, 777),
        ):
            probs = np.asarray(probs, dtype=np.float64)
            got = await run_layer(bfm, DenseTxn(_ones(n_out, n_in, length), probs, length,
                                                0xACE1, "p01"), sb)
            assert (got == int(probs.sum()) * length).all(), got


@cocotb.test()
async def rounding_ties(dut):
    """Probabilities exactly halfway between two thresholds round half to even."""
    async with dense_test(dut, "rounding_ties") as (bfm, sb, rng):
        ks = np.array([0, 1, 2, 3, 4, 65534, 65535, 32767, 32768, 12345], dtype=np.float64)
        probs = (ks + 0.5) / 65536.0
        length = 1000
        for a in range(0, probs.size, bfm.core.n_in):
            p = probs[a : a + bfm.core.n_in]
            txn = random_txn(rng, bfm.core.n_out, p.size, length, label="ties")
            txn = DenseTxn(txn.weights, p, length, 0xACE1 + a, "ties")
            await run_layer(bfm, txn, sb)


@cocotb.test()
async def lengths(dut):
    """Lengths that are and are not multiples of 64 (and of W), from 1 bit on."""
    async with dense_test(dut, "lengths") as (bfm, sb, rng):
        w = bfm.core.w
        for length in sorted({1, 2, 7, 8, 9, 63, 64, 65, 127, 128, 129, 191, 1000, w - 1, w,
                              w + 1, 3 * w, 4096, 4097} - {0}):
            txn = random_txn(rng, bfm.core.n_out, bfm.core.n_in, length, label=f"L={length}")
            await run_layer(bfm, txn, sb)


@cocotb.test()
async def tail_bits_ignored(dut):
    """Weight bits past ``length`` (garbage in the last word) never count."""
    async with dense_test(dut, "tail_bits_ignored") as (bfm, sb, rng):
        for length in (1, 33, 100, 250):
            txn = random_txn(rng, bfm.core.n_out, bfm.core.n_in, length, tail_garbage=True,
                             label="tail garbage")
            await run_layer(bfm, txn, sb)


@cocotb.test()
async def seeds(dut):
    """Seed 0 (input 0 uses 1), seeds with zero low bits, inputs wrapping past 0xFFFF, 2**64-1."""
    async with dense_test(dut, "seeds") as (bfm, sb, rng):
        n_in = bfm.core.n_in
        for seed in (0, 1, 0x1_0000, 0xFFFF, 0xFFFF - n_in // 2, 0xFFFF - n_in + 1,
                     (1 << 64) - 1, (1 << 64) - 2, 0xDEAD_BEEF_0000_FFFE):
            txn = random_txn(rng, bfm.core.n_out, max(n_in, 2), 300, seed=seed,
                             label=f"seed={seed:#x}")
            await run_layer(bfm, txn, sb)


@cocotb.test()
async def single_input_single_output(dut):
    """Layers of one input, one output, and one of each."""
    async with dense_test(dut, "single_input_single_output") as (bfm, sb, rng):
        for n_out, n_in in ((bfm.core.n_out, 1), (1, bfm.core.n_in), (1, 1)):
            txn = random_txn(rng, n_out, n_in, 513, label=f"{n_out}x{n_in}")
            await run_layer(bfm, txn, sb)


@cocotb.test()
async def back_to_back_with_stalls(dut):
    """Transactions back to back without reset, with valid gaps and result back-pressure."""
    async with dense_test(dut, "back_to_back_with_stalls") as (bfm, sb, rng):
        core = bfm.core
        plans = [("buffer", 0.0, 0.0), ("port", 0.0, 0.0), ("port", 0.3, 0.3),
                 ("buffer", 0.2, 0.5), ("port", 0.6, 0.0), ("buffer", 0.0, 0.0)]
        for k, (source, gap, bp) in enumerate(plans):
            length = int(rng.integers(1, 8 * core.w + 70))
            txn = random_txn(rng, core.n_out, core.n_in, length, label=f"b2b #{k} {source}")
            await run_layer(bfm, txn, sb, source=source, gap=gap, backpressure=bp)


@cocotb.test()
async def buffer_refills(dut):
    """A stream longer than the harness buffer: the core stalls while the buffer refills."""
    async with dense_test(dut, "buffer_refills") as (bfm, sb, rng):
        core = bfm.core
        length = core.w * (2 * core.depth + 3) - 5
        txn = random_txn(rng, core.n_out, core.n_in, length, label="refills")
        await run_layer(bfm, txn, sb)


@cocotb.test()
async def tiled_layers(dut):
    """Layers larger than the core, mapped onto it tile by tile; sums equal golden counts."""
    async with dense_test(dut, "tiled_layers") as (bfm, sb, rng):
        core = bfm.core
        for n_out, n_in, length in ((2 * core.n_out + 1, 2 * core.n_in + 3, 300),
                                    (core.n_out + 1, 3 * core.n_in, 130)):
            txn = random_txn(rng, n_out, n_in, length, seed=0xFFF0, label="tiled")
            await run_layer(bfm, txn, sb)


@cocotb.test()
async def random_batch(dut):
    """Seeded random transactions: shapes up to the core's (some larger), lengths, seeds."""
    async with dense_test(dut, "random_batch") as (bfm, sb, rng):
        core = bfm.core
        for k in range(settings.count(12)):
            big = rng.random() < 0.15
            n_out = int(rng.integers(1, (2 if big else 1) * core.n_out + 1))
            n_in = int(rng.integers(1, (2 if big else 1) * core.n_in + 1))
            length = int(rng.integers(1, 40 * core.w + 200))
            source = "port" if rng.random() < 0.2 and length <= 20 * core.w else "buffer"
            txn = random_txn(rng, n_out, n_in, length, tail_garbage=bool(rng.random() < 0.3),
                             label=f"random #{k}")
            await run_layer(bfm, txn, sb, source=source, gap=0.1 if source == "port" else 0.0,
                            backpressure=float(rng.random() < 0.2) * 0.3)


@cocotb.test()
async def throughput(dut):
    """Full-core transactions, weights from the buffer: the verified bit-products per second."""
    bfm, sb, rng = await dense_setup(dut, "throughput")
    core = bfm.core
    # The speed figure comes from Verilator: four transactions of four buffer loads each. On
    # Icarus (~100x slower per clock) one transaction of one buffer load checks the same thing,
    # a full core fed from a full buffer; more would only be more random data of that shape.
    fast = settings.sim == "verilator"
    length = min((4 if fast else 1) * core.depth * core.w, 1 << 16)
    txns = [random_txn(rng, core.n_out, core.n_in, length, label=f"throughput #{k}")
            for k in range(settings.count(4 if fast else 1))]
    with record("throughput", sb):
        for txn in txns:
            await run_layer(bfm, txn, sb)


@cocotb.test()
async def long_stream(dut):
    """The longest stream: 2**24 bits (W = 64 on Verilator); elsewhere 4 buffer loads' worth.

    Icarus and the narrow cores take one clock per W bits, so 2**24 bits would take minutes
    there; the length field and the counters are the same RTL in every configuration.
    """
    bfm, sb, rng = await dense_setup(dut, "long_stream")
    core = bfm.core
    full = settings.sim == "verilator" and core.w == 64
    length = MAX_LENGTH if full else 4 * core.depth * core.w - 3
    with record("long_stream", sb):
        # A one-output, two-input layer keeps the host arrays small; p = 1 on input 0 makes its
        # count reach the full length (the counters' widest value for this layer).
        txn = random_txn(rng, 1, 2, length, label=f"long L={length}")
        txn = DenseTxn(txn.weights, [1.0, float(rng.random())], length, txn.seed, txn.label)
        await run_layer(bfm, txn, sb)


@cocotb.test()
async def layer_from_file(dut):
    """The layer in the ``layer_file`` option (.npz with weights, probs, length, seed: a sweep
    point or a replay); without it, a fixed small layer that wraps the seed, so the test always
    checks."""
    path = settings.options.layer_file
    if path:
        data = np.load(path)
        txn = DenseTxn(data["weights"], data["probs"], int(data["length"]), int(data["seed"]),
                       f"layer {path}")
    else:
        rng = settings.rng("layer_from_file")
        weights = rng.integers(0, 2**64 - 1, size=(5, 7, 2), dtype=np.uint64, endpoint=True)
        txn = DenseTxn(weights, rng.random(7), 100, 0xFFFE, "fixed layer")
    async with dense_test(dut, "layer_from_file") as (bfm, sb, _):
        await run_layer(bfm, txn, sb)
