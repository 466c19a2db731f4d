"""The worker: the first compiler errors of a failed build, as Icarus and Verilator print
them; a light start (it runs once per simulator run); the runner package's lazy names."""

from __future__ import annotations

import subprocess
import sys

import testbench.runner as runner
from testbench.runner.worker import compiler_errors
from tests.support import ROOT

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


def test_the_worker_imports_neither_the_runner_nor_numpy_nor_cocotb() -> None:
    code = ("import sys, testbench.runner.worker; "
            "print(sorted(m for m in ('numpy', 'cocotb', 'golden', 'testbench.runner.run', "
            "'testbench.runner.suites') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_runner_name_resolves_from_its_module() -> None:
    assert set(runner.__all__) == set(runner._EXPORTS)
    for name in runner.__all__:
        value = getattr(runner, name)
        module = sys.modules[f"testbench.runner.{runner._EXPORTS[name]}"]
        assert getattr(module, name) is value, name
    assert "run_suite" in dir(runner)
    try:
        runner.no_such_name  # noqa: B018
    except AttributeError as e:
        assert "no_such_name" in str(e)
    else:
        raise AssertionError("an unknown name resolved")
