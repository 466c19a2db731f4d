"""The design description (sc.f / sctb.toml) and the pre-flight check of a design's interface."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from testbench.design import (
    REFERENCE_RTL,
    DesignError,
    load_design,
    parse_filelist,
    reference_design,
)
from testbench.preflight import PreflightError, Requirement, check_requirement, elaborate

DENSE = {"N_IN": 3, "N_OUT": 2, "W": 8}


def _copy_reference(tmp_path: Path) -> Path:
    dest = tmp_path / "rtl"
    shutil.copytree(REFERENCE_RTL, dest)
    return dest


def test_reference_is_the_default_and_names_every_file():
    d = load_design(None)
    assert d.is_reference and d.name == "reference"
    assert d.source == REFERENCE_RTL / "sc.f"
    assert {p.name for p in d.files} >= {"sc_dense.v", "sc_lfsr16.v", "sc_dense_lif.v"}
    info = d.to_dict()
    assert len(info["files"]) == 1 + len(d.files) + len(d.waivers)
    assert all(len(row["sha256"]) == 64 for row in info["files"])
    assert "reference" in d.summary() and d.cli_args() == []
    # Naming the bundled directory explicitly is the same design.
    assert load_design(REFERENCE_RTL).is_reference


def test_user_copy_is_not_the_reference_and_its_digest_follows_content(tmp_path):
    rtl = _copy_reference(tmp_path)
    d = load_design(rtl)
    assert not d.is_reference and d.name == "rtl"
    assert d.cli_args() == ["--rtl-dir", str(rtl / "sc.f")]
    before = d.digest()
    assert before == reference_design().digest()  # same bytes, same digest
    (rtl / "sc_sng.v").write_text((rtl / "sc_sng.v").read_text() + "\n// changed\n")
    assert load_design(rtl).digest() != before
    assert load_design(rtl / "sc.f").digest() == load_design(rtl).digest()


def test_modules_are_scanned_without_comments(tmp_path):
    (tmp_path / "a.v").write_text("// module fake(\n/* module other; */\nmodule real_one #(\n"
                                  ") (); endmodule\n  module  two; endmodule\n")
    (tmp_path / "sc.f").write_text("a.v\n")
    assert sorted(load_design(tmp_path).modules()) == ["real_one", "two"]


@pytest.mark.parametrize("text, message", [
    ("", "names no source file"),
    ("missing.v\n", "missing.v does not exist"),
    ("-y lib\n", "unsupported filelist option '-y'"),
    ("+incdir+nope\n", "include directory"),
    ("-f\n", "-f needs a file name"),
    ("-f sc.f\n", "includes itself"),
])
def test_bad_filelists_are_refused_with_the_line(tmp_path, text, message):
    (tmp_path / "sc.f").write_text(text)
    with pytest.raises(DesignError, match=message):
        load_design(tmp_path)


def test_filelist_options(tmp_path, monkeypatch):
    (tmp_path / "inc").mkdir()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.v").write_text("module b; endmodule\n")
    (tmp_path / "sub" / "more.f").write_text("b.v\n")
    (tmp_path / "a.v").write_text("module a; endmodule\n")
    monkeypatch.setenv("SCTB_TEST_DIR", str(tmp_path))
    (tmp_path / "sc.f").write_text("# comment\n$SCTB_TEST_DIR/a.v // trailing\n+incdir+inc\n"
                                   "+define+FAST+DEPTH=4\n-F sub/more.f\n")
    files, incdirs, defines = parse_filelist(tmp_path / "sc.f")
    assert [f.name for f in files] == ["a.v", "b.v"]
    assert incdirs == [(tmp_path / "inc").resolve()]
    assert defines == {"FAST": "", "DEPTH": "4"}


def test_project_file(tmp_path):
    (tmp_path / "rtl").mkdir()
    (tmp_path / "rtl" / "core.v").write_text("module sc_dense; endmodule\n")
    (tmp_path / "lint.vlt").write_text("`verilator_config\n")
    (tmp_path / "sctb.toml").write_text(
        '[design]\nname = "acme"\nfiles = ["rtl/core.v"]\nwaivers = ["lint.vlt"]\n'
        'defines = { FAST = 1 }\nsimulators = ["verilator"]\n')
    d = load_design(tmp_path)
    assert (d.name, d.simulators, dict(d.defines)) == ("acme", ("verilator",), {"FAST": "1"})
    assert d.waivers == ((tmp_path / "lint.vlt").resolve(),)
    assert load_design(tmp_path / "sctb.toml") == d


@pytest.mark.parametrize("body, message", [
    ('[other]\n', "needs a \\[design\\] table"),
    ('[design]\nfiles = ["x.v"]\nbogus = 1\n', "unknown design key\\(s\\) bogus"),
    ('[design]\n', "names no source file"),
    ('[design]\nfiles = "x.v"\nsimulators = ["modelsim"]\n', "'modelsim'"),
    ('[design]\nfiles = [1]\n', "design.files must be a list of strings"),
    ('[design]\nfiles = ["nope.v"]\n', "nope.v, which does not exist"),
    ('[design\n', "not valid TOML"),
])
def test_bad_project_files(tmp_path, body, message):
    (tmp_path / "x.v").write_text("module x; endmodule\n")
    (tmp_path / "sctb.toml").write_text(body)
    with pytest.raises(DesignError, match=message):
        load_design(tmp_path)


def test_bad_design_paths(tmp_path):
    with pytest.raises(DesignError, match="does not exist"):
        load_design(tmp_path / "nowhere")
    with pytest.raises(DesignError, match="neither sctb.toml nor sc.f"):
        load_design(tmp_path)


# ---- pre-flight (Verilator elaboration, no simulation) ----------------------------------------


@pytest.mark.sim
def test_reference_interface_and_hierarchy():
    info = elaborate(reference_design(), "sc_dense", DENSE)
    assert info.ports["w_data"] == ("input", 3 * 2 * 8)
    assert info.ports["out_data"] == ("output", 25 + 2)
    assert {"N_IN", "N_OUT", "W"} <= set(info.parameters)
    assert {"state", "rem", "g_in[0].u_lfsr.r", "g_out[1].acc"} <= info.names
    need = Requirement({"sc_dense": (DENSE,)}, {"sc_dense": ("state", "g_in[0].u_lfsr.r")})
    assert check_requirement(reference_design(), need).applies


@pytest.mark.sim
def test_missing_module_and_hierarchy_are_not_applicable(tmp_path):
    rtl = _copy_reference(tmp_path)
    d = load_design(rtl)
    res = check_requirement(d, Requirement({"sc_widget": ({},)}))
    assert not res.applies and "needs module sc_widget" in res.reason
    res = check_requirement(d, Requirement({"sc_dense": (DENSE,)},
                                           {"sc_dense": ("u_pipeline.stage2",)}))
    assert not res.applies and "needs the reference hierarchy sc_dense.u_pipeline.stage2" in \
        res.reason


@pytest.mark.sim
def test_mis_sized_port_is_one_clear_error(tmp_path):
    rtl = _copy_reference(tmp_path)
    src = rtl / "sc_dense.v"
    text = src.read_text()
    assert "input  wire [16:0]             thr_data," in text
    src.write_text(text.replace("input  wire [16:0]             thr_data,",
                                "input  wire [15:0]             thr_data,"))
    with pytest.raises(PreflightError, match="port thr_data is 16 bits wide, the contract needs "
                                             "17 bits"):
        check_requirement(load_design(rtl), Requirement({"sc_dense": (DENSE,)}))


@pytest.mark.sim
def test_missing_port_and_parameter(tmp_path):
    rtl = _copy_reference(tmp_path)
    src = rtl / "sc_dense.v"
    src.write_text(src.read_text().replace("output wire                    out_last\n",
                                           "output wire                    out_end\n")
                   .replace("assign out_last  =", "assign out_end  ="))
    with pytest.raises(PreflightError, match="missing port out_last"):
        check_requirement(load_design(rtl), Requirement({"sc_dense": (DENSE,)}))
    with pytest.raises(PreflightError, match="missing parameter DEPTH"):
        check_requirement(load_design(rtl), Requirement({"sc_dense": ({**DENSE, "DEPTH": 2},)}))


@pytest.mark.sim
def test_design_that_does_not_elaborate_shows_the_compiler_error(tmp_path):
    (tmp_path / "sc_dense.v").write_text("module sc_dense(input wire a); assign b = ; endmodule\n")
    (tmp_path / "sc.f").write_text("sc_dense.v\n")
    with pytest.raises(PreflightError, match="does not elaborate in Verilator:\n  %Error"):
        check_requirement(load_design(tmp_path), Requirement({"sc_dense": (DENSE,)}))
