//! sctb's Rust engine: pure kernels of the bit-true SC contract (docs/contract.md), and a thin
//! PyO3 layer that exposes them as the private module `golden._native`.

pub mod lfsr;

#[cfg(feature = "python")]
mod python;
