"""A team's own design through the CLI: named everywhere, not-applicable suites, pre-flight,
replays that work from any directory."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from testbench.design import REFERENCE_RTL

pytestmark = pytest.mark.sim

BIN = Path(sys.executable).parent


def _env() -> dict[str, str]:
    """A shell environment whose ``sctb`` is this interpreter's (as after ``make setup``)."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def _sctb(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "testbench", *args], cwd=cwd, env=_env(),
                          capture_output=True, text=True, timeout=900, check=False)


def _design(tmp_path: Path, drop: tuple[str, ...] = (), mutate: tuple[str, str, str] | None = None
            ) -> Path:
    """A copy of the reference RTL as a user's design (some modules left out, one mutated)."""
    rtl = tmp_path / "team_rtl"
    shutil.copytree(REFERENCE_RTL, rtl)
    files = [ln for ln in (rtl / "sc.f").read_text().splitlines() if ln.strip()]
    (rtl / "sc.f").write_text("".join(f"{f}\n" for f in files if f not in drop))
    if mutate is not None:
        name, old, new = mutate
        text = (rtl / name).read_text()
        assert text.count(old) == 1
        (rtl / name).write_text(text.replace(old, new))
    return rtl


def test_regress_names_the_design_and_reports_not_applicable(tmp_path):
    rtl = _design(tmp_path, drop=("sc_dot_to_current.v", "sc_lif.v", "sc_dense_lif.v"))
    out = tmp_path / "out"
    work = tmp_path / "elsewhere"
    work.mkdir()
    proc = _sctb(["regress", "--golden", "none", "--sim", "icarus", "--suite", "dense_w1",
                  "--suite", "neuron", "--suite", "cycle_w1", "--rtl-dir", str(rtl),
                  "--out", str(out)], cwd=work)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text
    assert f"design team_rtl (a user design): {rtl / 'sc.f'}" in text
    assert "not applicable neuron on icarus (reference suite): needs module " \
           "sc_dot_to_current, sc_lif" in " ".join(text.split())
    doc = json.loads((out / "regress.json").read_text())
    assert doc["design"]["name"] == "team_rtl" and not doc["design"]["reference"]
    files = {Path(f["path"]).name: f["sha256"] for f in doc["design"]["files"]}
    assert "sc_dense.v" in files and "sc_lif.v" not in files and len(files["sc_dense.v"]) == 64
    status = {(r["suite"], r["family"]): r["status"] for r in doc["rtl"]}
    assert status == {("dense_w1", "contract"): "pass", ("neuron", "reference"): "n/a",
                      ("cycle_w1", "reference"): "pass"}
    root = ElementTree.parse(out / "rtl-results.xml").getroot()
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["design"] == "team_rtl" and props["design.source"] == str(rtl / "sc.f")
    assert props[f"design.file.{rtl / 'sc_dense.v'}"] == files["sc_dense.v"]
    skipped = [c for c in root.iter("testcase") if c.find("skipped") is not None]
    assert [c.get("classname") for c in skipped] == ["neuron.icarus"]


def test_nothing_applicable_is_a_failure(tmp_path):
    rtl = _design(tmp_path, drop=("sc_dot_to_current.v", "sc_lif.v", "sc_dense_lif.v"))
    proc = _sctb(["regress", "--golden", "none", "--sim", "icarus", "--suite", "neuron",
                  "--rtl-dir", str(rtl), "--out", str(tmp_path / "out")], cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "nothing was verified" in proc.stdout
    proc = _sctb(["sim", "neuron", "--sim", "icarus", "--rtl-dir", str(rtl),
                  "--out", str(tmp_path / "o2")], cwd=tmp_path)
    assert proc.returncode == 1 and "nothing was verified" in proc.stdout


def test_preflight_failure_is_one_clear_line_before_any_simulation(tmp_path):
    rtl = _design(tmp_path, mutate=("sc_dense.v", "input  wire [16:0]             thr_data,",
                                    "input  wire [15:0]             thr_data,"))
    out = tmp_path / "out"
    proc = _sctb(["regress", "--golden", "none", "--sim", "icarus", "--suite", "dense_w8",
                  "--rtl-dir", str(rtl), "--out", str(out)], cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if "pre-flight check FAILED" in ln]
    assert len(lines) == 1 and "port thr_data is 16 bits wide, the contract needs 17 bits" in \
        lines[0], proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not (out / "run").exists()  # nothing was simulated
    assert json.loads((out / "regress.json").read_text())["preflight_error"]


@pytest.mark.parametrize("args", [
    ["regress", "--rtl-dir", "/nonexistent/design"],
    ["sim", "dense_w8", "--rtl-dir", "/nonexistent/design"],
    ["fuzz", "--target", "rtl", "--rtl-dir", "/nonexistent/design"],
    ["fuzz", "--target", "emu", "--rtl-dir", str(REFERENCE_RTL)],
    ["regress", "--no-rtl", "--rtl-dir", str(REFERENCE_RTL)],
])
def test_bad_design_arguments_are_user_errors(tmp_path, args):
    proc = _sctb(args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "error" in proc.stdout + proc.stderr


def test_replay_reproduces_the_failure_from_another_directory(tmp_path):
    rtl = _design(tmp_path, mutate=("sc_dense.v", "assign mask[j] = (rem > J);",
                                    "assign mask[j] = (rem >= J);"))
    first = tmp_path / "first"
    first.mkdir()
    proc = _sctb(["sim", "dense_w8", "--sim", "icarus", "--seed", "7", "--rtl-dir", str(rtl),
                  "--out", "out"], cwd=first)
    assert proc.returncode == 1, proc.stdout
    replays = [ln.split("replay: ", 1)[1] for ln in proc.stdout.splitlines() if "replay: " in ln]
    failing = [ln.split("FAILED ", 1)[1].split(":")[0] for ln in proc.stdout.splitlines()
               if ln.strip().startswith("FAILED ")]
    assert replays and failing, proc.stdout
    cmd = replays[0]
    words = shlex.split(cmd)
    assert words[:2] == ["sctb", "sim"] and "--seed" in words and words[words.index("--seed") + 1]\
        == "7"
    assert words[words.index("--rtl-dir") + 1] == str(rtl / "sc.f")
    assert Path(words[words.index("--out") + 1]).is_absolute()
    other = tmp_path / "other"
    other.mkdir()
    again = subprocess.run(["bash", "-c", cmd], cwd=other, env=_env(), capture_output=True,
                           text=True, timeout=900, check=False)
    assert again.returncode == 1, again.stdout + again.stderr
    assert f"FAILED {failing[0]}:" in again.stdout
    assert "design team_rtl" in again.stdout


def test_fuzz_rtl_fuzzes_the_named_design(tmp_path):
    rtl = _design(tmp_path)
    proc = _sctb(["fuzz", "--target", "rtl", "--sim", "icarus", "--max-examples", "5",
                  "--rtl-dir", str(rtl), "--out", str(tmp_path / "fz")], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"design team_rtl (a user design): {rtl / 'sc.f'}" in proc.stdout
    assert "team_rtl" in proc.stdout.split("fuzz rtl-icarus-", 1)[1].split(":")[0]
