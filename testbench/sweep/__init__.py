"""``sctb sweep``: verification sweeps over a TOML spec, serial or MPI-parallel with dynamic
balancing (spec, checks, scheduler, output, MPI work queue and helpers)."""

from .checks import CHECKS, Check, build_once, get_check
from .lock import SweepLocked
from .mpi import MPIDriver, find_mpiexec, get_comm, partition
from .output import SweepResult, read_records, scan_records
from .scheduler import run_point, run_sweep
from .spec import (
    MAX_POINTS,
    Point,
    SpecError,
    SweepSpec,
    count_points,
    expand_points,
    load_spec,
    parse_spec,
)
from .workqueue import work_queue

__all__ = [
    "CHECKS",
    "MAX_POINTS",
    "Check",
    "MPIDriver",
    "Point",
    "SpecError",
    "SweepLocked",
    "SweepResult",
    "SweepSpec",
    "build_once",
    "count_points",
    "expand_points",
    "find_mpiexec",
    "get_check",
    "get_comm",
    "load_spec",
    "parse_spec",
    "partition",
    "read_records",
    "run_point",
    "run_sweep",
    "scan_records",
    "work_queue",
]
