"""The host harness itself (testbench/cudahost): CUDA's shuffle and barrier semantics, launch
limits, argument checks; a fault a GPU would show is an error here too, never a hang."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from testbench import cudahost

pytestmark = pytest.mark.skipif(cudahost.compiler_missing() is not None,
                                reason=str(cudahost.compiler_missing()))
cp = cudahost.host_cupy()
FULL = 0xFFFFFFFF

SHUFFLES = r"""
extern "C" __global__ void shuffles(const int* v, int* out, unsigned int d) {
    int t = threadIdx.x;
    int n = blockDim.x;
    out[0 * n + t] = __shfl_down_sync(0xffffffffu, v[t], d);
    out[1 * n + t] = __shfl_up_sync(0xffffffffu, v[t], d);
    out[2 * n + t] = __shfl_xor_sync(0xffffffffu, v[t], (int)d);
    out[3 * n + t] = __shfl_sync(0xffffffffu, v[t], (int)d);
    out[4 * n + t] = __shfl_down_sync(0xffffffffu, v[t], d, 8);
    out[5 * n + t] = __shfl_xor_sync(0xffffffffu, v[t], (int)d, 8);
}
"""


def _expected(v: np.ndarray, d: int) -> np.ndarray:
    """CUDA's documented shuffle results (width 32; width 8 for the last two rows: a lane may
    read an earlier group of 8 with xor, a later one gives its own value)."""
    lanes = np.arange(v.size)
    base, lane = lanes // 32 * 32, lanes % 32
    down = np.where(lane + d < 32, v[np.minimum(lanes + d, v.size - 1)], v)
    up = np.where(lane >= d, v[np.maximum(lanes - d, 0)], v)
    xor = v[base + (lane ^ d)] if d < 32 else v
    idx = v[base + d % 32]
    seg = lanes % 8
    down8 = np.where(seg + d < 8, v[np.minimum(lanes + d, v.size - 1)], v)
    src = base + (lane ^ d) % 32
    xor8 = np.where((lane ^ d) // 8 <= lane // 8, v[src], v) if d < 32 else v
    return np.stack([down, up, xor, idx, down8, xor8])


@pytest.mark.parametrize("d", [0, 1, 3, 16, 31])
def test_shuffles_follow_cuda(d: int) -> None:
    kernel = cp.RawModule(code=SHUFFLES).get_function("shuffles")
    v = cp.asarray(np.arange(64, dtype=np.int32) * 7 + 1)
    out = cp.zeros(6 * 64, np.int32)
    kernel((1,), (64,), (v, out, np.uint32(d)))
    assert np.array_equal(out.get().reshape(6, 64), _expected(v.get(), d))


BLOCK_SUM = r"""
extern "C" __global__ void block_sum(const long long* v, long long* out) {
    __shared__ long long s[1024];
    s[threadIdx.x] = v[blockIdx.x * blockDim.x + threadIdx.x];
    __syncthreads();
    for (unsigned int h = blockDim.x / 2; h > 0; h >>= 1) {
        if (threadIdx.x < h) s[threadIdx.x] += s[threadIdx.x + h];
        __syncthreads();
    }
    if (threadIdx.x == 0) atomicAdd(out, s[0]);
}
"""


def test_barriers_order_the_threads_of_a_block() -> None:
    kernel = cp.RawModule(code=BLOCK_SUM).get_function("block_sum")
    v = np.random.default_rng(1).integers(-(2**40), 2**40, size=3 * 128)
    out = cp.zeros(1, np.int64)
    kernel((3,), (128,), (cp.asarray(v), out))
    assert int(out.get()[0]) == int(v.sum())
    # Without the barrier inside the loop the tree reads partial sums too early.
    racy = cp.RawModule(code=BLOCK_SUM.replace("        __syncthreads();\n", "")
                        ).get_function("block_sum")
    out = cp.zeros(1, np.int64)
    racy((3,), (128,), (cp.asarray(v), out))
    assert int(out.get()[0]) != int(v.sum())


@pytest.mark.parametrize(("body", "message"), [
    ("if (threadIdx.x >= 5) return; __syncthreads();",
     r"__syncthreads: 5 threads of block \(0, 0, 0\) wait while 59 have exited"),
    ("if (threadIdx.x == 3) return; out[0] = __shfl_down_sync(0xffffffffu, 1, 1);",
     r"lane 2 reads lane 3, which has exited \(undefined value\)"),
    ("if (threadIdx.x % 32 < 16) __shfl_down_sync(0xffffffffu, 1, 1); else __syncthreads();",
     r"deadlock: no thread of block \(0, 0, 0\)"),
    ("if (threadIdx.x < 16) out[0] = __shfl_down_sync(0xffffu, 1, 20);",
     r"lane 0 reads lane 20, outside the mask 0xffff"),
])
def test_faults_are_errors_not_hangs(body: str, message: str) -> None:
    """Each fault CUDA leaves undefined or hanging is a LaunchError naming it."""
    code = f'extern "C" __global__ void k(int* out) {{ {body} }}'
    kernel = cp.RawModule(code=code).get_function("k")
    with pytest.raises(cudahost.LaunchError, match=message):
        kernel((1,), (64,), (cp.zeros(1, np.int32),))


def test_a_shuffle_may_name_exited_lanes_it_does_not_read() -> None:
    """CUDA: only the non-exited threads named in the mask must take part."""
    code = ('extern "C" __global__ void k(int* out) { if (threadIdx.x < 5) return; '
            "out[threadIdx.x] = __shfl_down_sync(0xffffffffu, (int)threadIdx.x, 1); }")
    out = cp.zeros(32, np.int32)
    cp.RawModule(code=code).get_function("k")((1,), (32,), (out,))
    assert out.get().tolist() == [0] * 5 + list(range(6, 32)) + [31]


ADD = r"""
typedef unsigned long long u64;
extern "C" __global__ void add(const u64* a, long long n, u64* out) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = a[i] + 1;
}
"""


def test_arguments_are_checked_like_a_careful_review() -> None:
    kernel = cp.RawModule(code=ADD).get_function("add")
    a, out = cp.asarray(np.arange(10, dtype=np.uint64)), cp.empty(10, np.uint64)
    kernel((1,), (32,), (a, np.int64(10), out))
    assert out.get().tolist() == list(range(1, 11))
    bad = [
        ((np.arange(10, dtype=np.uint64), np.int64(10), out), TypeError, "needs a device array"),
        ((a, np.int32(10), out), TypeError, r"scalar of dtype int32, the kernel reads int64"),
        ((a, 10, out), TypeError, "pass a NumPy scalar of dtype int64"),
        ((a.astype(np.int64), np.int64(10), out), TypeError, "array of dtype int64"),
        ((cp.asarray(np.arange(20, dtype=np.uint64))[::2], np.int64(10), out),
         cudahost.LaunchError, "non-contiguous"),
        ((a, np.int64(10)), TypeError, "takes 3 arguments, got 2"),
    ]
    for args, exc, message in bad:
        with pytest.raises(exc, match=message):
            kernel((1,), (32,), args)


@pytest.mark.parametrize(("grid", "block", "message"), [
    ((1, 65536), (32,), "grid y = 65536 exceeds CUDA's limit 65535"),
    ((1,), (1025,), "block x = 1025 exceeds CUDA's limit 1024"),
    ((1,), (32, 32, 2), "more than 1024 threads"),
    ((0,), (32,), "empty launch"),
])
def test_launch_limits(grid, block, message: str) -> None:
    kernel = cp.RawModule(code=ADD).get_function("add")
    a = cp.zeros(1, np.uint64)
    with pytest.raises(cudahost.LaunchError, match=message):
        kernel(grid, block, (a, np.int64(0), a))


def test_compile_errors_and_the_cache_outside_the_tree() -> None:
    with pytest.raises(cudahost.HostCompileError, match="g\\+\\+ failed"):
        cp.RawModule(code='extern "C" __global__ void k(int* o) { o[0] = undefined_name; }')
    root = Path(__file__).resolve().parent.parent
    assert not cudahost.cache_dir().resolve().is_relative_to(root)


def test_fresh_memory_is_poisoned_like_uninitialised_device_memory() -> None:
    assert cp.empty(2, np.uint64).get().tolist() == [0xA5A5A5A5A5A5A5A5] * 2
