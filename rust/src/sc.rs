//! The contract's counts: `counts[o] = sum_{i,w} popcount(W[o, i, w] & X[i, w])`, threaded
//! across output rows.
//!
//! A weight row `W[o]` and the encoded inputs `X` are both contiguous `n_in * n_words` words in
//! C order, so each output is one long AND-popcount of two slices.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rayon::ThreadPool;

use crate::encode::{encode_inputs, n_words};
use crate::popcount::and_popcount_unchecked;
use crate::simd::Level;

/// Below this many weight words (4 MiB) the rows run on the calling thread: waking workers
/// costs more than it saves (measured: 2 MiB took 36 us on 1 thread, 42 us on 2).
pub const PAR_MIN_WORDS: usize = 1 << 19;
/// Smallest share of words handed to one task.
const TASK_MIN_WORDS: usize = 1 << 15;

/// Thread-count policy: `0` is every core (`RAYON_NUM_THREADS` when set, else the available
/// parallelism), `1` the calling thread only, `n > 1` a pool of `n` threads.
///
/// Pools are built on first use and reused. They belong to the process that built them: after
/// a `fork` (Python's multiprocessing) the child, whose copy of the pool has no threads, builds
/// its own instead of waiting forever on workers that do not exist (rayon's global pool would).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threads(pub usize);

impl Threads {
    /// Number of threads this policy runs on.
    pub fn count(self) -> usize {
        match self.0 {
            0 => default_threads(),
            n => n,
        }
    }

    /// Run `f` where rayon's parallel iterators use this policy's threads.
    pub fn install<R: Send>(self, f: impl FnOnce() -> R + Send) -> R {
        match self.count() {
            0 | 1 => f(),
            n => pool(n).install(f),
        }
    }
}

/// `RAYON_NUM_THREADS` when set to a positive integer, else the available parallelism.
pub fn default_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Pools by (process id, thread count).
type PoolMap = HashMap<(u32, usize), Arc<ThreadPool>>;

pub(crate) fn pool(n: usize) -> Arc<ThreadPool> {
    static POOLS: OnceLock<Mutex<PoolMap>> = OnceLock::new();
    let pid = std::process::id();
    let pools = POOLS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = pools.lock().unwrap_or_else(|e| e.into_inner());
    // pools inherited across a fork have no threads: leak them (never use, never join them)
    map.retain(|&(p, _), stale| {
        if p != pid {
            std::mem::forget(Arc::clone(stale));
        }
        p == pid
    });
    map.entry((pid, n))
        .or_insert_with(|| {
            Arc::new(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .thread_name(|i| format!("sctb-native-{i}"))
                    .build()
                    .expect("cannot start a rayon thread pool"),
            )
        })
        .clone()
}

/// `counts[o] = sum_k popcount(weights[o * k_len + k] & inputs[k])` for every row `o`.
///
/// `weights` is `(n_out, k_len)` row-major with `n_out = counts.len()`; `inputs` has `k_len`
/// words.
///
/// # Panics
/// If the lengths disagree or the CPU cannot run `level`.
pub fn and_popcount_rows(
    weights: &[u64],
    inputs: &[u64],
    counts: &mut [i64],
    level: Level,
    threads: Threads,
) {
    let n_out = counts.len();
    let k_len = inputs.len();
    assert_eq!(
        weights.len(),
        n_out * k_len,
        "weights must hold n_out * n_in * n_words words"
    );
    assert!(
        level.is_supported(),
        "kernel path {level} is not supported by this CPU"
    );
    if k_len == 0 {
        counts.fill(0);
        return;
    }
    let row = |o: usize| -> i64 {
        let w = &weights[o * k_len..(o + 1) * k_len];
        // SAFETY: equal lengths; the level's features were checked above.
        unsafe { and_popcount_unchecked(w, inputs, level) as i64 }
    };
    let n_threads = threads.count();
    if threads.0 == 1 || n_threads <= 1 || n_out < 2 || weights.len() < PAR_MIN_WORDS {
        for (o, c) in counts.iter_mut().enumerate() {
            *c = row(o);
        }
        return;
    }
    let per_task = n_out
        .div_ceil(4 * n_threads)
        .max(TASK_MIN_WORDS.div_ceil(k_len))
        .max(1);
    // the caller works too and never waits for a helper that has not woken (crate::share)
    let out = RowsOut(counts.as_mut_ptr());
    crate::share::for_each_chunk(n_out.div_ceil(per_task), threads, &|t| {
        let out = &out;
        for o in t * per_task..((t + 1) * per_task).min(n_out) {
            // SAFETY: chunk t owns rows [t * per_task, (t + 1) * per_task): disjoint writes
            // into `counts`, which outlives the call.
            unsafe { *out.0.add(o) = row(o) };
        }
    });
}

/// `counts`' base pointer, shared by the chunks of one call (each writes its own rows).
struct RowsOut(*mut i64);

