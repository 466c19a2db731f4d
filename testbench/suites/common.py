"""Settings and bookkeeping shared by the cocotb test modules (read from SCTB_* variables)."""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

import golden

from ..bfm import DenseBfm, wmem_path
from ..model import CoreShape, DenseTxn, predict_counts, tiles
from ..scoreboard import Scoreboard

__all__ = ["Settings", "record", "run_layer", "settings"]


class Settings:
    """What the runner passed to the simulation (see testbench.sim)."""

    def __init__(self) -> None:
        env = os.environ
        self.backend_name = env.get("SCTB_BACKEND", "numpy")
        self.seed = int(env.get("SCTB_SEED", "1"))
        self.scale = float(env.get("SCTB_SCALE", "1"))
        self.sim = env.get("SCTB_SIM", "")
        self.stats = Path(env["SCTB_STATS"]) if env.get("SCTB_STATS") else None
        self.dump_dir = Path(env.get("SCTB_DUMP_DIR", "."))
        core = json.loads(env.get("SCTB_CORE", "{}"))
        self.core = CoreShape(**core) if core else None
        self._backend: golden.Backend | None = None
        #: Seconds spent in the golden prediction so far (reported apart from cocotb's time).
        self.predict_seconds = 0.0

    @property
    def backend(self) -> golden.Backend:
        if self._backend is None:
            self._backend = golden.get_backend(self.backend_name)
        return self._backend

    def rng(self, test: str) -> np.random.Generator:
        """A NumPy generator seeded by the run seed and the test name (stable across runs)."""
        return np.random.default_rng([self.seed, *test.encode()])

    def pyrng(self, test: str) -> random.Random:
        return random.Random(f"{self.seed}:{test}")

    def count(self, base: int) -> int:
        """``base`` scaled by ``SCTB_SCALE``, at least 1."""
        return max(1, round(base * self.scale))

    def dense_bfm(self, dut, test: str) -> DenseBfm:
        if self.core is None:
            raise RuntimeError("SCTB_CORE is not set: run the dense suites through testbench.sim")
        return DenseBfm(dut, self.core, self.pyrng(test), wmem_path())

    def scoreboard(self) -> Scoreboard:
        return Scoreboard(dump_dir=self.dump_dir)


settings = Settings()


@contextmanager
def record(test: str, sb: Scoreboard | None = None, *, transactions: int = 0,
           bit_products: int = 0) -> Iterator[dict]:
    """Time a test body and append its figures to ``SCTB_STATS`` (JSON lines) when it passes.

    ``transactions`` counts checked items (layer transactions, or states, words and counts in the
    block tests); ``bit_products`` counts verified AND-and-count operations (dense suites only).
    """
    entry = {"test": test, "transactions": transactions, "bit_products": bit_products}
    p0 = settings.predict_seconds
    t0 = time.perf_counter()
    yield entry
    entry["seconds"] = time.perf_counter() - t0
    entry["predict_seconds"] = settings.predict_seconds - p0
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
    got = np.zeros(txn.n_out, dtype=np.int64)
    for tile in tiles(txn, bfm.core):
        counts = await bfm.tile(tile, txn.length, **kwargs)
        got[tile.o0 : tile.o0 + tile.n_out] += np.asarray(counts[: tile.n_out], dtype=np.int64)
    sb.check(txn, expected, got)
    return got
