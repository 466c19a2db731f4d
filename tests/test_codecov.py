"""Code coverage: the coverage.dat parser, the merger, waivers, the report and the lcov writer."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from testbench import codecov
from testbench.codecov import Waiver, WaiverError

A, B = "\x01", "\x02"


def _pt(f: str, line: int, kind: str, module: str, name: str, hier: str, count: int,
        span: str | None = None) -> str:
    fields = [("f", f), ("l", str(line)), ("n", "3"), ("t", kind), ("page", f"v_{kind}/{module}"),
              ("o", name)]
    if span:
        fields.append(("S", span))
    fields.append(("h", hier))
    return "C '" + "".join(f"{A}{k}{B}{v}" for k, v in fields) + f"' {count}"


def _dat(path, lines: list[str]) -> str:
    text = "# SystemC::Coverage-3\n" + "\n".join(lines) + "\n"
    path.write_text(text)
    return text


@pytest.fixture
def src(tmp_path):
    """A tiny source file the points refer to (for the annotated view and lcov)."""
    f = tmp_path / "m.v"
    f.write_text("module m;\n  if (a) x = 1;\n  else x = 2;\n  y = 3;\n  z = 4;\nendmodule\n")
    return str(f)


def _run1(src: str) -> list[str]:
    return [
        _pt(src, 2, "line", "m", "block", "top.u0", 3, "2"),
        _pt(src, 4, "line", "m", "block", "top.u0", 0, "4-5"),
        _pt(src, 2, "branch", "m", "if", "top.u0", 3),
        _pt(src, 3, "branch", "m", "else", "top.u0", 0),
        _pt(src, 1, "toggle", "m", "q[0]:0->1", "top.u0", 1),
        _pt(src, 1, "toggle", "m", "q[0]:1->0", "top.u0", 0),
        _pt(src, 1, "toggle", "m", "q[1]:0->1", "top.u0", 0),
        _pt(src, 1, "toggle", "m", "q[1]:1->0", "top.u0", 0),
    ]


def test_parse_fields_and_spans(tmp_path, src) -> None:
    _dat(tmp_path / "a.dat", _run1(src))
    pts = codecov.read_dat(tmp_path / "a.dat")
    assert len(pts) == 8
    p = pts[1]
    assert (p.file, p.line, p.kind, p.module, p.name, p.hier, p.count) == (
        src, 4, "line", "m", "block", "top.u0", 0)
    assert p.lines == [4, 5]
    assert pts[5].signal == "q[0]" and pts[5].kind == "toggle"


@pytest.mark.parametrize("text, match", [
    ("C 'x' 1\n", "no '# SystemC::Coverage-3' header"),
    ("# SystemC::Coverage-3\nX '\x01f\x02a' 1\n", "expected C"),
    ("# SystemC::Coverage-3\nC '\x01f\x02a' many\n", "count 'many'"),
    ("# SystemC::Coverage-3\nC 'f\x02a' 1\n", "0x01"),
    ("# SystemC::Coverage-3\nC '\x01fa' 1\n", "malformed field"),
])
def test_parse_rejects_bad_files(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        codecov.parse_dat(text, "bad.dat")


def test_merge_sums_counts_and_round_trips(tmp_path, src) -> None:
    """Two runs merge by point (counts summed); write_dat + read_dat gives the same points."""
    run2 = _run1(src)
    run2[1] = _pt(src, 4, "line", "m", "block", "top.u0", 2, "4-5")
    _dat(tmp_path / "a.dat", _run1(src))
    _dat(tmp_path / "b.dat", run2)
    merged = codecov.merge([codecov.read_dat(tmp_path / "a.dat"),
                            codecov.read_dat(tmp_path / "b.dat")])
    assert len(merged) == 8
    assert [p.count for p in merged] == [6, 2, 6, 0, 2, 0, 0, 0]
    back = codecov.read_dat(codecov.write_dat(merged, tmp_path / "m.dat"))
    assert back == merged


def test_report_merges_instances_and_counts(tmp_path, src) -> None:
    """Two instances of one module: a point is hit when either hit it; tallies per kind."""
    u1 = [ln.replace("top.u0", "top.u1") for ln in _run1(src)]
    u1[3] = _pt(src, 3, "branch", "m", "else", "top.u1", 5)
    _dat(tmp_path / "a.dat", _run1(src) + u1)
    rep = codecov.build_report(codecov.read_dat(tmp_path / "a.dat"), runs=1)
    assert rep.total["line"].to_dict() == {"total": 2, "hit": 1, "waived": 0, "missed": 1,
                                           "percent": 50.0}
    assert rep.percent("branch") == 100.0
    assert rep.percent("toggle") == 25.0
    assert rep.missed_lines() == {src: [4, 5]}
    assert rep.never_toggled() == {"m": ["q[0]", "q[1]"]}
    assert set(rep.modules) == {"m"} and set(rep.files) == {src}
    text = codecov.format_report(rep)
    assert "line 50.0% (1/2)" in text and "missed lines m.v: 4, 5" in text


def test_report_keeps_only_design_files(tmp_path, src) -> None:
    other = tmp_path / "tb.v"
    other.write_text("module tb;\nendmodule\n")
    lines = _run1(src) + [_pt(str(other), 1, "line", "tb", "block", "top", 0, "1")]
    _dat(tmp_path / "a.dat", lines)
    rep = codecov.build_report(codecov.read_dat(tmp_path / "a.dat"), files=[src])
    assert set(rep.files) == {src}


def test_waivers_mark_points_waived_not_dropped(tmp_path, src) -> None:
    """A waived point is shown as waived with its reason and left out of the percentage; a
    waiver that matches nothing is reported as unused."""
    waivers = codecov.parse_waivers(
        "# comment\n"
        "toggle m q[1] -- tied to zero by design\n"
        "line m 4-5 -- unreachable: the spare state\n"
        "toggle m nothing[*] -- matches no point\n", "sc.cov")
    _dat(tmp_path / "a.dat", _run1(src))
    rep = codecov.build_report(codecov.read_dat(tmp_path / "a.dat"), waivers=waivers)
    assert rep.total["toggle"].to_dict() == {"total": 4, "hit": 1, "waived": 2, "missed": 1,
                                             "percent": 50.0}
    assert rep.percent("line") == 100.0
    waived = [p for p in rep.points if p["status"] == "waived"]
    assert len(waived) == 3
    assert all(p["reason"].startswith(("tied to zero", "unreachable")) for p in waived)
    assert "sc.cov:3" in waived[0]["reason"] or "sc.cov:2" in waived[0]["reason"]
    assert [w.pattern for w in rep.unused_waivers] == ["nothing[*]"]
    doc = rep.to_dict()
    assert len(doc["waived"]) == 3 and doc["unused_waivers"][0]["where"] == "sc.cov:4"


def test_waiver_patterns() -> None:
    w = Waiver("toggle", "sc_popcount", "g_lvl[0].g_node[*].s[?]", "r")
    pt = codecov.parse_dat("# SystemC::Coverage-3\n" + _pt(
        "x.v", 1, "toggle", "sc_popcount", "g_lvl[0].g_node[12].s[3]:0->1", "t", 0) + "\n")[0]
    assert w.matches(pt)
    assert not Waiver("toggle", "sc_popcount", "g_lvl[1].*", "r").matches(pt)
    assert not Waiver("toggle", "other", "*", "r").matches(pt)
    assert not Waiver("line", "sc_popcount", "1", "r").matches(pt)
    assert Waiver("toggle", "sc_popcount", "g_lvl[0].g_node[<10-12>].s[<1-63>]", "r").matches(pt)
    assert not Waiver("toggle", "sc_popcount", "g_lvl[0].g_node[<13-15>].s[*]", "r").matches(pt)
    assert not Waiver("toggle", "sc_popcount", "g_lvl[0].g_node[*].s[<4-9>]", "r").matches(pt)


def test_parameter_set_copies_report_under_their_module(tmp_path, src) -> None:
    """Verilator's copy of a module per parameter set (m__W8) is reported as m; a waiver may
    name one parameter set."""
    lines = [_pt(src, 1, "toggle", "m__W8", "q[0]:0->1", "top.a", 0),
             _pt(src, 1, "toggle", "m__Wd", "q[0]:0->1", "top.b", 0),
             _pt(src, 1, "toggle", "m__Wd", "q[1]:0->1", "top.b", 0)]
    _dat(tmp_path / "a.dat", lines)
    pts = codecov.read_dat(tmp_path / "a.dat")
    assert codecov.source_module("m__W8", ["m", "mm"]) == "m"
    assert codecov.source_module("other", ["m"]) == "other"
    waivers = codecov.parse_waivers("toggle m__Wd q[*] -- tied off at W=13\n", "sc.cov")
    rep = codecov.build_report(pts, modules=["m"], waivers=waivers)
    assert set(rep.modules) == {"m"}
    status = {p["name"]: p["status"] for p in rep.points}
    # q[0] of the W=8 copy is merged with W=13's: not every copy is waived, so it stays missed.
    assert status == {"q[0]:0->1": "missed", "q[1]:0->1": "waived"}


@pytest.mark.parametrize("text, match", [
    ("toggle m q[1]\n", "needs its reason"),
    ("toggle m q[1] -- \n", "needs its reason"),
    ("wobble m q -- r\n", "unknown kind 'wobble'"),
    ("line m x -- r\n", "names a line or a range"),
    ("line m 9-3 -- r\n", "names a line or a range"),
    ("toggle q -- r\n", "KIND MODULE POINT"),
])
def test_waiver_file_errors(text: str, match: str) -> None:
    with pytest.raises(WaiverError, match=match):
        codecov.parse_waivers(text, "sc.cov")


def test_find_waivers_beside_the_design(tmp_path) -> None:
    """A user design's sc.cov is found beside its sc.f; no file means no waivers."""
    from testbench.design import load_design

    (tmp_path / "core.v").write_text("module core;\nendmodule\n")
    (tmp_path / "sc.f").write_text("core.v\n")
    design = load_design(tmp_path)
    assert codecov.find_waivers(design) == (None, [])
    (tmp_path / "sc.cov").write_text("toggle core x -- why\n")
    path, waivers = codecov.find_waivers(design)
    assert path == tmp_path / "sc.cov" and waivers[0].reason == "why"


