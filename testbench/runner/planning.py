"""Which suites apply to a design on which simulator: decided up front, before any simulation."""

from __future__ import annotations

from collections.abc import Sequence

from ..design import Design
from ..preflight import Applicability, check_requirement
from .suites import FAMILIES, Suite, get_suite

__all__ = ["applicability", "plan"]


def applicability(suite: Suite, design: Design, sim: str) -> Applicability:
    """Whether ``suite`` applies to ``design`` on ``sim``, and why not when it does not.

    Raises
    ------
    PreflightError
        The design provides a module the suite needs, but with the wrong interface, or it does
        not elaborate.
    """
    if sim not in design.simulators:
        return Applicability(False, f"design {design.name} lists only the simulator(s) "
                             f"{', '.join(design.simulators)}")
    if suite.requires is None:
        return Applicability(True)
    return check_requirement(design, suite.requires)


def plan(suites: Sequence[str], sims: Sequence[str], design: Design,
         families: Sequence[str] = FAMILIES) -> list[tuple[str, str, Applicability]]:
    """``(suite, sim, applicability)`` for every pair, checked before anything is simulated.

    A suite outside ``families`` is not applicable ("family not selected"). Raises
    :class:`~testbench.preflight.PreflightError` for a design that breaks an interface.
    """
    rows = []
    for name in suites:
        suite = get_suite(name)
        for sim in sims:
            if suite.family not in families:
                rows.append((name, sim, Applicability(
                    False, f"a {suite.family} suite; --family selects "
                    f"{', '.join(families)}")))
            else:
                rows.append((name, sim, applicability(suite, design, sim)))
    return rows
