"""The JAX backend: scoped 64-bit mode, to_jax / to_host, device operands, shape buckets."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import golden
from tests.support import backend_or_skip, check_contract_vectors, module_or_skip

jax = module_or_skip("jax", "jax")
jxb = module_or_skip("golden.backends.sc_jax", "jax")
jnp = jax.numpy

FLOOR = golden.NumpyBackend()
ONES = 2**64 - 1


@pytest.fixture(scope="module")
def jx() -> golden.Backend:
    return backend_or_skip("jax")


def _every_op(jx) -> None:
    rng = np.random.default_rng(1)
    w = rng.integers(0, ONES, size=(2, 3, 2), dtype=np.uint64, endpoint=True)
    a = w[0]
    jx.sc_counts(w, [0.1, 0.5, 1.0], length=100, seed=2**64 - 1)
    jx.encode_inputs([0.5], length=70)
    jx.vec_xnor(a, a, length=100)
    jx.vec_mux(a, a, a, length=100)
    jx.vec_popcount(a)
    jx.pack_bitstream([1, 0, 1])
    jx.unpack_bitstream(a, 100)


@pytest.mark.parametrize("global_x64", [False, True])
def test_global_x64_config_untouched(jx, global_x64: bool) -> None:
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", global_x64)
    try:
        _every_op(jx)
        assert jax.config.jax_enable_x64 is global_x64
        want = jnp.int64 if global_x64 else jnp.int32
        assert jnp.asarray(1).dtype == want  # the user's default dtypes are what they chose
    finally:
        jax.config.update("jax_enable_x64", before)


def test_x64_scope_is_thread_local(jx) -> None:
    """While one thread is inside the backend's 64-bit scope, another thread is not."""
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", False)
    inside, seen = threading.Event(), threading.Event()
    other: dict[str, bool] = {}

    def watcher() -> None:
        inside.wait(timeout=30)
        other["x64"] = bool(jax.config.jax_enable_x64)
        seen.set()

    thread = threading.Thread(target=watcher)
    thread.start()
    try:
        with jxb.x64_scope():
            assert jax.config.jax_enable_x64
            inside.set()
            assert seen.wait(timeout=30)
        assert other == {"x64": False}
        assert not jax.config.jax_enable_x64
    finally:
        inside.set()
        thread.join()
        jax.config.update("jax_enable_x64", before)


def test_to_jax_to_host_round_trip(jx) -> None:
    words = np.array([[0, 1, 2**63, ONES], [0xDEAD_BEEF_0BAD_F00D, 5, 6, 7]], dtype=np.uint64)
    probs = np.array([0.1, 1 / 3, 1.0])
    for to_jax, to_host in ((jxb.to_jax, jxb.to_host), (jx.to_jax, jx.to_host)):
        dev = to_jax(words)
        assert isinstance(dev, jax.Array) and dev.dtype == np.uint64 and dev.shape == (2, 4)
        assert to_jax(dev) is dev
        back = to_host(dev)
        assert isinstance(back, np.ndarray) and back.dtype == np.uint64
        assert np.array_equal(back, words)
        p = to_host(to_jax(probs))
        assert p.dtype == np.float64 and np.array_equal(p, probs)
        assert np.array_equal(to_host(words[::-1]), words[::-1])  # host input passes through
    unaligned = np.frombuffer(np.arange(40, dtype=np.uint8).tobytes()[8:], dtype=np.uint64)
    assert np.array_equal(jxb.to_host(jxb.to_jax(unaligned)), unaligned)


def test_device_operands(jx) -> None:
    """uint64 jax.Array operands are used on the device and give the floor's results."""
    rng = np.random.default_rng(2)
    w = rng.integers(0, ONES, size=(5, 7, 3), dtype=np.uint64, endpoint=True)
    p = rng.random(7)
    want = FLOOR.sc_counts(w, p, length=150, seed=0xFFFF)
    dw = jxb.to_jax(w)
    assert np.array_equal(jx.sc_counts(dw, jxb.to_jax(p), length=150, seed=0xFFFF), want)
    assert jx.vec_popcount(dw) == FLOOR.vec_popcount(w)
    x = FLOOR.encode_inputs(p, length=150, seed=0xFFFF)
    assert np.array_equal(jx.vec_mac(dw, jxb.to_jax(x)), want)
    # a device array keeps the floor's checks and messages
    with pytest.raises(ValueError, match=r"input_probs has 6 entries but weights_packed has n_in="):
        jx.sc_counts(dw, p[:6], length=150)
    with pytest.raises(ValueError, match=r"weights_packed has n_words=3 but length=64"):
        jx.sc_counts(dw, p, length=64)
    with pytest.raises(ValueError, match=r"packed must not be negative, got -3 at index 1"):
        jx.vec_popcount(jxb.to_jax(np.array([1, -3], dtype=np.int64)))


