//! Measured rooflines of this CPU (timed by the caller, `sctb bench`): the all-core read of a
//! buffer, and the AND + popcount peak on data that stays in L1.
//!
//! Both functions return a value that depends on every word they touched, so the compiler
//! cannot drop the work; the caller divides the bytes (or words) by its wall time.

use rayon::prelude::*;

use crate::popcount::and_popcount_unchecked;
use crate::sc::Threads;
use crate::simd::Level;

/// Words per operand of the L1-resident loop: two operands of 2 KiB each (every x86 L1d holds
/// them many times over), long enough that the loop's tail is noise.
pub const L1_WORDS: usize = 256;

/// Read every word of `words` once, split into one contiguous part per thread of `threads`
/// (cache-line multiples), with the streaming loop of `sc_counts` (software prefetch ahead,
/// cache-line aligned vector loads) on kernel path `level`; returns the popcount of all words.
///
/// # Panics
/// If the CPU cannot run `level`.
pub fn read_all(words: &[u64], level: Level, threads: Threads) -> u64 {
    assert!(
        level.is_supported(),
        "kernel path {level} is not supported by this CPU"
    );
    // SAFETY: the level's features were checked above; the operands are the same slice.
    let pass = |part: &[u64]| unsafe { and_popcount_unchecked(part, part, level) };
    let n = threads.count().max(1);
    if n == 1 || words.len() < 8 * n {
        return pass(words);
    }
    let part = words.len().div_ceil(n).div_ceil(8) * 8;
    threads.install(|| words.par_chunks(part).with_max_len(1).map(pass).sum())
}

/// The operands of thread `t` of [`and_popcount_l1`]: [`L1_WORDS`] pseudo-random words each.
fn operands(t: usize) -> (Vec<u64>, Vec<u64>) {
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (t as u64);
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let a: Vec<u64> = (0..L1_WORDS).map(|_| next()).collect();
    let b: Vec<u64> = (0..L1_WORDS).map(|_| next()).collect();
    (a, b)
}

/// AND + popcount of two L1-resident operands of [`L1_WORDS`] words, `reps` times on each
/// thread of `threads`, on kernel path `level`. Returns the total count over all threads; the
/// words processed are `threads.count() * reps * L1_WORDS`.
///
/// # Panics
/// If the CPU cannot run `level`.
pub fn and_popcount_l1(reps: usize, level: Level, threads: Threads) -> u64 {
    assert!(
        level.is_supported(),
        "kernel path {level} is not supported by this CPU"
    );
    let n = threads.count().max(1);
    let one = |t: usize| -> u64 {
        let (a, b) = operands(t);
        let mut total = 0u64;
        for _ in 0..reps {
            // black_box: each pass must really run (its result is not loop-invariant to LLVM)
            let (a, b) = (std::hint::black_box(&a[..]), std::hint::black_box(&b[..]));
            // SAFETY: equal lengths; the level's features were checked above.
            total = total.wrapping_add(unsafe { and_popcount_unchecked(a, b, level) });
        }
        total
    };
    if n == 1 {
        return one(0);
    }
    threads.install(|| {
        (0..n)
            .into_par_iter()
            .with_max_len(1)
            .map(one)
            .reduce(|| 0, u64::wrapping_add)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::popcount::and_popcount;
    use crate::testutil::{report_skipped, SplitMix};

    #[test]
    fn read_all_is_the_popcount_of_every_word_on_any_path_and_thread_count() {
        let mut rng = SplitMix(11);
        for n in [0usize, 1, 7, 8, 9, 63, 64, 1000, 4099] {
            let words: Vec<u64> = (0..n).map(|_| rng.next()).collect();
            let want: u64 = words.iter().map(|w| w.count_ones() as u64).sum();
            for level in Level::supported() {
                for t in [Threads(1), Threads(2), Threads(3), Threads(0)] {
                    assert_eq!(read_all(&words, level, t), want, "n={n} {level} {t:?}");
                }
            }
        }
    }

    #[test]
    fn l1_loop_counts_reps_passes_on_every_thread() {
        for level in crate::simd::ALL_LEVELS {
            if !level.is_supported() {
                report_skipped("roofline", level);
                continue;
            }
            for t in [Threads(1), Threads(2), Threads(3)] {
                let pass: u64 = (0..t.count())
                    .map(|i| {
                        let (a, b) = operands(i);
                        and_popcount(&a, &b, Level::Scalar)
                    })
                    .sum();
                assert!(pass > 0);
                for reps in [0usize, 1, 5] {
                    assert_eq!(
                        and_popcount_l1(reps, level, t),
                        reps as u64 * pass,
                        "{level} {t:?} reps={reps}"
                    );
                }
            }
        }
    }
}
