//! PyO3 layer: the private module `golden._native`.
//!
//! Arrays come in as NumPy arrays of the native dtype and are read in place (no copy) when
//! C-contiguous; anything else is refused with a `ValueError` (the Python wrapper
//! `golden.Backend` validates and normalises first). The GIL is released while the
//! kernels run.

use numpy::ndarray::{Array2, ArrayD, IxDyn};
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyArrayDyn, PyReadonlyArray1, PyReadonlyArray2,
    PyReadonlyArray3, PyReadonlyArrayDyn, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyMemoryError, PyOverflowError, PyValueError};
use pyo3::prelude::*;

use crate::batch;
use crate::encode::n_words;
use crate::lfsr;
use crate::neuron::{self, LifParams};
use crate::ops;
use crate::popcount;
use crate::sc::{self, Threads};
use crate::simd::Level;

fn level(requested: Option<&str>) -> PyResult<Level> {
    Level::resolve(requested).map_err(PyValueError::new_err)
}

fn contiguous<'a, T: numpy::Element, D: numpy::ndarray::Dimension>(
    arr: &'a numpy::PyReadonlyArray<'_, T, D>,
    name: &str,
) -> PyResult<&'a [T]> {
    // `as_slice` also accepts Fortran order, whose element order is not the one we index by
    let err = || {
        PyValueError::new_err(format!(
            "{name} must be C-contiguous (normalise with numpy.ascontiguousarray)"
        ))
    };
    if !arr.is_c_contiguous() {
        return Err(err());
    }
    arr.as_slice().map_err(|_| err())
}

fn check_length(length: usize) -> PyResult<()> {
    if length == 0 {
        return Err(PyValueError::new_err(
            "length must be a positive int, got 0",
        ));
    }
    Ok(())
}

fn check_probs(probs: &[f64]) -> PyResult<()> {
    if let Some((i, p)) = probs
        .iter()
        .enumerate()
        .find(|(_, p)| !(0.0..=1.0).contains(*p))
    {
        return Err(PyValueError::new_err(format!(
            "input_probs must be finite and lie in [0, 1], got {p} at index {i}"
        )));
    }
    Ok(())
}

fn check_words_len(name: &str, nw_have: usize, length: usize) -> PyResult<()> {
    let need = n_words(length);
    if nw_have != need {
        return Err(PyValueError::new_err(format!(
            "{name} has n_words={nw_have} but length={length} needs ceil(length/64)={need}"
        )));
    }
    Ok(())
}

fn same_shape(names: &[&str], shapes: &[&[usize]]) -> PyResult<()> {
    if shapes.iter().any(|s| *s != shapes[0]) {
        let listed: Vec<String> = names
            .iter()
            .zip(shapes)
            .map(|(n, s)| format!("{n}{}", py_shape(s)))
            .collect();
        return Err(PyValueError::new_err(format!(
            "packed operands must have the same shape, got {}",
            listed.join(", ")
        )));
    }
    Ok(())
}

/// A shape as Python prints a tuple: `(2, 3)`, `(3,)`, `()`.
fn py_shape(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    match parts.len() {
        1 => format!("({},)", parts[0]),
        _ => format!("({})", parts.join(", ")),
    }
}

fn last_axis(shape: &[usize], name: &str) -> PyResult<usize> {
    shape.last().copied().ok_or_else(|| {
        PyValueError::new_err(format!(
            "{name} must have at least 1 dimension (n_words,), got a scalar"
        ))
    })
}

/// A zeroed buffer of `n` elements, or `MemoryError` (an infallible `vec!` would abort).
fn zeroed<T: Clone + Default>(n: usize) -> PyResult<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        PyMemoryError::new_err(format!(
            "cannot allocate {n} elements of {} bytes",
            std::mem::size_of::<T>()
        ))
    })?;
    v.resize(n, T::default());
    Ok(v)
}

/// `a * b` or `OverflowError`.
fn product(a: usize, b: usize, what: &str) -> PyResult<usize> {
    a.checked_mul(b)
        .ok_or_else(|| PyOverflowError::new_err(format!("{what} overflows")))
}

