"""cocotb tests of sc_dense_lif (time steps -> spikes, membranes) against golden.dense_lif_step."""

from __future__ import annotations

import dataclasses

import cocotb
import numpy as np

import emu
import golden
from golden import LifParams
from golden._dense_lif import dense_lif_step

from ..bfm import DenseLifBfm, DenseLifCycleBfm
from ..model import random_probs
from ..trace import record_dense_lif
from .common import record, settings

Q_MIN, Q_MAX = -32768, 32767
ALL_ONES = np.uint64(2**64 - 1)
#: Simulated time after which a test fails (a hung handshake): 10 ms = 1,000,000 clocks.
TIMEOUT_MS = 10


@dataclasses.dataclass
class Step:
    """One time step as the golden function takes it."""

    weights: np.ndarray
    probs: np.ndarray
    length: int
    seed: int
    noise: np.ndarray

    def transaction(self) -> emu.DenseTransaction:
        return emu.DenseTransaction(self.weights, golden.thresholds(self.probs), self.length,
                                    self.seed)


@dataclasses.dataclass
class Run:
    """Steps from a reset, with the held configuration."""

    steps: list
    params: LifParams
    n_full: int
    y_min: int
    y_max: int
    label: str = ""


def predict(run: Run) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The golden prediction: spikes bool ``(T, n_out)``, v int16 ``(T, n_out)``, counts."""
    n_out = settings.core.n_out
    state = golden.lif_init(n_out, run.params)
    spikes, v, counts = [], [], []
    for s in run.steps:
        state, sp, vv, c = dense_lif_step(state, s.weights, s.probs, s.length, s.seed, run.params,
                                          y_min=run.y_min, y_max=run.y_max, n_full=run.n_full,
                                          noise=s.noise, backend=settings.backend)
        spikes.append(sp)
        v.append(vv)
        counts.append(c)
    return np.array(spikes), np.array(v), np.array(counts)


class StepScoreboard:
    """Compares output beats with the golden prediction; the first wrong step fails the test."""

    def __init__(self) -> None:
        self.steps = 0
        self.bit_products = 0

    def check(self, run: Run, want_spikes, want_v, got_spikes, got_v, counts=None) -> None:
        got_spikes = np.asarray(got_spikes, dtype=bool)
        got_v = np.asarray(got_v, dtype=np.int64)
        if got_spikes.shape != want_spikes.shape:
            raise AssertionError(f"{run.label}: {got_spikes.shape[0]} output beats, expected "
                                 f"{want_spikes.shape[0]}")
        for t in range(want_spikes.shape[0]):
            if (got_spikes[t] != want_spikes[t]).any() or (got_v[t] != want_v[t]).any():
                s = run.steps[t]
                raise AssertionError(
                    f"first mismatch in {run.label!r} step {t}: spikes {got_spikes[t].astype(int)}"
                    f" v {got_v[t]}, expected spikes {want_spikes[t].astype(int)} v {want_v[t]}"
                    f"\n  params={run.params} n_full={run.n_full} y=[{run.y_min}, {run.y_max}]"
                    f"\n  length={s.length} seed={s.seed:#x} probs={s.probs.tolist()} "
                    f"noise={s.noise.tolist()}"
                    + ("" if counts is None else f"\n  golden counts={counts[t].tolist()}"))
        self.steps += want_spikes.shape[0]
        n_out, n_in = settings.core.n_out, settings.core.n_in
        self.bit_products += sum(n_out * n_in * s.length for s in run.steps)


async def _run(bfm: DenseLifBfm, run: Run, sb: StepScoreboard, **kwargs):
    """Configure, reset, play the run's steps, check every output beat against golden."""
    want_spikes, want_v, counts = predict(run)
    bfm.configure(run.params, n_full=run.n_full, y_min=run.y_min, y_max=run.y_max)
    await bfm.reset()
    beats = await bfm.steps([s.transaction() for s in run.steps], [s.noise for s in run.steps],
                            **kwargs)
    sb.check(run, want_spikes, want_v, [b[0] for b in beats], [b[1] for b in beats], counts)
    return want_spikes, want_v, counts


