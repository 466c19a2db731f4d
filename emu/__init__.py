"""Cycle-level emulator of the SC datapath, cycle-exact to the RTL (docs/microarchitecture.md)."""

from ._blocks import ScDense, ScLfsr16, ScPopcount, ScSng, lfsr_states
from ._neuron import (
    ScDenseLif,
    ScDotToCurrent,
    ScLif,
    SpikeSink,
    dense_lif_sources,
    run_dense_lif,
)
from ._perf import emulate_layer
from ._sim import (
    DenseTransaction,
    ResultSink,
    Simulator,
    StreamSource,
    run_dense,
    tile_layer,
    transaction_beats,
    weight_beats,
)
from ._vcd import VcdProbe

__all__ = [
    "DenseTransaction",
    "ResultSink",
    "ScDense",
    "ScDenseLif",
    "ScDotToCurrent",
    "ScLfsr16",
    "ScLif",
    "ScPopcount",
    "ScSng",
    "Simulator",
    "SpikeSink",
    "StreamSource",
    "VcdProbe",
    "dense_lif_sources",
    "emulate_layer",
    "lfsr_states",
    "run_dense",
    "run_dense_lif",
    "tile_layer",
    "transaction_beats",
    "weight_beats",
]
