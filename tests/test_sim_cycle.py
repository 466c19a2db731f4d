"""The emulator is cycle-exact to the RTL on Icarus and Verilator; planted bugs are caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from testbench.runner import SIMULATORS, SUITES, run_suite
from tests.support import SIM_OUT as OUT
from tests.support import explain

pytestmark = pytest.mark.sim


CYCLE_SUITES = [name for name, s in SUITES.items() if s.test_module == "testbench.suites.cycle"]
#: Tests testbench/suites/cycle.py defines.
CYCLE_TESTS = {"lengths_back_to_back", "comparator_boundary", "random_stalls"}
#: Emulator bugs planted through the emu_bug option (testbench/suites/cycle.py), and the signal
#: whose first mismatch each must produce on the cycle_w8 suite.
PLANTED = {
    "comparator": "out_data",
    "length_mask": "out_data",
    "popcount_bit": "out_data",
    "seed_offset": "u_lfsr.r",
    "rem_off_by_one": "rem",
}


def test_cycle_suites_cover_the_widths() -> None:
    """The cycle suites cover W = 1, 8, 13 and 64 with small cores."""
    assert {SUITES[s].core.w for s in CYCLE_SUITES} >= {1, 8, 13, 64}


@pytest.mark.parametrize("sim_name", SIMULATORS)
@pytest.mark.parametrize("suite", CYCLE_SUITES)
def test_cycle_exact(suite: str, sim_name: str) -> None:
    """Ports and registers of the RTL equal the emulator's on every cycle (a build error, an
    unavailable simulator or a skipped test is a failure)."""
    res = run_suite(suite, sim_name, out_dir=OUT, seed=1)
    assert res.ok, explain(res)
    assert res.passed == res.tests == len(CYCLE_TESTS), explain(res)
    names = {name.split("[", 1)[0] for name in res.per_test}
    assert names == CYCLE_TESTS, names
    cycles = sum(int(e["cycles"]) for e in res.per_test.values())
    compared = sum(int(e["compared"]) for e in res.per_test.values())
    # Ports and control registers on every cycle, lfsr and acc on nearly all.
    n_regs = SUITES[suite].core.n_in + SUITES[suite].core.n_out
    assert cycles > 300 and compared > cycles * (8 + n_regs // 2), (cycles, compared)


@pytest.mark.parametrize("bug", list(PLANTED))
def test_planted_emulator_bug_is_caught(bug: str, tmp_path: Path) -> None:
    """A broken emulator line makes the cycle comparison fail, naming cycle, signal and values."""
    res = run_suite("cycle_w8", "icarus", out_dir=OUT, seed=1, options={"emu_bug": bug})
    assert not res.ok and res.failed > 0 and res.error is None, explain(res)
    msgs = [f.message for f in res.failures]
    assert any("first mismatch at cycle" in m and PLANTED[bug] in m and "RTL=" in m
               and "emulator=" in m for m in msgs), explain(res)


def test_planted_emulator_bug_is_caught_on_verilator() -> None:
    """The comparator bug (``<=``) also fails on Verilator, through the boundary test."""
    res = run_suite("cycle", "verilator", out_dir=OUT, seed=1,
                    options={"emu_bug": "comparator"})
    assert not res.ok and res.error is None, explain(res)
    assert "comparator_boundary" in [f.test for f in res.failures], explain(res)
    assert all("first mismatch at cycle" in f.message for f in res.failures), explain(res)


def test_unknown_planted_bug_is_an_error() -> None:
    res = run_suite("cycle_w8", "icarus", out_dir=OUT, seed=1,
                    options={"emu_bug": "no_such_bug"})
    assert not res.ok, explain(res)
    assert any("emu_bug must be one of" in f.message for f in res.failures), explain(res)


def test_emu_speed_measures_the_same_workload(tmp_path: Path) -> None:
    """testbench.perf.emu_speed times the emulator and Icarus on the same transactions (small core:
    both check their counts against golden and their cycles against the documented timing)."""
    from testbench.perf.emu_speed import measure_emu_speed

    r = measure_emu_speed(tmp_path, n_in=3, n_out=2, w=8, length=200, transactions=2,
                          sims=("icarus",), repeats=1)
    assert r.cycles == r.emu_cycles == 2 * (1 + 3 + 25 + 2)
    assert r.emu_rate > 0 and r.emu_percycle_rate > 0
    assert r.icarus_rate is not None and r.icarus_rate > 0
    d = r.as_dict()
    assert d["emu_vs_icarus"] == round(r.emu_rate / r.icarus_rate, 3)
    assert d["verilator_cycles_per_s"] is None and not r.notes


def test_fast_path_equals_per_cycle_path() -> None:
    """run_dense's vectorised fast path gives the per-cycle path's counts, cycle count and final
    registers (the per-cycle path is the one the cycle suites prove against the RTL)."""
    import numpy as np

    import emu

    rng = np.random.default_rng(2026)
    for _ in range(40):
        n_in, n_out = int(rng.integers(1, 6)), int(rng.integers(1, 5))
        w = int(rng.choice([1, 3, 8, 13, 64]))
        txs = []
        for _ in range(int(rng.integers(1, 4))):
            length = int(rng.choice([0, 1, w, w + 1, int(rng.integers(0, 700))]))
            weights = rng.integers(0, 2**64, size=(n_out, n_in, -(-length // 64)),
                                   dtype=np.uint64)
            txs.append(emu.DenseTransaction(weights, rng.integers(0, 65537, n_in), length,
                                            int(rng.integers(0, 2**63)) * 2 + 1))
        a, sa = emu.run_dense(n_in, n_out, w, txs, fast=False)
        b, sb = emu.run_dense(n_in, n_out, w, txs, fast=True)
        assert np.array_equal(np.array(a), np.array(b)) and sa.cycle == sb.cycle
        da, db = sa.dut, sb.dut
        assert (da.state, da.idx, da.rem) == (db.state, db.idx, db.rem)
        for reg in ("lfsr", "acc", "thr"):
            assert np.array_equal(getattr(da, reg), getattr(db, reg)), reg
