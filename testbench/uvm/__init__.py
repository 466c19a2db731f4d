"""pyuvm environment of sc_dense: item, sequences, driver, scoreboard, coverage, env, tests."""

from .env import (
    CoverageSubscriber,
    DenseAgent,
    DenseBaseSeq,
    DenseDriver,
    DenseEnv,
    DenseItem,
    DenseScoreboard,
    DirectedSeq,
    HypothesisSeq,
    RandomSeq,
    ResultMonitor,
)

__all__ = ["CoverageSubscriber", "DenseAgent", "DenseBaseSeq", "DenseDriver", "DenseEnv",
           "DenseItem", "DenseScoreboard", "DirectedSeq", "HypothesisSeq", "RandomSeq",
           "ResultMonitor"]