// SAFETY: the chunks write disjoint elements, and the call returns only after all chunks.
unsafe impl Sync for RowsOut {}

/// The contract's `sc_counts`: encode `probs` with `seed`, then AND-popcount every row.
///
/// `weights` is `(n_out, probs.len(), n_words(length))` in C order, `probs` are already
/// checked (finite, in `[0, 1]`). Returns int64 `(n_out,)`.
///
/// # Panics
/// If `weights.len()` is not a multiple of `probs.len() * n_words(length)` (for `n_in > 0`),
/// or the CPU cannot run `level`.
pub fn sc_counts(
    weights: &[u64],
    n_out: usize,
    probs: &[f64],
    length: usize,
    seed: u64,
    level: Level,
    threads: Threads,
) -> Vec<i64> {
    let k_len = probs.len() * n_words(length);
    assert_eq!(
        weights.len(),
        n_out * k_len,
        "weights must be (n_out, n_in, n_words)"
    );
    let inputs = encode_inputs(probs, length, seed, level);
    let mut counts = vec![0i64; n_out];
    and_popcount_rows(weights, &inputs, &mut counts, level, threads);
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::ALL_LEVELS;
    use crate::testutil::{naive, report_skipped, SplitMix};

    fn ones(n_out: usize, n_in: usize, length: usize) -> Vec<u64> {
        vec![u64::MAX; n_out * n_in * n_words(length)]
    }

    #[test]
    fn golden_counts() {
        for level in ALL_LEVELS {
            if !level.is_supported() {
                report_skipped("sc_counts", level);
                continue;
            }
            for threads in [Threads(1), Threads(2), Threads(0)] {
                let w = ones(1, 3, 64);
                let c = sc_counts(&w, 1, &[0.5, 0.25, 0.75], 64, 0xACE1, level, threads);
                assert_eq!(c, vec![95]); // 1.484375 * 64
                assert_eq!(c[0] as f64 / 64.0, 1.484375);
                // padding bits of the weights must never count
                let w = ones(2, 1, 100);
                let c = sc_counts(&w, 2, &[1.0], 100, 0xACE1, level, threads);
                assert_eq!(c, vec![100, 100]);
                // empty shapes
                assert_eq!(
                    sc_counts(&[], 0, &[0.5], 64, 1, level, threads),
                    Vec::<i64>::new()
                );
                assert_eq!(sc_counts(&[], 3, &[], 64, 1, level, threads), vec![0, 0, 0]);
            }
        }
    }

    #[test]
    fn matches_naive_model_on_every_path_and_thread_count() {
        let mut rng = SplitMix(77);
        for level in ALL_LEVELS {
            if !level.is_supported() {
                report_skipped("sc_counts", level);
                continue;
            }
            for case in 0..150 {
                let n_out = rng.below(6) as usize;
                let n_in = rng.below(7) as usize;
                let length = if case % 2 == 0 {
                    64 * (1 + rng.below(5) as usize)
                } else {
                    1 + rng.below(700) as usize
                };
                let nw = n_words(length);
                let seed = [0u64, 0xFFFF, 0xFFFE, u64::MAX, rng.next()][rng.below(5) as usize];
                let probs: Vec<f64> = (0..n_in).map(|_| rng.prob()).collect();
                let flat: Vec<u64> = (0..n_out * n_in * nw)
                    .map(|_| rng.sparse_or_dense())
                    .collect();
                let nested: Vec<Vec<Vec<u64>>> = (0..n_out)
                    .map(|o| {
                        (0..n_in)
                            .map(|i| flat[(o * n_in + i) * nw..(o * n_in + i + 1) * nw].to_vec())
                            .collect()
                    })
                    .collect();
                let want = naive::counts(&nested, &probs, length, seed);
                for threads in [Threads(1), Threads(2)] {
                    let got = sc_counts(&flat, n_out, &probs, length, seed, level, threads);
                    assert_eq!(
                        got, want,
                        "{level} {threads:?} n_out={n_out} n_in={n_in} L={length}"
                    );
                }
            }
        }
    }

    #[test]
    fn threaded_rows_equal_sequential_on_a_large_problem() {
        // big enough to take the parallel branch (> PAR_MIN_WORDS words)
        let (n_out, n_in, length) = (67, 65, 64 * 130);
        let nw = n_words(length);
        let mut rng = SplitMix(5);
        let w: Vec<u64> = (0..n_out * n_in * nw).map(|_| rng.next()).collect();
        assert!(w.len() >= PAR_MIN_WORDS);
        let probs: Vec<f64> = (0..n_in).map(|_| rng.prob()).collect();
        let reference = sc_counts(&w, n_out, &probs, length, 7, Level::Scalar, Threads(1));
        for level in Level::supported() {
            for t in [Threads(1), Threads(2), Threads(3), Threads(0)] {
                assert_eq!(sc_counts(&w, n_out, &probs, length, 7, level, t), reference);
            }
        }
    }
}
