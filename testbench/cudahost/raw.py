"""CuPy's ``RawModule`` / ``RawKernel`` on the host: every ``extern "C" __global__`` kernel of a
source, launched over its grid by shim.h, with CUDA's launch limits and CuPy's argument passing."""

from __future__ import annotations

import ctypes
import re
import threading
from typing import Any

import numpy as np

from .build import ctype_dtype, load

__all__ = ["HostArray", "LaunchError", "RawKernel", "RawModule", "kernel_params"]

_KERNEL = re.compile(r'extern\s+"C"\s+__global__\s+void\s+(\w+)\s*\(([^)]*)\)')
_TYPEDEF = re.compile(r"\btypedef\s+([^;{}]+?)\s*\b(\w+)\s*;")
#: CUDA's launch limits (compute capability 7.0 - 9.0): block x, y, z and threads; grid x, y, z.
BLOCK_MAX, THREADS_MAX, GRID_MAX = (1024, 1024, 64), 1024, (2**31 - 1, 65535, 65535)
#: One launch at a time: a kernel's ``__shared__`` arrays are static storage of its library.
_LAUNCH_LOCK = threading.Lock()


class HostArray(np.ndarray):
    """A "device" array of the host stand-in: NumPy memory that CuPy code treats as on the GPU."""

    def get(self) -> np.ndarray:
        """A NumPy copy (``cupy.ndarray.get``)."""
        return np.array(self, copy=True)


class LaunchError(RuntimeError):
    """A launch CUDA would refuse, or a kernel fault the shim detected (barrier, shuffle)."""


def kernel_params(source: str) -> dict[str, list[tuple[str, str]]]:
    """The parameters of the ``extern "C" __global__`` kernels of a CUDA source.

    Parameters
    ----------
    source : str
        CUDA C++ source.

    Returns
    -------
    dict
        ``{kernel name: [(C type, parameter name), ...]}`` in declaration order.
    """
    out = {}
    for name, params in _KERNEL.findall(source):
        pairs = []
        for param in params.split(","):
            m = re.fullmatch(r"\s*(.+?)\s*\b(\w+)\s*", param)
            if m is None:
                raise TypeError(f"kernel {name}: cannot parse parameter {param!r}")
            pairs.append((m.group(1), m.group(2)))
        out[name] = pairs
    return out


def _dims(value: Any, what: str) -> tuple[int, int, int]:
    dims = (value,) if isinstance(value, (int, np.integer)) else tuple(value)
    if not 1 <= len(dims) <= 3 or not all(isinstance(d, (int, np.integer)) for d in dims):
        raise TypeError(f"{what} must be an int or 1 to 3 ints, got {value!r}")
    return tuple(int(d) for d in dims) + (1,) * (3 - len(dims))  # type: ignore[return-value]


def check_launch(grid: tuple[int, int, int], block: tuple[int, int, int]) -> None:
    """CUDA's limits on a launch.

    Parameters
    ----------
    grid, block : tuple of int
        ``(x, y, z)`` blocks of the grid and threads of a block.

    Raises
    ------
    LaunchError
        Where the CUDA driver would refuse the launch.
    """
    if min(grid) < 1 or min(block) < 1:
        raise LaunchError(f"empty launch: grid {grid}, block {block} (CUDA refuses it)")
    for axis, n, top in zip("xyz", grid, GRID_MAX):
        if n > top:
            raise LaunchError(f"grid {axis} = {n} exceeds CUDA's limit {top}")
    for axis, n, top in zip("xyz", block, BLOCK_MAX):
        if n > top:
            raise LaunchError(f"block {axis} = {n} exceeds CUDA's limit {top}")
    if block[0] * block[1] * block[2] > THREADS_MAX:
        raise LaunchError(f"block {block} has more than {THREADS_MAX} threads")


