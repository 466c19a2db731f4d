"""The Rust engine (golden._native, golden.backends.sc_rust) against the NumPy floor, bit-exact."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import golden
from golden._contract import EDGE_PROBS
from golden.backends.sc_rust import KERNEL_PATHS, RustBackend
from tests.naive import naive_counts
from tests.strategies import lengths, probs_elements, sc_cases, seeds
from tests.support import check_contract_vectors

pytestmark = pytest.mark.rust

_REASON = RustBackend.unavailable_reason()
_REQUIRED = "rust" in {n.strip() for n in os.environ.get("SCTB_REQUIRE_BACKENDS", "").split(",")}

if _REASON is not None:
    if _REQUIRED:
        pytest.fail(f"backend 'rust' is required (SCTB_REQUIRE_BACKENDS): {_REASON}", pytrace=False)
    pytest.skip(f"backend 'rust' unavailable: {_REASON}", allow_module_level=True)

from golden import _native  # noqa: E402  (only once we know it is built)

SUPPORTED = tuple(_native.kernel_paths())
ENV = _native.KERNEL_PATH_ENV
EDGE_P = EDGE_PROBS[:4]  # 0, 1 and the two rounding ties


@pytest.fixture(autouse=True)
def _no_forced_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts without SCTB_RUST_POPCOUNT (tests that need it set it themselves)."""
    monkeypatch.delenv(ENV, raising=False)


def _backends() -> list[RustBackend]:
    """One backend per supported kernel path and thread policy."""
    return [RustBackend(threads=t, popcount=p) for p in SUPPORTED for t in (1, 2)]


def _path_param(path: str):
    return pytest.param(
        path,
        marks=pytest.mark.skipif(
            path not in SUPPORTED, reason=f"this CPU lacks the {path} kernel path's features"
        ),
    )


# -- the module and the selector ----------------------------------------------------------------


def test_native_module_loads_and_matches_the_lfsr() -> None:
    assert isinstance(_native.__version__, str) and _native.__version__
    for s in (0, 1, 0xACE1, 0x8000, 0xFFFF):
        assert _native.lfsr_step(s) == golden.lfsr_step(s)
        for k in (0, 1, 64, 65534, 65535, 10**12):
            assert _native.lfsr_jump(s, k) == golden.lfsr_jump(s, k)
    seq = _native.lfsr_sequence(0xFFFE, 70000)
    assert seq.dtype == np.uint16
    assert np.array_equal(seq, golden.lfsr_sequence(0xFFFE, 70000))
    assert np.array_equal(_native.orbit_table(), golden.orbit_table())


def test_get_backend_picks_rust_when_built() -> None:
    assert golden.backend_status()["rust"] is None
    assert golden.available_backends()["rust"] is True
    auto = golden.get_backend()
    assert isinstance(auto, RustBackend) and auto.name == "rust"
    assert golden.get_backend("rust") is auto


def test_scalar_path_is_always_supported_and_detection_is_consistent() -> None:
    assert SUPPORTED[0] == "scalar"
    assert set(SUPPORTED) <= set(KERNEL_PATHS)
    assert _native.default_kernel_path() == SUPPORTED[-1]
    assert RustBackend().kernel_path() == SUPPORTED[-1]
    assert dict(_native.kernel_path_features()).keys() == set(KERNEL_PATHS)


# -- bit identity with the NumPy floor ----------------------------------------------------------


@given(sc_cases())
def test_sc_counts_matches_numpy_floor_on_every_path(case) -> None:
    weights, probs, length, seed = case
    want = golden.sc_counts(weights, probs, length=length, seed=seed)
    for backend in _backends():
        got = backend.sc_counts(weights, probs, length=length, seed=seed)
        assert got.dtype == np.int64 and got.shape == want.shape
        assert np.array_equal(got, want), (backend.kernel_path(), backend.threads)
    fwd = golden.get_backend("rust").sc_forward(weights, probs, length=length, seed=seed)
    assert fwd.dtype == np.float64 and np.array_equal(fwd, want / length)


@given(
    st.lists(st.sampled_from(EDGE_P) | probs_elements, min_size=0, max_size=9),
    lengths,
    seeds,
)
def test_encode_inputs_matches_numpy_floor(probs: list[float], length: int, seed: int) -> None:
    want = golden.encode_inputs(probs, length=length, seed=seed)
    for path in SUPPORTED:
        got = RustBackend(popcount=path).encode_inputs(probs, length=length, seed=seed)
        assert got.dtype == np.uint64 and got.shape == want.shape
        assert np.array_equal(got, want), path


