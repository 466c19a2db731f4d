"""The bit-true Q8.8 neuron: directed edge cases and hypothesis against a naive per-neuron model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import golden
from golden import LifParams, LifState
from tests.support import SIM_OUT, mutant

Q_MIN, Q_MAX = -32768, 32767
q88 = st.integers(Q_MIN, Q_MAX)


# ---------------------------------------------------------------- naive per-neuron reference
def naive_current(count: int, n_in: int, y_min: int, y_max: int) -> int:
    """Python ints (unbounded): floor division, then saturation."""
    value = y_min + ((y_max - y_min) * count) // n_in
    return max(Q_MIN, min(Q_MAX, value))


def naive_lif(v: int, ref: int, current: int, noise: int, p: LifParams) -> tuple[int, int, bool]:
    """One neuron, one step, written from the contract text with Python ints."""
    if ref > 0:
        return p.v_reset, ref - 1, False
    total = v + (((p.v_rest - v) * p.leak) >> 8) + ((current * p.gain) >> 8) + noise
    assert abs(total) < 2**23  # the contract's 24-bit adder bound (noise within Q8.8)
    total = max(Q_MIN, min(Q_MAX, total))
    if total >= p.v_th:
        return p.v_reset, p.refractory, True
    return total, 0, False


params_st = st.builds(
    LifParams,
    v_rest=q88, v_reset=q88, v_th=q88,
    leak=st.integers(0, 256), gain=q88, refractory=st.integers(0, 4),
)


def _state(v, ref=None) -> LifState:
    v = np.asarray(v, dtype=np.int16)
    return LifState(v, np.zeros(v.shape, np.int32) if ref is None else np.asarray(ref, np.int32))


# ----------------------------------------------------------------------------- dot_to_current
def test_current_full_range_and_rounding() -> None:
    # y_max - y_min = 65535 needs 17 bits: a 16-bit difference would wrap to -1.
    out = golden.dot_to_current(np.arange(5), 4, Q_MIN, Q_MAX)
    assert out.dtype == np.int16
    assert out.tolist() == [-32768, -16385, -1, 16383, 32767]  # floor(65535 * k / 4)
    # floor, not truncation: -1 * 1 / 3 -> -1 (truncation would give 0)
    assert golden.dot_to_current([1], 3, 0, -1).tolist() == [-1]
    assert golden.dot_to_current([1, 2], 3, 0, -2).tolist() == [-1, -2]


def test_current_negative_range() -> None:
    # falling map 1.0 -> -1.0: endpoints exact, monotone non-increasing, never outside
    n_in = 7
    out = golden.dot_to_current(np.arange(n_in + 1), n_in, 256, -256).astype(int)
    assert out[0] == 256 and out[-1] == -256
    assert (np.diff(out) <= 0).all()
    assert out.tolist() == [256 + (-512 * k) // n_in for k in range(n_in + 1)]


def test_current_large_n_in_needs_48_bits() -> None:
    n_in = 2**31 - 1
    counts = np.array([0, 1, n_in // 2, n_in - 1, n_in], dtype=np.int64)
    out = golden.dot_to_current(counts, n_in, Q_MIN, Q_MAX)
    assert out.tolist() == [naive_current(int(c), n_in, Q_MIN, Q_MAX) for c in counts]


@given(
    n_in=st.integers(1, 2**31 - 1), y_min=q88, y_max=q88,
    fracs=st.lists(st.floats(0, 1), min_size=1, max_size=16),
)
def test_current_vs_naive(n_in: int, y_min: int, y_max: int, fracs: list[float]) -> None:
    counts = np.array([min(n_in, int(f * n_in)) for f in fracs], dtype=np.int64)
    out = golden.dot_to_current(counts, n_in, y_min, y_max)
    want = [naive_current(int(c), n_in, y_min, y_max) for c in counts]
    assert out.tolist() == want
    lo, hi = min(y_min, y_max), max(y_min, y_max)
    assert all(lo <= w <= hi for w in want)  # the result never needs saturation


@pytest.mark.parametrize(
    "kwargs, exc, msg",
    [
        ({"counts": [5], "n_in": 4}, ValueError, r"counts must lie in \[0, 4\], got 5 at index 0"),
        ({"counts": [-1], "n_in": 4}, ValueError, r"counts must lie in \[0, 4\], got -1"),
        ({"counts": [1.0], "n_in": 4}, TypeError, r"counts must hold integers.*float64"),
        ({"counts": [1], "n_in": 0}, ValueError, r"n_in must be a positive int, got 0"),
        ({"counts": [1], "n_in": 2.0}, TypeError, r"n_in must be an int, got float 2.0"),
        ({"counts": [1], "n_in": 2**31}, ValueError,
         r"n_in must be <= 2\*\*31 - 1, got 2147483648"),
        ({"counts": [1], "n_in": 4, "y_min": 40000}, ValueError,
         r"y_min must be in \[-32768, 32767\], got 40000"),
        ({"counts": [1], "n_in": 4, "y_max": True}, TypeError, r"y_max must be an int, got bool"),
        ({"counts": np.array([2**64 - 1], np.uint64), "n_in": 4}, ValueError,
         r"counts must lie in \[0, 4\], got 18446744073709551615"),
    ],
)
def test_current_bad_input(kwargs: dict, exc: type, msg: str) -> None:
    args = {"y_min": 0, "y_max": 256}
    args.update(kwargs)
    with pytest.raises(exc, match=msg):
        golden.dot_to_current(**args)


# -------------------------------------------------------------------------------------- LIF
def test_lif_threshold_equality_spikes() -> None:
    p = LifParams(v_rest=0, v_reset=-10, v_th=256, leak=0, gain=256)
    # v + I = 255, 256, 257 with leak 0 and gain 1.0
    state, spikes = golden.lif_step(_state([0, 0, 0]), [255, 256, 257], p)
    assert spikes.tolist() == [False, True, True]
    assert state.v.tolist() == [255, -10, -10]
    assert state.v.dtype == np.int16 and state.ref.dtype == np.int32


def test_lif_saturates_final_sum_once() -> None:
    # every term positive and huge: the exact sum saturates to 32767 (no wrap to negative)
    p = LifParams(v_rest=Q_MAX, v_reset=0, v_th=Q_MAX, leak=256, gain=Q_MAX)
    state, spikes = golden.lif_step(_state([Q_MIN]), [Q_MAX], p, noise=[Q_MAX])
    assert spikes.tolist() == [True]  # saturated 32767 >= v_th 32767
    p2 = p._replace(v_th=Q_MIN + 1, v_rest=Q_MIN, gain=Q_MAX)
    state, spikes = golden.lif_step(_state([Q_MAX]), [Q_MIN], p2, noise=[Q_MIN])
    assert spikes.tolist() == [False] and state.v.tolist() == [Q_MIN]  # floor, not wrap
    # intermediate exceeding int16 but the final sum in range: no intermediate saturation
    p3 = LifParams(v_rest=0, v_reset=0, v_th=Q_MAX, leak=0, gain=256)
    state, _ = golden.lif_step(_state([30000]), [30000], p3, noise=[-30000])
    assert state.v.tolist() == [30000]


def test_lif_floor_shifts() -> None:
    # (v_rest - v) * leak >>> 8 floors toward minus infinity: (0 - 1) * 1 >> 8 = -1
    p = LifParams(v_rest=0, v_reset=0, v_th=Q_MAX, leak=1, gain=1)
    state, _ = golden.lif_step(_state([1, -1]), [-1, 1], p)
    # v=1: 1 + floor(-1/256) + floor(-1/256) = 1 - 1 - 1 = -1 ; v=-1: -1 + 0 + 0 = -1
    assert state.v.tolist() == [-1, -1]


def test_lif_full_leak_reaches_rest() -> None:
    p = LifParams(v_rest=-300, v_reset=0, v_th=Q_MAX, leak=256, gain=0)
    state, _ = golden.lif_step(_state([Q_MIN, 0, Q_MAX]), [0, 0, 0], p)
    assert state.v.tolist() == [-300, -300, -300]


def test_lif_negative_threshold_and_reset() -> None:
    p = LifParams(v_rest=-512, v_reset=-768, v_th=-256, leak=0, gain=256)
    _, spikes, trace = golden.lif_run(_state([-512]), [[100], [200], [0]], p)
    assert spikes[:, 0].tolist() == [False, True, False]
    assert trace[:, 0].tolist() == [-412, -768, -768]


def test_lif_refractory_holds_reset() -> None:
    p = LifParams(v_rest=0, v_reset=-5, v_th=100, leak=0, gain=256, refractory=2)
    currents = np.full((7, 1), 200)
    _, spikes, trace = golden.lif_run(_state([0]), currents, p)
    # spike, hold, hold (input ignored), spike again (-5 + 200 >= 100), hold, hold, spike
    assert spikes[:, 0].tolist() == [True, False, False, True, False, False, True]
    assert trace[:, 0].tolist() == [-5] * 7
    p0 = p._replace(refractory=0)
    _, spikes0, _ = golden.lif_run(_state([0]), currents, p0)
    assert spikes0[:, 0].all()


def test_lif_negative_gain_inhibits() -> None:
    p = LifParams(v_rest=0, v_reset=0, v_th=256, leak=0, gain=-256)
    _, spikes, trace = golden.lif_run(_state([0]), [[100], [100]], p)
    assert not spikes.any() and trace[:, 0].tolist() == [-100, -200]


@given(
    p=params_st,
    data=st.data(),
    n=st.integers(1, 6),
    T=st.integers(1, 12),
)
def test_lif_run_vs_naive(p: LifParams, data: st.DataObject, n: int, T: int) -> None:
    v0 = data.draw(st.lists(q88, min_size=n, max_size=n))
    ref0 = data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    cur = np.array(data.draw(st.lists(st.lists(q88, min_size=n, max_size=n),
                                      min_size=T, max_size=T)), dtype=np.int64)
    noise = np.array(data.draw(st.lists(st.lists(st.integers(-512, 512), min_size=n,
                                                 max_size=n), min_size=T, max_size=T)))
    state, spikes, trace = golden.lif_run(_state(v0, ref0), cur, p, noise)
    for i in range(n):
        v, r = v0[i], ref0[i]
        for t in range(T):
            v, r, s = naive_lif(v, r, int(cur[t, i]), int(noise[t, i]), p)
            assert (int(trace[t, i]), bool(spikes[t, i])) == (v, s), (i, t)
        assert (int(state.v[i]), int(state.ref[i])) == (v, r)
    # lif_step composes to lif_run
    s2 = _state(v0, ref0)
    for t in range(T):
        s2, sp = golden.lif_step(s2, cur[t], p, noise[t])
        assert sp.tolist() == spikes[t].tolist()
    assert s2.v.tolist() == state.v.tolist() and s2.ref.tolist() == state.ref.tolist()


def test_lif_init_and_q88_helpers() -> None:
    st0 = golden.lif_init(3, LifParams(v_rest=-7))
    assert st0.v.tolist() == [-7] * 3 and st0.ref.tolist() == [0] * 3
    assert golden.to_q88([1.0, -1.0, 0.5 / 256, 1.5 / 256, 200.0, -200.0]).tolist() == [
        256, -256, 0, 2, Q_MAX, Q_MIN]
    assert golden.from_q88([256, -128]).tolist() == [1.0, -0.5]
    with pytest.raises(ValueError, match="x must be finite"):
        golden.to_q88([np.nan])


@pytest.mark.parametrize(
    "call, exc, msg",
    [
        (lambda: golden.lif_step(_state([0]), [0], LifParams(leak=257)), ValueError,
         r"params.leak must be in \[0, 256\], got 257"),
        (lambda: golden.lif_step(_state([0]), [0], LifParams(refractory=-1)), ValueError,
         r"params.refractory must be in \[0, 65535\], got -1"),
        (lambda: golden.lif_step(_state([0]), [0], LifParams(v_th=1.5)), TypeError,
         r"params.v_th must be an int, got float 1.5"),
        (lambda: golden.lif_step(_state([0]), [0], (0, 0, 256, 16, 256, 0)), TypeError,
         r"params must be a LifParams, got tuple"),
        (lambda: golden.lif_step(_state([0, 0]), [0], LifParams()), ValueError,
         r"current must have shape \(2,\), got \(1,\)"),
        (lambda: golden.lif_step(_state([0]), [40000], LifParams()), ValueError,
         r"current must lie in \[-32768, 32767\], got 40000 at index 0"),
        (lambda: golden.lif_step(_state([0]), [0], LifParams(), noise=[0.5]), TypeError,
         r"noise must hold integers"),
        (lambda: golden.lif_step(LifState(np.array([40000]), np.array([0])), [0], LifParams()),
         ValueError, r"state.v must lie in \[-32768, 32767\], got 40000"),
        (lambda: golden.lif_step(LifState(np.array([0]), np.array([-2])), [0], LifParams()),
         ValueError, r"state.ref must lie in \[0, 65535\], got -2"),
        (lambda: golden.lif_step((np.array([0]), np.array([0])), [0], LifParams()),
         TypeError, r"state must be a LifState, got tuple"),
        (lambda: golden.lif_run(_state([0]), [0], LifParams()), ValueError,
         r"currents must be 2-D \(T, n\), got shape \(1,\)"),
        (lambda: golden.lif_init(0, LifParams()), ValueError, r"n must be a positive int, got 0"),
    ],
)
def test_lif_bad_input(call, exc: type, msg: str) -> None:
    with pytest.raises(exc, match=msg):
        call()


def test_inputs_not_modified() -> None:
    v = np.array([10, 20], dtype=np.int16)
    ref = np.array([0, 1], dtype=np.int32)
    cur = np.array([300, 300])
    golden.lif_step(LifState(v, ref), cur, LifParams(refractory=3))
    assert v.tolist() == [10, 20] and ref.tolist() == [0, 1] and cur.tolist() == [300, 300]


# ---------------------------------------------------------------------------- emulator blocks
def test_emu_dot_to_current_block() -> None:
    import emu

    blk = emu.ScDotToCurrent(4)
    blk.n_in, blk.y_min, blk.y_max = 10, 300, -700
    rng = np.random.default_rng(5)
    expected = []
    for cycle in range(30):
        valid = cycle % 3 != 1
        blk.in_valid = int(valid)
        blk.count = rng.integers(0, 11, size=4)
        want = golden.dot_to_current(blk.count, 10, 300, -700) if valid else None
        blk.tick()
        assert blk.out_valid == int(valid)
        if valid:
            assert blk.current.tolist() == want.tolist()
            expected.append(want)
        blk.line_trace()
    assert len(expected) == 20
    blk.rst = 1
    blk.tick()
    assert blk.out_valid == 0
    with pytest.raises(ValueError, match=r"counts must lie in \[0, 10\], got 11"):
        blk.rst, blk.in_valid, blk.count = 0, 1, np.array([0, 11, 0, 0])
        blk.tick()
    with pytest.raises(ValueError, match="N must be an int >= 1"):
        emu.ScDotToCurrent(0)


@given(p=params_st, seed=st.integers(0, 2**32 - 1))
def test_emu_lif_block_vs_golden(p: LifParams, seed: int) -> None:
    """Random valid/bubble pattern and a mid-run reset: the valid steps match golden.lif_run."""
    import emu

    rng = np.random.default_rng(seed)
    n, cycles = 5, 40
    blk = emu.ScLif(n)
    (blk.v_rest, blk.v_reset, blk.v_th, blk.leak, blk.gain, blk.refractory) = p
    blk.rst = 1
    blk.tick()
    blk.rst = 0
    state = golden.lif_init(n, p)
    reset_at = int(rng.integers(5, cycles))
    for cycle in range(cycles):
        if cycle == reset_at:
            blk.rst = 1
            blk.tick()
            blk.rst = 0
            state = golden.lif_init(n, p)
            assert blk.out_valid == 0 and blk.v.tolist() == state.v.tolist()
            continue
        valid = bool(rng.random() < 0.7)
        cur = rng.integers(Q_MIN, Q_MAX + 1, size=n)
        noise = rng.integers(-300, 301, size=n)
        blk.in_valid, blk.current, blk.noise = int(valid), cur, noise
        blk.tick()
        assert blk.out_valid == int(valid)
        if valid:
            state, spikes, _ = golden.lif_run(state, cur[None], p, noise[None])
            assert blk.spike.tolist() == spikes[0].tolist()
        assert blk.v.tolist() == state.v.tolist() and blk.ref_cnt.tolist() == state.ref.tolist()
        assert isinstance(blk.line_trace(), str)


def test_emu_dense_to_spikes_chain() -> None:
    """ScDense counts -> ScDotToCurrent -> ScLif over T steps equals the golden chain."""
    import emu

    rng = np.random.default_rng(11)
    n_out, n_in, length, T = 6, 5, 64, 6
    weights = golden.encode_weights(rng.random((n_out, n_in)), length=length, seed=7)
    probs = rng.random((T, n_in))
    p = LifParams(v_rest=0, v_reset=-64, v_th=400, leak=40, gain=384, refractory=1)
    full = n_in * length
    # golden chain
    counts = np.stack([golden.sc_counts(weights, probs[t], length=length) for t in range(T)])
    currents = golden.dot_to_current(counts, full, -256, 2048)
    _, want_spikes, want_trace = golden.lif_run(golden.lif_init(n_out, p), currents, p)
    # emulated chain: the dense core per step, then the two neuron blocks clock by clock
    d2c, lif = emu.ScDotToCurrent(n_out), emu.ScLif(n_out)
    d2c.n_in, d2c.y_min, d2c.y_max = full, -256, 2048
    (lif.v_rest, lif.v_reset, lif.v_th, lif.leak, lif.gain, lif.refractory) = p
    lif.rst = 1
    lif.tick()
    lif.rst = 0
    got_spikes, got_trace = [], []
    for t in range(T):
        res, _, _ = emu.run_layer(emu.CoreShape(n_in, n_out, 64), weights, probs[t], length,
                                  golden.DEFAULT_SEED)
        assert res.tolist() == counts[t].tolist()
        d2c.in_valid, d2c.count = 1, res
        d2c.tick()
        lif.in_valid, lif.current = d2c.out_valid, d2c.current
        lif.tick()
        got_spikes.append(lif.spike.copy())
        got_trace.append(lif.v.copy())
    assert np.array_equal(np.array(got_spikes), want_spikes)
    assert np.array_equal(np.array(got_trace), want_trace)
    assert want_spikes.any() and not want_spikes.all()  # the case exercises both outcomes


# ------------------------------------------------------------------------ RTL (both simulators)
def _neuron_suite():
    """The RTL runner (``testbench.runner``, where the ``neuron`` suite is registered)."""
    from testbench import runner as sim

    assert "neuron" in sim.SUITES
    return sim


@pytest.mark.sim
@pytest.mark.parametrize("sim_name", ["icarus", "verilator"])
def test_rtl_neuron_suite(sim_name: str) -> None:
    """sc_dot_to_current and sc_lif equal the golden neuron on both simulators (an unavailable
    simulator is a failure, as in tests/test_sim_rtl.py)."""
    sim = _neuron_suite()
    res = sim.run_suite("neuron", sim_name, out_dir=SIM_OUT, seed=1)
    assert res.ok, (res.error, res.failures, res.log)
    assert res.tests >= 5 and res.passed == res.tests


@pytest.mark.sim
@pytest.mark.parametrize("mutation", [
    ("sc_dot_to_current.v", "(rem != 0 && num[P_W-1]) ? quo - ONE : quo", "quo"),  # truncation
    ("sc_lif.v", "($signed(sat) >= v_th)", "($signed(sat) > v_th)"),           # strict threshold
    ("sc_lif.v", "(s > Q_MAX) ? 16'h7fff : (s < Q_MIN) ? 16'h8000 : s[15:0]", "s[15:0]"),  # wrap
    ("sc_lif.v", "hold ? rk - 16'd1 : (fire ? refractory : 16'd0)", "16'd0"),  # no refractory
])
def test_rtl_neuron_mutation_is_caught(mutation, tmp_path) -> None:
    sim = _neuron_suite()
    rtl = mutant(tmp_path, *mutation)
    res = sim.run_suite("neuron", "icarus", out_dir=tmp_path / "out", seed=1, rtl_dir=rtl)
    assert res.error is None and res.failed >= 1, (res.error, res.failed)
