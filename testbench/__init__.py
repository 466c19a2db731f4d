"""Testbenches and the ``sctb`` CLI: golden comparison, benchmarks, RTL regressions."""

__all__: list[str] = []
