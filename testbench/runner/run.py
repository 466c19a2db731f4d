"""Run one suite on one simulator, or a matrix of them: a SuiteResult each, never a raise."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from .build import HDL_DIR, ROOT, RTL_DIR, build_flags, build_key, rtl_sources
from .junit import read_junit
from .settings import SimOptions, SimSettings
from .simulators import simulator_env, simulator_status
from .suites import WMEM_FILE, get_suite

__all__ = [
    "DEFAULT_SEED",
    "Failure",
    "SuiteResult",
    "format_result",
    "merged_coverage",
    "replay_command",
    "run_matrix",
    "run_suite",
    "summary",
]

DEFAULT_SEED = 1


@dataclasses.dataclass
class Failure:
    """One failed test: its name, the failure text and a command that replays it.

    ``waves`` is a wave file of the failing test where one was recorded (``sctb regress
    --report`` re-runs failing tests with waves); ``waves_note`` says why there is none, or
    what the re-run that recorded it did.
    """

    test: str
    message: str
    replay: str
    waves: Path | None = None
    waves_note: str = ""


@dataclasses.dataclass
class SuiteResult:
    """What one suite did on one simulator.

    ``ok`` is true only when the build succeeded, at least one test ran, and none failed or was
    skipped. ``sim_seconds`` sums the test bodies (no build, no simulator start-up).
    """

    suite: str
    sim: str
    tests: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    transactions: int = 0
    bit_products: int = 0
    seconds: float = 0.0
    sim_seconds: float = 0.0
    build_seconds: float = 0.0
    junit: Path | None = None
    log: Path | None = None
    waves: Path | None = None
    error: str | None = None
    failures: list[Failure] = dataclasses.field(default_factory=list)
    per_test: dict[str, dict] = dataclasses.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None and self.tests > 0 and self.failed == 0 and self.skipped == 0

    @property
    def bit_products_per_s(self) -> float:
        """Verified bit-products per second of test body time."""
        return self.bit_products / self.sim_seconds if self.sim_seconds > 0 else 0.0


def replay_command(suite: str, sim: str, *, out_dir: str | os.PathLike, backend: str,
                   seed: int, scale: float = 1.0, test: str | None = None,
                   rtl_dir: str | os.PathLike | None = None) -> str:
    """The ``sctb sim`` command that repeats one run (with waves), its ``--out`` and ``--seed``."""
    cmd = ["sctb", "sim", suite, "--sim", sim, "--backend", backend, "--seed", str(seed),
           "--out", str(out_dir)]
    if scale != 1:
        cmd += ["--scale", str(scale)]
    if test:
        cmd += ["--test", test]
    if rtl_dir is not None:
        cmd += ["--rtl-dir", str(rtl_dir)]
    return shlex.join(cmd + ["--waves"])


def run_suite(
    suite: str,
    sim: str,
    *,
    out_dir: str | os.PathLike,
    backend: str = "numpy",
    seed: int = DEFAULT_SEED,
    waves: bool = False,
    scale: float = 1.0,
    test: str | None = None,
    rtl_dir: str | os.PathLike | None = None,
    timeout: float | None = None,
    options: SimOptions | Mapping[str, object] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> SuiteResult:
    """Build (cached) and run one suite on one simulator; never raises for a failing design.

    Parameters
    ----------
    suite : str
        A key of :data:`SUITES`.
    sim : {"icarus", "verilator"}
        The simulator.
    out_dir : path
        Output root: builds go to ``out_dir/build/<suite>-<sim>-<key>`` (``key`` hashes the
        sources, parameters and flags; a build is reused while it matches), or under
        ``$SCTB_SIM_CACHE`` when set (one cache shared by every output directory); runs go to
        ``out_dir/run/<suite>-<sim>-s<seed>[-<test>]``.
    backend : str
        Golden backend of the prediction (``golden.get_backend(backend)``).
    seed : int
        Seed of the random stimulus.
    waves : bool
        Record waves (FST on Icarus, VCD on Verilator); their path is in ``SuiteResult.waves``.
    scale : float
        Multiplies the sizes of the random batches.
    test : str, optional
        Run only this test of the module.
    rtl_dir : path, optional
        Another RTL directory with an ``sc.f`` (e.g. a mutated copy); default ``rtl_models``.
    timeout : float, optional
        Seconds before the simulation is killed (a failure).
    options : SimOptions or mapping, optional
        Optional per-run settings of the suite (fuzz examples, a layer file, a planted emulator
        bug, ...; see :class:`~testbench.runner.settings.SimOptions`). A mapping names its fields.
    extra_env : mapping, optional
        Third-party environment for the simulation (e.g. ``COCOTB_TRUST_INERTIAL_WRITES``); the
        testbench's own settings travel in ``$SCTB_SETTINGS`` (one JSON :class:`SimSettings`).

    Returns
    -------
    SuiteResult
        ``failed`` counts failing tests; a build error, a test module that does not import, or
        zero tests run are failures too (``error`` says which).
    """
    spec = get_suite(suite)
    opts = SimOptions.coerce(options)
    result = SuiteResult(suite=suite, sim=sim)
    reason = simulator_status(sim)
    if reason is not None:
        result.error = f"simulator unavailable: {reason}"
        result.failed = 1
        return result
    out_dir = Path(out_dir).resolve()
    rtl = Path(rtl_dir).resolve() if rtl_dir is not None else RTL_DIR
    sources = rtl_sources(rtl) + [HDL_DIR / f for f in spec.hdl]
    vlt = [p for p in (rtl / "sc.vlt", HDL_DIR / "sc_tb.vlt") if p.is_file()]
    key = build_key(spec, sim, sources + vlt, waves)
    build_root = Path(os.environ.get("SCTB_SIM_CACHE") or out_dir / "build").resolve()
    build_dir = build_root / f"{suite}-{sim}-{key}"
    tag = f"{suite}-{sim}-s{seed}" + (f"-{test}" if test else "") + "".join(
        f"-{k}={v}" for k, v in sorted((extra_env or {}).items())) + opts.tag() + (
        f"-{hashlib.sha256(str(rtl).encode()).hexdigest()[:8]}" if rtl_dir is not None else "")
    run_dir = out_dir / "run" / tag
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    junit = run_dir / "results.xml"
    stats = run_dir / "stats.jsonl"
    settings = SimSettings(backend=backend, seed=seed, scale=scale, sim=sim, stats=stats,
                           dump_dir=run_dir, wmem_file=WMEM_FILE, core=spec.core, options=opts)
    job = {
        "suite": suite, "sim": sim, "toplevel": spec.toplevel, "test_module": spec.test_module,
        "parameters": dict(spec.parameters), "sources": [str(s) for s in sources + vlt],
        "build_dir": str(build_dir), "key": key, "run_dir": str(run_dir), "junit": str(junit),
        "waves": waves, "test": test, "seed": seed, "build_args": build_flags(spec, sim),
        "env": settings.env(),
    }
    env = simulator_env(sim)
    env.pop("PYTEST_CURRENT_TEST", None)  # the runner changes behaviour under pytest
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    # No pytest plugins in the simulator (cocotb's assertion rewriting would load them): with no
    # pytest session there, Hypothesis's plugin would take every example for import-time work.
    env.setdefault("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    env.update(extra_env or {})
    result.log = run_dir / "sim.log"
    t0 = time.perf_counter()
    try:
        with open(result.log, "w") as log:
            proc = subprocess.run(
                [sys.executable, "-m", "testbench.runner.worker", json.dumps(job)],
                cwd=run_dir, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=timeout,
                check=False,
            )
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        rc = None
    result.seconds = time.perf_counter() - t0
    build_info = run_dir / "build.json"
    if build_info.is_file():
        info = json.loads(build_info.read_text())
        result.build_seconds = info.get("seconds", 0.0)
        if info.get("error"):
            result.error = f"build failed: {info['error']} (log: {info.get('log')})"
    if rc is None and result.error is None:
        result.error = f"timed out after {timeout} s (log: {result.log})"
    def replay(one_test: str | None) -> str:
        return replay_command(suite, sim, out_dir=out_dir, backend=backend, seed=seed,
                              scale=scale, test=one_test, rtl_dir=rtl_dir)

    replay_all = replay(test)
    if result.error is None:
        _read_results(result, junit, replay)
        if result.error is None and rc != 0:
            result.error = f"simulator exited with status {rc} (log: {result.log})"
    if result.error is not None:
        result.failed = max(result.failed, 1)
        result.failures.append(Failure("<suite>", result.error, replay_all))
    if stats.is_file():
        for line in stats.read_text().splitlines():
            entry = json.loads(line)
            result.per_test[entry["test"]] = entry
            result.transactions += int(entry.get("transactions", 0))
            result.bit_products += int(entry.get("bit_products", 0))
            result.sim_seconds += float(entry.get("seconds", 0.0))
    if waves:
        for pattern in ("*.fst", "*.vcd"):
            found = sorted(run_dir.glob(pattern))
            if found:
                result.waves = found[0]
                break
    result.junit = junit if junit.is_file() else None
    return result


def _read_results(result: SuiteResult, junit: Path, replay) -> None:
    """Fill the test counts and failures of ``result`` from cocotb's JUnit file."""
    if not junit.is_file():
        why = ""
        if result.log is not None and result.log.is_file():
            errors = [ln.strip() for ln in result.log.read_text(errors="replace").splitlines()
                      if "Error" in ln or "error:" in ln]
            why = f": {errors[-1][:300]}" if errors else ""
        result.error = (f"no results file {junit} (the simulation ended abnormally{why}; "
                        f"log: {result.log})")
        return
    try:
        cases = read_junit(junit)
    except ValueError as e:
        result.error = str(e)
        return
    for case in cases:
        result.tests += 1
        if case.status == "passed":
            result.passed += 1
            continue
        if case.status == "failed":
            result.failed += 1
        else:
            result.skipped += 1
        result.failures.append(Failure(case.name, case.message, replay(case.name)))
    if result.tests == 0:
        result.error = f"zero tests ran (results file {junit}; log: {result.log})"


