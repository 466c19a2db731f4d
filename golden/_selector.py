"""The one selector convention of golden: lazily imported registries, "auto", and their errors."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["load", "select", "status"]


def load(registry: dict[str, str], name: str) -> tuple[Any, str | None]:
    """Import the class registered as ``name`` (``"module:Class"``).

    Returns
    -------
    cls : type or None
        The class, ``None`` when its module cannot be imported.
    reason : str or None
        Why it cannot run here (``cls.unavailable_reason()`` or the import error); ``None`` when
        it can.
    """
    module_name, _, class_name = registry[name].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return None, f"{module_name} cannot be imported ({exc})"
    cls = getattr(module, class_name)
    return cls, cls.unavailable_reason()


def status(registry: dict[str, str], priority: tuple[str, ...]) -> dict[str, str | None]:
    """``{name: reason}`` in ``priority`` order; ``None`` means the entry can run here."""
    return {name: load(registry, name)[1] for name in priority}


def select(
    kind: str,
    registry: dict[str, str],
    priority: tuple[str, ...],
    instances: dict[str, Any],
    name: Any,
) -> Any:
    """The (cached) instance called ``name``; ``"auto"`` is the first available in ``priority``.

    Raises
    ------
    TypeError
        If ``name`` is not a str.
    ValueError
        If ``name`` is unknown (the message lists the valid names, ``auto`` first).
    RuntimeError
        If ``name`` is known but cannot run here (the message says why); never a silent
        fallback.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__} {name!r}")
    if name == "auto":
        for candidate in priority:
            if load(registry, candidate)[1] is None:
                return select(kind, registry, priority, instances, candidate)
        raise RuntimeError(f"no {kind} is available")  # unreachable: the numpy floor always is
    if name not in registry:
        valid = ", ".join(("auto",) + priority)
        raise ValueError(f"unknown {kind} {name!r}; valid names: {valid}")
    if name not in instances:
        cls, reason = load(registry, name)
        if reason is not None or cls is None:
            raise RuntimeError(f"{kind} {name!r} is not available: {reason}")
        instances[name] = cls()
    return instances[name]
