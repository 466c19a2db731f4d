"""Bit identity with SC-NeuroCore's ``sc_forward_numpy`` when ``sc-neurocore`` is installed."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import golden

pytestmark = [
    pytest.mark.upstream,
    pytest.mark.skipif(importlib.util.find_spec("sc_neurocore") is None,
                       reason="sc-neurocore is not installed (pip install 'sctb[upstream]')"),
]


def test_sc_forward_matches_upstream_on_random_cases() -> None:
    from sc_neurocore.accel.sc_inference import sc_forward_numpy

    rng = np.random.default_rng(2026)
    for _ in range(60):
        n_out, n_in = (int(v) for v in rng.integers(1, 12, size=2))
        length = int(rng.choice([int(rng.integers(1, 700)), 64, 128, 4096]))
        seed = int(rng.choice([int(rng.integers(0, 2**32)), 0, 0xFFFF, 0xFFFE, 0xACE1]))
        w = rng.integers(0, 2**64 - 1, size=(n_out, n_in, golden.n_words(length)),
                         dtype=np.uint64, endpoint=True)
        p = rng.random(n_in)
        p[rng.random(n_in) < 0.15] = 0.0
        p[rng.random(n_in) < 0.15] = 1.0
        p[rng.random(n_in) < 0.1] = 3 / 131072
        want = sc_forward_numpy(w, p, length, seed=seed)
        got = golden.sc_forward(w, p, length=length, seed=seed)
        assert got.dtype == want.dtype and np.array_equal(got, want), (n_out, n_in, length, seed)


def test_pack_bitstream_matches_upstream() -> None:
    from sc_neurocore.accel.vector_ops import pack_bitstream

    bits = np.random.default_rng(7).integers(0, 2, size=(3, 130), dtype=np.uint8)
    assert np.array_equal(golden.pack_bitstream(bits), pack_bitstream(bits))
    assert np.array_equal(golden.pack_bitstream(bits[1]), pack_bitstream(bits[1]))
