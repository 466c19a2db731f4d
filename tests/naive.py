"""A deliberately naive per-bit model of the contract, written from docs/contract.md alone."""

from __future__ import annotations

import math


def naive_step(r: int) -> int:
    fb = ((r >> 15) ^ (r >> 13) ^ (r >> 12) ^ (r >> 10)) & 1
    return ((r << 1) | fb) & 0xFFFF


def naive_threshold(p: float) -> int:
    # round half to even, written out by hand
    v = p * 65536.0
    lo = math.floor(v)
    frac = v - lo
    if frac > 0.5 or (frac == 0.5 and lo % 2 == 1):
        lo += 1
    return min(max(lo, 0), 65536)


def naive_stream_bits(p: float, seed: int, length: int) -> list[int]:
    x = naive_threshold(p)
    r = seed
    bits = []
    for _ in range(length):
        bits.append(1 if r < x else 0)
        r = naive_step(r)
    return bits


def naive_input_seed(seed: int, i: int) -> int:
    s = (seed + i) & 0xFFFF
    return s if s != 0 else 1


def naive_pack(bits: list[int]) -> list[int]:
    words = [0] * ((len(bits) + 63) // 64)
    for t, b in enumerate(bits):
        if b:
            words[t // 64] |= 1 << (t % 64)
    return words


def naive_encode(probs: list[float], length: int, seed: int) -> list[list[int]]:
    return [
        naive_pack(naive_stream_bits(p, naive_input_seed(seed, i), length))
        for i, p in enumerate(probs)
    ]


def naive_counts(weights: list, probs: list[float], length: int, seed: int) -> list[int]:
    """``weights``: nested lists ``[o][i][w]`` of Python ints."""
    x = naive_encode(probs, length, seed)
    out = []
    for row in weights:
        total = 0
        for i, words in enumerate(row):
            for w, word in enumerate(words):
                total += bin(int(word) & x[i][w]).count("1")
        out.append(total)
    return out
