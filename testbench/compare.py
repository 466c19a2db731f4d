"""``sctb compare``: every available golden backend against the NumPy floor, bit for bit."""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

import golden
from golden._contract import EDGE_PROBS, FORWARD_VECTORS, STREAM_VECTORS

__all__ = [
    "Case",
    "CompareRow",
    "compare_backends",
    "contract_vectors",
    "edge_cases",
    "jax_cache_dir",
    "random_cases",
    "use_jax_cache",
]

MASK64 = (1 << 64) - 1


@dataclasses.dataclass(frozen=True)
class Case:
    """One ``sc_counts`` case: weights ``(n_out, n_in, n_words)`` uint64, probs ``(n_in,)``."""

    label: str
    weights: np.ndarray
    probs: np.ndarray
    length: int
    seed: int

    def replay(self) -> str:
        n_out, n_in, _ = self.weights.shape
        return f"{self.label}: n_out={n_out} n_in={n_in} length={self.length} seed={self.seed:#x}"


@dataclasses.dataclass
class CompareRow:
    """The result of one backend over all cases."""

    backend: str
    cases: int = 0
    mismatches: int = 0
    first_mismatch: str = ""
    seconds: float = 0.0
    skipped: str = ""

    @property
    def ok(self) -> bool:
        return not self.skipped and self.mismatches == 0


def _weights(rng: np.random.Generator, n_out: int, n_in: int, length: int) -> np.ndarray:
    return rng.integers(0, MASK64, size=(n_out, n_in, golden.n_words(length)), dtype=np.uint64,
                        endpoint=True)


def contract_vectors() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The contract's published vectors as ``(label, got, expected)`` from the NumPy floor."""
    ones = np.uint64(MASK64)
    out = []
    for v in STREAM_VECTORS:
        got = golden.encode_inputs([v.p], length=v.length, seed=v.seed)[0]
        out.append((f"stream seed={v.seed:#x} p={v.p}", got, np.array([v.word], dtype=np.uint64)))
    for v in FORWARD_VECTORS:
        w = np.full(v.shape, ones, dtype=np.uint64)
        got = golden.sc_forward(w, list(v.probs), length=v.length, seed=v.seed)
        out.append((f"forward {v.shape} L={v.length}", got, np.array(v.forward)))
    return out


def edge_cases(rng: np.random.Generator) -> Iterator[Case]:
    """Directed cases: p in {0, 1}, rounding ties, tiny p, lengths around 64, seeds 0 and wrap."""
    ties = np.array(EDGE_PROBS)
    for length in (1, 63, 64, 65, 100, 128, 1000):
        for seed in (0, 1, 0xACE1, 0xFFFF, 0xFFFB, 0x1_0000, MASK64):
            yield Case(f"edge L={length} seed={seed:#x}", _weights(rng, 3, ties.size, length),
                       ties, length, seed)
    yield Case("single input", _weights(rng, 4, 1, 77), np.array([0.3]), 77, 5)
    yield Case("single output", _weights(rng, 1, 9, 130), rng.random(9), 130, 0xFFF9)
    yield Case("n_in=0", np.zeros((3, 0, 2), dtype=np.uint64), np.zeros(0), 100, 9)
    yield Case("n_out=0", np.zeros((0, 4, 2), dtype=np.uint64), rng.random(4), 100, 9)
    yield Case("full period", _weights(rng, 2, 3, 65535), np.array([0.0, 1.0, 0.3]), 65535, 3)
    yield Case("past one period", _weights(rng, 2, 2, 70001), rng.random(2), 70001, 0xFFFE)


def random_cases(rng: np.random.Generator, n: int) -> Iterator[Case]:
    """Seeded random cases over shapes, lengths and seeds (full 64-bit seed range)."""
    for k in range(n):
        n_out, n_in = (int(v) for v in rng.integers(1, 24, size=2))
        length = int(rng.integers(1, 3000))
        seed = int(rng.integers(0, MASK64, dtype=np.uint64, endpoint=True))
        probs = rng.random(n_in)
        probs[rng.random(n_in) < 0.1] = 0.0
        probs[rng.random(n_in) < 0.1] = 1.0
        yield Case(f"random #{k}", _weights(rng, n_out, n_in, length), probs, length, seed)


