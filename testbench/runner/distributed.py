"""The regression's (suite x simulator x seed) jobs over MPI ranks, on the sweep's dynamic queue."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from ..design import Design
from .results import SuiteResult
from .run import longest_first, run_suite

__all__ = [
    "RANK_TIMEOUT_S",
    "RtlJobs",
    "job_list",
    "on_ranks",
    "run_jobs",
    "serve_jobs",
    "spread",
    "stop_serving",
]

#: Longest one job may run before its rank counts as lost (dead or hung).
RANK_TIMEOUT_S = 2 * 3600.0


@dataclasses.dataclass(frozen=True)
class RtlJobs:
    """What every rank needs to run its share: the jobs and how to run each.

    Attributes
    ----------
    jobs : tuple of (suite, sim, seed)
    out_dir : str
        The output root (shared by the ranks: one file system).
    backend : str
    scale : float
    design : Design
    coverage : bool
        Verilator runs record code coverage (``sctb regress --coverage``).
    """

    jobs: tuple[tuple[str, str, int], ...]
    out_dir: str
    backend: str
    scale: float
    design: Design
    coverage: bool = False

    def run(self, index: int) -> tuple[int, SuiteResult]:
        suite, sim, seed = self.jobs[index]
        return index, run_suite(suite, sim, out_dir=self.out_dir, backend=self.backend,
                                seed=seed, scale=self.scale, design=self.design,
                                coverage=self.coverage)


def run_jobs(comm: Any, work: RtlJobs, *, on_done: Callable[[SuiteResult], None] | None = None,
             on_lost: Callable[[int, str], None] | None = None) -> list[SuiteResult]:
    """Rank 0: send ``work`` to every rank, run the jobs over all of them (rank 0 too), longest
    first, one at a time per rank; the results in job order.

    A lost rank (its job outlived :data:`RANK_TIMEOUT_S`; see the sweep's
    :func:`~testbench.sweep.work_queue`) is reported through ``on_lost(rank, why)``; every job
    without a result is then a failed :class:`SuiteResult` saying so, never a pass.
    """
    done, why = spread(comm, work, longest_first(work.jobs), on_done=on_done,
                       on_lost=on_lost)
    results = []
    for index, (suite, sim, seed) in enumerate(work.jobs):
        res = done.get(index)
        if res is None:
            res = SuiteResult(suite=suite, sim=sim, design=work.design.name, seed=seed,
                              error=f"no result: its MPI rank did not report ({why})",
                              failed=1)
        results.append(res)
    return results


def spread(comm: Any, work: Any, order: Sequence[int], *,
           on_done: Callable[[Any], None] | None = None,
           on_lost: Callable[[int, str], None] | None = None) -> tuple[dict[int, Any], str]:
    """Rank 0: send ``work`` to every rank (:func:`serve_jobs` runs it there) and run
    ``work.run(index)`` for each index of ``order`` over all ranks, rank 0 too, one at a time
    per rank, on the sweep's dynamic queue (:func:`~testbench.sweep.work_queue`).

    Returns
    -------
    done : dict
        ``index -> result`` of every job that reported (``work.run`` returns
        ``(index, result)``; ``on_done(result)`` is called as each arrives).
    why : str
        Why the missing jobs have no result (the lost ranks, reported one by one through
        ``on_lost(rank, why)``, or the queue's incidents); empty when none is missing.
    """
    from ..sweep.workqueue import work_queue

    comm.bcast(work, root=0)
    done: dict[int, Any] = {}

    def record(item: tuple[int, Any]) -> None:
        index, res = item
        done[index] = res
        if on_done is not None:
            on_done(res)

    lost, incidents = work_queue(comm, list(order), work.run, timeout_s=RANK_TIMEOUT_S,
                                 on_record=record)
    for rank, why in lost.items():
        if on_lost is not None:
            on_lost(rank, why)
    return done, "; ".join(f"rank {r} lost: {w}" for r, w in lost.items()) or "; ".join(incidents)


def on_ranks(args: Any, body: Callable[[], int]) -> int:
    """Run a command's ``body`` on MPI rank 0 with ``args.comm`` set (``None`` outside
    ``mpiexec`` or on one rank) while the other ranks serve the jobs it spreads
    (:func:`serve_jobs`); the exit status. ``body`` sets ``args.jobs_sent`` once it has sent
    work; if it never does (a usage error, nothing to run), the other ranks are let go."""
    from ..sweep.mpi import get_comm

    comm = get_comm()
    if comm is not None and comm.Get_size() < 2:
        comm = None
    if comm is not None and comm.Get_rank() != 0:
        return serve_jobs(comm)
    args.comm, args.jobs_sent = comm, False
    try:
        return body()
    finally:
        if comm is not None and not args.jobs_sent:
            stop_serving(comm)


def serve_jobs(comm: Any) -> int:
    """Any rank but 0: take the jobs rank 0 sends and run this rank's share of them; 0, or 0
    too when rank 0 sends nothing (it stopped before the RTL suites and reports why)."""
    from ..sweep.workqueue import work_queue

    work = comm.bcast(None, root=0)
    if work is None:
        return 0
    work_queue(comm, [], work.run, timeout_s=RANK_TIMEOUT_S)
    return 0


def stop_serving(comm: Any) -> None:
    """Rank 0, when it will send no jobs (an error before the RTL suites, ``--no-rtl``): let
    the other ranks go."""
    comm.bcast(None, root=0)


def job_list(pairs: Sequence[tuple[str, str]], seeds: Sequence[int]) -> tuple:
    """``(suite, sim, seed)`` for each pair under each seed, in that order."""
    return tuple((name, sim, s) for name, sim in pairs for s in seeds)