@pytest.mark.parametrize("length", [1, 63, 64, 65, 128, 1000, 4096, 65535, 65536 + 70])
@pytest.mark.parametrize("seed", [0, 1, 0xFFFE, 0xFFFF, 0x10000, 2**64 - 1])
def test_edge_probabilities_and_seeds_across_the_wrap(length: int, seed: int) -> None:
    probs = np.array(EDGE_P * 2)  # 8 inputs: seeds seed..seed+7 cross 0xFFFF -> 0 -> 1
    rng = np.random.default_rng(length + seed % 1000)
    nw = golden.n_words(length)
    w = rng.integers(0, 2**64, size=(3, probs.size, nw), dtype=np.uint64)
    w[0] = np.uint64(2**64 - 1)  # all-ones row: counts the input streams themselves
    want = golden.sc_counts(w, probs, length=length, seed=seed)
    for backend in _backends():
        assert np.array_equal(backend.sc_counts(w, probs, length=length, seed=seed), want)
        assert np.array_equal(
            backend.encode_inputs(probs, length=length, seed=seed),
            golden.encode_inputs(probs, length=length, seed=seed),
        )


def test_golden_vectors() -> None:
    rust = RustBackend()
    check_contract_vectors(rust)
    full = rust.encode_inputs([3 / 65536, 0.5, 1.0], length=65535, seed=1)
    assert [int(np.bitwise_count(r).sum()) for r in full] == [2, 32767, 65535]


def test_small_case_matches_the_naive_model() -> None:
    rng = np.random.default_rng(3)
    w = rng.integers(0, 2**64, size=(4, 5, 3), dtype=np.uint64)
    p = [0.0, 1.0, 1 / 131072, 3 / 131072, 0.3]
    got = RustBackend().sc_counts(w, p, length=150, seed=0xFFFD)
    assert got.tolist() == naive_counts(w.tolist(), p, 150, 0xFFFD)


def test_large_problem_takes_the_threaded_branch_and_agrees() -> None:
    rng = np.random.default_rng(8)
    w = rng.integers(0, 2**64, size=(96, 70, 80), dtype=np.uint64)
    assert w.size >= _native.PARALLEL_MIN_WORDS
    p = rng.random(70)
    want = golden.sc_counts(w, p, length=80 * 64 - 5, seed=7)
    for t in (0, 1, 2, 3):
        for path in SUPPORTED:
            got = RustBackend(threads=t, popcount=path).sc_counts(w, p, length=80 * 64 - 5, seed=7)
            assert np.array_equal(got, want), (t, path)


def test_layouts_give_the_same_counts() -> None:
    rng = np.random.default_rng(5)
    w = rng.integers(0, 2**64, size=(5, 7, 3), dtype=np.uint64)
    p = rng.random(7)
    rust = RustBackend()
    want = golden.sc_counts(w, p, length=150, seed=11)
    strided = np.zeros((10, 7, 6), dtype=np.uint64)
    strided[::2, :, ::2] = w
    view = strided[::2, :, ::2]
    fortran = np.asfortranarray(w)
    big = w.astype(">u8")
    assert not view.flags.c_contiguous and not fortran.flags.c_contiguous
    for variant in (fortran, big, view, np.asfortranarray(big), w.tolist()):
        assert np.array_equal(rust.sc_counts(variant, p, length=150, seed=11), want)
    small = (w & np.uint64(2**62 - 1)).astype(np.int64)
    assert np.array_equal(
        rust.sc_counts(small, p, length=150, seed=11),
        golden.sc_counts(small, p, length=150, seed=11),
    )
    for probs in (p.astype(">f8"), p[::-1].copy()[::-1], p.astype(np.float32), p.tolist()):
        assert np.array_equal(
            rust.sc_counts(w, probs, length=150, seed=11),
            golden.sc_counts(w, probs, length=150, seed=11),
        )


def test_native_reads_c_contiguous_weights_in_place() -> None:
    w = np.zeros((2, 3, 1), dtype=np.uint64)
    w_ro = w.copy()
    w_ro.setflags(write=False)  # read-only input is fine: the kernel only reads
    assert RustBackend().sc_counts(w_ro, [1.0, 1.0, 1.0], length=64).tolist() == [0, 0]
    with pytest.raises(ValueError, match="C-contiguous"):
        _native.sc_counts(np.asfortranarray(np.zeros((2, 3, 2), np.uint64)), np.ones(3), 100, 1)


