"""JUnit files: the test cases of cocotb's ``results.xml``, and one merged file of many runs."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

if TYPE_CHECKING:
    from .run import SuiteResult

__all__ = ["JunitCase", "merge_junit", "read_junit"]


@dataclasses.dataclass(frozen=True)
class JunitCase:
    """One test case: its name, ``"passed"``, ``"failed"`` or ``"skipped"``, and the text."""

    name: str
    status: str
    message: str = ""


def read_junit(junit: Path) -> list[JunitCase]:
    """The test cases of a results file; ``ValueError`` when it cannot be parsed."""
    try:
        root = ElementTree.parse(junit).getroot()
    except ElementTree.ParseError as e:
        raise ValueError(f"unreadable results file {junit}: {e}") from None
    cases = []
    for case in root.iter("testcase"):
        name = case.get("name", "?")
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        if bad is not None:
            text = (bad.get("message") or "") + "\n" + (bad.text or "")
            cases.append(JunitCase(name, "failed", text.strip()))
        elif case.find("skipped") is not None:
            cases.append(JunitCase(name, "skipped", "skipped (a skip is never a pass)"))
        else:
            cases.append(JunitCase(name, "passed"))
    return cases


def merge_junit(results: Sequence[SuiteResult], path: str | os.PathLike) -> Path:
    """Write one JUnit file holding every run's test cases (suite errors as failing cases)."""
    root = ElementTree.Element("testsuites")
    for res in results:
        suite_el = ElementTree.SubElement(root, "testsuite", name=f"{res.suite}.{res.sim}",
                                          tests=str(max(res.tests, 1 if res.error else 0)),
                                          failures=str(res.failed), skipped=str(res.skipped),
                                          time=f"{res.seconds:.3f}")
        cases = []
        if res.junit is not None:
            cases = list(ElementTree.parse(res.junit).getroot().iter("testcase"))
        for case in cases:
            case.set("classname", f"{res.suite}.{res.sim}")
            suite_el.append(case)
        if res.error is not None:
            case = ElementTree.SubElement(suite_el, "testcase", name="<suite>",
                                          classname=f"{res.suite}.{res.sim}")
            fail = ElementTree.SubElement(case, "failure", message=res.error.splitlines()[0])
            fail.text = res.error
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path
