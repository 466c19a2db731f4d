"""Saved transactions: write, read back (validated) and the one-line command that replays one."""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..model import DenseTxn

__all__ = ["load_txn", "replay_command", "save_txn"]


def save_txn(path: str | os.PathLike, txn: DenseTxn, drive: dict | None = None) -> Path:
    """Save a transaction (and how it was driven) as ``.npz``: weights, probs, length, seed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        np.savez(f, weights=txn.weights, probs=txn.probs, length=np.int64(txn.length),
                 seed=np.uint64(txn.seed), drive=json.dumps(drive or {}))
    return path


_TXN_KEYS = ("weights", "probs", "length", "seed")


def load_txn(path: str | os.PathLike) -> tuple[DenseTxn, dict]:
    """Read a file written by :func:`save_txn`: the transaction and its drive options.

    Raises
    ------
    ValueError
        The file is not an ``.npz`` archive, lacks one of ``weights``, ``probs``, ``length``,
        ``seed``, or holds values the contract refuses (float weights, a bad length, ...); the
        message names the file and the problem.
    """
    import zipfile

    try:
        z = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        why = "" if "pickle" in str(e) else f": {e}"
        raise ValueError(f"{path}: not a saved transaction (an .npz archive){why}") from None
    if not isinstance(z, np.lib.npyio.NpzFile):
        raise ValueError(f"{path}: not a saved transaction (.npz archive), a single array")
    with z:
        missing = [k for k in _TXN_KEYS if k not in z.files]
        if missing:
            raise ValueError(f"{path}: missing {', '.join(missing)} (a saved transaction holds "
                             f"{', '.join(_TXN_KEYS)})")
        try:
            weights = z["weights"]
            if weights.dtype != np.uint64:
                raise TypeError(f"weights must be uint64, got {weights.dtype}")
            scalars = {}
            for k in ("length", "seed"):
                a = z[k]
                if a.shape != () or a.dtype.kind not in "iu":
                    raise TypeError(f"{k} must be an integer scalar, got {a.dtype} {a.shape}")
                scalars[k] = int(a)
            txn = DenseTxn(weights, z["probs"], scalars["length"], scalars["seed"],
                           f"replay of {path}")
            drive = json.loads(str(z["drive"])) if "drive" in z.files else {}
        except (TypeError, ValueError, OSError, zipfile.BadZipFile) as e:
            raise ValueError(f"{path}: bad saved transaction: {e}") from None
    if not isinstance(drive, dict):
        raise ValueError(f"{path}: bad saved transaction: drive must be a JSON object")
    return txn, drive


def replay_command(path: str | os.PathLike, target: str, sim: str | None = None,
                   design_args: Sequence[str] = ()) -> str:
    """One ``sctb`` line that replays exactly the saved transaction on ``target`` (on the RTL:
    the design named by ``design_args``, e.g. ``["--rtl-dir", DIR]``), from any directory."""
    cmd = ["sctb", "fuzz", "--replay", str(Path(path).resolve()), "--target", target]
    if target == "rtl":
        cmd += ["--sim", sim or "icarus", *design_args]
    return shlex.join(cmd)
