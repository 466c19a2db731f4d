"""An exclusive lock on a sweep's output directory, so that two runs never share (and lose) one."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pathlib
import socket
import sys
import time
from collections.abc import Iterator

from .spec import SpecError

__all__ = ["LOCK_FILE", "SweepLocked", "out_lock"]

#: The lock file in the output directory (``flock``: the kernel drops it when its holder dies).
LOCK_FILE = ".sctb-sweep.lock"


class SweepLocked(SpecError):
    """Another sweep holds the output directory; the message names it (pid, host, command)."""


def _holder(path: pathlib.Path) -> str:
    try:
        info = json.loads(path.read_text())
        return (f"pid {info['pid']} on {info['host']} since "
                f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(info['t']))}: "
                f"{info['command']}")
    except (OSError, ValueError, KeyError, TypeError):
        return "an unknown process"


@contextlib.contextmanager
def out_lock(out: pathlib.Path) -> Iterator[str | None]:
    """Hold the exclusive lock of output directory ``out`` for the ``with`` block.

    Yields a note about a stale lock file left by a run that died (taken over), else None.

    Raises
    ------
    SweepLocked
        A live process holds the lock (the message names it and the directory).
    """
    path = out / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SweepLocked(f"--out {out}: another sweep is writing there ({_holder(path)}); "
                              "wait for it, or choose another --out") from None
        stale = None
        if path.stat().st_size:
            stale = f"took over the lock of {_holder(path)} (that run ended without releasing it)"
        me = {"pid": os.getpid(), "host": socket.gethostname(), "t": time.time(),
              "command": " ".join(sys.argv)}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode(), 0)
        try:
            yield stale
        finally:
            os.ftruncate(fd, 0)  # an empty lock file: released cleanly
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
