"""The RTL's named assertions: a planted violation fails the test with the assertion's name and
time, on Icarus and on Verilator (sim)."""

from __future__ import annotations

from pathlib import Path

import pytest

from testbench.runner import assertion_failures, run_suite
from tests.support import SIM_OUT as OUT
from tests.support import explain, mutant

pytestmark = pytest.mark.sim

#: rem == W would then stay in S_RUN at zero: the counter "wraps" (sc_dense.rem_no_wrap).
_WRAP = ("                    if (rem > W_LEN) begin",
         "                    if (rem >= W_LEN) begin")


def test_assertion_lines_are_read_from_the_log() -> None:
    log = ("noise\n[70000] %Fatal: sc_dense.v:131: Assertion failed in top.u: sctb-assert "
           "sc_dense.rem_no_wrap: rem 0 in state 2 at time 70000\nFATAL: x\n")
    assert assertion_failures(log) == ["sc_dense.rem_no_wrap: rem 0 in state 2 at time 70000"]
    assert assertion_failures("all quiet\n") == []


@pytest.mark.parametrize("sim_name", ["icarus", pytest.param("verilator",
                                                             marks=pytest.mark.slow)])
def test_planted_violation_fails_with_the_assertion_name(sim_name: str, tmp_path: Path) -> None:
    """A mutant whose rem stays in S_RUN at zero: the `lengths` test fails, its message names
    sc_dense.rem_no_wrap and the simulation time; the unmodified RTL passes the same test."""
    rtl = mutant(tmp_path, "sc_dense.v", *_WRAP)
    res = run_suite("dense_w8", sim_name, out_dir=tmp_path / "out", seed=1, test="lengths",
                    rtl_dir=rtl)
    assert not res.ok, explain(res)
    assert res.assertions and res.assertions[0].startswith("sc_dense.rem_no_wrap: "), explain(res)
    assert "at time " in res.assertions[0]
    failed = [f for f in res.failures if f.test == "lengths"]
    assert failed, explain(res)
    assert failed[0].message.startswith("RTL assertion failed: sc_dense.rem_no_wrap"), explain(res)
    good = run_suite("dense_w8", sim_name, out_dir=OUT, seed=1, test="lengths")
    assert good.ok and not good.assertions, explain(good)
