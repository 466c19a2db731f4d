"""One build (cached) and one test run in its own process: ``python -m testbench.runner.worker
JOBJSON`` (started by ``run_suite``; ``cocotb_tools.runner`` does the work).

It imports nothing else of sctb (the ``testbench.runner`` package loads its modules lazily):
the job carries everything, and a worker starts once per simulator run."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["compiler_errors", "main", "run_job"]


_ERROR_MARKS = ("%Error", ": error:", "error: ", "syntax error", "Unknown module type",
                "I give up", "not found")


def compiler_errors(lines: Sequence[str], limit: int = 3) -> list[str]:
    """The first ``limit`` compiler error lines of a build log (Icarus or Verilator)."""
    found = []
    for line in lines:
        text = line.strip()
        if any(mark in text for mark in _ERROR_MARKS) and not text.startswith("%Error: Exiting"):
            found.append(text[:300])
            if len(found) == limit:
                break
    return found


def run_job(job: dict) -> int:
    """Build ``job`` unless its stamp matches, then run its tests; the exit status.

    The build's outcome (``seconds``, ``cached``, ``error``, ``log``) goes to ``build.json`` in
    the run directory; the tests write cocotb's ``results.xml`` there.
    """
    import cocotb_tools.runner as crunner

    crunner.MAX_PARALLEL_BUILD_JOBS = int(os.environ.get("SCTB_BUILD_JOBS", "4"))
    runner = crunner.get_runner(job["sim"])
    build_dir = Path(job["build_dir"])
    run_dir = Path(job["run_dir"])
    stamp = build_dir / ".sctb-built"
    info: dict[str, Any] = {"log": str(build_dir / "build.log"), "cached": True}
    t0 = time.perf_counter()
    # Suites that share a build (same top, parameters and flags) may run at once: one builds,
    # the others wait here and then reuse it. The lock goes with ``lock`` (closed on return).
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    lock = open(build_dir.parent / f".{build_dir.name}.lock", "w")  # noqa: SIM115
    fcntl.flock(lock, fcntl.LOCK_EX)
    if not (stamp.is_file() and stamp.read_text() == job["key"]):
        info["cached"] = False
        if build_dir.exists():
            shutil.rmtree(build_dir)
        build_dir.mkdir(parents=True)
        args = list(job["build_args"])
        try:
            runner.build(
                sources=job["sources"] if job["sim"] == "verilator"
                else [s for s in job["sources"] if not s.endswith(".vlt")],
                hdl_toplevel=job["toplevel"], parameters=job["parameters"], build_args=args,
                build_dir=build_dir, always=True, waves=job["waves"],
                timescale=tuple(job["timescale"]),
                log_file=build_dir / "build.log", includes=job.get("includes", []),
                defines=job.get("defines", {}),
            )
        except (Exception, SystemExit) as e:  # noqa: BLE001 (any build failure is reported)
            lines: list[str] = []
            log = build_dir / "build.log"
            if log.is_file():
                lines = log.read_text(errors="replace").splitlines()
            first = compiler_errors(lines)
            head = "; ".join(first) if first else f"{type(e).__name__}: {e}"
            tail = "\n".join(lines[-30:])
            info.update(error=f"{head}\n{type(e).__name__}: {e}\n{tail}",
                        seconds=time.perf_counter() - t0)
            (run_dir / "build.json").write_text(json.dumps(info))
            print(info["error"], file=sys.stderr)
            return 3
        stamp.write_text(job["key"])
    lock.close()
    info["seconds"] = time.perf_counter() - t0
    (run_dir / "build.json").write_text(json.dumps(info))
    extra_env = dict(job["env"])
    plusargs = list(job.get("plusargs", []))
    if job["waves"] and job["sim"] == "icarus":
        # The dump goes to the run directory, not the shared build directory.
        plusargs.append(f"+dumpfile_path={run_dir / (job['toplevel'] + '.fst')}")
    try:
        runner.test(
            test_module=job["test_module"], hdl_toplevel=job["toplevel"],
            hdl_toplevel_lang="verilog", build_dir=build_dir, test_dir=run_dir,
            results_xml=job["junit"], extra_env=extra_env, seed=job["seed"],
            waves=job["waves"], parameters=job["parameters"], timescale=tuple(job["timescale"]),
            testcase=job["test"], plusargs=plusargs,
        )
    except SystemExit as e:
        return int(e.code) if isinstance(e.code, int) else 1
    return 0


def _end_with_parent(period: float = 1.0) -> None:
    """When this worker leads its own process group (``run_suite`` starts it so), end the group
    (worker and simulator) once the ``sctb`` that started it is gone, even after a SIGKILL."""
    import signal
    import threading

    if os.getsid(0) != os.getpid():
        return
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(period)
            if os.getppid() != parent:
                os.killpg(os.getpgrp(), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True, name="sctb-parent-watch").start()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m testbench.runner.worker JOBJSON``: :func:`run_job` on the decoded job."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 1:
        print("usage: python -m testbench.runner.worker JOBJSON", file=sys.stderr)
        return 2
    _end_with_parent()
    return run_job(json.loads(argv[0]))


if __name__ == "__main__":
    sys.exit(main())
