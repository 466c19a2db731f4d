"""cocotb test modules of the RTL suites (run through testbench.sim, not collected by pytest)."""
