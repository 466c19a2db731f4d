"""What a suite run produced: its counts, failures with replay commands, and the summaries."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

__all__ = ["Failure", "SuiteResult", "format_result", "merged_coverage", "summary"]


@dataclasses.dataclass
class Failure:
    """One failed test: its name, the failure text and a command that replays it.

    ``waves`` is a wave file of the failing test where one was recorded (``sctb regress
    --report`` re-runs failing tests with waves); ``waves_note`` says why there is none, or
    what the re-run that recorded it did.
    """

    test: str
    message: str
    replay: str
    waves: Path | None = None
    waves_note: str = ""


@dataclasses.dataclass
class SuiteResult:
    """What one suite did on one simulator.

    ``ok`` is true only when the build succeeded, at least one test ran, and none failed or was
    skipped. ``sim_seconds`` sums the test bodies (no build, no simulator start-up).
    ``not_applicable`` holds the reason when the suite does not apply to the design (nothing
    ran: neither a pass nor a failure).
    """

    suite: str
    sim: str
    design: str = "reference"
    family: str = ""
    not_applicable: str | None = None
    tests: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    transactions: int = 0
    bit_products: int = 0
    seconds: float = 0.0
    sim_seconds: float = 0.0
    build_seconds: float = 0.0
    junit: Path | None = None
    log: Path | None = None
    waves: Path | None = None
    error: str | None = None
    failures: list[Failure] = dataclasses.field(default_factory=list)
    per_test: dict[str, dict] = dataclasses.field(default_factory=dict)
    seed: int | None = None
    #: The run's Verilator coverage file (``--coverage`` runs), or None.
    code_coverage: Path | None = None
    #: Why a ``--coverage`` run has no coverage file (e.g. not applicable on Icarus).
    code_coverage_note: str | None = None
    #: RTL assertion failures the simulation reported (name first), in order.
    assertions: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.not_applicable is None and self.error is None and self.tests > 0
                and self.failed == 0 and self.skipped == 0)

    @property
    def status(self) -> str:
        """``"pass"``, ``"fail"`` or ``"n/a"``."""
        if self.not_applicable is not None:
            return "n/a"
        return "pass" if self.ok else "fail"

    @property
    def bit_products_per_s(self) -> float:
        """Verified bit-products per second of test body time."""
        return self.bit_products / self.sim_seconds if self.sim_seconds > 0 else 0.0


def summary(results: list[SuiteResult]) -> list[dict]:
    """JSON-ready rows, the per-test figures included."""
    return [{
        "suite": r.suite, "sim": r.sim, "seed": r.seed, "design": r.design, "family": r.family,
        "status": r.status, "not_applicable": r.not_applicable,
        "ok": r.ok, "tests": r.tests, "passed": r.passed,
        "failed": r.failed, "skipped": r.skipped, "transactions": r.transactions,
        "bit_products": r.bit_products, "seconds": r.seconds, "build_seconds": r.build_seconds,
        "test_seconds": r.sim_seconds, "bit_products_per_s": r.bit_products_per_s,
        "error": r.error, "junit": str(r.junit) if r.junit else None, "log": str(r.log),
        "failures": [{"test": f.test, "message": f.message, "replay": f.replay,
                      "waves": str(f.waves) if f.waves is not None else None,
                      "waves_note": f.waves_note} for f in r.failures],
        "per_test": r.per_test,
        "coverage": _coverage_of(r),
        "code_coverage": str(r.code_coverage) if r.code_coverage is not None else None,
        "code_coverage_note": r.code_coverage_note,
        "assertions": r.assertions,
    } for r in results]


def _coverage_of(r: SuiteResult) -> dict | None:
    """The functional coverage a run wrote (``coverage.json`` in its run directory), if any."""
    path = r.log.parent / "coverage.json" if r.log is not None else None
    return json.loads(path.read_text()) if path is not None and path.is_file() else None


def merged_coverage(results: list[SuiteResult]) -> dict[str, dict[str, int]] | None:
    """Hits per bin summed over the runs that wrote coverage; None when none did."""
    from .. import coverage

    reports = [c for r in results for c in [_coverage_of(r)] if c is not None]
    return coverage.merge(reports) if reports else None


def format_result(result: SuiteResult) -> str:
    """A summary of one run: status, counts, speed, each failure with its replay command."""
    if result.not_applicable is not None:
        return (f"N/A  {result.suite} on {result.sim} ({result.family} suite, design "
                f"{result.design}): not applicable: {result.not_applicable}")
    status = "PASS" if result.ok else "FAIL"
    lines = [
        (f"{status} {result.suite} on {result.sim} (design {result.design}): "
         f"{result.passed}/{result.tests} passed, "
         f"{result.failed} failed, {result.transactions} transactions, "
         f"{result.bit_products:,} bit-products, {result.seconds:.1f} s "
         f"(build {result.build_seconds:.1f} s, tests {result.sim_seconds:.1f} s, "
         f"{result.bit_products_per_s / 1e6:.1f} M bit-products/s)"),
    ]
    for f in result.failures:
        lines.append(f"  FAILED {f.test}: {f.message.splitlines()[0] if f.message else ''}")
        lines.append(f"    replay: {f.replay}")
    if result.waves:
        lines.append(f"  waves: {result.waves}")
    if result.junit:
        lines.append(f"  results: {result.junit}")
    lines.append(f"  log: {result.log}")
    return "\n".join(lines)
