"""JUnit files: the test cases of cocotb's ``results.xml``, and one merged file of many runs."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

if TYPE_CHECKING:
    from ..design import Design
    from .results import SuiteResult

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


def merge_junit(results: Sequence[SuiteResult], path: str | os.PathLike,
                design: Design | None = None) -> Path:
    """Write one JUnit file holding every run's test cases (suite errors as failing cases).

    Each test suite carries the design under test as properties (``design``, ``design.source``,
    ``design.digest`` and ``design.file.<path>`` = SHA-256); a suite that does not apply to the
    design is a skipped case whose message gives the reason (not a pass).
    """
    root = ElementTree.Element("testsuites")
    props = []
    if design is not None:
        info = design.to_dict()
        props = [("design", info["name"]), ("design.source", info["source"]),
                 ("design.reference", str(info["reference"]).lower()),
                 ("design.digest", info["digest"])]
        props += [(f"design.file.{f['path']}", f["sha256"]) for f in info["files"]]
    several_seeds = len({r.seed for r in results if r.not_applicable is None}) > 1
    for res in results:
        name = f"{res.suite}.{res.sim}" + (f".s{res.seed}" if several_seeds else "")
        suite_el = ElementTree.SubElement(
            root, "testsuite", name=name,
            tests=str(max(res.tests, 1 if res.error or res.not_applicable else 0)),
            failures=str(res.failed),
            skipped=str(res.skipped + (1 if res.not_applicable is not None else 0)),
            time=f"{res.seconds:.3f}")
        if props:
            prop_el = ElementTree.SubElement(suite_el, "properties")
            for key, value in props:
                ElementTree.SubElement(prop_el, "property", name=key, value=value)
        if res.not_applicable is not None:
            case = ElementTree.SubElement(suite_el, "testcase", name="<suite>",
                                          classname=name)
            ElementTree.SubElement(case, "skipped",
                                   message=f"not applicable: {res.not_applicable}")
        cases = []
        if res.junit is not None:
            cases = list(ElementTree.parse(res.junit).getroot().iter("testcase"))
        for case in cases:
            case.set("classname", name)
            suite_el.append(case)
        if res.error is not None:
            case = ElementTree.SubElement(suite_el, "testcase", name="<suite>",
                                          classname=name)
            fail = ElementTree.SubElement(case, "failure", message=res.error.splitlines()[0])
            fail.text = res.error
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path
