"""Sweep checks: what one point verifies (golden backend, emulator or RTL) and how."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import os
import pathlib
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import golden
from golden._contract import EDGE_PROBS

from .spec import AXES, COMMON_AXES, Point, SpecError, SweepSpec

__all__ = ["CHECKS", "Check", "build_once", "get_check", "point_data"]


@dataclasses.dataclass(frozen=True)
class Check:
    """A kind of verification point: its own axes and the function that runs one point."""

    name: str
    axes: tuple[str, ...]
    run: Callable[[SweepSpec, Point, pathlib.Path], dict]
    doc: str


def point_data(spec: SweepSpec, point: Point) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic stimulus of a point: weights ``(n_out, n_in, n_words)`` uint64 and probs.

    Seeded by the sweep's ``data_seed`` and the layer axes only, so that every check and backend
    of the same layer sees the same data, on any rank.
    """
    layer = "/".join(f"{k}={point.params[k]}" for k in COMMON_AXES)
    rng = np.random.default_rng([spec.data_seed, zlib.crc32(layer.encode())])
    p = point.params
    weights = rng.integers(0, 2**64 - 1, size=(p["n_out"], p["n_in"], golden.n_words(p["length"])),
                           dtype=np.uint64, endpoint=True)
    probs = rng.random(p["n_in"])
    edges = np.array(EDGE_PROBS)
    pick = rng.random(p["n_in"]) < 0.25
    probs[pick] = rng.choice(edges, size=int(pick.sum()))
    return weights, probs


def _digest(counts: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(counts, dtype="<i8").tobytes()).hexdigest()[:16]


def _run_golden(spec: SweepSpec, point: Point, workdir: pathlib.Path) -> dict:
    weights, probs = point_data(spec, point)
    p = point.params
    want = golden.sc_counts(weights, probs, length=p["length"], seed=p["seed"])
    be = golden.get_backend(p["backend"])  # RuntimeError (unavailable) -> an error record
    got = be.sc_counts(weights, probs, length=p["length"], seed=p["seed"])
    if not np.array_equal(got, want):
        o = int(np.flatnonzero(got != want)[0])
        return {"status": "fail", "digest": _digest(want),
                "detail": f"output {o}: {p['backend']} gave {int(got[o])}, numpy {int(want[o])}"}
    return {"status": "pass", "digest": _digest(want),
            "bit_products": p["n_out"] * p["n_in"] * p["length"]}


def _run_emu(spec: SweepSpec, point: Point, workdir: pathlib.Path) -> dict:
    import emu

    weights, probs = point_data(spec, point)
    p = point.params
    report = emu.emulate_layer(weights, probs, length=p["length"], seed=p["seed"],
                               N_IN=p["core_in"], N_OUT=p["core_out"], W=p["core_w"])
    want = golden.sc_counts(weights, probs, length=p["length"], seed=p["seed"])
    got = np.array(report["counts"], dtype=np.int64)
    if not np.array_equal(got, want):
        o = int(np.flatnonzero(got != want)[0])
        return {"status": "fail", "digest": _digest(want),
                "detail": f"output {o}: emulator gave {int(got[o])}, golden {int(want[o])}"}
    return {"status": "pass", "digest": _digest(want), "cycles": report["cycles"],
            "bit_products": p["n_out"] * p["n_in"] * p["length"]}


def _dense_suite(key: str, v: Any) -> str:
    from ..runner import SUITES

    names = [n for n, suite in SUITES.items() if suite.toplevel == "sc_dense_harness"]
    if v not in names:
        raise SpecError(f"axes.{key}: unknown dense suite {v!r}; valid: {', '.join(names)}")
    return v


AXES["suite"] = _dense_suite


def _run_rtl(spec: SweepSpec, point: Point, workdir: pathlib.Path) -> dict:
    from ..runner import run_suite

    weights, probs = point_data(spec, point)
    p = point.params
    want = golden.sc_counts(weights, probs, length=p["length"], seed=p["seed"])
    run_dir = workdir / "rtl" / f"point{point.index}"
    run_dir.mkdir(parents=True, exist_ok=True)
    layer = run_dir / "layer.npz"
    np.savez(layer, weights=weights, probs=probs, length=p["length"], seed=np.uint64(p["seed"]))
    options = {"layer_file": str(layer.resolve())}
    cache = workdir / "rtl" / "cache"
    os.environ.setdefault("SCTB_SIM_CACHE", str(cache.resolve()))

    def run() -> Any:
        return run_suite(p["suite"], p["sim"], out_dir=run_dir, test="layer_from_file",
                         options=options, timeout=spec.timeout_s, rtl_dir=spec.design)

    # One build per configuration: the first rank to need it builds (under a lock), the others
    # wait and then reuse it.
    with build_once(cache / "locks" / f"{p['suite']}-{p['sim']}") as must_build:
        res = run() if must_build else None
    if res is None:
        res = run()
    if res.not_applicable is not None:
        return {"status": "fail", "digest": _digest(want),
                "detail": f"not applicable to the design: {res.not_applicable}"[:500]}
    if not res.ok or res.tests != 1:
        first = res.failures[0] if res.failures else None
        detail = (first.message.splitlines()[0] if first and first.message else
                  f"tests={res.tests} failed={res.failed} error={res.error}")
        return {"status": "fail", "digest": _digest(want), "detail": detail[:500],
                "log": str(res.log)}
    return {"status": "pass", "digest": _digest(want),
            "bit_products": p["n_out"] * p["n_in"] * p["length"]}


def _run_explore(spec: SweepSpec, point: Point, workdir: pathlib.Path) -> dict:
    from ..explore import run_explore_point

    return run_explore_point(spec, point, workdir)


#: Check name -> Check.
CHECKS: dict[str, Check] = {
    "golden": Check("golden", ("backend",), _run_golden,
                    "a golden backend against the NumPy floor on the point's layer"),
    "emu": Check("emu", ("core_in", "core_out", "core_w"), _run_emu,
                 "the layer tiled onto an emulated core (cycle model) against golden"),
    "rtl": Check("rtl", ("suite", "sim"), _run_rtl,
                 "the layer tiled onto the RTL core of a dense suite, on a simulator"),
    "explore": Check("explore", ("core_in", "core_out", "core_w"), _run_explore,
                     "a design point: accuracy, cycles, area, Fmax (sctb explore)"),
}


def get_check(name: str) -> Check:
    """The check called ``name``; SpecError listing the valid names otherwise."""
    try:
        return CHECKS[name]
    except KeyError:
        raise SpecError(f"sweep.checks: unknown check {name!r}; valid: {', '.join(CHECKS)}") \
            from None


@contextlib.contextmanager
def build_once(directory: pathlib.Path) -> Iterator[bool]:
    """Serialise builds of one configuration across ranks (and processes) with a file lock.

    Yields True when the caller must build (then it should finish normally so the directory is
    marked built), False when another process already built it. Two ranks never build into the
    same directory at the same time.
    """
    directory.mkdir(parents=True, exist_ok=True)
    marker = directory / ".sctb-built"
    with open(directory / ".sctb-lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            must_build = not marker.exists()
            yield must_build
            if must_build:
                marker.write_text(str(os.getpid()))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
