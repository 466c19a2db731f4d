"""mypy's stubtest: golden/_native.pyi must match the built extension golden._native exactly."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import required_backends

pytestmark = pytest.mark.rust

STUB = Path(__file__).resolve().parents[1] / "golden" / "_native.pyi"


def _stubtest(env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec("mypy") is None:
        pytest.fail("mypy is not installed; it is in the 'test' extra (pip install -e .[test])")
    if importlib.util.find_spec("golden._native") is None:
        if "rust" in required_backends():
            pytest.fail("backend 'rust' is required (SCTB_REQUIRE_BACKENDS): golden._native "
                        "is not built")
        pytest.skip("golden._native is not built; run `make native`")
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "--concise", "golden._native"],
        capture_output=True, text=True, env=env, cwd=STUB.parents[1], timeout=600, check=False,
    )


def test_stub_matches_the_extension() -> None:
    out = _stubtest()
    assert out.returncode == 0, f"stubtest found mismatches:\n{out.stdout}{out.stderr}"


@pytest.mark.slow
def test_stubtest_catches_a_wrong_signature(tmp_path: Path) -> None:
    """The check above can fail: a stub with an extra parameter is reported."""
    wrong = STUB.read_text().replace(
        "def lfsr_step(state: int) -> int:", "def lfsr_step(state: int, extra: int) -> int:")
    assert wrong != STUB.read_text()
    (tmp_path / "golden").mkdir()
    (tmp_path / "golden" / "__init__.pyi").write_text("")
    (tmp_path / "golden" / "_native.pyi").write_text(wrong)
    out = _stubtest({"MYPYPATH": str(tmp_path)})
    assert out.returncode != 0
    assert 'golden._native.lfsr_step is inconsistent, runtime does not have parameter "extra"' \
        in out.stdout
