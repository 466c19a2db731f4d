"""Exploration specs: the TOML format of ``sctb explore``, validated into a sweep spec."""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

import golden

from ..sweep.spec import SpecError, SweepSpec, expand_points, read_spec_doc, spec_design
from ..synth import DEVICES, TARGETS

__all__ = ["HW_AXES", "ExploreSpec", "load_explore_spec", "parse_explore_spec"]

#: Spec axis -> sweep axis: the core's parameters and the stream length.
HW_AXES = {"N_IN": "core_in", "N_OUT": "core_out", "W": "core_w", "L": "length"}
_LAYER = {"n_out": "n_out", "n_in": "n_in", "seed": "seed"}
_EXPLORE_KEYS = {"name", "design", "top", "target", "fmax", "workload", "emu_sample", "backend",
                 "data_seed", "timeout_s"}


@dataclasses.dataclass(frozen=True)
class ExploreSpec(SweepSpec):
    """A validated exploration (see docs/explore.md): a sweep of the ``explore`` check.

    Attributes (beyond :class:`~testbench.sweep.SweepSpec`)
    ----------
    top : str
        The core module (the sc_dense interface: parameters N_IN, N_OUT, W).
    target : str
        Synthesis target (``testbench.synth.TARGETS``).
    fmax : bool
        Place and route each hardware point for its Fmax (ice40).
    workload : int
        Input vectors of the accuracy measurement.
    emu_sample : int
        Points whose cycle count is cross-checked on the emulator (spread over the sweep).
    backend : str
        Golden backend of the accuracy measurement.
    cache_dir : str or None
        Synthesis cache (None: ``$SCTB_SIM_CACHE/synth`` or ``OUT/synth-cache``).
    command : str
        The ``sctb`` command of the replay lines.
    """

    top: str = "sc_dense"
    target: str = "generic"
    fmax: bool = False
    workload: int = 16
    emu_sample: int = 2
    backend: str = "auto"
    cache_dir: str | None = None
    command: str = "explore"


#: Where -> (lowest, highest) value.
_RANGES = {"layer.seed": (0, 2**64 - 1), "axes.W": (1, 64), "axes.L": (1, 2**24)}


def _value(where: str, v: Any) -> int:
    low, high = _RANGES.get(where, (1, None))
    if isinstance(v, bool) or not isinstance(v, int) or v < low or (high is not None and v > high):
        span = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise SpecError(f"{where}: every value must be an int {span}, got {v!r}")
    return v


def _int(where: str, v: Any, low: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        raise SpecError(f"{where}: must be an int >= {low}, got {v!r}")
    return v


def parse_explore_spec(doc: dict, path: pathlib.Path | None = None) -> ExploreSpec:
    """Validate a parsed exploration TOML; SpecError names the key and the bad value."""
    unknown = sorted(set(doc) - {"explore", "layer", "axes"})
    if unknown:
        raise SpecError(f"unknown top-level table {unknown[0]!r}; valid: explore, layer, axes")
    ex = doc.get("explore", {})
    if not isinstance(ex, dict):
        raise SpecError(f"explore: must be a table, got {ex!r}")
    bad = sorted(set(ex) - _EXPLORE_KEYS)
    if bad:
        raise SpecError(f"explore.{bad[0]}: unknown key; valid: {', '.join(sorted(_EXPLORE_KEYS))}")
    name = ex.get("name", path.stem if path else "explore")
    if not isinstance(name, str) or not name or "/" in name:
        raise SpecError(f"explore.name: must be a non-empty string without '/', got {name!r}")
    target = ex.get("target", "generic")
    if target not in TARGETS:
        raise SpecError(f"explore.target: unknown target {target!r}; valid: {', '.join(TARGETS)}")
    fmax = ex.get("fmax", False)
    if not isinstance(fmax, bool):
        raise SpecError(f"explore.fmax: must be true or false, got {fmax!r}")
    if fmax and not isinstance(DEVICES[target], tuple):
        raise SpecError(f"explore.fmax: no place-and-route for target {target}: {DEVICES[target]}")
    top = ex.get("top", "sc_dense")
    if not isinstance(top, str) or not top:
        raise SpecError(f"explore.top: must be a module name, got {top!r}")
    backend = ex.get("backend", "auto")
    if backend != "auto" and backend not in golden.PRIORITY:
        raise SpecError(f"explore.backend: unknown backend {backend!r}; valid: auto, "
                        f"{', '.join(golden.PRIORITY)}")
    timeout = ex.get("timeout_s", 900.0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise SpecError(f"explore.timeout_s: must be a number > 0, got {timeout!r}")
    design = spec_design("explore.design", ex.get("design"), path)
    check_design(design, top, "explore.design")

    layer = doc.get("layer")
    if not isinstance(layer, dict):
        raise SpecError("missing table [layer] (n_out, n_in: the layer the core must run)")
    axes: dict[str, tuple] = {}
    for key, values in layer.items():
        if key not in _LAYER:
            raise SpecError(f"layer.{key}: unknown key; valid: {', '.join(_LAYER)}")
        values = values if isinstance(values, list) else [values]
        if not values:
            raise SpecError(f"layer.{key}: empty list")
        axes[_LAYER[key]] = tuple(_value(f"layer.{key}", v) for v in values)
    for key in ("n_out", "n_in"):
        if key not in axes:
            raise SpecError(f"layer.{key}: missing (the layer the core must run)")
    axes.setdefault("seed", (golden.DEFAULT_SEED,))

    ax = doc.get("axes")
    if not isinstance(ax, dict):
        raise SpecError("missing table [axes] (N_IN, N_OUT, W, L)")
    for key, values in ax.items():
        if key not in HW_AXES:
            raise SpecError(f"axes.{key}: unknown axis; valid: {', '.join(HW_AXES)}")
        if not isinstance(values, list) or not values:
            raise SpecError(f"axes.{key}: must be a non-empty list, got {values!r}")
        if len(set(values)) != len(values):
            raise SpecError(f"axes.{key}: duplicate value in {values!r}")
        sweep_key = HW_AXES[key]
        axes[sweep_key] = tuple(_value(f"axes.{key}", v) for v in values)
    for key in HW_AXES:
        if HW_AXES[key] not in axes:
            raise SpecError(f"axes.{key}: missing (the exploration sweeps N_IN, N_OUT, W, L)")
    spec = ExploreSpec(
        path=path, name=name, checks=("explore",), axes=axes,
        data_seed=_int("explore.data_seed", ex.get("data_seed", 0), 0),
        timeout_s=float(timeout), design=design, top=top, target=target, fmax=fmax,
        workload=_int("explore.workload", ex.get("workload", 16), 1),
        emu_sample=_int("explore.emu_sample", ex.get("emu_sample", 2), 0), backend=backend)
    return spec


def check_design(design: str | None, top: str, where: str) -> None:
    """The design loads and declares ``top``; SpecError otherwise."""
    from ..design import DesignError, load_design

    try:
        loaded = load_design(design)
    except DesignError as e:
        raise SpecError(f"{where}: {e}") from None
    modules = loaded.modules()
    if top not in modules:
        raise SpecError(f"explore.top: {top!r} is not a module of design {loaded.name}; it "
                        f"declares {', '.join(sorted(modules)) or 'none'}")


def load_explore_spec(path: str | pathlib.Path) -> ExploreSpec:
    """Read and validate an exploration spec (TOML)."""
    doc = read_spec_doc(path)
    spec = parse_explore_spec(doc, pathlib.Path(path))
    expand_points(spec)  # the sweep's own expansion must accept it
    return spec
