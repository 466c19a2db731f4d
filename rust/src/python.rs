//! PyO3 layer: the private module `golden._native`.

use pyo3::prelude::*;

/// One LFSR step of the contract (see `golden.lfsr_step`).
#[pyfunction]
fn lfsr_step(state: u16) -> u16 {
    crate::lfsr::step(state)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(lfsr_step, m)?)?;
    Ok(())
}