def _weights(rng: np.random.Generator, length: int, density: float = 0.5,
             garbage: bool = True) -> np.ndarray:
    """Random ``(N_OUT, N_IN, n_words)`` weight words; bits past ``length`` random (garbage)."""
    core = settings.core
    nw = -(-length // 64)
    bits = rng.random((core.n_out, core.n_in, nw * 64)) < density
    if not garbage:
        bits[..., length:] = False
    return golden.pack_bitstream(bits.reshape(-1, nw * 64)).reshape(core.n_out, core.n_in, nw)


def _zeros(n: int) -> np.ndarray:
    return np.zeros(n, dtype=np.int64)


async def _bfm(dut, test: str) -> DenseLifBfm:
    bfm = DenseLifBfm(dut, settings.core, settings.pyrng(test))
    await bfm.start()
    return bfm


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def threshold_equality(dut):
    """Currents of exactly 256 k (p = 1, output o sees k = o all-ones inputs), leak 0: a
    membrane equal to v_th spikes, one LSB below does not (noise -1), across steps."""
    core = settings.core
    bfm = await _bfm(dut, "threshold_equality")
    L = 16
    w = np.zeros((core.n_out, core.n_in, 1), dtype=np.uint64)
    for o in range(core.n_out):
        w[o, : min(o, core.n_in)] = ALL_ONES
    n_full = core.n_in * L
    p = LifParams(v_rest=0, v_reset=0, v_th=512, leak=0, gain=256, refractory=0)
    y_max = 256 * core.n_in            # current of output o = 256 * min(o, n_in)
    ones = np.ones(core.n_in)
    steps = [Step(w, ones, L, 7 + t, _zeros(core.n_out)) for t in range(3)]
    steps.append(Step(w, ones, L, 11, np.full(core.n_out, -1)))
    run = Run(steps, p, n_full, 0, y_max, "threshold_equality")
    sb = StepScoreboard()
    with record("threshold_equality", transactions=len(steps), bit_products=0) as entry:
        spikes, v, _ = await _run(bfm, run, sb)
        entry["bit_products"] = sb.bit_products
    # The directed expectation itself: output 2 (current 512) reaches v_th exactly at step 0;
    # output 1 (current 256) reaches it at step 1; with noise -1 it stays one below.
    assert spikes[0, 2] and not spikes[0, 1] and spikes[1, 1] and not spikes[0, 0]
    assert not spikes[3, 1] and v[3, 1] == 511


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def saturation_overflow(dut):
    """Full-range currents with the largest gain: the membrane saturates at 32767 (spiking on
    equality with v_th = 32767) and at -32768; extreme noise; nothing wraps."""
    core = settings.core
    bfm = await _bfm(dut, "saturation_overflow")
    rng = settings.rng("saturation_overflow")
    L = 70
    w = np.full((core.n_out, core.n_in, 2), ALL_ONES, dtype=np.uint64)
    w[::2] = 0                                   # even outputs: count 0 -> current y_min
    n_full = core.n_in * L
    sb = StepScoreboard()
    runs = [
        Run([Step(w, np.ones(core.n_in), L, 3 + t, _zeros(core.n_out)) for t in range(3)],
            LifParams(v_rest=0, v_reset=-5, v_th=Q_MAX, leak=0, gain=Q_MAX, refractory=0),
            n_full, Q_MIN, Q_MAX, "saturate high and low"),
        Run([Step(w, np.ones(core.n_in), L, 9 + t,
                  rng.choice([Q_MIN, Q_MAX], size=core.n_out)) for t in range(4)],
            LifParams(v_rest=Q_MIN, v_reset=Q_MAX, v_th=Q_MAX, leak=256, gain=Q_MIN,
                      refractory=0),
            n_full, Q_MIN, Q_MAX, "negative gain, full leak, extreme noise"),
    ]
    seen = []
    with record("saturation_overflow", transactions=7) as entry:
        for run in runs:
            spikes, v, _ = await _run(bfm, run, sb, backpressure=0.3)
            seen.append((spikes, v))
        entry["bit_products"] = sb.bit_products
    spikes, v = seen[0]
    assert spikes[0, 1] and v[0, 0] == Q_MIN     # saturated at both ends on the first step
    spikes, v = seen[1]                          # gain < 0: output 0 up to 32767, output 1 down
    assert spikes[:, 0].all() and (v[:, 0] == Q_MAX).all() and (v[:, 1] == Q_MIN).all()


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def negative_range(dut):
    """y_max < y_min: the current falls with the count (and floors toward minus infinity)."""
    core = settings.core
    bfm = await _bfm(dut, "negative_range")
    rng = settings.rng("negative_range")
    L = 45
    sb = StepScoreboard()
    counts_seen = []
    with record("negative_range", transactions=0) as entry:
        for y_min, y_max in ((2048, -2048), (0, -1), (Q_MAX, Q_MIN)):
            w = _weights(rng, L, 0.6)
            steps = [Step(w, random_probs(rng, core.n_in), L, int(rng.integers(0, 2**64,
                          dtype=np.uint64)), rng.integers(-50, 51, size=core.n_out))
                     for _ in range(5)]
            p = LifParams(v_rest=-100, v_reset=-300, v_th=300, leak=32, gain=200, refractory=1)
            _, _, counts = await _run(bfm, Run(steps, p, core.n_in * L, y_min, y_max,
                                               f"y=[{y_min}, {y_max}]"), sb, gap=0.2)
            counts_seen.append(counts)
        entry["transactions"] = sb.steps
        entry["bit_products"] = sb.bit_products
    assert len(np.unique(np.concatenate(counts_seen))) > 3   # the map was exercised


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def refractory_across_steps(dut):
    """A spike holds v_reset for exactly R further steps (transactions), whatever the input."""
    core = settings.core
    bfm = await _bfm(dut, "refractory_across_steps")
    L = 8
    w = np.full((core.n_out, core.n_in, 1), ALL_ONES, dtype=np.uint64)
    sb = StepScoreboard()
    T = 8
    with record("refractory_across_steps", transactions=0) as entry:
        for r in (2, 0, 1, 0x7FFF, 0x8000):  # the widest periods set every counter bit
            p = LifParams(v_rest=0, v_reset=-77, v_th=100, leak=0, gain=256, refractory=r)
            steps = [Step(w, np.ones(core.n_in), L, 100 + t, _zeros(core.n_out))
                     for t in range(T)]
            spikes, v, _ = await _run(bfm, Run(steps, p, core.n_in * L, 0, 1000,
                                               f"refractory {r}"), sb, backpressure=0.5)
            want = [t % (r + 1) == 0 for t in range(T)]
            assert spikes[:, 0].tolist() == want, (r, spikes[:, 0].tolist())
            assert (v[:, 0] == -77).all()
        entry["transactions"] = sb.steps
        entry["bit_products"] = sb.bit_products


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def zero_weights_and_p_extremes(dut):
    """Zero weights and p = 0 give the current y_min, all-ones weights with p = 1 give y_max
    (count = n_full); garbage weight bits past the length are ignored."""
    core = settings.core
    bfm = await _bfm(dut, "zero_weights_and_p_extremes")
    rng = settings.rng("zero_weights_and_p_extremes")
    sb = StepScoreboard()
    p = LifParams(v_rest=0, v_reset=0, v_th=Q_MAX, leak=0, gain=256, refractory=0)
    steps, lengths = [], (1, 7, 8, 9, 63, 64, 65, 100)
    for k, L in enumerate(lengths):
        nw = -(-L // 64)
        if k % 3 == 0:
            w = np.zeros((core.n_out, core.n_in, nw), dtype=np.uint64)
            probs = rng.random(core.n_in)
        elif k % 3 == 1:
            w = _weights(rng, L, 0.7)
            probs = np.zeros(core.n_in)
        else:
            w = np.full((core.n_out, core.n_in, nw), ALL_ONES, dtype=np.uint64)
            probs = np.ones(core.n_in)
        steps.append(Step(w, probs, L, k, _zeros(core.n_out)))
    n_full = core.n_in * max(lengths)
    with record("zero_weights_and_p_extremes", transactions=len(steps)) as entry:
        _, v, counts = await _run(bfm, Run(steps, p, n_full, -10, 1000, "extremes"), sb, gap=0.3)
        entry["bit_products"] = sb.bit_products
    for k, L in enumerate(lengths):
        want = 0 if k % 3 < 2 else core.n_in * L
        assert (counts[k] == want).all(), (k, counts[k])
    assert v[0].tolist() == [-10] * core.n_out          # one step of current y_min from 0


def _random_run(rng: np.random.Generator, label: str, T: int) -> Run:
    """Random parameters, a fixed n_full, steps of random lengths, probabilities and noise."""
    core = settings.core
    lmax = int(rng.integers(1, 130)) if rng.random() < 0.8 else int(rng.integers(130, 400))
    w = _weights(rng, lmax, float(rng.uniform(0.1, 0.9)))
    lo, hi = (int(v) for v in rng.integers(-4096, 4096, size=2))
    p = LifParams(v_rest=int(rng.integers(-1024, 1024)), v_reset=int(rng.integers(-1024, 1024)),
                  v_th=int(rng.integers(-512, 2048)), leak=int(rng.integers(0, 257)),
                  gain=int(rng.integers(-512, 1024)), refractory=int(rng.integers(0, 4)))
    steps = []
    for _ in range(T):
        L = int(rng.integers(1, lmax + 1))
        nw = -(-L // 64)
        steps.append(Step(w[..., :nw].copy(), random_probs(rng, core.n_in), L,
                          int(rng.integers(0, 2**64, dtype=np.uint64)),
                          rng.integers(-200, 201, size=core.n_out)))
    return Run(steps, p, core.n_in * lmax, lo, hi, label)


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def random_steps(dut):
    """Seeded random multi-step runs (reset between runs) with valid gaps and back-pressure."""
    bfm = await _bfm(dut, "random_steps")
    rng = settings.rng("random_steps")
    sb = StepScoreboard()
    spikes = 0
    with record("random_steps", transactions=0) as entry:
        for k in range(settings.count(60)):
            run = _random_run(rng, f"random run {k}", int(rng.integers(4, 13)))
            got, _, _ = await _run(bfm, run, sb, gap=float(rng.choice([0.0, 0.2, 0.5])),
                                   backpressure=float(rng.choice([0.0, 0.3, 0.7, 0.97])))
            spikes += int(got.sum())
        entry["transactions"] = sb.steps
        entry["bit_products"] = sb.bit_products
    assert spikes > 0


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def output_backpressure_stalls_core(dut):
    """With out_ready low, step 0's beat waits, step 1's results stall in the core (no stream is
    ready, out_valid stays high); released, every step comes out, none dropped."""
    bfm = await _bfm(dut, "output_backpressure_stalls_core")
    rng = settings.rng("output_backpressure_stalls_core")
    sb = StepScoreboard()
    run = _random_run(rng, "stalled", 5)
    want_spikes, want_v, counts = predict(run)
    bfm.configure(run.params, n_full=run.n_full, y_min=run.y_min, y_max=run.y_max)
    await bfm.reset()
    with record("output_backpressure_stalls_core", transactions=len(run.steps)) as entry:
        task = cocotb.start_soon(bfm.steps([s.transaction() for s in run.steps],
                                              [s.noise for s in run.steps], hold=400))
        state = await bfm.stalled_state(300)
        assert state == {"cfg_ready": 0, "thr_ready": 0, "w_ready": 0, "out_valid": 1}, state
        beats = await task
        sb.check(run, want_spikes, want_v, [b[0] for b in beats], [b[1] for b in beats], counts)
        entry["bit_products"] = sb.bit_products


# ---- the emulator in lockstep with the RTL, every cycle ----------------------------------------
def _pattern(rng: np.random.Generator, sparse: bool = False) -> list[bool]:
    """A stall pattern: period 5 .. 40, density 0.25 .. 1; ``sparse``: period 40 .. 120 with
    one to three high slots (long stalls)."""
    if sparse:
        pattern = np.zeros(int(rng.integers(40, 121)), dtype=bool)
        pattern[rng.integers(0, pattern.size, size=int(rng.integers(1, 4)))] = True
        return pattern.tolist()
    density = float(rng.uniform(0.25, 1.0))
    pattern = rng.random(int(rng.integers(5, 41))) < density
    pattern[rng.integers(0, pattern.size)] = True
    return pattern.tolist()


async def _lockstep(bfm: DenseLifCycleBfm, test: str, run: Run, patterns: dict,
                    entry: dict) -> None:
    """Record the emulator on the run, check its beats against golden, replay it on the RTL."""
    want_spikes, want_v, _ = predict(run)
    noise = np.array([s.noise for s in run.steps])
    trace, spikes, v = record_dense_lif(bfm.core, [s.transaction() for s in run.steps], noise,
                                       run.params, n_full=run.n_full, y_min=run.y_min,
                                       y_max=run.y_max, patterns=patterns)
    assert trace.finished, f"{test}: the emulator did not finish in {len(trace.inputs)} cycles"
    StepScoreboard().check(run, want_spikes, want_v, spikes, v)   # emulator vs golden
    bad = await bfm.replay(trace)                                  # RTL vs emulator
    assert bad is None, f"{test} ({run.label}): {bad}"
    # every cycle after the first compares the ports and the registers
    assert bfm.compared >= (len(trace.inputs) - 1) * 15, bfm.compared
    entry["cycles"] = entry.get("cycles", 0) + len(trace.inputs)
    entry["compared"] = entry.get("compared", 0) + bfm.compared
    entry["transactions"] += len(run.steps)
    entry["bit_products"] += sum(bfm.core.n_out * bfm.core.n_in * s.length for s in run.steps)


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def lockstep_directed(dut):
    """Emulator and RTL every cycle: lengths around W and 64, back to back, then the
    refractory and saturation configurations, no stalls."""
    core = settings.core
    bfm = DenseLifCycleBfm(dut, core)
    await bfm.start()
    rng = settings.rng("lockstep_directed")
    lengths = [1, core.w - 1 or 1, core.w, core.w + 1, 64, 65, 100, 2]
    w = _weights(rng, max(lengths), 0.5)
    steps = [Step(w[..., : -(-L // 64)].copy(), random_probs(rng, core.n_in), L, 0xFFFF + k,
                  rng.integers(-300, 301, size=core.n_out)) for k, L in enumerate(lengths)]
    runs = [
        Run(steps, LifParams(v_rest=10, v_reset=-40, v_th=200, leak=20, gain=300, refractory=2),
            core.n_in * max(lengths), -128, 640, "lengths"),
        Run(steps[:4], LifParams(v_rest=0, v_reset=Q_MIN, v_th=Q_MAX, leak=0, gain=Q_MAX,
                                 refractory=1), core.n_in * max(lengths), Q_MIN, Q_MAX,
            "saturation"),
    ]
    with record("lockstep_directed", transactions=0) as entry:
        for run in runs:
            await _lockstep(bfm, "lockstep_directed", run, {}, entry)


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def lockstep_random(dut):
    """Emulator and RTL every cycle under random stalls of every stream and random output
    back-pressure (a reset before each run)."""
    core = settings.core
    bfm = DenseLifCycleBfm(dut, core)
    await bfm.start()
    rng = settings.rng("lockstep_random")
    with record("lockstep_random", transactions=0) as entry:
        for k in range(settings.count(30)):
            run = _random_run(rng, f"lockstep run {k}", int(rng.integers(3, 9)))
            patterns = {s: _pattern(rng) for s in ("cfg", "thr", "w")}
            patterns["out"] = _pattern(rng, sparse=k % 2 == 1)
            await _lockstep(bfm, "lockstep_random", run, patterns, entry)
