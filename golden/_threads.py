"""One thread setting that every backend's pool follows: ``set_threads`` or ``$SCTB_THREADS``."""

from __future__ import annotations

import os

from ._validate import _is_int

__all__ = ["THREADS_ENV", "cpu_count", "get_threads", "set_threads", "threads_for_jobs"]

#: Environment variable read by :func:`get_threads` when :func:`set_threads` was not called
#: (child processes inherit it: ``sctb regress --jobs J`` and ``sctb sweep`` set it).
THREADS_ENV = "SCTB_THREADS"

#: XLA flag that makes JAX's CPU backend run its kernels on the calling thread.
XLA_SINGLE_THREAD = "--xla_cpu_multi_thread_eigen=false"

_threads: int | None = None


def cpu_count() -> int:
    """Cores this process may run on (its CPU affinity; ``os.cpu_count()`` where unknown)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _parse_env() -> int | None:
    text = os.environ.get(THREADS_ENV, "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{THREADS_ENV} must be a positive int, got {text!r}") from None
    if value < 1:
        raise ValueError(f"{THREADS_ENV} must be a positive int, got {text!r}")
    return value


def get_threads() -> int:
    """Threads a backend call may use: :func:`set_threads`'s value, else ``$SCTB_THREADS``,
    else :func:`cpu_count`.

    Raises
    ------
    ValueError
        If ``$SCTB_THREADS`` is set but not a positive int.
    """
    if _threads is not None:
        return _threads
    from_env = _parse_env()
    return cpu_count() if from_env is None else from_env


def set_threads(n: int | None) -> None:
    """Size every backend's thread pool: at most ``n`` threads per call.

    The Rust engine runs on a pool of ``n`` threads, Numba caps its launches at ``n``
    (``numba.set_num_threads``, per calling thread), JAX's XLA:CPU runs single-threaded when
    ``n == 1`` before JAX's first computation in the process (XLA reads ``$XLA_FLAGS`` once, so
    a later change does not reach it; XLA has no flag for other pool sizes). Calls still use fewer
    threads when the work is small.

    Parameters
    ----------
    n : int or None
        ``>= 1``; ``None`` goes back to ``$SCTB_THREADS`` / every core.

    Raises
    ------
    TypeError, ValueError
        If ``n`` is not an int >= 1 or None.
    """
    global _threads
    if n is not None and not _is_int(n):
        raise TypeError(f"n must be an int or None, got {type(n).__name__} {n!r}")
    if n is not None and n < 1:
        raise ValueError(f"n must be >= 1 or None, got {n}")
    _threads = None if n is None else int(n)
    _configure_xla()


def _configure_xla() -> None:
    """Add :data:`XLA_SINGLE_THREAD` to ``$XLA_FLAGS`` when the setting is 1 thread (read when
    JAX's CPU backend starts, so it acts only before JAX's first computation in this process)."""
    try:
        single = get_threads() == 1
    except ValueError:
        return  # a bad $SCTB_THREADS is reported by the first call that reads it
    flags = os.environ.get("XLA_FLAGS", "")
    if single and "xla_cpu_multi_thread_eigen" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {XLA_SINGLE_THREAD}".strip()


_configure_xla()


def threads_for_jobs(jobs: int) -> int:
    """Threads per process when ``jobs`` processes share this machine: ``max(1, cores // jobs)``
    (so that jobs x threads <= cores)."""
    return max(1, cpu_count() // max(1, int(jobs)))
