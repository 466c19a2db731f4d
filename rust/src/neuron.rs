//! The bit-true signed Q8.8 neuron (docs/contract.md section 9): count to current, and the
//! leaky integrate-and-fire update.
//!
//! Every value is a raw integer: Q8.8 currents and membranes are `i16`, the refractory counter
//! is `u16`, `leak` is unsigned Q0.8 in `[0, 256]`. The arithmetic is exact in `i32` (the
//! contract's widest term, the final sum, has `|s| < 2**23`) except the 48-bit product of
//! [`current`], done in `i64`. Right shifts of signed integers are arithmetic (floor), and the
//! only saturation is that of the final sum, as the contract says.
//!
//! The per-step loop is branch-free selects over a contiguous row of neurons, so it vectorises.
//! It is compiled for each kernel path of [`Level`] (plain x86-64, AVX2, AVX-512 F + BW) and
//! the caller picks one; the integers are the same on every path. [`lif_run`] can also split
//! the neurons (independent across time) over threads for large problems.

use rayon::prelude::*;

use crate::sc::Threads;
use crate::simd::Level;

/// Smallest raw Q8.8 value.
pub const Q88_MIN: i32 = i16::MIN as i32;
/// Largest raw Q8.8 value.
pub const Q88_MAX: i32 = i16::MAX as i32;
/// Largest `n_in` of [`current`]: `65535 * (2**31 - 1) < 2**47` keeps the product in 48 bits.
pub const N_IN_MAX: i64 = (1 << 31) - 1;
/// Largest `leak` (unsigned Q0.8: `256` reaches `v_rest` in one step).
pub const LEAK_MAX: u16 = 256;
/// Below this many neuron-steps `lif_run` stays on the calling thread. A neuron-step takes
/// about 0.13 ns (AVX-512), 0.3 ns (AVX2) or 1 ns (plain) in cache, so this is 0.5-4 ms of work.
/// Measured on a shared 2-core machine: 2 threads gave 1.8x on the plain path from 2M
/// neuron-steps, but nothing on the memory-bound vector paths; the split is meant for
/// many-core machines and large layers.
pub const PAR_MIN_NEURON_STEPS: usize = 1 << 22;
/// Fewest neurons handed to one task (whole 2 KiB row segments per step).
const TASK_MIN_NEURONS: usize = 1024;

/// `y_min + floor((y_max - y_min) * count / n_in)` for one count.
///
/// The difference `y_max - y_min` lies in `[-65535, 65535]` (17 bits) and the product with
/// `count <= n_in < 2**31` is exact in `i64`; `div_euclid` by the positive `n_in` is the floor.
/// The result lies between `y_min` and `y_max`, so it fits `i16` without saturation.
///
/// The caller guarantees `1 <= n_in <= N_IN_MAX` and `0 <= count <= n_in` (see
/// [`check_current_args`] and [`dot_to_current`], which checks).
#[inline]
pub fn current(count: i64, n_in: i64, y_min: i16, y_max: i16) -> i16 {
    let span = y_max as i64 - y_min as i64;
    (y_min as i64 + (span * count).div_euclid(n_in)) as i16
}

/// `n_in` in `[1, 2**31 - 1]`, or the contract's message.
pub fn check_current_args(n_in: i64) -> Result<(), String> {
    if n_in <= 0 {
        return Err(format!("n_in must be a positive int, got {n_in}"));
    }
    if n_in > N_IN_MAX {
        return Err(format!("n_in must be <= 2**31 - 1, got {n_in}"));
    }
    Ok(())
}

/// [`current`] of every count into `out` (same length), after checking `n_in` and every count.
///
/// # Errors
/// A message naming the argument and the bad value (the first bad count and its flat index);
/// `out` is then left unspecified.
///
/// # Panics
/// If `counts` and `out` differ in length.
pub fn dot_to_current(
    counts: &[i64],
    n_in: i64,
    y_min: i16,
    y_max: i16,
    out: &mut [i16],
) -> Result<(), String> {
    assert_eq!(
        counts.len(),
        out.len(),
        "counts and out must have the same length"
    );
    check_current_args(n_in)?;
    if let Some((i, c)) = counts
        .iter()
        .enumerate()
        .find(|(_, &c)| !(0..=n_in).contains(&c))
    {
        return Err(format!(
            "counts must lie in [0, {n_in}], got {c} at index {i}"
        ));
    }
    for (o, &c) in out.iter_mut().zip(counts) {
        *o = current(c, n_in, y_min, y_max);
    }
    Ok(())
}

/// Parameters of the fixed-point LIF, shared by a layer (raw integers, see the contract).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LifParams {
    /// Leak target (Q8.8).
    pub v_rest: i16,
    /// Membrane after a spike and while refractory (Q8.8).
    pub v_reset: i16,
    /// Threshold (Q8.8); `v' >= v_th` spikes.
    pub v_th: i16,
    /// Unsigned Q0.8 in `[0, 256]`.
    pub leak: u16,
    /// The current's weight (signed Q8.8).
    pub gain: i16,
    /// Steps `R` that a neuron holds `v_reset` after a spike.
    pub refractory: u16,
}

