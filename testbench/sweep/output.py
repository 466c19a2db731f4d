"""Sweep output: the per-rank JSON lines, reading them back, the merged files and summary."""

from __future__ import annotations

import dataclasses
import json
import pathlib

from .spec import SweepSpec

__all__ = ["SweepResult", "read_records", "scan_records"]


def _rank_file(out: pathlib.Path, rank: int) -> pathlib.Path:
    return out / f"results.rank{rank}.jsonl"


def _valid(rec: object) -> bool:
    return (isinstance(rec, dict) and isinstance(rec.get("key"), str)
            and isinstance(rec.get("index"), int) and not isinstance(rec.get("index"), bool)
            and isinstance(rec.get("status"), str) and isinstance(rec.get("check"), str)
            and isinstance(rec.get("t"), (int, float)) and not isinstance(rec.get("t"), bool))


def scan_records(out: pathlib.Path) -> tuple[list[dict], list[str]]:
    """Every readable record under ``out`` (all ranks, all runs), the newest per key, and
    ``"FILE:LINE"`` of each line that is not a record (cut by a kill, edited, not UTF-8):
    those are skipped, never fatal, and counted by the caller."""
    latest: dict[str, dict] = {}
    bad: list[str] = []
    for path in sorted(out.glob("results.rank*.jsonl")):
        for lineno, raw in enumerate(path.read_bytes().splitlines(), 1):
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                rec = None
            if not _valid(rec):
                bad.append(f"{path.name}:{lineno}")
                continue
            if rec["key"] not in latest or rec["t"] >= latest[rec["key"]]["t"]:
                latest[rec["key"]] = rec
    return sorted(latest.values(), key=lambda r: r["index"]), bad


def read_records(out: pathlib.Path) -> list[dict]:
    """Every record written under ``out`` so far (all ranks, all runs), the newest per key;
    unreadable lines are skipped (:func:`scan_records` counts them)."""
    return scan_records(out)[0]


class _Writer:
    def __init__(self, out: pathlib.Path, rank: int) -> None:
        self.path = _rank_file(out, rank)
        self.handle = None

    def write(self, record: dict) -> None:
        if self.handle is None:
            cut = self.path.exists() and not self.path.read_bytes().endswith(b"\n")
            self.handle = open(self.path, "a")
            if cut and self.path.stat().st_size:
                self.handle.write("\n")  # end a line that a kill cut short
        self.handle.write(json.dumps(record) + "\n")
        self.handle.flush()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


@dataclasses.dataclass
class SweepResult:
    """What a sweep did, as rank 0 saw it."""

    total: int
    skipped_done: int
    records: list[dict]
    wall_s: float
    ranks: int
    lost: dict[int, str]
    ran: list[dict] = dataclasses.field(default_factory=list)
    incidents: list[str] = dataclasses.field(default_factory=list)
    #: ``"FILE:LINE"`` of the result lines that could not be read (skipped).
    bad_lines: list[str] = dataclasses.field(default_factory=list)
    #: Points whose earlier result came from another ``data_seed`` or design (recomputed).
    stale: int = 0
    #: Things worth knowing that are not failures (a stale lock taken over).
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def failures(self) -> list[dict]:
        return [r for r in self.records if r["status"] != "pass"]

    @property
    def ok(self) -> bool:
        return (not self.failures and not self.lost and not self.incidents
                and len(self.records) == self.total)


def _write_outputs(spec: SweepSpec, out: pathlib.Path, result: SweepResult,
                   new_records: list[dict]) -> None:
    with open(out / "results.jsonl", "w") as fh:
        for rec in result.records:
            fh.write(json.dumps(rec) + "\n")
    per_check: dict[str, dict] = {}
    for rec in new_records:
        c = per_check.setdefault(rec["check"], {"points": 0, "failed": 0, "seconds": 0.0})
        c["points"] += 1
        c["failed"] += rec["status"] != "pass"
        c["seconds"] += rec["seconds"] or 0.0
    busy = sum(r["seconds"] or 0.0 for r in new_records)
    summary = {
        "sweep": spec.name, "ranks": result.ranks, "points": result.total,
        "resumed_done": result.skipped_done, "ran": len(new_records),
        "finished": len(result.records), "failures": len(result.failures),
        "lost_ranks": {str(k): v for k, v in result.lost.items()},
        "incidents": result.incidents, "wall_s": result.wall_s,
        "busy_s": busy, "busy_ranks": busy / result.wall_s if result.wall_s else None,
        "unreadable_lines": result.bad_lines, "recomputed_stale": result.stale,
        "per_check": per_check, "ok": result.ok,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
