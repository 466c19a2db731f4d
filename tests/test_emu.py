"""The cycle-level emulator: blocks against the golden model, cycle timing, stalls, mutations."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import emu
import golden
from emu import _blocks
from testbench import cli
from tests.naive import naive_step
from tests.strategies import probs_elements, seeds


def _layer_counts(N_IN, N_OUT, W, weights, probs, length, seed, **kw):
    return emu.run_layer(emu.CoreShape(N_IN, N_OUT, W), weights, probs, length, seed, **kw)


@pytest.mark.parametrize("W", [1, 3, 8, 64])
def test_lfsr16_block(W: int) -> None:
    blk = emu.ScLfsr16(W)
    blk.load, blk.seed = 1, 0
    blk.tick()
    assert blk.r == 1  # seed 0 loads 1
    blk.seed = 0xACE1
    blk.tick()
    seq = golden.lfsr_sequence(0xACE1, 3 * W + 1)
    assert blk.states.tolist() == seq[:W].tolist()
    blk.load, blk.advance = 0, 1
    blk.tick()
    blk.tick()
    assert blk.r == seq[2 * W] and blk.states.tolist() == seq[2 * W:3 * W].tolist()
    blk.advance = 0
    blk.tick()
    assert blk.r == seq[2 * W] and blk.line_trace() == f"r={int(seq[2 * W]):04x}"


def test_sng_and_popcount_blocks() -> None:
    sng = emu.ScSng(4)
    sng.states = np.array([0x0001, 0x8000, 0xFFFF, 0x7FFF], dtype=np.uint16)
    for x, want in ((0, [0, 0, 0, 0]), (65536, [1, 1, 1, 1]), (0x8000, [1, 0, 0, 1]),
                    (0xFFFF, [1, 1, 0, 1])):
        sng.x = x
        assert sng.bits.tolist() == want
    pc = emu.ScPopcount(8)
    pc.in_ = 0x1FF  # bit 8 is outside the 8-bit word
    assert pc.count == 8
    with pytest.raises(ValueError, match=r"W must be an int in \[1, 64\]"):
        emu.ScPopcount(65)


@given(st.integers(1, 64), st.integers(1, 300))
def test_weight_beats_carry_stream_bits(W: int, length: int) -> None:
    rng = np.random.default_rng(W * 1000 + length)
    words = rng.integers(0, 2**64 - 1, size=(2, 3, golden.n_words(length)), dtype=np.uint64,
                         endpoint=True)
    beats = emu.weight_beats(words, length, W)
    assert beats.shape == (-(-length // W), 2, 3)
    bits = golden.unpack_bitstream(words.reshape(6, -1), words.shape[2] * 64)
    for k in range(beats.shape[0]):
        for j in range(W):
            t = k * W + j
            want = bits[:, t] if t < bits.shape[1] else np.zeros(6, np.uint8)
            got = (beats[k].reshape(6) >> np.uint64(j)) & np.uint64(1)
            assert got.tolist() == want.tolist()


@given(st.integers(1, 64), st.integers(1, 300), st.data())
def test_weight_beat_ranges_and_bus_values(W: int, length: int, data) -> None:
    """A beat range is the slice of all beats; the bus value puts lane e at bits [e*W +: W]."""
    rng = np.random.default_rng(W * 1000 + length)
    words = rng.integers(0, 2**64 - 1, size=(2, 3, golden.n_words(length)), dtype=np.uint64,
                         endpoint=True)
    every = emu.weight_beats(words, length, W)
    k0 = data.draw(st.integers(0, every.shape[0]))
    k1 = data.draw(st.integers(k0, every.shape[0]))
    part = emu.weight_beats(words, length, W, k0, k1)
    assert np.array_equal(part, every[k0:k1])
    for beat, bus in zip(part, emu.beat_ints(part, W)):
        assert [(bus >> (e * W)) & ((1 << W) - 1) for e in range(6)] == beat.reshape(6).tolist()


cores = st.tuples(st.integers(1, 5), st.integers(1, 4), st.sampled_from([1, 3, 8, 64]))


@st.composite
def layers(draw):
    n_out, n_in = draw(st.integers(1, 7)), draw(st.integers(1, 9))
    length = draw(st.one_of(st.integers(1, 200), st.sampled_from([63, 64, 65, 128, 129])))
    probs = np.array(draw(st.lists(probs_elements, min_size=n_in, max_size=n_in)))
    wseed = draw(st.integers(0, 2**32))
    weights = np.random.default_rng(wseed).integers(
        0, 2**64 - 1, size=(n_out, n_in, golden.n_words(length)), dtype=np.uint64, endpoint=True)
    return weights, probs, length, draw(seeds)


patterns = st.one_of(st.none(), st.lists(st.booleans(), min_size=1, max_size=7).filter(any))


@given(cores, layers(), patterns, patterns)
def test_emulator_equals_golden_with_stalls(core, layer, in_pattern, out_pattern) -> None:
    N_IN, N_OUT, W = core
    weights, probs, length, seed = layer
    counts, tiles, sim = _layer_counts(N_IN, N_OUT, W, weights, probs, length, seed,
                                       in_pattern=in_pattern, out_pattern=out_pattern)
    assert np.array_equal(counts, golden.sc_counts(weights, probs, length=length, seed=seed))
    if in_pattern is None and out_pattern is None:  # back to back: the documented timing
        per_tx = 1 + N_IN + -(-length // W) + N_OUT
        assert sim.cycle == 1 + len(tiles) * per_tx  # one reset cycle, then every transaction


def test_latency_and_cycles_match_the_document() -> None:
    w = np.full((8, 16, 64), np.uint64(2**64 - 1))
    report = emu.emulate_layer(w, np.full(16, 0.5), length=4096, seed=1, N_IN=16, N_OUT=8,
                               W=64)
    assert report["matches_golden"] and report["tiles"] == 1
    assert report["latency_cycles"] == 16 + 64 + 1
    assert report["cycles"] == 1 + 16 + 64 + 8
    assert report["bit_products_per_cycle"] == pytest.approx(8 * 16 * 4096 / 89)


def test_contract_vectors_through_the_core() -> None:
    ones = np.full((1, 3, 1), np.uint64(2**64 - 1))
    counts, _, _ = _layer_counts(3, 1, 8, ones, np.array([0.5, 0.25, 0.75]), 64, 0xACE1)
    assert counts.tolist() == [95]
    ones = np.full((1, 1, 2), np.uint64(2**64 - 1))
    counts, _, _ = _layer_counts(1, 1, 64, ones, np.array([1.0]), 100, 0xACE1)
    assert counts.tolist() == [100]


def test_zero_length_transaction_skips_run() -> None:
    tx = emu.DenseTransaction(np.zeros((2, 2, 0), np.uint64), np.array([65536, 1]), 0, 5)
    results, sim = emu.run_dense(2, 2, 8, [tx, tx])
    assert [r.tolist() for r in results] == [[0, 0], [0, 0]]
    assert sim.cycle == 1 + 2 * (1 + 2 + 0 + 2)


def test_line_trace_and_reset() -> None:
    dut = emu.ScDense(2, 2, 8)
    dut.cfg_valid, dut.cfg_seed, dut.cfg_length = 1, 7, 10
    dut.tick()
    assert dut.line_trace().startswith("THR .T.. idx=0 rem=10")
    dut.rst = 1
    dut.tick()
    assert dut.state == 0 and dut.rem == 0 and dut.idx == 0


# ---- planted bugs: each broken line must make the emulator disagree with the golden model

def _broken_step_states(regs, W):
    out = np.empty((regs.shape[0], W), dtype=np.uint16)
    for n, r in enumerate(regs.tolist()):
        for j in range(W):
            out[n, j] = r
            r = ((r << 1) | (((r >> 15) ^ (r >> 13) ^ (r >> 11) ^ (r >> 10)) & 1)) & 0xFFFF
    return out


def _mutant_beat_sum(kind):
    def beat_sum(self):
        states = (_broken_step_states(self.lfsr, self.W) if kind == "tap"
                  else emu.lfsr_states(self.lfsr, self.W))
        bits = (states <= self.thr[:, None]) if kind == "comparator" else states < self.thr[:, None]
        bits &= self._lanes < self.rem
        x = (bits.astype(np.uint64) * self._weights).sum(axis=1, dtype=np.uint64)
        anded = np.bitwise_and(self.w_data, x[None, :])
        if kind == "popcount":
            anded &= ~np.uint64(1 << 5)  # popcount tree loses input bit 5
        return np.bitwise_count(anded).sum(axis=1, dtype=np.int64)
    return beat_sum


@pytest.mark.parametrize("kind", ["tap", "comparator", "popcount"])
def test_planted_bugs_are_caught(kind, monkeypatch) -> None:
    monkeypatch.setattr(_blocks.ScDense, "beat_sum", _mutant_beat_sum(kind))
    rng = np.random.default_rng(12)
    mismatches = 0
    for _ in range(10):
        length = int(rng.integers(1, 300))
        seed = int(rng.integers(0, 2**16))
        w = rng.integers(0, 2**64 - 1, size=(3, 4, golden.n_words(length)), dtype=np.uint64,
                         endpoint=True)
        # thresholds equal to a state each stream meets, so that `<` and `<=` differ
        p = np.array([int(golden.lfsr_sequence(int(s), length)[rng.integers(0, length)]) / 65536
                      for s in golden.input_seeds(4, seed)])
        counts, _, _ = _layer_counts(4, 2, 8, w, p, length, seed)
        mismatches += not np.array_equal(counts, golden.sc_counts(w, p, length=length, seed=seed))
    assert mismatches > 0, f"the {kind} mutant went unnoticed"


def test_vcd_uses_the_rtl_names(tmp_path) -> None:
    path = tmp_path / "t.vcd"
    report = emu.emulate_layer(np.full((2, 3, 2), np.uint64(5)), np.array([0.1, 0.5, 1.0]),
                               length=100, seed=3, N_IN=3, N_OUT=2, W=8, vcd=str(path))
    text = path.read_text()
    assert report["matches_golden"]
    for name in ("$scope module sc_dense", "cfg_valid", "w_data", "out_last",
                 "$scope module g_in[2]", "$scope module u_lfsr", " r $end", " acc $end"):
        assert name in text, name


def test_emulate_cli(tmp_path, capsys) -> None:
    assert cli.main(["emulate", "--n-out", "9", "--n-in", "20", "--length", "300",
                     "--stall", "0.3", "--backpressure", "0.2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["matches_golden"] and report["tiles"] == 4
    assert cli.main(["emulate", "--stall", "1.5"]) == 2
    assert "--stall: expected a number in [0, 1), got '1.5'" in capsys.readouterr().err
    vcd = tmp_path / "w.vcd"
    assert cli.main(["emulate", "--n-out", "4", "--n-in", "4", "--length", "64", "--vcd",
                     str(vcd)]) == 0
    assert vcd.exists() and f"trace: {vcd}" in capsys.readouterr().out


def test_naive_step_agrees_with_the_chain() -> None:
    regs = np.array([1, 0xACE1, 0xFFFF], dtype=np.uint16)
    chain = emu.lfsr_states(regs, 5)
    for n, r in enumerate(regs.tolist()):
        for j in range(5):
            assert chain[n, j] == r
            r = naive_step(r)
