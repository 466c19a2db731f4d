"""Type stub of the private Rust extension ``golden._native`` (rust/src/python.rs)."""

__version__: str

def lfsr_step(state: int) -> int:
    """One LFSR step of the contract; ``state`` in ``[0, 0xFFFF]``."""
