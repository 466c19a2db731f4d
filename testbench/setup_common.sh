# Shell functions of the testbench/setup_*.sh installers (sourced by them, not run).

# require_venv SCRIPT VENV: set PY to the venv's Python, or exit 1 with a message naming SCRIPT.
require_venv() {
    PY="$2/bin/python"
    if [ ! -x "$PY" ]; then
        echo "$1: no Python at $PY (make the venv first, e.g. 'make setup')" >&2
        exit 1
    fi
}

# apt_install PACKAGE...: install Debian packages quietly, without recommends (needs root).
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
