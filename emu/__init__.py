"""Cycle-level emulator of the SC datapath (issue: emulator); the RTL-exact blocks land here."""

__all__: list[str] = []
