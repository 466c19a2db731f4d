"""``sctb sweep``: verification sweeps over a TOML spec, serial or MPI-parallel with dynamic balancing."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import itertools
import json
import os
import pathlib
import queue
import shlex
import signal
import socket
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import golden

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "CHECKS",
    "Check",
    "Point",
    "SpecError",
    "SweepSpec",
    "build_once",
    "expand_points",
    "get_check",
    "load_spec",
    "parse_spec",
    "run_point",
    "run_sweep",
]

TAG_REQUEST, TAG_REPLY = 11, 12


class SpecError(ValueError):
    """A sweep spec that cannot run; the message names the key and the bad value."""


# ----------------------------------------------------------------------------- axes and checks

def _positive_int(key: str, v: Any) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise SpecError(f"axes.{key}: every value must be an int >= 1, got {v!r}")
    return v


def _seed(key: str, v: Any) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < 2**64:
        raise SpecError(f"axes.{key}: every value must be an int in [0, 2**64), got {v!r}")
    return v


def _backend(key: str, v: Any) -> str:
    if v not in golden.PRIORITY:
        raise SpecError(f"axes.{key}: unknown backend {v!r}; valid: {', '.join(golden.PRIORITY)}")
    return v


def _core_w(key: str, v: Any) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 64:
        raise SpecError(f"axes.{key}: every value must be an int in [1, 64], got {v!r}")
    return v


def _simulator(key: str, v: Any) -> str:
    if v not in ("icarus", "verilator"):
        raise SpecError(f"axes.{key}: unknown simulator {v!r}; valid: icarus, verilator")
    return v


#: Axis name -> validator of one value.
AXES: dict[str, Callable[[str, Any], Any]] = {
    "n_out": _positive_int,
    "n_in": _positive_int,
    "length": _positive_int,
    "seed": _seed,
    "backend": _backend,
    "core_in": _positive_int,
    "core_out": _positive_int,
    "core_w": _core_w,
    "sim": _simulator,
}

#: Axes every check uses (the layer and the stimulus).
COMMON_AXES = ("n_out", "n_in", "length", "seed")


@dataclasses.dataclass(frozen=True)
class Check:
    """A kind of verification point: its own axes and the function that runs one point."""

    name: str
    axes: tuple[str, ...]
    run: Callable[["SweepSpec", "Point", pathlib.Path], dict]
    doc: str


@dataclasses.dataclass(frozen=True)
class Point:
    """One point of the sweep: ``index`` in the expanded order and a stable ``key``."""

    index: int
    check: str
    params: dict

    @property
    def key(self) -> str:
        parts = [self.check] + [f"{k}={v:#x}" if k == "seed" else f"{k}={v}"
                                for k, v in self.params.items()]
        return "/".join(parts)


def point_data(spec: "SweepSpec", point: Point) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic stimulus of a point: weights ``(n_out, n_in, n_words)`` uint64 and probs.

    Seeded by the sweep's ``data_seed`` and the layer axes only, so that every check and backend
    of the same layer sees the same data, on any rank.
    """
    layer = "/".join(f"{k}={point.params[k]}" for k in COMMON_AXES)
    rng = np.random.default_rng([spec.data_seed, zlib.crc32(layer.encode())])
    p = point.params
    weights = rng.integers(0, 2**64 - 1, size=(p["n_out"], p["n_in"], golden.n_words(p["length"])),
                           dtype=np.uint64, endpoint=True)
    probs = rng.random(p["n_in"])
    edges = np.array([0.0, 1.0, 0.5, 1 / 131072, 3 / 131072])
    pick = rng.random(p["n_in"]) < 0.25
    probs[pick] = rng.choice(edges, size=int(pick.sum()))
    return weights, probs


def _digest(counts: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(counts, dtype="<i8").tobytes()).hexdigest()[:16]


