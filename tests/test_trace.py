"""testbench.trace: the emulator recorders (no simulator): what they record, cycle by cycle."""

from __future__ import annotations

import numpy as np
import pytest

import emu
import golden
from golden import LifParams
from testbench.model import CoreShape
from testbench.trace import (
    CYCLE_CONTROL,
    CYCLE_INPUTS,
    CYCLE_PORTS,
    DENSE_LIF_INPUTS,
    DENSE_LIF_PORTS,
    DENSE_LIF_REGS,
    record_dense_lif,
    record_emulator,
)

CORE = CoreShape(n_in=3, n_out=2, w=8, depth=4)


def _txns(rng: np.random.Generator, lengths) -> tuple[list, list]:
    """Transactions of the core's shape and their golden counts."""
    txns, want = [], []
    for k, length in enumerate(lengths):
        weights = rng.integers(0, 2**64, size=(CORE.n_out, CORE.n_in, golden.n_words(length)),
                               dtype=np.uint64)
        probs = rng.random(CORE.n_in)
        seed = 0xACE1 + 17 * k
        txns.append(emu.DenseTransaction(weights, golden.thresholds(probs), length, seed))
        want.append(np.asarray(golden.sc_counts(weights, probs, length=length, seed=seed)))
    return txns, want


@pytest.mark.parametrize("patterns", [{}, {"cfg": [True, False], "w": [True, True, False],
                                           "out": [False, True, False]}],
                         ids=["no-stalls", "stalls"])
def test_record_emulator_results_equal_golden_and_every_cycle_is_recorded(patterns) -> None:
    rng = np.random.default_rng(5)
    txns, want = _txns(rng, (1, 63, 100))
    trace = record_emulator(CORE, txns, patterns, reset_cycles=2, tail_cycles=3)
    assert trace.finished
    assert trace.results == [int(c) for counts in want for c in counts]
    assert len(trace.inputs) == len(trace.expected) > sum(CORE.cycles(t.length) for t in txns)
    assert all(set(ins) == set(CYCLE_INPUTS) for ins in trace.inputs)
    keys = set(CYCLE_PORTS) | set(CYCLE_CONTROL) | {"lfsr", "acc"}
    assert all(set(exp) == keys for exp in trace.expected)
    assert [ins["rst"] for ins in trace.inputs[:3]] == [1, 1, 0]
    # The first cfg beat is taken on a cycle with cfg_valid and cfg_ready high, after reset.
    first = trace.first_cfg
    assert first >= 2 and trace.inputs[first]["cfg_valid"] == 1
    assert trace.expected[first]["cfg_ready"] == 1
    assert not any(i["cfg_valid"] and e["cfg_ready"]
                   for i, e in zip(trace.inputs[:first], trace.expected[:first]))
    # A stall pattern holds out_ready low where it says so.
    out = patterns.get("out")
    if out:
        assert all(not ins["out_ready"] for c, ins in enumerate(trace.inputs) if not out[c % 3])


def test_record_emulator_packs_w_data_as_the_rtl_bus() -> None:
    """``w_data`` is one int: stream ``(o, i)`` at bits ``[(o*N_IN + i)*W +: W]``."""
    rng = np.random.default_rng(6)
    txns, _ = _txns(rng, (64,))
    trace = record_emulator(CORE, txns, {})
    beats = [ins["w_data"] for ins, exp in zip(trace.inputs, trace.expected)
             if ins["w_valid"] and exp["w_ready"]]   # the beats the core took
    assert len(beats) == CORE.beats(64)
    first = beats[0]
    for o in range(CORE.n_out):
        for i in range(CORE.n_in):
            lane = (first >> ((o * CORE.n_in + i) * CORE.w)) & 0xFF
            assert lane == int(txns[0].weights[o, i, 0]) & 0xFF


def test_record_emulator_reports_a_run_that_does_not_finish() -> None:
    """With ``out_ready`` never high no result is taken: ``finished`` is False, trace kept."""
    rng = np.random.default_rng(7)
    txns, _ = _txns(rng, (10,))
    trace = record_emulator(CORE, txns, {"out": [False]})
    assert not trace.finished and trace.results == [] and len(trace.inputs) > 100


def test_record_emulator_sees_a_planted_model_bug() -> None:
    """A model subclass (``dense_cls``) is what runs: an off-by-one count shows in the results."""

    class OffByOne(emu.ScDense):
        def beat_sum(self) -> np.ndarray:
            return super().beat_sum() + 1

    rng = np.random.default_rng(8)
    txns, want = _txns(rng, (16,))
    good = record_emulator(CORE, txns, {})
    bad = record_emulator(CORE, txns, {}, dense_cls=OffByOne)
    assert good.results == [int(c) for c in want[0]]
    assert bad.results != good.results


def test_record_dense_lif_equals_the_unrecorded_run() -> None:
    """Recording does not change the run: spikes and membranes equal emu.run_dense_lif's."""
    rng = np.random.default_rng(9)
    core = CoreShape(n_in=3, n_out=4, w=8, depth=1)
    steps = []
    for k in range(4):
        length = int(rng.integers(1, 120))
        weights = rng.integers(0, 2**64, size=(core.n_out, core.n_in, golden.n_words(length)),
                               dtype=np.uint64)
        steps.append(emu.DenseTransaction(weights, golden.thresholds(rng.random(core.n_in)),
                                          length, 0x1234 + k))
    noise = rng.integers(-50, 50, size=(len(steps), core.n_out))
    params = LifParams(v_rest=10, v_reset=-40, v_th=200, leak=20, gain=300, refractory=1)
    kw = dict(n_full=3 * 120, y_min=-256, y_max=512)
    patterns = {"thr": [True, False], "out": [True, False, False]}
    trace, spikes, v = record_dense_lif(core, steps, noise, params, patterns=patterns, **kw)
    want_spikes, want_v, _ = emu.run_dense_lif(core.n_in, core.n_out, core.w, steps, params,
                                               noise=noise, patterns=patterns, **kw)
    assert trace.finished and trace.results == list(range(len(steps)))
    np.testing.assert_array_equal(spikes, want_spikes)
    np.testing.assert_array_equal(v, want_v)
    assert all(set(ins) == set(DENSE_LIF_INPUTS) for ins in trace.inputs)
    assert all(set(DENSE_LIF_PORTS) | set(DENSE_LIF_REGS) <= set(exp) for exp in trace.expected)
    # LFSRs and accumulators are compared only after the first cfg beat (X before on the RTL).
    assert all(exp["lfsr"] is None for exp in trace.expected[: trace.first_cfg + 1])
    assert trace.expected[-1]["lfsr"] is not None
