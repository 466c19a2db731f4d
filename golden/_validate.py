"""Argument checks shared by every backend, so that bad input fails the same way everywhere."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ._contract import SEED_LIMIT, n_words

WORD_LIMIT = 1 << 64

__all__ = [
    "bit_rows",
    "check_bits",
    "check_encode_args",
    "check_int",
    "check_length",
    "check_mac",
    "check_pair",
    "check_probs",
    "check_sc_args",
    "check_sc_batch_args",
    "check_seed",
    "check_tail",
    "check_triple",
    "check_unpack",
    "check_words",
    "native_words",
    "shape_stand_in",
    "tail_mask",
]


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_int(value: Any, name: str, minimum: int | None = None) -> int:
    """Return integer ``value`` as a Python int, ``>= minimum`` when that is given.

    Raises
    ------
    TypeError
        If ``value`` is not an integer (``bool`` and ``float`` are refused); the message names
        ``name`` and the value.
    ValueError
        If ``value < minimum``.
    """
    if not _is_int(value):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return operator.index(value)


def check_length(length: Any, name: str = "length") -> int:
    """Return ``length`` as a positive Python int.

    Raises
    ------
    TypeError
        If ``length`` is not an integer (``bool`` and ``float`` are refused).
    ValueError
        If ``length <= 0``.
    """
    length = check_int(length, name)
    if length <= 0:
        raise ValueError(f"{name} must be a positive int, got {length}")
    return length


def check_seed(seed: Any, name: str = "seed") -> int:
    """Return ``seed`` as a Python int in ``[0, 2**64)``.

    Raises
    ------
    TypeError
        If ``seed`` is not an integer (``bool`` and ``float`` are refused).
    ValueError
        If ``seed < 0`` or ``seed >= 2**64``.
    """
    seed = check_int(seed, name)
    if not 0 <= seed < SEED_LIMIT:
        raise ValueError(f"{name} must be in [0, 2**64), got {seed}")
    return seed


def _first_index(mask: np.ndarray) -> tuple[int, ...] | int:
    idx = tuple(int(i) for i in np.argwhere(mask)[0])
    return idx[0] if len(idx) == 1 else idx


def _refuse_masked(value: Any, name: str) -> None:
    """Masked arrays are refused on every backend: the ops would read the masked entries."""
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(f"{name} must not be a masked array (its mask would be ignored); pass "
                        "arr.filled(value) or arr.compressed()")


def check_probs(probs: Any, name: str = "input_probs", ndim: int = 1) -> np.ndarray:
    """Return probabilities as a float64 array after checking dtype, rank and range.

    Parameters
    ----------
    probs : array_like
        Real numbers in ``[0, 1]``; float16/32/64 or integer dtype.
    name : str
        Argument name used in error messages.
    ndim : int
        Required number of dimensions.

    Returns
    -------
    numpy.ndarray
        float64, same shape (a view when ``probs`` already is float64).

    Raises
    ------
    TypeError
        For bool, complex, object, string or extended-precision dtypes, or a masked array.
    ValueError
        For the wrong rank, NaN, infinities or values outside ``[0, 1]``.
    """
    _refuse_masked(probs, name)
    arr = np.asarray(probs)
    kind = arr.dtype.kind
    if kind not in "fiu" or (kind == "f" and arr.dtype.itemsize > 8):
        raise TypeError(
            f"{name} must hold real numbers (float or int dtype), got dtype {arr.dtype}"
        )
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    arr = arr.astype(np.float64, copy=False)
    finite = np.isfinite(arr)
    if not finite.all():
        where = _first_index(~finite)
        raise ValueError(f"{name} must be finite, got {arr[where]} at index {where}")
    outside = (arr < 0.0) | (arr > 1.0)
    if outside.any():
        where = _first_index(outside)
        raise ValueError(f"{name} must lie in [0, 1], got {arr[where]} at index {where}")
    return arr


def _python_ints(words: Any, arr: np.ndarray, name: str) -> np.ndarray:
    """Nested lists of Python ints >= 2**63 become float64 or object in NumPy: keep them exact."""
    obj = np.array(words, dtype=object)
    if obj.size == 0 or not all(_is_int(v) for v in obj.flat):
        return arr
    for index, v in np.ndenumerate(obj):
        if not 0 <= v < WORD_LIMIT:
            where = index[0] if len(index) == 1 else index
            raise ValueError(
                f"{name} must hold 64-bit words in [0, 2**64), got {v} at index {where}"
            )
    return obj.astype(np.uint64)


def check_words(words: Any, name: str) -> np.ndarray:
    """Return packed 64-bit words as an unsigned 64-bit array (any strides and byte order).

    Unsigned integers of any width and non-negative signed integers are accepted (the value is
    kept); bool, float, complex, object and string dtypes are refused.

    Raises
    ------
    TypeError
        For a non-integer dtype, or a masked array.
    ValueError
        For negative values.
    """
    _refuse_masked(words, name)
    arr = np.asarray(words)
    kind = arr.dtype.kind
    if kind in "fO" and not isinstance(words, np.ndarray):
        arr = _python_ints(words, arr, name)
        kind = arr.dtype.kind
    if kind not in "iu":
        raise TypeError(f"{name} must hold packed 64-bit words (uint64), got dtype {arr.dtype}")
    if kind == "i":
        negative = arr < 0
        if negative.any():
            where = _first_index(negative)
            raise ValueError(f"{name} must not be negative, got {arr[where]} at index {where}")
    if arr.dtype.itemsize != 8 or kind == "i":
        arr = arr.astype(np.uint64)
    return arr


def check_encode_args(input_probs: Any, length: Any, seed: Any) -> tuple[np.ndarray, int, int]:
    """Check the arguments of ``encode_inputs``: ``length``, ``seed``, then ``input_probs``.

    Returns
    -------
    probs : numpy.ndarray
        float64 ``(n_in,)``.
    length, seed : int
    """
    length = check_length(length)
    seed = check_seed(seed)
    return check_probs(input_probs, "input_probs"), length, seed


def _check_weights(weights_packed: Any, length: int) -> np.ndarray:
    """uint64 ``(n_out, n_in, ceil(length / 64))`` weights of ``sc_counts`` (dtype, rank, words)."""
    weights = check_words(weights_packed, "weights_packed")
    if weights.ndim != 3:
        raise ValueError(
            f"weights_packed must be 3-D (n_out, n_in, n_words), got {weights.ndim}-D"
        )
    need = n_words(length)
    if weights.shape[2] != need:
        raise ValueError(
            f"weights_packed has n_words={weights.shape[2]} but length={length} "
            f"needs ceil(length/64)={need}"
        )
    return weights


def check_sc_args(
    weights_packed: Any, input_probs: Any, length: Any, seed: Any
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Check the arguments of ``sc_counts`` / ``sc_forward`` in the contract's order.

    Order: ``length``, ``seed``, ``weights_packed`` (dtype, rank, ``n_words``), then
    ``input_probs`` (dtype, rank, ``n_in``, finiteness, range).

    Returns
    -------
    weights : numpy.ndarray
        uint64 ``(n_out, n_in, n_words)``, not necessarily contiguous or native-endian.
    probs : numpy.ndarray
        float64 ``(n_in,)``.
    length, seed : int
    """
    length = check_length(length)
    seed = check_seed(seed)
    weights = _check_weights(weights_packed, length)
    probs = check_probs(input_probs, "input_probs")
    if probs.shape[0] != weights.shape[1]:
        raise ValueError(
            f"input_probs has {probs.shape[0]} entries but weights_packed has "
            f"n_in={weights.shape[1]}"
        )
    return weights, probs, length, seed


