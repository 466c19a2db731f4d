"""The MPI work queue: rank 0 hands one item at a time to whichever rank asks (dynamic balance)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["TAG_REPLY", "TAG_REQUEST", "work_queue"]

#: MPI tags: a rank's request (its last record, its incidents) and rank 0's reply (an index).
TAG_REQUEST, TAG_REPLY = 11, 12


class _Dispatcher(threading.Thread):
    """Rank 0's work queue: hands one point at a time to whichever rank asks (dynamic balance),
    and declares a rank lost when its point outlives the timeout plus a grace period."""

    def __init__(self, comm: Any, todo: list[int], timeout_s: float, on_record) -> None:
        super().__init__(daemon=True, name="sctb-dispatcher")
        self.comm = comm
        self.todo = todo
        self.lock = threading.Lock()
        self.timeout_s = timeout_s
        self.on_record = on_record
        self.assigned: dict[int, tuple[int, float]] = {}
        self.finished: set[int] = set()
        self.lost: dict[int, str] = {}
        self.incidents: list[str] = []

    def next_index(self, rank: int) -> int | None:
        with self.lock:
            if not self.todo:
                self.assigned.pop(rank, None)
                return None
            idx = self.todo.pop(0)
            self.assigned[rank] = (idx, time.monotonic())
            return idx

    def run(self) -> None:
        from mpi4py import MPI

        workers = set(range(1, self.comm.Get_size()))
        grace = max(5.0, 0.25 * self.timeout_s)
        status = MPI.Status()
        while workers - self.finished - set(self.lost):
            if self.comm.iprobe(source=MPI.ANY_SOURCE, tag=TAG_REQUEST, status=status):
                rank, record, incidents = self.comm.recv(source=status.Get_source(),
                                                         tag=TAG_REQUEST)
                self.incidents.extend(incidents)
                if record is not None:
                    self.on_record(record)
                idx = self.next_index(rank)
                self.comm.send(idx, dest=rank, tag=TAG_REPLY)
                if idx is None:
                    self.finished.add(rank)
                continue
            now = time.monotonic()
            with self.lock:
                for rank, (idx, since) in list(self.assigned.items()):
                    if rank != 0 and now - since > self.timeout_s + grace:
                        self.lost[rank] = (f"no answer for {now - since:.0f} s while running "
                                           f"point #{idx} (dead or hung)")
                        self.assigned.pop(rank)
            time.sleep(0.002)


def work_queue(
    comm: Any | None, todo: list[int], run_one: Callable[[int], Any], *, timeout_s: float,
    on_record: Callable[[Any], None] | None = None, finish: Callable[[], None] | None = None,
    incidents: Callable[[], list[str]] | None = None,
) -> tuple[dict[int, str], list[str]] | None:
    """Run the items ``todo`` (indices) over the ranks of ``comm`` with a dynamic queue.

    Rank 0 holds the queue (a dispatcher thread) and runs items too; every other rank asks for
    one index at a time, runs it and sends its record back with the next request, until the
    queue is empty. Items go out in the order of ``todo`` (longest first balances best). A rank
    whose item outlives ``timeout_s`` plus a grace period is declared lost (dead or hung); the
    others go on. With ``comm`` None (or one rank) everything runs here, in order.

    Parameters
    ----------
    comm : mpi4py communicator or None
    todo : list of int
        The indices to run (read on rank 0 only).
    run_one : callable
        ``run_one(index) -> record`` (any picklable object), on the rank that got the index.
    timeout_s : float
        Longest an item may take before its rank counts as lost.
    on_record : callable, optional
        ``on_record(record)`` on rank 0 as each record arrives (from any rank).
    finish : callable, optional
        Called on every rank once it has run its last item (close files) before the ranks meet.
    incidents : callable, optional
        The rank's incident lines so far (worker deaths between items); new ones travel to rank 0.

    Returns
    -------
    (lost, incidents) or None
        On rank 0: lost ranks with the reason, and every rank's incidents; None elsewhere.
    """
    rank = 0 if comm is None else comm.Get_rank()
    size = 1 if comm is None else comm.Get_size()
    local = incidents or (lambda: [])
    if rank != 0:
        record, reported = None, 0
        while True:
            mine = local()
            news, reported = list(mine[reported:]), len(mine)
            comm.send((rank, record, news), dest=0, tag=TAG_REQUEST)
            idx = comm.recv(source=0, tag=TAG_REPLY)
            if idx is None:
                break
            record = run_one(idx)
        if finish is not None:
            finish()
        comm.Barrier()
        return None
    report = on_record or (lambda record: None)
    dispatcher = None
    if size > 1:
        dispatcher = _Dispatcher(comm, list(todo), timeout_s, report)
        dispatcher.start()
        next_index = lambda: dispatcher.next_index(0)  # noqa: E731
    else:
        pending = queue.SimpleQueue()
        for i in todo:
            pending.put(i)
        next_index = lambda: None if pending.empty() else pending.get()  # noqa: E731
    while (idx := next_index()) is not None:
        report(run_one(idx))
    if finish is not None:
        finish()
    lost: dict[int, str] = {}
    found = list(local())
    if dispatcher is not None:
        dispatcher.join()
        lost = dict(dispatcher.lost)
        found += dispatcher.incidents
        if not lost:
            comm.Barrier()
    return lost, found
