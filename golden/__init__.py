"""Golden reference models of the bit-true SC contract (docs/contract.md), behind one selector."""

from ._backend import PRIORITY, Backend, available_backends, backend_status, get_backend
from ._contract import DEFAULT_SEED, LFSR_PERIOD, LFSR_TAPS, THRESHOLD_SCALE, WORD_BITS, n_words
from ._dense_lif import dense_lif_run, dense_lif_step
from ._encode import encode_inputs, encode_weights, input_seeds, thresholds
from ._lfsr import (
    lfsr_jump,
    lfsr_jump_matrix,
    lfsr_sequence,
    lfsr_step,
    orbit_index,
    orbit_table,
)
from ._neuron import (
    LifParams,
    LifState,
    dot_to_current,
    from_q88,
    lif_init,
    lif_run,
    lif_step,
    to_q88,
)
from ._neuron_models import (
    NEURON_PRIORITY,
    NeuronModel,
    available_neurons,
    get_neuron,
    neuron_names,
    neuron_status,
)
from ._threads import THREADS_ENV, get_threads, set_threads, threads_for_jobs
from ._vector_ops import (
    pack_bitstream,
    unpack_bitstream,
    vec_and,
    vec_mac,
    vec_mux,
    vec_not,
    vec_popcount,
    vec_xnor,
)
from .backends.sc_numpy import NumpyBackend, sc_counts, sc_forward

__all__ = [
    "Backend",
    "DEFAULT_SEED",
    "LFSR_PERIOD",
    "LFSR_TAPS",
    "LifParams",
    "LifState",
    "NEURON_PRIORITY",
    "NeuronModel",
    "NumpyBackend",
    "PRIORITY",
    "THREADS_ENV",
    "THRESHOLD_SCALE",
    "WORD_BITS",
    "available_backends",
    "available_neurons",
    "backend_status",
    "dense_lif_run",
    "dense_lif_step",
    "dot_to_current",
    "encode_inputs",
    "encode_weights",
    "from_q88",
    "get_backend",
    "get_neuron",
    "get_threads",
    "input_seeds",
    "lfsr_jump",
    "lfsr_jump_matrix",
    "lfsr_sequence",
    "lfsr_step",
    "lif_init",
    "lif_run",
    "lif_step",
    "n_words",
    "neuron_names",
    "neuron_status",
    "orbit_index",
    "orbit_table",
    "pack_bitstream",
    "sc_counts",
    "sc_forward",
    "set_threads",
    "threads_for_jobs",
    "thresholds",
    "to_q88",
    "unpack_bitstream",
    "vec_and",
    "vec_mac",
    "vec_mux",
    "vec_not",
    "vec_popcount",
    "vec_xnor",
]
