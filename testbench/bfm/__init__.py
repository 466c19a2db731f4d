"""Bus-functional models: the only code that touches ``dut`` (drives on the falling clock edge)."""

from .base import CLOCK_NS, pack_lanes, start_clock, unpack_lanes, wmem_path
from .blocks import BlocksBfm
from .cycle import CycleBfm
from .dense import DenseBfm
from .dense_lif import DenseLifBfm, DenseLifCycleBfm
from .neuron import NeuronBfm

__all__ = [
    "CLOCK_NS",
    "BlocksBfm",
    "CycleBfm",
    "DenseBfm",
    "DenseLifBfm",
    "DenseLifCycleBfm",
    "NeuronBfm",
    "pack_lanes",
    "start_clock",
    "unpack_lanes",
    "wmem_path",
]
