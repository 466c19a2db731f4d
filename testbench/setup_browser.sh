#!/usr/bin/env bash
# Installs headless Chromium and its WebDriver for the report's browser test; safe to run again.
#   usage: testbench/setup_browser.sh [VENV]   (default: .venv)
# Chromium and chromedriver come from Debian's packages (needs root); selenium (the 'test'
# extra) is given both paths, so nothing is downloaded when the tests run.
set -euo pipefail

. "$(dirname "$0")/setup_common.sh"
VENV=${1:-.venv}
require_venv setup_browser.sh "$VENV"

# SCTB_CHROMIUM / SCTB_CHROMEDRIVER name another Chromium and its matching driver (as the tests do).
find_tools() {
    CHROMIUM=${SCTB_CHROMIUM:-$(command -v chromium || true)}
    CHROMEDRIVER=${SCTB_CHROMEDRIVER:-$(command -v chromedriver || true)}
    [ -n "$CHROMIUM" ] && [ -x "$CHROMIUM" ] && [ -n "$CHROMEDRIVER" ] && [ -x "$CHROMEDRIVER" ]
}

if ! find_tools; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup_browser.sh: chromium and/or chromedriver are missing and this is not root;" \
             "install them yourself (e.g. 'sudo apt-get install chromium chromium-driver')," \
             "or point SCTB_CHROMIUM and SCTB_CHROMEDRIVER at a Chromium and its matching" \
             "chromedriver" >&2
        exit 1
    fi
    apt_install chromium chromium-driver
    if ! find_tools; then
        echo "setup_browser.sh: chromium or chromedriver still missing after apt-get install" >&2
        exit 1
    fi
fi

# selenium and matplotlib come with the 'test' and 'report' extras (make setup installs them).
if ! "$PY" -c "import selenium, matplotlib" 2>/dev/null; then
    echo "setup_browser.sh: selenium or matplotlib is missing from $VENV;" \
         "run 'make setup' (it installs the 'test' and 'report' extras)" >&2
    exit 1
fi

echo "setup_browser.sh: $("$CHROMIUM" --version 2>/dev/null | head -1)," \
     "$("$CHROMEDRIVER" --version 2>/dev/null | head -1 | cut -d' ' -f1-2)," \
     "selenium $("$PY" -c 'import selenium; print(selenium.__version__)')"
