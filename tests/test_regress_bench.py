"""``sctb bench --regress``: the plumbing of the cold / warm / one-file-changed runs, at tiny
size (sim; the real figures come from the command, never from a timed test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testbench import cli
from testbench.perf.regress_bench import GOALS, bench_regress

pytestmark = pytest.mark.sim


def _cached(out: Path, run: str) -> list[bool]:
    return [json.loads(p.read_text())["cached"]
            for p in sorted((out / run / "run").glob("*/build.json"))]


def test_three_regressions_in_one_cache(tmp_path: Path) -> None:
    report = bench_regress(["--suite", "neuron", "--sim", "icarus", "--golden", "none"],
                           out=tmp_path, overhead=False)
    assert set(report["runs"]) == {"cold", "warm", "one_file"}
    assert all(r["passed"] for r in report["runs"].values()), report["runs"]
    for name, seconds in report["measured"].items():
        assert seconds > 0 and report["ratios"][name] == pytest.approx(seconds / GOALS[name])
    # cold builds, warm reuses the build, the changed file rebuilds it
    assert _cached(tmp_path, "cold") == [False]
    assert _cached(tmp_path, "warm") == [True]
    assert _cached(tmp_path, "one_file") == [False]
    assert (tmp_path / "rtl" / "sc_dense.v").read_text().startswith("// sctb bench")


def test_bad_regress_args_is_a_usage_error(capsys) -> None:
    assert cli.main(["bench", "--regress", "--regress-args", "'unclosed"]) == 2
    assert "--regress-args" in capsys.readouterr().out
