"""Settings and bookkeeping shared by the cocotb suites (the runner's SimSettings, read once)."""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TypeVar

import numpy as np

import golden
from emu import CoreShape, untile

from ..bfm import DenseBfm
from ..model import DenseTxn, predict_counts
from ..runner.settings import SimOptions, SimSettings
from ..scoreboard import Scoreboard

__all__ = ["Settings", "block_setup", "dense_setup", "dense_test", "record", "run_layer",
           "settings"]


class Settings:
    """What the runner passed to the simulation (``SimSettings.from_env()``, read on first use).

    The fields of :class:`~testbench.runner.settings.SimSettings` read through; this adds the
    golden backend, the seeded generators and the BFM / scoreboard factories.
    """

    def __init__(self, sim_settings: SimSettings | None = None) -> None:
        self._settings = sim_settings
        self._backend: golden.Backend | None = None
        #: Seconds spent in the golden prediction so far (reported apart from cocotb's time).
        self.predict_seconds = 0.0

    @property
    def sim_settings(self) -> SimSettings:
        if self._settings is None:
            self._settings = SimSettings.from_env()
        return self._settings

    backend_name = property(lambda self: self.sim_settings.backend)
    seed = property(lambda self: self.sim_settings.seed)
    scale = property(lambda self: self.sim_settings.scale)
    sim = property(lambda self: self.sim_settings.sim)
    stats = property(lambda self: self.sim_settings.stats)
    dump_dir = property(lambda self: self.sim_settings.dump_dir)
    core = property(lambda self: self.sim_settings.core)
    design_args = property(lambda self: self.sim_settings.design_args)

    @property
    def options(self) -> SimOptions:
        return self.sim_settings.options

    @property
    def wmem_path(self) -> Path:
        """The harness's weight file (``WMEM_FILE``), in the run directory (the cwd)."""
        return Path(self.sim_settings.wmem_file)

    @property
    def backend(self) -> golden.Backend:
        if self._backend is None:
            self._backend = golden.get_backend(self.backend_name)
        return self._backend

    def require_core(self, suite: str) -> CoreShape:
        """The dense core; RuntimeError when the runner passed none."""
        if self.core is None:
            raise RuntimeError(f"no core in the settings: run the {suite} suite through "
                               "`sctb sim`")
        return self.core

    def rng(self, test: str) -> np.random.Generator:
        """A NumPy generator seeded by the run seed and the test name (stable across runs)."""
        return np.random.default_rng([self.seed, *test.encode()])

    def pyrng(self, test: str) -> random.Random:
        return random.Random(f"{self.seed}:{test}")

    def count(self, base: int) -> int:
        """``base`` scaled by the run's ``scale``, at least 1."""
        return max(1, round(base * self.scale))

    def dense_bfm(self, dut, test: str) -> DenseBfm:
        return DenseBfm(dut, self.require_core("dense"), self.pyrng(test), self.wmem_path)

    def scoreboard(self) -> Scoreboard:
        return Scoreboard(dump_dir=self.dump_dir)


settings = Settings()
_Bfm = TypeVar("_Bfm")


async def block_setup(bfm: _Bfm, test: str) -> tuple[_Bfm, np.random.Generator]:
    """The set-up of a block test: ``bfm`` started (clock and reset), the test's generator."""
    await bfm.start()
    return bfm, settings.rng(test)


async def dense_setup(dut, test: str) -> tuple[DenseBfm, Scoreboard, np.random.Generator]:
    """The set-up of a dense test: its BFM (started: clock and reset), scoreboard, generator."""
    bfm = settings.dense_bfm(dut, test)
    sb = settings.scoreboard()
    rng = settings.rng(test)
    await bfm.start()
    return bfm, sb, rng


@asynccontextmanager
async def dense_test(dut, test: str
                     ) -> AsyncIterator[tuple[DenseBfm, Scoreboard, np.random.Generator]]:
    """:func:`dense_setup`, then the body :func:`record`-ed under the test's name."""
    bfm, sb, rng = await dense_setup(dut, test)
    with record(test, sb):
        yield bfm, sb, rng


def _threads() -> int | None:
    """Threads of this process (the simulator's) now; None where ``/proc`` does not say. One
    is the goal: a second thread makes glibc lock stdio per character (docs/regression.md)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


@contextmanager
def record(test: str, sb: Scoreboard | None = None, *, transactions: int = 0,
           bit_products: int = 0) -> Iterator[dict]:
    """Time a test body and append its figures to the run's stats file (JSON lines) on a pass.

    ``transactions`` counts checked items (layer transactions, or states, words and counts in the
    block tests); ``bit_products`` counts verified AND-and-count operations (dense suites only).
    """
    entry = {"test": test, "transactions": transactions, "bit_products": bit_products}
    p0 = settings.predict_seconds
    t0 = time.perf_counter()
    yield entry
    entry["seconds"] = time.perf_counter() - t0
    entry["predict_seconds"] = settings.predict_seconds - p0
    entry["sim_threads"] = _threads()
    if sb is not None:
        entry["transactions"] += sb.transactions
        entry["bit_products"] += sb.bit_products
    if settings.stats is not None:
        with open(settings.stats, "a") as f:
            f.write(json.dumps(entry) + "\n")


async def run_layer(bfm: DenseBfm, txn: DenseTxn, sb: Scoreboard, **kwargs) -> np.ndarray:
    """Run ``txn`` on the core, tiled when larger, and check the summed counts against golden."""
    t0 = time.perf_counter()
    expected = predict_counts(txn, settings.backend)
    settings.predict_seconds += time.perf_counter() - t0
    got = untile([(tile, await bfm.tile(tile, **kwargs)) for tile in txn.tiles(bfm.core)],
                 txn.n_out)
    sb.check(txn, expected, got)
    return got
