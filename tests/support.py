"""Helpers of the test suites: backend skips that a required backend turns into failures, the
contract's published vectors re-bound to any level, and the RTL mutation and lint helpers."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import golden
from golden._contract import FORWARD_VECTORS, STREAM_VECTORS


def required_backends() -> set[str]:
    """Backends named in ``SCTB_REQUIRE_BACKENDS`` (``make test`` requires what it installs)."""
    return {n.strip() for n in os.environ.get("SCTB_REQUIRE_BACKENDS", "").split(",") if n.strip()}


def backend_or_skip(name: str) -> golden.Backend:
    """The backend ``name``; skipped with its reason where it cannot run, failed if required."""
    reason = golden.backend_status()[name]
    if reason is not None:
        if name in required_backends():
            pytest.fail(f"backend {name!r} is required (SCTB_REQUIRE_BACKENDS): {reason}")
        pytest.skip(f"backend {name!r} unavailable: {reason}")
    return golden.get_backend(name)


def module_or_skip(module: str, backend: str) -> ModuleType:
    """Import ``module`` for a test module of ``backend``: skip the test module with the reason
    when it cannot be imported, unless the backend is required (then the import error stands)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if backend in required_backends():
            raise
        pytest.skip(f"{module} cannot be imported ({exc})", allow_module_level=True)


def check_contract_vectors(level) -> None:
    """docs/contract.md section 5 on ``level``: anything with ``encode_inputs``, ``sc_counts``
    and ``sc_forward`` (a ``golden.Backend``, or the ``golden`` module itself)."""
    for v in STREAM_VECTORS:
        word = int(np.asarray(level.encode_inputs([v.p], length=v.length, seed=v.seed))[0, 0])
        assert word == v.word, f"{v}: got {word:#018x}"
    for v in FORWARD_VECTORS:
        ones = np.full(v.shape, np.uint64(2**64 - 1))
        counts = np.asarray(level.sc_counts(ones, list(v.probs), length=v.length, seed=v.seed))
        assert counts.tolist() == list(v.counts), f"{v}: counts {counts.tolist()}"
        fwd = np.asarray(level.sc_forward(ones, list(v.probs), length=v.length, seed=v.seed))
        assert fwd.dtype == np.float64 and fwd.tolist() == list(v.forward), f"{v}: {fwd}"


# ---- simulator tests: build cache, failure text, lint, RTL mutants ----------------------------
ROOT = Path(__file__).resolve().parent.parent
#: Simulator builds are cached here between runs (git-ignored); SCTB_SIM_OUT moves them.
SIM_OUT = Path(os.environ.get("SCTB_SIM_OUT", ROOT / "sctb-out" / "pytest-sim"))


def explain(res) -> str:
    """A ``testbench.runner.SuiteResult`` as the text of a failed assertion."""
    lines = [(f"{res.suite} on {res.sim}: tests={res.tests} passed={res.passed} "
              f"failed={res.failed} skipped={res.skipped} error={res.error}")]
    for f in res.failures:
        lines += [f"--- {f.test}", f.message[:3000], f"replay: {f.replay}"]
    lines.append(f"log: {res.log}")
    return "\n".join(lines)


def lint(top: str, params: list[str]) -> subprocess.CompletedProcess:
    """``verilator --lint-only -Wall`` of ``top`` over rtl_models/sc.f (waivers: sc.vlt)."""
    from testbench import runner

    env = runner.simulator_env("verilator")
    exe = shutil.which("verilator", path=env["PATH"])
    assert exe is not None, "verilator is not installed (run testbench/setup_sims.sh)"
    args = ["rtl_models/sc.vlt", "-F", "rtl_models/sc.f", "--top-module", top, *params]
    return subprocess.run([exe, "--lint-only", "-Wall", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=False)


def mutant(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A copy of the RTL under ``tmp_path`` with the one line ``old`` of ``file`` made ``new``."""
    from testbench import runner

    rtl = tmp_path / "rtl"
    shutil.copytree(runner.RTL_DIR, rtl)
    text = (rtl / file).read_text()
    assert text.count(old) == 1, f"mutation anchor {old!r} not found once in {file}"
    (rtl / file).write_text(text.replace(old, new))
    return rtl
