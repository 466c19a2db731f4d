"""Formal proofs of the RTL (``sctb prove``): block proofs, port-level protocol and equivalence."""

from ._proofs import (
    HDL_DIR,
    PROOFS,
    QUICK,
    STATUSES,
    Proof,
    ProofResult,
    applicability,
    get_proof,
    run_proof,
    run_proofs,
)

__all__ = ["HDL_DIR", "PROOFS", "QUICK", "STATUSES", "Proof", "ProofResult", "applicability",
           "get_proof", "run_proof", "run_proofs"]
