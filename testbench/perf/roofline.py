"""This machine's measured rooflines: the all-core read of a buffer, and the AND + popcount peak."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np

import golden

__all__ = ["busy_core", "compute_roofline", "read_roofline", "timeit"]

# Passes of the L1 tile per timed call (4096 word pairs each: ~1-5 ms at this CPU's peak, far
# above the timer's noise).
_L1_REPS = 5_000


def timeit(fn: Callable[[], object], *, min_time: float = 0.2, min_reps: int = 5,
           max_reps: int = 1000) -> float:
    """Best seconds of one call of ``fn`` over repeated calls, after one warm-up call (JIT,
    caches). The best, not the median: on a shared machine a call that waits for a busy core
    measures the neighbours, not the code."""
    fn()
    times: list[float] = []
    total = 0.0
    while len(times) < max_reps and (len(times) < min_reps or total < min_time):
        start = time.perf_counter()
        fn()
        dt = time.perf_counter() - start
        times.append(dt)
        total += dt
    return min(times)


def _native():
    try:
        from golden import _native
    except ImportError:
        return None
    return _native if hasattr(_native, "roofline_read") else None


def _thread_counts() -> list[int]:
    """1 and the setting's thread count: on a loaded machine one thread can read faster than
    two that wait for each other, and the roofline is the best the machine does."""
    return sorted({1, golden.get_threads()})


def read_roofline(words: np.ndarray, *, min_time: float = 0.3) -> dict:
    """Best read bandwidth of ``words`` itself (same buffer, same caches as the timed calls).

    The Rust engine's streaming loop (``sc_counts``'s, with software prefetch; popcount as the
    only work) splits the buffer into one part per thread, on 1 thread and on
    :func:`golden.get_threads` threads; without the Rust extension, NumPy's ``max`` on as many
    Python threads.

    Parameters
    ----------
    words : numpy.ndarray
        uint64, C-contiguous (e.g. packed weights ``(n_out, n_in, n_words)``).

    Returns
    -------
    dict
        ``{"GBps", "seconds", "threads", "bytes", "method"}``: bytes per second / 1e9 of the
        best reader, its best time, its thread count.
    """
    words = np.ascontiguousarray(words, dtype=np.uint64)
    native = _native()
    best: tuple[float, int] | None = None
    for n in _thread_counts():
        if native is not None:
            def read(n: int = n) -> object:
                return native.roofline_read(words, threads=n)
        else:
            read = _numpy_reader(words, n)
        t = timeit(read, min_time=min_time, min_reps=5)
        if best is None or t < best[0]:
            best = (t, n)
    assert best is not None
    return {"GBps": words.nbytes / best[0] / 1e9, "seconds": best[0], "threads": best[1],
            "bytes": int(words.nbytes),
            "method": "rust streaming popcount" if native is not None else "numpy max"}


def _numpy_reader(words: np.ndarray, n: int) -> Callable[[], object]:
    parts = np.array_split(words.reshape(-1), n)
    if n == 1:
        return parts[0].max

    def run() -> None:
        workers = [threading.Thread(target=p.max) for p in parts]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    return run


def compute_roofline(*, min_time: float = 0.2) -> dict:
    """AND + popcount peak of this CPU: the batch kernel's register tile (each loaded word serves
    several AND + popcounts, so loads do not bound it) on L1-resident vectors, on every kernel
    path this CPU supports, on 1 and on :func:`golden.get_threads` threads.

    Returns
    -------
    dict
        ``{"words_per_s", "isa", "features", "threads", "paths": {path: words_per_s}}``: the best
        64-bit words ANDed and counted per second (``isa`` the path that did it); or
        ``{"not_applicable": why}`` without the Rust extension.
    """
    native = _native()
    if native is None:
        return {"not_applicable": "the Rust extension (golden._native with roofline_*) is not "
                                  "built; the peak needs its SIMD loop"}
    features = dict(native.kernel_path_features())
    per_call = native.ROOFLINE_L1_WORDS * _L1_REPS
    paths: dict[str, float] = {}
    best: tuple[float, str, int] | None = None
    for path in native.kernel_paths():
        for n in _thread_counts():
            t = timeit(lambda p=path, n=n: native.roofline_and_popcount(
                _L1_REPS, threads=n, popcount=p), min_time=min_time, min_reps=5)
            rate = n * per_call / t
            paths[path] = max(paths.get(path, 0.0), rate)
            if best is None or rate > best[0]:
                best = (rate, path, n)
    assert best is not None
    return {"words_per_s": best[0], "isa": best[1], "features": features[best[1]],
            "threads": best[2], "paths": paths}


@contextlib.contextmanager
def busy_core() -> Iterator[subprocess.Popen]:
    """One core kept busy (a Python process spinning) while the block runs; it is ended after.

    Yields
    ------
    subprocess.Popen
        The spinner.
    """
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()
