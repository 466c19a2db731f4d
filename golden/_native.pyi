"""Type stub of the private Rust extension ``golden._native`` (rust/src/python.rs)."""

import numpy as np
import numpy.typing as npt

__all__ = [
    "KERNEL_PATH_ENV",
    "LIF_PARALLEL_MIN_NEURON_STEPS",
    "PARALLEL_MIN_WORDS",
    "ROOFLINE_L1_WORDS",
    "__version__",
    "and_popcount",
    "default_kernel_path",
    "default_threads",
    "dot_to_current",
    "encode_inputs",
    "kernel_path_features",
    "kernel_paths",
    "lfsr_jump",
    "lfsr_sequence",
    "lfsr_step",
    "lif_run",
    "orbit_table",
    "pack_bits",
    "popcount_total",
    "roofline_and_popcount",
    "roofline_read",
    "sc_counts",
    "sc_counts_batch",
    "unpack_bits",
    "vec_and",
    "vec_mux",
    "vec_not",
    "vec_xnor",
]

__version__: str
#: Environment variable that forces a kernel path when a call names none.
KERNEL_PATH_ENV: str
#: Weight words from which ``sc_counts`` / ``and_popcount`` split rows across threads.
PARALLEL_MIN_WORDS: int
#: Words per operand of ``roofline_and_popcount``'s L1-resident loop.
ROOFLINE_L1_WORDS: int

# Array arguments must be C-contiguous and of the native dtype named (uint64 words, float64
# probabilities, uint8 bits); others raise ValueError/TypeError. ``golden.Backend``
# validates and normalises first. ``popcount`` names a kernel path ("scalar", "avx2",
# "avx512" or "auto"); ``None`` reads $SCTB_RUST_POPCOUNT, else takes the fastest supported.
# ``threads``: 0 = every core (RAYON_NUM_THREADS when set), 1 = the calling thread, n = n
# threads (pools are per process: safe after fork).
# Every kernel runs with the GIL released.

def lfsr_step(state: int) -> int:
    """One LFSR step of the contract; ``state`` in ``[0, 0xFFFF]``."""

def lfsr_jump(state: int, k: int) -> int:
    """``state`` advanced by ``k`` steps (GF(2) matrix power); ``k`` in ``[0, 2**64)``."""

def lfsr_sequence(seed: int, n: int) -> npt.NDArray[np.uint16]:
    """uint16 ``(n,)``: the states from ``seed`` (``out[0] == seed``)."""

def orbit_table() -> npt.NDArray[np.uint16]:
    """uint16 ``(65535,)``: the period from state 1."""

def kernel_paths() -> list[str]:
    """The kernel paths this CPU supports, slowest first (always starts with "scalar")."""

def default_kernel_path() -> str:
    """The path a call without ``popcount=`` takes now; ValueError for a bad $SCTB_RUST_POPCOUNT."""

def kernel_path_features() -> list[tuple[str, str]]:
    """Every kernel path with the CPU features it needs."""

def default_threads() -> int:
    """Threads used by ``threads=0``: RAYON_NUM_THREADS when set, else every available core."""

def encode_inputs(
    probs: npt.NDArray[np.float64], length: int, seed: int, *, popcount: str | None = None
) -> npt.NDArray[np.uint64]:
    """uint64 ``(n_in, ceil(length/64))`` streams of float64 ``(n_in,)`` probabilities in [0, 1]."""

def sc_counts(
    weights: npt.NDArray[np.uint64],
    probs: npt.NDArray[np.float64],
    length: int,
    seed: int,
    *,
    threads: int = 0,
    popcount: str | None = None,
) -> npt.NDArray[np.int64]:
    """int64 ``(n_out,)`` counts of uint64 ``(n_out, n_in, ceil(length/64))`` weights."""

def sc_counts_batch(
    weights: npt.NDArray[np.uint64],
    probs: npt.NDArray[np.float64],
    length: int,
    seed: int,
    *,
    threads: int = 0,
    popcount: str | None = None,
) -> npt.NDArray[np.int64]:
    """int64 ``(B, n_out)``: row ``b`` is ``sc_counts(weights, probs[b], length, seed)`` (every
    row with the same ``seed``) of float64 ``(B, n_in)`` probabilities, ``B >= 1``; each weight
    word is read once per tile of rows (rust/src/batch.rs)."""