def jax_cache_dir(out_dir: str | os.PathLike) -> Path:
    """Where JAX's persistent compilation cache lives: ``$SCTB_SIM_CACHE/jax`` (next to the
    simulator builds) when set, else ``out_dir/build/jax``."""
    root = os.environ.get("SCTB_SIM_CACHE") or Path(out_dir) / "build"
    return Path(root).resolve() / "jax"


def use_jax_cache(directory: str | os.PathLike) -> bool:
    """Turn on JAX's persistent compilation cache in ``directory`` for every kernel, however
    quick its compile (JAX keeps only compiles over 1 s by default; the golden comparison's
    take ~0.3-1 s each). Compiled code is keyed on the computation, JAX, XLA and the device, so
    a hit runs the same executable a compile would give. A no-op (False) without JAX.
    """
    if importlib.util.find_spec("jax") is None:
        return False
    import jax

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(directory))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    return True


def _upstream():
    if importlib.util.find_spec("sc_neurocore") is None:
        return None
    from sc_neurocore.accel.sc_inference import sc_forward_numpy

    return sc_forward_numpy


def compare_backends(
    *, seed: int = 0, n_random: int = 200, backends: list[str] | None = None,
    include_upstream: bool = True,
) -> list[CompareRow]:
    """Run every case on every requested backend and on the floor; count mismatches.

    Parameters
    ----------
    seed : int
        Seed of the case generator (the same seed gives the same cases).
    n_random : int
        Number of random cases besides the directed ones.
    backends : list of str, optional
        Backend names (default: all registered); unavailable ones are reported as skipped.
    include_upstream : bool
        Also compare SC-NeuroCore's ``sc_forward_numpy`` when it is installed (seeds < 2**32,
        the range it accepts).

    Returns
    -------
    list of CompareRow
        The first row is the floor against the contract's published vectors.
    """
    rng = np.random.default_rng(seed)
    floor = golden.get_backend("numpy")

    rows = [CompareRow("numpy vs contract vectors")]
    for label, got, want in contract_vectors():
        rows[0].cases += 1
        if not np.array_equal(got, want):
            rows[0].mismatches += 1
            rows[0].first_mismatch = rows[0].first_mismatch or f"{label}: got {got}, want {want}"

    status = golden.backend_status()
    active: list[tuple[CompareRow, golden.Backend]] = []
    for name in backends or [n for n in golden.PRIORITY if n != "numpy"]:
        row = CompareRow(name)
        rows.append(row)
        if status[name] is not None:
            row.skipped = status[name]
        else:
            active.append((row, golden.get_backend(name)))
    upstream = _upstream() if include_upstream else None
    up_row = None
    if include_upstream:
        up_row = CompareRow("upstream sc_forward_numpy")
        if upstream is None:
            up_row.skipped = "sc-neurocore is not installed"
    # One case at a time (generated lazily): memory stays flat for any n_random.
    for case in itertools.chain(edge_cases(rng), random_cases(rng, n_random)):
        want = floor.sc_counts(case.weights, case.probs, length=case.length, seed=case.seed)
        for row, be in active:
            start = time.perf_counter()
            got = be.sc_counts(case.weights, case.probs, length=case.length, seed=case.seed)
            row.seconds += time.perf_counter() - start
            row.cases += 1
            if got.dtype != np.int64 or not np.array_equal(got, want):
                row.mismatches += 1
                row.first_mismatch = row.first_mismatch or (
                    f"{case.replay()}: got {got[:8]} want {want[:8]}")
        if upstream is not None and case.seed < 1 << 32 and 0 not in case.weights.shape[:2]:
            start = time.perf_counter()  # outside that range upstream refuses the case
            got = upstream(case.weights, case.probs, case.length, seed=case.seed)
            up_row.seconds += time.perf_counter() - start
            up_row.cases += 1
            if not np.array_equal(got, want / case.length):
                up_row.mismatches += 1
                up_row.first_mismatch = up_row.first_mismatch or case.replay()
    if up_row is not None:
        rows.append(up_row)
    return rows
