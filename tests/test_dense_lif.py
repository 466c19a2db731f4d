"""The dense layer ending in LIF neurons: golden.dense_lif_step/run, emu.ScDenseLif, the RTL."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import emu
import golden
from golden import LifParams, LifState
from golden._dense_lif import dense_lif_run, dense_lif_step
from tests.strategies import probs_elements, seeds
from tests.support import lint, mutant

ROOT = Path(__file__).resolve().parent.parent
Q_MIN, Q_MAX = -32768, 32767
P = LifParams(v_rest=0, v_reset=-64, v_th=300, leak=30, gain=300, refractory=1)


def _case(rng: np.random.Generator, n_out: int, n_in: int, length: int, T: int):
    weights = golden.encode_weights(rng.random((n_out, n_in)), length=length, seed=5)
    probs = rng.random((T, n_in))
    step_seeds = [int(s) for s in rng.integers(0, 2**64, size=T, dtype=np.uint64)]
    noise = rng.integers(-200, 201, size=(T, n_out))
    return weights, probs, step_seeds, noise


def _chain(state, weights, probs, length, seed, params, y_min, y_max, n_full, noise):
    """The step written out from the public pieces."""
    counts = golden.sc_counts(weights, probs, length=length, seed=seed)
    current = golden.dot_to_current(counts, n_full, y_min, y_max)
    new, spikes = golden.lif_step(state, current, params, noise)
    return new, spikes, counts


# ------------------------------------------------------------------------------------- golden
def test_step_is_the_chain() -> None:
    rng = np.random.default_rng(0)
    weights, probs, step_seeds, noise = _case(rng, 5, 4, 100, 6)
    state = golden.lif_init(5, P)
    for t in range(6):
        want_state, want_spikes, want_counts = _chain(state, weights, probs[t], 100,
                                                      step_seeds[t], P, -256, 1024, 400, noise[t])
        state, spikes, v, counts = dense_lif_step(state, weights, probs[t], 100, step_seeds[t],
                                                  P, y_min=-256, y_max=1024, noise=noise[t])
        assert spikes.dtype == bool and spikes.shape == (5,)
        assert v.dtype == np.int16 and counts.dtype == np.int64
        assert spikes.tolist() == want_spikes.tolist() and counts.tolist() == want_counts.tolist()
        assert v.tolist() == want_state.v.tolist() == state.v.tolist()
        assert state.ref.tolist() == want_state.ref.tolist()


def test_run_is_repeated_steps_and_state_persists() -> None:
    rng = np.random.default_rng(1)
    weights, probs, step_seeds, noise = _case(rng, 4, 3, 77, 12)
    s0 = golden.lif_init(4, P)
    final, spikes, trace, counts = dense_lif_run(s0, weights, probs, 77, step_seeds, P,
                                                 y_min=-256, y_max=1024, noise=noise)
    assert spikes.shape == trace.shape == counts.shape == (12, 4)
    state = s0
    for t in range(12):
        state, sp, v, c = dense_lif_step(state, weights, probs[t], 77, step_seeds[t], P,
                                         y_min=-256, y_max=1024, noise=noise[t])
        assert sp.tolist() == spikes[t].tolist() and v.tolist() == trace[t].tolist()
        assert c.tolist() == counts[t].tolist()
    assert final.v.tolist() == state.v.tolist() and final.ref.tolist() == state.ref.tolist()
    assert spikes.any() and not spikes.all()
    # the neuron state carries over: restarting from rest at step 6 changes the trace
    _, _, restarted, _ = dense_lif_run(s0, weights, probs[6:], 77, step_seeds[6:], P,
                                       y_min=-256, y_max=1024, noise=noise[6:])
    assert not np.array_equal(restarted, trace[6:])
    # zero steps: the state as it was
    same, sp0, _, _ = dense_lif_run(s0, weights, probs[:0], 77, [], P, y_min=0, y_max=1)
    assert sp0.shape == (0, 4) and same.v.tolist() == s0.v.tolist()


def test_default_full_scale_maps_all_ones_to_y_max() -> None:
    """p = 1 with all-ones weights counts n_in * length: the current is y_max exactly."""
    w = np.full((2, 3, 2), np.uint64(2**64 - 1))
    state = LifState(np.zeros(2, np.int16), np.zeros(2, np.int32))
    p = LifParams(v_rest=0, v_reset=0, v_th=Q_MAX, leak=0, gain=256, refractory=0)
    _, _, v, counts = dense_lif_step(state, w, np.ones(3), 100, 9, p, y_min=-7, y_max=555)
    assert counts.tolist() == [300, 300] and v.tolist() == [555, 555]
    _, _, v, _ = dense_lif_step(state, w, np.zeros(3), 100, 9, p, y_min=-7, y_max=555)
    assert v.tolist() == [-7, -7]


def test_backends_agree(backend) -> None:
    rng = np.random.default_rng(2)
    weights, probs, step_seeds, noise = _case(rng, 3, 5, 130, 4)
    s0 = golden.lif_init(3, P)
    want = dense_lif_run(s0, weights, probs, 130, step_seeds, P, y_min=Q_MIN, y_max=Q_MAX,
                         noise=noise)
    for b in (backend, backend.name):
        got = dense_lif_run(s0, weights, probs, 130, step_seeds, P, y_min=Q_MIN, y_max=Q_MAX,
                            noise=noise, backend=b)
        for g, w in zip(got[1:], want[1:]):
            assert np.array_equal(np.asarray(g), w)


def _bad_cases():
    w = np.zeros((2, 3, 1), np.uint64)
    s2 = LifState(np.zeros(2, np.int16), np.zeros(2, np.int32))
    ok = {"state": s2, "weights": w, "probs": np.zeros(3), "length": 10, "seed": 1,
          "params": P, "y_min": 0, "y_max": 256}
    empty_out = LifState(np.zeros(0, np.int16), np.zeros(0, np.int32))
    return [
        (dict(ok, n_full=0), ValueError, "n_full must be a positive int, got 0"),
        (dict(ok, n_full=2**31), ValueError, r"n_full must be <= 2\*\*31 - 1, got 2147483648"),
        (dict(ok, n_full=1.5), TypeError, "n_full must be an int, got float"),
        (dict(ok, n_full=True), TypeError, "n_full must be an int, got bool"),
        (dict(ok, weights=np.zeros((2, 0, 1), np.uint64), probs=np.zeros(0)), ValueError,
         r"n_full must be a positive int, got 0 \(the default n_in \* length"),
        # the default n_full = 65536 * 65536 is too large (no neuron: the weights take no memory)
        (dict(ok, state=empty_out, weights=np.zeros((0, 65536, 1024), np.uint64),
              probs=np.zeros(65536), length=65536), ValueError,
         "n_full must be <= 2\\*\\*31 - 1, got 4294967296"),
        (dict(ok, state=LifState(np.zeros(3, np.int16), np.zeros(3, np.int32))), ValueError,
         "state has 3 neurons but weights has n_out=2"),
        (dict(ok, params=(0, 0, 0, 0, 0, 0)), TypeError, "params must be a LifParams"),
        (dict(ok, state=(np.zeros(2), np.zeros(2))), TypeError, "state must be a LifState"),
        (dict(ok, length=0), ValueError, "length must be a positive int, got 0"),
        (dict(ok, seed=-1), ValueError, "seed must be in"),
        (dict(ok, probs=np.full(3, 1.5)), ValueError, "input_probs must lie in"),
        (dict(ok, y_min=40000), ValueError, r"y_min must be in \[-32768, 32767\], got 40000"),
        (dict(ok, noise=np.zeros(3, np.int64)), ValueError, "noise must have shape"),
        (dict(ok, noise=np.zeros(2)), TypeError, "noise must hold integers"),
        (dict(ok, backend=3), TypeError, "backend must be None, a backend name"),
        (dict(ok, backend="nope"), ValueError, "unknown backend 'nope'"),
        (dict(ok, weights=np.full((2, 3, 1), np.uint64(1)), probs=np.ones(3), n_full=2),
         ValueError, r"counts must lie in \[0, 2\], got 3"),
    ]


@pytest.mark.parametrize("kwargs, exc, msg", _bad_cases())
def test_step_bad_input(kwargs: dict, exc: type, msg: str) -> None:
    with pytest.raises(exc, match=msg):
        dense_lif_step(**kwargs)


def test_run_bad_input() -> None:
    w = np.zeros((2, 3, 1), np.uint64)
    s2 = golden.lif_init(2, P)
    with pytest.raises(ValueError, match=r"probs must be 2-D \(T, n_in\)"):
        dense_lif_run(s2, w, np.zeros(3), 10, [1], P, y_min=0, y_max=1)
    with pytest.raises(ValueError, match="seeds has 1 entries but probs has T=2"):
        dense_lif_run(s2, w, np.zeros((2, 3)), 10, [1], P, y_min=0, y_max=1)
    with pytest.raises(ValueError, match=r"noise must have shape \(2, 2\), got \(2, 3\)"):
        dense_lif_run(s2, w, np.zeros((2, 3)), 10, [1, 2], P, y_min=0, y_max=1,
                      noise=np.zeros((2, 3), np.int64))
    with pytest.raises(ValueError, match="weights_packed must be 3-D"):
        dense_lif_run(s2, w[0], np.zeros((2, 3)), 10, [1, 2], P, y_min=0, y_max=1)
    with pytest.raises(ValueError, match="state has 2 neurons but weights has n_out=1"):
        dense_lif_run(s2, w[:1], np.zeros((2, 3)), 10, [1, 2], P, y_min=0, y_max=1)
    with pytest.raises(ValueError, match="noise must lie in"):
        dense_lif_run(s2, w, np.zeros((1, 3)), 10, [1], P, y_min=0, y_max=1,
                      noise=np.full((1, 2), 40000))


def test_inputs_not_modified() -> None:
    rng = np.random.default_rng(3)
    weights, probs, step_seeds, noise = _case(rng, 2, 2, 64, 3)
    s0 = golden.lif_init(2, P)
    copies = [a.copy() for a in (weights, probs, noise, s0.v, s0.ref)]
    dense_lif_run(s0, weights, probs, 64, step_seeds, P, y_min=0, y_max=999, noise=noise)
    for a, b in zip((weights, probs, noise, s0.v, s0.ref), copies):
        assert np.array_equal(a, b)


# ------------------------------------------------------------------------------------- emulator
def _steps(rng, n_out, n_in, lengths):
    """Transactions with per-step weights (garbage past each length), probabilities, seeds."""
    txs, golden_steps = [], []
    for L in lengths:
        nw = -(-L // 64)
        w = rng.integers(0, 2**64, size=(n_out, n_in, nw), dtype=np.uint64)
        probs = rng.random(n_in)
        probs[rng.random(n_in) < 0.2] = 1.0
        seed = int(rng.integers(0, 2**64, dtype=np.uint64))
        txs.append(emu.DenseTransaction(w, golden.thresholds(probs), L, seed))
        golden_steps.append((w, probs, L, seed))
    return txs, golden_steps


def _golden_steps(golden_steps, params, n_full, y_min, y_max, noise):
    n_out = golden_steps[0][0].shape[0]
    state = golden.lif_init(n_out, params)
    spikes, v = [], []
    for t, (w, probs, L, seed) in enumerate(golden_steps):
        state, sp, vv, _ = dense_lif_step(state, w, probs, L, seed, params, y_min=y_min,
                                          y_max=y_max, n_full=n_full, noise=noise[t])
        spikes.append(sp)
        v.append(vv)
    return np.array(spikes), np.array(v)


patterns_st = st.one_of(st.none(), st.lists(st.booleans(), min_size=1, max_size=12).map(
    lambda p: p if any(p) else p + [True]))
params_st = st.builds(LifParams, v_rest=st.integers(-2000, 2000),
                      v_reset=st.integers(-2000, 2000), v_th=st.integers(-500, 3000),
                      leak=st.integers(0, 256), gain=st.integers(-1000, 1000),
                      refractory=st.integers(0, 3))


@given(
    shape=st.tuples(st.integers(1, 4), st.integers(1, 4), st.sampled_from([1, 8, 13, 64])),
    lengths=st.lists(st.integers(1, 150), min_size=1, max_size=5),
    params=params_st, y=st.tuples(st.integers(Q_MIN, Q_MAX), st.integers(Q_MIN, Q_MAX)),
    pats=st.fixed_dictionaries({k: patterns_st for k in ("cfg", "thr", "w", "out")}),
    seed=st.integers(0, 2**32 - 1),
)
def test_emulator_vs_golden(shape, lengths, params, y, pats, seed) -> None:
    """Small cores, multi-step runs, stalls on every stream and output back-pressure."""
    n_in, n_out, W = shape
    rng = np.random.default_rng(seed)
    txs, gsteps = _steps(rng, n_out, n_in, lengths)
    noise = rng.integers(-300, 301, size=(len(lengths), n_out))
    n_full = n_in * max(lengths)
    patterns = {k: v for k, v in pats.items() if v is not None}
    spikes, v, _ = emu.run_dense_lif(n_in, n_out, W, txs, params, n_full=n_full, y_min=y[0],
                                     y_max=y[1], noise=noise, patterns=patterns)
    want_spikes, want_v = _golden_steps(gsteps, params, n_full, y[0], y[1], noise)
    assert np.array_equal(spikes, want_spikes) and np.array_equal(v, want_v)


@given(probs=st.lists(probs_elements, min_size=3, max_size=3), seed=seeds)
def test_emulator_edges_vs_golden(probs, seed) -> None:
    """Contract edge probabilities and seeds (0, wrapping, 2**64 - 1) through the whole chain."""
    rng = np.random.default_rng(seed % 2**32)
    w = rng.integers(0, 2**64, size=(2, 3, 2), dtype=np.uint64)
    probs = np.array(probs)
    tx = emu.DenseTransaction(w, golden.thresholds(probs), 100, seed)
    p = LifParams(v_rest=0, v_reset=0, v_th=100, leak=0, gain=256, refractory=0)
    spikes, v, _ = emu.run_dense_lif(3, 2, 8, [tx, tx], p, n_full=300, y_min=-256, y_max=256)
    want_spikes, want_v = _golden_steps([(w, probs, 100, seed)] * 2, p, 300, -256, 256,
                                        np.zeros((2, 2), np.int64))
    assert np.array_equal(spikes, want_spikes) and np.array_equal(v, want_v)


def _fires(dut_cls_args, txs, params, patterns=None, noise=None, probes=()):
    """Cycle numbers of every cfg and output handshake (edges), and the results."""
    cfg_edges, out_edges = [], []

    def probe(cycle, dut):
        if dut.cfg_valid and dut.cfg_ready:
            cfg_edges.append(cycle)
        if dut.out_valid and dut.out_ready:
            out_edges.append(cycle)

    n_in, n_out, W = dut_cls_args
    spikes, v, sim = emu.run_dense_lif(n_in, n_out, W, txs, params, n_full=n_in * 200,
                                       y_min=-100, y_max=900, noise=noise, patterns=patterns,
                                       probes=[probe, *probes])
    return cfg_edges, out_edges, spikes, v, sim


@pytest.mark.parametrize("n_in, n_out, W, L", [(3, 4, 8, 77), (1, 1, 64, 64), (2, 3, 1, 5)])
def test_emulator_timing(n_in, n_out, W, L) -> None:
    """Back to back, no stalls: a step every 1 + N_IN + ceil(L / W) + N_OUT cycles, and the
    output beat N_IN + ceil(L / W) + N_OUT + 3 cycles after the step's cfg beat
    (docs/microarchitecture.md, sc_dense_lif)."""
    rng = np.random.default_rng(4)
    txs, _ = _steps(rng, n_out, n_in, [L] * 5)
    cfg, out, _, _, _ = _fires((n_in, n_out, W), txs, P)
    B = -(-L // W)
    period = 1 + n_in + B + n_out
    assert len(cfg) == len(out) == 5
    assert np.diff(cfg).tolist() == [period] * 4
    assert [o - c for c, o in zip(cfg, out)] == [n_in + B + n_out + 3] * 5


def test_emulator_length_zero_single_input_stalls_one_cycle() -> None:
    """N_IN = 1 and length 0 (the core skips RUN): the neuron pipeline adds one stall cycle per
    step after the first (its results would arrive while the previous beat is pending)."""
    tx = emu.DenseTransaction(np.zeros((2, 1, 0), np.uint64), np.array([65536]), 0, 1)
    dut = emu.ScDenseLif(1, 2, 8)
    dut.configure(P, n_full=1, y_min=0, y_max=256)
    sink = emu.SpikeSink()
    srcs = emu.dense_lif_sources([tx] * 4, None, 8)
    sim = emu.Simulator(dut, [*srcs, sink])
    sim.reset()
    cfg = []
    sim.probes.append(lambda c, d: cfg.append(c) if d.cfg_valid and d.cfg_ready else None)
    sim.run_until(lambda: len(sink.spikes) == 4, 200)
    # step 0 runs free (4 cycles); each later step's first result waits one cycle for the
    # previous output beat, which delays the next cfg beat
    assert np.diff(cfg).tolist() == [1 + 1 + 0 + 2] + [1 + 1 + 0 + 2 + 1] * 2
    assert all(v.tolist() == [0, 0] for v in sink.v)   # current y_min = 0 every step


def test_emulator_backpressure_stalls_core_and_drops_nothing() -> None:
    """out_ready low for 400 cycles: step 0's beat waits, step 1's results wait in the core
    (nothing ready upstream, cfg not taken), then every beat comes out in order."""
    rng = np.random.default_rng(6)
    n_in, n_out, W = 3, 4, 8
    txs, gsteps = _steps(rng, n_out, n_in, [40, 100, 7, 64])
    noise = rng.integers(-300, 301, size=(4, n_out))
    seen = {}

    def probe(cycle, dut):
        if cycle == 390:
            seen.update(state=dut.u_core.state, cfg_ready=dut.cfg_ready, out_valid=dut.out_valid,
                        pending=dut.pending, line=dut.line_trace())

    pattern = [False] * 400 + [True] * 1000
    cfg, out, spikes, v, _ = _fires((n_in, n_out, W), txs, P, {"out": pattern}, noise, [probe])
    assert seen["state"] == emu._blocks.S_OUT and seen["cfg_ready"] == 0, seen
    assert seen["out_valid"] == 1 and seen["pending"] == 1 and isinstance(seen["line"], str)
    assert len(cfg) == 4 and cfg[2] > 400 and out[0] >= 400
    want_spikes, want_v = _golden_steps(gsteps, P, n_in * 200, -100, 900, noise)
    assert np.array_equal(spikes, want_spikes) and np.array_equal(v, want_v)


def test_emulator_reset_puts_membranes_at_rest() -> None:
    p = LifParams(v_rest=123, v_reset=-5, v_th=Q_MAX, leak=0, gain=256, refractory=0)
    dut = emu.ScDenseLif(2, 3, 8)
    dut.configure(p, n_full=2, y_min=0, y_max=0)
    dut.rst = 1
    dut.tick()
    assert dut.out_v.tolist() == [123] * 3 and not dut.out_spike.any() and dut.out_valid == 0
    assert dut.cnt.tolist() == [0] * 3 and dut.cfg_ready == 1
    with pytest.raises(ValueError, match="N_IN must be an int >= 1"):
        emu.ScDenseLif(0, 1, 8)
    with pytest.raises(TypeError, match="params must be a LifParams"):
        dut.configure((0,) * 6, n_full=1, y_min=0, y_max=0)


# ------------------------------------------------------------------------------------------ RTL
@pytest.mark.sim
@pytest.mark.parametrize("params", [[], ["-GN_IN=1", "-GN_OUT=1", "-GW=1"],
                                    ["-GN_IN=3", "-GN_OUT=4", "-GW=8"],
                                    ["-GN_IN=100", "-GN_OUT=2", "-GW=13"]])
def test_rtl_lint_clean(params) -> None:
    """``verilator --lint-only -Wall`` on sc_dense_lif prints nothing (N_IN = 100 clamps counts
    to 31 bits)."""
    proc = lint("sc_dense_lif", params)
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr


MUTATIONS = {
    # the core's results accepted while a step is pending: beats are overwritten
    "no_backpressure": ("sc_dense_lif.v", "assign core_out_ready = ~pending;",
                        "assign core_out_ready = 1'b1;"),
    # the neurons take the noise of the NEXT step's cfg beat
    "noise_not_staged": ("sc_dense_lif.v", ".noise      (noise_step),",
                         ".noise      (noise_cfg),"),
    # result beats collected in reverse lane order
    "count_order": ("sc_dense_lif.v", "cnt <= {core_out_data, cnt[N_OUT*CNT_W-1:CNT_W]};",
                    "cnt <= {cnt[N_OUT*CNT_W-CNT_W-1:0], core_out_data};"),
}


@pytest.mark.sim
@pytest.mark.parametrize("name", list(MUTATIONS))
def test_rtl_mutation_is_caught(name: str, tmp_path: Path) -> None:
    """The dense_lif suite fails on mutated sc_dense_lif copies, with a first mismatch (or, for
    beats that are overwritten and never come, the beat that timed out), or the design's own
    named assertion stops the simulation (the overwritten beats trip ``sc_dense_lif.no_drop``)."""
    from testbench import runner as sim

    rtl = mutant(tmp_path, *MUTATIONS[name])
    res = sim.run_suite("dense_lif", "icarus", out_dir=tmp_path / "out", seed=1, rtl_dir=rtl)
    assert not res.ok and res.failed >= 1, (res.error, res.failed, res.log)
    if res.assertions:  # stopped by an RTL assertion: that, and only that, is the run's error
        assert name == "no_backpressure", res.assertions
        assert res.assertions[0].startswith("sc_dense_lif.no_drop"), res.assertions
        assert res.error is not None and "status 1" in res.error, res.error
    else:
        assert res.error is None, (res.error, res.log)
        assert any("first mismatch" in f.message or "did not come within" in f.message
                   for f in res.failures), res.failures


@pytest.mark.sim
def test_lockstep_names_the_cycle_of_a_mutation(tmp_path: Path) -> None:
    """The reference-timing suite (emulator in lockstep) names the first differing cycle."""
    from testbench import runner as sim

    rtl = mutant(tmp_path, *MUTATIONS["no_backpressure"])
    res = sim.run_suite("cycle_dense_lif", "icarus", out_dir=tmp_path / "out", seed=1,
                        rtl_dir=rtl)
    assert res.error is None and res.failed >= 1, (res.error, res.failed, res.log)
    assert any("first mismatch" in f.message for f in res.failures), res.failures


def test_suite_is_registered() -> None:
    from testbench import runner as sim

    suite = sim.get_suite("dense_lif")
    assert suite.toplevel == "sc_dense_lif" and suite.core.n_out == suite.parameters["N_OUT"]
    assert os.path.basename(str(sim.rtl_sources()[-1])) == "sc_dense_lif.v"