def run_matrix(
    suites: Sequence[str],
    sims: Sequence[str],
    *,
    out_dir: str | os.PathLike,
    backend: str = "numpy",
    seed: int = DEFAULT_SEED,
    jobs: int = 1,
    scale: float = 1.0,
    waves: bool = False,
    rtl_dir: str | os.PathLike | None = None,
    on_done=None,
) -> list[SuiteResult]:
    """Run every suite on every simulator, ``jobs`` at a time (each run is its own process).

    ``on_done(result)`` is called as each run finishes (for a progress display). Results come
    back in ``suites x sims`` order.
    """
    from concurrent.futures import ThreadPoolExecutor

    for name in suites:
        get_suite(name)
    pairs = [(name, s) for name in suites for s in sims]

    def one(pair: tuple[str, str]) -> SuiteResult:
        res = run_suite(pair[0], pair[1], out_dir=out_dir, backend=backend, seed=seed,
                        scale=scale, waves=waves, rtl_dir=rtl_dir)
        if on_done is not None:
            on_done(res)
        return res

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, pairs))


def summary(results: list[SuiteResult]) -> list[dict]:
    """JSON-ready rows, the per-test figures included."""
    return [{
        "suite": r.suite, "sim": r.sim, "ok": r.ok, "tests": r.tests, "passed": r.passed,
        "failed": r.failed, "skipped": r.skipped, "transactions": r.transactions,
        "bit_products": r.bit_products, "seconds": r.seconds, "build_seconds": r.build_seconds,
        "test_seconds": r.sim_seconds, "bit_products_per_s": r.bit_products_per_s,
        "error": r.error, "junit": str(r.junit) if r.junit else None, "log": str(r.log),
        "failures": [{"test": f.test, "message": f.message, "replay": f.replay,
                      "waves": str(f.waves) if f.waves is not None else None,
                      "waves_note": f.waves_note} for f in r.failures],
        "per_test": r.per_test,
        "coverage": _coverage_of(r),
    } for r in results]