impl LifParams {
    /// `Ok` when every field is in range (only `leak` can be out of its type's range).
    pub fn check(&self) -> Result<(), String> {
        if self.leak > LEAK_MAX {
            return Err(format!(
                "params.leak must be in [0, {LEAK_MAX}], got {}",
                self.leak
            ));
        }
        Ok(())
    }
}

/// The parameters widened once to the `i32` arithmetic of the update.
#[derive(Clone, Copy)]
struct Wide {
    v_rest: i32,
    v_reset: i32,
    v_th: i32,
    leak: i32,
    gain: i32,
    refractory: u16,
}

impl Wide {
    fn new(p: &LifParams) -> Self {
        assert!(
            p.leak <= LEAK_MAX,
            "params.leak must be in [0, 256], got {}",
            p.leak
        );
        Wide {
            v_rest: p.v_rest as i32,
            v_reset: p.v_reset as i32,
            v_th: p.v_th as i32,
            leak: p.leak as i32,
            gain: p.gain as i32,
            refractory: p.refractory,
        }
    }
}

/// One neuron, one step: `(v, ref, spike)` after the update of section 9.2.
///
/// Bounds: `(v_rest - v) * leak` is at most `65535 * 256 < 2**24`, `I * gain` at most `2**30`,
/// and the sum `< 2**23`; all exact in `i32`.
#[inline(always)]
fn update(v: i16, r: u16, cur: i16, noise: i16, p: &Wide) -> (i16, u16, bool) {
    let v = v as i32;
    let d_leak = ((p.v_rest - v) * p.leak) >> 8; // arithmetic shift: floor
    let d_in = (cur as i32 * p.gain) >> 8;
    let sat = (v + d_leak + d_in + noise as i32).clamp(Q88_MIN, Q88_MAX); // the one saturation
    let hold = r > 0;
    let spike = !hold & (sat >= p.v_th);
    let v_out = if hold | spike { p.v_reset } else { sat };
    let r_out = if hold {
        r.wrapping_sub(1)
    } else if spike {
        p.refractory
    } else {
        0
    };
    (v_out as i16, r_out, spike)
}

/// One step of a row of neurons in place; `spikes` gets the spike outputs.
#[inline(always)]
fn step_row(
    v: &mut [i16],
    refc: &mut [u16],
    cur: &[i16],
    noise: Option<&[i16]>,
    p: &Wide,
    spikes: &mut [bool],
) {
    let lanes = v
        .iter_mut()
        .zip(refc.iter_mut())
        .zip(cur)
        .zip(spikes.iter_mut());
    match noise {
        Some(nz) => {
            for ((((v, r), &c), s), &z) in lanes.zip(nz) {
                (*v, *r, *s) = update(*v, *r, c, z, p);
            }
        }
        None => {
            for (((v, r), &c), s) in lanes {
                (*v, *r, *s) = update(*v, *r, c, 0, p);
            }
        }
    }
}

/// The inputs and outputs of a `(T, n)` problem that every block of neurons shares.
#[derive(Clone, Copy)]
struct Job<'a> {
    currents: &'a [i16],
    noise: Option<&'a [i16]>,
    p: Wide,
    steps: usize,
    n: usize,
    /// `(T, n)` row-major spike outputs.
    spikes: *mut bool,
    /// `(T, n)` row-major membrane trace; null when not wanted.
    trace: *mut i16,
}

// SAFETY: the raw pointers are written only at the columns of the block a task owns, and the
// buffers outlive the parallel section (`lif_run` joins every task before it returns).
unsafe impl Send for Job<'_> {}
unsafe impl Sync for Job<'_> {}

/// Steps `0..T` of the neurons `lo..lo + v.len()` (their state in `v`, `refc`), time inside.
///
/// # Safety
/// `job`'s buffers hold `T * n` elements, `lo + v.len() <= n`, and no other thread touches
/// the columns `lo..lo + v.len()` of its outputs during the call.
#[inline(always)]
unsafe fn columns_body(job: &Job<'_>, lo: usize, v: &mut [i16], refc: &mut [u16]) {
    let w = v.len();
    for t in 0..job.steps {
        let at = t * job.n + lo;
        let cur = &job.currents[at..at + w];
        let nz = job.noise.map(|z| &z[at..at + w]);
        // SAFETY: in bounds (at + w <= T * n) and these columns are this call's alone.
        let sp = unsafe { std::slice::from_raw_parts_mut(job.spikes.add(at), w) };
        step_row(v, refc, cur, nz, &job.p, sp);
        if !job.trace.is_null() {
            let tr = unsafe { std::slice::from_raw_parts_mut(job.trace.add(at), w) };
            tr.copy_from_slice(v);
        }
    }
}

/// [`columns_body`] compiled for any CPU (x86-64: SSE2).
unsafe fn columns_plain(job: &Job<'_>, lo: usize, v: &mut [i16], refc: &mut [u16]) {
    unsafe { columns_body(job, lo, v, refc) }
}