fn dyn_array<'py, T: numpy::Element>(
    py: Python<'py>,
    shape: &[usize],
    data: Vec<T>,
) -> Bound<'py, PyArrayDyn<T>> {
    ArrayD::from_shape_vec(IxDyn(shape), data)
        .expect("result has the operand's size")
        .into_pyarray(py)
}

/// One LFSR step of the contract (see `golden.lfsr_step`).
#[pyfunction]
fn lfsr_step(state: u16) -> u16 {
    lfsr::step(state)
}

/// Advance a state by `k` steps with the GF(2) jump-ahead matrix.
#[pyfunction]
fn lfsr_jump(state: u16, k: u64) -> u16 {
    lfsr::jump(state, k)
}

/// The `n` states from `seed` (uint16 array).
#[pyfunction]
fn lfsr_sequence(py: Python<'_>, seed: u16, n: usize) -> PyResult<Bound<'_, PyArray1<u16>>> {
    let mut out = zeroed::<u16>(n)?;
    py.detach(|| lfsr::sequence_into(seed, &mut out));
    Ok(out.into_pyarray(py))
}

/// The whole period from state 1 (uint16 `(65535,)`).
#[pyfunction]
fn orbit_table(py: Python<'_>) -> Bound<'_, PyArray1<u16>> {
    lfsr::Orbit::get().period().to_vec().into_pyarray(py)
}

/// The kernel paths this CPU supports, slowest first.
#[pyfunction]
fn kernel_paths() -> Vec<&'static str> {
    Level::supported().into_iter().map(Level::name).collect()
}

/// The path a call without `popcount=` uses: `$SCTB_RUST_POPCOUNT`, else the fastest supported.
#[pyfunction]
fn default_kernel_path() -> PyResult<&'static str> {
    Ok(level(None)?.name())
}

/// Every kernel path with its required CPU features.
#[pyfunction]
fn kernel_path_features() -> Vec<(&'static str, &'static str)> {
    crate::simd::ALL_LEVELS
        .iter()
        .map(|l| (l.name(), l.features()))
        .collect()
}

/// Threads used by `threads=0`: `RAYON_NUM_THREADS` when set, else every available core.
#[pyfunction]
fn default_threads() -> usize {
    Threads(0).count()
}

/// Encode probabilities into packed streams: uint64 `(n_in, ceil(length/64))`.
#[pyfunction]
#[pyo3(signature = (probs, length, seed, *, popcount=None))]
fn encode_inputs<'py>(
    py: Python<'py>,
    probs: PyReadonlyArray1<'py, f64>,
    length: usize,
    seed: u64,
    popcount: Option<&str>,
) -> PyResult<Bound<'py, PyArray2<u64>>> {
    check_length(length)?;
    let lvl = level(popcount)?;
    let p = contiguous(&probs, "probs")?;
    check_probs(p)?;
    let n_in = p.len();
    let nw = n_words(length);
    let mut out = zeroed::<u64>(product(n_in, nw, "n_in * n_words")?)?;
    py.detach(|| crate::encode::encode_inputs_into(p, length, seed, &mut out, lvl));
    Ok(Array2::from_shape_vec((n_in, nw), out)
        .expect("n_in * n_words words")
        .into_pyarray(py))
}

/// The contract's counts: int64 `(n_out,)`.
#[pyfunction]
#[pyo3(signature = (weights, probs, length, seed, *, threads=0, popcount=None))]
fn sc_counts<'py>(
    py: Python<'py>,
    weights: PyReadonlyArray3<'py, u64>,
    probs: PyReadonlyArray1<'py, f64>,
    length: usize,
    seed: u64,
    threads: usize,
    popcount: Option<&str>,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    check_length(length)?;
    let lvl = level(popcount)?;
    let shape = weights.shape().to_vec();
    check_words_len("weights_packed", shape[2], length)?;
    let w = contiguous(&weights, "weights")?;
    let p = contiguous(&probs, "probs")?;
    if p.len() != shape[1] {
        return Err(PyValueError::new_err(format!(
            "input_probs has {} entries but weights_packed has n_in={}",
            p.len(),
            shape[1]
        )));
    }
    check_probs(p)?;
    let counts = py.detach(|| sc::sc_counts(w, shape[0], p, length, seed, lvl, Threads(threads)));
    Ok(counts.into_pyarray(py))
}

