"""The RTL runner: suites on Icarus and Verilator through cocotb_tools.runner, one process each.

The names load their module on first use (PEP 562 ``__getattr__``): ``python -m
testbench.runner.worker`` starts once per simulator run and needs none of them (~0.25 s of
imports, cocotb's and NumPy's among them, that every run would otherwise pay). No submodule
may share an exported name: importing it would set the package attribute to the module."""

from __future__ import annotations

import importlib
from typing import Any

#: The submodule of each exported name.
_MODULES = {
    "build": ("COVERAGE_FLAGS", "HDL_DIR", "RTL_DIR", "rtl_sources"),
    "failures": ("record_failure_waves",),
    "junit": ("merge_junit",),
    "outcome": ("ASSERT_MARK", "assertion_failures"),
    "planning": ("applicability", "plan"),
    "procs": ("DEFAULT_SUITE_TIMEOUT", "kill_children", "suite_timeout"),
    "results": ("Failure", "SuiteResult", "format_result", "merged_coverage", "summary"),
    "run": ("DEFAULT_SEED", "ICARUS_NO_COVERAGE", "replay_command", "run_matrix", "run_suite"),
    "settings": ("SimOptions", "SimSettings"),
    "simulators": ("SIMULATORS", "simulator_env", "simulator_status", "verilator_root"),
    "suites": (
        "CONTRACT", "FAMILIES", "REFERENCE", "SUITES", "WMEM_FILE", "Suite", "get_suite",
        "suites_help",
    ),
}
_EXPORTS = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "ASSERT_MARK",
    "CONTRACT",
    "COVERAGE_FLAGS",
    "DEFAULT_SEED",
    "DEFAULT_SUITE_TIMEOUT",
    "FAMILIES",
    "HDL_DIR",
    "ICARUS_NO_COVERAGE",
    "REFERENCE",
    "RTL_DIR",
    "SIMULATORS",
    "SUITES",
    "WMEM_FILE",
    "Failure",
    "SimOptions",
    "SimSettings",
    "Suite",
    "SuiteResult",
    "applicability",
    "assertion_failures",
    "format_result",
    "get_suite",
    "kill_children",
    "merge_junit",
    "merged_coverage",
    "plan",
    "record_failure_waves",
    "replay_command",
    "rtl_sources",
    "run_matrix",
    "run_suite",
    "simulator_env",
    "simulator_status",
    "suites_help",
    "suite_timeout",
    "summary",
    "verilator_root",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # the next lookup finds it without this hook
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
