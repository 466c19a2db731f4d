"""The Numba backend's own kernels: bit-sliced encoder, popcount, parallel split, layouts."""

from __future__ import annotations

import numpy as np
import pytest

import golden
from tests.naive import naive_pack, naive_step, naive_stream_bits
from tests.support import backend_or_skip, module_or_skip

numba = module_or_skip("numba", "numba")
nbk = module_or_skip("golden.backends.sc_numba", "numba")

FLOOR = golden.NumpyBackend()
ONES = 2**64 - 1


@pytest.fixture(scope="module")
def nb() -> golden.Backend:
    return backend_or_skip("numba")


def test_byte_tables_follow_the_lfsr() -> None:
    word, jump = nbk._tables()
    rng = np.random.default_rng(3)
    for r in [1, 2, 0x8000, 0xFFFF, 0xACE1, *rng.integers(1, 1 << 16, size=20).tolist()]:
        s, bits = r, 0
        for t in range(64):
            bits |= (s & 1) << t
            s = naive_step(s)
        assert int(word[0, r & 0xFF] ^ word[1, r >> 8]) == bits
        assert int(jump[0, r & 0xFF] ^ jump[1, r >> 8]) == s


@pytest.mark.parametrize("x", [0, 1, 2, 0x7FFF, 0x8000, 0xACE1, 0xFFFF, 65536])
@pytest.mark.parametrize("length", [1, 2, 63, 64, 65, 127, 128, 129, 200])
@pytest.mark.parametrize("state", [1, 0x8000, 0xFFFF, 0xACE1])
def test_encode_row_kernel_against_naive(x: int, length: int, state: int) -> None:
    """The bit-sliced compare, word by word, against per-bit stepping; padding stays zero."""
    word, jump = nbk._tables()
    out = np.full(golden.n_words(length), np.uint64(0xDEAD_BEEF), dtype=np.uint64)
    nbk._encode_kernel(np.array([x / 65536]), state, length, word, jump, out[None, :])
    want = naive_pack(naive_stream_bits(x / 65536, state, length))
    assert [int(v) for v in out] == want


def test_popcount_intrinsic() -> None:
    rng = np.random.default_rng(5)
    words = np.concatenate([
        np.array([0, ONES, 1, 1 << 63, 0x5555_5555_5555_5555], dtype=np.uint64),
        np.uint64(1) << np.arange(64, dtype=np.uint64),
        rng.integers(0, ONES, size=1000, dtype=np.uint64, endpoint=True),
    ])
    assert nbk._popcount_kernel(words) == int(np.bitwise_count(words).sum())
    assert nbk._popcount_kernel(words[:0]) == 0


@pytest.mark.parametrize(("n_out", "n_in"), [(1, 1), (1, 37), (2, 9), (3, 1), (40, 5)])
def test_parallel_split_of_inputs(nb, n_out: int, n_in: int) -> None:
    """A small n_out splits n_in across threads; every split sums to the floor's counts."""
    rng = np.random.default_rng(n_out * 100 + n_in)
    w = rng.integers(0, ONES, size=(n_out, n_in, 3), dtype=np.uint64, endpoint=True)
    p = rng.random(n_in)
    want = FLOOR.sc_counts(w, p, length=150, seed=11)
    assert np.array_equal(nb.sc_counts(w, p, length=150, seed=11), want)
    x = FLOOR.encode_inputs(p, length=150, seed=11)
    for n_split in range(1, n_in + 1):
        assert np.array_equal(nbk._mac_kernel(w, x, n_split), want)


