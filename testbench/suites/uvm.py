"""pyuvm tests of sc_dense: one base test; variants override the sequence (factory override)."""

from __future__ import annotations

import cocotb
import pyuvm
from pyuvm import ConfigDB, uvm_factory, uvm_test

from .. import coverage
from ..bfm import DenseBfm
from ..fuzz import expected_counts
from ..uvm import DenseBaseSeq, DenseEnv, DirectedSeq, HypothesisSeq, RandomSeq
from .common import record, settings


class DenseBaseTest(uvm_test):
    """Builds the env; runs one ``DenseBaseSeq`` (which a variant overrides) after a reset."""

    def build_phase(self) -> None:
        core = settings.require_core("uvm")
        name = type(self).__name__
        self.bfm = DenseBfm(cocotb.top, core, settings.pyrng(name), settings.wmem_path)
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
    """Seeded random items (the RandomSeq override; the run's ``seed`` and ``scale``)."""

    def build_phase(self) -> None:
        uvm_factory().set_type_override_by_type(DenseBaseSeq, RandomSeq)
        super().build_phase()


@pyuvm.test()
class HypothesisTest(DenseBaseTest):
    """Items drawn by hypothesis, shrunk on a mismatch (the HypothesisSeq override).

    ConfigDB ``HYP_EXAMPLES``: the ``fuzz_examples`` option when set, else 30 scaled by the run's
    ``scale``; ``HYP_MAX_LENGTH``: the ``fuzz_max_length`` option or 300.
    """

    def build_phase(self) -> None:
        uvm_factory().set_type_override_by_type(DenseBaseSeq, HypothesisSeq)
        opts = settings.options
        ConfigDB().set(None, "*", "HYP_EXAMPLES", opts.fuzz_examples or settings.count(30))
        ConfigDB().set(None, "*", "HYP_MAX_LENGTH", opts.fuzz_max_length or 300)
        ConfigDB().set(None, "*", "SIM", settings.sim)
        ConfigDB().set(None, "*", "DESIGN_ARGS", settings.design_args)
        super().build_phase()
