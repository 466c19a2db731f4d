"""The worked example of a user's design (examples/pipelined_dense): the contract family passes on
both simulators, the reference family is not applicable, and its three planted bugs are caught."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testbench.design import load_design, tomllib
from testbench.runner import SUITES

pytestmark = pytest.mark.sim

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "pipelined_dense"
BUGS = tomllib.loads((EXAMPLE / "bugs.toml").read_text())


def _sctb(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("PYTEST_CURRENT_TEST", None)
    return subprocess.run([sys.executable, "-m", "testbench", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=1800, check=False)


def test_example_is_an_independent_design():
    design = load_design(EXAMPLE)
    modules = design.modules()
    assert "sc_dense" in modules
    # Its own sub-modules, none of the reference's.
    assert not {"sc_lfsr16", "sc_sng", "sc_popcount"} & set(modules)
    reference = (ROOT / "rtl_models" / "sc_dense.v").read_text()
    assert (EXAMPLE / "sc_dense.v").read_text() != reference


def test_bugs_are_one_exact_replacement_each():
    assert set(BUGS) == {"tail_mask", "seed_offset", "gap_duplicate"}
    for name, bug in BUGS.items():
        text = (EXAMPLE / bug["file"]).read_text()
        assert text.count(bug["old"]) == 1, name
        assert bug["new"] != bug["old"] and bug["description"]


@pytest.mark.slow
def test_regress_on_the_example(tmp_path):
    """``sctb regress --rtl-dir examples/pipelined_dense``: the contract family passes on both
    simulators; every reference suite is reported not applicable with its reason."""
    out = tmp_path / "out"
    proc = _sctb(["regress", "--golden", "none", "--rtl-dir", str(EXAMPLE), "--out", str(out)],
                 cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    doc = json.loads((out / "regress.json").read_text())
    assert doc["design"]["name"] == "pipelined_dense" and doc["passed"]
    rows = {(r["suite"], r["sim"]): r for r in doc["rtl"]}
    for (suite, sim), r in rows.items():
        family = SUITES[suite].family
        if suite == "dense_lif":  # a contract suite of a block the example does not define
            assert r["status"] == "n/a" and "needs module sc_dense_lif" in r["not_applicable"]
        elif family == "contract":
            assert r["status"] == "pass" and r["tests"] > 0, (suite, sim, r)
        else:
            assert r["status"] == "n/a" and r["not_applicable"].startswith("needs "), r
    ran = {(s, sim) for (s, sim), r in rows.items() if r["status"] == "pass"}
    assert ran == {(s, sim) for s in ("dense", "dense_w8", "dense_w1", "uvm", "fuzz")
                   for sim in ("icarus", "verilator")}


def _buggy(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / f"pipelined_dense_{name}"
    shutil.copytree(EXAMPLE, dest)
    bug = BUGS[name]
    path = dest / bug["file"]
    path.write_text(path.read_text().replace(bug["old"], bug["new"]))
    return dest


@pytest.mark.parametrize("name", sorted(BUGS))
def test_planted_bug_is_caught_by_the_contract_family(tmp_path, name):
    buggy = _buggy(tmp_path, name)
    proc = _sctb(["sim", "dense_w8", "--sim", "icarus", "--rtl-dir", str(buggy),
                  "--out", str(tmp_path / "out")], cwd=tmp_path)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 1, text[-4000:]
    assert f"design pipelined_dense_{name}" in text
    assert "FAIL dense_w8 on icarus" in text and "first mismatch" in text, text[-4000:]
    assert "replay: sctb sim dense_w8" in text


def test_planted_bug_is_caught_on_verilator(tmp_path):
    buggy = _buggy(tmp_path, "seed_offset")
    proc = _sctb(["sim", "dense_w8", "--sim", "verilator", "--rtl-dir", str(buggy),
                  "--out", str(tmp_path / "out")], cwd=tmp_path)
    assert proc.returncode == 1 and "FAIL dense_w8 on verilator" in proc.stdout, \
        proc.stdout[-4000:]
