"""Property-based campaigns (hypothesis) on backends, emulator and RTL; shrink, save, replay."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

import golden

from .. import coverage
from ..model import CoreShape, DenseTxn, predict_counts
from .replay import replay_command, save_txn

__all__ = ["FUZZ_CORE", "PLANTED_BUGS", "FuzzResult", "drive_options", "expected_counts",
           "report_campaign", "run_campaign"]

#: The emulator / RTL core the fuzz targets use (small: tiling happens at n_in / n_out 2n + 1).
FUZZ_CORE = CoreShape(n_in=5, n_out=3, w=8, depth=64)


def _drop_last_bit(txn: DenseTxn, backend: golden.Backend) -> np.ndarray:
    """Planted bug: bit 63 of the last word is dropped when ``length`` is a multiple of 64."""
    w = txn.weights.copy()
    if txn.length % 64 == 0 and txn.length:
        w[..., -1] &= np.uint64((1 << 63) - 1)
    return np.asarray(backend.sc_counts(w, txn.probs, length=txn.length, seed=txn.seed),
                      dtype=np.int64)


#: Test-only wrong golden models, selected by ``SCTB_PLANTED_BUG`` (never set in real runs).
PLANTED_BUGS: dict[str, Callable[[DenseTxn, golden.Backend], np.ndarray]] = {
    "last_bit": _drop_last_bit,
}


def expected_counts(txn: DenseTxn, backend: golden.Backend, planted: str | None = None
                    ) -> np.ndarray:
    """The golden counts of ``txn`` (int64 ``(n_out,)``), or a planted bug's wrong ones.

    ``planted`` defaults to ``$SCTB_PLANTED_BUG``; an unknown name is a ``ValueError``.
    """
    planted = os.environ.get("SCTB_PLANTED_BUG") if planted is None else planted
    if planted:
        if planted not in PLANTED_BUGS:
            raise ValueError(f"SCTB_PLANTED_BUG must be one of {sorted(PLANTED_BUGS)}, "
                             f"got {planted!r}")
        return PLANTED_BUGS[planted](txn, backend)
    return predict_counts(txn, backend)


def drive_options():
    """How the BFM drives a transaction: weight source, input stall and back-pressure chances."""
    from hypothesis import strategies as st

    return st.fixed_dictionaries({
        "source": st.sampled_from(["buffer", "port"]),
        "gap": st.sampled_from([0.0, 0.3]),
        "backpressure": st.sampled_from([0.0, 0.4]),
    })


@dataclasses.dataclass
class FuzzResult:
    """What a campaign did.

    Attributes
    ----------
    examples : int
        Property calls run (shrinking included).
    bit_products : int
        Sum of ``n_out * n_in * length`` over those calls.
    failed : bool
        A counterexample was found.
    minimal : pathlib.Path or None
        The saved shrunk transaction (``.npz``).
    message : str
        The failure (first line of the assertion) or ``""``.
    seconds : float
        Wall time.
    coverage : dict
        Hits per bin of the transactions run.
    txn : DenseTxn or None
        The shrunk transaction itself.
    """

    examples: int = 0
    bit_products: int = 0
    failed: bool = False
    minimal: Path | None = None
    message: str = ""
    seconds: float = 0.0
    coverage: dict = dataclasses.field(default_factory=dict)
    txn: DenseTxn | None = None
    drive: dict | None = None

    def to_json(self) -> dict:
        return {"examples": self.examples, "bit_products": self.bit_products, "failed": self.failed,
                "minimal": str(self.minimal) if self.minimal else None,
                "message": self.message, "seconds": self.seconds, "coverage": self.coverage}


def _shrink_db(db):
    """``db`` (a hypothesis example database) wrapped for the shrink rounds of a campaign.

    It counts saves of new examples (hypothesis saves each better counterexample it shrinks to:
    a round that saved nothing new made no progress). With ``demote`` set it shows the primary
    corpus (the shrunk failures) as part of the secondary one: hypothesis does not shrink again
    a failure replayed from its primary corpus (a fast path), but does shrink one replayed from
    the secondary corpus (``<key>.secondary``).
    """
    from hypothesis.database import ExampleDatabase

    class ShrinkDb(ExampleDatabase):
        def __init__(self) -> None:
            super().__init__()
            self.new = 0
            self.primary: bytes | None = None
            self.demote = False

        def save(self, key: bytes, value: bytes) -> None:
            if self.primary is None or len(key) < len(self.primary):
                self.primary = key  # sub-corpora are "<key>.<name>"
            if value not in set(db.fetch(key)):
                self.new += 1
            db.save(key, value)

        def fetch(self, key: bytes):
            if self.demote and self.primary is not None:
                if key == self.primary:
                    return []
                if key == self.primary + b".secondary":
                    return [*db.fetch(self.primary), *db.fetch(key)]
            return db.fetch(key)

        def delete(self, key: bytes, value: bytes) -> None:
            db.delete(key, value)

        def move(self, src: bytes, dest: bytes, value: bytes) -> None:
            db.move(src, dest, value)

    return ShrinkDb()


def run_campaign(
    execute: Callable[[DenseTxn, dict], np.ndarray],
    *,
    core: CoreShape,
    seed: int,
    max_examples: int | None = 100,
    time_budget: float | None = None,
    database: str | os.PathLike | None = None,
    out_dir: str | os.PathLike = ".",
    backend: golden.Backend | None = None,
    max_length: int = 600,
    chunk: int = 25,
    shrink_rounds: int = 10,
    check: bool = True,
    sample: bool = True,
    on_progress: Callable[[FuzzResult], None] | None = None,
) -> FuzzResult:
    """Run ``@given`` over :func:`testbench.strategies.dense_txns` until a budget is spent.

    Parameters
    ----------
    execute : callable
        ``execute(txn, drive) -> counts``: int ``(n_out,)`` from the device under test (a
        blocking call; for the RTL it resumes the simulator, see ``cocotb.task.resume``). An
        ``AssertionError`` it raises is a failing example too (with ``check=False``, the only
        one: e.g. a UVM scoreboard's verdict).
    core : CoreShape
        Shapes are drawn around it.
    seed : int
        Seed of hypothesis's generation (chunk ``k`` uses ``seed + k``).
    max_examples, time_budget : int or float, optional
        Stop after this many generated examples / seconds (whichever first; at least one).
    database : path, optional
        Hypothesis example database directory (saved failures are replayed first).
    out_dir : path
        ``minimal.npz`` (the shrunk counterexample) goes here.
    backend : golden.Backend, optional
        Golden model (default NumPy); ``SCTB_PLANTED_BUG`` swaps in a wrong one.
    chunk : int
        Examples per hypothesis run (chunk ``k`` is seeded ``seed + k``).
    shrink_rounds : int
        After a failure, at most this many more shrink runs of the saved counterexample (each
        stops after hypothesis's 500 successful shrinks); they stop when one changes nothing.
    check : bool
        Compare the counts ``execute`` returns with the golden model here; False when
        ``execute`` checks them itself (and raises ``AssertionError`` on a mismatch).
    sample : bool
        Record each example in the cocotb-coverage database; False where something else does
        (a UVM coverage subscriber). ``FuzzResult.coverage`` counts the examples either way.
    on_progress : callable, optional
        Called with the running result after every example.

    Returns
    -------
    FuzzResult
    """
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hyp_seed
    from hypothesis.database import DirectoryBasedExampleDatabase, InMemoryExampleDatabase

    from .strategies import dense_txns

    if max_examples is None and time_budget is None:
        raise ValueError("give max_examples or time_budget (or both)")
    if shrink_rounds < 0:
        raise ValueError(f"shrink_rounds must be >= 0, got {shrink_rounds!r}")
    backend = backend or golden.get_backend("numpy")
    result = FuzzResult()
    hits: list[dict] = []
    last_fail: list = []
    t0 = time.perf_counter()
    db = DirectoryBasedExampleDatabase(str(database)) if database else None
    generated = 0

    def prop(txn: DenseTxn, drive: dict) -> None:
        result.examples += 1
        info = coverage.TxnInfo.of((txn.n_out, txn.n_in), txn.probs, txn.length, txn.seed,
                                   core.n_in, core.n_out, back_to_back=False,
                                   gap=drive.get("gap", 0.0),
                                   backpressure=drive.get("backpressure", 0.0))
        hits.append(info)
        if sample:
            coverage.sample(info)
        result.bit_products += txn.bit_products
        expected = expected_counts(txn, backend) if check else None
        try:
            got = np.asarray(execute(txn, drive), dtype=np.int64)
        except AssertionError as e:
            where = f"({txn.n_out}x{txn.n_in}, length={txn.length}, seed={txn.seed:#x})"
            last_fail[:] = [txn, drive, f"{str(e).splitlines()[0]} {where}"]
            raise
        finally:
            if on_progress is not None:
                on_progress(result)
        if check and (got.shape != expected.shape or (got != expected).any()):
            where = f"({txn.n_out}x{txn.n_in}, length={txn.length}, seed={txn.seed:#x})"
            last_fail[:] = [txn, drive, f"counts differ: expected {expected.tolist()}, "
                                        f"got {got.tolist()} {where}"]
            raise AssertionError(last_fail[2])

    # The shrink rounds below replay the failure from a database, and count its new saves.
    db = _shrink_db(db if db is not None else InMemoryExampleDatabase())

    def hyp_test(n: int, k: int, phases=tuple(Phase)):
        return settings(max_examples=n, deadline=None, database=db, print_blob=False,
                        phases=phases, report_multiple_bugs=False,
                        suppress_health_check=list(HealthCheck))(
            hyp_seed(seed + k)(given(dense_txns(core, max_length), drive_options())(prop)))

    k = 0
    while True:
        n = chunk if max_examples is None else min(chunk, max_examples - generated)
        if n <= 0:
            break
        try:
            hyp_test(n, k)()
        except AssertionError as e:
            result.failed = True
            result.message = str(e).splitlines()[0]
            # Hypothesis stops a shrink after MAX_SHRINKS (500) successful steps: shrink the
            # saved failure again, round after round, until a round changes nothing.
            db.demote = True
            try:
                for _ in range(shrink_rounds):
                    saved = db.new
                    with contextlib.suppress(AssertionError):
                        hyp_test(1000, k, (Phase.reuse, Phase.shrink))()
                    if db.new == saved:
                        break
            finally:
                db.demote = False
            break
        generated += n
        k += 1
        if time_budget is not None and time.perf_counter() - t0 >= time_budget:
            break
    if result.failed and last_fail:
        txn, drive = last_fail[0], last_fail[1]
        result.txn, result.drive = txn, drive
        result.minimal = save_txn(Path(out_dir) / "minimal.npz", txn, drive)
        result.message = last_fail[2]
    result.seconds = time.perf_counter() - t0
    cov = {name: {b: 0 for b in bins} for name, bins in coverage.BINS.items()}
    for info in hits:
        for name, value in info.items():
            for b in (value if isinstance(value, list) else [value]):
                cov[name][b] += 1
    result.coverage = cov
    return result


def report_campaign(result: FuzzResult, out_dir: str | os.PathLike, sim: str,
                    seconds: float, design_args: Sequence[str] = ()) -> str | None:
    """Write ``out_dir/fuzz-result.json`` for a campaign run in a simulator; the failure report.

    Parameters
    ----------
    result : FuzzResult
        What :func:`run_campaign` returned.
    out_dir : path
        The run directory (where ``minimal.npz`` was saved).
    sim : str
        The simulator, for the replay command.
    seconds : float
        Wall time of the campaign.
    design_args : sequence of str
        The options that name the design under test, for the RTL replay command.

    Returns
    -------
    str or None
        None when no counterexample was found; else the report (the shrunk transaction, where
        it is saved, and the one-line replay commands on ``sim`` and on the emulator), whose
        last three lines are also printed.
    """
    info = result.to_json()
    info["seconds"] = seconds
    if result.failed:
        info["replay"] = {sim: replay_command(result.minimal.resolve(), "rtl", sim,
                                              design_args),
                          "emu": replay_command(result.minimal.resolve(), "emu")}
    (Path(out_dir) / "fuzz-result.json").write_text(json.dumps(info, indent=1))
    if not result.failed:
        return None
    lines = [(f"hypothesis found a failing transaction after {result.examples} examples "
              f"(shrunk): {result.message}"), result.txn.describe(),
             f"saved: {result.minimal.resolve()}",
             f"replay: {info['replay'][sim]}",
             f"replay on the emulator: {info['replay']['emu']}"]
    for line in lines[-3:]:
        print(line, flush=True)
    return "\n".join(lines)
