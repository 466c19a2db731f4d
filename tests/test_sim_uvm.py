"""The pyuvm suite and in-simulator hypothesis on Icarus and Verilator (sim)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from testbench import coverage
from testbench.fuzz import load_txn
from testbench.runner import SIMULATORS, run_suite
from tests.support import ROOT, explain
from tests.support import SIM_OUT as OUT
from tests.test_fuzz import assert_shrunk_to_minimal

pytestmark = pytest.mark.sim



@pytest.mark.parametrize("sim_name", SIMULATORS)
def test_uvm_suite_passes_and_closes_coverage(sim_name: str) -> None:
    """The three @pyuvm.test() variants pass (the hypothesis one ran its 30 examples as items
    through the sequencer, driver and scoreboard); every required coverage bin is hit."""
    res = run_suite("uvm", sim_name, out_dir=OUT, seed=1)
    assert res.ok and res.tests == 3, explain(res)
    assert set(res.per_test) == {"DirectedTest", "RandomTest", "HypothesisTest"}
    assert res.per_test["DirectedTest"]["transactions"] == 9
    assert res.per_test["RandomTest"]["transactions"] == 16
    # The scoreboard compared one item per hypothesis example.
    assert res.per_test["HypothesisTest"]["transactions"] == 30
    info = json.loads((res.log.parent / "fuzz-result.json").read_text())
    assert info["examples"] == 30 and not info["failed"], info
    report = json.loads((res.log.parent / "coverage.json").read_text())
    assert coverage.missing(report) == [], report


def test_uvm_scoreboard_catches_a_wrong_model(tmp_path: Path) -> None:
    """With a planted wrong golden model every variant fails with the first mismatch; the
    hypothesis one shrinks it to the minimal item, saved, with the replay commands."""
    res = run_suite("uvm", "icarus", out_dir=tmp_path, seed=1,
                    extra_env={"SCTB_PLANTED_BUG": "last_bit"}, options={"fuzz_examples": 60})
    assert not res.ok and res.failed == 3 and res.error is None, explain(res)
    assert all("first mismatch" in f.message for f in res.failures), explain(res)
    (hyp,) = [f for f in res.failures if f.test.endswith("HypothesisTest")]
    assert "hypothesis found a failing transaction" in hyp.message, explain(res)
    info = json.loads((res.log.parent / "fuzz-result.json").read_text())
    assert info["failed"] and info["examples"] > 60, info  # shrinking ran more examples
    assert_shrunk_to_minimal(*load_txn(info["minimal"]))
    assert f"replay: {info['replay']['icarus']}" in hyp.message, explain(res)
    assert info["replay"]["icarus"].startswith("sctb fuzz --replay ")
    assert info["replay"]["emu"].endswith("--target emu")


@pytest.mark.parametrize("sim_name", SIMULATORS)
def test_hypothesis_suite_passes(sim_name: str) -> None:
    """@given in the simulator: 40 examples (DUT reset each) pass on the real RTL."""
    res = run_suite("fuzz", sim_name, out_dir=OUT, seed=1)
    assert res.ok and res.tests == 1, explain(res)
    info = json.loads((res.log.parent / "fuzz-result.json").read_text())
    assert info["examples"] == 40 and not info["failed"]


def test_planted_bug_is_found_shrunk_saved_and_replayed(tmp_path: Path) -> None:
    """A wrong golden model (drops bit 63 of the last word when length % 64 == 0) is found in
    the simulator, shrunk to exactly the minimal case (1x1, length 64, the one weight bit 63,
    p = 1.0), saved, and the printed replay commands reproduce it on Icarus and on the
    emulator (and pass without the bug)."""
    res = run_suite("fuzz", "icarus", out_dir=tmp_path, seed=1,
                    extra_env={"SCTB_PLANTED_BUG": "last_bit"}, options={"fuzz_examples": 1500})
    assert not res.ok and res.failed == 1 and res.error is None, explain(res)
    info = json.loads((res.log.parent / "fuzz-result.json").read_text())
    assert info["failed"]
    assert_shrunk_to_minimal(*load_txn(info["minimal"]))
    assert "replay: sctb fuzz --replay" in res.failures[0].message
    for key, target in (("icarus", "rtl"), ("emu", "emu")):
        args = shlex.split(info["replay"][key])
        assert args[:2] == ["sctb", "fuzz"] and "--target" in args and target in args
        cmd = [sys.executable, "-m", "testbench", *args[1:], "--out",
               str(tmp_path / f"replay-{key}")]
        for planted, rc in (("last_bit", 1), (None, 0)):
            env = dict(os.environ)
            env.pop("SCTB_PLANTED_BUG", None)
            if planted:
                env["SCTB_PLANTED_BUG"] = planted
            proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                                  check=False)
            assert proc.returncode == rc, (key, planted, proc.stdout + proc.stderr)
