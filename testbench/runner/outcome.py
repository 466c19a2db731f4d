"""A finished run read into its SuiteResult: cocotb's JUnit file, the log's RTL assertions."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .junit import read_junit
from .results import Failure, SuiteResult

__all__ = ["ASSERT_MARK", "assertion_failures", "name_assertions", "read_results"]

#: What an RTL assertion prints when it fails (``$fatal(1, "sctb-assert NAME: ...")``).
ASSERT_MARK = "sctb-assert "


def assertion_failures(log_text: str) -> list[str]:
    """The RTL assertion failures a simulation log reports, one line each (name first)."""
    out = []
    for line in log_text.splitlines():
        at = line.find(ASSERT_MARK)
        if at >= 0:
            out.append(line[at + len(ASSERT_MARK):].strip())
    return out


def name_assertions(result: SuiteResult, replay: str) -> None:
    """Put the RTL assertion that stopped the simulation (its name and time, from the log) at
    the head of the failing test's message."""
    if result.log is None or not result.log.is_file():
        return
    fired = assertion_failures(result.log.read_text(errors="replace"))
    if not fired:
        return
    result.assertions = fired
    head = f"RTL assertion failed: {fired[0]}"
    for i, f in enumerate(result.failures):
        if f.test != "<suite>":
            result.failures[i] = dataclasses.replace(f, message=f"{head}\n{f.message}")
            break
    else:
        result.failed += 1
        result.failures.append(Failure("<assertion>", head, replay))


def read_results(result: SuiteResult, junit: Path, replay) -> None:
    """Fill the test counts and failures of ``result`` from cocotb's JUnit file."""
    if not junit.is_file():
        why = ""
        if result.log is not None and result.log.is_file():
            errors = [ln.strip() for ln in result.log.read_text(errors="replace").splitlines()
                      if "Error" in ln or "error:" in ln]
            why = f": {errors[-1][:300]}" if errors else ""
        result.error = (f"no results file {junit} (the simulation ended abnormally{why}; "
                        f"log: {result.log})")
        return
    try:
        cases = read_junit(junit)
    except ValueError as e:
        result.error = str(e)
        return
    for case in cases:
        result.tests += 1
        if case.status == "passed":
            result.passed += 1
            continue
        if case.status == "failed":
            result.failed += 1
        else:
            result.skipped += 1
        result.failures.append(Failure(case.name, case.message, replay(case.name)))
    if result.tests == 0:
        result.error = f"zero tests ran (results file {junit}; log: {result.log})"
