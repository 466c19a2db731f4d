"""Property-based campaigns (hypothesis): the campaign machinery, saved transactions and
the transaction strategies.

``testbench.fuzz.strategies`` imports hypothesis; this package does not (until a campaign runs).
"""

from .campaign import (
    FUZZ_CORE,
    PLANTED_BUGS,
    FuzzResult,
    drive_options,
    expected_counts,
    report_campaign,
    run_campaign,
)
from .replay import load_txn, replay_command, save_txn

__all__ = [
    "FUZZ_CORE",
    "PLANTED_BUGS",
    "FuzzResult",
    "drive_options",
    "expected_counts",
    "load_txn",
    "replay_command",
    "report_campaign",
    "run_campaign",
    "save_txn",
]
