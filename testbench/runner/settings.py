"""What the runner passes to a simulation: one typed, validated object in one variable."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..model import CoreShape

__all__ = ["ENV_VAR", "SimOptions", "SimSettings"]

#: The one environment variable that carries a :class:`SimSettings` (as JSON) to the simulator.
ENV_VAR = "SCTB_SETTINGS"
#: Options that hold paths (a hash of them names a run directory, not the paths).
_PATH_FIELDS = ("fuzz_db", "layer_file", "replay_file")


def _opt(name: str, value: Any, kind: type, *, positive: bool = False) -> Any:
    """``value`` checked to be None or a ``kind`` (a bool is not an int); ``> 0`` if asked."""
    if value is None:
        return None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, kind):
        article = "an" if kind is int else "a"
        raise TypeError(f"{name} must be {article} {kind.__name__} or None, got {value!r}")
    if kind is str and not value:
        raise ValueError(f"{name} must be a non-empty str or None, got {value!r}")
    if positive and not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return value


def _reject_unknown(cls: type, keys: Mapping[str, Any], what: str) -> None:
    """ValueError naming the keys that are not fields of the dataclass ``cls``."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(keys) - names)
    if unknown:
        raise ValueError(f"{what}: unknown fields {unknown}; valid: {sorted(names)}")


@dataclasses.dataclass(frozen=True)
class SimOptions:
    """Optional per-run settings of a simulation (``None``: the suite's default).

    Attributes
    ----------
    fuzz_examples : int, optional
        Hypothesis examples of the ``fuzz`` suite and of the uvm ``HypothesisTest``.
    fuzz_time : float, optional
        Time budget of the ``fuzz`` suite's campaign, in seconds.
    fuzz_max_length : int, optional
        Longest stream the hypothesis strategies draw.
    fuzz_db : str, optional
        Hypothesis example database directory of the ``fuzz`` suite.
    replay_file : str, optional
        A saved transaction (``.npz``) the ``fuzz`` suite replays instead of searching.
    layer_file : str, optional
        The layer (``.npz``: weights, probs, length, seed) of the dense ``layer_from_file`` test.
    emu_bug : str, optional
        An emulator bug the ``cycle`` suites plant (negative tests: the suite must then fail).
    """

    fuzz_examples: int | None = None
    fuzz_time: float | None = None
    fuzz_max_length: int | None = None
    fuzz_db: str | None = None
    replay_file: str | None = None
    layer_file: str | None = None
    emu_bug: str | None = None

    def __post_init__(self) -> None:
        for name, kind, positive in (("fuzz_examples", int, True), ("fuzz_time", float, True),
                                     ("fuzz_max_length", int, True), ("fuzz_db", str, False),
                                     ("replay_file", str, False), ("layer_file", str, False),
                                     ("emu_bug", str, False)):
            object.__setattr__(self, name, _opt(name, getattr(self, name), kind,
                                                positive=positive))

    @classmethod
    def coerce(cls, options: SimOptions | Mapping[str, Any] | None) -> SimOptions:
        """``options`` as a SimOptions (a mapping names its fields; unknown keys: ValueError)."""
        if options is None:
            return cls()
        if isinstance(options, cls):
            return options
        if not isinstance(options, Mapping):
            raise TypeError(f"options must be a SimOptions, a mapping or None, got {options!r}")
        _reject_unknown(cls, options, "options")
        return cls(**{k: (str(v) if isinstance(v, os.PathLike) else v)
                      for k, v in options.items()})

    def tag(self) -> str:
        """A short stable name of the options that are set (``""`` when none is): the small
        ones spelled out, the paths as one hash."""
        items = sorted((k, v) for k, v in dataclasses.asdict(self).items() if v is not None)
        paths = [(k, v) for k, v in items if k in _PATH_FIELDS]
        out = "".join(f"-{k}={v}" for k, v in items if k not in _PATH_FIELDS)
        if paths:
            out += "-o" + hashlib.sha256(json.dumps(paths).encode()).hexdigest()[:8]
        return out


