"""cocotb tests: the emulator (emu.ScDense) is cycle-exact to sc_dense, ports and registers."""

from __future__ import annotations

import cocotb
import numpy as np

import emu
import golden
from emu._blocks import S_CFG

from ..bfm import CycleBfm
from ..trace import record_emulator
from .common import record, settings

#: Emulator bugs a negative test plants through the ``emu_bug`` option (the suite must then
#: fail): the emulator twins of the RTL mutations in tests/test_sim_rtl.py, and an off-by-one in
#: ``rem``.
PLANTED_BUGS = ("comparator", "length_mask", "popcount_bit", "seed_offset", "rem_off_by_one")


def _buggy(bug: str) -> type:
    """An ``emu.ScDense`` subclass with the planted bug ``bug``."""

    class Buggy(emu.ScDense):
        def beat_sum(self) -> np.ndarray:
            states = emu.lfsr_states(self.lfsr, self.W)
            if bug == "comparator":                       # state <= x
                bits = states <= self.thr[:, None]
            else:
                bits = states < self.thr[:, None]
            if bug == "length_mask":                      # mask[j] = rem >= j
                bits &= self._lanes <= self.rem
            else:
                bits &= self._lanes < self.rem
            x = (bits.astype(np.uint64) * self._weights).sum(axis=1, dtype=np.uint64)
            w = self.w_data
            if bug == "popcount_bit" and self.W > 1:      # popcount ignores bit 1
                w = w & ~np.uint64(2)
            return np.bitwise_count(np.bitwise_and(w, x[None, :])).sum(axis=1, dtype=np.int64)

        def tick(self) -> None:
            loading = bool(self.cfg_valid) and self.state == S_CFG
            seed = int(self.cfg_seed)
            super().tick()
            if loading and bug == "seed_offset":          # input i loads seed + i + 1
                seeds = (seed + 1 + np.arange(self.N_IN)) & 0xFFFF
                seeds[seeds == 0] = 1
                self.lfsr = seeds.astype(np.uint16)
            if loading and not self.rst and bug == "rem_off_by_one":   # rem = length + 1
                self.rem += 1

    Buggy.__name__ = f"ScDense_{bug}"
    return Buggy


def _model() -> type:
    bug = settings.options.emu_bug
    if not bug:
        return emu.ScDense
    if bug not in PLANTED_BUGS:
        raise ValueError(f"emu_bug must be one of {PLANTED_BUGS}, got {bug!r}")
    return _buggy(bug)


def _transaction(rng: np.random.Generator, core, length: int) -> emu.DenseTransaction:
    """Random weights (garbage past ``length`` included), thresholds with 0 and 65536, seed."""
    nw = -(-length // 64)
    weights = rng.integers(0, 2**64, size=(core.n_out, core.n_in, nw), dtype=np.uint64)
    thr = rng.integers(0, 65537, size=core.n_in)
    ends = rng.random(core.n_in)
    thr[ends < 0.1] = 0
    thr[ends > 0.9] = 65536
    seed = int(rng.integers(0, 2**63)) * 2 + int(rng.integers(0, 2))
    return emu.DenseTransaction(weights, thr, length, seed)


def _pattern(rng: np.random.Generator) -> list[bool]:
    """A stall pattern: a random period of 5 .. 60 cycles, high with a random density (> 0)."""
    density = float(rng.uniform(0.25, 1.0))
    pattern = rng.random(int(rng.integers(5, 61))) < density
    pattern[rng.integers(0, pattern.size)] = True   # at least one slot: the stream never starves
    return pattern.tolist()


async def _check(bfm: CycleBfm, test: str, transactions, patterns: dict) -> None:
    """Record the emulator on this stimulus, replay it on the RTL, fail on the first mismatch."""
    trace = record_emulator(bfm.core, transactions, patterns, dense_cls=_model())
    with record(test, transactions=len(transactions)) as entry:
        bad = await bfm.replay(trace)
        entry["cycles"] = len(trace.inputs)
        entry["compared"] = bfm.compared
    assert bad is None, f"{test}: {bad}"
    assert trace.finished, f"{test}: the emulator did not finish within {len(trace.inputs)} cycles"
    # Every cycle after the first compares at least the ports and the control registers.
    assert bfm.compared >= (len(trace.inputs) - 1) * 8, bfm.compared
    assert len(trace.results) == bfm.core.n_out * len(transactions)


async def _bfm(dut) -> CycleBfm:
    bfm = CycleBfm(dut, settings.core)
    await bfm.start()
    return bfm


@cocotb.test()
async def lengths_back_to_back(dut):
    """Back-to-back transactions of length 0, 1, W - 1, W, W + 1, 2W + 3, 64, 100; no stalls."""
    core = settings.core
    rng = settings.rng("lengths_back_to_back")
    w = core.w
    lengths = [0, 1, w - 1, w, w + 1, 2 * w + 3, 64, 100, 0]
    lengths = [n for k, n in enumerate(lengths) if n >= 0 and (n > 0 or k in (0, 8))]
    txs = [_transaction(rng, core, n) for n in lengths]
    await _check(await _bfm(dut), "lengths_back_to_back", txs, {})


@cocotb.test()
async def comparator_boundary(dut):
    """Thresholds equal to a state each input's LFSR reaches: ``<`` and ``<=`` differ there."""
    core = settings.core
    rng = settings.rng("comparator_boundary")
    txs = []
    for _ in range(2):
        length = int(rng.integers(2 * core.w + 1, 4 * core.w + 40))
        tx = _transaction(rng, core, length)
        ones = np.full_like(tx.weights, np.uint64(2**64 - 1))
        thr = np.empty(core.n_in, dtype=np.int64)
        for i in range(core.n_in):
            seed = ((tx.seed + i) & 0xFFFF) or 1
            thr[i] = int(golden.lfsr_jump(seed, int(rng.integers(0, length))))  # state_t, t < L
        txs.append(emu.DenseTransaction(ones, thr, length, tx.seed))
    await _check(await _bfm(dut), "comparator_boundary", txs, {"out": [True, False, True]})


@cocotb.test()
async def random_stalls(dut):
    """Seeded batches: random transactions with random valid gaps and result back-pressure."""
    core = settings.core
    rng = settings.rng("random_stalls")
    txs, patterns = [], []
    for _ in range(settings.count(10)):
        n = int(rng.integers(1, 5))
        txs.append([_transaction(rng, core, int(rng.integers(0, 4 * core.w + 200)))
                    for _ in range(n)])
        patterns.append({k: _pattern(rng) for k in ("cfg", "thr", "w", "out")})
    bfm = await _bfm(dut)
    for k, (batch, pat) in enumerate(zip(txs, patterns)):
        await _check(bfm, f"random_stalls[{k}]", batch, pat)
