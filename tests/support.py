"""Skips for optional backends that turn into failures for the backends a run requires."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

import golden


def required_backends() -> set[str]:
    """Backends named in ``SCTB_REQUIRE_BACKENDS`` (``make test`` requires what it installs)."""
    return {n.strip() for n in os.environ.get("SCTB_REQUIRE_BACKENDS", "").split(",") if n.strip()}


def backend_or_skip(name: str) -> golden.Backend:
    """The backend ``name``; skipped with its reason where it cannot run, failed if required."""
    reason = golden.backend_status()[name]
    if reason is not None:
        if name in required_backends():
            pytest.fail(f"backend {name!r} is required (SCTB_REQUIRE_BACKENDS): {reason}")
        pytest.skip(f"backend {name!r} unavailable: {reason}")
    return golden.get_backend(name)


def module_or_skip(module: str, backend: str) -> ModuleType:
    """Import ``module`` for a test module of ``backend``: skip the test module with the reason
    when it cannot be imported, unless the backend is required (then the import error stands)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if backend in required_backends():
            raise
        pytest.skip(f"{module} cannot be imported ({exc})", allow_module_level=True)
