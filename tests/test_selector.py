"""The backend selector: PRIORITY, available_backends, get_backend and its errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

import golden
from golden import _backend
from tests.support import check_contract_vectors


def test_priority_and_availability() -> None:
    assert golden.PRIORITY[-1] == "numpy"
    assert set(golden.PRIORITY) == {"rust", "cupy", "numba", "jax", "numpy"}
    avail = golden.available_backends()
    assert list(avail) == list(golden.PRIORITY)
    assert avail["numpy"] is True
    status = golden.backend_status()
    assert all((reason is None) == avail[n] for n, reason in status.items())
    assert all(isinstance(r, str) and r for r in status.values() if r is not None)


def test_auto_is_the_first_available() -> None:
    first = next(n for n, ok in golden.available_backends().items() if ok)
    assert golden.get_backend().name == first
    assert golden.get_backend("auto").name == first


def test_numpy_backend() -> None:
    be = golden.get_backend("numpy")
    assert isinstance(be, golden.NumpyBackend) and isinstance(be, golden.Backend)
    assert be.name == "numpy" and repr(be) == "<NumpyBackend 'numpy'>"
    assert golden.get_backend("numpy") is be
    for op in golden.Backend.OPS:
        assert callable(getattr(be, op))
    check_contract_vectors(be)


def test_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown backend 'fortran'; "
                                         r"valid names: auto, rust, cupy, numba, jax, numpy"):
        golden.get_backend("fortran")
    with pytest.raises(TypeError, match=r"name must be a str, got int 3"):
        golden.get_backend(3)


def test_known_but_unavailable_raises_runtime_error(monkeypatch) -> None:
    class Broken(golden.NumpyBackend):
        name = "broken"

        @classmethod
        def unavailable_reason(cls) -> str:
            return "needs a device this machine lacks"

    monkeypatch.setitem(_backend._REGISTRY, "broken", "tests.test_selector:_BROKEN")
    monkeypatch.setattr(sys.modules[__name__], "_BROKEN", Broken, raising=False)
    monkeypatch.setattr(_backend, "PRIORITY", ("broken",) + golden.PRIORITY)
    with pytest.raises(RuntimeError, match="backend 'broken' is not available: needs a device"):
        _backend.get_backend("broken")
    assert _backend.available_backends()["broken"] is False
    assert _backend.get_backend("auto").name != "broken"


def test_missing_module_is_reported_not_raised(monkeypatch) -> None:
    monkeypatch.setitem(_backend._REGISTRY, "ghost", "golden._no_such_module:Ghost")
    monkeypatch.setattr(_backend, "PRIORITY", golden.PRIORITY + ("ghost",))
    reason = _backend.backend_status()["ghost"]
    assert "golden._no_such_module cannot be imported" in reason
    with pytest.raises(RuntimeError, match="backend 'ghost' is not available"):
        _backend.get_backend("ghost")


def test_import_golden_is_light() -> None:
    heavy = ["numba", "jax", "cupy", "cocotb", "pyuvm", "mpi4py", "emu", "testbench"]
    code = (
        "import sys, golden\n"
        "golden.sc_counts([[[1]]], [0.5], length=1)\n"
        f"bad = [m for m in {heavy!r} if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import golden pulled in: {out.stdout.strip()}"


def test_public_api_is_sorted_and_complete() -> None:
    assert golden.__all__ == sorted(golden.__all__)
    for name in golden.__all__:
        assert hasattr(golden, name), name
