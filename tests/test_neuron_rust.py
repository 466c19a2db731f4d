"""The Rust Q8.8 neuron (golden.backends.neuron_rust) against the NumPy one, bit for bit."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import golden
from golden import LifParams, LifState
from golden.backends import neuron_rust as nr
from tests.support import required_backends

pytestmark = pytest.mark.rust

_REASON = nr.RustNeuron.unavailable_reason()
if _REASON is not None:
    if "rust" in required_backends():
        pytest.fail(f"backend 'rust' is required (SCTB_REQUIRE_BACKENDS): {_REASON}", pytrace=False)
    pytest.skip(f"the Rust neuron is unavailable: {_REASON}", allow_module_level=True)

# Only once we know it is built (the module is skipped or failed above otherwise).
from golden import _native  # noqa: E402

RS = nr.RustNeuron()

Q_MIN, Q_MAX = -32768, 32767
N_IN_MAX = 2**31 - 1
PATHS = tuple(_native.kernel_paths())

# Edge values are drawn often, the rest of the range uniformly.
q88 = st.one_of(st.sampled_from([Q_MIN, Q_MIN + 1, -257, -256, -1, 0, 1, 255, 256, Q_MAX]),
                st.integers(Q_MIN, Q_MAX))
leaks = st.one_of(st.sampled_from([0, 1, 255, 256]), st.integers(0, 256))
refractories = st.one_of(st.integers(0, 3), st.just(65535))
params_st = st.builds(LifParams, v_rest=q88, v_reset=q88, v_th=q88, leak=leaks, gain=q88,
                      refractory=refractories)
n_ins = st.one_of(st.sampled_from([1, 2, 3, N_IN_MAX - 1, N_IN_MAX]), st.integers(1, N_IN_MAX))


def _equal_states(a: LifState, b: LifState) -> None:
    assert a.v.dtype == b.v.dtype == np.int16 and a.ref.dtype == b.ref.dtype == np.int32
    assert a.v.shape == b.v.shape and a.ref.shape == b.ref.shape
    assert np.array_equal(a.v, b.v) and np.array_equal(a.ref, b.ref)


def _equal_runs(got: tuple, want: tuple) -> None:
    _equal_states(got[0], want[0])
    for g, w, dtype in zip(got[1:], want[1:], (np.bool_, np.int16)):
        assert g.dtype == w.dtype == dtype and g.shape == w.shape
        assert np.array_equal(g, w)


def _random_q88(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Uniform raw Q8.8 with the range ends planted at random places."""
    out = rng.integers(Q_MIN, Q_MAX + 1, size=shape)
    if out.size:
        out.flat[rng.integers(0, out.size, size=max(1, out.size // 8))] = Q_MIN
        out.flat[rng.integers(0, out.size, size=max(1, out.size // 8))] = Q_MAX
    return out


# ----------------------------------------------------------------------------- dot_to_current
@given(
    n_in=n_ins, y_min=q88, y_max=q88,
    fracs=st.lists(st.floats(0, 1), max_size=12),
    dtype=st.sampled_from([np.int64, np.uint64, np.int32, np.uint32]),
    shape=st.sampled_from(["1d", "2d", "0d"]),
)
def test_current_bit_identical(n_in, y_min, y_max, fracs, dtype, shape) -> None:
    counts = np.array([0, n_in] + [min(n_in, int(f * n_in)) for f in fracs], dtype=dtype)
    if shape == "2d":
        counts = np.stack([counts, counts[::-1]])
    elif shape == "0d":
        counts = counts[1]  # the count n_in: the current y_max exactly
    want = golden.dot_to_current(counts, n_in, y_min, y_max)
    got = RS.dot_to_current(counts, n_in, y_min, y_max)
    assert type(got) is type(want) and got.dtype == want.dtype == np.int16
    assert np.shape(got) == np.shape(want) == np.shape(counts)
    assert np.array_equal(got, want)
    if shape == "0d":
        assert isinstance(got, np.int16) and int(got) == y_max


def test_current_directed_edges() -> None:
    # the full 17-bit span, floor of negative products, a falling map, the 48-bit product
    for counts, n_in, y_min, y_max in [
        (np.arange(5), 4, Q_MIN, Q_MAX), ([1, 2], 3, 0, -2), (np.arange(8), 7, 256, -256),
        ([0, 1, N_IN_MAX // 2, N_IN_MAX - 1, N_IN_MAX], N_IN_MAX, Q_MAX, Q_MIN), ([0, 1], 1, 5, 5),
        (np.zeros((0, 3), np.int64), 9, 0, 1),
    ]:
        want = golden.dot_to_current(counts, n_in, y_min, y_max)
        got = RS.dot_to_current(counts, n_in, y_min, y_max)
        assert got.dtype == np.int16 and got.shape == want.shape
        assert got.tolist() == want.tolist()


# -------------------------------------------------------------------------------------- LIF
@given(p=params_st, data=st.data(), n=st.integers(1, 9), T=st.sampled_from([0, 1, 2, 5, 17]),
       with_noise=st.booleans())
def test_lif_run_and_step_bit_identical(p, data, n, T, with_noise) -> None:
    v0 = np.array(data.draw(st.lists(q88, min_size=n, max_size=n)), dtype=np.int16)
    ref0 = np.array(data.draw(st.lists(st.sampled_from([0, 0, 1, 2, 3, 65535]), min_size=n,
                                       max_size=n)), dtype=np.int32)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    cur = _random_q88(rng, (T, n))
    noise = _random_q88(rng, (T, n)) if with_noise else None
    state = LifState(v0, ref0)
    want = golden.lif_run(state, cur, p, noise)
    _equal_runs(RS.lif_run(state, cur, p, noise), want)
    # every kernel path of the engine gives the same integers
    for path in PATHS:
        v, ref, spikes, trace = _native.lif_run(
            v0, ref0.astype(np.uint16), cur.astype(np.int16), tuple(p),
            None if noise is None else noise.astype(np.int16), popcount=path)
        _equal_runs((LifState(v, ref.astype(np.int32)), spikes, trace), want)
    # lif_step, step by step, equals NumPy's lif_step and composes to lif_run
    s_np = s_rs = state
    for t in range(T):
        z = None if noise is None else noise[t]
        s_np, sp_np = golden.lif_step(s_np, cur[t], p, z)
        s_rs, sp_rs = RS.lif_step(s_rs, cur[t], p, z)
        _equal_states(s_rs, s_np)
        assert sp_rs.dtype == np.bool_ and np.array_equal(sp_rs, sp_np)
    _equal_states(s_rs, want[0])


@pytest.mark.parametrize("path", PATHS)
def test_lif_step_every_path_over_all_membranes(path: str) -> None:
    """All 65536 membranes, refractory or not, with saturating inputs, on each kernel path."""
    v = np.arange(Q_MIN, Q_MAX + 1, dtype=np.int16)
    rng = np.random.default_rng(4)
    ref = rng.choice([0, 0, 1, 65535], size=v.size).astype(np.int32)
    cur, noise = _random_q88(rng, (v.size,)), _random_q88(rng, (v.size,))
    for p in (LifParams(v_rest=Q_MAX, v_reset=-5, v_th=0, leak=256, gain=Q_MAX, refractory=2),
              LifParams(v_rest=Q_MIN, v_reset=Q_MAX, v_th=Q_MIN, leak=0, gain=Q_MIN,
                        refractory=65535),
              LifParams(v_rest=-300, v_reset=0, v_th=256, leak=1, gain=-256, refractory=0)):
        s_np, sp_np = golden.lif_step(LifState(v, ref), cur, p, noise)
        v2, r2, sp, _ = _native.lif_run(v, ref.astype(np.uint16), cur[None].astype(np.int16),
                                        tuple(p), noise[None].astype(np.int16), popcount=path)
        assert np.array_equal(v2, s_np.v) and np.array_equal(r2, s_np.ref)
        assert np.array_equal(sp[0], sp_np) and sp.any() and not sp.all()


def test_lif_directed_contract_examples() -> None:
    cases = [
        # one saturation of the final sum: 30000 + 30000 - 30000 = 30000 (not 2767)
        (LifParams(v_rest=0, v_reset=0, v_th=Q_MAX, leak=0, gain=256), [30000], [[30000]],
         [[-30000]]),
        # threshold equality spikes (v + I = 255, 256, 257 against v_th = 256)
        (LifParams(v_rest=0, v_reset=-10, v_th=256, leak=0, gain=256), [0, 0, 0],
         [[255, 256, 257]], None),
        # refractory R = 2 holds exactly 2 steps
        (LifParams(v_rest=0, v_reset=-5, v_th=100, leak=0, gain=256, refractory=2), [0],
         [[200]] * 7, None),
        # leak 256 jumps to v_rest
        (LifParams(v_rest=-300, v_reset=0, v_th=Q_MAX, leak=256, gain=0), [Q_MIN, 0, Q_MAX],
         [[5, 5, 5]], None),
    ]
    for p, v0, cur, noise in cases:
        state = LifState(np.array(v0, np.int16), np.zeros(len(v0), np.int32))
        want = golden.lif_run(state, cur, p, noise)
        _equal_runs(RS.lif_run(state, cur, p, noise), want)
    # the contract's numbers themselves, not only agreement with NumPy
    one = LifState(np.array([30000], np.int16), np.zeros(1, np.int32))
    assert RS.lif_run(one, [[30000]], cases[0][0], [[-30000]])[0].v.tolist() == [30000]
    three = LifState(np.zeros(3, np.int16), np.zeros(3, np.int32))
    _, spikes, trace = RS.lif_run(three, [[255, 256, 257]], cases[1][0])
    assert spikes.tolist() == [[False, True, True]] and trace.tolist() == [[255, -10, -10]]
    _, spikes, trace = RS.lif_run(one._replace(v=np.zeros(1, np.int16)), [[200]] * 7, cases[2][0])
    assert spikes[:, 0].tolist() == [True, False, False, True, False, False, True]
    assert trace[:, 0].tolist() == [-5] * 7
    state, _, _ = RS.lif_run(LifState(np.array([Q_MIN, 0, Q_MAX], np.int16), np.zeros(3, np.int32)),
                             [[5, 5, 5]], cases[3][0])
    assert state.v.tolist() == [-300] * 3


def test_lif_run_threads_and_large_problem() -> None:
    """Above the threading threshold the split over neurons changes nothing."""
    T, n = 2100, 2000  # T * n > LIF_PARALLEL_MIN_NEURON_STEPS, a ragged last block
    assert T * n >= _native.LIF_PARALLEL_MIN_NEURON_STEPS
    rng = np.random.default_rng(12)
    p = LifParams(v_rest=-64, v_reset=-512, v_th=700, leak=20, gain=300, refractory=3)
    state = LifState(_random_q88(rng, (n,)).astype(np.int16), np.zeros(n, np.int32))
    cur = rng.integers(-200, 824, size=(T, n))
    noise = rng.integers(-64, 65, size=(T, n))
    want = golden.lif_run(state, cur, p, noise)
    assert want[1].any() and not want[1].all()
    _equal_runs(RS.lif_run(state, cur, p, noise), want)
    args = (state.v, state.ref.astype(np.uint16), cur.astype(np.int16), tuple(p),
            noise.astype(np.int16))
    for threads in (1, 2, 3):
        v, ref, spikes, trace = _native.lif_run(*args, threads=threads)
        _equal_runs((LifState(v, ref.astype(np.int32)), spikes, trace), want)


def test_lif_empty_shapes() -> None:
    p = LifParams(refractory=2)
    state = LifState(np.array([Q_MIN, Q_MAX], np.int16), np.array([0, 65535], np.int32))
    for cur in (np.zeros((0, 2), np.int64), np.zeros((3, 2), np.int64)):  # T = 0, and T = 3
        _equal_runs(RS.lif_run(state, cur, p), golden.lif_run(state, cur, p))
    empty = LifState(np.zeros(0, np.int16), np.zeros(0, np.int32))  # n = 0
    _equal_runs(RS.lif_run(empty, np.zeros((4, 0), np.int64), p),
                golden.lif_run(empty, np.zeros((4, 0), np.int64), p))
    s, sp = RS.lif_step(empty, np.zeros(0, np.int64), p)
    assert s.v.shape == (0,) and sp.shape == (0,) and sp.dtype == np.bool_


def test_inputs_are_not_modified_and_odd_layouts_are_read_right() -> None:
    rng = np.random.default_rng(3)
    v = np.array([10, 20, -30], dtype=np.int16)
    ref = np.array([0, 1, 0], dtype=np.int32)
    cur = np.asfortranarray(rng.integers(-300, 300, size=(6, 3)))  # Fortran order
    noise = rng.integers(-9, 9, size=(6, 6))[:, ::2]                # strided view
    big = cur.astype(">i4")                                          # big-endian
    before = [a.copy() for a in (v, ref, cur, noise)]
    p = LifParams(refractory=3, v_th=100)
    want = golden.lif_run(LifState(v, ref), cur, p, noise)
    _equal_runs(RS.lif_run(LifState(v, ref), cur, p, noise), want)
    _equal_runs(RS.lif_run(LifState(v, ref), big, p, noise), want)
    for a, b in zip((v, ref, cur, noise), before):
        assert np.array_equal(a, b)
    counts = np.arange(10, dtype=np.int64)[::-2]
    assert RS.dot_to_current(counts, 9, -7, 300).tolist() == golden.dot_to_current(
        counts, 9, -7, 300).tolist()


# ------------------------------------------------------------------------------ bad input
def _state(v=(0,), ref=None) -> LifState:
    v = np.asarray(v, dtype=np.int16)
    return LifState(v, np.zeros(v.shape, np.int32) if ref is None else np.asarray(ref))


BAD_CALLS = {
    "count over n_in": ("dot_to_current", lambda: ([0, 5], 4, 0, 256)),
    "negative count": ("dot_to_current", lambda: ([-1], 4, 0, 256)),
    "float counts": ("dot_to_current", lambda: ([1.0], 4, 0, 256)),
    "bool counts": ("dot_to_current", lambda: (np.array([True]), 4, 0, 256)),
    "n_in 0": ("dot_to_current", lambda: ([1], 0, 0, 256)),
    "n_in float": ("dot_to_current", lambda: ([1], 2.0, 0, 256)),
    "n_in 2**31": ("dot_to_current", lambda: ([1], 2**31, 0, 256)),
    "y_min range": ("dot_to_current", lambda: ([1], 4, 40000, 256)),
    "y_max bool": ("dot_to_current", lambda: ([1], 4, 0, True)),
    "uint64 count": ("dot_to_current", lambda: (np.array([2**64 - 1], np.uint64), 4, 0, 256)),
    "bad n_in before bad counts": ("dot_to_current", lambda: ([9.5], 0, 0, 256)),
    "leak 257": ("lif_step", lambda: (_state(), [0], LifParams(leak=257))),
    "refractory -1": ("lif_step", lambda: (_state(), [0], LifParams(refractory=-1))),
    "refractory 65536": ("lif_run", lambda: (_state(), [[0]], LifParams(refractory=65536))),
    "v_th float": ("lif_step", lambda: (_state(), [0], LifParams(v_th=1.5))),
    "gain range": ("lif_run", lambda: (_state(), [[0]], LifParams(gain=-32769))),
    "params tuple": ("lif_step", lambda: (_state(), [0], (0, 0, 256, 16, 256, 0))),
    "params before state": ("lif_run", lambda: ((1, 2), [[0]], LifParams(leak=-1))),
    "current shape": ("lif_step", lambda: (_state([0, 0]), [0], LifParams())),
    "current range": ("lif_step", lambda: (_state(), [40000], LifParams())),
    "current float": ("lif_step", lambda: (_state(), [0.5], LifParams())),
    "noise float": ("lif_step", lambda: (_state(), [0], LifParams(), [0.5])),
    "noise range": ("lif_step", lambda: (_state([0, 0]), [0, 0], LifParams(), [0, -40000])),
    "noise shape": ("lif_step", lambda: (_state(), [0], LifParams(), [0, 0])),
    "state.v range": ("lif_step", lambda: (LifState(np.array([40000]), np.array([0])), [0],
                                           LifParams())),
    "state.v 2-D": ("lif_run", lambda: (LifState(np.zeros((1, 1), np.int16),
                                                 np.zeros((1, 1), np.int32)), [[0]], LifParams())),
    "state.ref range": ("lif_step", lambda: (_state(ref=[-2]), [0], LifParams())),
    "state.ref shape": ("lif_run", lambda: (_state(ref=[0, 0]), [[0]], LifParams())),
    "state tuple": ("lif_step", lambda: ((np.array([0]), np.array([0])), [0], LifParams())),
    "currents 1-D": ("lif_run", lambda: (_state(), [0], LifParams())),
    "currents 3-D": ("lif_run", lambda: (_state(), np.zeros((1, 1, 1), np.int64), LifParams())),
    "currents n": ("lif_run", lambda: (_state([0, 0]), [[0, 0, 0]], LifParams())),
    "currents float": ("lif_run", lambda: (_state(), [[0.0]], LifParams())),
    "currents range": ("lif_run", lambda: (_state(), [[0], [Q_MIN - 1]], LifParams())),
    "noise (T, n)": ("lif_run", lambda: (_state(), [[0], [0]], LifParams(), [[0]])),
    "noise range run": ("lif_run", lambda: (_state(), [[0]], LifParams(), [[Q_MAX + 1]])),
}


@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_bad_input_same_error_as_numpy(case: str) -> None:
    name, make_args = BAD_CALLS[case]
    with pytest.raises((TypeError, ValueError)) as want:
        getattr(golden, name)(*make_args())
    with pytest.raises((TypeError, ValueError)) as got:
        getattr(RS, name)(*make_args())
    assert type(got.value) is type(want.value)
    assert str(got.value) == str(want.value)


def test_native_refuses_what_the_wrapper_never_sends() -> None:
    v, ref = np.zeros(2, np.int16), np.zeros(2, np.uint16)
    cur = np.zeros((3, 2), np.int16)
    p = tuple(LifParams())
    with pytest.raises(ValueError, match=r"counts must lie in \[0, 4\], got 5 at index 1"):
        _native.dot_to_current(np.array([0, 5]), 4, 0, 1)
    with pytest.raises(ValueError, match=r"n_in must be a positive int, got 0"):
        _native.dot_to_current(np.array([0]), 0, 0, 1)
    with pytest.raises(ValueError, match=r"params.leak must be in \[0, 256\], got 300"):
        _native.lif_run(v, ref, cur, tuple(LifParams(leak=300)))
    with pytest.raises(ValueError, match=r"currents must have shape \(3, 2\), got \(3, 1\)"):
        _native.lif_run(v, ref, cur[:, :1].copy(), p)
    with pytest.raises(ValueError, match=r"noise must have shape \(3, 2\), got \(2, 2\)"):
        _native.lif_run(v, ref, cur, p, cur[:2].copy())
    with pytest.raises(ValueError, match=r"ref must have shape \(2,\), got \(1,\)"):
        _native.lif_run(v, ref[:1].copy(), cur, p)
    with pytest.raises(ValueError, match="currents must be C-contiguous"):
        _native.lif_run(v, ref, np.zeros((2, 3), np.int16).T, p)
    with pytest.raises(ValueError, match="unknown kernel path 'sse'"):
        _native.lif_run(v, ref, cur, p, popcount="sse")
    with pytest.raises(OverflowError):
        _native.lif_run(v, ref, cur, (0, 0, 0, 0, 0, 70000))


def test_unbuilt_or_stale_extension_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nr, "_native", None)
    monkeypatch.setattr(nr, "_IMPORT_ERROR", "No module named 'golden._native'")
    monkeypatch.delitem(golden._neuron_models._instances, "rust", raising=False)
    assert "make native" in nr.RustNeuron.unavailable_reason()
    assert golden.available_neurons()["rust"] is False
    with pytest.raises(RuntimeError, match=r"golden._native is not built .*make native"):
        nr.RustNeuron()
    with pytest.raises(RuntimeError, match=r"neuron model 'rust' is not available: golden._native"):
        golden.get_neuron("rust")
    assert golden.get_neuron().name != "rust"

    class Stale:
        dot_to_current = _native.dot_to_current

    monkeypatch.setattr(nr, "_native", Stale)
    with pytest.raises(RuntimeError, match="stale: it lacks lif_run; run `make native`"):
        nr.RustNeuron()


def test_module_imports_nothing_optional() -> None:
    code = ("import sys, golden.backends.neuron_rust; "
            "bad = {'numba', 'jax', 'cupy', 'cocotb', 'pyuvm', 'mpi4py'} & set(sys.modules); "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
