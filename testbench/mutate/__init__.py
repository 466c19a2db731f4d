"""Mutation score: source mutants, a SAT equivalence pre-check, the suites as their judges."""

from .campaign import (
    DEFAULT_SUITES,
    SMOKE,
    MutantResult,
    applicable_suites,
    campaign_summary,
    instantiates,
    run_mutant,
    run_mutants,
    skip_tests,
    suite_tests,
)
from .equiv import (
    EQUIVALENT,
    UNPROVEN,
    EquivResult,
    check_equivalence,
    equiv_script,
    identical_netlists,
)
from .mutants import (
    OPERATORS,
    Mutant,
    enumerate_mutants,
    get_operator,
    sample_mutants,
    write_mutant_design,
)

__all__ = [
    "DEFAULT_SUITES",
    "EQUIVALENT",
    "OPERATORS",
    "SMOKE",
    "UNPROVEN",
    "EquivResult",
    "Mutant",
    "MutantResult",
    "applicable_suites",
    "campaign_summary",
    "check_equivalence",
    "enumerate_mutants",
    "equiv_script",
    "get_operator",
    "identical_netlists",
    "instantiates",
    "run_mutant",
    "run_mutants",
    "sample_mutants",
    "skip_tests",
    "suite_tests",
    "write_mutant_design",
]
