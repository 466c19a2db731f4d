"""Simulation process groups: each run its own session, killed whole on timeout or interrupt."""

from __future__ import annotations

import os
import signal
import subprocess
import threading

__all__ = ["DEFAULT_SUITE_TIMEOUT", "kill_children", "suite_timeout"]

#: Wall-clock seconds one suite run may take (times ``scale`` when larger); the
#: ``SCTB_SUITE_TIMEOUT`` environment variable overrides it.
DEFAULT_SUITE_TIMEOUT = 1800.0

#: Process groups of the simulations running now (each run is a session of its own, so that a
#: timeout or an interrupt ends the worker and its simulator together).
_LIVE: set[int] = set()
_LIVE_LOCK = threading.Lock()
#: Set by :func:`kill_children`: no new simulation starts after an interrupt.
_STOPPING = threading.Event()


def kill_children() -> int:
    """End every simulation this process started (its whole process group) and start no new
    one; returns how many groups were signalled. Called on SIGTERM/SIGINT by ``sctb``."""
    _STOPPING.set()
    with _LIVE_LOCK:
        groups = list(_LIVE)
    for pgid in groups:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return len(groups)


def suite_timeout(scale: float = 1.0) -> float:
    """The wall-clock limit of one suite run in seconds (``$SCTB_SUITE_TIMEOUT`` or the
    default, times ``scale`` when that is larger than 1)."""
    text = os.environ.get("SCTB_SUITE_TIMEOUT", "")
    try:
        limit = float(text) if text else DEFAULT_SUITE_TIMEOUT * max(1.0, scale)
    except ValueError:
        limit = -1.0
    if not 0 < limit < float("inf"):
        raise ValueError(f"SCTB_SUITE_TIMEOUT must be a number of seconds > 0, got {text!r}")
    return limit


def _run_group(argv: list[str], *, timeout: float, **kwargs) -> int | None:
    """Run ``argv`` in a session of its own; kill the whole group on a timeout (None) or when
    interrupted; its exit status otherwise."""
    proc = subprocess.Popen(argv, start_new_session=True, **kwargs)
    with _LIVE_LOCK:
        _LIVE.add(proc.pid)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    finally:
        try:  # the simulator too, and anything the run left behind in its group
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        with _LIVE_LOCK:
            _LIVE.discard(proc.pid)
