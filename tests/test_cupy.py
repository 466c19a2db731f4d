"""The CuPy backend: why it is unavailable (any machine), its CUDA kernels (GPU machines)."""

from __future__ import annotations

import subprocess
import sys
import types

import numpy as np
import pytest

import golden
from golden import _lfsr
from golden.backends import sc_cupy as cub
from tests.naive import naive_step
from tests.support import backend_or_skip

FLOOR = golden.NumpyBackend()
ONES = 2**64 - 1


# -- any machine ------------------------------------------------------------------------------


def test_module_imports_without_cupy() -> None:
    code = "import sys, golden.backends.sc_cupy; print('cupy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def _unavailable(monkeypatch: pytest.MonkeyPatch, fake: object) -> str:
    """Make ``import cupy`` give ``fake`` (None: ImportError); return get_backend's error."""
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.delitem(golden._backend._instances, "cupy", raising=False)
    reason = cub.CupyBackend.unavailable_reason()
    assert reason is not None
    assert golden.backend_status()["cupy"] == reason
    assert golden.available_backends()["cupy"] is False
    with pytest.raises(RuntimeError, match="backend 'cupy' is not available: ") as info:
        golden.get_backend("cupy")
    assert reason in str(info.value)
    assert golden.get_backend("auto").name != "cupy"
    return reason


def test_unavailable_without_cupy(monkeypatch: pytest.MonkeyPatch) -> None:
    reason = _unavailable(monkeypatch, None)
    assert reason.startswith("CuPy is not installed") and "cupy-cuda12x" in reason


def _fake_cupy(get_count) -> types.ModuleType:
    fake = types.ModuleType("cupy")
    fake.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=get_count))
    return fake


