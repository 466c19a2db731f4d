"""Run one suite on one simulator, or a matrix of them: a SuiteResult each, never a raise."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..design import Design, load_design
from ..preflight import PreflightError
from .build import HDL_DIR, ROOT, TIMESCALE, VERILATOR_EXTRAS, build_flags, build_key
from .outcome import ASSERT_MARK, assertion_failures, name_assertions, read_results
from .planning import applicability
from .procs import _STOPPING, DEFAULT_SUITE_TIMEOUT, _run_group, kill_children, suite_timeout
from .results import Failure, SuiteResult
from .settings import SimOptions, SimSettings
from .simulators import simulator_env, simulator_status
from .suites import WMEM_FILE, get_suite

__all__ = ["ASSERT_MARK", "DEFAULT_SEED", "DEFAULT_SUITE_TIMEOUT", "ICARUS_NO_COVERAGE",
           "REWRITE_ASSERTIONS", "assertion_failures", "kill_children", "longest_first",
           "replay_command", "run_matrix", "run_suite", "suite_timeout"]

DEFAULT_SEED = 1
#: The modules whose asserts pytest rewrites in the simulator (cocotb's
#: ``COCOTB_REWRITE_ASSERTION_FILES``; a value set in the environment wins).
REWRITE_ASSERTIONS = "*/testbench/suites/*.py"
#: Why code coverage does not apply to an Icarus run.
ICARUS_NO_COVERAGE = ("not applicable on icarus: Icarus Verilog has no code-coverage "
                      "instrumentation (line, branch and toggle coverage come from Verilator "
                      "--coverage)")


def replay_command(suite: str, sim: str, *, out_dir: str | os.PathLike, backend: str,
                   seed: int, scale: float = 1.0, test: str | None = None,
                   design: Design | None = None) -> str:
    """The ``sctb sim`` command that repeats one run with waves from any directory: the
    design, the ``--seed`` and an absolute ``--out``."""
    cmd = ["sctb", "sim", suite, "--sim", sim, "--backend", backend, "--seed", str(seed),
           "--out", str(Path(out_dir).resolve())]
    if scale != 1:
        cmd += ["--scale", str(scale)]
    if test:
        cmd += ["--test", test]
    if design is not None:
        cmd += design.cli_args()
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
    design: Design | None = None,
    timeout: float | None = None,
    options: SimOptions | Mapping[str, object] | None = None,
    extra_env: Mapping[str, str] | None = None,
    coverage: bool = False,
) -> SuiteResult:
    """Build (cached) and run one suite on one simulator; never raises for a failing design.

    Parameters
    ----------
    suite : str
        A key of :data:`SUITES`.
    sim : {"icarus", "verilator"}
        The simulator.
    out_dir : path
        Output root: builds go to ``out_dir/build/<top>-<sim>-<key>`` (``key`` hashes the
        top, sources, parameters and flags; a build is reused while it matches, by every suite
        with the same key, one builder at a time), or under
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
        The design under test: a directory with an ``sctb.toml`` or ``sc.f``, or such a file
        (:func:`~testbench.design.load_design`); default the bundled reference RTL.
    design : Design, optional
        The design under test, already loaded (instead of ``rtl_dir``).
    timeout : float, optional
        Wall-clock seconds before the run (worker and simulator) is killed, a failure that
        names the log; default :func:`suite_timeout`.
    options : SimOptions or mapping, optional
        Optional per-run settings of the suite (fuzz examples, a layer file, a planted emulator
        bug, ...; see :class:`~testbench.runner.settings.SimOptions`). A mapping names its fields.
    extra_env : mapping, optional
        Third-party environment for the simulation (e.g. ``COCOTB_TRUST_INERTIAL_WRITES``); the
        testbench's own settings travel in ``$SCTB_SETTINGS`` (one JSON :class:`SimSettings`).
    coverage : bool
        Code coverage: on Verilator, a build with :data:`~testbench.runner.build.COVERAGE_FLAGS`
        (its own build directory) whose run writes ``code-coverage.dat`` in the run directory
        (``SuiteResult.code_coverage``); on Icarus, ``code_coverage_note`` says why it does not
        apply.

    Returns
    -------
    SuiteResult
        ``failed`` counts failing tests; a build error, a test module that does not import, or
        zero tests run are failures too (``error`` says which). A suite that does not apply
        to the design runs nothing and says why in ``not_applicable``.
    """
    spec = get_suite(suite)
    opts = SimOptions.coerce(options)
    if design is None:
        design = load_design(rtl_dir)
    result = SuiteResult(suite=suite, sim=sim, design=design.name, family=spec.family, seed=seed)
    try:
        fit = applicability(spec, design, sim)
    except PreflightError as e:
        result.error = f"pre-flight check failed: {e}"
        result.failed = 1
        result.failures.append(Failure("<suite>", result.error, replay_command(
            suite, sim, out_dir=out_dir, backend=backend, seed=seed, scale=scale, test=test,
            design=design)))
        return result
    if not fit.applies:
        result.not_applicable = fit.reason
        return result
    reason = simulator_status(sim)
    if reason is not None or _STOPPING.is_set():
        result.error = (f"simulator unavailable: {reason}" if reason is not None
                        else "not run: sctb was interrupted")
        result.failed = 1
        return result
    out_dir = Path(out_dir).resolve()
    sources = list(design.files) + [HDL_DIR / f for f in spec.hdl]
    vlt = [*design.waivers, HDL_DIR / "sc_tb.vlt"]
    includes = [str(p) for p in design.include_dirs]
    defines = dict(design.defines)
    cov = coverage and sim == "verilator"
    if coverage and not cov:
        result.code_coverage_note = ICARUS_NO_COVERAGE
    extras = list(VERILATOR_EXTRAS) if sim == "verilator" else []
    key = build_key(spec, sim, sources + vlt + extras, waves, includes=includes,
                    defines=defines, coverage=cov)
    build_root = Path(os.environ.get("SCTB_SIM_CACHE") or out_dir / "build").resolve()
    # Named by the top, not the suite: suites with the same top, parameters, flags and sources
    # (dense_w8, uvm and fuzz; dense_lif and cycle_dense_lif) share one build.
    build_dir = build_root / (f"{spec.toplevel}-{sim}-" + ("cov-" if cov else "") + key)
    tag = f"{suite}-{sim}-s{seed}" + ("-cov" if cov else "") + (
        f"-{test}" if test else "") + "".join(
        f"-{k}={v}" for k, v in sorted((extra_env or {}).items())) + opts.tag() + (
        "" if design.is_reference else f"-{design.digest()[:8]}")
    run_dir = out_dir / "run" / tag
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    junit = run_dir / "results.xml"
    stats = run_dir / "stats.jsonl"
    settings = SimSettings(backend=backend, seed=seed, scale=scale, sim=sim, stats=stats,
                           dump_dir=run_dir, wmem_file=WMEM_FILE, core=spec.core, options=opts,
                           design_args=tuple(design.cli_args()))
    job = {
        "suite": suite, "sim": sim, "toplevel": spec.toplevel, "test_module": spec.test_module,
        "parameters": dict(spec.parameters), "sources": [str(s) for s in sources + vlt],
        "build_dir": str(build_dir), "key": key, "run_dir": str(run_dir), "junit": str(junit),
        "waves": waves, "test": test if test else (list(spec.tests) if spec.tests else None),
        "seed": seed, "build_args": build_flags(spec, sim, cov) + [str(p) for p in extras],
        "includes": includes, "defines": defines, "timescale": list(TIMESCALE),
        "plusargs": [f"+verilator+coverage+file+{run_dir / 'code-coverage.dat'}"] if cov else [],
        "env": settings.env(),
    }
    env = simulator_env(sim)
    env.pop("PYTEST_CURRENT_TEST", None)  # the runner changes behaviour under pytest
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    # No pytest plugins in the simulator (cocotb's assertion rewriting would load them): with no
    # pytest session there, Hypothesis's plugin would take every example for import-time work.
    env.setdefault("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    # cocotb's default ("*.py") has pytest rewrite the asserts of every module the simulator
    # imports (NumPy, Hypothesis, pyuvm, ...), compiled afresh each run where bytecode is not
    # written: ~0.5 s per run. Only the suites' own modules hold the asserts worth rewriting.
    env.setdefault("COCOTB_REWRITE_ASSERTION_FILES", REWRITE_ASSERTIONS)
    # NumPy's OpenBLAS would start a thread pool in the simulator, and a second thread makes
    # glibc lock stdio per character (the harness reads its weight files through it); the
    # prediction does no linear algebra. With VERILATOR_EXTRAS the simulator runs one thread.
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.update(extra_env or {})
    result.log = run_dir / "sim.log"
    if timeout is None:
        timeout = suite_timeout(scale)
    t0 = time.perf_counter()
    with open(result.log, "w") as log:
        rc = _run_group([sys.executable, "-m", "testbench.runner.worker", json.dumps(job)],
                        cwd=run_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                        timeout=timeout)
    result.seconds = time.perf_counter() - t0
    build_info = run_dir / "build.json"
    if build_info.is_file():
        info = json.loads(build_info.read_text())
        result.build_seconds = info.get("seconds", 0.0)
        if info.get("error"):
            result.error = f"build failed: {info['error']} (log: {info.get('log')})"
    if rc is None and result.error is None:
        result.error = (f"timed out after {timeout:g} s of wall-clock time (killed with its "
                        f"simulator; SCTB_SUITE_TIMEOUT sets the limit; log: {result.log})")
        with open(result.log, "a") as log:
            log.write(f"\nsctb: {result.error}\n")
    def replay(one_test: str | None) -> str:
        return replay_command(suite, sim, out_dir=out_dir, backend=backend, seed=seed,
                              scale=scale, test=one_test, design=design)

    replay_all = replay(test)
    if result.error is None:
        read_results(result, junit, replay)
        name_assertions(result, replay(test))
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
    if cov:
        dat = run_dir / "code-coverage.dat"
        if dat.is_file():
            result.code_coverage = dat
        else:
            result.code_coverage_note = f"the run wrote no coverage file {dat}"
    return result


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
    design: Design | None = None,
    pairs: Sequence[tuple[str, str]] | None = None,
    on_done=None,
    seeds: Sequence[int] | None = None,
    on_start=None,
    coverage: bool = False,
) -> list[SuiteResult]:
    """Run every suite on every simulator, ``jobs`` at a time (each run is its own process).

    ``on_done(result)`` is called as each run finishes (for a progress display), and
    ``on_start(suite, sim, seed)`` as each starts. Results come back in ``suites x sims``
    order, or in the order of ``pairs`` (``(suite, sim)``) when given instead, each under every
    seed of ``seeds`` (default ``[seed]``) in turn. The design is ``design``, else
    ``load_design(rtl_dir)``. ``coverage``: code coverage builds (see :func:`run_suite`). The
    longest runs start first (the dense suite, Verilator builds), so that ``jobs`` workers
    finish together.
    """
    from concurrent.futures import ThreadPoolExecutor

    if design is None:
        design = load_design(rtl_dir)
    pairs = list(pairs) if pairs is not None else [(name, s) for name in suites for s in sims]
    for name, _ in pairs:
        get_suite(name)
    todo = [(name, sim, s) for name, sim in pairs for s in (seeds or [seed])]

    def one(job: tuple[str, str, int]) -> SuiteResult:
        if on_start is not None:
            on_start(*job)
        res = run_suite(job[0], job[1], out_dir=out_dir, backend=backend, seed=job[2],
                        scale=scale, waves=waves, design=design, coverage=coverage)
        if on_done is not None:
            on_done(res)
        return res

    order = longest_first(todo)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        done = dict(zip(order, pool.map(one, [todo[i] for i in order]), strict=True))
    return [done[i] for i in range(len(todo))]


def longest_first(jobs: Sequence[tuple[str, str] | tuple[str, str, int]]) -> list[int]:
    """Indices of ``(suite, sim[, seed])`` jobs, the longest first (a stable sort): with
    several workers, a long run started last would finish alone."""
    return sorted(range(len(jobs)), key=lambda i: -_cost(jobs[i][0], jobs[i][1]))


#: Rough relative run time of the suites (measured on the reference RTL): scheduling only.
_COSTS = {"dense": 20.0, "cycle_dense": 6.0, "fuzz": 5.0, "uvm": 3.0, "blocks": 3.0}


def _cost(suite: str, sim: str) -> float:
    return _COSTS.get(suite, 1.0) + (1.0 if sim == "verilator" else 0.0)
