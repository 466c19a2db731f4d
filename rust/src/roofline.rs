//! Measured rooflines of this CPU (timed by the caller, `sctb bench`): the all-core read of a
//! buffer, and the AND + popcount peak: the batch kernel's register tile (each loaded word
//! serves several AND + popcounts, so loads do not bound it) on data that stays in L1.
//!
//! Both functions return a value that depends on every word they touched, so the compiler
//! cannot drop the work; the caller divides the bytes (or words) by its wall time.

use rayon::prelude::*;

use crate::batch::{tile_sum, OUTS, ROWS};
use crate::popcount::and_popcount_unchecked;
use crate::sc::Threads;
use crate::simd::Level;

/// Words per operand vector of the L1-resident tile: `ROWS + OUTS` vectors of 2 KiB each
/// (16 KiB: any x86 L1d holds them), long enough that the tile's final reductions are noise.
const VECTOR_WORDS: usize = 256;

/// Word pairs ANDed and counted by one pass of [`and_popcount_l1`]: every one of the tile's
/// `ROWS x OUTS` pairs of vectors over [`VECTOR_WORDS`] words.
pub const L1_WORDS: usize = ROWS * OUTS * VECTOR_WORDS;

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

/// The operands of thread `t` of [`and_popcount_l1`]: `ROWS` input and `OUTS` weight vectors
/// of [`VECTOR_WORDS`] pseudo-random words each.
fn operands(t: usize) -> (Vec<Vec<u64>>, Vec<Vec<u64>>) {
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (t as u64);
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut vector = || (0..VECTOR_WORDS).map(|_| next()).collect::<Vec<u64>>();
    let xs = (0..ROWS).map(|_| vector()).collect();
    let ws = (0..OUTS).map(|_| vector()).collect();
    (xs, ws)
}

/// The AND + popcount peak loop: `reps` passes on each thread of `threads`, each pass the batch
/// kernel's `ROWS x OUTS` register tile (kernel path `level`) over L1-resident vectors, i.e.
/// [`L1_WORDS`] word pairs ANDed and counted. Returns the total count over all threads; the
/// word pairs processed are `threads.count() * reps * L1_WORDS`.
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
        let (xv, wv) = operands(t);
        let xs: [&[u64]; ROWS] = std::array::from_fn(|r| &xv[r][..]);
        let ws: [&[u64]; OUTS] = std::array::from_fn(|j| &wv[j][..]);
        let mut total = 0u64;
        for _ in 0..reps {
            // black_box: each pass must really run (its result is not loop-invariant to LLVM)
            let (xs, ws) = (std::hint::black_box(&xs), std::hint::black_box(&ws));
            // SAFETY: every vector holds VECTOR_WORDS words; the level was checked above.
            total = total.wrapping_add(unsafe { tile_sum(xs, ws, VECTOR_WORDS, level) });
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
                // one pass = every (input, weight) pair of the tile, counted naively
                let pass: u64 = (0..t.count())
                    .map(|i| {
                        let (xs, ws) = operands(i);
                        xs.iter()
                            .flat_map(|x| ws.iter().map(move |w| and_popcount(x, w, Level::Scalar)))
                            .sum::<u64>()
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
