"""The testbench tree keeps its architecture: only testbench/bfm touches ``dut``; no test_*.py
modules under testbench/ (pytest would collect cocotb modules); modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

TESTBENCH = Path(__file__).resolve().parent.parent / "testbench"
BFM = TESTBENCH / "bfm"
#: Names that hold a DUT handle.
HANDLES = ("dut",)


def _modules() -> list[Path]:
    return sorted(p for p in TESTBENCH.rglob("*.py") if BFM not in p.parents)


def _is_top(node: ast.AST) -> bool:
    """``cocotb.top`` (the DUT handle of the pyuvm tests)."""
    return (isinstance(node, ast.Attribute) and node.attr == "top"
            and isinstance(node.value, ast.Name) and node.value.id == "cocotb")


def _callee(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _passers() -> set[str]:
    """Functions outside testbench/bfm that take a ``dut`` parameter (checked like the rest)."""
    names = set()
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if any(a.arg in HANDLES for a in node.args.args + node.args.kwonlyargs):
                    names.add(node.name)
    return names


def _violations(path: Path, passers: set[str]) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    bad = []
    for node in ast.walk(tree):
        handle = ((isinstance(node, ast.Name) and node.id in HANDLES) or _is_top(node))
        if not handle or isinstance(parents.get(node), ast.Attribute) and _is_top(
                parents[node]):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.keyword):
            parent = parents.get(parent)
        ok = (isinstance(parent, ast.Call) and node is not parent.func
              and (_callee(parent).endswith("Bfm") or _callee(parent) in passers))
        if not ok:
            bad.append((node.lineno, ast.unparse(parent if parent is not None else node)[:80]))
    return sorted(bad)


def test_only_the_bfms_touch_the_dut() -> None:
    """Outside testbench/bfm a DUT handle is only passed on: to a ``*Bfm`` or to a function
    that itself only passes it on (never ``dut.x``, ``getattr(dut, ...)``, ``dut._log``)."""
    passers = _passers()
    bad = [f"{path.relative_to(TESTBENCH.parent)}:{line}: {code}" for path in _modules()
           for line, code in _violations(path, passers)]
    assert not bad, "DUT access outside testbench/bfm:\n" + "\n".join(bad)


def test_the_check_sees_a_dut_access(tmp_path: Path) -> None:
    """The check above is not vacuous: each kind of access is reported."""
    probe = tmp_path / "probe.py"
    probe.write_text("import cocotb\n"
                     "async def t(dut):\n"
                     "    bfm = DenseBfm(dut)\n"
                     "    dut._log.info('x')\n"
                     "    getattr(dut, 'clk').value = 1\n"
                     "    x = cocotb.top.clk\n"
                     "    helper(dut)\n")
    bad = _violations(probe, set())
    assert [line for line, _ in bad] == [4, 5, 6, 7], bad


def test_no_pytest_modules_in_the_testbench() -> None:
    """cocotb test modules are named after their suite, never ``test_*.py``."""
    assert not sorted(TESTBENCH.rglob("test_*.py"))


def test_modules_stay_small() -> None:
    """No testbench module exceeds 400 lines (the package layout is the architecture)."""
    big = {str(p.relative_to(TESTBENCH)): n for p in TESTBENCH.rglob("*.py")
           if (n := len(p.read_text().splitlines())) > 400}
    assert not big, big


def test_suites_point_at_their_modules() -> None:
    """Every suite's test module exists and is ``testbench.suites.<module>``."""
    import importlib.util

    from testbench.runner import SUITES

    for suite in SUITES.values():
        assert suite.test_module.startswith("testbench.suites."), suite
        assert importlib.util.find_spec(suite.test_module) is not None, suite.test_module