def _run_golden(spec: "SweepSpec", point: Point, workdir: pathlib.Path) -> dict:
    weights, probs = point_data(spec, point)
    p = point.params
    want = golden.sc_counts(weights, probs, length=p["length"], seed=p["seed"])
    be = golden.get_backend(p["backend"])  # RuntimeError (unavailable) -> an error record
    got = be.sc_counts(weights, probs, length=p["length"], seed=p["seed"])
    if not np.array_equal(got, want):
        o = int(np.flatnonzero(got != want)[0])
        return {"status": "fail", "digest": _digest(want),
                "detail": f"output {o}: {p['backend']} gave {int(got[o])}, numpy {int(want[o])}"}
    return {"status": "pass", "digest": _digest(want),
            "bit_products": p["n_out"] * p["n_in"] * p["length"]}


def _run_emu(spec: "SweepSpec", point: Point, workdir: pathlib.Path) -> dict:
    import emu

    weights, probs = point_data(spec, point)
    p = point.params
    report = emu.emulate_layer(weights, probs, length=p["length"], seed=p["seed"],
                               N_IN=p["core_in"], N_OUT=p["core_out"], W=p["core_w"])
    want = golden.sc_counts(weights, probs, length=p["length"], seed=p["seed"])
    got = np.array(report["counts"], dtype=np.int64)
    if not np.array_equal(got, want):
        o = int(np.flatnonzero(got != want)[0])
        return {"status": "fail", "digest": _digest(want),
                "detail": f"output {o}: emulator gave {int(got[o])}, golden {int(want[o])}"}
    return {"status": "pass", "digest": _digest(want), "cycles": report["cycles"],
            "bit_products": p["n_out"] * p["n_in"] * p["length"]}


def _dense_suite(key: str, v: Any) -> str:
    from . import sim

    names = [n for n, suite in sim.SUITES.items() if suite.toplevel == "sc_dense_harness"]
    if v not in names:
        raise SpecError(f"axes.{key}: unknown dense suite {v!r}; valid: {', '.join(names)}")
    return v


AXES["suite"] = _dense_suite


def _run_rtl(spec: "SweepSpec", point: Point, workdir: pathlib.Path) -> dict:
    from . import sim

    weights, probs = point_data(spec, point)
    p = point.params
    want = golden.sc_counts(weights, probs, length=p["length"], seed=p["seed"])
    run_dir = workdir / "rtl" / f"point{point.index}"
    run_dir.mkdir(parents=True, exist_ok=True)
    layer = run_dir / "layer.npz"
    np.savez(layer, weights=weights, probs=probs, length=p["length"], seed=np.uint64(p["seed"]))
    env = {"SCTB_LAYER_FILE": str(layer.resolve())}
    cache = workdir / "rtl" / "cache"
    os.environ.setdefault("SCTB_SIM_CACHE", str(cache.resolve()))

    def run() -> Any:
        return sim.run_suite(p["suite"], p["sim"], out_dir=run_dir, test="layer_from_file",
                             extra_env=env, timeout=spec.timeout_s)

    # One build per configuration: the first rank to need it builds (under a lock), the others
    # wait and then reuse it.
    with build_once(cache / "locks" / f"{p['suite']}-{p['sim']}") as must_build:
        res = run() if must_build else None
    if res is None:
        res = run()
    if not res.ok or res.tests != 1:
        first = res.failures[0] if res.failures else None
        detail = (first.message.splitlines()[0] if first and first.message else
                  f"tests={res.tests} failed={res.failed} error={res.error}")
        return {"status": "fail", "digest": _digest(want), "detail": detail[:500],
                "log": str(res.log)}
    return {"status": "pass", "digest": _digest(want),
            "bit_products": p["n_out"] * p["n_in"] * p["length"]}


#: Check name -> Check.
CHECKS: dict[str, Check] = {
    "golden": Check("golden", ("backend",), _run_golden,
                    "a golden backend against the NumPy floor on the point's layer"),
    "emu": Check("emu", ("core_in", "core_out", "core_w"), _run_emu,
                 "the layer tiled onto an emulated core (cycle model) against golden"),
    "rtl": Check("rtl", ("suite", "sim"), _run_rtl,
                 "the layer tiled onto the RTL core of a dense suite, on a simulator"),
}


def get_check(name: str) -> Check:
    """The check called ``name``; SpecError listing the valid names otherwise."""
    try:
        return CHECKS[name]
    except KeyError:
        raise SpecError(f"sweep.checks: unknown check {name!r}; valid: {', '.join(CHECKS)}") \
            from None


