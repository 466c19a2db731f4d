"""RTL suites on Icarus and Verilator, lint, and RTL mutations the suites must catch (sim)."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from testbench import runner as sim
from testbench.runner import SIMULATORS, SUITES, run_suite
from tests.support import ROOT, explain, lint, mutant
from tests.support import SIM_OUT as OUT

pytestmark = pytest.mark.sim


#: Tests each suite's module defines; a suite that runs fewer has lost tests. (The cycle, uvm and
#: fuzz suites have their own test files: tests/test_sim_cycle.py, tests/test_sim_uvm.py.)
MIN_TESTS = {"blocks": 4, "dense": 14, "dense_w8": 14, "dense_w1": 14, "neuron": 5,
             "dense_lif": 7, "cycle_dense_lif": 2}


@pytest.mark.parametrize("sim_name", SIMULATORS)
@pytest.mark.parametrize("suite", [s for s in SUITES if s in MIN_TESTS])
def test_suite_passes(suite: str, sim_name: str) -> None:
    """Every suite passes on both simulators; an unavailable simulator or a build error fails."""
    res = run_suite(suite, sim_name, out_dir=OUT, seed=1)
    assert res.ok, explain(res)
    assert res.tests >= MIN_TESTS[suite], explain(res)
    assert res.passed == res.tests
    if suite.startswith("dense"):
        assert res.transactions > 0 and res.bit_products > 0


@pytest.mark.parametrize("sim_name, trust", [("icarus", "1"), ("verilator", "0")])
def test_other_write_mode(sim_name: str, trust: str) -> None:
    """Driving on the falling edge, both cocotb write modes give the same (passing) results."""
    res = run_suite("dense_w8", sim_name, out_dir=OUT, seed=2,
                    extra_env={"COCOTB_TRUST_INERTIAL_WRITES": trust})
    assert res.ok, explain(res)


@pytest.mark.parametrize(
    "top, params",
    [
        ("sc_dense", []),
        ("sc_dense", ["-GN_IN=1", "-GN_OUT=1", "-GW=1"]),
        ("sc_dense", ["-GN_IN=5", "-GN_OUT=3", "-GW=8"]),
        ("sc_dense", ["-GN_IN=3", "-GN_OUT=7", "-GW=64"]),
        ("sc_lfsr16", ["-GW=64"]),
        ("sc_sng", ["-GW=8"]),
        ("sc_popcount", ["-GW=13"]),
        ("sc_popcount", ["-GW=1"]),
    ],
)
def test_rtl_lint_clean(top: str, params: list[str]) -> None:
    """``verilator --lint-only -Wall`` on sc.f prints nothing (waivers: rtl_models/sc.vlt)."""
    proc = lint(top, params)
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr


def test_filelist_is_one_module_per_file() -> None:
    """Each file of sc.f holds exactly one module, named like the file."""
    for path in sim.rtl_sources():
        modules = re.findall(r"^\s*module\s+(\w+)", path.read_text(), flags=re.MULTILINE)
        assert modules == [path.stem], (path, modules)


# ---- mutations: a broken RTL line must make a suite fail, with a replay command ----------------
MUTATIONS = {
    "lfsr_tap": ("sc_lfsr16.v", "s = {s[14:0], s[15] ^ s[13] ^ s[12] ^ s[10]};",
                 "s = {s[14:0], s[15] ^ s[13] ^ s[11] ^ s[10]};"),
    "comparator": ("sc_sng.v", "states[16*j +: 16]} < x", "states[16*j +: 16]} <= x"),
    "popcount_bit": ("sc_popcount.v", "end else if (k >= W) begin : g_pad",
                     "end else if (k >= W || k == 1) begin : g_pad"),
    "seed_offset": ("sc_dense.v", ".seed    (cfg_seed + I16)", ".seed    (cfg_seed + I16 + 16'd1)"),
    "length_mask": ("sc_dense.v", "assign mask[j] = (rem > J);", "assign mask[j] = (rem >= J);"),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_mutation_is_caught(name: str, tmp_path: Path) -> None:
    """The dense_w8 suite fails on a mutated RTL copy and prints the first mismatch and a replay."""
    rtl = mutant(tmp_path, *MUTATIONS[name])
    res = run_suite("dense_w8", "icarus", out_dir=tmp_path / "out", seed=1, rtl_dir=rtl)
    assert not res.ok and res.failed > 0 and res.error is None, explain(res)
    assert any("first mismatch" in f.message for f in res.failures), explain(res)
    for f in res.failures:
        assert "--rtl-dir" in f.replay and "sctb sim dense_w8" in f.replay
        assert "--out" in f.replay and "--seed 1" in f.replay


def test_mutation_is_caught_on_verilator(tmp_path: Path) -> None:
    """The comparator mutation also fails the default-configuration suite on Verilator.

    ``<=`` differs from ``<`` only when a state equals the threshold: the throughput test's
    4 x 16 streams of 16384 bits meet that for nearly every input.
    """
    rtl = mutant(tmp_path, *MUTATIONS["comparator"])
    res = run_suite("dense", "verilator", out_dir=tmp_path / "out", seed=1, rtl_dir=rtl,
                    test="throughput")
    assert not res.ok and res.failed == 1 and res.tests == 1, explain(res)
    assert "first mismatch" in res.failures[0].message


def test_mutation_breaks_lfsr_block(tmp_path: Path) -> None:
    """The tap mutation fails the LFSR full-period block test."""
    rtl = mutant(tmp_path, *MUTATIONS["lfsr_tap"])
    res = run_suite("blocks", "icarus", out_dir=tmp_path / "out", seed=1, rtl_dir=rtl,
                    test="lfsr_full_period_w1")
    assert not res.ok and res.failed == 1, explain(res)


# ---- the runner never turns a broken flow into a pass ------------------------------------------
def test_build_error_is_a_failure(tmp_path: Path) -> None:
    rtl = mutant(tmp_path, "sc_sng.v", "assign bits[j] =", "assign bits[j] = = ")
    res = run_suite("dense_w8", "icarus", out_dir=tmp_path / "out", rtl_dir=rtl)
    # The pre-flight elaboration meets the syntax error first: still a failure, with the
    # compiler's first error in the message (never a skip, never "not applicable").
    assert not res.ok and res.error is not None and res.not_applicable is None
    assert res.error.startswith("pre-flight check failed") and "syntax error" in res.error
    assert res.failed >= 1 and res.failures and res.failures[0].replay


def test_unimportable_test_module_is_a_failure(tmp_path: Path, monkeypatch) -> None:
    broken = dataclasses.replace(SUITES["dense_w8"], name="broken",
                                     test_module="testbench.suites.no_such_module")
    monkeypatch.setitem(SUITES, "broken", broken)
    res = run_suite("broken", "icarus", out_dir=tmp_path / "out")
    assert not res.ok and res.failed >= 1, explain(res)
    assert "ModuleNotFoundError" in (res.error or ""), explain(res)


def test_zero_tests_is_a_failure(tmp_path: Path) -> None:
    res = run_suite("dense_w8", "icarus", out_dir=tmp_path / "out", test="no_test_has_this_name")
    assert not res.ok and res.failed >= 1 and res.tests == 0, explain(res)


def test_unknown_suite_lists_valid_names() -> None:
    with pytest.raises(KeyError, match="valid suites: blocks, dense"):
        sim.get_suite("nope")


def test_replay_command_reproduces_the_failure(tmp_path: Path) -> None:
    """The printed replay command reruns the failing test (with waves) and exits 1."""
    rtl = mutant(tmp_path, *MUTATIONS["seed_offset"])
    res = run_suite("dense_w8", "icarus", out_dir=tmp_path / "out", rtl_dir=rtl,
                    test="golden_vectors")
    assert not res.ok and len(res.failures) == 1, explain(res)
    replay = res.failures[0].replay.split()
    assert replay[:2] == ["sctb", "sim"] and "--out" in replay and "--seed" in replay, replay
    cmd = [sys.executable, "-m", "testbench", *replay[1:], "--out", str(tmp_path / "replay")]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL dense_w8 on icarus" in proc.stdout and "first mismatch" in proc.stdout
    assert "waves: " in proc.stdout and ".fst" in proc.stdout, proc.stdout


def test_matrix_and_merged_junit(tmp_path: Path) -> None:
    """run_matrix runs suites in parallel; merge_junit keeps every case and every failure."""
    done = []
    results = sim.run_matrix(["dense_w1", "dense_w8"], ["icarus"], out_dir=tmp_path / "out",
                             jobs=2, on_done=done.append)
    assert [r.suite for r in results] == ["dense_w1", "dense_w8"] and len(done) == 2
    assert all(r.ok for r in results), [explain(r) for r in results]
    merged = sim.merge_junit(results, tmp_path / "merged.xml")
    root = ElementTree.parse(merged).getroot()
    assert sum(1 for _ in root.iter("testcase")) == sum(r.tests for r in results)
    assert not list(root.iter("failure"))


def test_suites_of_one_configuration_share_a_build(tmp_path: Path, monkeypatch) -> None:
    """dense_lif and cycle_dense_lif (one top, parameters and flags) run at once on an empty
    build cache: one of them builds, the other waits and reuses that build."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("SCTB_SIM_CACHE", str(cache))
    results = sim.run_matrix([], [], pairs=[("dense_lif", "icarus"),
                                            ("cycle_dense_lif", "icarus")],
                             out_dir=tmp_path / "out", jobs=2)
    assert all(r.ok for r in results), [explain(r) for r in results]
    builds = sorted(p.name for p in cache.iterdir() if p.is_dir() and p.name != "preflight")
    assert len(builds) == 1 and builds[0].startswith("sc_dense_lif-icarus-"), builds
    infos = [json.loads((r.log.parent / "build.json").read_text()) for r in results]
    assert sorted(i["cached"] for i in infos) == [False, True], infos