/// The contract's counts of one layer for `B` input vectors, every one with `seed`: int64
/// `(B, n_out)`, row `b` equal to `sc_counts(weights, probs[b], length, seed)`.
#[pyfunction]
#[pyo3(signature = (weights, probs, length, seed, *, threads=0, popcount=None))]
#[allow(clippy::too_many_arguments)]
fn sc_counts_batch<'py>(
    py: Python<'py>,
    weights: PyReadonlyArray3<'py, u64>,
    probs: PyReadonlyArray2<'py, f64>,
    length: usize,
    seed: u64,
    threads: usize,
    popcount: Option<&str>,
) -> PyResult<Bound<'py, PyArray2<i64>>> {
    check_length(length)?;
    let lvl = level(popcount)?;
    let shape = weights.shape().to_vec();
    let (n_rows, n_in) = (probs.shape()[0], probs.shape()[1]);
    check_words_len("weights_packed", shape[2], length)?;
    if n_rows == 0 {
        return Err(PyValueError::new_err(format!(
            "input_probs must hold at least one row (B >= 1), got shape (0, {n_in})"
        )));
    }
    if n_in != shape[1] {
        return Err(PyValueError::new_err(format!(
            "input_probs has n_in={n_in} columns but weights_packed has n_in={}",
            shape[1]
        )));
    }
    let w = contiguous(&weights, "weights")?;
    let p = contiguous(&probs, "probs")?;
    check_probs(p)?;
    product(n_rows, n_in * shape[2], "B * n_in * n_words")?;
    let counts = py.detach(|| {
        batch::sc_counts_batch(w, shape[0], p, n_rows, length, seed, lvl, Threads(threads))
    });
    Ok(Array2::from_shape_vec((n_rows, shape[0]), counts)
        .expect("B * n_out counts")
        .into_pyarray(py))
}

/// AND each weight row with packed inputs, popcount, sum: int64 `(n_out,)` (vec_mac).
#[pyfunction]
#[pyo3(signature = (weights, inputs, *, threads=0, popcount=None))]
fn and_popcount<'py>(
    py: Python<'py>,
    weights: PyReadonlyArray3<'py, u64>,
    inputs: PyReadonlyArray2<'py, u64>,
    threads: usize,
    popcount: Option<&str>,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let lvl = level(popcount)?;
    let ws = weights.shape().to_vec();
    let xs = inputs.shape().to_vec();
    if ws[1..] != xs[..] {
        return Err(PyValueError::new_err(format!(
            "packed_weights (n_out, n_in, n_words)={} does not match packed_inputs \
             (n_in, n_words)={}",
            py_shape(&ws),
            py_shape(&xs)
        )));
    }
    let w = contiguous(&weights, "weights")?;
    let x = contiguous(&inputs, "inputs")?;
    let mut counts = vec![0i64; ws[0]];
    py.detach(|| sc::and_popcount_rows(w, x, &mut counts, lvl, Threads(threads)));
    Ok(counts.into_pyarray(py))
}

/// Total number of set bits.
#[pyfunction]
#[pyo3(signature = (words, *, popcount=None))]
fn popcount_total(
    py: Python<'_>,
    words: PyReadonlyArrayDyn<'_, u64>,
    popcount: Option<&str>,
) -> PyResult<u64> {
    let lvl = level(popcount)?;
    let w = contiguous(&words, "words")?;
    Ok(py.detach(|| popcount::popcount(w, lvl)))
}