def and_popcount(
    weights: npt.NDArray[np.uint64],
    inputs: npt.NDArray[np.uint64],
    *,
    threads: int = 0,
    popcount: str | None = None,
) -> npt.NDArray[np.int64]:
    """int64 ``(n_out,)``: ``sum_{i,w} popcount(weights[o,i,w] & inputs[i,w])``."""

def popcount_total(words: npt.NDArray[np.uint64], *, popcount: str | None = None) -> int:
    """Set bits in a uint64 array of any shape."""

def vec_and(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """``a & b`` (same shape)."""

def vec_xnor(
    a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64], length: int
) -> npt.NDArray[np.uint64]:
    """``~(a ^ b)``, bits past ``length`` in the last axis cleared."""

def vec_not(a: npt.NDArray[np.uint64], length: int) -> npt.NDArray[np.uint64]:
    """``~a``, bits past ``length`` cleared."""

def vec_mux(
    sel: npt.NDArray[np.uint64],
    a: npt.NDArray[np.uint64],
    b: npt.NDArray[np.uint64],
    length: int,
) -> npt.NDArray[np.uint64]:
    """``(sel & a) | (~sel & b)``, bits past ``length`` cleared."""

def pack_bits(bits: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint64]:
    """uint64 ``(rows, ceil(n/64))`` from uint8 ``(rows, n)`` (nonzero = 1), LSB first."""

def unpack_bits(words: npt.NDArray[np.uint64], length: int) -> npt.NDArray[np.uint8]:
    """uint8 ``(rows, length)`` of 0/1 from uint64 ``(rows, ceil(length/64))``."""

# -- the bit-true Q8.8 neuron (docs/contract.md section 9; rust/src/neuron.rs) -----------------
# ``params`` is ``(v_rest, v_reset, v_th, leak, gain, refractory)`` as raw ints (a
# ``golden.LifParams`` is such a tuple); ``leak > 256`` raises ValueError, a value outside its
# Rust type (int16, uint16) OverflowError. ``golden.NeuronModel`` validates and normalises first.
#: Neuron-steps (``T * n``) from which ``lif_run`` splits the neurons across threads.
LIF_PARALLEL_MIN_NEURON_STEPS: int

def dot_to_current(
    counts: npt.NDArray[np.int64], n_in: int, y_min: int, y_max: int
) -> npt.NDArray[np.int16]:
    """int16, the shape of ``counts``: ``y_min + floor((y_max - y_min) * count / n_in)``.

    ValueError for ``n_in`` outside ``[1, 2**31 - 1]`` or a count outside ``[0, n_in]``.
    """

def lif_run(
    v: npt.NDArray[np.int16],
    refc: npt.NDArray[np.uint16],
    currents: npt.NDArray[np.int16],
    params: tuple[int, int, int, int, int, int],
    noise: npt.NDArray[np.int16] | None = None,
    *,
    threads: int = 0,
    popcount: str | None = None,
) -> tuple[
    npt.NDArray[np.int16], npt.NDArray[np.uint16], npt.NDArray[np.bool_], npt.NDArray[np.int16]
]:
    """``T`` LIF steps of ``n`` neurons: ``(v (n,), ref (n,), spikes (T, n), v_trace (T, n))``.

    ``currents`` and ``noise`` are ``(T, n)``; the neurons are split over ``threads`` from
    ``LIF_PARALLEL_MIN_NEURON_STEPS`` neuron-steps (the result never depends on it).
    """

# -- rooflines (rust/src/roofline.rs): loops that ``sctb bench`` times -----------------------

def roofline_read(
    words: npt.NDArray[np.uint64], *, threads: int = 0, popcount: str | None = None
) -> int:
    """Popcount of every word, read once in one contiguous part per thread with the streaming
    loop of ``sc_counts`` (the all-core read roofline of ``words``)."""

def roofline_and_popcount(reps: int, *, threads: int = 0, popcount: str | None = None) -> int:
    """The AND + popcount peak loop: ``reps`` passes of the batch kernel's register tile over
    L1-resident vectors on each thread; the total count (``threads * reps *
    ROOFLINE_L1_WORDS`` word pairs)."""