def test_reference_waivers_parse() -> None:
    """The reference RTL's waiver file parses, one reason per waiver."""
    from testbench.design import load_design

    path, waivers = codecov.find_waivers(load_design())
    assert path is not None and waivers
    assert all(w.reason for w in waivers)


def _lcov_records(text: str) -> list[dict]:
    recs, cur = [], None
    for line in text.splitlines():
        if line.startswith("SF:"):
            cur = {"SF": line[3:], "DA": {}, "BRDA": []}
        elif line.startswith("DA:"):
            n, c = line[3:].split(",")
            cur["DA"][int(n)] = int(c)
        elif line.startswith("BRDA:"):
            cur["BRDA"].append(line[5:])
        elif line.startswith(("LF:", "LH:", "BRF:", "BRH:")):
            k, v = line.split(":")
            cur[k] = int(v)
        elif line == "end_of_record":
            recs.append(cur)
    return recs


def test_lcov_tracefile(tmp_path, src) -> None:
    _dat(tmp_path / "a.dat", _run1(src))
    rep = codecov.build_report(codecov.read_dat(tmp_path / "a.dat"))
    info = codecov.write_lcov(rep, tmp_path / "c.info")
    (rec,) = _lcov_records(info.read_text())
    assert rec["SF"] == src
    assert rec["DA"] == {2: 3, 3: 0, 4: 0, 5: 0}
    assert rec["BRDA"] == ["2,0,0,3", "3,0,0,-"]
    assert (rec["LF"], rec["LH"], rec["BRF"], rec["BRH"]) == (4, 1, 2, 1)


def test_lcov_renders_with_genhtml(tmp_path, src) -> None:
    """genhtml (Debian's lcov) renders the tracefile; without genhtml: skipped, never passed."""
    genhtml = shutil.which("genhtml")
    if genhtml is None:
        pytest.skip("genhtml is not installed (apt-get install lcov)")
    _dat(tmp_path / "a.dat", _run1(src))
    rep = codecov.build_report(codecov.read_dat(tmp_path / "a.dat"))
    info = codecov.write_lcov(rep, tmp_path / "c.info")
    proc = subprocess.run([genhtml, "--branch-coverage", "-o", str(tmp_path / "html"),
                           str(info)], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "html" / "index.html").is_file()


def test_annotate_marks_missed_lines(tmp_path, src) -> None:
    _dat(tmp_path / "a.dat", _run1(src))
    rep = codecov.build_report(codecov.read_dat(tmp_path / "a.dat"))
    rows = codecov.annotate(rep, context=1)[src]
    marked = {r["line"]: r["status"] for r in rows if not r.get("gap")}
    assert marked[3] == "missed" and marked[4] == "missed" and marked[5] == "missed"
    assert marked[2] == ""
    assert next(r for r in rows if r.get("line") == 4)["text"] == "  y = 3;"