class RawKernel:
    """One kernel of a :class:`RawModule`: ``kernel(grid, block, args)`` as in CuPy."""

    def __init__(self, lib: ctypes.CDLL, name: str, params: list[tuple[str, str]],
                 typedefs: dict[str, str]) -> None:
        self.name = name
        self.params = [(ctype, pname, *ctype_dtype(ctype, typedefs)) for ctype, pname in params]
        self._fn = getattr(lib, f"sctb_launch_{name}")
        self._fn.restype = ctypes.c_int

    def _arg(self, i: int, arg: Any, keep: list) -> int:
        ctype, pname, dtype, pointer = self.params[i]
        where = f"{self.name} argument {i} ({ctype} {pname})"
        if pointer:
            if not isinstance(arg, HostArray):
                raise TypeError(f"{where}: needs a device array, got {type(arg).__name__}")
            if arg.dtype != dtype:
                raise TypeError(f"{where}: array of dtype {arg.dtype}, the kernel reads {dtype}")
            if not arg.flags.c_contiguous:
                raise LaunchError(f"{where}: a non-contiguous array (strides {arg.strides}); "
                                  "the kernel would read its memory as if contiguous")
            box = ctypes.c_void_p(arg.ctypes.data)
        else:
            if not isinstance(arg, np.generic):
                raise TypeError(f"{where}: pass a NumPy scalar of dtype {dtype}, got "
                                f"{type(arg).__name__} (CuPy would pick the width itself)")
            if arg.dtype != dtype:
                raise TypeError(f"{where}: scalar of dtype {arg.dtype}, the kernel reads {dtype}")
            box = np.array(arg)
        keep.append(box)
        return ctypes.addressof(box) if pointer else box.ctypes.data

    def __call__(self, grid: Any, block: Any, args: tuple, shared_mem: int = 0) -> None:
        g, b = _dims(grid, "grid"), _dims(block, "block")
        check_launch(g, b)
        if shared_mem:
            raise LaunchError("dynamic shared memory is not emulated by the host harness")
        if len(args) != len(self.params):
            raise TypeError(f"{self.name} takes {len(self.params)} arguments, got {len(args)}")
        keep: list = []
        ptrs = (ctypes.c_void_p * max(1, len(args)))(
            *[self._arg(i, a, keep) for i, a in enumerate(args)])
        dims = (ctypes.c_uint * 6)(*g, *b)
        err = ctypes.create_string_buffer(512)
        with _LAUNCH_LOCK:
            failed = self._fn(dims, ptrs, err, ctypes.c_size_t(len(err)))
        if failed:
            raise LaunchError(f"{self.name} grid {g} block {b}: {err.value.decode()}")


class RawModule:
    """``cupy.RawModule(code=..., options=...)`` compiled for the host by g++."""

    def __init__(self, code: str, options: tuple[str, ...] = (), **_: Any) -> None:
        std = next((o.split("=", 1)[1] for o in options if o.lstrip("-").startswith("std=")),
                   "c++17")
        self.kernels = kernel_params(code)
        self._typedefs = {alias: target for target, alias in _TYPEDEF.findall(code)}
        launchers = []
        for name, params in self.kernels.items():
            call = ", ".join(f"*({ctype}*)p[{i}]" for i, (ctype, _) in enumerate(params))
            launchers.append(
                f"static void sctb_body_{name}(void** p) {{ {name}({call}); }}\n"
                f'extern "C" int sctb_launch_{name}(const unsigned* d, void** p, char* e, '
                f"size_t n) {{ return sctb::launch(d, sctb_body_{name}, p, e, n); }}\n")
        self._lib = load(code + "\n" + "".join(launchers), std)

    def get_function(self, name: str) -> RawKernel:
        """The kernel ``name`` (an ``extern "C"`` name, as CuPy needs without name_expressions)."""
        if name not in self.kernels:
            raise KeyError(f"no extern \"C\" __global__ kernel {name!r} in the module")
        return RawKernel(self._lib, name, self.kernels[name], self._typedefs)