def test_results_are_writable_host_arrays(jx) -> None:
    """Like the floor's: plain, writable, C-contiguous NumPy arrays (not read-only views)."""
    w = np.zeros((3, 2, 2), np.uint64)
    outs = [
        jx.sc_counts(w, [0.2, 0.9], length=100),
        jx.encode_inputs([0.2, 0.9], length=100),
        jx.vec_xnor(w[0], w[1], length=100),
        jx.vec_and(w[0], w[1]),
        jx.vec_mac(w, w[0]),
        jx.pack_bitstream([[1, 0, 1]]),
        jx.unpack_bitstream(w[0], 100),
    ]
    for out in outs:
        assert isinstance(out, np.ndarray) and out.flags.writeable and out.flags.c_contiguous


def test_large_operands_keep_their_shape(jx) -> None:
    """Past the bucket limit nothing is padded (no copy); results still equal the floor."""
    rng = np.random.default_rng(3)
    n_in = jxb._BUCKET_LIMIT // 4 + 3
    w = rng.integers(0, ONES, size=(1, n_in, 5), dtype=np.uint64, endpoint=True)
    assert jxb._bucketed(w) is w
    p = rng.random(n_in)
    assert np.array_equal(jx.sc_counts(w, p, length=300, seed=9),
                          FLOOR.sc_counts(w, p, length=300, seed=9))
    probs = rng.random(3)
    long = jx.encode_inputs(probs, length=64 * 30000 + 5, seed=2)
    assert np.array_equal(long, FLOOR.encode_inputs(probs, length=64 * 30000 + 5, seed=2))


def test_shape_buckets_share_compiled_kernels(jx) -> None:
    rng = np.random.default_rng(4)
    jx.sc_counts(np.zeros((3, 5, 2), np.uint64), rng.random(5), length=100)
    before = (jxb._encode._cache_size(), jxb._mac._cache_size())
    for n_out, n_in, length in [(3, 6, 65), (4, 7, 128), (4, 8, 127)]:
        w = rng.integers(0, ONES, size=(n_out, n_in, golden.n_words(length)), dtype=np.uint64,
                         endpoint=True)
        p = rng.random(n_in)
        assert np.array_equal(jx.sc_counts(w, p, length=length, seed=n_in),
                              FLOOR.sc_counts(w, p, length=length, seed=n_in))
    assert (jxb._encode._cache_size(), jxb._mac._cache_size()) == before


def test_contract_golden_words(jx) -> None:
    check_contract_vectors(jx)
    xs = np.array([1, 2, 32768, 65535, 65536])
    full = jx.encode_inputs(xs / 65536, length=65535, seed=7)
    assert np.bitwise_count(full).sum(axis=1).tolist() == (xs - 1).tolist()


def test_batch_on_device_weights_both_reductions_and_row_blocks(jx) -> None:
    """sc_counts_batch: device weights, the GPU reduction (run here on the CPU) and batches cut
    into several row blocks (the last one padded) all give the floor's stacked single calls."""
    jb = module_or_skip("golden.backends._jax_batch", "jax")
    rng = np.random.default_rng(5)
    w = rng.integers(0, ONES, size=(5, 7, 3), dtype=np.uint64, endpoint=True)
    p = rng.random((jb.ROW_BLOCK + 3, 7))
    want = np.stack([FLOOR.sc_counts(w, row, length=150, seed=0xFFFF) for row in p])
    assert np.array_equal(jx.sc_counts_batch(jxb.to_jax(w), p, length=150, seed=0xFFFF), want)
    with jxb.x64_scope():
        dev = jxb.to_jax(w)
        for by_rows in (True, False):
            got = jb.counts_batch(dev, p[:9], 150, 0xFFFF, 5, by_rows)
            assert np.array_equal(got, want[:9]), by_rows
    with pytest.raises(ValueError, match=r"input_probs has n_in=6 columns but weights_packed"):
        jx.sc_counts_batch(jxb.to_jax(w), p[:, :6], length=150)
