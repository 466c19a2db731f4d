"""The pyuvm components of the sc_dense environment (all DUT access goes through DenseBfm)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import cocotb
import numpy as np
import pyuvm
from pyuvm import (
    ConfigDB,
    uvm_analysis_port,
    uvm_component,
    uvm_driver,
    uvm_env,
    uvm_sequence,
    uvm_sequence_item,
    uvm_sequencer,
    uvm_subscriber,
)

from emu import CoreShape, untile

from .. import coverage
from ..bfm import DenseBfm
from ..fuzz import FuzzResult, report_campaign, run_campaign
from ..model import DenseTxn, random_txn
from ..scoreboard import Mismatch, Scoreboard

__all__ = ["CoverageSubscriber", "DenseAgent", "DenseBaseSeq", "DenseDriver", "DenseEnv",
           "DenseItem", "DenseScoreboard", "DirectedSeq", "HypothesisSeq", "RandomSeq",
           "ResultMonitor"]


class DenseItem(uvm_sequence_item):
    """One layer transaction and how to drive it; the driver fills ``counts``.

    Attributes
    ----------
    txn : DenseTxn
        Weights uint64 ``(n_out, n_in, n_words)``, probs float64 ``(n_in,)``, length, seed.
    source : {"buffer", "port"}
        Where the weights come from (BFM).
    gap, backpressure : float
        Chances of an input stall cycle and of ``out_ready`` low.
    reset : bool
        Reset the DUT before this transaction.
    counts : numpy.ndarray or None
        int64 ``(n_out,)`` read back from the DUT (tile sums).
    back_to_back : bool
        Set by the driver: no reset since the previous transaction.
    mismatch : str or None
        Set by the scoreboard: its report when the counts differ from the golden model.
    """

    def __init__(self, name: str = "dense_item", txn: DenseTxn | None = None, *,
                 source: str = "buffer", gap: float = 0.0, backpressure: float = 0.0,
                 reset: bool = False) -> None:
        super().__init__(name)
        self.txn = txn
        self.source = source
        self.gap = gap
        self.backpressure = backpressure
        self.reset = reset
        self.counts: np.ndarray | None = None
        self.back_to_back = False
        self.mismatch: str | None = None

    def __str__(self) -> str:
        t = self.txn
        return (f"{self.get_name()}: {t.n_out}x{t.n_in} L={t.length} seed={t.seed:#x} "
                f"{self.source} gap={self.gap} bp={self.backpressure}")


# ---- sequences ----------------------------------------------------------------------------------
class DenseBaseSeq(uvm_sequence):
    """Sends the items of :meth:`items`; tests pick the subclass through a factory override."""

    def core(self) -> CoreShape:
        return ConfigDB().get(None, "", "CORE")

    def items(self) -> Iterator[DenseItem]:
        """The hook the sequences override: the items to send, in order."""
        raise NotImplementedError(
            "DenseBaseSeq has no items: override it (factory override) with a sequence")

    async def body(self) -> None:
        for item in self.items():
            await self.start_item(item)
            await self.finish_item(item)


def _ones(n_out: int, n_in: int, length: int) -> np.ndarray:
    nw = -(-length // 64)
    w = np.full((n_out, n_in, nw), np.uint64(2**64 - 1), dtype=np.uint64)
    if length % 64:
        w[:, :, -1] = np.uint64((1 << (length % 64)) - 1)
    return w


class DirectedSeq(DenseBaseSeq):
    """Directed edge cases: p in {0, 1}, ties, tiny p, lengths around 64, seed 0 and the wrap,
    shapes below / at / above the core, back to back, stalls and back-pressure."""

    def items(self) -> Iterator[DenseItem]:
        core = self.core()
        rng = np.random.default_rng(ConfigDB().get(None, "", "SEED"))
        ni, no = core.n_in, core.n_out
        tie = (np.arange(ni) + 0.5) / 65536.0
        tiny = np.linspace(1e-9, 2.0**-16 * 0.99, ni)
        p01 = (np.arange(ni) % 2).astype(np.float64)
        cases = [
            # (n_out, n_in, length, seed, probs or None, ones?, drive)
            (no, ni, 64, 0xACE1, p01, True, {"reset": True}),
            (no, ni, 65, 0, tie, False, {}),
            (no, ni, 63, 0xFFFF - ni // 2, tiny, False, {}),
            (no - 1 or 1, ni - 1 or 1, 128, 0xFFFF, None, False, {"gap": 0.3}),
            (no + 1, ni + 1, 129, (1 << 64) - 1, None, False, {"backpressure": 0.4}),
            (2 * no + 1, 2 * ni + 1, 191, 0x1_0000, None, False, {"source": "port", "gap": 0.2}),
            (2 * no + 1, 1, 1, 0xACE1, None, False, {"reset": True}),
            (1, 2 * ni + 1, 1500, 0xFFF0, None, False, {"backpressure": 0.3}),
            (no, ni, 4096 + 3, 12345, None, False, {}),
        ]
        for k, (n_out, n_in, length, seed, probs, ones, drive) in enumerate(cases):
            txn = random_txn(rng, n_out, n_in, length, seed=seed, label=f"directed #{k}")
            weights = _ones(n_out, n_in, length) if ones else txn.weights
            p = txn.probs if probs is None else np.resize(probs, n_in)
            yield DenseItem(f"directed_{k}", DenseTxn(weights, p, length, seed, txn.label),
                            **drive)


class RandomSeq(DenseBaseSeq):
    """Seeded random items (ConfigDB ``SEED``, ``N_ITEMS``): shapes around the core, any length."""

    def items(self) -> Iterator[DenseItem]:
        core = self.core()
        rng = np.random.default_rng([ConfigDB().get(None, "", "SEED"), 7])
        for k in range(ConfigDB().get(None, "", "N_ITEMS")):
            n_out = int(rng.choice([1, core.n_out - 1 or 1, core.n_out, core.n_out + 1,
                                    2 * core.n_out + 1]))
            n_in = int(rng.choice([1, core.n_in - 1 or 1, core.n_in, core.n_in + 1,
                                   2 * core.n_in + 1]))
            length = int(rng.choice([rng.integers(1, 200), 64 * rng.integers(1, 8),
                                     64 * rng.integers(1, 8) + rng.choice([-1, 1]),
                                     rng.integers(1000, 3000)]))
            txn = random_txn(rng, n_out, n_in, length, tail_garbage=bool(rng.random() < 0.3),
                             label=f"random #{k}")
            source = "port" if rng.random() < 0.25 and length < 600 else "buffer"
            yield DenseItem(f"random_{k}", txn, source=source,
                            gap=float(rng.choice([0.0, 0.0, 0.3])),
                            backpressure=float(rng.choice([0.0, 0.0, 0.4])),
                            reset=bool(rng.random() < 0.2))


class HypothesisSeq(DenseBaseSeq):
    """Items drawn by hypothesis: ``@given(testbench.strategies.dense_txns)``, with shrinking.

    ``@given`` runs in a ``cocotb.task.bridge`` thread (:func:`testbench.fuzz.run_campaign`);
    each example is sent, through ``cocotb.task.resume``, as one item (with a reset first) down
    the normal sequencer -> driver -> monitor -> scoreboard path, and the scoreboard's verdict
    (``DenseItem.mismatch``) is the example's: a mismatch fails it, and hypothesis shrinks it.
    The shrunk item is saved as ``DUMP_DIR/minimal.npz``, ``DUMP_DIR/fuzz-result.json`` holds
    the campaign with the replay commands, and the sequence then raises ``AssertionError``
    with the report. ConfigDB: ``SEED`` (hypothesis's), ``HYP_EXAMPLES`` (examples generated),
    ``HYP_MAX_LENGTH``, ``DUMP_DIR`` and ``SIM`` (for the replay command).

    Attributes
    ----------
    result : FuzzResult or None
        The campaign, once the body has run.
    sent : int
        Items sent so far (examples run, shrinking included).
    """

    result: FuzzResult | None = None
    sent = 0

    async def send(self, txn: DenseTxn, drive: dict) -> np.ndarray:
        """One example as an item; int64 ``(n_out,)`` counts, ``AssertionError`` on a mismatch."""
        self.sent += 1
        item = DenseItem(f"hypothesis_{self.sent}", txn, reset=True, **drive)
        await self.start_item(item)
        await self.finish_item(item)
        if item.mismatch is not None:
            raise AssertionError(item.mismatch)
        return item.counts

    async def body(self) -> None:
        cdb = ConfigDB()
        dump_dir = cdb.get(None, "", "DUMP_DIR")
        t0 = time.perf_counter()
        self.result = await cocotb.task.bridge(run_campaign)(
            cocotb.task.resume(self.send), core=self.core(), seed=cdb.get(None, "", "SEED"),
            max_examples=cdb.get(None, "", "HYP_EXAMPLES"), out_dir=dump_dir,
            max_length=cdb.get(None, "", "HYP_MAX_LENGTH"), check=False, sample=False)
        failure = report_campaign(self.result, dump_dir, cdb.get(None, "", "SIM"),
                                  time.perf_counter() - t0, cdb.get(None, "", "DESIGN_ARGS"))
        if failure is not None:
            raise AssertionError(failure)


# ---- agent --------------------------------------------------------------------------------------
class DenseDriver(uvm_driver):
    """Runs each item tile by tile through the BFM and publishes it with its counts on ``ap``."""

    def build_phase(self) -> None:
        self.ap = uvm_analysis_port("ap", self)

    def start_of_simulation_phase(self) -> None:
        self.bfm: DenseBfm = ConfigDB().get(self, "", "BFM")

    async def run_phase(self) -> None:
        first = True
        while True:
            item = await self.seq_item_port.get_next_item()
            if item.reset:
                await self.bfm.start()
            item.back_to_back = not (first or item.reset)
            first = False
            txn = item.txn
            item.counts = untile(
                [(tile, await self.bfm.tile(tile, source=item.source, gap=item.gap,
                                            backpressure=item.backpressure))
                 for tile in txn.tiles(self.bfm.core)], txn.n_out)
            self.ap.write(item)
            self.seq_item_port.item_done()


class ResultMonitor(uvm_subscriber):
    """Checks the result stream's framing the BFM observed and forwards complete items.

    The BFM's result collector is the monitor of the ``out_*`` port (it checks ``out_last``);
    this component passes each completed item, with its counts, to the analysis side.
    """

    def build_phase(self) -> None:
        self.ap = uvm_analysis_port("ap", self)
        self.seen = 0

    def write(self, item: DenseItem) -> None:
        if item.counts is None or item.counts.shape != (item.txn.n_out,):
            shape = getattr(item.counts, "shape", None)
            raise AssertionError(f"{item}: no counts or wrong shape {shape}")
        self.seen += 1
        self.ap.write(item)


class DenseAgent(uvm_component):
    """Sequencer, driver and result monitor of the sc_dense streams."""

    def build_phase(self) -> None:
        self.seqr = uvm_sequencer("seqr", self)
        self.driver = DenseDriver("driver", self)
        self.monitor = ResultMonitor("monitor", self)
        ConfigDB().set(None, "*", "SEQR", self.seqr)

    def connect_phase(self) -> None:
        self.driver.seq_item_port.connect(self.seqr.seq_item_export)
        self.driver.ap.connect(self.monitor.analysis_export)


class DenseScoreboard(uvm_subscriber):
    """Predicts each item with the golden backend (ConfigDB ``PREDICT``) and only compares."""

    def build_phase(self) -> None:
        self.sb = Scoreboard(dump_dir=ConfigDB().get(self, "", "DUMP_DIR"))
        self.predict = ConfigDB().get(self, "", "PREDICT")
        self.errors: list[str] = []
        self.predict_seconds = 0.0

    def write(self, item: DenseItem) -> None:
        t0 = time.perf_counter()
        expected = self.predict(item.txn)
        self.predict_seconds += time.perf_counter() - t0
        try:
            self.sb.check(item.txn, expected, item.counts)
        except Mismatch as e:
            item.mismatch = str(e)
            self.errors.append(f"{item}: {e}")

    def check_phase(self) -> None:
        if self.errors:
            raise Mismatch(f"{len(self.errors)} of {self.sb.transactions + len(self.errors)} "
                           f"items mismatched; first:\n{self.errors[0]}")
        if self.sb.transactions == 0:
            raise AssertionError("the scoreboard compared no transaction")


class CoverageSubscriber(uvm_subscriber):
    """Samples every completed item into the functional coverage (testbench.coverage)."""

    def build_phase(self) -> None:
        self.core: CoreShape = ConfigDB().get(self, "", "CORE")
        self.sampled = 0

    def write(self, item: DenseItem) -> None:
        t = item.txn
        coverage.sample(coverage.TxnInfo.of(
            (t.n_out, t.n_in), t.probs, t.length, t.seed, self.core.n_in, self.core.n_out,
            back_to_back=item.back_to_back, gap=item.gap, backpressure=item.backpressure))
        self.sampled += 1


class DenseEnv(uvm_env):
    """Agent, scoreboard and coverage subscriber, connected through analysis ports."""

    def build_phase(self) -> None:
        self.agent = DenseAgent("agent", self)
        self.scoreboard = DenseScoreboard("scoreboard", self)
        self.coverage = CoverageSubscriber("coverage", self)

    def connect_phase(self) -> None:
        self.agent.monitor.ap.connect(self.scoreboard.analysis_export)
        self.agent.monitor.ap.connect(self.coverage.analysis_export)


_ = pyuvm  # the package is imported for its side effects on the factory as well
