"""One design point: accuracy, cycles, latency, throughput, area, Fmax (the ``explore`` check)."""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np

import golden

from ..design import load_design
from ..sweep.spec import Point, SweepSpec, expand_points
from ..synth import SynthInputError, default_cache_dir, synthesize
from ._model import accuracy_rmse, layer_cycles
from ._spec import ExploreSpec

__all__ = ["EMU_MAX_CYCLES", "emu_sample", "run_explore_point", "settings"]

#: Points longer than this (cycles per inference) are never emulated (~10k cycles/s).
EMU_MAX_CYCLES = 60_000


def settings(spec: SweepSpec) -> ExploreSpec:
    """The exploration settings of ``spec``; a plain sweep spec (``sctb sweep`` with the
    ``explore`` check) gets the defaults: generic target, no Fmax."""
    if isinstance(spec, ExploreSpec):
        return spec
    return ExploreSpec(path=spec.path, name=spec.name, checks=spec.checks, axes=spec.axes,
                       data_seed=spec.data_seed, timeout_s=spec.timeout_s, design=spec.design,
                       command="sweep")


def _hw(params: dict) -> dict[str, int]:
    return {"N_IN": params["core_in"], "N_OUT": params["core_out"], "W": params["core_w"]}


def _sample(spec: ExploreSpec) -> frozenset[int]:
    points = [p for p in expand_points(spec) if p.check == "explore"]
    short = [p.index for p in points
             if layer_cycles(p.params["n_out"], p.params["n_in"], p.params["length"],
                             **_hw(p.params))["cycles"] <= EMU_MAX_CYCLES]
    k = min(spec.emu_sample, len(short))
    if k == 0:
        return frozenset()
    if k == 1:
        return frozenset(short[:1])
    return frozenset(short[round(j * (len(short) - 1) / (k - 1))] for j in range(k))


def emu_sample(spec: SweepSpec) -> frozenset[int]:
    """Indices of the points whose cycles are checked on the emulator: ``emu_sample`` points
    spread evenly over those of at most :data:`EMU_MAX_CYCLES` cycles."""
    return _sample(settings(spec))


def _emulate(spec: ExploreSpec, p: dict, want_cycles: int) -> dict[str, Any]:
    import emu

    rng = np.random.default_rng([spec.data_seed, p["n_out"], p["n_in"], p["length"]])
    weights = rng.integers(0, 2**64 - 1, size=(p["n_out"], p["n_in"], golden.n_words(p["length"])),
                           dtype=np.uint64, endpoint=True)
    probs = rng.random(p["n_in"])
    report = emu.emulate_layer(weights, probs, length=p["length"], seed=p["seed"],
                               N_IN=p["core_in"], N_OUT=p["core_out"], W=p["core_w"])
    return {"cycles": report["cycles"], "tiles": report["tiles"],
            "matches_golden": report["matches_golden"],
            "agrees": report["cycles"] == want_cycles and report["matches_golden"]}


def run_explore_point(spec: SweepSpec, point: Point, workdir: pathlib.Path) -> dict:
    """Evaluate one point; the record's ``status`` is ``fail`` only when the emulator disagrees
    with the cycle formula (or with golden). A core too big for the device is a point with
    ``fits`` False and no Fmax, not a failure."""
    spec = settings(spec)
    p = point.params
    hw = _hw(p)
    cycles = layer_cycles(p["n_out"], p["n_in"], p["length"], **hw)
    acc = accuracy_rmse(p["n_out"], p["n_in"], p["length"], p["seed"], spec.workload,
                        spec.data_seed, spec.backend)
    design = load_design(spec.design)
    cache = spec.cache_dir or default_cache_dir(workdir.parent if workdir.name == "work"
                                                else workdir)
    out: dict[str, Any] = {"design": design.summary(), "top": spec.top, "target": spec.target,
                           "hw": hw, "accuracy": acc, "cycles": cycles, "fits": True}
    try:
        syn = synthesize(design, spec.top, hw, target=spec.target, fmax=spec.fmax,
                         cache_dir=cache, timeout=spec.timeout_s)
    except SynthInputError as e:
        if not str(e).startswith("does not fit"):
            raise
        out.update(fits=False, fit_note=str(e), area=None, fmax_mhz=None, latency_us=None,
                   inferences_per_s=None)
        syn = None
    if syn is not None:
        lcs = syn.fmax.get("utilisation", {}).get("ICESTORM_LC", {}).get("used")
        out["area"] = {"luts": syn.luts, "carries": syn.carries, "cells": syn.cells_total,
                       "flip_flops": syn.flip_flops, "logic_cells_placed": lcs}
        out["fmax_mhz"] = syn.fmax_mhz
        out["synth"] = {"key": syn.key, "cached": syn.cached, "seconds": syn.seconds,
                        "tools": syn.tools, "device": syn.fmax.get("device"),
                        "critical_path": syn.fmax.get("critical_path")}
        if syn.fmax_mhz:
            out["latency_us"] = cycles["cycles"] / syn.fmax_mhz
            out["inferences_per_s"] = syn.fmax_mhz * 1e6 / cycles["cycles"]
        else:
            out["latency_us"] = out["inferences_per_s"] = None
    status = "pass"
    if point.index in emu_sample(spec):
        check = _emulate(spec, p, cycles["cycles"])
        out["emu"] = check
        if not check["agrees"]:
            status = "fail"
            out["detail"] = (f"emulator: {check['cycles']} cycles (golden match "
                             f"{check['matches_golden']}), formula {cycles['cycles']}")
    return {"status": status, **out}