/// The shared front of the elementwise packed ops: the operands have one shape, `length` (when
/// given) is positive and matches the last axis, every operand is C-contiguous; then
/// `kernel(operands, out, n_words)` runs without the GIL into a zeroed result of that shape.
fn packed_map<'py, F>(
    py: Python<'py>,
    operands: &[(&str, &PyReadonlyArrayDyn<'py, u64>)],
    length: Option<usize>,
    kernel: F,
) -> PyResult<Bound<'py, PyArrayDyn<u64>>>
where
    F: FnOnce(&[&[u64]], &mut [u64], usize) + Send,
{
    let names: Vec<&str> = operands.iter().map(|(n, _)| *n).collect();
    let shapes: Vec<&[usize]> = operands.iter().map(|(_, a)| a.shape()).collect();
    same_shape(&names, &shapes)?;
    let shape = shapes[0].to_vec();
    let mut nw = 0;
    if let Some(length) = length {
        check_length(length)?;
        nw = last_axis(&shape, names[0])?;
        check_words_len(names[0], nw, length)?;
    }
    let slices = operands
        .iter()
        .map(|(n, a)| contiguous(a, n))
        .collect::<PyResult<Vec<_>>>()?;
    let out = py.detach(|| {
        let mut out = vec![0u64; slices[0].len()];
        kernel(&slices, &mut out, nw);
        out
    });
    Ok(dyn_array(py, &shape, out))
}

/// `a & b` (same shape).
#[pyfunction]
fn vec_and<'py>(
    py: Python<'py>,
    a: PyReadonlyArrayDyn<'py, u64>,
    b: PyReadonlyArrayDyn<'py, u64>,
) -> PyResult<Bound<'py, PyArrayDyn<u64>>> {
    packed_map(py, &[("a", &a), ("b", &b)], None, |s, out, _| {
        ops::and_into(s[0], s[1], out)
    })
}

/// `~(a ^ b)` with padding bits cleared.
#[pyfunction]
fn vec_xnor<'py>(
    py: Python<'py>,
    a: PyReadonlyArrayDyn<'py, u64>,
    b: PyReadonlyArrayDyn<'py, u64>,
    length: usize,
) -> PyResult<Bound<'py, PyArrayDyn<u64>>> {
    packed_map(py, &[("a", &a), ("b", &b)], Some(length), |s, out, nw| {
        ops::xnor_into(s[0], s[1], out, nw, length)
    })
}

/// `~a` with padding bits cleared.
#[pyfunction]
fn vec_not<'py>(
    py: Python<'py>,
    a: PyReadonlyArrayDyn<'py, u64>,
    length: usize,
) -> PyResult<Bound<'py, PyArrayDyn<u64>>> {
    packed_map(py, &[("a", &a)], Some(length), |s, out, nw| {
        ops::not_into(s[0], out, nw, length)
    })
}

/// `(sel & a) | (~sel & b)` with padding bits cleared.
#[pyfunction]
fn vec_mux<'py>(
    py: Python<'py>,
    sel: PyReadonlyArrayDyn<'py, u64>,
    a: PyReadonlyArrayDyn<'py, u64>,
    b: PyReadonlyArrayDyn<'py, u64>,
    length: usize,
) -> PyResult<Bound<'py, PyArrayDyn<u64>>> {
    let operands = [("sel", &sel), ("a", &a), ("b", &b)];
    packed_map(py, &operands, Some(length), |s, out, nw| {
        ops::mux_into(s[0], s[1], s[2], out, nw, length)
    })
}

/// Pack `(rows, n)` bytes (nonzero = 1) into uint64 `(rows, ceil(n/64))`, LSB first.
#[pyfunction]
fn pack_bits<'py>(
    py: Python<'py>,
    bits: PyReadonlyArray2<'py, u8>,
) -> PyResult<Bound<'py, PyArray2<u64>>> {
    let (rows, n) = (bits.shape()[0], bits.shape()[1]);
    let src = contiguous(&bits, "bits")?;
    let nw = n_words(n);
    let out = py.detach(|| {
        let mut out = vec![0u64; rows * nw];
        ops::pack_bits(src, n, &mut out);
        out
    });
    Ok(Array2::from_shape_vec((rows, nw), out)
        .expect("rows * n_words")
        .into_pyarray(py))
}

/// Unpack uint64 `(rows, ceil(length/64))` into uint8 `(rows, length)` of 0/1.
#[pyfunction]
fn unpack_bits<'py>(
    py: Python<'py>,
    words: PyReadonlyArray2<'py, u64>,
    length: usize,
) -> PyResult<Bound<'py, PyArray2<u8>>> {
    let rows = words.shape()[0];
    check_words_len("packed", words.shape()[1], length)?;
    let src = contiguous(&words, "packed")?;
    let mut out = zeroed::<u8>(product(rows, length, "rows * length")?)?;
    py.detach(|| ops::unpack_bits(src, length, &mut out));
    Ok(Array2::from_shape_vec((rows, length), out)
        .expect("rows * length")
        .into_pyarray(py))
}

