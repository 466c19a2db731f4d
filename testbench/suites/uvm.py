"""pyuvm tests of sc_dense: one base test; variants override the sequence (factory override)."""

from __future__ import annotations

import os

import cocotb
import pyuvm
from pyuvm import ConfigDB, uvm_factory, uvm_test

from .. import coverage
from ..bfm import DenseBfm, wmem_path
from ..fuzz import expected_counts
from ..uvm import DenseBaseSeq, DenseEnv, DirectedSeq, HypothesisSeq, RandomSeq
from .common import record, settings


class DenseBaseTest(uvm_test):
    """Builds the env; runs one ``DenseBaseSeq`` (which a variant overrides) after a reset."""

    def build_phase(self) -> None:
        if settings.core is None:
            raise RuntimeError("SCTB_CORE is not set: run the uvm suite through testbench.sim")
        name = type(self).__name__
        self.bfm = DenseBfm(cocotb.top, settings.core, settings.pyrng(name), wmem_path())
        ConfigDB().set(None, "*", "BFM", self.bfm)
        ConfigDB().set(None, "*", "CORE", settings.core)
        ConfigDB().set(None, "*", "SEED", settings.seed)
        ConfigDB().set(None, "*", "N_ITEMS", settings.count(16))
        ConfigDB().set(None, "*", "DUMP_DIR", settings.dump_dir)
        ConfigDB().set(None, "*", "PREDICT", lambda txn: expected_counts(txn, settings.backend))
        self.env = DenseEnv("env", self)

    async def run_phase(self) -> None:
        self.raise_objection()
        name = type(self).__name__
        seqr = ConfigDB().get(None, "", "SEQR")
        seq = DenseBaseSeq.create("seq")
        with record(name, self.env.scoreboard.sb) as entry:
            await self.bfm.start()
            await seq.start(seqr)
        entry["sequence"] = type(seq).__name__
        self.drop_objection()

    def report_phase(self) -> None:
        path = settings.dump_dir / "coverage.json"
        coverage.export_json(path)
        self.logger.info(f"coverage: {self.env.coverage.sampled} items sampled, {path}")


@pyuvm.test()
class DirectedTest(DenseBaseTest):
    """Directed edge cases (the DirectedSeq override)."""

    def build_phase(self) -> None:
        uvm_factory().set_type_override_by_type(DenseBaseSeq, DirectedSeq)
        super().build_phase()


@pyuvm.test()
class RandomTest(DenseBaseTest):
    """Seeded random items (the RandomSeq override; ``SCTB_SEED`` and ``SCTB_SCALE``)."""

    def build_phase(self) -> None:
        uvm_factory().set_type_override_by_type(DenseBaseSeq, RandomSeq)
        super().build_phase()


@pyuvm.test()
class HypothesisTest(DenseBaseTest):
    """Items drawn by hypothesis, shrunk on a mismatch (the HypothesisSeq override).

    ConfigDB ``HYP_EXAMPLES``: ``SCTB_FUZZ_EXAMPLES`` when set, else 30 scaled by
    ``SCTB_SCALE``; ``HYP_MAX_LENGTH``: ``SCTB_FUZZ_MAX_LENGTH`` or 300.
    """

    def build_phase(self) -> None:
        uvm_factory().set_type_override_by_type(DenseBaseSeq, HypothesisSeq)
        env = os.environ
        ConfigDB().set(None, "*", "HYP_EXAMPLES", int(env["SCTB_FUZZ_EXAMPLES"])
                       if env.get("SCTB_FUZZ_EXAMPLES") else settings.count(30))
        ConfigDB().set(None, "*", "HYP_MAX_LENGTH", int(env.get("SCTB_FUZZ_MAX_LENGTH", "300")))
        ConfigDB().set(None, "*", "SIM", settings.sim)
        super().build_phase()