def test_unavailable_without_a_device(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_driver() -> int:
        raise OSError("cudaErrorNoDevice: no CUDA-capable device is detected")

    reason = _unavailable(monkeypatch, _fake_cupy(no_driver))
    assert reason == ("CuPy found no usable CUDA device "
                      "(OSError: cudaErrorNoDevice: no CUDA-capable device is detected)")


def test_unavailable_with_zero_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    reason = _unavailable(monkeypatch, _fake_cupy(lambda: 0))
    assert reason == "CuPy found no CUDA GPU (getDeviceCount() == 0)"


def test_real_status_is_consistent() -> None:
    reason = golden.backend_status()["cupy"]
    if reason is None:
        assert golden.get_backend("cupy").name == "cupy"
    else:
        with pytest.raises(RuntimeError, match="backend 'cupy' is not available"):
            golden.get_backend("cupy")


def test_jump_tables_follow_the_lfsr() -> None:
    """The GF(2) tables the CUDA kernel reads: 64-step jumps and the 64 output bits."""
    powers = _lfsr.word_jump_powers(4)
    for r in (1, 0x8000, 0xACE1, 0xFFFF):
        s = r
        for b, cols in enumerate(powers):
            want = s
            for _ in range(64 << b):
                want = naive_step(want)
            got = 0
            for j, col in enumerate(cols):
                if (s >> j) & 1:
                    got ^= col
            assert got == want, (r, b)
        bits, t_state = 0, r
        for t in range(64):
            bits |= (t_state & 1) << t
            t_state = naive_step(t_state)
        acc = 0
        for j, col in enumerate(_lfsr.word_columns()):
            if (r >> j) & 1:
                acc ^= col
        assert acc == bits
    assert _lfsr.jump_columns(65535) == tuple(1 << j for j in range(16))


_Z = np.zeros((2, 2), np.uint64)

# Bad op arguments caught by the checks the numba, jax and cupy backends share (defined in
# golden/backends/sc_cupy.py): each must fail exactly like the NumPy floor.
SHARED_CHECK_CASES = [
    ("vec_xnor", (np.uint64(1), np.uint64(2)), {"length": 5}),
    ("vec_not", (_Z,), {"length": 0}),
    ("vec_not", (_Z,), {"length": 64.0}),
    ("vec_mux", (_Z, _Z, _Z[:1]), {"length": 100}),
    ("vec_mux", (_Z, _Z, _Z), {"length": 300}),
    ("vec_and", (_Z, _Z.astype(np.float32)), {}),
    ("vec_and", (np.array([[1, -2]]), _Z[:1]), {}),
    ("vec_mac", (np.zeros((2, 3, 1), np.uint64), np.zeros((3, 2), np.uint64)), {}),
    ("vec_mac", (np.zeros((2, 3, 1), np.uint64), np.zeros(3, np.uint64)), {}),
    ("pack_bitstream", (np.zeros((2, 2, 2), np.uint8),), {}),
    ("pack_bitstream", (np.array([0.0, 1.0]),), {}),
    ("pack_bitstream", (np.array([[0, 1], [2, 1]]),), {}),
    ("unpack_bitstream", (_Z, -1), {}),
    ("unpack_bitstream", (_Z, 100.0), {}),
    ("unpack_bitstream", (_Z, True), {}),
    ("unpack_bitstream", (_Z, 100, (3, 100)), {}),
    ("unpack_bitstream", (np.zeros((1, 1, 2), np.uint64), 100), {}),
    ("vec_popcount", (np.array(["a"]),), {}),
    ("encode_inputs", ([0.5],), {"length": 64, "seed": -1}),
    ("encode_inputs", ([[0.5]],), {"length": 64}),
]


@pytest.mark.parametrize("name", ["numba", "jax", pytest.param("cupy", marks=pytest.mark.gpu)])
@pytest.mark.parametrize(("op", "args", "kwargs"), SHARED_CHECK_CASES)
def test_shared_checks_fail_like_the_floor(name: str, op: str, args, kwargs) -> None:
    reason = golden.backend_status()[name]
    if reason is not None:
        pytest.skip(f"backend {name!r} unavailable: {reason}")
    with pytest.raises((TypeError, ValueError)) as floor:
        getattr(FLOOR, op)(*args, **kwargs)
    with pytest.raises(type(floor.value)) as got:
        getattr(golden.get_backend(name), op)(*args, **kwargs)
    assert str(got.value) == str(floor.value)


# -- GPU machines -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cu() -> golden.Backend:
    return backend_or_skip("cupy")


class TestOnGpu:
    """The CUDA kernels against the NumPy floor (skipped, with the reason, without a GPU)."""

    pytestmark = pytest.mark.gpu

    def test_device_round_trip_and_operands(self, cu) -> None:
        cp = pytest.importorskip("cupy")
        rng = np.random.default_rng(1)
        w = rng.integers(0, ONES, size=(6, 5, 3), dtype=np.uint64, endpoint=True)
        dev = cub.to_device(w)
        assert isinstance(dev, cp.ndarray) and dev.dtype == np.uint64
        assert np.array_equal(cub.to_host(dev), w)
        assert np.array_equal(cu.to_host(cu.to_device(w)), w)
        p = rng.random(5)
        want = FLOOR.sc_counts(w, p, length=150, seed=0xFFFF)
        assert np.array_equal(cu.sc_counts(dev, cp.asarray(p), length=150, seed=0xFFFF), want)
        assert cu.vec_popcount(dev) == FLOOR.vec_popcount(w)
        with pytest.raises(ValueError, match=r"weights_packed has n_words=3 but length=64"):
            cu.sc_counts(dev, p, length=64)
        with pytest.raises(ValueError, match=r"packed must not be negative, got -3 at index 1"):
            cu.vec_popcount(cp.asarray(np.array([1, -3])))

    def test_many_outputs_and_long_streams(self, cu) -> None:
        """More outputs than a grid's y limit (65535) and streams longer than the period."""
        rng = np.random.default_rng(2)
        w = rng.integers(0, ONES, size=(70_000, 2, 1), dtype=np.uint64, endpoint=True)
        p = np.array([0.3, 1.0])
        assert np.array_equal(cu.sc_counts(w, p, length=40, seed=3),
                              FLOOR.sc_counts(w, p, length=40, seed=3))
        length = 3 * 65535 + 17
        w = rng.integers(0, ONES, size=(2, 3, golden.n_words(length)), dtype=np.uint64,
                         endpoint=True)
        p = np.array([0.0, 3 / 131072, 0.61])
        assert np.array_equal(cu.sc_counts(w, p, length=length, seed=2**64 - 1),
                              FLOOR.sc_counts(w, p, length=length, seed=2**64 - 1))
        xs = np.array([1, 2, 32768, 65535, 65536])
        full = cu.encode_inputs(xs / 65536, length=65535, seed=7)
        assert np.bitwise_count(full).sum(axis=1).tolist() == (xs - 1).tolist()
