"""Hypothesis in the simulator: @given runs in a cocotb.task.bridge thread, the DUT is reset and
driven per example through cocotb.task.resume; the shrunk failure is saved with replay commands."""

from __future__ import annotations

import logging
import time

import cocotb
import numpy as np

from emu import untile

from .. import coverage
from ..bfm import DenseBfm
from ..fuzz import expected_counts, load_txn, report_campaign, run_campaign
from ..model import DenseTxn
from .common import record, settings


def _bfm(dut, name: str) -> DenseBfm:
    return DenseBfm(dut, settings.require_core("fuzz"), settings.pyrng(name), settings.wmem_path)


async def _run(bfm: DenseBfm, txn: DenseTxn, drive: dict) -> np.ndarray:
    """Reset the DUT, then run ``txn`` tile by tile; int64 ``(n_out,)`` summed counts."""
    await bfm.start()
    kwargs = {"source": drive.get("source", "buffer"), "gap": drive.get("gap", 0.0),
              "backpressure": drive.get("backpressure", 0.0)}
    return untile([(tile, await bfm.tile(tile, **kwargs)) for tile in txn.tiles(bfm.core)],
                  txn.n_out)


@cocotb.test()
async def hypothesis_dense(dut):
    """``@given(dense_txns)`` against the golden model; the ``replay_file`` option runs one
    saved example."""
    bfm = _bfm(dut, "hypothesis_dense")
    opts = settings.options
    out = settings.dump_dir
    replay = opts.replay_file
    if replay:
        txn, drive = load_txn(replay)
        with record("hypothesis_dense", transactions=1, bit_products=txn.bit_products):
            got = await _run(bfm, txn, drive)
            expected = expected_counts(txn, settings.backend)
            assert (got == expected).all(), (
                f"replay of {replay}: counts differ: expected {expected.tolist()}, got "
                f"{got.tolist()}\n{txn.describe()}")
        return
    execute = cocotb.task.resume(lambda txn, drive: _run(bfm, txn, drive))
    campaign = cocotb.task.bridge(run_campaign)
    max_examples = opts.fuzz_examples or settings.count(40)
    t0 = time.perf_counter()
    with record("hypothesis_dense") as entry:
        result = await campaign(
            execute, core=settings.core, seed=settings.seed, max_examples=max_examples,
            time_budget=opts.fuzz_time, database=opts.fuzz_db, out_dir=out,
            backend=settings.backend, max_length=opts.fuzz_max_length or 600)
        entry["transactions"] = result.examples
        entry["bit_products"] = result.bit_products
    coverage.export_json(out / "coverage.json")
    failure = report_campaign(result, out, settings.sim, time.perf_counter() - t0,
                              settings.design_args)
    if failure is not None:
        raise AssertionError(failure)
    logging.getLogger("cocotb.fuzz").info(
        f"hypothesis: {result.examples} examples passed in {result.seconds:.1f} s")
