"""Wheel and sdist carry the RTL and harness: an installed wheel runs ``sctb regress`` alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Cargo's build directory of the checkout: reused, so a wheel build after a first one is quick.
CARGO_TARGET = ROOT / "rust" / "target"
#: The short regression the installed console script runs (one Icarus suite, one random case).
REGRESS = ["regress", "--golden", "none", "--sim", "icarus", "--suite", "dense_w8"]


def _maturin_or_skip() -> str:
    """The maturin beside this Python (the project's venv), else the one on PATH; skip without it
    or without cargo (maturin runs cargo even for an sdist)."""
    maturin = (shutil.which("maturin", path=str(Path(sys.executable).parent))
               or shutil.which("maturin"))
    if maturin is None:
        pytest.skip("maturin is not installed (it builds the wheel and the sdist)")
    if shutil.which("cargo") is None:
        pytest.skip("cargo is not on PATH (maturin needs it for the Rust extension)")
    return maturin


def _package_data() -> list[str]:
    """Wheel paths of the files the runner reads outside Python modules (from the checkout)."""
    rtl = ["rtl_models/sc.f", "rtl_models/sc.vlt", "rtl_models/sc.cov"]
    rtl += sorted(f"rtl_models/{p.name}" for p in (ROOT / "rtl_models").glob("*.v"))
    hdl = sorted(f"testbench/hdl/{p.name}" for p in (ROOT / "testbench" / "hdl").iterdir()
                 if p.is_file())
    return rtl + hdl


def _isolated_env(venv: Path) -> dict[str, str]:
    """An environment that reaches only the venv: no PYTHONPATH, no shared simulator cache."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "SCTB_SIM_CACHE"}}
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", "")])
    return env


def _run(cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 900) -> subprocess.CompletedProcess:
    """Run ``cmd``; a non-zero exit fails the test with the command's output."""
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)
    assert proc.returncode == 0, (f"{cmd} exited {proc.returncode}\n--- stdout\n"
                                  f"{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-6000:]}")
    return proc


@pytest.mark.slow
def test_sdist_carries_package_data(tmp_path: Path) -> None:
    """``maturin sdist`` holds the reference RTL and the harness beside the Python sources."""
    maturin = _maturin_or_skip()
    _run([maturin, "sdist", "--out", str(tmp_path)], cwd=ROOT)
    sdists = sorted(tmp_path.glob("sctb-*.tar.gz"))
    assert len(sdists) == 1, f"expected one sdist in {tmp_path}, found {sdists}"
    with tarfile.open(sdists[0]) as tar:
        top = sdists[0].name.removesuffix(".tar.gz")
        names = {n.removeprefix(f"{top}/") for n in tar.getnames()}
    missing = [p for p in _package_data() if p not in names]
    assert not missing, f"the sdist {sdists[0].name} lacks {missing}"


@pytest.mark.slow
@pytest.mark.sim
def test_installed_wheel_runs_regression(tmp_path: Path) -> None:
    """Build the wheel, install it with the ``sim`` extra in a fresh venv and run ``sctb regress``
    outside the checkout: it passes on the installed RTL, and no file of the checkout is used."""
    maturin = _maturin_or_skip()
    if shutil.which("iverilog") is None or shutil.which("vvp") is None:
        pytest.skip("iverilog/vvp are not on PATH (run testbench/setup_sims.sh)")
    assert not tmp_path.resolve().is_relative_to(ROOT), (
        f"the temporary directory {tmp_path} lies inside the checkout {ROOT}: the test could not "
        "tell installed files from the checkout's (use a --basetemp outside it)")

    dist = tmp_path / "dist"
    _run([maturin, "build", "--release", "--out", str(dist), "--target-dir", str(CARGO_TARGET)],
         cwd=ROOT)
    wheels = sorted(dist.glob("sctb-*.whl"))
    assert len(wheels) == 1, f"expected one wheel in {dist}, found {wheels}"
    names = set(zipfile.ZipFile(wheels[0]).namelist())
    missing = [p for p in _package_data() if p not in names]
    assert not missing, f"the wheel {wheels[0].name} lacks {missing}"

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    py = venv / "bin" / "python"
    env = _isolated_env(venv)
    _run([str(py), "-m", "pip", "install", "--quiet", f"{wheels[0]}[sim]"], cwd=tmp_path, env=env)

    work = tmp_path / "work"
    work.mkdir()
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=work, env=env).stdout.strip()).resolve()
    code = ("import testbench, testbench.design as d; "
            "print(testbench.__file__); print(d.REFERENCE_RTL)")
    probe = _run([str(py), "-c", code], cwd=work, env=env)
    module, reference = (Path(line) for line in probe.stdout.splitlines())
    assert module.resolve().is_relative_to(site), f"testbench imported from {module}, not {site}"
    assert reference == site / "rtl_models", f"REFERENCE_RTL is {reference}, not in {site}"
    assert (reference / "sc.f").is_file(), f"{reference / 'sc.f'} is not installed"

    out = work / "OUT"
    proc = _run([str(venv / "bin" / "sctb"), *REGRESS, "--out", str(out)], cwd=work, env=env)
    lines = proc.stdout.splitlines()
    assert "PASSED" in lines, proc.stdout[-4000:]
    design = [ln for ln in lines if ln.startswith("design ")]
    assert design and str(reference / "sc.f") in design[0], proc.stdout[-4000:]
    assert "the bundled reference RTL" in design[0]

    # The simulator built the installed sources (the Icarus image names them) ...
    used = b"\n".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    for wanted in (site / "rtl_models" / "sc_dense.v",
                   site / "testbench" / "hdl" / "sc_dense_harness.v"):
        assert str(wanted).encode() in used, f"no output under {out} names {wanted}"
    # ... and nothing it wrote or printed names a path of the checkout.
    assert str(ROOT).encode() not in used, f"an output under {out} names the checkout {ROOT}"
    assert str(ROOT) not in proc.stdout + proc.stderr, f"sctb's output names the checkout {ROOT}"