/// `(v_rest, v_reset, v_th, leak, gain, refractory)` as checked [`LifParams`].
type ParamsTuple = (i16, i16, i16, u16, i16, u16);

fn lif_params(p: ParamsTuple) -> PyResult<LifParams> {
    let (v_rest, v_reset, v_th, leak, gain, refractory) = p;
    let params = LifParams {
        v_rest,
        v_reset,
        v_th,
        leak,
        gain,
        refractory,
    };
    params.check().map_err(PyValueError::new_err)?;
    Ok(params)
}

/// `Ok` when `shape` is `want`, else a `ValueError` naming the argument and both shapes.
fn check_len(name: &str, shape: &[usize], want: &[usize]) -> PyResult<()> {
    if shape != want {
        return Err(PyValueError::new_err(format!(
            "{name} must have shape {}, got {}",
            py_shape(want),
            py_shape(shape)
        )));
    }
    Ok(())
}

/// Q8.8 current of every count: int16, the shape of `counts` (see `golden.dot_to_current`).
#[pyfunction]
fn dot_to_current<'py>(
    py: Python<'py>,
    counts: PyReadonlyArrayDyn<'py, i64>,
    n_in: i64,
    y_min: i16,
    y_max: i16,
) -> PyResult<Bound<'py, PyArrayDyn<i16>>> {
    let shape = counts.shape().to_vec();
    let c = contiguous(&counts, "counts")?;
    let mut out = zeroed::<i16>(c.len())?;
    py.detach(|| neuron::dot_to_current(c, n_in, y_min, y_max, &mut out))
        .map_err(PyValueError::new_err)?;
    Ok(dyn_array(py, &shape, out))
}

/// A LIF state `(v int16 (n,), ref uint16 (n,))` read from NumPy, copied for in-place updates.
fn lif_state(
    v: &PyReadonlyArray1<'_, i16>,
    refc: &PyReadonlyArray1<'_, u16>,
) -> PyResult<(Vec<i16>, Vec<u16>)> {
    let n = v.shape()[0];
    check_len("ref", refc.shape(), &[n])?;
    Ok((
        contiguous(v, "v")?.to_vec(),
        contiguous(refc, "ref")?.to_vec(),
    ))
}

/// `T` LIF steps: `(v int16 (n,), ref uint16 (n,), spikes bool (T, n), trace int16 (T, n))`
/// (see `golden.lif_run`). Neurons are split over threads for large problems; `popcount`
/// names the kernel path.
#[pyfunction]
#[pyo3(signature = (v, refc, currents, params, noise=None, *, threads=0, popcount=None))]
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
fn lif_run<'py>(
    py: Python<'py>,
    v: PyReadonlyArray1<'py, i16>,
    refc: PyReadonlyArray1<'py, u16>,
    currents: PyReadonlyArray2<'py, i16>,
    params: ParamsTuple,
    noise: Option<PyReadonlyArray2<'py, i16>>,
    threads: usize,
    popcount: Option<&str>,
) -> PyResult<(
    Bound<'py, PyArray1<i16>>,
    Bound<'py, PyArray1<u16>>,
    Bound<'py, PyArray2<bool>>,
    Bound<'py, PyArray2<i16>>,
)> {
    let lvl = level(popcount)?;
    let p = lif_params(params)?;
    let (mut v, mut r) = lif_state(&v, &refc)?;
    let n = v.len();
    let steps = currents.shape()[0];
    check_len("currents", currents.shape(), &[steps, n])?;
    let cur = contiguous(&currents, "currents")?;
    let nz = match &noise {
        Some(z) => {
            check_len("noise", z.shape(), &[steps, n])?;
            Some(contiguous(z, "noise")?)
        }
        None => None,
    };
    let cells = product(steps, n, "T * n")?;
    let mut spikes = zeroed::<bool>(cells)?;
    let mut trace = zeroed::<i16>(cells)?;
    py.detach(|| {
        neuron::lif_run(
            &mut v,
            &mut r,
            cur,
            nz,
            &p,
            steps,
            &mut spikes,
            &mut trace,
            lvl,
            Threads(threads),
        )
    });
    let spikes = Array2::from_shape_vec((steps, n), spikes).expect("T * n spikes");
    let trace = Array2::from_shape_vec((steps, n), trace).expect("T * n trace");
    Ok((
        v.into_pyarray(py),
        r.into_pyarray(py),
        spikes.into_pyarray(py),
        trace.into_pyarray(py),
    ))
}