def _coverage_of(r: SuiteResult) -> dict | None:
    """The functional coverage a run wrote (``coverage.json`` in its run directory), if any."""
    path = r.log.parent / "coverage.json" if r.log is not None else None
    return json.loads(path.read_text()) if path is not None and path.is_file() else None


def merged_coverage(results: list[SuiteResult]) -> dict[str, dict[str, int]] | None:
    """Hits per bin summed over the runs that wrote coverage; None when none did."""
    from .. import coverage

    reports = [c for r in results for c in [_coverage_of(r)] if c is not None]
    return coverage.merge(reports) if reports else None


def format_result(result: SuiteResult) -> str:
    """A summary of one run: status, counts, speed, each failure with its replay command."""
    status = "PASS" if result.ok else "FAIL"
    lines = [
        (f"{status} {result.suite} on {result.sim}: {result.passed}/{result.tests} passed, "
         f"{result.failed} failed, {result.transactions} transactions, "
         f"{result.bit_products:,} bit-products, {result.seconds:.1f} s "
         f"(build {result.build_seconds:.1f} s, tests {result.sim_seconds:.1f} s, "
         f"{result.bit_products_per_s / 1e6:.1f} M bit-products/s)"),
    ]
    for f in result.failures:
        lines.append(f"  FAILED {f.test}: {f.message.splitlines()[0] if f.message else ''}")
        lines.append(f"    replay: {f.replay}")
    if result.waves:
        lines.append(f"  waves: {result.waves}")
    if result.junit:
        lines.append(f"  results: {result.junit}")
    lines.append(f"  log: {result.log}")
    return "\n".join(lines)
