"""MPI helpers: SC-NeuroCore's ``MPIDriver`` API (exact, remainder kept), one-rank fallback."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from typing import Any

import numpy as np

__all__ = ["MPIDriver", "find_mpiexec", "get_comm", "partition"]


def find_mpiexec() -> str | None:
    """The ``mpiexec`` beside this Python (the ``mpi`` extra's MPICH), else the one on
    ``PATH``; None when there is none."""
    return shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which(
        "mpiexec")


def partition(n_items: int, n_parts: int) -> list[range]:
    """Split ``range(n_items)`` into ``n_parts`` contiguous ranges whose sizes differ by <= 1.

    The first ``n_items % n_parts`` parts get one item more; every item is in exactly one part.
    """
    if n_parts < 1:
        raise ValueError(f"n_parts must be >= 1, got {n_parts}")
    if n_items < 0:
        raise ValueError(f"n_items must be >= 0, got {n_items}")
    base, extra = divmod(n_items, n_parts)
    out, start = [], 0
    for k in range(n_parts):
        stop = start + base + (1 if k < extra else 0)
        out.append(range(start, stop))
        start = stop
    return out


def get_comm() -> Any | None:
    """``MPI.COMM_WORLD`` when mpi4py is installed and this process was started by an MPI
    launcher (or ``SCTB_MPI=1``); ``None`` otherwise (serial: no MPI initialisation at all)."""
    if os.environ.get("SCTB_MPI") == "0" or importlib.util.find_spec("mpi4py") is None:
        return None
    launched = any(k in os.environ for k in (
        "PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "HYDRA_CONTROL_FD",
        "SLURM_STEP_ID"))
    if not launched and os.environ.get("SCTB_MPI") != "1":
        return None
    from mpi4py import MPI

    return MPI.COMM_WORLD


class MPIDriver:
    """Scatter / gather along axis 0 over MPI ranks, or a single rank without mpi4py.

    Parameters
    ----------
    comm : mpi4py communicator, optional
        Default: :func:`get_comm` (``None`` = single-rank mode).
    """

    def __init__(self, comm: Any | None = None) -> None:
        self.comm = comm if comm is not None else get_comm()
        self.rank = 0 if self.comm is None else self.comm.Get_rank()
        self.size = 1 if self.comm is None else self.comm.Get_size()

    def scatter_workload(self, global_inputs: Any) -> np.ndarray:
        """This rank's share of ``global_inputs`` (split along axis 0; root's data is used).

        Every row goes to exactly one rank, in order; the first ``len % size`` ranks get one row
        more (upstream drops that remainder).
        """
        data = np.asarray(global_inputs) if self.rank == 0 else None
        if self.comm is None:
            return np.asarray(global_inputs)
        if self.rank == 0:
            parts = [data[r.start:r.stop] for r in partition(len(data), self.size)]
        else:
            parts = None
        return self.comm.scatter(parts, root=0)

    def gather_results(self, local_results: Any) -> np.ndarray:
        """Root: the concatenation of every rank's results in rank order; other ranks: an empty
        array of the same dtype."""
        local = np.asarray(local_results)
        if self.comm is None:
            return local
        parts = self.comm.gather(local, root=0)
        if self.rank == 0:
            return np.concatenate(parts, axis=0)
        return np.empty((0,) + local.shape[1:], dtype=local.dtype)

    def barrier(self) -> None:
        """Wait for every rank (a no-op on one rank)."""
        if self.comm is not None:
            self.comm.Barrier()
