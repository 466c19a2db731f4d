"""Wave files of failures: each failing test re-run alone with waves (for ``--report``)."""

from __future__ import annotations

import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..design import Design
from .results import Failure, SuiteResult
from .run import run_suite

__all__ = ["record_failure_waves"]


def _wave_name(suite: str, sim_name: str, test: str, suffix: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", test).strip("_") or "suite"
    return f"{suite}-{sim_name}-{safe}{suffix}"


def record_failure_waves(results: list[SuiteResult], dest: Path, *, scratch: Path,
                         backend: str, seed: int, scale: float = 1.0,
                         rtl_dir: str | os.PathLike | None = None,
                         design: Design | None = None, jobs: int = 1,
                         limit: int = 16) -> int:
    """Re-run each failing test alone with waves; move its wave file into ``dest``.

    Sets ``Failure.waves`` (the file in ``dest``) and ``Failure.waves_note`` on every failure
    of ``results``: why there is no wave file (the build failed, the re-run recorded none,
    ``limit`` reached), or that the test passed when re-run alone. A ``<suite>`` failure (the
    run ended abnormally) re-runs the whole suite. Never claims a file that is not there.

    Parameters
    ----------
    results : list of SuiteResult
        The regression's runs; changed in place.
    dest : Path
        Where the wave files go (created when one is recorded).
    scratch : Path
        Output root of the re-runs (their run directories and logs).
    backend, seed, scale, rtl_dir, design
        As the regression ran the suites, so that a re-run repeats the failing test.
    jobs : int
        Re-runs in parallel.
    limit : int
        At most this many re-runs (``>= 0``); later failures get a note instead.

    Returns
    -------
    int
        The number of wave files recorded.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"limit must be an int >= 0, got {limit!r}")
    todo: list[tuple[SuiteResult, Failure]] = []
    for r in results:
        for f in r.failures:
            if r.error is not None and r.error.startswith(("build failed",
                                                           "simulator unavailable",
                                                           "pre-flight")):
                f.waves_note = f"no simulation ran ({r.error.splitlines()[0][:200]})"
            elif len(todo) >= limit:
                f.waves_note = (f"not re-run: the first {limit} failing tests were "
                                "(--report-waves); the replay command records waves")
            else:
                todo.append((r, f))

    def one(item: tuple[SuiteResult, Failure]) -> bool:
        r, f = item
        res = run_suite(r.suite, r.sim, out_dir=scratch, backend=backend, seed=seed,
                        waves=True, scale=scale, rtl_dir=rtl_dir, design=design,
                        test=None if f.test == "<suite>" else f.test)
        src = res.waves
        if src is None or not src.is_file() or src.stat().st_size == 0:
            why = res.error.splitlines()[0][:200] if res.error else f"log: {res.log}"
            f.waves_note = f"the re-run with waves recorded no wave file ({why})"
            return False
        dest.mkdir(parents=True, exist_ok=True)
        target = dest / _wave_name(r.suite, r.sim, f.test, src.suffix)
        shutil.move(src, target)
        f.waves = target
        if res.ok:
            f.waves_note = ("this test passed when re-run alone: its failure needs the tests "
                            "that ran before it (replay the whole suite)")
        else:
            f.waves_note = "recorded by re-running the test alone; it failed again"
        return True

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return sum(pool.map(one, todo))
