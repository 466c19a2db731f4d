"""Shared fixtures: hypothesis profiles and the ``backend`` fixture over every golden backend."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

import golden
from tests.support import backend_or_skip

settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.register_profile("long", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _selected_backends() -> list:
    """Every registered backend; ``SCTB_TEST_BACKENDS=numpy,rust`` narrows the set."""
    wanted = os.environ.get("SCTB_TEST_BACKENDS")
    names = list(golden.PRIORITY)
    if wanted:
        chosen = [n.strip() for n in wanted.split(",") if n.strip()]
        unknown = sorted(set(chosen) - set(names))
        if unknown:
            raise pytest.UsageError(f"SCTB_TEST_BACKENDS names unknown backends {unknown}")
        names = [n for n in names if n in chosen]
    return names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend_name" in metafunc.fixturenames:
        names = _selected_backends()
        marks = {"rust": [pytest.mark.rust], "cupy": [pytest.mark.gpu]}
        metafunc.parametrize(
            "backend_name", [pytest.param(n, marks=marks.get(n, [])) for n in names],
            scope="session",
        )


@pytest.fixture(scope="session")
def backend(backend_name: str) -> golden.Backend:
    """One golden backend; skipped with its reason where it cannot run here, unless it is named
    in ``SCTB_REQUIRE_BACKENDS`` (then its absence fails: ``make test`` requires what it built)."""
    return backend_or_skip(backend_name)
