"""Code coverage through the simulators: a Verilator coverage regression above the stated floor,
"not applicable" on Icarus, and the report's coverage section (sim)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from testbench.report.sections import code_coverage_html
from testbench.runner import ICARUS_NO_COVERAGE, run_suite
from tests.support import ROOT, explain
from tests.support import SIM_OUT as OUT

#: The floors of the CI coverage run (the dense_lif and neuron suites on Verilator: dense_lif
#: instantiates every reference module), in % after waivers. Measured: line 100, branch 100
#: (63 points, 1 waived), toggle 93.3 (docs/coverage.md, with the figures of more suites).
CI_FLOORS = {"line": 100.0, "branch": 100.0, "toggle": 92.0}


@pytest.mark.sim
def test_icarus_coverage_is_not_applicable() -> None:
    """Icarus has no coverage instrumentation: the run says so, never a silent 100%."""
    res = run_suite("neuron", "icarus", out_dir=OUT, seed=1, test="current_directed",
                    coverage=True)
    assert res.ok, explain(res)
    assert res.code_coverage is None
    assert res.code_coverage_note == ICARUS_NO_COVERAGE


@pytest.mark.sim
@pytest.mark.slow
def test_coverage_regression_meets_the_floor(tmp_path) -> None:
    """`sctb regress --coverage` on Verilator (dense_lif, neuron): exit 0, merged, lcov and JSON
    written, line/branch/toggle at or above CI_FLOORS; the coverage build is not the plain
    build (its own directory)."""
    out = tmp_path / "out"
    # The builds are reused between runs: the shared cache, else the other sim tests' one.
    env = {"SCTB_SIM_CACHE": str(OUT / "build"), **os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "testbench", "regress", "--golden", "none", "--sim", "verilator",
         "--suite", "dense_lif", "--suite", "neuron", "--coverage", "--out", str(out),
         "--jobs", "2"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    doc = json.loads((out / "regress.json").read_text())
    cc = doc["code_coverage"]
    assert cc["available"] is True, cc
    got = {k: cc["total"][k]["percent"] for k in CI_FLOORS}
    assert all(got[k] >= CI_FLOORS[k] for k in CI_FLOORS), (got, proc.stdout[-4000:])
    assert (out / "code-coverage" / "coverage.info").read_text().count("end_of_record") >= 5
    assert (out / "code-coverage" / "merged.dat").read_text().startswith("# SystemC::Coverage")
    rtl = doc["rtl"][0]
    assert "-cov" in rtl["code_coverage"] and rtl["code_coverage"].endswith("code-coverage.dat")
    full = json.loads((out / "code-coverage" / "coverage.json").read_text())
    assert full["waived"], "the popcount tree's zero-extension bits are waived, not dropped"
    assert all(p["reason"] for p in full["waived"])
    html = code_coverage_html({"code_coverage": {**full, "available": True}})
    assert 'id="code-coverage"' in html and "sc_dense" in html


@pytest.mark.sim
def test_coverage_of_a_user_design(tmp_path) -> None:
    """`sctb regress --coverage --rtl-dir examples/pipelined_dense`: the coverage is that of the
    user's design (its own modules, by name), and the run names the design."""
    out = tmp_path / "out"
    env = {"SCTB_SIM_CACHE": str(OUT / "build"), **os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "testbench", "regress", "--golden", "none", "--sim", "verilator",
         "--suite", "dense_w1", "--coverage", "--rtl-dir", str(ROOT / "examples/pipelined_dense"),
         "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "design pipelined_dense (a user design)" in proc.stdout
    doc = json.loads((out / "regress.json").read_text())
    assert doc["design"]["name"] == "pipelined_dense" and doc["design"]["reference"] is False
    cc = doc["code_coverage"]
    assert cc["available"] is True, cc
    full = json.loads((out / "code-coverage" / "coverage.json").read_text())
    text = json.dumps(full)
    # The example's own modules are measured; none of the reference's private modules is.
    assert all(m in text for m in ("pd_keystream", "pd_lfsr_window", "pd_popcount"))
    assert "sc_lfsr16" not in text and "sc_popcount" not in text
    info = (out / "code-coverage" / "coverage.info").read_text()
    assert "examples/pipelined_dense/pd_popcount.v" in info


def test_report_section_states_not_applicable() -> None:
    html = code_coverage_html({"code_coverage": {"available": False, "notes": [
        f"blocks on icarus: {ICARUS_NO_COVERAGE}"]}})
    assert "Not applicable" in html and "Icarus Verilog has no code-coverage" in html
    assert code_coverage_html({"code_coverage": None}) == ""


def test_report_section_annotates_missed_lines() -> None:
    tally = {"total": 2, "hit": 1, "waived": 0, "missed": 1, "percent": 50.0}
    data = {"code_coverage": {
        "available": True, "runs": 1, "total": {"line": tally}, "modules": {"m": {"line": tally}},
        "annotated": {"/x/m.v": [{"line": 3, "text": "  x <= 1;", "status": "missed",
                                  "reason": None}, {"gap": True},
                                 {"line": 9, "text": "  y <= 2;", "status": "waived",
                                  "reason": "spare state (sc.cov:2)"}]},
        "never_toggled": {"m": ["q[1]"]},
        "waived": [{"module": "m", "kind": "line", "name": "block", "line": 9,
                    "reason": "spare state (sc.cov:2)"}],
        "unused_waivers": []}}
    html = code_coverage_html(data)
    assert '<tr class="missed"><td class="num">3</td><td>  x &lt;= 1;</td></tr>' in html
    assert 'class="waived" title="spare state (sc.cov:2)"' in html
    assert 'id="never-toggled"' in html and "q[1]" in html
    assert 'id="waived"' in html and "50.0%" in html