def test_zero_sized_layers() -> None:
    rust = RustBackend()
    assert rust.sc_counts(np.zeros((0, 3, 2), np.uint64), [0.5] * 3, length=100).shape == (0,)
    got = rust.sc_counts(np.zeros((4, 0, 2), np.uint64), np.zeros(0), length=100)
    assert got.tolist() == [0, 0, 0, 0] and got.dtype == np.int64
    assert rust.encode_inputs([], length=10).shape == (0, 1)


# -- kernel paths -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [_path_param(p) for p in KERNEL_PATHS])
def test_every_kernel_path_gives_identical_results(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(99)
    for shape, length in (((7, 33, 5), 300), ((64, 64, 64), 4096), ((3, 1, 1), 1)):
        w = rng.integers(0, 2**64, size=shape, dtype=np.uint64)
        p = rng.random(shape[1])
        p[:4] = EDGE_P[: min(4, p.size)]
        want = golden.sc_counts(w, p, length=length, seed=0xFFFC)
        assert np.array_equal(
            RustBackend(popcount=path).sc_counts(w, p, length=length, seed=0xFFFC), want
        )
        # the same path forced through the environment variable
        monkeypatch.setenv(ENV, path)
        assert _native.default_kernel_path() == path
        assert np.array_equal(RustBackend().sc_counts(w, p, length=length, seed=0xFFFC), want)
        assert RustBackend().vec_popcount(w) == golden.vec_popcount(w)
        x = golden.encode_inputs(p, length=length, seed=3)
        assert np.array_equal(RustBackend().vec_mac(w, x), golden.vec_mac(w, x))
        monkeypatch.delenv(ENV)


def test_bad_kernel_path_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    w = np.zeros((1, 1, 1), np.uint64)
    with pytest.raises(ValueError, match="popcount must be one of"):
        RustBackend(popcount="sse9")
    monkeypatch.setenv(ENV, "sse9")
    with pytest.raises(ValueError, match=f"{ENV}.*'sse9'"):
        RustBackend().sc_counts(w, [0.5], length=64)
    with pytest.raises(ValueError, match="'sse9'"):
        _native.default_kernel_path()
    for path in set(KERNEL_PATHS) - set(SUPPORTED):
        with pytest.raises(ValueError, match="lacks"):
            RustBackend(popcount=path).sc_counts(w, [0.5], length=64)


def test_thread_argument_is_checked() -> None:
    with pytest.raises(ValueError, match="threads must be >= 0, got -1"):
        RustBackend(threads=-1)
    with pytest.raises(TypeError, match="threads must be an int"):
        RustBackend(threads=2.0)  # type: ignore[arg-type]


# -- the other ops, against the NumPy floor ------------------------------------------------------


@st.composite
def _packed(draw, n_operands: int):
    lead = draw(st.lists(st.integers(0, 4), min_size=0, max_size=2))
    length = draw(lengths)
    shape = (*lead, golden.n_words(length))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    ops = [rng.integers(0, 2**64, size=shape, dtype=np.uint64) for _ in range(n_operands)]
    return ops, length


@given(_packed(3))
def test_vector_ops_match_numpy_floor(case) -> None:
    (s, a, b), length = case
    numpy_b = golden.get_backend("numpy")
    for rust in (RustBackend(popcount=p) for p in SUPPORTED):
        checks = [
            ("vec_and", (a, b), {}),
            ("vec_xnor", (a, b), {"length": length}),
            ("vec_not", (a,), {"length": length}),
            ("vec_mux", (s, a, b), {"length": length}),
            ("vec_popcount", (a,), {}),
        ]
        for name, args, kwargs in checks:
            got = getattr(rust, name)(*args, **kwargs)
            want = getattr(numpy_b, name)(*args, **kwargs)
            assert type(got) is type(want), name
            assert np.shape(got) == np.shape(want) and np.array_equal(got, want), name
            if isinstance(want, np.ndarray):
                assert got.dtype == want.dtype, name


@given(
    st.integers(0, 3),
    lengths,
    st.integers(0, 2**32 - 1),
    st.sampled_from([np.bool_, np.uint8, np.int64]),
)
def test_pack_unpack_match_numpy_floor(rows: int, n: int, seed: int, dtype) -> None:
    rng = np.random.default_rng(seed)
    shape = (rows, n) if rows else (n,)
    bits = rng.integers(0, 2, size=shape).astype(dtype)
    rust = RustBackend()
    packed = rust.pack_bitstream(bits)
    want = golden.pack_bitstream(bits)
    assert packed.dtype == want.dtype and np.array_equal(packed, want)
    back = rust.unpack_bitstream(packed, n)
    assert back.dtype == np.uint8 and np.array_equal(back, golden.unpack_bitstream(want, n))
    flat = rust.unpack_bitstream(packed, n, (bits.size,))
    assert np.array_equal(flat, golden.unpack_bitstream(want, n, (bits.size,)))


def test_vec_mac_and_ops_accept_any_layout() -> None:
    rng = np.random.default_rng(12)
    w = rng.integers(0, 2**64, size=(4, 6, 3), dtype=np.uint64)
    x = golden.encode_inputs(rng.random(6), length=150, seed=1)
    rust = RustBackend()
    for variant in (np.asfortranarray(w), w.astype(">u8"), w[:, :, ::-1].copy()[:, :, ::-1]):
        assert np.array_equal(rust.vec_mac(variant, x), golden.vec_mac(w, x))
        assert np.array_equal(rust.vec_not(variant, length=150), golden.vec_not(w, length=150))
    zero_d = (np.uint64(6), np.uint64(3))
    assert repr(rust.vec_and(*zero_d)) == repr(golden.vec_and(*zero_d))


# -- bad input: the same exception and message as the NumPy floor --------------------------------

_W = np.zeros((2, 3, 2), dtype=np.uint64)
_P = [0.1, 0.2, 0.3]

_BAD_SC = [
    (_W, _P, 100.0, 1),
    (_W, _P, True, 1),
    (_W, _P, 0, 1),
    (_W, _P, 100, -1),
    (_W, _P, 100, 2**64),
    (_W, _P, 100, 1.5),
    (_W.astype(np.float64), _P, 100, 1),
    (_W.astype(bool), _P, 100, 1),
    (_W.astype(np.int64) - 1, _P, 100, 1),
    (_W[0], _P, 100, 1),
    (_W, _P, 200, 1),
    (_W, [0.1, 0.2], 100, 1),
    (_W, [[0.1, 0.2, 0.3]], 100, 1),
    (_W, [0.1, np.nan, 0.3], 100, 1),
    (_W, [0.1, np.inf, 0.3], 100, 1),
    (_W, [0.1, 1.5, 0.3], 100, 1),
    (_W, [0.1, -0.0001, 0.3], 100, 1),
    (_W, [0.1, 0.2, 0.3j], 100, 1),
    (_W, ["a", "b", "c"], 100, 1),
    (_W, [True, False, True], 100, 1),
]


def _error(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - comparing whatever is raised
        return type(exc), str(exc)
    return None


@pytest.mark.parametrize("case", range(len(_BAD_SC)))
def test_bad_sc_input_raises_like_numpy(case: int) -> None:
    w, p, length, seed = _BAD_SC[case]
    want = _error(lambda: golden.sc_counts(w, p, length=length, seed=seed))
    assert want is not None, "the NumPy floor accepted a bad case"
    rust = RustBackend()
    assert _error(lambda: rust.sc_counts(w, p, length=length, seed=seed)) == want
    assert _error(lambda: rust.sc_forward(w, p, length=length, seed=seed)) == want


@pytest.mark.parametrize(
    "name, args, kwargs",
    [
        ("encode_inputs", ([0.5, np.nan],), {"length": 64}),
        ("encode_inputs", ([0.5],), {"length": 0}),
        ("encode_inputs", ([0.5],), {"length": 64, "seed": -3}),
        ("encode_inputs", ([[0.5]],), {"length": 64}),
        ("vec_and", (_W, _W[0]), {}),
        ("vec_and", (_W, _W.astype(np.float32)), {}),
        ("vec_xnor", (_W, _W), {"length": 64}),
        ("vec_xnor", (_W, _W), {"length": 100.0}),
        ("vec_xnor", (np.uint64(1), np.uint64(1)), {"length": 1}),
        ("vec_not", (_W,), {"length": 0}),
        ("vec_not", (-_W.astype(np.int64) - 1,), {"length": 100}),
        ("vec_mux", (_W, _W, _W[:1]), {"length": 100}),
        ("vec_mux", (_W, _W, _W), {"length": 300}),
        ("vec_popcount", (np.zeros(3, dtype=complex),), {}),
        ("vec_mac", (_W, _W[0, :2]), {}),
        ("vec_mac", (_W[0], _W[0]), {}),
        ("vec_mac", (_W, _W), {}),
        ("pack_bitstream", ([[0, 2]],), {}),
        ("pack_bitstream", (np.zeros((1, 1, 1)),), {}),
        ("pack_bitstream", ([0.5],), {}),
        ("unpack_bitstream", (_W, 100), {}),
        ("unpack_bitstream", (_W[0], 100.0), {}),
        ("unpack_bitstream", (_W[0], -1), {}),
        ("unpack_bitstream", (_W[0], 300), {}),
        ("unpack_bitstream", (_W[0], 100, (7, 7)), {}),
    ],
)
def test_bad_op_input_raises_like_numpy(name: str, args: tuple, kwargs: dict) -> None:
    want = _error(lambda: getattr(golden.get_backend("numpy"), name)(*args, **kwargs))
    assert want is not None, "the NumPy floor accepted a bad case"
    assert _error(lambda: getattr(RustBackend(), name)(*args, **kwargs)) == want


def test_rust_backend_offers_every_op() -> None:
    for op in golden.Backend.OPS:
        assert callable(getattr(RustBackend(), op)), op


# -- the GIL --------------------------------------------------------------------------------------


def test_concurrent_calls_from_two_threads_agree() -> None:
    rng = np.random.default_rng(21)
    w = rng.integers(0, 2**64, size=(64, 64, 64), dtype=np.uint64)
    p = rng.random(64)
    want = golden.sc_counts(w, p, length=4096, seed=5)
    results: list = [None] * 8
    rust = RustBackend(threads=1)

    def work(k: int) -> None:
        results[k] = rust.sc_counts(w, p, length=4096, seed=5)

    workers = [threading.Thread(target=work, args=(k,)) for k in range(len(results))]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert all(r is not None and np.array_equal(r, want) for r in results)


def test_gil_is_released_while_a_kernel_runs() -> None:
    """With a long switch interval a thread that holds the GIL is never preempted, so a Python
    thread can only make progress during the native call if the call released the GIL."""
    progress = [0]
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            progress[0] += 1

    old = sys.getswitchinterval()
    sys.setswitchinterval(0.25)
    spinner = threading.Thread(target=spin)
    try:
        spinner.start()
        time.sleep(0.01)  # let the spinner run, then take the GIL back with a fresh slice
        before = progress[0]
        _native.encode_inputs(np.array([0.5]), 200_000_000, 1, popcount="scalar")
        during = progress[0] - before
    finally:
        stop.set()
        spinner.join()
        sys.setswitchinterval(old)
    assert during > 0, "no Python thread ran while the native kernel ran: the GIL was held"


_FORK_SCRIPT = """
import os, sys, time
import numpy as np
from golden.backends.sc_rust import RustBackend
from golden import _native
rng = np.random.default_rng(4)
w = rng.integers(0, 2**64, size=(64, 128, 80), dtype=np.uint64)
assert w.size >= _native.PARALLEL_MIN_WORDS  # the threaded branch
p = rng.random(128)
want = RustBackend(threads=2).sc_counts(w, p, length=80 * 64, seed=9)  # starts a pool here
pid = os.fork()
if pid == 0:
    ok = all(
        np.array_equal(RustBackend(threads=t).sc_counts(w, p, length=80 * 64, seed=9), want)
        for t in (2, 0)
    )
    os._exit(0 if ok else 3)
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        sys.exit(os.waitstatus_to_exitcode(status))
    time.sleep(0.02)
os.kill(pid, 9)
os.waitpid(pid, 0)
sys.exit(4)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_threaded_kernels_work_in_a_forked_child() -> None:
    """A child forked after a thread pool started must not wait on the parent's workers (it
    would with rayon's global pool). Run in a fresh interpreter: forking pytest itself is unsafe
    once other libraries (JAX) have started threads."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", _FORK_SCRIPT],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    outcome = {3: "the child computed wrong counts", 4: "the forked child hung"}
    assert proc.returncode == 0, outcome.get(proc.returncode, proc.stderr[-2000:])