@dataclasses.dataclass(frozen=True)
class SimSettings:
    """Everything the simulator side needs from the runner; read with :meth:`from_env`.

    Attributes
    ----------
    backend : str
        Golden backend of the predictions (``golden.get_backend(backend)``).
    seed : int
        Seed of the random stimulus.
    scale : float
        Multiplies the sizes of the random batches (``> 0``).
    sim : str
        The simulator (``"icarus"`` or ``"verilator"``).
    stats : Path or None
        Where the tests append their figures (JSON lines).
    dump_dir : Path
        The run directory (scoreboard dumps, coverage, fuzz results).
    wmem_file : str
        Name of the harness's weight file in the run directory.
    core : CoreShape or None
        The core of a dense suite.
    options : SimOptions
        The optional per-run settings.
    design_args : tuple of str
        The command-line options that name the design under test (``("--rtl-dir", PATH)``;
        empty for the bundled reference), for the replay commands printed in the simulator.
    """

    backend: str = "numpy"
    seed: int = 1
    scale: float = 1.0
    sim: str = ""
    stats: Path | None = None
    dump_dir: Path = Path(".")
    wmem_file: str = "sctb_wmem.dat"
    core: CoreShape | None = None
    options: SimOptions = dataclasses.field(default_factory=SimOptions)
    design_args: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.backend, str) or not self.backend:
            raise TypeError(f"backend must be a non-empty str, got {self.backend!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise TypeError(f"seed must be an int, got {self.seed!r}")
        object.__setattr__(self, "scale", _opt("scale", self.scale, float, positive=True)
                           if self.scale is not None else 1.0)
        if not isinstance(self.sim, str):
            raise TypeError(f"sim must be a str, got {self.sim!r}")
        if self.stats is not None:
            object.__setattr__(self, "stats", Path(self.stats))
        object.__setattr__(self, "dump_dir", Path(self.dump_dir))
        if not isinstance(self.wmem_file, str) or not self.wmem_file:
            raise TypeError(f"wmem_file must be a non-empty str, got {self.wmem_file!r}")
        if self.core is not None and not isinstance(self.core, CoreShape):
            raise TypeError(f"core must be a CoreShape or None, got {self.core!r}")
        if not isinstance(self.options, SimOptions):
            raise TypeError(f"options must be a SimOptions, got {self.options!r}")
        args = self.design_args
        if not isinstance(args, (tuple, list)) or not all(isinstance(a, str) for a in args):
            raise TypeError(f"design_args must be a sequence of str, got {args!r}")
        object.__setattr__(self, "design_args", tuple(args))

    def to_json(self) -> str:
        """The settings as one JSON object (what :meth:`from_json` reads back)."""
        return json.dumps({
            "backend": self.backend, "seed": self.seed, "scale": self.scale, "sim": self.sim,
            "stats": str(self.stats) if self.stats is not None else None,
            "dump_dir": str(self.dump_dir), "wmem_file": self.wmem_file,
            "core": dataclasses.asdict(self.core) if self.core is not None else None,
            "options": dataclasses.asdict(self.options),
            "design_args": list(self.design_args),
        }, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SimSettings:
        """Parse and validate :meth:`to_json`'s output; ValueError names what is wrong."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"{ENV_VAR}: not JSON ({e}): {text[:200]!r}") from None
        if not isinstance(data, dict):
            raise ValueError(f"{ENV_VAR}: expected a JSON object, got {text[:200]!r}")
        _reject_unknown(cls, data, ENV_VAR)
        try:
            core = data.get("core")
            if core is not None:
                data["core"] = CoreShape(**core)
            data["options"] = SimOptions.coerce(data.get("options"))
            return cls(**data)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{ENV_VAR}: {e}") from None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SimSettings:
        """The settings the runner passed in ``$SCTB_SETTINGS``; RuntimeError when unset."""
        env = os.environ if environ is None else environ
        text = env.get(ENV_VAR)
        if not text:
            raise RuntimeError(f"{ENV_VAR} is not set: run the suites through `sctb sim` "
                               "(testbench.runner.run_suite)")
        return cls.from_json(text)

    def env(self) -> dict[str, str]:
        """``{SCTB_SETTINGS: json}``: the environment of a simulation with these settings."""
        return {ENV_VAR: self.to_json()}