def test_same_bits_with_one_thread_or_all(nb, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(8)
    w = rng.integers(0, ONES, size=(5, 33, 5), dtype=np.uint64, endpoint=True)
    p = rng.random(33)
    want = FLOOR.sc_counts(w, p, length=300, seed=2**64 - 3)
    enc = FLOOR.encode_inputs(p, length=300, seed=2**64 - 3)
    monkeypatch.setattr(nbk, "_GRAIN", 1)  # every launch on all threads, however small
    threads = numba.get_num_threads()
    for n in sorted({1, threads}):
        numba.set_num_threads(n)
        try:
            assert np.array_equal(nb.sc_counts(w, p, length=300, seed=2**64 - 3), want)
            assert np.array_equal(nb.encode_inputs(p, length=300, seed=2**64 - 3), enc)
            assert np.array_equal(nb.vec_mac(w, enc), want)
            assert nb.vec_popcount(w) == FLOOR.vec_popcount(w)
        finally:
            numba.set_num_threads(threads)


def test_thread_count_follows_the_work(nb) -> None:
    """Small calls run on fewer threads; the caller's thread count is restored, even on error."""
    threads = numba.get_num_threads()
    seen = []
    with nbk._threads_for(1):
        seen.append(numba.get_num_threads())
    with nbk._threads_for(10 * threads * nbk._GRAIN):
        seen.append(numba.get_num_threads())
    assert seen == [1, threads] and numba.get_num_threads() == threads
    with pytest.raises(ValueError, match="boom"), nbk._threads_for(1):
        raise ValueError("boom")
    assert numba.get_num_threads() == threads
    rng = np.random.default_rng(10)
    big = rng.integers(0, ONES, size=(8, 64, 2 * threads * nbk._GRAIN // 512 + 1),
                       dtype=np.uint64, endpoint=True)
    length = 64 * big.shape[2]
    p = rng.random(64)
    assert np.array_equal(nb.sc_counts(big, p, length=length, seed=1),
                          FLOOR.sc_counts(big, p, length=length, seed=1))
    assert numba.get_num_threads() == threads


@pytest.mark.parametrize("seed", [0, 2**64 - 1, 2**64 - 2, 2**64 - 0x10000, 2**63 + 0xFFFE, 0xFFFF])
def test_huge_and_wrapping_seeds(nb, seed: int) -> None:
    """Only seed & 0xFFFF matters; (seed + i) & 0xFFFF == 0 becomes state 1."""
    p = np.linspace(0.0, 1.0, 5)
    got = nb.encode_inputs(p, length=70, seed=seed)
    assert np.array_equal(got, FLOOR.encode_inputs(p, length=70, seed=seed))
    assert np.array_equal(got, nb.encode_inputs(p, length=70, seed=seed & 0xFFFF))


def test_full_period_has_x_minus_one_ones(nb) -> None:
    xs = np.array([1, 2, 3, 32768, 65535, 65536])
    words = nb.encode_inputs(xs / 65536, length=65535, seed=0x1234)
    assert np.bitwise_count(words).sum(axis=1).tolist() == (xs - 1).tolist()


def test_weight_layouts_without_copies(nb) -> None:
    """Strided, Fortran, read-only and byte-swapped weights all give the floor's counts."""
    rng = np.random.default_rng(12)
    w = rng.integers(0, ONES, size=(4, 6, 2), dtype=np.uint64, endpoint=True)
    p = rng.random(6)
    want = FLOOR.sc_counts(w, p, length=100, seed=5)
    ro = w.copy()
    ro.setflags(write=False)
    big = np.zeros((4, 12, 4), dtype=np.uint64)
    big[:, ::2, ::2] = w
    for variant in (np.asfortranarray(w), ro, big[:, ::2, ::2], w.astype(">u8"), w[::-1][::-1]):
        assert np.array_equal(nb.sc_counts(variant, p, length=100, seed=5), want)
        assert np.array_equal(nb.vec_mac(variant, FLOOR.encode_inputs(p, length=100, seed=5)),
                              want)


def test_ops_on_odd_shapes(nb) -> None:
    rng = np.random.default_rng(21)
    a, b, s = (rng.integers(0, ONES, size=(2, 3, 2), dtype=np.uint64, endpoint=True)
               for _ in range(3))
    assert np.array_equal(nb.vec_xnor(a, b, length=70), FLOOR.vec_xnor(a, b, length=70))
    assert np.array_equal(nb.vec_mux(s, a, b[:, ::-1].copy(), length=128),
                          FLOOR.vec_mux(s, a, b[:, ::-1].copy(), length=128))
    assert nb.vec_and(np.uint64(6), np.uint64(3)) == 2
    assert nb.vec_popcount(np.zeros((0, 3), np.uint64)) == 0
    assert nb.pack_bitstream(np.zeros((2, 0), np.uint8)).shape == (2, 0)
    assert nb.unpack_bitstream(np.zeros((3, 0), np.uint64), 0).shape == (3, 0)
