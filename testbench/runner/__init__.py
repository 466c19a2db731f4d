"""The RTL runner: suites on Icarus and Verilator through cocotb_tools.runner, one process each."""

from .build import COVERAGE_FLAGS, HDL_DIR, RTL_DIR, rtl_sources
from .failures import record_failure_waves
from .junit import merge_junit
from .outcome import ASSERT_MARK, assertion_failures
from .plan import applicability, plan
from .procs import DEFAULT_SUITE_TIMEOUT, kill_children, suite_timeout
from .results import Failure, SuiteResult, format_result, merged_coverage, summary
from .run import DEFAULT_SEED, ICARUS_NO_COVERAGE, replay_command, run_matrix, run_suite
from .settings import SimOptions, SimSettings
from .simulators import SIMULATORS, simulator_env, simulator_status, verilator_root
from .suites import CONTRACT, FAMILIES, REFERENCE, SUITES, WMEM_FILE, Suite, get_suite, suites_help

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
