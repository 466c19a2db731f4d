"""CuPy's ``ElementwiseKernel`` and ``ReductionKernel`` on the host: the same operation strings in a
sequential loop over ``i`` (broadcast operands, typed scalars, ``raw`` arrays by flat index)."""

from __future__ import annotations

import ctypes
import re
from typing import Any

import numpy as np

from .build import C_OF_CUPY, load
from .raw import HostArray

__all__ = ["ElementwiseKernel", "ReductionKernel", "parse_params"]


def parse_params(text: str) -> list[tuple[bool, str, str]]:
    """``[(raw, cupy type, name), ...]`` of a CuPy parameter list such as ``raw uint8 bits``."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        m = re.fullmatch(r"(raw\s+)?(\w+)\s+(\w+)", part)
        if m is None or m.group(2) not in C_OF_CUPY:
            raise TypeError(f"parameter {part!r}: not a concrete CuPy type the harness maps")
        out.append((m.group(1) is not None, m.group(2), m.group(3)))
    return out


def _device(arg: Any, where: str) -> HostArray:
    if not isinstance(arg, HostArray):
        raise TypeError(f"{where}: needs a device array, got {type(arg).__name__}")
    return arg


def _scalar(arg: Any, dtype: np.dtype, where: str) -> np.ndarray:
    if isinstance(arg, np.generic) and arg.dtype != dtype:
        raise TypeError(f"{where}: scalar of dtype {arg.dtype}, the kernel declares {dtype}")
    if not isinstance(arg, (np.generic, int, float, bool)):
        raise TypeError(f"{where}: not an array or scalar: {type(arg).__name__}")
    return np.array(arg, dtype=dtype)


def _call(lib_fn: Any, n: int, buffers: list[np.ndarray]) -> None:
    ptrs = (ctypes.c_void_p * max(1, len(buffers)))(*[b.ctypes.data for b in buffers])
    lib_fn(ctypes.c_longlong(n), ptrs)


class ElementwiseKernel:
    """``cupy.ElementwiseKernel(in_params, out_params, operation, name)`` on the host."""

    def __init__(self, in_params: str, out_params: str, operation: str, name: str = "kernel",
                 **_: Any) -> None:
        self.ins, self.outs = parse_params(in_params), parse_params(out_params)
        self.operation, self.name = operation, name
        self._libs: dict[tuple[str, ...], Any] = {}

    def _source(self, kinds: tuple[str, ...]) -> str:
        decls = []
        for k, ((raw, t, v), kind) in enumerate(zip(self.ins + self.outs, kinds)):
            c = C_OF_CUPY[t]
            out = k >= len(self.ins)
            if raw:
                decls.append(f"{c}* const {v} = ({c}*)_p[{k}];")
            elif kind == "scalar":
                decls.append(f"const {c} {v} = *(const {c}*)_p[{k}];")
            elif out:
                decls.append(f"{c} &{v} = (({c}*)_p[{k}])[_j];")
            else:
                decls.append(f"const {c} {v} = ((const {c}*)_p[{k}])[_j];")
        body = "\n        ".join(decls)
        return (f'extern "C" void sctb_ew(long long _n, void** _p) {{\n'
                f"    for (long long _j = 0; _j < _n; ++_j) {{\n"
                f"        const ptrdiff_t i = _j; (void)i;\n        {body}\n"
                f"        {{ {self.operation}; }}\n    }}\n}}\n")

    def __call__(self, *args: Any, size: int | None = None) -> Any:
        params = self.ins + self.outs
        if len(args) not in (len(self.ins), len(params)):
            raise TypeError(f"{self.name}: {len(args)} arguments for {len(params)} parameters")
        arrays = [a for (raw, _, _), a in zip(params, args) if not raw and not np.isscalar(a)]
        shape = np.broadcast_shapes(*(np.shape(a) for a in arrays)) if arrays else None
        if shape is None:
            if size is None:
                raise ValueError(f"{self.name}: loop size is undecided (no non-raw array)")
            shape = (size,)
        buffers, kinds, outs = [], [], []
        for k, (raw, t, v) in enumerate(params):
            dtype, where = np.dtype(t), f"{self.name} parameter {v}"
            if k >= len(args):  # an output CuPy allocates
                arr = np.zeros(shape, dtype).view(HostArray)
                buffers.append(arr)
            elif raw or not np.isscalar(args[k]):
                arr = _device(args[k], where)
                if arr.dtype != dtype:
                    raise TypeError(f"{where}: array of dtype {arr.dtype}, declared {t}")
                if k >= len(self.ins):
                    if (arr.shape != shape and not raw) or not arr.flags.c_contiguous:
                        raise ValueError(f"{where}: output of shape {arr.shape}, loop {shape}")
                    buffers.append(arr)
                else:
                    full = arr if raw else np.broadcast_to(arr, shape)
                    buffers.append(np.ascontiguousarray(full))
            else:
                buffers.append(_scalar(args[k], dtype, where))
            scalar = k < len(args) and not raw and np.isscalar(args[k])
            kinds.append("scalar" if scalar else "array")
            if k >= len(self.ins):
                outs.append(buffers[-1])
        key = tuple(kinds)
        if key not in self._libs:
            self._libs[key] = load(self._source(key)).sctb_ew
        _call(self._libs[key], int(np.prod(shape)), buffers)
        return outs[0] if len(outs) == 1 else tuple(outs)


class ReductionKernel:
    """``cupy.ReductionKernel(...)`` over the whole array (``axis=None``) on the host."""

    def __init__(self, in_params: str, out_params: str, map_expr: str, reduce_expr: str,
                 post_map_expr: str, identity: str, name: str = "reduce_kernel",
                 reduce_type: str | None = None, **_: Any) -> None:
        self.ins, self.outs = parse_params(in_params), parse_params(out_params)
        if len(self.outs) != 1 or any(raw for raw, _, _ in self.ins + self.outs):
            raise TypeError(f"{name}: the harness maps one output and no raw parameters")
        reduce_c = C_OF_CUPY[self.outs[0][1]] if reduce_type is None else reduce_type
        loads = "\n        ".join(
            f"const {C_OF_CUPY[t]} {v} = ((const {C_OF_CUPY[t]}*)_p[{k}])[_j];"
            for k, (_, t, v) in enumerate(self.ins))
        _, t_out, v_out = self.outs[0]
        c_out = C_OF_CUPY[t_out]
        self.name = name
        self._source = (
            f"typedef {reduce_c} type_reduce;\n"
            f'extern "C" void sctb_red(long long _n, void** _p) {{\n'
            f"    type_reduce _acc = (type_reduce)({identity});\n"
            f"    for (long long _j = 0; _j < _n; ++_j) {{\n        {loads}\n"
            f"        type_reduce _v = (type_reduce)({map_expr});\n"
            f"        {{ const type_reduce a = _acc, b = _v; _acc = ({reduce_expr}); }}\n    }}\n"
            f"    {{ const type_reduce a = _acc; {c_out} &{v_out} = *({c_out}*)_p[{len(self.ins)}];"
            f" {post_map_expr}; }}\n}}\n")
        self._fn: Any = None

    def __call__(self, *args: Any, axis: Any = None, keepdims: bool = False) -> HostArray:
        if axis is not None or keepdims or len(args) != len(self.ins):
            raise NotImplementedError(f"{self.name}: the harness reduces whole arrays only")
        shape = np.broadcast_shapes(*(np.shape(a) for a in args))
        buffers = []
        for (_, t, v), a in zip(self.ins, args):
            arr = _device(a, f"{self.name} parameter {v}")
            if arr.dtype != np.dtype(t):
                raise TypeError(f"{self.name} parameter {v}: dtype {arr.dtype}, declared {t}")
            buffers.append(np.ascontiguousarray(np.broadcast_to(arr, shape)))
        out = np.zeros((), np.dtype(self.outs[0][1])).view(HostArray)
        if self._fn is None:
            self._fn = load(self._source).sctb_red
        _call(self._fn, int(np.prod(shape)), [*buffers, out])
        return out