# ----------------------------------------------------------------------------- the spec

@dataclasses.dataclass(frozen=True)
class SweepSpec:
    """A validated sweep spec (see docs/sweeps.md)."""

    path: pathlib.Path | None
    name: str
    checks: tuple[str, ...]
    axes: dict[str, tuple]
    data_seed: int = 0
    timeout_s: float = 600.0


_SWEEP_KEYS = {"name", "checks", "data_seed", "timeout_s"}


def parse_spec(doc: dict, path: pathlib.Path | None = None) -> SweepSpec:
    """Validate a parsed TOML document; SpecError names the offending key and value."""
    unknown = sorted(set(doc) - {"sweep", "axes"})
    if unknown:
        raise SpecError(f"unknown top-level table {unknown[0]!r}; valid: sweep, axes")
    sweep = doc.get("sweep")
    if not isinstance(sweep, dict):
        raise SpecError("missing table [sweep]")
    unknown = sorted(set(sweep) - _SWEEP_KEYS)
    if unknown:
        raise SpecError(f"sweep.{unknown[0]}: unknown key; valid: {', '.join(sorted(_SWEEP_KEYS))}")
    checks = sweep.get("checks")
    if not isinstance(checks, list) or not checks:
        raise SpecError(f"sweep.checks: must be a non-empty list of check names, got {checks!r}")
    for c in checks:
        get_check(c)
    if len(set(checks)) != len(checks):
        raise SpecError(f"sweep.checks: duplicate check in {checks!r}")
    timeout = sweep.get("timeout_s", 600.0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise SpecError(f"sweep.timeout_s: must be a number > 0, got {timeout!r}")
    data_seed = sweep.get("data_seed", 0)
    if isinstance(data_seed, bool) or not isinstance(data_seed, int) or data_seed < 0:
        raise SpecError(f"sweep.data_seed: must be an int >= 0, got {data_seed!r}")
    name = sweep.get("name", path.stem if path else "sweep")
    if not isinstance(name, str) or not name:
        raise SpecError(f"sweep.name: must be a non-empty string, got {name!r}")

    axes_doc = doc.get("axes")
    if not isinstance(axes_doc, dict):
        raise SpecError("missing table [axes]")
    axes: dict[str, tuple] = {}
    for key, values in axes_doc.items():
        if key not in AXES:
            raise SpecError(f"axes.{key}: unknown axis; valid: {', '.join(AXES)}")
        if not isinstance(values, list):
            raise SpecError(f"axes.{key}: must be a list, got {values!r}")
        if not values:
            raise SpecError(f"axes.{key}: empty axis")
        axes[key] = tuple(AXES[key](key, v) for v in values)
    needed = set(COMMON_AXES).union(*(get_check(c).axes for c in checks))
    for key in sorted(needed - set(axes)):
        raise SpecError(f"axes.{key}: missing (needed by the checks {checks})")
    for key in sorted(set(axes) - needed):
        raise SpecError(f"axes.{key}: not used by any check in sweep.checks {checks}")
    return SweepSpec(path, name, tuple(checks), axes, data_seed, float(timeout))


def load_spec(path: str | os.PathLike) -> SweepSpec:
    """Read and validate a TOML sweep spec."""
    path = pathlib.Path(path)
    try:
        doc = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise SpecError(f"spec file {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML ({exc})") from None
    return parse_spec(doc, path)


def expand_points(spec: SweepSpec) -> list[Point]:
    """Every point, in a fixed order: check by check, then the cartesian product of its axes."""
    points: list[Point] = []
    for check in spec.checks:
        names = list(COMMON_AXES) + list(get_check(check).axes)
        for combo in itertools.product(*(spec.axes[n] for n in names)):
            points.append(Point(len(points), check, dict(zip(names, combo))))
    return points


# ----------------------------------------------------------------------------- running points

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
    spec_path = str(spec.path) if spec.path else "SPEC.toml"
    return f"sctb sweep {shlex.quote(spec_path)} --only {shlex.quote(point.key)} --out sctb-replay"


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


@contextlib.contextmanager
def build_once(directory: pathlib.Path) -> Iterator[bool]:
    """Serialise builds of one configuration across ranks (and processes) with a file lock.

    Yields True when the caller must build (then it should finish normally so the directory is
    marked built), False when another process already built it. Two ranks never build into the
    same directory at the same time.
    """
    directory.mkdir(parents=True, exist_ok=True)
    marker = directory / ".sctb-built"
    with open(directory / ".sctb-lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            must_build = not marker.exists()
            yield must_build
            if must_build:
                marker.write_text(str(os.getpid()))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# ----------------------------------------------------------------------------- the scheduler

#: Outcomes that a re-run could change; ``--resume`` runs such points again.
RETRY_STATUSES = frozenset({"error", "timeout", "crashed"})


def _worker_main(conn: Any, spec: SweepSpec, rank: int, workdir: pathlib.Path) -> None:
    """A rank's worker process: run the points it is sent until it is sent None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the rank decides when to stop
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


def _rank_file(out: pathlib.Path, rank: int) -> pathlib.Path:
    return out / f"results.rank{rank}.jsonl"


def read_records(out: pathlib.Path) -> list[dict]:
    """Every record written under ``out`` so far (all ranks, all runs), the newest per key."""
    latest: dict[str, dict] = {}
    for path in sorted(out.glob("results.rank*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut by a kill
                if rec["key"] not in latest or rec["t"] >= latest[rec["key"]]["t"]:
                    latest[rec["key"]] = rec
    return sorted(latest.values(), key=lambda r: r["index"])


class _Writer:
    def __init__(self, out: pathlib.Path, rank: int) -> None:
        self.path = _rank_file(out, rank)
        self.handle = None

    def write(self, record: dict) -> None:
        if self.handle is None:
            cut = self.path.exists() and not self.path.read_bytes().endswith(b"\n")
            self.handle = open(self.path, "a")
            if cut and self.path.stat().st_size:
                self.handle.write("\n")  # end a line that a kill cut short
        self.handle.write(json.dumps(record) + "\n")
        self.handle.flush()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


@dataclasses.dataclass
class SweepResult:
    """What a sweep did, as rank 0 saw it."""

    total: int
    skipped_done: int
    records: list[dict]
    wall_s: float
    ranks: int
    lost: dict[int, str]
    ran: list[dict] = dataclasses.field(default_factory=list)
    incidents: list[str] = dataclasses.field(default_factory=list)

    @property
    def failures(self) -> list[dict]:
        return [r for r in self.records if r["status"] != "pass"]

    @property
    def ok(self) -> bool:
        return (not self.failures and not self.lost and not self.incidents
                and len(self.records) == self.total)


class _Dispatcher(threading.Thread):
    """Rank 0's work queue: hands one point at a time to whichever rank asks (dynamic balance),
    and declares a rank lost when its point outlives the timeout plus a grace period."""

    def __init__(self, comm: Any, todo: list[int], timeout_s: float, on_record) -> None:
        super().__init__(daemon=True, name="sctb-dispatcher")
        self.comm = comm
        self.todo = todo
        self.lock = threading.Lock()
        self.timeout_s = timeout_s
        self.on_record = on_record
        self.assigned: dict[int, tuple[int, float]] = {}
        self.finished: set[int] = set()
        self.lost: dict[int, str] = {}
        self.incidents: list[str] = []

    def next_index(self, rank: int) -> int | None:
        with self.lock:
            if not self.todo:
                self.assigned.pop(rank, None)
                return None
            idx = self.todo.pop(0)
            self.assigned[rank] = (idx, time.monotonic())
            return idx

    def run(self) -> None:
        from mpi4py import MPI

        workers = set(range(1, self.comm.Get_size()))
        grace = max(5.0, 0.25 * self.timeout_s)
        status = MPI.Status()
        while workers - self.finished - set(self.lost):
            if self.comm.iprobe(source=MPI.ANY_SOURCE, tag=TAG_REQUEST, status=status):
                rank, record, incidents = self.comm.recv(source=status.Get_source(),
                                                         tag=TAG_REQUEST)
                self.incidents.extend(incidents)
                if record is not None:
                    self.on_record(record)
                idx = self.next_index(rank)
                self.comm.send(idx, dest=rank, tag=TAG_REPLY)
                if idx is None:
                    self.finished.add(rank)
                continue
            now = time.monotonic()
            with self.lock:
                for rank, (idx, since) in list(self.assigned.items()):
                    if rank != 0 and now - since > self.timeout_s + grace:
                        self.lost[rank] = (f"no answer for {now - since:.0f} s while running "
                                           f"point #{idx} (dead or hung)")
                        self.assigned.pop(rank)
            time.sleep(0.002)


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
    writer = _Writer(out, rank)
    runner = _PointRunner(spec, rank, isolate, out / "work")
    start = time.perf_counter()

    if rank != 0:  # a worker: ask rank 0 for a point, run it, report it with the next request
        record, reported = None, 0
        while True:
            news = runner.incidents[reported:]
            reported = len(runner.incidents)
            comm.send((rank, record, news), dest=0, tag=TAG_REQUEST)
            idx = comm.recv(source=0, tag=TAG_REPLY)
            if idx is None:
                break
            record = runner.run(points[idx])
            writer.write(record)
        runner.close()
        writer.close()
        comm.Barrier()
        return None

    out.mkdir(parents=True, exist_ok=True)
    if not resume:
        for old in out.glob("results.rank*.jsonl"):
            old.unlink()
    done_keys = ({r["key"] for r in read_records(out) if r["status"] not in RETRY_STATUSES}
                 if resume else set())
    todo = [p.index for p in selected if p.key not in done_keys]
    new_records: list[dict] = []
    lock = threading.Lock()

    def on_record(record: dict) -> None:
        with lock:
            new_records.append(record)
            if progress:
                progress(len(new_records), len(todo),
                         sum(r["status"] != "pass" for r in new_records))

    dispatcher = None
    if size > 1:
        dispatcher = _Dispatcher(comm, list(todo), spec.timeout_s, on_record)
        dispatcher.start()
        next_index = lambda: dispatcher.next_index(0)  # noqa: E731
    else:
        pending = queue.SimpleQueue()
        for i in todo:
            pending.put(i)
        next_index = lambda: None if pending.empty() else pending.get()  # noqa: E731
    while (idx := next_index()) is not None:
        record = runner.run(points[idx])
        writer.write(record)
        on_record(record)
    runner.close()
    writer.close()
    lost: dict[int, str] = {}
    incidents = list(runner.incidents)
    if dispatcher is not None:
        dispatcher.join()
        lost = dict(dispatcher.lost)
        incidents += dispatcher.incidents
        if not lost:
            comm.Barrier()
    wall = time.perf_counter() - start
    keys = {p.key for p in selected}
    records = [r for r in read_records(out) if r["key"] in keys]
    result = SweepResult(len(selected), len(selected) - len(todo), records, wall, size, lost,
                         list(new_records), incidents)
    _write_outputs(spec, out, result, new_records)
    return result


def _write_outputs(spec: SweepSpec, out: pathlib.Path, result: SweepResult,
                   new_records: list[dict]) -> None:
    with open(out / "results.jsonl", "w") as fh:
        for rec in result.records:
            fh.write(json.dumps(rec) + "\n")
    per_check: dict[str, dict] = {}
    for rec in new_records:
        c = per_check.setdefault(rec["check"], {"points": 0, "failed": 0, "seconds": 0.0})
        c["points"] += 1
        c["failed"] += rec["status"] != "pass"
        c["seconds"] += rec["seconds"] or 0.0
    busy = sum(r["seconds"] or 0.0 for r in new_records)
    summary = {
        "sweep": spec.name, "ranks": result.ranks, "points": result.total,
        "resumed_done": result.skipped_done, "ran": len(new_records),
        "finished": len(result.records), "failures": len(result.failures),
        "lost_ranks": {str(k): v for k, v in result.lost.items()},
        "incidents": result.incidents, "wall_s": result.wall_s,
        "busy_s": busy, "speedup_over_one_rank": busy / result.wall_s if result.wall_s else None,
        "per_check": per_check, "ok": result.ok,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
