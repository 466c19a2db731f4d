"""cocotb tests of sc_dot_to_current and sc_lif (sc_neuron_top) against the golden Q8.8 neuron."""

from __future__ import annotations

import cocotb
import numpy as np

import golden
from golden import LifParams

from ..bfm import NeuronBfm
from .common import block_setup, record, settings


async def _check_current(bfm: NeuronBfm, counts, n_in: int, y_min: int, y_max: int) -> None:
    bfm.d2c_config(n_in, y_min, y_max)
    valid, got = await bfm.d2c_cycle(counts)
    want = golden.dot_to_current(np.asarray(counts, dtype=np.int64), n_in, y_min, y_max)
    assert valid == 1
    assert got == want.tolist(), (f"counts={list(counts)} n_in={n_in} y=[{y_min}, {y_max}]: "
                                  f"got {got}, want {want.tolist()}")


@cocotb.test()
async def current_directed(dut):
    """Full range (17-bit difference), falling maps, floor of negative quotients, 2**31 - 1."""
    bfm = NeuronBfm(dut)
    await bfm.start()
    n = bfm.n
    big = 2**31 - 1
    cases = [
        ([0, 1, 2, 4][:n] + [3] * (n - 4), 4, -32768, 32767),
        ([0, 7, 3, 5][:n] + [1] * (n - 4), 7, 256, -256),
        ([1, 2, 0, 3][:n] + [0] * (n - 4), 3, 0, -1),
        ([1, 2, 0, 3][:n] + [0] * (n - 4), 3, 0, -2),
        ([0, 1, big // 2, big][:n] + [big - 1] * (n - 4), big, -32768, 32767),
        ([0, 1, big // 2, big][:n] + [big - 1] * (n - 4), big, 32767, -32768),
        ([5, 5, 5, 5][:n] + [5] * (n - 4), 5, -32768, -32768),
        ([0, 1, 2, 3][:n] + [3] * (n - 4), 3, -100, -7),
    ]
    with record("current_directed", transactions=len(cases) * n):
        for counts, n_in, y_min, y_max in cases:
            await _check_current(bfm, counts, n_in, y_min, y_max)
        # a clock without in_valid drops out_valid and keeps the result
        _, before = await bfm.d2c_cycle([0] * n, valid=True)
        valid, after = await bfm.d2c_cycle([1] * n, valid=False)
        assert valid == 0 and after == before


@cocotb.test()
async def current_out_of_contract(dut):
    """Counts above n_in (outside the contract, which golden rejects) saturate the current to
    [-32768, 32767] instead of wrapping, as sc_dot_to_current documents: checked against
    saturate(y_min + floor((y_max - y_min) * count / n_in)) computed here."""
    bfm = NeuronBfm(dut)
    await bfm.start()
    n = bfm.n
    cases = [([8, 9, 4, 5][:n] + [12] * (n - 4), 4, 0, 32767),
             ([8, 9, 4, 5][:n] + [12] * (n - 4), 4, 0, -32768),
             ([2**31 - 1] * n, 1, -32768, 32767),
             # the sum exactly at and one past each bound: 32767 / 32768, -32768 / -32769
             ([2, 2, 1, 0][:n] + [2] * (n - 4), 1, -1, 16383),
             ([2, 2, 1, 0][:n] + [2] * (n - 4), 1, 0, 16384),
             ([2, 2, 1, 0][:n] + [2] * (n - 4), 1, 0, -16384),
             ([2, 2, 1, 0][:n] + [2] * (n - 4), 1, -1, -16385)]
    with record("current_out_of_contract", transactions=len(cases) * n):
        for counts, n_in, y_min, y_max in cases:
            bfm.d2c_config(n_in, y_min, y_max)
            valid, got = await bfm.d2c_cycle(counts)
            want = [min(32767, max(-32768, y_min + ((y_max - y_min) * c) // n_in))
                    for c in counts]
            assert valid == 1
            assert got == want, f"counts={counts} n_in={n_in} y=[{y_min}, {y_max}]: got {got}"


@cocotb.test()
async def current_random(dut):
    """Random configurations (both range directions) and counts, with bubbles."""
    bfm, rng = await block_setup(NeuronBfm(dut), "current_random")
    n = bfm.n
    batches = settings.count(40)
    with record("current_random", transactions=batches * 16 * n):
        for _ in range(batches):
            n_in = int(rng.choice([int(rng.integers(1, 64)), int(rng.integers(1, 2**31))]))
            y_min, y_max = (int(v) for v in rng.integers(-32768, 32768, size=2))
            bfm.d2c_config(n_in, y_min, y_max)
            last = None
            for _ in range(16):
                counts = rng.integers(0, n_in, size=n, endpoint=True)
                counts[rng.random(n) < 0.1] = n_in
                valid = bool(rng.random() < 0.8)
                got_valid, got = await bfm.d2c_cycle(counts.tolist(), valid)
                assert got_valid == int(valid)
                if valid:
                    last = golden.dot_to_current(counts, n_in, y_min, y_max).tolist()
                    assert got == last, (counts.tolist(), n_in, y_min, y_max, got, last)
                elif last is not None:
                    assert got == last


async def _run_lif(bfm: NeuronBfm, p: LifParams, currents, noise, valid, v0=None,
                   label: str = "") -> np.ndarray:
    """Drive T steps (after a reset) and compare every clock with golden.lif_run."""
    n = bfm.n
    bfm.lif_config(p)
    assert await bfm.lif_reset() == (0, 0), f"{label}: the reset clock left out_valid high"
    state = golden.lif_init(n, p)
    spikes_seen = []
    for t in range(len(currents)):
        got_valid, spikes, v, ref = await bfm.lif_cycle(currents[t], noise[t], bool(valid[t]))
        assert got_valid == int(bool(valid[t])), f"{label} step {t}: out_valid"
        if valid[t]:
            state, want_spikes, _ = golden.lif_run(state, np.asarray([currents[t]]), p,
                                                   np.asarray([noise[t]]))
            assert spikes == want_spikes[0].tolist(), (
                f"{label} step {t}: spikes {spikes}, want {want_spikes[0].tolist()} ({p})")
            spikes_seen.append(spikes)
        assert v == state.v.tolist(), f"{label} step {t}: v {v}, want {state.v.tolist()} ({p})"
        assert ref == state.ref.tolist(), f"{label} step {t}: ref {ref}, want {state.ref.tolist()}"
    return np.array(spikes_seen, dtype=bool)


@cocotb.test()
async def lif_directed(dut):
    """Threshold equality, saturation of the final sum only, floor shifts, full leak,
    negative threshold and reset, refractory periods, negative gain."""
    bfm = NeuronBfm(dut)
    await bfm.start()
    n = bfm.n
    qmin, qmax = -32768, 32767

    def lanes(*vals):
        return [list(vals[:n]) + [vals[-1]] * (n - len(vals[:n]))]

    one = [1]
    scenarios = [
        ("threshold equality", LifParams(0, -10, 256, 0, 256, 0), lanes(255, 256, 257, 0),
         lanes(0, 0, 0, 0)),
        ("saturate high", LifParams(qmax, 0, qmax, 256, qmax, 0), lanes(qmax, qmax, 0, qmax),
         lanes(qmax, 0, qmax, qmax)),
        ("saturate low", LifParams(qmin, 0, qmin + 1, 256, qmax, 0), lanes(qmin, qmin, qmin, qmin),
         lanes(qmin, qmin, 0, qmin)),
        ("no partial saturation", LifParams(0, 0, qmax, 0, 256, 0), lanes(30000, 30000, 1, 1),
         lanes(-30000, -29999, 0, 0)),
        # the final sum exactly at and one past each bound: 32767, 32768, -32768, -32769
        ("sum at the bounds", LifParams(0, 0, qmax, 0, 256, 0), lanes(qmax, qmax, qmin, qmin),
         lanes(0, 1, 0, -1)),
        ("floor shifts", LifParams(0, 0, qmax, 1, 1, 0), lanes(-1, 1, -255, 255),
         lanes(0, 0, 0, 0)),
        ("full leak", LifParams(-300, 0, qmax, 256, 0, 0), lanes(0, 0, 0, 0), lanes(0, 0, 0, 0)),
        ("negative gain", LifParams(0, 0, 256, 0, -256, 0), lanes(100, -100, qmin, qmax),
         lanes(0, 0, 0, 0)),
    ]
    steps = 0
    with record("lif_directed", transactions=0) as entry:
        for label, p, cur, nz in scenarios:
            T = 3
            await _run_lif(bfm, p, cur * T, nz * T, one * T, label=label)
            steps += T
        # negative threshold/reset and a refractory period of 2 (and 0) under constant drive;
        # 0x8000 loads the counter's top bit, then counts down through every lower bit; 0x7FFF
        # sets every other bit of the refractory input
        for r in (2, 0, 1, 0x8000, 0x7FFF):
            p = LifParams(-512, -768, -256, 0, 256, r)
            T = 9
            got = await _run_lif(bfm, p, lanes(300, 256, 100, 257) * T, lanes(0, 0, 0, 0) * T,
                                 one * T, label=f"refractory {r}")
            steps += T
            assert got[0, 0] and not got[1:r + 1, 0].any()  # spike, then r held steps
        entry["transactions"] = steps * n


@cocotb.test()
async def lif_random(dut):
    """Random parameters, currents, noise, bubbles and resets against golden.lif_run."""
    bfm, rng = await block_setup(NeuronBfm(dut), "lif_random")
    n = bfm.n
    runs, T = settings.count(30), 24
    spikes = 0
    with record("lif_random", transactions=runs * T * n):
        for k in range(runs):
            lo, hi = sorted(int(v) for v in rng.integers(-32768, 32768, size=2))
            p = LifParams(
                v_rest=int(rng.integers(-2048, 2048)), v_reset=int(rng.integers(-2048, 2048)),
                v_th=int(rng.integers(-1024, 4096)), leak=int(rng.integers(0, 257)),
                gain=int(rng.choice([int(rng.integers(-32768, 32768)),
                                     int(rng.integers(-512, 512))])),
                refractory=int(rng.integers(0, 4)),
            )
            if k % 5 == 0:
                p = p._replace(v_th=int(rng.integers(-32768, 32768)))
            cur = rng.integers(lo, hi, size=(T, n), endpoint=True)
            cur[rng.random((T, n)) < 0.2] = int(rng.integers(-32768, 32768))
            nz = rng.integers(-300, 301, size=(T, n))
            valid = rng.random(T) < 0.8
            got = await _run_lif(bfm, p, cur.tolist(), nz.tolist(), valid.tolist(),
                                 label=f"run {k}")
            spikes += int(got.sum())
        assert spikes > 0


@cocotb.test()
async def chain_counts_to_spikes(dut):
    """golden.sc_counts -> sc_dot_to_current -> sc_lif over T steps equals the golden chain."""
    bfm, rng = await block_setup(NeuronBfm(dut), "chain_counts_to_spikes")
    n, n_in, length, T = bfm.n, 5, 256, 12
    weights = golden.encode_weights(rng.random((n, n_in)), length=length)
    probs = rng.random((T, n_in))
    counts = np.asarray(settings.backend.sc_counts_batch(weights, probs, length=length))
    full = n_in * length
    p = LifParams(v_rest=0, v_reset=-64, v_th=400, leak=40, gain=384, refractory=1)
    currents = golden.dot_to_current(counts, full, -256, 2048)
    _, want_spikes, want_v = golden.lif_run(golden.lif_init(n, p), currents, p)
    bfm.d2c_config(full, -256, 2048)
    bfm.lif_config(p)
    await bfm.lif_reset()
    with record("chain_counts_to_spikes", transactions=T * n):
        for t in range(T):
            valid, cur = await bfm.d2c_cycle(counts[t].tolist())
            assert valid == 1 and cur == currents[t].tolist()
            _, spikes, v, _ = await bfm.lif_cycle(cur, [0] * n)
            assert spikes == want_spikes[t].tolist() and v == want_v[t].tolist(), t
    assert want_spikes.any() and not want_spikes.all()
