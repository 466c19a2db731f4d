"""Rooflines, the one thread setting, and the goals of ``sctb bench`` (figures, never timings)."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

import golden
from testbench import cli
from testbench.cli.args import threads_per_job
from testbench.perf import goals as bench_goals
from testbench.perf.bench import run_bench
from testbench.perf.roofline import busy_core, compute_roofline, read_roofline


@pytest.fixture(autouse=True)
def _default_threads(monkeypatch: pytest.MonkeyPatch):
    """Each test starts and ends with no thread setting (and no $SCTB_THREADS)."""
    monkeypatch.delenv(golden.THREADS_ENV, raising=False)
    golden.set_threads(None)
    yield
    golden.set_threads(None)


def _native():
    reason = golden.backend_status()["rust"]
    if reason is not None:
        pytest.skip(f"the Rust extension is not built: {reason}")
    from golden import _native

    return _native


def test_read_roofline_is_a_positive_finite_bandwidth() -> None:
    words = np.arange(1 << 15, dtype=np.uint64)
    rd = read_roofline(words, min_time=0.01)
    assert math.isfinite(rd["GBps"]) and rd["GBps"] > 0
    assert rd["seconds"] > 0 and rd["bytes"] == words.nbytes
    assert rd["threads"] in {1, golden.get_threads()}


@pytest.mark.rust
def test_native_roofline_loops_do_the_work_they_claim() -> None:
    native = _native()
    words = np.random.default_rng(0).integers(0, 2**63, size=5000, dtype=np.uint64)
    for path in native.kernel_paths():
        for threads in (1, 2, 0):
            got = native.roofline_read(words, threads=threads, popcount=path)
            assert got == native.popcount_total(words)
            one = native.roofline_and_popcount(1, threads=1, popcount=path)
            assert one > 0
            assert native.roofline_and_popcount(7, threads=1, popcount=path) == 7 * one
    with pytest.raises(ValueError, match="neon"):
        native.roofline_and_popcount(1, popcount="neon")


@pytest.mark.rust
def test_compute_roofline_names_the_instruction_set_and_is_finite() -> None:
    native = _native()
    comp = compute_roofline(min_time=0.01)
    assert math.isfinite(comp["words_per_s"]) and comp["words_per_s"] > 0
    assert comp["isa"] in native.kernel_paths()
    assert comp["features"] == dict(native.kernel_path_features())[comp["isa"]]
    assert set(comp["paths"]) == set(native.kernel_paths())
    assert comp["words_per_s"] == max(comp["paths"].values())


def test_set_threads_validates_and_overrides_the_environment(monkeypatch) -> None:
    assert golden.get_threads() == golden._threads.cpu_count()
    monkeypatch.setenv(golden.THREADS_ENV, "3")
    assert golden.get_threads() == 3
    golden.set_threads(1)
    assert golden.get_threads() == 1
    golden.set_threads(None)
    assert golden.get_threads() == 3
    for bad, exc in ((0, ValueError), (-2, ValueError), (1.5, TypeError), ("2", TypeError),
                     (True, TypeError)):
        with pytest.raises(exc, match="n must be"):
            golden.set_threads(bad)
    monkeypatch.setenv(golden.THREADS_ENV, "zero")
    with pytest.raises(ValueError, match="SCTB_THREADS must be a positive int, got 'zero'"):
        golden.get_threads()


def test_one_thread_makes_xla_single_threaded(monkeypatch) -> None:
    monkeypatch.setenv("XLA_FLAGS", "--xla_dump_to=/nowhere")
    golden.set_threads(2)
    assert os.environ["XLA_FLAGS"] == "--xla_dump_to=/nowhere"
    golden.set_threads(1)
    assert os.environ["XLA_FLAGS"] == "--xla_dump_to=/nowhere " + golden._threads.XLA_SINGLE_THREAD


@pytest.mark.rust
def test_rust_backend_follows_the_setting(monkeypatch) -> None:
    _native()
    from golden.backends import sc_rust

    seen: list[int] = []
    real = sc_rust._native.sc_counts

    def spy(*args, threads, **kwargs):
        seen.append(threads)
        return real(*args, threads=threads, **kwargs)

    monkeypatch.setattr(sc_rust._native, "sc_counts", spy)
    w = golden.encode_weights(np.full((2, 3), 0.5), length=64)
    for n in (1, 3):
        golden.set_threads(n)
        sc_rust.RustBackend().sc_counts(w, [0.5, 0.5, 0.5], length=64)
    sc_rust.RustBackend(threads=2).sc_counts(w, [0.5, 0.5, 0.5], length=64)
    assert seen == [1, 3, 2]


def test_numba_launches_follow_the_setting() -> None:
    numba = pytest.importorskip("numba")
    from golden.backends.sc_numba import _threads_for

    big = 1 << 40  # work that alone would take every thread
    golden.set_threads(1)
    with _threads_for(big):
        assert numba.get_num_threads() == 1
    golden.set_threads(None)
    with _threads_for(big):
        assert numba.get_num_threads() == min(numba.config.NUMBA_NUM_THREADS,
                                              golden.get_threads())


def test_threads_per_job_sizes_and_restores_the_setting(monkeypatch) -> None:
    cores = golden._threads.cpu_count()
    with threads_per_job(2) as n:
        assert n == max(1, cores // 2) == golden.get_threads()
        assert os.environ[golden.THREADS_ENV] == str(n)
    assert golden.THREADS_ENV not in os.environ
    with threads_per_job(10 * cores) as n:
        assert n == 1
    monkeypatch.setenv(golden.THREADS_ENV, "5")  # the user's own value wins
    with threads_per_job(2) as n:
        assert n == 5
    assert os.environ[golden.THREADS_ENV] == "5"


def test_encode_weights_are_64_byte_aligned() -> None:
    for shape, length in (((3, 5), 100), ((128, 16), 4096), ((1, 1), 1)):
        w = golden.encode_weights(np.full(shape, 0.3), length=length)
        assert w.ctypes.data % 64 == 0 and w.flags.c_contiguous
        assert np.array_equal(w, golden.encode_weights(np.full(shape, 0.3), length=length))


def test_busy_core_spins_until_the_block_ends() -> None:
    with busy_core() as proc:
        assert proc.poll() is None
    assert proc.returncode is not None


def test_bench_report_has_rooflines_and_every_goal() -> None:
    report = run_bench(["W1"], ["numpy"], include_upstream=False, encoder_bits=1 << 16,
                       neuron_size=None)
    json.dumps(report)  # the --json output is plain JSON
    (w1,) = report["workloads"]
    assert w1["read"]["GBps"] > 0 and w1["roofline_s"] == w1["read"]["seconds"]
    assert report["read_bandwidth_GBps"] == w1["read"]["GBps"]
    assert "words_per_s" in report["compute"] or "not_applicable" in report["compute"]
    assert report["threads"] == golden.get_threads()
    paired = report["paired_read"]
    assert paired["backend"] == "numpy" and paired["call_s"] > 0 and paired["read_s"] > 0
    (busy,) = report["busy_core"]["results"]
    assert busy["backend"] == "numpy" and busy["busy_vs_quiet"] > 0
    texts = [g["goal"] for g in report["goals"]]
    assert len(texts) == len(set(texts)) == 5  # W2 not run: one rust/numba line
    for g in report["goals"]:
        assert g["passed"] in (True, False, None)
        if g["passed"] is None:
            assert g["note"].startswith("not applicable") and g["measured"] is None
    by_text = {g["goal"]: g for g in report["goals"]}
    best = by_text["best W1 call / all-core read roofline <= 1.5"]
    assert best["measured"] == pytest.approx(paired["call_s"] / paired["read_s"])
    assert best["passed"] == (best["measured"] <= bench_goals.GOALS["single_vs_read_roofline"])


def test_goals_fail_when_a_ratio_misses() -> None:
    report = {"workloads": [{"name": "W1", "roofline_s": 1.0, "results": [
        {"backend": "rust", "seconds": 3.0}, {"backend": "numba", "seconds": 2.0}]}],
        "busy_core": {"results": [{"backend": "rust", "busy_vs_quiet": 2.5}]},
        "jax_copy": {"workload": "W2", "host_vs_resident": 4.0, "misaligned_s": 0.01},
        "batch": [{"backend": "rust", "vs_compute_roofline": 0.2}]}
    assert [g["passed"] for g in bench_goals.evaluate_goals(report)] == [False] * 5


def test_bench_json_cli_carries_the_goals(capsys) -> None:
    assert cli.main(["bench", "--workload", "W1", "--backend", "numpy", "--no-upstream",
                     "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"compute", "goals", "busy_core", "threads", "cores"} <= set(report)


def test_numba_workers_sleep_when_idle_unless_the_user_says_otherwise() -> None:
    import subprocess
    import sys

    pytest.importorskip("numba")
    code = "import golden.backends.sc_numba, os; print(os.environ['OMP_WAIT_POLICY'])"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "PASSIVE"
    out = subprocess.run([sys.executable, "-c", code], env={**env, "OMP_WAIT_POLICY": "ACTIVE"},
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ACTIVE"


def test_jax_reads_encode_weights_in_place_on_cpu() -> None:
    jax = pytest.importorskip("jax")
    if jax.default_backend() != "cpu":
        pytest.skip(f"JAX runs on {jax.default_backend()}: weights are copied to the device")
    from golden.backends.sc_jax import _put, x64_scope

    w = golden.encode_weights(np.random.default_rng(0).random((64, 40)), length=300)
    with x64_scope():
        dev = _put(w)
        assert dev.unsafe_buffer_pointer() == w.ctypes.data  # no host copy per call
        shifted = np.empty(w.size + 1, dtype=np.uint64)[1:].reshape(w.shape)
        shifted[...] = w
        if shifted.ctypes.data % 64:
            assert _put(shifted).unsafe_buffer_pointer() != shifted.ctypes.data
