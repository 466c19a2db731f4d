"""Performance measurements: backend benchmarks (bench), cocotb overhead (overhead), emulator vs
simulator speed (emu_speed). Import the submodules; this package imports nothing."""

__all__: list[str] = []
