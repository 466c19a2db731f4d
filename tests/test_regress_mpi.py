"""``sctb regress`` over MPI ranks gives the serial run's results; ``--seeds`` (mpi, sim)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from testbench.cli.regress import seed_range
from testbench.perf.regress_bench import timeless
from testbench.runner.distributed import job_list
from testbench.runner.run import longest_first
from testbench.sweep.mpi import find_mpiexec
from tests.support import ROOT

MPIEXEC = find_mpiexec()
ARGS = ["regress", "--suite", "neuron", "--suite", "dense_w1", "--sim", "icarus",
        "--golden", "none", "--seeds", "1..2"]


def _junit(path: Path) -> list[tuple]:
    root = ElementTree.parse(path).getroot()
    return [(s.get("name"), s.get("tests"), s.get("failures"),
             [(c.get("classname"), c.get("name"), [e.tag for e in c]) for c in s.iter("testcase")])
            for s in root.iter("testsuite")]


def _regress(out: Path, *launcher: str) -> subprocess.CompletedProcess:
    return subprocess.run([*launcher, sys.executable, "-m", "testbench", *ARGS, "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.mpi
@pytest.mark.sim
@pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not found (pip install mpich mpi4py)")
def test_two_ranks_write_the_serial_results(tmp_path: Path) -> None:
    """The same regress.json and merged JUnit as a serial run, apart from times; the same out
    directory, so that the paths in them match too."""
    out = tmp_path / "out"
    serial = _regress(out)
    assert serial.returncode == 0, serial.stdout + serial.stderr
    doc = json.loads((out / "regress.json").read_text())
    junit = _junit(out / "rtl-results.xml")
    assert [(r["suite"], r["seed"]) for r in doc["rtl"]] == [
        ("neuron", 1), ("neuron", 2), ("dense_w1", 1), ("dense_w1", 2)]
    assert all(r["ok"] for r in doc["rtl"])
    assert [s[0] for s in junit] == ["neuron.icarus.s1", "neuron.icarus.s2",
                                     "dense_w1.icarus.s1", "dense_w1.icarus.s2"]

    two = _regress(out, MPIEXEC, "-n", "2")
    assert two.returncode == 0, two.stdout + two.stderr
    assert "on 2 MPI ranks" in two.stdout or "[4/4]" in two.stdout, two.stdout
    assert timeless(json.loads((out / "regress.json").read_text())) == timeless(doc)
    assert _junit(out / "rtl-results.xml") == junit


def test_seed_range() -> None:
    assert seed_range("3..5") == range(3, 6) and seed_range("7..7") == range(7, 8)
    for bad in ("5..3", "1", "a..b", "-1..2", "1..2..3"):
        with pytest.raises(argparse.ArgumentTypeError, match="expected"):
            seed_range(bad)


def test_jobs_are_suite_sim_seed_and_the_longest_go_first() -> None:
    jobs = job_list([("neuron", "icarus"), ("dense", "icarus")], [1, 2])
    assert jobs == (("neuron", "icarus", 1), ("neuron", "icarus", 2), ("dense", "icarus", 1),
                    ("dense", "icarus", 2))
    assert longest_first(jobs) == [2, 3, 0, 1]


def test_a_job_of_a_lost_rank_fails_and_names_the_rank(monkeypatch) -> None:
    """A rank lost mid-job (the sweep's dispatcher saw no answer) leaves its job without a
    result: that job is a failure naming the rank, never a pass; the others keep theirs."""
    from testbench.design import load_design
    from testbench.runner import SuiteResult, distributed
    from testbench.sweep import workqueue

    class Comm:
        def bcast(self, obj, root=0):
            return obj

    def queue(comm, todo, run_one, *, timeout_s, on_record=None, **kw):
        assert todo == [0, 1]
        on_record((0, SuiteResult(suite="neuron", sim="icarus", seed=1, tests=5, passed=5)))
        return {1: "no answer for 9000 s while running point #1 (dead or hung)"}, []

    monkeypatch.setattr(workqueue, "work_queue", queue)
    lost = []
    work = distributed.RtlJobs((("neuron", "icarus", 1), ("neuron", "icarus", 2)), "out",
                               "numpy", 1.0, load_design(None))
    results = distributed.run_jobs(Comm(), work, on_lost=lambda r, why: lost.append(r))
    assert results[0].ok and lost == [1]
    assert not results[1].ok and results[1].seed == 2
    assert "rank 1 lost" in results[1].error and "dead or hung" in results[1].error