def test_hdl_only_selftest_matches_documented_timing(tmp_path: Path) -> None:
    """sc_dense_selftest (no Python) gets golden counts back to back, in exactly the cycles that
    docs/microarchitecture.md gives: sum of 1 + N_IN + ceil(L / W) + N_OUT."""
    import numpy as np

    import golden
    from testbench.model import CoreShape, random_txn
    from testbench.perf.overhead import run_selftest

    core = CoreShape(n_in=5, n_out=3, w=8)
    rng = np.random.default_rng(5)
    txns = [random_txn(rng, 3, 5, length, tail_garbage=True) for length in (1, 8, 9, 100, 777)]
    seconds, cycles = run_selftest(core, txns, tmp_path, golden.get_backend("numpy"), jobs=1)
    assert cycles == sum(1 + 5 + -(-t.length // 8) + 3 for t in txns) and seconds > 0


@pytest.mark.parametrize("sim_name", ["icarus", "verilator"])
def test_the_simulator_runs_one_thread(sim_name, tmp_path):
    """The simulator process has one thread while the tests run (sc_tb_threads.cpp on Verilator,
    OPENBLAS_NUM_THREADS=1 for NumPy): with a second one, glibc locks stdio per character and
    the harness's $fread of the weight buffer runs ~4x slower (docs/regression.md)."""
    res = run_suite("dense_w8", sim_name, out_dir=tmp_path, test="throughput")
    assert res.ok, res.error or res.failures
    assert res.per_test["throughput"]["sim_threads"] == 1, res.per_test
