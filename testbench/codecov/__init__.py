"""Code coverage of the RTL (Verilator ``coverage.dat``): parse, merge, waive, report, lcov.

Named ``codecov`` so as not to collide with :mod:`testbench.coverage` (functional coverage).
"""

from ._collect import annotate, collect
from ._data import KINDS, Point, merge, parse_dat, read_dat, write_dat
from ._report import (
    CoverageReport,
    Tally,
    build_report,
    format_report,
    source_module,
    write_lcov,
)
from ._waivers import WAIVER_FILE, Waiver, WaiverError, find_waivers, parse_waivers

__all__ = [
    "KINDS",
    "WAIVER_FILE",
    "CoverageReport",
    "Point",
    "Tally",
    "Waiver",
    "WaiverError",
    "annotate",
    "build_report",
    "collect",
    "find_waivers",
    "format_report",
    "merge",
    "parse_dat",
    "parse_waivers",
    "read_dat",
    "source_module",
    "write_dat",
    "write_lcov",
]
