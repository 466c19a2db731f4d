"""Sweep specs: the TOML format, its validation, and the points a spec expands to."""

from __future__ import annotations

import dataclasses
import itertools
import os
import pathlib
import sys
from collections.abc import Callable
from typing import Any

import golden

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["AXES", "COMMON_AXES", "MAX_POINTS", "Point", "SpecError", "SweepSpec", "count_points",
           "expand_points", "load_spec", "parse_spec", "read_spec_doc", "spec_design"]

#: Most points one spec may expand to (counted before any point is built).
MAX_POINTS = 1_000_000


class SpecError(ValueError):
    """A sweep spec that cannot run; the message names the key and the bad value."""


def _positive_int(key: str, v: Any) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise SpecError(f"axes.{key}: every value must be an int >= 1, got {v!r}")
    return v


def _seed(key: str, v: Any) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < 2**64:
        raise SpecError(f"axes.{key}: every value must be an int in [0, 2**64), got {v!r}")
    return v


def _backend(key: str, v: Any) -> str:
    if v not in golden.PRIORITY:
        raise SpecError(f"axes.{key}: unknown backend {v!r}; valid: {', '.join(golden.PRIORITY)}")
    return v


def _core_w(key: str, v: Any) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 64:
        raise SpecError(f"axes.{key}: every value must be an int in [1, 64], got {v!r}")
    return v


def _simulator(key: str, v: Any) -> str:
    if v not in ("icarus", "verilator"):
        raise SpecError(f"axes.{key}: unknown simulator {v!r}; valid: icarus, verilator")
    return v


#: Axis name -> validator of one value.
AXES: dict[str, Callable[[str, Any], Any]] = {
    "n_out": _positive_int,
    "n_in": _positive_int,
    "length": _positive_int,
    "seed": _seed,
    "backend": _backend,
    "core_in": _positive_int,
    "core_out": _positive_int,
    "core_w": _core_w,
    "sim": _simulator,
}

#: Axes every check uses (the layer and the stimulus).
COMMON_AXES = ("n_out", "n_in", "length", "seed")


@dataclasses.dataclass(frozen=True)
class Point:
    """One point of the sweep: ``index`` in the expanded order and a stable ``key``."""

    index: int
    check: str
    params: dict

    @property
    def key(self) -> str:
        parts = [self.check] + [f"{k}={v:#x}" if k == "seed" else f"{k}={v}"
                                for k, v in self.params.items()]
        return "/".join(parts)


@dataclasses.dataclass(frozen=True)
class SweepSpec:
    """A validated sweep spec (see docs/sweeps.md)."""

    path: pathlib.Path | None
    name: str
    checks: tuple[str, ...]
    axes: dict[str, tuple]
    data_seed: int = 0
    timeout_s: float = 600.0
    #: The design under test of the ``rtl`` check (a path for ``load_design``; None: the
    #: bundled reference RTL).
    design: str | None = None


_SWEEP_KEYS = {"name", "checks", "data_seed", "timeout_s", "design"}


