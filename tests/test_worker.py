"""The first compiler errors of a failed build, as Icarus and Verilator print them."""

from __future__ import annotations

from testbench.runner.worker import compiler_errors

ICARUS = """\
iverilog -o sim.vvp -g2012 ...
bad.v:3: syntax error
bad.v:3: error: syntax error in continuous assignment
harness.v:111: error: Unknown module type: sc_lfsr16
2 error(s) during elaboration.
"""
VERILATOR = """\
- V e r i l a t i o n   R e p o r t
%Error: bad.v:3:17: syntax error, unexpected ';', expecting IDENTIFIER-for-type
    3 |   assign b = a +;
      |                 ^
%Error: Exiting due to 1 error(s)
"""


def test_icarus_errors_in_order_and_limited():
    assert compiler_errors(ICARUS.splitlines()) == [
        "bad.v:3: syntax error", "bad.v:3: error: syntax error in continuous assignment",
        "harness.v:111: error: Unknown module type: sc_lfsr16"]
    assert compiler_errors(ICARUS.splitlines(), limit=1) == ["bad.v:3: syntax error"]


def test_verilator_errors_without_the_exit_line():
    assert compiler_errors(VERILATOR.splitlines()) == [
        "%Error: bad.v:3:17: syntax error, unexpected ';', expecting IDENTIFIER-for-type"]


def test_a_clean_log_has_no_errors():
    assert compiler_errors(["make: Entering directory", "c++ -Os -c verilated.cpp"]) == []
