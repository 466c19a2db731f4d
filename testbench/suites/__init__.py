"""cocotb test modules of the RTL suites (module name = suite key; run through `sctb sim`)."""
