"""Compile CUDA C++ for the host (g++ and shim.h) into a cached library, loaded by ctypes."""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["CTYPES", "HostCompileError", "cache_dir", "compiler_missing", "ctype_dtype", "load"]

SHIM = Path(__file__).with_name("shim.h")
#: g++ flags: no FP contraction (nvcc's default --fmad=true is not emulated; docs/cuda-host.md).
FLAGS = ("-O2", "-shared", "-fPIC", "-ffp-contract=off", "-Wall", "-Wno-unknown-pragmas",
         "-Wno-unused-function", "-Wno-unused-variable")

#: C scalar types of kernel parameters and CuPy's type names, as NumPy dtypes.
CTYPES = {
    "double": np.float64, "float": np.float32, "bool": np.bool_,
    "char": np.int8, "signed char": np.int8, "unsigned char": np.uint8,
    "short": np.int16, "unsigned short": np.uint16, "int": np.int32, "unsigned int": np.uint32,
    "unsigned": np.uint32, "long long": np.int64, "unsigned long long": np.uint64,
    "long": np.int64, "unsigned long": np.uint64, "size_t": np.uint64, "ptrdiff_t": np.int64,
    "float64": np.float64, "float32": np.float32, "int8": np.int8, "uint8": np.uint8,
    "int16": np.int16, "uint16": np.uint16, "int32": np.int32, "uint32": np.uint32,
    "int64": np.int64, "uint64": np.uint64,
}
#: CuPy's type names as C types (ElementwiseKernel / ReductionKernel parameters).
C_OF_CUPY = {"float64": "double", "float32": "float", "bool": "bool", "int8": "signed char",
             "uint8": "unsigned char", "int16": "short", "uint16": "unsigned short",
             "int32": "int", "uint32": "unsigned int", "int64": "long long",
             "uint64": "unsigned long long"}


class HostCompileError(RuntimeError):
    """g++ rejected a kernel source (the message carries its diagnostics)."""


def compiler_missing() -> str | None:
    """Why the host harness cannot run here (no ``g++`` on PATH), or ``None``."""
    return None if shutil.which("g++") else "g++ is not on PATH (the CUDA host harness needs it)"


def cache_dir() -> Path:
    """Where compiled libraries are kept: ``$SCTB_CUDAHOST_CACHE`` or a per-user temp folder."""
    env = os.environ.get("SCTB_CUDAHOST_CACHE")
    path = Path(env) if env else Path(tempfile.gettempdir()) / f"sctb-cudahost-{os.getuid()}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def ctype_dtype(ctype: str, typedefs: dict[str, str]) -> tuple[np.dtype, bool]:
    """``(dtype, is_pointer)`` of a C parameter type such as ``const u64*``.

    Raises
    ------
    TypeError
        For a type the harness does not map.
    """
    text = re.sub(r"\b(const|volatile|__restrict__|__restrict)\b", " ", ctype)
    pointer = text.count("*")
    base = " ".join(text.replace("*", " ").split())
    while base in typedefs:
        inner = typedefs[base]
        pointer += inner.count("*")
        base = " ".join(re.sub(r"\b(const|volatile)\b", " ", inner).replace("*", " ").split())
    if base not in CTYPES or pointer > 1:
        raise TypeError(f"kernel parameter type {ctype!r}: not mapped by the CUDA host harness")
    return np.dtype(CTYPES[base]), pointer == 1


def load(code: str, std: str = "c++17") -> ctypes.CDLL:
    """``code`` (after ``#include "shim.h"``) compiled with g++ into a cached library, loaded.

    Parameters
    ----------
    code : str
        C++ source: kernels and their ``extern "C"`` launchers.
    std : str, optional
        The C++ standard (``--std=`` of the kernel's CuPy options).

    Returns
    -------
    ctypes.CDLL
        The library (cached by a hash of the shim, the source, the standard and the flags).

    Raises
    ------
    HostCompileError
        When g++ fails (its output is in the message).
    """
    gxx = shutil.which("g++")
    if gxx is None:
        raise HostCompileError(compiler_missing())
    shim = SHIM.read_text()
    full = f'#include "{SHIM}"\n' + code
    key = hashlib.sha256("\0".join((shim, full, std, *FLAGS)).encode()).hexdigest()[:24]
    lib = cache_dir() / f"k{key}.so"
    if not lib.exists():
        with tempfile.TemporaryDirectory(dir=cache_dir()) as tmp:
            src = Path(tmp) / "kernel.cpp"
            src.write_text(full)
            out = Path(tmp) / "kernel.so"
            proc = subprocess.run([gxx, f"-std={std}", *FLAGS, "-o", str(out), str(src)],
                                  capture_output=True, text=True, check=False)
            if proc.returncode:
                raise HostCompileError(f"g++ failed on the kernel source:\n{proc.stderr[-4000:]}")
            os.replace(out, lib)
    return ctypes.CDLL(str(lib))
