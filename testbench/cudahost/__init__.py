"""CuPy's CUDA kernels compiled for the CPU: a stand-in ``cupy`` module for the host test."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from .build import HostCompileError, cache_dir, compiler_missing
from .elementwise import ElementwiseKernel, ReductionKernel
from .raw import HostArray, LaunchError, RawKernel, RawModule

__all__ = ["HostArray", "HostCompileError", "LaunchError", "RawKernel", "RawModule",
           "cache_dir", "compiler_missing", "host_backend", "host_cupy"]

#: Fresh "device" memory is filled with this byte (CUDA leaves it uninitialised), so a kernel
#: that forgets to write an output shows garbage here too instead of a lucky zero.
POISON = 0xA5


def _asarray(a: Any, dtype: Any = None) -> HostArray:
    if isinstance(a, HostArray) and (dtype is None or a.dtype == dtype):
        return a
    return np.array(a, dtype=dtype, order="K", copy=True).view(HostArray)


def _ascontiguousarray(a: Any, dtype: Any = None) -> HostArray:
    if not isinstance(a, HostArray):
        raise TypeError(f"ascontiguousarray of a {type(a).__name__}: not a device array")
    if a.flags.c_contiguous and (dtype is None or a.dtype == dtype):
        return a
    return np.ascontiguousarray(a, dtype=dtype).view(HostArray)


def _empty(shape: Any, dtype: Any = float) -> HostArray:
    out = np.empty(shape, dtype).view(HostArray)
    out.view(np.uint8)[...] = POISON
    return out


def host_cupy() -> SimpleNamespace:
    """The part of CuPy that golden/backends/sc_cupy.py uses, run on the CPU.

    Arrays are :class:`HostArray` (NumPy memory standing for device memory); raw kernels are
    compiled by g++ with shim.h; element-wise and reduction kernels run their operation strings
    in a loop. See docs/cuda-host.md for what this proves and what it does not.

    Returns
    -------
    types.SimpleNamespace
        ``ndarray``, ``asarray``, ``asnumpy``, ``ascontiguousarray``, ``empty``, ``zeros``, the
        dtypes, ``RawModule``, ``ElementwiseKernel`` and ``ReductionKernel``.
    """
    return SimpleNamespace(
        ndarray=HostArray, asarray=_asarray, asnumpy=lambda a: np.array(a, copy=True),
        ascontiguousarray=_ascontiguousarray, empty=_empty,
        zeros=lambda shape, dtype=float: np.zeros(shape, dtype).view(HostArray),
        uint8=np.uint8, uint16=np.uint16, uint32=np.uint32, uint64=np.uint64, int64=np.int64,
        float64=np.float64, RawModule=RawModule, ElementwiseKernel=ElementwiseKernel,
        ReductionKernel=ReductionKernel,
    )


def host_backend() -> Any:
    """``golden``'s CuPy backend built on :func:`host_cupy`: its own kernels and launches.

    Returns
    -------
    golden.backends.sc_cupy.CupyBackend
        Takes and returns NumPy arrays like the GPU backend; ``host_cupy().asarray`` makes
        "device-resident" operands.

    Raises
    ------
    HostCompileError
        When g++ is missing or rejects the kernel source.
    """
    from golden.backends.sc_cupy import CupyBackend

    return CupyBackend(cupy_module=host_cupy())
