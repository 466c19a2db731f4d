//! sctb's Rust engine: pure kernels of the bit-true SC contract (docs/contract.md), and a thin
//! PyO3 layer that exposes them as the private module `golden._native`.
//!
//! * [`lfsr`]: step, sequence, GF(2) jump-ahead, the orbit table;
//! * [`encode`]: probabilities -> packed streams (one 64-lane compare per word);
//! * [`popcount`]: popcount / AND-popcount on the scalar, AVX2 and AVX-512 paths;
//! * [`sc`]: `sc_counts`, threaded across output rows;
//! * [`share`]: work sharing in which the caller works and never waits on a sleeping helper;
//! * [`roofline`]: the all-core read and the L1 AND + popcount loops `sctb bench` times;
//! * [`batch`]: `sc_counts_batch`, one layer for many input vectors, register-tiled;
//! * [`ops`]: AND, XNOR, NOT, MUX, pack and unpack of packed streams;
//! * [`neuron`]: the bit-true signed Q8.8 neuron (count to current, LIF), section 9;
//! * [`simd`]: the kernel path, chosen at run time from CPU features.

pub mod batch;
pub mod encode;
pub mod lfsr;
pub mod neuron;
pub mod ops;
pub mod popcount;
pub mod roofline;
pub mod sc;
pub mod share;
pub mod simd;

#[cfg(test)]
mod testutil;

#[cfg(feature = "python")]
mod python;
