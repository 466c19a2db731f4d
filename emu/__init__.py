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
    ResultSink,
    Simulator,
    StreamSource,
    run_dense,
    run_layer,
    transaction_beats,
)
from ._txn import (
    MAX_LENGTH,
    CoreShape,
    DenseTransaction,
    PaddedWeights,
    Tile,
    beat_bits,
    beat_ints,
    core_seed,
    tiles,
    untile,
    weight_beats,
)
from ._vcd import VcdProbe

__all__ = [
    "MAX_LENGTH",
    "CoreShape",
    "DenseTransaction",
    "PaddedWeights",
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
    "Tile",
    "VcdProbe",
    "beat_bits",
    "beat_ints",
    "core_seed",
    "dense_lif_sources",
    "emulate_layer",
    "lfsr_states",
    "run_dense",
    "run_dense_lif",
    "run_layer",
    "tiles",
    "transaction_beats",
    "untile",
    "weight_beats",
]
