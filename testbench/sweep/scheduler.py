"""The sweep scheduler: points under deadlines in worker processes, over the MPI work queue."""

from __future__ import annotations

import contextlib
import os
import pathlib
import shlex
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from .checks import get_check
from .lock import out_lock
from .output import SweepResult, _write_outputs, _Writer, scan_records
from .spec import Point, SpecError, SweepSpec, expand_points
from .workqueue import work_queue

__all__ = ["RETRY_STATUSES", "PointTimeout", "replay_command", "run_point", "run_sweep",
           "work_queue"]

class PointTimeout(Exception):
    """A point ran past the spec's ``timeout_s``."""


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover
        yield
        return

    def fire(signum: int, frame: Any) -> None:
        raise PointTimeout(f"timed out after {seconds:g} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def replay_command(spec: SweepSpec, point: Point) -> str:
    """A one-line command that runs exactly this point again, serially."""
    spec_path = str(spec.path.resolve()) if spec.path else "SPEC.toml"
    design = f" --rtl-dir {shlex.quote(spec.design)}" if spec.design else ""
    command = getattr(spec, "command", "sweep")  # ``sctb explore`` runs on this engine too
    return (f"sctb {command} {shlex.quote(spec_path)} --only {shlex.quote(point.key)}{design} "
            "--out sctb-replay")


def run_point(spec: SweepSpec, point: Point, rank: int = 0,
              workdir: pathlib.Path | None = None) -> dict:
    """Run one point under the spec's timeout; failures and errors become records, not raises.

    ``workdir`` is the sweep's scratch directory (simulator builds and runs); default: a
    ``sctb-sweep-work`` directory under the system's temporary directory.
    """
    if workdir is None:
        import tempfile

        workdir = pathlib.Path(tempfile.gettempdir()) / "sctb-sweep-work"
    start = time.perf_counter()
    try:
        with _deadline(spec.timeout_s):
            outcome = get_check(point.check).run(spec, point, workdir)
    except PointTimeout as exc:
        outcome = {"status": "timeout", "detail": str(exc)}
    except Exception as exc:  # a crashing check is a recorded error with its replay command
        outcome = {"status": "error", "detail": f"{type(exc).__name__}: {exc}"}
    record = {"index": point.index, "key": point.key, "check": point.check,
              "params": point.params, **outcome,
              "seconds": time.perf_counter() - start, "rank": rank, "host": socket.gethostname(),
              "pid": os.getpid(), "t": time.time()}
    if record["status"] != "pass":
        record["replay"] = replay_command(spec, point)
    return record


#: Outcomes that a re-run could change; ``--resume`` runs such points again.
RETRY_STATUSES = frozenset({"error", "timeout", "crashed"})


def _contexts(spec: SweepSpec) -> dict[str, dict]:
    """Per check, what changes its results besides the point's own axes: the sweep's
    ``data_seed``, and for the rtl check the design's digest. Stored in every record, so that
    ``--resume`` after a spec change recomputes the points it changed."""
    design = None
    if "rtl" in spec.checks:
        from ..design import load_design

        design = load_design(spec.design).digest()
    return {c: {"data_seed": spec.data_seed, "design": design if c == "rtl" else None}
            for c in spec.checks}


def _worker_terminated(signum: int, frame: Any) -> None:
    """A worker told to stop ends the simulations it started (their process groups) first."""
    import sys

    procs = sys.modules.get("testbench.runner.procs")
    if procs is not None:
        procs.kill_children()
    os._exit(128 + signum)


def _worker_main(conn: Any, spec: SweepSpec, rank: int, workdir: pathlib.Path) -> None:
    """A rank's worker process: run the points it is sent until it is sent None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the rank decides when to stop
    signal.signal(signal.SIGTERM, _worker_terminated)
    while (point := conn.recv()) is not None:
        conn.send(run_point(spec, point, rank, workdir))


class _PointRunner:
    """Runs a rank's points in a worker subprocess, so that a point that crashes the
    interpreter (a simulator segfault, the OOM killer, a kill -9) or hangs in native code is a
    recorded failure and the sweep goes on with a fresh worker; ``isolate=False`` runs points in
    this process instead (debugging, tests)."""

    def __init__(self, spec: SweepSpec, rank: int, isolate: bool, workdir: pathlib.Path) -> None:
        self.spec, self.rank, self.isolate, self.workdir = spec, rank, isolate, workdir
        self.proc: Any = None
        self.conn: Any = None
        #: Worker deaths outside any point (between points); each one fails the sweep.
        self.incidents: list[str] = []

    def _start(self) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")  # never fork an MPI process
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main,
                                args=(child, self.spec, self.rank, self.workdir),
                                daemon=True, name=f"sctb-worker-{self.rank}")
        self.proc.start()
        child.close()

    def _stop(self, kill: bool) -> int | None:
        if self.proc is None:
            return None
        if kill:
            self.proc.kill()
        else:
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.proc.join(timeout=10)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        code = self.proc.exitcode
        self.conn.close()
        self.proc = self.conn = None
        return code

    def run(self, point: Point) -> dict:
        if not self.isolate:
            return run_point(self.spec, point, self.rank, self.workdir)
        if self.proc is None:
            self._start()
        try:
            self.conn.send(point)
        except OSError:  # the worker died while idle: report it, start a fresh one
            self.incidents.append(f"rank {self.rank}: worker process died "
                                  f"({self._how(self._stop(kill=True))}) between points; "
                                  f"a new one took over")
            self._start()
            self.conn.send(point)
        hard = self.spec.timeout_s + max(5.0, 0.25 * self.spec.timeout_s)
        status, detail = "timeout", f"worker gave no answer in {hard:g} s and was killed"
        if self.conn.poll(hard):
            try:
                return self.conn.recv()
            except (EOFError, OSError):
                status = "crashed"
        code = self._stop(kill=True)
        if status == "crashed":
            detail = f"worker process died ({self._how(code)}) while running this point"
        return {"index": point.index, "key": point.key, "check": point.check,
                "params": point.params, "status": status, "detail": detail,
                "seconds": None, "rank": self.rank, "host": socket.gethostname(), "pid": None,
                "t": time.time(), "replay": replay_command(self.spec, point)}

    @staticmethod
    def _how(code: int | None) -> str:
        return f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"

    def close(self) -> None:
        self._stop(kill=False)


def run_sweep(
    spec: SweepSpec, out: pathlib.Path, *, comm: Any | None = None, resume: bool = False,
    only: str | None = None, progress: Callable[[int, int, int], None] | None = None,
    isolate: bool = True,
) -> SweepResult | None:
    """Run the sweep; rank 0 returns the result, other ranks return None.

    Parameters
    ----------
    spec : SweepSpec
    out : pathlib.Path
        Output directory: per-rank JSON lines written as points finish, then ``results.jsonl``
        (merged, in point order) and ``summary.json``.
    comm : mpi4py communicator, optional
        None (or one rank) runs serially with identical results.
    resume : bool
        Skip points whose result is already under ``out``.
    only : str, optional
        Run just the point with this key (replay).
    progress : callable, optional
        ``progress(done, total, failures)`` on rank 0 after each finished point.
    isolate : bool
        Run points in a worker subprocess per rank (default), so that crashes and hangs become
        recorded failures; False runs them in this process.
    """
    rank = 0 if comm is None else comm.Get_rank()
    size = 1 if comm is None else comm.Get_size()
    points = expand_points(spec)
    selected = points
    if only is not None:
        selected = [p for p in points if p.key == only]
        if not selected:
            raise SpecError(f"--only {only!r}: no such point in {spec.name}")
    contexts = _contexts(spec)
    if rank != 0:
        return _worker_rank(spec, out, comm, rank, isolate, points, contexts)
    out.mkdir(parents=True, exist_ok=True)
    with out_lock(out) as stale_lock:
        return _rank0(spec, out, comm, size, resume, selected, points, contexts, progress,
                      isolate, stale_lock)


def _runner_calls(spec: SweepSpec, out: pathlib.Path, rank: int, isolate: bool,
                  points: list[Point], contexts: dict[str, dict]):
    """This rank's point runner and results file, as the work queue's ``run_one`` (run a point,
    stamp its context, write its record) and ``finish`` (close both)."""
    writer = _Writer(out, rank)
    runner = _PointRunner(spec, rank, isolate, out / "work")

    def run_one(idx: int) -> dict:
        record = runner.run(points[idx])
        record["context"] = contexts[record["check"]]
        writer.write(record)
        return record

    def finish() -> None:
        runner.close()
        writer.close()

    return runner, run_one, finish


def _worker_rank(spec: SweepSpec, out: pathlib.Path, comm: Any, rank: int, isolate: bool,
                 points: list[Point], contexts: dict[str, dict]) -> None:
    """A rank other than 0: run the points rank 0 hands out (:func:`work_queue`)."""
    runner, run_one, finish = _runner_calls(spec, out, rank, isolate, points, contexts)
    work_queue(comm, [], run_one, timeout_s=spec.timeout_s, finish=finish,
               incidents=lambda: runner.incidents)
    return None


def _rank0(spec: SweepSpec, out: pathlib.Path, comm: Any, size: int, resume: bool,
           selected: list[Point], points: list[Point], contexts: dict[str, dict], progress,
           isolate: bool, stale_lock: str | None) -> SweepResult:
    """Rank 0 (or the only rank), holding the output directory's lock."""
    runner, run_one, finish = _runner_calls(spec, out, 0, isolate, points, contexts)
    start = time.perf_counter()

    if not resume:
        for old in out.glob("results.rank*.jsonl"):
            old.unlink()
    old_records, bad_lines = scan_records(out) if resume else ([], [])
    done_keys, stale = set(), 0
    for r in old_records:
        if r["status"] in RETRY_STATUSES:
            continue
        if r.get("context") == contexts.get(r["check"]):
            done_keys.add(r["key"])
        else:
            stale += 1
    todo = [p.index for p in selected if p.key not in done_keys]
    new_records: list[dict] = []
    lock = threading.Lock()

    def on_record(record: dict) -> None:
        with lock:
            new_records.append(record)
            if progress:
                progress(len(new_records), len(todo),
                         sum(r["status"] != "pass" for r in new_records))

    lost, incidents = work_queue(comm if size > 1 else None, todo, run_one,
                                 timeout_s=spec.timeout_s, on_record=on_record, finish=finish,
                                 incidents=lambda: runner.incidents)
    wall = time.perf_counter() - start
    keys = {p.key for p in selected}
    records, bad_now = scan_records(out)
    records = [r for r in records
               if r["key"] in keys and r.get("context") == contexts.get(r["check"])]
    result = SweepResult(len(selected), len(selected) - len(todo), records, wall, size, lost,
                         list(new_records), incidents, sorted(set(bad_lines) | set(bad_now)),
                         stale, [stale_lock] if stale_lock else [])
    _write_outputs(spec, out, result, new_records)
    return result
