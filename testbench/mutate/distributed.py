"""A mutation campaign over MPI ranks: one mutant at a time per rank, on the sweep's work queue."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..design import Design
from .campaign import MutantResult, run_mutant, skip_tests
from .mutants import Mutant

__all__ = ["MutantJobs", "run_mutants_mpi"]

#: The ``--skip-test`` lists already applied to this process's suite registry.
_APPLIED: set[tuple[str, ...]] = set()


@dataclasses.dataclass(frozen=True)
class MutantJobs:
    """What every rank needs to judge its share of the mutants (sent once, pickled).

    Attributes
    ----------
    design : Design
        The original design.
    mutants : tuple of Mutant
    replays : tuple of str
        The replay command of each mutant.
    suites : tuple of str
        The judges.
    sim : str
    out_dir : str
        The output root (one file system shared by the ranks).
    skipped : tuple of str
        ``--skip-test`` items, applied on every rank before its first mutant.
    options : dict
        The keyword arguments of :func:`~testbench.mutate.campaign.run_mutant` (matrix,
        equiv, equiv_timeout, timeout, scale).
    """

    design: Design
    mutants: tuple[Mutant, ...]
    replays: tuple[str, ...]
    suites: tuple[str, ...]
    sim: str
    out_dir: str
    skipped: tuple[str, ...] = ()
    options: dict = dataclasses.field(default_factory=dict)

    def run(self, index: int) -> tuple[int, MutantResult]:
        if self.skipped and self.skipped not in _APPLIED:
            why = skip_tests(self.skipped)
            if why is not None:
                raise ValueError(why)
            _APPLIED.add(self.skipped)
        return index, run_mutant(self.design, self.mutants[index], self.suites, sim=self.sim,
                                 out_dir=Path(self.out_dir), replay=self.replays[index],
                                 **self.options)


def run_mutants_mpi(comm: Any, work: MutantJobs, *,
                    on_done: Callable[[MutantResult], None] | None = None,
                    on_lost: Callable[[int, str], None] | None = None) -> list[MutantResult]:
    """Rank 0: send ``work`` to every rank (:func:`~testbench.runner.distributed.serve_jobs`
    runs it there) and judge the mutants over all ranks, rank 0 too, one at a time per rank
    in sample order; the results in sample order, as :func:`run_mutants` gives them.

    A mutant whose rank was lost (see :func:`~testbench.sweep.work_queue`) comes back with
    status ``lost`` and the reason: neither killed nor survived, never counted in the score.
    """
    from ..runner.distributed import spread

    if work.skipped:
        _APPLIED.add(work.skipped)  # rank 0 applied them itself before sending
    done, why = spread(comm, work, range(len(work.mutants)), on_done=on_done, on_lost=on_lost)
    out = []
    for index, mutant in enumerate(work.mutants):
        res = done.get(index)
        if res is None:
            res = MutantResult(mutant, status="lost", replay=work.replays[index])
            res.runs.append({"suite": None, "stage": None, "outcome": "lost", "seconds": 0.0,
                             "build_seconds": 0.0, "test": None, "assertion": None,
                             "message": f"no result: its MPI rank did not report ({why})"})
        out.append(res)
    return out
