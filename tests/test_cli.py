"""The ``sctb`` CLI: compare, bench, regress, and that a mismatch really fails."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import golden
from golden import _backend
from testbench import cli
from testbench.compare import compare_backends
from testbench.perf.bench import bench_neuron, get_workload, run_bench


class _OffByOne(golden.NumpyBackend):
    """A planted wrong golden model: one count too many on output 0 of wide layers."""

    name = "offbyone"

    def sc_counts(self, weights_packed, input_probs, *, length, seed=golden.DEFAULT_SEED):
        out = super().sc_counts(weights_packed, input_probs, length=length, seed=seed)
        if out.size and np.asarray(input_probs).size > 5:
            out[0] += 1
        return out


@pytest.fixture
def planted(monkeypatch):
    monkeypatch.setitem(_backend._REGISTRY, "offbyone", "tests.test_cli:_OffByOne")
    monkeypatch.setattr(_backend, "PRIORITY", golden.PRIORITY + ("offbyone",))
    monkeypatch.setattr(golden, "PRIORITY", _backend.PRIORITY)
    _backend._instances.pop("offbyone", None)


def test_compare_finds_a_planted_mismatch(planted, capsys) -> None:
    rows = compare_backends(n_random=10, backends=["offbyone"], include_upstream=False)
    bad = rows[1]
    assert bad.backend == "offbyone" and bad.mismatches > 0 and not bad.ok
    assert "n_out=" in bad.first_mismatch and "seed=" in bad.first_mismatch
    assert cli.main(["compare", "--random", "10", "--backend", "offbyone"]) == 1
    assert "MISMATCH" in capsys.readouterr().out


def test_compare_passes_and_checks_the_contract_vectors(capsys) -> None:
    assert cli.main(["compare", "--random", "5", "--backend", "numpy"]) == 0
    out = capsys.readouterr().out
    assert "contract" in out and "bit-identical" in out
    rows = compare_backends(n_random=5, backends=["numpy"], include_upstream=False)
    assert rows[0].cases == 5 and rows[0].ok and rows[1].cases > 50


def test_regress_writes_results(tmp_path, capsys) -> None:
    assert cli.main(["regress", "--out", str(tmp_path), "--random", "5", "--no-rtl"]) == 0
    summary = json.loads((tmp_path / "regress.json").read_text())
    assert summary["passed"] is True
    floor = summary["suites"][0]
    assert floor["backend"] == "numpy vs contract vectors" and floor["cases"] == 5
    assert floor["mismatches"] == 0


def test_regress_fails_on_a_mismatch(planted, tmp_path, capsys) -> None:
    assert cli.main(["regress", "--out", str(tmp_path), "--random", "5", "--no-rtl"]) == 1
    assert "FAILED" in capsys.readouterr().out
    assert json.loads((tmp_path / "regress.json").read_text())["passed"] is False


def test_bench_report_shape() -> None:
    report = run_bench(["W1"], ["numpy"], include_upstream=False, encoder_bits=1 << 16,
                       neuron_size=(10, 16))
    assert report["read_bandwidth_GBps"] > 0
    (w1,) = report["workloads"]
    assert (w1["n_out"], w1["n_in"], w1["length"]) == (128, 128, 4096)
    assert w1["weight_bytes"] == 128 * 128 * 64 * 8
    (row,) = w1["results"]
    assert row["backend"] == "numpy" and row["vs_numpy"] == 1.0 and row["seconds"] > 0
    assert row["vs_roofline"] == pytest.approx(row["seconds"] / w1["roofline_s"])
    assert report["encoder"][0]["bits_per_s"] > 0
    assert report["neuron"][0]["model"] == "numpy"


def test_bench_neuron_times_every_model_against_numpy() -> None:
    rows, skipped = bench_neuron(steps=20, neurons=64)
    assert rows[0]["model"] == "numpy" and rows[0]["vs_numpy"] == 1.0
    assert {r["model"] for r in rows} | {k.split()[1] for k in skipped} == {"numpy", "jax", "rust"}
    assert all(r["seconds"] > 0 and r["steps"] == 20 and r["neurons"] == 64 for r in rows)


def test_bench_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown workload 'W9'; valid names: W1, W2"):
        get_workload("W9")
    with pytest.raises(ValueError, match=r"unknown backend\(s\) \['nope'\]"):
        run_bench(["W1"], ["nope"])
    assert cli.main(["bench", "--backend", "nope"]) == 2


def test_console_script_and_module_entry_points() -> None:
    script = pathlib.Path(sys.executable).parent / "sctb"
    for cmd in ([str(script), "--help"], [sys.executable, "-m", "testbench", "--help"]):
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        assert "compare" in out and "bench" in out and "regress" in out
