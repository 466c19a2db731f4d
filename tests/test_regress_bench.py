"""``sctb bench --regress``: the plumbing of the cold / warm / one-file-changed runs and of the
MPI measure, at tiny size (sim; the real figures come from the command, never from a timed
test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testbench import cli
from testbench.perf import regress_bench
from testbench.perf.regress_bench import GOALS, bench_regress
from tests.test_regress_mpi import MPIEXEC

pytestmark = pytest.mark.sim


def _cached(out: Path, run: str) -> list[bool]:
    return [json.loads(p.read_text())["cached"]
            for p in sorted((out / run / "run").glob("*/build.json"))]


def test_three_regressions_in_one_cache(tmp_path: Path) -> None:
    report = bench_regress(["--suite", "neuron", "--sim", "icarus", "--golden", "none"],
                           out=tmp_path, overhead=False, ranks=0)
    assert report["mpi"] is None and "mpi_speedup" not in report["measured"]
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


TINY_SET = ("--golden", "none", "--suite", "neuron", "--sim", "icarus", "--seeds", "1..2")


@pytest.mark.mpi
@pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not found (pip install mpich mpi4py)")
def test_mpi_measure_compares_one_rank_with_two(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(regress_bench, "MPI_SET", TINY_SET)
    rtl = tmp_path / "rtl"
    import shutil

    shutil.copytree(regress_bench.RTL_DIR, rtl)
    got = regress_bench._mpi_measure(2, tmp_path, tmp_path / "cache", rtl, rounds=2)
    assert got["applicable"] and got["ranks"] == 2 and got["args"] == list(TINY_SET)
    assert [len(v) for v in got["seconds"].values()] == [2, 2]
    assert got["one_rank"]["seconds"] == min(got["seconds"]["one_rank"])
    assert got["n_ranks"]["seconds"] == min(got["seconds"]["n_ranks"])
    assert got["one_rank"]["passed"] and got["n_ranks"]["passed"], got
    assert "--jobs 1" in got["one_rank"]["command"]
    assert got["n_ranks"]["command"].startswith(f"{MPIEXEC} -n 2 ")
    assert got["identical"] is True
    assert got["speedup"] == pytest.approx(got["one_rank"]["seconds"]
                                           / got["n_ranks"]["seconds"])
    doc = json.loads((tmp_path / "mpi" / "regress.json").read_text())
    assert [(r["suite"], r["seed"], r["ok"]) for r in doc["rtl"]] == [
        ("neuron", 1, True), ("neuron", 2, True)]


def test_no_mpiexec_is_not_applicable_never_a_pass(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(regress_bench, "find_mpiexec", lambda: None)
    monkeypatch.setattr(regress_bench, "_regress", lambda *a, **k: pytest.fail("ran a regress"))
    got = regress_bench._mpi_measure(2, tmp_path, tmp_path / "cache", tmp_path / "rtl")
    assert got == {"applicable": False, "ranks": 2,
                   "why": "not applicable: mpiexec not found (pip install 'sctb[mpi]')"}


def test_the_mpi_goal_is_a_floor_the_others_ceilings() -> None:
    assert regress_bench.goal_met("mpi_speedup", 1.8)
    assert not regress_bench.goal_met("mpi_speedup", 1.6)
    assert regress_bench.goal_met("warm", 59.0) and not regress_bench.goal_met("warm", 61.0)
    assert not regress_bench.goal_met("cocotb_overhead", 2.1)


def test_one_rank_is_a_usage_error(capsys) -> None:
    assert cli.main(["bench", "--regress", "--regress-ranks", "1"]) == 2
    assert "--regress-ranks 1" in capsys.readouterr().out


def test_overhead_is_the_best_of_alternated_rounds(tmp_path: Path) -> None:
    from testbench.perf.overhead import measure_overhead

    r = measure_overhead(tmp_path, scale=0.25, rounds=2)
    assert r.transactions == 1 and r.bit_products > 0 and r.hdl_cycles > 0
    assert r.cocotb_seconds > 0 and r.hdl_seconds > 0
    assert r.ratio == pytest.approx(r.cocotb_seconds / r.hdl_seconds)
    stats = (tmp_path / "run" / "dense-verilator-s1-throughput" / "stats.jsonl").read_text()
    assert '"test": "throughput"' in stats
    with pytest.raises(ValueError, match="rounds must be >= 1, got 0"):
        measure_overhead(tmp_path, rounds=0)
