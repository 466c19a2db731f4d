"""The CuPy backend's own CUDA kernels and launches, compiled for the CPU (testbench/cudahost),
bit-identical to the NumPy floor: the golden suite re-bound, batches, planted bugs, the shim."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import golden
from golden._contract import FORWARD_VECTORS
from golden.backends import _cuda_src
from golden.backends import sc_cupy as cub
from testbench import cudahost
from testbench.cudahost import raw
from tests import test_backends as suite
from tests import test_batch as batch_suite
from tests import test_cupy
from tests.strategies import lengths, probs_elements, seeds

FLOOR = golden.NumpyBackend()
ONES = 2**64 - 1

pytestmark = pytest.mark.skipif(cudahost.compiler_missing() is not None,
                                reason=str(cudahost.compiler_missing()))


@pytest.fixture(scope="module")
def backend() -> golden.Backend:
    """The CuPy backend on the host stand-in (overrides conftest's per-backend fixture)."""
    return cudahost.host_backend()


# The golden suite of every backend (tests/test_backends.py), re-bound to the host CuPy backend.
test_contract_vectors = suite.test_contract_vectors
test_sc_counts_bit_identical = suite.test_sc_counts_bit_identical
test_every_op_bit_identical = suite.test_every_op_bit_identical
test_layouts_and_zero_sizes = suite.test_layouts_and_zero_sizes
test_long_streams = suite.test_long_streams
test_ops_reject_like_the_floor = suite.test_ops_reject_like_the_floor
# The batched API's suite (tests/test_batch.py) through the public, checked entry points.
test_batch_rows_equal_single_calls = batch_suite.test_rows_equal_single_calls
test_batch_contract_vectors_public = batch_suite.test_contract_vectors
test_batch_layouts_and_zero_sizes = batch_suite.test_layouts_zero_sizes_and_a_large_layer
test_batch_inputs_are_not_modified = batch_suite.test_inputs_are_not_modified
test_batch_bad_input_fails_like_the_floor = batch_suite.test_bad_input_fails_like_the_floor


@pytest.mark.parametrize(("op", "args", "kwargs"), test_cupy.SHARED_CHECK_CASES)
def test_shared_checks_fail_like_the_floor(backend, op: str, args, kwargs) -> None:
    with pytest.raises((TypeError, ValueError)) as floor:
        getattr(FLOOR, op)(*args, **kwargs)
    with pytest.raises(type(floor.value)) as got:
        getattr(backend, op)(*args, **kwargs)
    assert str(got.value) == str(floor.value)


def test_it_runs_the_backends_own_code(backend) -> None:
    assert isinstance(backend, cub.CupyBackend)
    assert isinstance(backend._encode_kernel, cudahost.RawKernel)
    assert [p[1] for p in backend._batch_kernel.params] == [
        "weights", "inputs", "n_out", "n_rows", "row", "per_block", "counts"]


def _stacked(weights, probs2d, length, seed) -> np.ndarray:
    """The batch's reference: one NumPy-floor sc_counts per row, stacked: int64 (B, n_out)."""
    rows = [FLOOR.sc_counts(weights, p, length=length, seed=seed) for p in probs2d]
    return np.stack(rows) if rows else np.zeros((0, weights.shape[0]), np.int64)


@st.composite
def batch_cases(draw, max_out: int = 9, max_in: int = 5, max_rows: int = 19):
    """``(weights (n_out, n_in, nw) uint64, probs (B, n_in), length, seed)``: B and n_out cross
    the kernel's 8-row and 4-output tiles; lengths include 1 and non-multiples of 64."""
    n_out, n_in = draw(st.integers(1, max_out)), draw(st.integers(1, max_in))
    rows, length = draw(st.integers(1, max_rows)), draw(st.one_of(st.just(1), lengths))
    seed = draw(seeds)
    flat = draw(st.lists(probs_elements, min_size=rows * n_in, max_size=rows * n_in))
    rng = np.random.default_rng(draw(st.integers(0, 2**32), label="rng seed"))
    nw = golden.n_words(length)
    weights = rng.integers(0, ONES, size=(n_out, n_in, nw), dtype=np.uint64, endpoint=True)
    fill = draw(st.sampled_from(["random", "zeros", "ones"]), label="weights")
    if fill != "random":
        weights[:] = 0 if fill == "zeros" else ONES
    return weights, np.array(flat, dtype=np.float64).reshape(rows, n_in), length, seed


@given(case=batch_cases())
def test_batch_equals_stacked_single_calls(backend, case) -> None:
    weights, probs, length, seed = case
    got = backend._sc_counts_batch_impl(weights, probs, length, seed)
    assert isinstance(got, np.ndarray) and got.dtype == np.int64
    assert got.shape == (probs.shape[0], weights.shape[0])
    assert np.array_equal(got, _stacked(weights, probs, length, seed))


def test_batch_edges(backend) -> None:
    rng = np.random.default_rng(5)
    w = rng.integers(0, ONES, size=(5, 3, 2), dtype=np.uint64, endpoint=True)
    assert backend._sc_counts_batch_impl(w, np.zeros((0, 3)), 100, 1).shape == (0, 5)
    got = backend._sc_counts_batch_impl(np.zeros((4, 0, 2), np.uint64), np.zeros((3, 0)), 100, 1)
    assert got.tolist() == [[0] * 4] * 3
    # A row longer than one block's slice (2 blocks along y, atomics across blocks), on a
    # device-resident weight array, with the largest seed.
    length = 64 * 6000
    w = rng.integers(0, ONES, size=(3, 3, 6000), dtype=np.uint64, endpoint=True)
    p = rng.random((9, 3))
    dev = cudahost.host_cupy().asarray(w)
    assert np.array_equal(backend._sc_counts_batch_impl(dev, p, length, ONES),
                          _stacked(w, p, length, ONES))
    assert np.array_equal(backend.sc_counts(dev, p[0], length=length, seed=ONES),
                          FLOOR.sc_counts(w, p[0], length=length, seed=ONES))


def test_batch_contract_vectors(backend) -> None:
    """docs/contract.md section 5's forward vectors, each as a batch of three equal rows."""
    for v in FORWARD_VECTORS:
        ones = np.full(v.shape, np.uint64(ONES))
        got = backend._sc_counts_batch_impl(ones, np.array([v.probs] * 3), v.length, v.seed)
        assert got.tolist() == [list(v.counts)] * 3, v


def test_periods_and_long_streams(backend) -> None:
    """From the GPU suite (tests/test_cupy.py): a full period has x - 1 ones; streams longer
    than the LFSR's period with the largest seed."""
    xs = np.array([1, 2, 32768, 65535, 65536])
    full = backend.encode_inputs(xs / 65536, length=65535, seed=7)
    assert np.bitwise_count(full).sum(axis=1).tolist() == (xs - 1).tolist()
    length = 3 * 65535 + 17
    rng = np.random.default_rng(2)
    w = rng.integers(0, ONES, size=(2, 3, golden.n_words(length)), dtype=np.uint64, endpoint=True)
    p = np.array([0.0, 3 / 131072, 0.61])
    assert np.array_equal(backend.sc_counts(w, p, length=length, seed=ONES),
                          FLOOR.sc_counts(w, p, length=length, seed=ONES))
    assert np.array_equal(backend._sc_counts_batch_impl(w, np.stack([p, p[::-1]]), length, ONES),
                          _stacked(w, np.stack([p, p[::-1]]), length, ONES))


def test_small_slices_and_chunks(backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """Other geometry, same bits: 5-word slices (many blocks along y, atomics across them) and
    batches cut into chunks of 16 rows (the loop that keeps grid z under CUDA's limit)."""
    monkeypatch.setattr(cub, "_WORDS_PER_BLOCK", 5)
    monkeypatch.setattr(cub, "_GRID_Z", 2)
    rng = np.random.default_rng(6)
    w = rng.integers(0, ONES, size=(6, 4, 5), dtype=np.uint64, endpoint=True)
    p = rng.random((37, 4))
    assert np.array_equal(backend._sc_counts_batch_impl(w, p, 300, 77), _stacked(w, p, 300, 77))
    assert np.array_equal(backend.sc_counts(w, p[0], length=300, seed=77),
                          FLOOR.sc_counts(w, p[0], length=300, seed=77))


class _Recorder:
    """Stands in for a kernel: checks each launch against CUDA's limits, records its rows."""

    def __init__(self) -> None:
        self.rows: list[int] = []

    def __call__(self, grid, block, args) -> None:
        raw.check_launch(raw._dims(grid, "grid"), raw._dims(block, "block"))
        self.rows.append(int(args[3]))


def test_huge_launches_stay_within_cuda_limits(backend) -> None:
    """The geometry of launches too big to emulate: a batch of 10**6 rows (grid z would be
    125000 in one launch) and 70000 outputs; each launch is legal and the rows are covered."""
    cp = cudahost.host_cupy()
    host = cudahost.host_backend()
    host._batch_kernel = rec = _Recorder()
    rows = 10**6
    host._launch_batch(cp.zeros((5, 1, 1), np.uint64), cp.zeros((rows, 1), np.uint64), rows)
    assert sum(rec.rows) == rows and len(rec.rows) == 2
    host._mac_kernel = rec = _Recorder()
    host._launch_mac(cp.zeros((70000, 2, 1), np.uint64), cp.zeros((2, 1), np.uint64))
    assert len(rec.rows) == 1


# -- planted bugs: the comparison above can fail ----------------------------------------------

_CASE = (np.random.default_rng(3).integers(0, ONES, size=(5, 4, 3), dtype=np.uint64,
                                             endpoint=True),
         np.array([0.1, 0.5, 0.77, 1.0]), 150, 0xBEEF)


def _planted(monkeypatch: pytest.MonkeyPatch, old: str, new: str) -> golden.Backend:
    assert _cuda_src.CUDA_SOURCE.count(old) == 1, f"anchor {old!r} not found once"
    monkeypatch.setattr(_cuda_src, "CUDA_SOURCE", _cuda_src.CUDA_SOURCE.replace(old, new))
    return cudahost.host_backend()


@pytest.mark.parametrize(("old", "new"), [
    ("acc += __popcll(wrow[k] & inputs[k]);", "acc += __popcll(wrow[k] | inputs[k]);"),
    ("lt |= eq & ~plane & xm;", "lt |= eq & plane & xm;"),
    ("if (rem) word &= (1ull << rem) - 1ull;", "if (rem) word |= (1ull << rem) - 1ull;"),
    ("(seed16 + (unsigned long long)(i % n_lanes))", "(seed16 + (unsigned long long)i)"),
])
def test_a_planted_bug_in_a_raw_kernel_is_caught(monkeypatch, old: str, new: str) -> None:
    weights, probs, length, seed = _CASE
    mutant = _planted(monkeypatch, old, new)
    want = FLOOR.sc_counts(weights, probs, length=length, seed=seed)
    got = [mutant.sc_counts(weights, probs, length=length, seed=seed)]
    got.append(mutant._sc_counts_batch_impl(weights, np.stack([probs] * 3), length, seed))
    assert not all(np.array_equal(g, want if g.ndim == 1 else np.stack([want] * 3))
                   for g in got)


@pytest.mark.parametrize(("old", "new"), [
    ("__popcll(w[a] & x[b])", "__popcll(w[a] | x[b])"),
    ("acc[j] = keep + __shfl_xor_sync(0xffffffffu, send, s);", "acc[j] = keep + send;"),
    ("for (int v = 0; v < n_warps; ++v)", "for (int v = 1; v < n_warps; ++v)"),
])
def test_a_planted_bug_in_the_batch_kernel_is_caught(monkeypatch, old: str, new: str) -> None:
    weights, probs, length, seed = _CASE
    p = np.stack([probs, probs[::-1], probs * 0.5])
    got = _planted(monkeypatch, old, new)._sc_counts_batch_impl(weights, p, length, seed)
    assert not np.array_equal(got, _stacked(weights, p, length, seed))


def test_a_missing_barrier_is_caught(monkeypatch) -> None:
    """Without ``__syncthreads`` warp 0 sums the per-warp slots before the other warps wrote
    them (the shim runs threads in lane order between barriers), so the counts go wrong."""
    weights, probs, length, seed = _CASE
    old = "    if (lane == 0) warp_sums[warp] = acc;\n    __syncthreads();\n"
    mutant = _planted(monkeypatch, old, "    if (lane == 0) warp_sums[warp] = acc;\n")
    big = np.random.default_rng(8).integers(0, ONES, size=(3, 40, 100), dtype=np.uint64,
                                            endpoint=True)
    p = np.linspace(0.1, 0.9, 40)
    assert not np.array_equal(mutant.sc_counts(big, p, length=6400, seed=seed),
                              FLOOR.sc_counts(big, p, length=6400, seed=seed))


def test_a_planted_bug_in_an_elementwise_kernel_is_caught(monkeypatch) -> None:
    ins, outs, _ = _cuda_src.ELEMENTWISE["sctb_and"]
    monkeypatch.setitem(_cuda_src.ELEMENTWISE, "sctb_and", (ins, outs, "out = a | b"))
    a, b = _CASE[0][0], _CASE[0][1]
    assert not np.array_equal(cudahost.host_backend().vec_and(a, b), FLOOR.vec_and(a, b))


# -- planted bugs in the launches: the host test checks sc_cupy.py's geometry, not a copy of it --


def _mutant_backend(old: str, new: str) -> golden.Backend:
    """A CupyBackend from a copy of sc_cupy.py's source with ``old`` made ``new``."""
    text = Path(cub.__file__).read_text()
    assert text.count(old) == 1, f"anchor {old!r} not found once in sc_cupy.py"
    module = types.ModuleType("golden.backends._sc_cupy_mutant")
    module.__package__ = "golden.backends"
    exec(compile(text.replace(old, new), "sc_cupy_mutant.py", "exec"), module.__dict__)
    return module.CupyBackend(cupy_module=cudahost.host_cupy())


@pytest.mark.parametrize(("old", "new"), [
    ("((total + _THREADS - 1) // _THREADS,)", "(max(1, total // _THREADS),)"),
    ("np.int64(n), np.int64(lanes), np.int64(nw)", "np.int64(lanes), np.int64(n), np.int64(nw)"),
    ("(n_out, blocks), (_THREADS,),", "(blocks, n_out), (_THREADS,),"),
    ("np.uint32(seed & LFSR_MASK)", "np.int64(seed & LFSR_MASK)"),
    ("np.int64(n_out), np.int64(b1 - b0),", "np.int64(b1 - b0), np.int64(n_out),"),
])
def test_a_planted_bug_in_a_launch_is_caught(old: str, new: str) -> None:
    rng = np.random.default_rng(10)
    weights = rng.integers(0, ONES, size=(5, 100, 3), dtype=np.uint64, endpoint=True)
    probs, length, seed = rng.random(100), 150, 0xBEEF  # 300 encoder threads: 2 blocks
    p = np.stack([probs, probs[::-1], probs * 0.5])
    mutant = _mutant_backend(old, new)
    try:
        single = mutant.sc_counts(weights, probs, length=length, seed=seed)
        batch = mutant._sc_counts_batch_impl(weights, p, length, seed)
    except (TypeError, cudahost.LaunchError):
        return  # refused: a launch CUDA would reject, or arguments of the wrong width
    assert not (np.array_equal(single, FLOOR.sc_counts(weights, probs, length=length, seed=seed))
                and np.array_equal(batch, _stacked(weights, p, length, seed)))