def parse_spec(doc: dict, path: pathlib.Path | None = None) -> SweepSpec:
    """Validate a parsed TOML document; SpecError names the offending key and value."""
    from .checks import get_check

    unknown = sorted(set(doc) - {"sweep", "axes"})
    if unknown:
        raise SpecError(f"unknown top-level table {unknown[0]!r}; valid: sweep, axes")
    sweep = doc.get("sweep")
    if not isinstance(sweep, dict):
        raise SpecError("missing table [sweep]")
    unknown = sorted(set(sweep) - _SWEEP_KEYS)
    if unknown:
        raise SpecError(f"sweep.{unknown[0]}: unknown key; valid: {', '.join(sorted(_SWEEP_KEYS))}")
    checks = sweep.get("checks")
    if not isinstance(checks, list) or not checks:
        raise SpecError(f"sweep.checks: must be a non-empty list of check names, got {checks!r}")
    for c in checks:
        get_check(c)
    if len(set(checks)) != len(checks):
        raise SpecError(f"sweep.checks: duplicate check in {checks!r}")
    timeout = sweep.get("timeout_s", 600.0)
    if (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
            or not 0 < timeout <= 7 * 86400):
        raise SpecError(f"sweep.timeout_s: must be a number in (0, 604800] (a week), got "
                        f"{timeout!r}")
    data_seed = sweep.get("data_seed", 0)
    if isinstance(data_seed, bool) or not isinstance(data_seed, int) or not 0 <= data_seed < 2**64:
        raise SpecError(f"sweep.data_seed: must be an int in [0, 2**64), got {data_seed!r}")
    design = spec_design("sweep.design", sweep.get("design"), path)
    if design is not None:
        if "rtl" not in checks:
            raise SpecError("sweep.design: only the rtl check simulates a design; "
                            f"sweep.checks is {checks!r}")
        from ..design import DesignError, load_design

        try:
            load_design(design)
        except DesignError as e:
            raise SpecError(f"sweep.design: {e}") from None
    name = sweep.get("name", path.stem if path else "sweep")
    if not isinstance(name, str) or not name:
        raise SpecError(f"sweep.name: must be a non-empty string, got {name!r}")

    axes_doc = doc.get("axes")
    if not isinstance(axes_doc, dict):
        raise SpecError("missing table [axes]")
    axes: dict[str, tuple] = {}
    for key, values in axes_doc.items():
        if key not in AXES:
            raise SpecError(f"axes.{key}: unknown axis; valid: {', '.join(AXES)}")
        if not isinstance(values, list):
            raise SpecError(f"axes.{key}: must be a list, got {values!r}")
        if not values:
            raise SpecError(f"axes.{key}: empty axis")
        axes[key] = tuple(AXES[key](key, v) for v in values)
    needed = set(COMMON_AXES).union(*(get_check(c).axes for c in checks))
    for key in sorted(needed - set(axes)):
        raise SpecError(f"axes.{key}: missing (needed by the checks {checks})")
    for key in sorted(set(axes) - needed):
        raise SpecError(f"axes.{key}: not used by any check in sweep.checks {checks}")
    spec = SweepSpec(path, name, tuple(checks), axes, data_seed, float(timeout), design)
    n = count_points(spec)
    if n > MAX_POINTS:
        raise SpecError(f"[axes]: the spec expands to {n:,} points, more than the limit of "
                        f"{MAX_POINTS:,}; split it into several sweeps")
    return spec


def spec_design(where: str, design: Any, path: pathlib.Path | None) -> str | None:
    """A spec's ``design`` value: ``None``, or the path string, relative ones made absolute
    against the directory of the spec file ``path``.

    Raises
    ------
    SpecError
        ``design`` is not a non-empty string; the message names ``where``.
    """
    if design is None:
        return None
    if not isinstance(design, str) or not design:
        raise SpecError(f"{where}: must be a path string, got {design!r}")
    if path is not None and not pathlib.Path(design).is_absolute():
        design = str((path.parent / design).resolve())
    return design


def read_spec_doc(path: str | os.PathLike) -> dict:
    """The TOML document of a spec file; every unreadable file is a :class:`SpecError` naming it.

    Raises
    ------
    SpecError
        ``path`` holds a NUL byte, does not exist, is a directory, cannot be read, is not UTF-8
        or is not valid TOML.
    """
    if "\x00" in os.fspath(path):
        raise SpecError(f"spec file {os.fspath(path)!r}: a path cannot hold a NUL byte")
    path = pathlib.Path(path)
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise SpecError(f"spec file {str(path)!r} does not exist") from None
    except IsADirectoryError:
        raise SpecError(f"spec file {str(path)!r} is a directory, not a TOML file") from None
    except OSError as exc:
        raise SpecError(f"spec file {str(path)!r} cannot be read ({exc.strerror or exc})"
                        ) from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not UTF-8 text (byte {exc.start}); a spec is a TOML file"
                        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML ({exc})") from None


def load_spec(path: str | os.PathLike) -> SweepSpec:
    """Read and validate a TOML sweep spec."""
    doc = read_spec_doc(path)
    return parse_spec(doc, pathlib.Path(path))


def count_points(spec: SweepSpec) -> int:
    """How many points ``spec`` expands to, without building them."""
    from .checks import get_check

    total = 0
    for check in spec.checks:
        n = 1
        for name in list(COMMON_AXES) + list(get_check(check).axes):
            n *= len(spec.axes[name])
        total += n
    return total


def expand_points(spec: SweepSpec) -> list[Point]:
    """Every point, in a fixed order: check by check, then the cartesian product of its axes."""
    from .checks import get_check

    points: list[Point] = []
    for check in spec.checks:
        names = list(COMMON_AXES) + list(get_check(check).axes)
        for combo in itertools.product(*(spec.axes[n] for n in names)):
            points.append(Point(len(points), check, dict(zip(names, combo))))
    return points
