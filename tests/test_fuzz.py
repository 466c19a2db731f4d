"""Strategies, the fuzz campaign engine, coverage bins and ``sctb fuzz`` (backends and emu)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import golden
from testbench import coverage, fuzz
from testbench.cli.fuzz import execute_backends, execute_emu
from testbench.fuzz.strategies import EDGE_SEEDS, dense_txns, probabilities

ROOT = Path(__file__).resolve().parent.parent


def _numpy(txn, drive):
    return golden.get_backend("numpy").sc_counts(txn.weights, txn.probs, length=txn.length,
                                                 seed=txn.seed)


def test_p_bins() -> None:
    assert [coverage.p_bin(p) for p in (0.0, 1.0, 0.5 / 65536, 1e-9, 0.3, 3.5 / 65536)] == [
        "zero", "one", "tie", "tiny", "other", "tie"]


def test_txn_info_bins() -> None:
    info = coverage.TxnInfo.of((7, 1), [0.25], 128, 0xFFFF, 5, 3, back_to_back=True, gap=0.3,
                               backpressure=0.0)
    assert info["seed"] == "plain"  # one input: no wrap
    info = coverage.TxnInfo.of((3, 5), [0.25] * 5, 65, 0xFFFE, 5, 3, back_to_back=False,
                               gap=0.0, backpressure=0.4)
    assert (info["seed"], info["length_mod64"], info["n_in x n_out"]) == (
        "wrap", "unaligned", "equal/equal")
    assert coverage.TxnInfo.of((1, 1), [0], 64, 1 << 16, 5, 3, back_to_back=False, gap=0,
                               backpressure=0)["seed"] == "zero"


@settings(max_examples=60, deadline=None)
@given(dense_txns(fuzz.FUZZ_CORE))
def test_strategy_makes_valid_transactions(txn) -> None:
    """Every drawn transaction is valid and its bits past length are zero or deliberate."""
    assert 1 <= txn.n_out <= 2 * fuzz.FUZZ_CORE.n_out + 1
    assert 1 <= txn.n_in <= 2 * fuzz.FUZZ_CORE.n_in + 1
    assert txn.weights.shape[2] == golden.n_words(txn.length)
    assert ((txn.probs >= 0) & (txn.probs <= 1)).all()


def test_strategies_reach_the_edge_bins() -> None:
    """200 generated transactions reach every p, length-alignment and seed bin."""
    res = fuzz.run_campaign(_numpy, core=fuzz.FUZZ_CORE, seed=3, max_examples=200)
    assert not res.failed and res.examples == 200
    for name in ("p", "length_mod64", "seed", "n_in", "n_out", "backpressure", "input_stalls"):
        assert all(res.coverage[name].values()), (name, res.coverage[name])


@settings(max_examples=30, deadline=None)
@given(st.lists(probabilities(), min_size=1, max_size=4))
def test_probabilities_in_range(ps) -> None:
    assert all(0.0 <= p <= 1.0 for p in ps)


def test_unknown_planted_bug_is_rejected(monkeypatch) -> None:
    monkeypatch.setenv("SCTB_PLANTED_BUG", "nope")
    from testbench.model import random_txn
    t = random_txn(np.random.default_rng(0), 1, 1, 64)
    with pytest.raises(ValueError, match="SCTB_PLANTED_BUG must be one of .*'nope'"):
        fuzz.expected_counts(t, golden.get_backend("numpy"))


def test_campaign_rejects_bad_budgets() -> None:
    with pytest.raises(ValueError, match="shrink_rounds must be >= 0, got -1"):
        fuzz.run_campaign(_numpy, core=fuzz.FUZZ_CORE, seed=1, max_examples=1, shrink_rounds=-1)
    with pytest.raises(ValueError, match="max_examples or time_budget"):
        fuzz.run_campaign(_numpy, core=fuzz.FUZZ_CORE, seed=1, max_examples=None)
    from testbench.fuzz.strategies import lengths, sizes_around
    with pytest.raises(ValueError, match="max_length must be >= 1, got 0"):
        lengths(0)
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        sizes_around(0)


def test_save_load_roundtrip(tmp_path: Path) -> None:
    from testbench.model import random_txn
    t = random_txn(np.random.default_rng(1), 3, 4, 100, seed=(1 << 64) - 1)
    path = fuzz.save_txn(tmp_path / "t.npz", t, {"gap": 0.3})
    back, drive = fuzz.load_txn(path)
    assert (back.weights == t.weights).all() and (back.probs == t.probs).all()
    assert (back.length, back.seed, drive) == (100, (1 << 64) - 1, {"gap": 0.3})


def test_emulator_matches_golden_on_generated_transactions() -> None:
    res = fuzz.run_campaign(execute_emu, core=fuzz.FUZZ_CORE, seed=5, max_examples=40)
    assert not res.failed, res.message


#: How the planted bug's minimal case is driven: the first drive options (no stall, no
#: back-pressure, weights from the buffer).
SIMPLEST_DRIVE = {"source": "buffer", "gap": 0.0, "backpressure": 0.0}


def assert_shrunk_to_minimal(txn, drive: dict | None = None) -> None:
    """The truly minimal case of the planted bug ``last_bit`` (bit 63 of the last word dropped
    when the length is a multiple of 64): one output, one input, length 64, the single weight
    bit 63 of word 0, p = 1.0 (0.0 cannot expose it; 1.0 exposes it for any seed), the
    simplest seed (``EDGE_SEEDS[0]``, 0xACE1) and the simplest drive options."""
    assert (txn.n_out, txn.n_in, txn.length) == (1, 1, 64), txn.describe()
    assert txn.weights.tolist() == [[[1 << 63]]], txn.describe()
    assert txn.probs.tolist() == [1.0] and txn.seed == EDGE_SEEDS[0] == 0xACE1, txn.describe()
    if drive is not None:
        assert drive == SIMPLEST_DRIVE, drive


def test_planted_bug_shrinks_to_the_minimal_case_on_the_emulator(monkeypatch,
                                                                tmp_path: Path) -> None:
    """A campaign on the emulator finds the planted bug and shrinks it to exactly the minimal
    case (the backends target does the same through ``sctb fuzz`` below)."""
    monkeypatch.setenv("SCTB_PLANTED_BUG", "last_bit")
    res = fuzz.run_campaign(execute_emu, core=fuzz.FUZZ_CORE, seed=1, max_examples=300,
                            out_dir=tmp_path)
    assert res.failed and res.minimal is not None, res.message
    assert_shrunk_to_minimal(*fuzz.load_txn(res.minimal))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [101, 201, 301, 401, 501])
@pytest.mark.parametrize("target", ["backends", "emu"])
def test_planted_bug_shrinks_to_the_minimal_case_for_every_seed(monkeypatch, tmp_path: Path,
                                                                target: str, seed: int) -> None:
    """The same over more hypothesis seeds: shrinking does not depend on where it starts."""
    monkeypatch.setenv("SCTB_PLANTED_BUG", "last_bit")
    execute = execute_emu if target == "emu" else execute_backends
    res = fuzz.run_campaign(execute, core=fuzz.FUZZ_CORE, seed=seed, max_examples=300,
                            out_dir=tmp_path)
    assert res.failed and res.minimal is not None, res.message
    assert_shrunk_to_minimal(*fuzz.load_txn(res.minimal))


def _cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    import os
    env = dict(os.environ)
    env.pop("SCTB_PLANTED_BUG", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "testbench", "fuzz", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=False)


def test_cli_passes_then_finds_planted_bug_with_database(tmp_path: Path) -> None:
    """``sctb fuzz --target backends`` exits 0 on a clean run; with the planted bug exits 1,
    prints the replay commands, and keeps a database per target and configuration."""
    proc = _cli("--target", "backends", "--max-examples", "30", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "30 examples, 0 failures" in proc.stdout
    proc = _cli("--target", "backends", "--max-examples", "300", "--out", str(tmp_path),
                env_extra={"SCTB_PLANTED_BUG": "last_bit"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "replay (backends): sctb fuzz --replay" in proc.stdout
    assert "replay (icarus): sctb fuzz --replay" in proc.stdout
    # The failing configuration has its own database (a clean run saves nothing).
    assert any((tmp_path / "hypothesis-db" / "backends-core5x3w8-planted-last_bit").iterdir())
    saved = json.loads((tmp_path / "backends-core5x3w8-planted-last_bit" /
                        "fuzz-result.json").read_text())
    assert saved["failed"] and saved["minimal"]
    assert_shrunk_to_minimal(*fuzz.load_txn(saved["minimal"]))
    # The database replays the failure first: the second campaign fails after few examples.
    proc = _cli("--target", "backends", "--max-examples", "300", "--out", str(tmp_path),
                env_extra={"SCTB_PLANTED_BUG": "last_bit"})
    assert proc.returncode == 1
    again = json.loads((tmp_path / "backends-core5x3w8-planted-last_bit" /
                        "fuzz-result.json").read_text())
    assert again["examples"] < saved["examples"], (again["examples"], saved["examples"])


def test_cli_replay_missing_file(tmp_path: Path) -> None:
    proc = _cli("--replay", str(tmp_path / "none.npz"), "--out", str(tmp_path))
    assert proc.returncode == 2 and "no such file" in proc.stdout


def test_regress_coverage_report_fails_on_a_hole(tmp_path: Path) -> None:
    """``sctb regress`` merges the runs' coverage and fails when a required bin is empty."""
    from rich.console import Console

    from testbench.cli import regress as rtl_regress
    from testbench.runner import SuiteResult

    full = {name: {b: 1 for b in bins} for name, bins in coverage.BINS.items()}
    holey = json.loads(json.dumps(full))
    holey["seed"]["wrap"] = 0
    runs = []
    for k, rep in enumerate((holey, holey)):
        d = tmp_path / f"run{k}"
        d.mkdir()
        (d / "coverage.json").write_text(json.dumps(rep))
        runs.append(SuiteResult(suite="uvm", sim="icarus", log=d / "sim.log"))
    console = Console(record=True, width=200)
    ok, merged = rtl_regress.coverage_report(runs, console)
    assert not ok and merged["seed"]["wrap"] == 0 and merged["seed"]["zero"] == 2
    assert "seed:wrap" in console.export_text()
    (tmp_path / "run1" / "coverage.json").write_text(json.dumps(full))
    ok, merged = rtl_regress.coverage_report(runs, Console(record=True))
    assert ok and merged["seed"]["wrap"] == 1
    assert rtl_regress.coverage_report([SuiteResult(suite="dense", sim="icarus")],
                                       Console()) == (True, None)


def test_strategies_shrink_to_the_simplest_value_that_still_fails() -> None:
    """Each building block shrinks to its simplest failing value: a multiple of 64 to 64, fewer
    words at the same offset, p to 1.0 when 0.0 passes, a size to the smallest that fails, the
    seed to 0xACE1."""
    from hypothesis import find

    from testbench.fuzz.strategies import lengths, seeds, sizes_around

    quiet = settings(database=None, max_examples=500)
    assert find(lengths(), lambda n: n % 64 == 0, settings=quiet) == 64
    assert find(lengths(), lambda n: n % 64 == 1 and n > 100, settings=quiet) == 129
    # One word: the offsets in EDGE_OFFSETS order (-1 is the simplest non-zero one).
    assert find(lengths(), lambda n: n < 64, settings=quiet) == 63
    assert find(probabilities(), lambda p: p > 0.5, settings=quiet) == 1.0
    assert find(probabilities(), lambda p: 0 < p < 1, settings=quiet) == 0.5 / 65536
    assert find(sizes_around(5), lambda n: n >= 3, settings=quiet) == 3
    assert find(seeds(), lambda s: True, settings=quiet) == 0xACE1
