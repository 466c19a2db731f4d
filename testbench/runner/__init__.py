"""The RTL runner: suites on Icarus and Verilator through cocotb_tools.runner, one process each."""

from .build import HDL_DIR, RTL_DIR, rtl_sources
from .failures import record_failure_waves
from .junit import merge_junit
from .run import (
    DEFAULT_SEED,
    Failure,
    SuiteResult,
    format_result,
    merged_coverage,
    replay_command,
    run_matrix,
    run_suite,
    summary,
)
from .settings import SimOptions, SimSettings
from .simulators import SIMULATORS, simulator_env, simulator_status, verilator_root
from .suites import SUITES, WMEM_FILE, Suite, get_suite

__all__ = [
    "DEFAULT_SEED",
    "HDL_DIR",
    "RTL_DIR",
    "SIMULATORS",
    "SUITES",
    "WMEM_FILE",
    "Failure",
    "SimOptions",
    "SimSettings",
    "Suite",
    "SuiteResult",
    "format_result",
    "get_suite",
    "merge_junit",
    "merged_coverage",
    "record_failure_waves",
    "replay_command",
    "rtl_sources",
    "run_matrix",
    "run_suite",
    "simulator_env",
    "simulator_status",
    "summary",
    "verilator_root",
]