// --- rooflines (rust/src/roofline.rs): the loops `sctb bench` times ------------------------

/// Read every word of `words` on `threads` threads (0 = every core) with the streaming loop of
/// kernel path `popcount`; returns their popcount.
#[pyfunction]
#[pyo3(signature = (words, *, threads=0, popcount=None))]
fn roofline_read(
    py: Python<'_>,
    words: PyReadonlyArrayDyn<'_, u64>,
    threads: usize,
    popcount: Option<&str>,
) -> PyResult<u64> {
    let lvl = level(popcount)?;
    let w = contiguous(&words, "words")?;
    Ok(py.detach(|| crate::roofline::read_all(w, lvl, Threads(threads))))
}

/// The AND + popcount peak loop: `reps` passes of the batch kernel's register tile over
/// L1-resident vectors (`ROOFLINE_L1_WORDS` word pairs each) on each of `threads` threads
/// (0 = every core), on kernel path `popcount`; returns the total count.
#[pyfunction]
#[pyo3(signature = (reps, *, threads=0, popcount=None))]
fn roofline_and_popcount(
    py: Python<'_>,
    reps: usize,
    threads: usize,
    popcount: Option<&str>,
) -> PyResult<u64> {
    let lvl = level(popcount)?;
    Ok(py.detach(|| crate::roofline::and_popcount_l1(reps, lvl, Threads(threads))))
}

fn register_roofline(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ROOFLINE_L1_WORDS", crate::roofline::L1_WORDS)?;
    m.add_function(wrap_pyfunction!(roofline_read, m)?)?;
    m.add_function(wrap_pyfunction!(roofline_and_popcount, m)?)?;
    Ok(())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("KERNEL_PATH_ENV", crate::simd::ENV_VAR)?;
    m.add("PARALLEL_MIN_WORDS", sc::PAR_MIN_WORDS)?;
    m.add_function(wrap_pyfunction!(lfsr_step, m)?)?;
    m.add_function(wrap_pyfunction!(lfsr_jump, m)?)?;
    m.add_function(wrap_pyfunction!(lfsr_sequence, m)?)?;
    m.add_function(wrap_pyfunction!(orbit_table, m)?)?;
    m.add_function(wrap_pyfunction!(kernel_paths, m)?)?;
    m.add_function(wrap_pyfunction!(default_kernel_path, m)?)?;
    m.add_function(wrap_pyfunction!(kernel_path_features, m)?)?;
    m.add_function(wrap_pyfunction!(default_threads, m)?)?;
    m.add_function(wrap_pyfunction!(encode_inputs, m)?)?;
    m.add_function(wrap_pyfunction!(sc_counts, m)?)?;
    m.add_function(wrap_pyfunction!(sc_counts_batch, m)?)?;
    m.add_function(wrap_pyfunction!(and_popcount, m)?)?;
    m.add_function(wrap_pyfunction!(popcount_total, m)?)?;
    m.add_function(wrap_pyfunction!(vec_and, m)?)?;
    m.add_function(wrap_pyfunction!(vec_xnor, m)?)?;
    m.add_function(wrap_pyfunction!(vec_not, m)?)?;
    m.add_function(wrap_pyfunction!(vec_mux, m)?)?;
    m.add_function(wrap_pyfunction!(pack_bits, m)?)?;
    m.add_function(wrap_pyfunction!(unpack_bits, m)?)?;
    m.add(
        "LIF_PARALLEL_MIN_NEURON_STEPS",
        neuron::PAR_MIN_NEURON_STEPS,
    )?;
    m.add_function(wrap_pyfunction!(dot_to_current, m)?)?;
    m.add_function(wrap_pyfunction!(lif_run, m)?)?;
    register_roofline(m)?;
    Ok(())
}