def check_sc_batch_args(
    weights_packed: Any, input_probs: Any, length: Any, seed: Any
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Check the arguments of ``sc_counts_batch`` / ``sc_forward_batch``; return ``(weights,
    probs, length, seed)`` as :func:`check_sc_args` does, ``probs`` float64 ``(B, n_in)``.

    The order and messages of :func:`check_sc_args` (``length``, ``seed``, ``weights_packed``),
    then ``input_probs``: 2-D ``(B, n_in)`` with ``B >= 1`` (a 1-D vector is refused with a
    pointer to ``sc_counts``), dtype, ``n_in``, finiteness and range (indices are ``(b, i)``).
    """
    length = check_length(length)
    seed = check_seed(seed)
    weights = _check_weights(weights_packed, length)
    _refuse_masked(input_probs, "input_probs")
    arr = np.asarray(input_probs)
    if arr.ndim == 1:
        raise ValueError(f"input_probs must be 2-D (B, n_in), got shape {arr.shape}; "
                         "for one input vector call sc_counts / sc_forward")
    probs = check_probs(arr, "input_probs", ndim=2)
    if probs.shape[0] == 0:
        raise ValueError(f"input_probs must hold at least one row (B >= 1), got shape "
                         f"{probs.shape}")
    if probs.shape[1] != weights.shape[1]:
        raise ValueError(
            f"input_probs has n_in={probs.shape[1]} columns but weights_packed has "
            f"n_in={weights.shape[1]}"
        )
    return weights, probs, length, seed


def check_bits(bits: Any) -> np.ndarray:
    """Return an unpacked stream ``(N,)`` or ``(B, N)`` of bool or integer 0/1 values."""
    _refuse_masked(bits, "bits")
    arr = np.asarray(bits)
    if arr.dtype.kind not in "biu":
        raise TypeError(f"bits must be a bool or integer array of 0/1, got dtype {arr.dtype}")
    if arr.ndim not in (1, 2):
        raise ValueError(f"bits must be 1-D (N,) or 2-D (B, N), got {arr.ndim}-D")
    if arr.dtype.kind != "b":
        bad = (arr != 0) & (arr != 1)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"bits must be 0 or 1, got {arr[where]} at index {where}")
    return arr


def bit_rows(arr: np.ndarray) -> np.ndarray:
    """Checked bits as C-contiguous uint8 rows ``(B, N)`` (1-D input is one row)."""
    rows = 1 if arr.ndim == 1 else arr.shape[0]
    return np.ascontiguousarray(arr.reshape(rows, arr.shape[-1]), dtype=np.uint8)


def native_words(words: Any, name: str) -> np.ndarray:
    """:func:`check_words`, then native byte order (a copy only for byte-swapped input)."""
    arr = check_words(words, name)
    if not arr.dtype.isnative:
        arr = arr.astype(np.uint64)
    return arr


def shape_stand_in(shape: tuple[int, ...]) -> np.ndarray:
    """A zero-strided uint64 host array of ``shape`` (no memory): lets ``check_sc_args`` check
    the shape of device-resident weights, in its order, without copying them to the host."""
    return np.lib.stride_tricks.as_strided(np.zeros(1, np.uint64), shape, (0,) * len(shape))


def check_unpack(
    packed: Any, original_length: Any, original_shape: Any = None
) -> tuple[np.ndarray, int, tuple[int, ...]]:
    """Checks of ``unpack_bitstream``.

    Returns
    -------
    rows : numpy.ndarray
        Native uint64 ``(B, n_words)`` (1-D input is one row).
    length : int
        ``original_length``.
    shape : tuple of int
        Shape of the result: ``(N,)``, ``(B, N)`` or ``original_shape``.
    """
    words = native_words(packed, "packed")
    if words.ndim not in (1, 2):
        raise ValueError(f"packed must be 1-D (n_words,) or 2-D (B, n_words), got {words.ndim}-D")
    length = check_int(original_length, "original_length")
    if length < 0:
        raise ValueError(f"original_length must be >= 0, got {length}")
    need = n_words(length)
    if words.shape[-1] != need:
        raise ValueError(
            f"packed has n_words={words.shape[-1]} but original_length={length} "
            f"needs ceil(original_length/64)={need}"
        )
    natural = words.shape[:-1] + (length,)
    if original_shape is not None:
        shape = tuple(int(v) for v in original_shape)
        size = int(np.prod(natural))
        if int(np.prod(shape)) != size:
            raise ValueError(f"original_shape {shape} does not hold {size} bits ({natural})")
        natural = shape
    rows = 1 if words.ndim == 1 else words.shape[0]
    return words.reshape(rows, words.shape[-1]), length, natural


def _same_shape(names: tuple[str, ...], arrays: tuple[np.ndarray, ...]) -> None:
    shapes = [a.shape for a in arrays]
    if any(s != shapes[0] for s in shapes):
        listed = ", ".join(f"{n}{s}" for n, s in zip(names, shapes, strict=True))
        raise ValueError(f"packed operands must have the same shape, got {listed}")


def check_pair(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    """Checks of ``vec_and`` / ``vec_xnor``: two packed operands of one shape (native)."""
    wa, wb = native_words(a, "a"), native_words(b, "b")
    _same_shape(("a", "b"), (wa, wb))
    return wa, wb


def check_triple(sel: Any, a: Any, b: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checks of ``vec_mux``: three packed operands of one shape (native)."""
    ws, wa, wb = native_words(sel, "sel"), native_words(a, "a"), native_words(b, "b")
    _same_shape(("sel", "a", "b"), (ws, wa, wb))
    return ws, wa, wb


def check_tail(words: Any, length: Any, name: str) -> int:
    """Return ``length`` after checking it and that ``words.shape[-1] == ceil(length / 64)``
    (``words``: any array with ``shape``, host or device)."""
    length = check_length(length)
    if len(words.shape) == 0:
        raise ValueError(f"{name} must have at least 1 dimension (n_words,), got a scalar")
    need = n_words(length)
    if words.shape[-1] != need:
        raise ValueError(
            f"{name} has n_words={words.shape[-1]} but length={length} needs "
            f"ceil(length/64)={need}"
        )
    return length


def tail_mask(length: int) -> int:
    """Mask of the stream bits in the last word (all ones when ``length % 64 == 0``)."""
    rem = length % 64
    return ((1 << rem) - 1) if rem else (1 << 64) - 1


def check_mac(packed_weights: Any, packed_inputs: Any) -> tuple[np.ndarray, np.ndarray]:
    """Checks of ``vec_mac``: weights ``(n_out, n_in, n_words)``, inputs ``(n_in, n_words)``."""
    w = native_words(packed_weights, "packed_weights")
    x = native_words(packed_inputs, "packed_inputs")
    if w.ndim != 3:
        raise ValueError(f"packed_weights must be 3-D (n_out, n_in, n_words), got {w.ndim}-D")
    if x.ndim != 2:
        raise ValueError(f"packed_inputs must be 2-D (n_in, n_words), got {x.ndim}-D")
    if w.shape[1:] != x.shape:
        raise ValueError(
            f"packed_weights (n_out, n_in, n_words)={w.shape} does not match "
            f"packed_inputs (n_in, n_words)={x.shape}"
        )
    return w, x