/// [`columns_body`] compiled with AVX2 (16 neurons per 256-bit `i16` vector).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn columns_avx2(job: &Job<'_>, lo: usize, v: &mut [i16], refc: &mut [u16]) {
    unsafe { columns_body(job, lo, v, refc) }
}

/// [`columns_body`] compiled with AVX-512 F + BW (mask-register selects).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn columns_avx512(job: &Job<'_>, lo: usize, v: &mut [i16], refc: &mut [u16]) {
    unsafe { columns_body(job, lo, v, refc) }
}

/// [`columns_body`] on the kernel path `level`.
///
/// # Safety
/// As [`columns_body`], and the CPU supports `level` (checked by the public kernels).
unsafe fn columns(level: Level, job: &Job<'_>, lo: usize, v: &mut [i16], refc: &mut [u16]) {
    unsafe {
        match level {
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => columns_avx512(job, lo, v, refc),
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => columns_avx2(job, lo, v, refc),
            _ => columns_plain(job, lo, v, refc),
        }
    }
}

fn check_level(level: Level) {
    assert!(
        level.is_supported(),
        "kernel path {level} is not supported by this CPU"
    );
}

/// One LIF step of `n = v.len()` neurons in place (docs/contract.md section 9.2).
///
/// `v` (Q8.8) and `refc` (refractory counters) are the state, updated in place; `current` and
/// `noise` (`None` = zero) the inputs; `spikes` receives the step's spike outputs. `level` is
/// the kernel path (the same integers on every path).
///
/// # Panics
/// If the slices differ in length, `params.leak > 256` or the CPU cannot run `level`.
pub fn lif_step(
    v: &mut [i16],
    refc: &mut [u16],
    current: &[i16],
    noise: Option<&[i16]>,
    params: &LifParams,
    spikes: &mut [bool],
    level: Level,
) {
    let n = v.len();
    assert!(
        refc.len() == n && current.len() == n && spikes.len() == n,
        "v, ref, current and spikes must have the same length"
    );
    assert!(
        noise.is_none_or(|z| z.len() == n),
        "noise must have n elements"
    );
    check_level(level);
    let job = Job {
        currents: current,
        noise,
        p: Wide::new(params),
        steps: 1,
        n,
        spikes: spikes.as_mut_ptr(),
        trace: std::ptr::null_mut(),
    };
    // SAFETY: lengths checked above, one thread, the level is supported.
    unsafe { columns(level, &job, 0, v, refc) };
}

/// `T` LIF steps of `n = v.len()` neurons (docs/contract.md section 9.2).
///
/// `currents` and `noise` (`None` = zero) are `(T, n)` row-major with `T = steps`, row `t` the
/// inputs of step `t`. `spikes` and `trace` (`(T, n)` row-major) receive each step's spikes and
/// the membrane after it (`v_reset` where it spiked); `v` and `refc` end as the final state.
///
/// Neurons are independent across time, so with `threads` above one and at least
/// [`PAR_MIN_NEURON_STEPS`] neuron-steps the neurons are split into column blocks, each run
/// through all `T` steps on one thread. The result depends neither on `threads` nor on `level`.
///
/// # Panics
/// If a length disagrees with `(T, n)`, `params.leak > 256` or the CPU cannot run `level`.
#[allow(clippy::too_many_arguments)]
pub fn lif_run(
    v: &mut [i16],
    refc: &mut [u16],
    currents: &[i16],
    noise: Option<&[i16]>,
    params: &LifParams,
    steps: usize,
    spikes: &mut [bool],
    trace: &mut [i16],
    level: Level,
    threads: Threads,
) {
    let n = v.len();
    let cells = steps.checked_mul(n).expect("T * n overflows");
    assert_eq!(refc.len(), n, "ref must have n elements");
    assert_eq!(currents.len(), cells, "currents must be (T, n)");
    assert!(
        noise.is_none_or(|z| z.len() == cells),
        "noise must be (T, n)"
    );
    assert!(
        spikes.len() == cells && trace.len() == cells,
        "spikes and trace must be (T, n)"
    );
    check_level(level);
    let job = Job {
        currents,
        noise,
        p: Wide::new(params),
        steps,
        n,
        spikes: spikes.as_mut_ptr(),
        trace: trace.as_mut_ptr(),
    };
    let n_threads = threads.count();
    if threads.0 == 1 || n_threads <= 1 || n < 2 * TASK_MIN_NEURONS || cells < PAR_MIN_NEURON_STEPS
    {
        // SAFETY: the buffers hold T * n elements (checked above); one thread.
        unsafe { columns(level, &job, 0, v, refc) };
        return;
    }
    let per_task = n
        .div_ceil(n_threads)
        .next_multiple_of(TASK_MIN_NEURONS)
        .max(TASK_MIN_NEURONS);
    threads.install(|| {
        v.par_chunks_mut(per_task)
            .zip(refc.par_chunks_mut(per_task))
            .enumerate()
            .for_each(|(k, (v, r))| {
                // SAFETY: the blocks `k * per_task ..` are disjoint column ranges.
                unsafe { columns(level, &job, k * per_task, v, r) };
            })
    });
}

#[cfg(test)]
mod tests;
