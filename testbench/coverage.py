"""Functional coverage of sc_dense transactions (cocotb-coverage cover points, JSON, merge)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from golden._contract import LFSR_MASK

__all__ = ["BINS", "REQUIRED", "TxnInfo", "export_json", "merge", "missing", "p_bin", "sample",
           "snapshot"]

#: Every cover point and its bins (crosses are named ``a x b``).
BINS: dict[str, list[str]] = {
    "p": ["zero", "one", "tie", "tiny", "other"],
    "length_mod64": ["aligned", "unaligned"],
    "length_size": ["short", "medium", "long"],
    "seed": ["zero", "wrap", "plain"],
    "n_in": ["below", "equal", "above"],
    "n_out": ["below", "equal", "above"],
    "order": ["after_reset", "back_to_back"],
    "backpressure": ["none", "some"],
    "input_stalls": ["none", "some"],
}
BINS["n_in x n_out"] = [f"{a}/{b}" for a in BINS["n_in"] for b in BINS["n_out"]]

#: Bins the default budget (the uvm suite at scale 1) must fill: every bin of every point, and
#: the diagonal and the tiled corner of the shape cross.
REQUIRED: dict[str, list[str]] = {k: list(v) for k, v in BINS.items() if k != "n_in x n_out"}
REQUIRED["n_in x n_out"] = ["below/below", "equal/equal", "above/above", "above/below"]


def p_bin(p: float) -> str:
    """The coverage bin of one probability: zero, one, tie (p * 65536 ends in .5), tiny, other."""
    p = float(p)
    if p == 0.0:
        return "zero"
    if p == 1.0:
        return "one"
    scaled = p * 65536.0
    if scaled - np.floor(scaled) == 0.5:
        return "tie"
    if p < 2.0**-16:
        return "tiny"
    return "other"


def _shape_bin(n: int, core_n: int) -> str:
    return "below" if n < core_n else "equal" if n == core_n else "above"


class TxnInfo(dict):
    """What one transaction exercised: a bin per cover point (plus the p bins of its inputs)."""

    @classmethod
    def of(cls, weights_shape: tuple[int, int], probs: Iterable[float], length: int, seed: int,
           core_n_in: int, core_n_out: int, *, back_to_back: bool, gap: float,
           backpressure: float) -> TxnInfo:
        """Classify one transaction.

        Parameters
        ----------
        weights_shape : (int, int)
            ``(n_out, n_in)`` of the layer.
        probs : iterable of float
            The ``n_in`` input probabilities.
        length, seed : int
            Stream length and base seed.
        core_n_in, core_n_out : int
            The core's shape (tiling happens above it).
        back_to_back : bool
            No reset since the previous transaction.
        gap, backpressure : float
            Chances of input stalls and of ``out_ready`` low.
        """
        n_out, n_in = weights_shape
        low = seed & LFSR_MASK
        seed_bin = "zero" if low == 0 else "wrap" if low + n_in - 1 > LFSR_MASK else "plain"
        info = cls(
            length_mod64="aligned" if length % 64 == 0 else "unaligned",
            length_size="short" if length <= 64 else "medium" if length < 1024 else "long",
            seed=seed_bin,
            n_in=_shape_bin(n_in, core_n_in),
            n_out=_shape_bin(n_out, core_n_out),
            order="back_to_back" if back_to_back else "after_reset",
            backpressure="some" if backpressure > 0 else "none",
            input_stalls="some" if gap > 0 else "none",
        )
        info["n_in x n_out"] = f"{info['n_in']}/{info['n_out']}"
        info["p"] = sorted({p_bin(p) for p in probs})
        return info


_db = None


def _points():
    """Build the cocotb-coverage cover points once (imported lazily: only sims need it)."""
    global _db
    if _db is not None:
        return _db
    from cocotb_coverage.coverage import CoverPoint, coverage_db

    @CoverPoint("sctb.p", vname="b", bins=BINS["p"])
    def sample_p(b: str) -> None:
        pass

    def point(name: str):
        return CoverPoint(f"sctb.{name}", xf=lambda info, _n=name: info[_n], bins=BINS[name])

    def sample_txn(info: TxnInfo) -> None:
        pass

    for name in BINS:
        if name != "p":
            sample_txn = point(name)(sample_txn)
    _db = (sample_p, sample_txn, coverage_db)
    return _db


def sample(info: TxnInfo) -> None:
    """Record one transaction in the cocotb-coverage database."""
    sample_p, sample_txn, _ = _points()
    for b in info["p"]:
        sample_p(b)
    sample_txn(info)


def snapshot() -> dict[str, dict[str, int]]:
    """Hits per bin of every cover point so far: ``{point: {bin: hits}}``."""
    _, _, db = _points()
    out = {}
    for name, bins in BINS.items():
        hits = db[f"sctb.{name}"].detailed_coverage
        out[name] = {b: int(hits.get(b, 0)) for b in bins}
    return out


def export_json(path: str | os.PathLike) -> Path:
    """Write :func:`snapshot` to ``path`` (JSON)."""
    path = Path(path)
    path.write_text(json.dumps(snapshot(), indent=1))
    return path


def merge(reports: Iterable[Mapping[str, Mapping[str, int]]]) -> dict[str, dict[str, int]]:
    """Sum hits per bin over several snapshots (e.g. one per simulator run)."""
    out = {name: {b: 0 for b in bins} for name, bins in BINS.items()}
    for rep in reports:
        for name, bins in rep.items():
            for b, hits in bins.items():
                out.setdefault(name, {}).setdefault(b, 0)
                out[name][b] += int(hits)
    return out


def missing(report: Mapping[str, Mapping[str, int]],
            required: Mapping[str, list[str]] = REQUIRED) -> list[str]:
    """``point:bin`` of every required bin with no hit."""
    return [f"{name}:{b}" for name, bins in required.items() for b in bins
            if report.get(name, {}).get(b, 0) == 0]
