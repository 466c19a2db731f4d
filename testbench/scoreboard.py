"""Scoreboard: compares the DUT's integer counts with the golden prediction; first mismatch."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from .model import DenseTxn

__all__ = ["Mismatch", "Scoreboard"]


class Mismatch(AssertionError):
    """The DUT's counts differ from the golden prediction (the message holds the transaction)."""


@dataclasses.dataclass
class Scoreboard:
    """Counts checked transactions and raises :class:`Mismatch` on the first wrong count.

    Attributes
    ----------
    dump_dir : pathlib.Path or None
        Where a failing transaction is saved as ``.npz`` (weights, probs, length, seed, counts).
    transactions : int
        Transactions compared so far.
    bit_products : int
        Sum of ``n_out * n_in * length`` over those transactions.
    """

    dump_dir: Path | None = None
    transactions: int = 0
    bit_products: int = 0

    def check(self, txn: DenseTxn, expected: np.ndarray, got: np.ndarray) -> None:
        """Compare integer counts of one transaction.

        Parameters
        ----------
        txn : DenseTxn
            The transaction, printed in full on a mismatch.
        expected : numpy.ndarray
            int64 ``(n_out,)`` golden counts.
        got : numpy.ndarray
            int ``(n_out,)`` counts read from the DUT.

        Raises
        ------
        Mismatch
            On the first output whose count differs (or a wrong number of counts).
        """
        expected = np.asarray(expected, dtype=np.int64)
        got = np.asarray(got, dtype=np.int64)
        index = self.transactions
        if got.shape != expected.shape:
            self._fail(txn, index, expected, got, f"got {got.shape[0]} counts, expected "
                       f"{expected.shape[0]}")
        bad = np.flatnonzero(got != expected)
        if bad.size:
            o = int(bad[0])
            self._fail(txn, index, expected, got,
                       f"counts[{o}] = {int(got[o])}, expected {int(expected[o])} "
                       f"({bad.size} of {expected.size} outputs differ)")
        self.transactions += 1
        self.bit_products += txn.bit_products

    def _fail(self, txn: DenseTxn, index: int, expected: np.ndarray, got: np.ndarray,
              what: str) -> None:
        saved = ""
        if self.dump_dir is not None:
            self.dump_dir.mkdir(parents=True, exist_ok=True)
            path = self.dump_dir / f"mismatch-{os.getpid()}-{index}.npz"
            np.savez(path, weights=txn.weights, probs=txn.probs, length=txn.length,
                     seed=np.uint64(txn.seed), expected=expected, got=got)
            saved = f"\n  saved to {path}"
        with np.printoptions(threshold=256, linewidth=100):
            raise Mismatch(
                f"first mismatch in transaction #{index}: {what}\n"
                f"  expected={expected}\n  got     ={got}\n{txn.describe()}{saved}"
            )
