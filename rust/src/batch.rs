//! Batched counts: one layer, `B` input vectors, every vector encoded with the same seed.
//!
//! `counts[b, o] = sum_{i,w} popcount(W[o, i, w] & X_b[i, w])`, row `b` bit-identical to
//! [`crate::sc::sc_counts`] of vector `b`. A single call reads every weight word once per input
//! vector (memory bound); here each weight word is loaded once per tile of [`ROWS`] vectors and
//! kept in a register for [`ROWS`] AND + popcounts, while the tile's input words are reused for
//! [`OUTS`] outputs, so the kernel runs at the AND + popcount rate of the core:
//!
//! * the words `k` are cut into chunks of at most [`chunk_words`] words: one chunk of every
//!   weight row (`n_out * chunk` words) stays in L2 while a task's input rows pass over it, and
//!   the chunk of a tile's [`ROWS`] input rows (at most 16 KiB) stays in L1;
//! * the micro-kernel keeps `ROWS x OUTS` accumulators in registers (16 `zmm` on AVX-512;
//!   the AVX2 path runs the single-vector AVX2 kernel on each pair of a tile, from cache);
//! * the `(B, n_out)` result is cut into blocks of rows and outputs, one rayon task each.

use rayon::prelude::*;

use crate::encode::{encode_inputs_into, n_words};
use crate::sc::{Threads, PAR_MIN_WORDS};
use crate::simd::Level;

#[cfg(target_arch = "x86_64")]
use crate::popcount::and_popcount_unchecked;
#[cfg(target_arch = "x86_64")]
use crate::simd::has_popcnt;

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Input vectors per register tile.
pub const ROWS: usize = 4;
/// Outputs per register tile.
pub const OUTS: usize = 4;
/// Largest chunk of words: a tile's `ROWS` input rows of it fill 16 KiB of L1.
const MAX_CHUNK: usize = 512;
/// Budget of the weight chunk of every output, which stays in L2 (1 MiB of words).
const L2_WORDS: usize = 1 << 17;

/// Words per chunk for `n_out` outputs: a multiple of 8 in `[64, MAX_CHUNK]`.
pub fn chunk_words(n_out: usize) -> usize {
    (L2_WORDS / n_out.max(1)).clamp(64, MAX_CHUNK) & !7
}

/// The contract's counts for `n_rows` input vectors: int64 `(n_rows, n_out)` row-major.
///
/// `probs` is `(n_rows, n_in)` row-major, already checked (finite, in `[0, 1]`); `weights` is
/// `(n_out, n_in, n_words(length))` in C order. Every row is encoded with `seed`, so row `b`
/// equals `sc::sc_counts` of `probs[b]` with that seed.
///
/// # Panics
/// If the lengths disagree or the CPU cannot run `level`.
#[allow(clippy::too_many_arguments)]
pub fn sc_counts_batch(
    weights: &[u64],
    n_out: usize,
    probs: &[f64],
    n_rows: usize,
    length: usize,
    seed: u64,
    level: Level,
    threads: Threads,
) -> Vec<i64> {
    if n_rows == 0 {
        assert!(probs.is_empty(), "probs must be (n_rows, n_in)");
        return Vec::new();
    }
    let n_in = probs.len() / n_rows;
    assert_eq!(probs.len(), n_rows * n_in, "probs must be (n_rows, n_in)");
    let k_len = n_in * n_words(length);
    assert_eq!(
        weights.len(),
        n_out * k_len,
        "weights must be (n_out, n_in, n_words)"
    );
    let mut inputs = vec![0u64; n_rows * k_len];
    let parallel = parallel(threads, n_rows * weights.len());
    let encode_row = |(row, p): (&mut [u64], &[f64])| {
        encode_inputs_into(p, length, seed, row, level);
    };
    if k_len == 0 {
        return vec![0i64; n_rows * n_out];
    }
    if parallel {
        threads.install(|| {
            inputs
                .par_chunks_mut(k_len)
                .zip(probs.par_chunks(n_in))
                .for_each(encode_row)
        });
    } else {
        inputs
            .chunks_mut(k_len)
            .zip(probs.chunks(n_in))
            .for_each(encode_row);
    }
    let mut counts = vec![0i64; n_rows * n_out];
    and_popcount_batch(weights, &inputs, n_out, &mut counts, level, threads);
    counts
}

fn parallel(threads: Threads, work: usize) -> bool {
    threads.0 != 1 && threads.count() > 1 && work >= PAR_MIN_WORDS
}

/// `counts[b * n_out + o] = sum_k popcount(weights[o * k_len + k] & inputs[b * k_len + k])`,
/// with `k_len = weights.len() / n_out` and `B = counts.len() / n_out`.
///
/// # Panics
/// If the lengths disagree or the CPU cannot run `level`.
pub fn and_popcount_batch(
    weights: &[u64],
    inputs: &[u64],
    n_out: usize,
    counts: &mut [i64],
    level: Level,
    threads: Threads,
) {
    assert!(
        level.is_supported(),
        "kernel path {level} is not supported by this CPU"
    );
    if n_out == 0 {
        assert!(counts.is_empty(), "counts must be (B, n_out)");
        return;
    }
    let n_rows = counts.len() / n_out;
    assert_eq!(counts.len(), n_rows * n_out, "counts must be (B, n_out)");
    let k_len = weights.len() / n_out;
    assert_eq!(
        weights.len(),
        n_out * k_len,
        "weights must be (n_out, k_len)"
    );
    assert_eq!(inputs.len(), n_rows * k_len, "inputs must be (B, k_len)");
    if k_len == 0 || n_rows == 0 {
        counts.fill(0);
        return;
    }
    if n_rows == 1 {
        // one vector reuses nothing: the single-vector kernel streams the weights best
        crate::sc::and_popcount_rows(weights, inputs, counts, level, threads);
        return;
    }
    let job = Job {
        weights,
        inputs,
        k_len,
        level,
    };
    if !parallel(threads, n_rows * weights.len()) {
        job.block(0..n_rows, 0..n_out, counts, n_out);
        return;
    }
    // Blocks of whole tiles, about 4 per thread; rows first (each row block reads all weights
    // from L3 once), outputs too when there are too few rows to go round.
    let tasks = 4 * threads.count();
    let row_tiles = n_rows.div_ceil(ROWS);
    let out_tiles = n_out.div_ceil(OUTS);
    let row_blocks = row_tiles.min(tasks);
    let out_blocks = out_tiles.min(tasks.div_ceil(row_blocks));
    let rows_per = row_tiles.div_ceil(row_blocks) * ROWS;
    let outs_per = out_tiles.div_ceil(out_blocks) * OUTS;
    let blocks: Vec<(usize, usize)> = (0..n_rows)
        .step_by(rows_per)
        .flat_map(|b| (0..n_out).step_by(outs_per).map(move |o| (b, o)))
        .collect();
    let results: Vec<Vec<i64>> = threads.install(|| {
        blocks
            .par_iter()
            .map(|&(b, o)| {
                let (rows, outs) = (b..(b + rows_per).min(n_rows), o..(o + outs_per).min(n_out));
                let mut out = vec![0i64; rows.len() * outs.len()];
                job.block(rows, outs.clone(), &mut out, outs.len());
                out
            })
            .collect()
    });
    for (&(b, o), out) in blocks.iter().zip(&results) {
        let width = (o + outs_per).min(n_out) - o;
        for (r, line) in out.chunks_exact(width).enumerate() {
            counts[(b + r) * n_out + o..][..width].copy_from_slice(line);
        }
    }
}

/// The operands of one batched AND-popcount.
struct Job<'a> {
    weights: &'a [u64],
    inputs: &'a [u64],
    k_len: usize,
    level: Level,
}

impl Job<'_> {
    /// Counts of `rows x outs` into `out` (row-major, row stride `stride`), chunk by chunk.
    fn block(
        &self,
        rows: std::ops::Range<usize>,
        outs: std::ops::Range<usize>,
        out: &mut [i64],
        stride: usize,
    ) {
        let chunk = chunk_words(outs.len());
        let mut acc = vec![0u64; rows.len() * outs.len()];
        let width = outs.len();
        for k0 in (0..self.k_len).step_by(chunk) {
            let n = chunk.min(self.k_len - k0);
            let mut b = rows.start;
            while b < rows.end {
                let rb = if rows.end - b >= ROWS { ROWS } else { 1 };
                let mut o = outs.start;
                while o < outs.end {
                    let ro = if outs.end - o >= OUTS { OUTS } else { 1 };
                    let tile = self.tile(b, rb, o, ro, k0, n);
                    for r in 0..rb {
                        for j in 0..ro {
                            acc[(b - rows.start + r) * width + (o - outs.start + j)] += tile[r][j];
                        }
                    }
                    o += ro;
                }
                b += rb;
            }
        }
        for (r, line) in acc.chunks_exact(width.max(1)).enumerate() {
            for (j, &c) in line.iter().enumerate() {
                out[r * stride + j] = c as i64;
            }
        }
    }

    /// The `rb x ro` tile (each 1 or 4) at rows `b..`, outputs `o..`, words `k0..k0 + n`;
    /// entries past `rb` rows or `ro` outputs are zero.
    fn tile(&self, b: usize, rb: usize, o: usize, ro: usize, k0: usize, n: usize) -> Tile {
        let mut xs: [&[u64]; ROWS] = [&[]; ROWS];
        let mut ws: [&[u64]; OUTS] = [&[]; OUTS];
        for (r, x) in xs.iter_mut().enumerate().take(rb) {
            *x = &self.inputs[(b + r) * self.k_len + k0..][..n];
        }
        for (j, w) in ws.iter_mut().enumerate().take(ro) {
            *w = &self.weights[(o + j) * self.k_len + k0..][..n];
        }
        // SAFETY: `and_popcount_batch` checked that the CPU supports the level; the first
        // `rb` / `ro` slices all hold `n` words.
        unsafe {
            match (rb, ro) {
                (ROWS, OUTS) => kernel::<ROWS, OUTS>(&xs, &ws, n, self.level),
                (ROWS, _) => kernel::<ROWS, 1>(&xs, &ws, n, self.level),
                (_, OUTS) => kernel::<1, OUTS>(&xs, &ws, n, self.level),
                _ => kernel::<1, 1>(&xs, &ws, n, self.level),
            }
        }
    }
}

/// Sum of one full `ROWS x OUTS` register tile of [`kernel`] on kernel path `level`: every
/// pair `(xs[r], ws[j])` ANDed and counted over `n` words (the compute roofline's inner loop,
/// [`crate::roofline::and_popcount_l1`], is this micro-kernel on L1-resident operands).
///
/// # Safety
/// The CPU supports `level`; every slice of `xs` and `ws` holds at least `n` words.
pub(crate) unsafe fn tile_sum(
    xs: &[&[u64]; ROWS],
    ws: &[&[u64]; OUTS],
    n: usize,
    level: Level,
) -> u64 {
    kernel::<ROWS, OUTS>(xs, ws, n, level)
        .iter()
        .flatten()
        .fold(0u64, |a, &b| a.wrapping_add(b))
}

/// Counts of one register tile: `tile[r][j] = sum_k popcount(xs[r][k] & ws[j][k])`.
type Tile = [[u64; OUTS]; ROWS];

/// The tile kernel of `level`.
///
/// # Safety
/// The CPU supports `level`; `xs[..RB]` and `ws[..RO]` hold `n` words each.
#[inline(always)]
unsafe fn kernel<const RB: usize, const RO: usize>(
    xs: &[&[u64]; ROWS],
    ws: &[&[u64]; OUTS],
    n: usize,
    level: Level,
) -> Tile {
    match level {
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => tile_avx512::<RB, RO>(xs, ws, n),
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => tile_avx2::<RB, RO>(xs, ws, n),
        _ => tile_scalar::<RB, RO>(xs, ws, n),
    }
}

/// The portable tile: `u64::count_ones` on `RB x RO` scalar accumulators.
#[inline(always)]
fn tile_plain<const RB: usize, const RO: usize>(
    xs: &[&[u64]; ROWS],
    ws: &[&[u64]; OUTS],
    n: usize,
) -> Tile {
    let mut acc = [[0u64; OUTS]; ROWS];
    let x: [&[u64]; RB] = std::array::from_fn(|r| &xs[r][..n]);
    let w: [&[u64]; RO] = std::array::from_fn(|j| &ws[j][..n]);
    for k in 0..n {
        let mut wk = [0u64; RO];
        for j in 0..RO {
            wk[j] = w[j][k];
        }
        for r in 0..RB {
            let xv = x[r][k];
            for j in 0..RO {
                acc[r][j] += (xv & wk[j]).count_ones() as u64;
            }
        }
    }
    acc
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
unsafe fn tile_popcnt<const RB: usize, const RO: usize>(
    xs: &[&[u64]; ROWS],
    ws: &[&[u64]; OUTS],
    n: usize,
) -> Tile {
    tile_plain::<RB, RO>(xs, ws, n)
}

/// The scalar path: the portable tile, compiled with `popcnt` when the CPU has it.
fn tile_scalar<const RB: usize, const RO: usize>(
    xs: &[&[u64]; ROWS],
    ws: &[&[u64]; OUTS],
    n: usize,
) -> Tile {
    #[cfg(target_arch = "x86_64")]
    if has_popcnt() {
        // SAFETY: popcnt detected.
        return unsafe { tile_popcnt::<RB, RO>(xs, ws, n) };
    }
    tile_plain::<RB, RO>(xs, ws, n)
}

/// The AVX2 path: the single-vector AVX2 kernel (nibble look-up popcount) on each pair of the
/// tile; its operands come from L1 and L2, where a single call streams the weights from memory.
///
/// # Safety
/// The CPU supports AVX2; `xs[..RB]` and `ws[..RO]` hold `n` words each.
#[cfg(target_arch = "x86_64")]
unsafe fn tile_avx2<const RB: usize, const RO: usize>(
    xs: &[&[u64]; ROWS],
    ws: &[&[u64]; OUTS],
    n: usize,
) -> Tile {
    let mut out = [[0u64; OUTS]; ROWS];
    for r in 0..RB {
        for j in 0..RO {
            out[r][j] = and_popcount_unchecked(&xs[r][..n], &ws[j][..n], Level::Avx2);
        }
    }
    out
}

/// The AVX-512 path: 8 words per `vpopcntq`, `RB x RO` vector accumulators (16 of 32 `zmm` for
/// a 4 x 4 tile), each weight vector loaded once for `RB` rows, a masked load for the tail.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
unsafe fn tile_avx512<const RB: usize, const RO: usize>(
    xs: &[&[u64]; ROWS],
    ws: &[&[u64]; OUTS],
    n: usize,
) -> Tile {
    let mut px = [std::ptr::null::<i64>(); ROWS];
    let mut pw = [std::ptr::null::<i64>(); OUTS];
    for r in 0..RB {
        px[r] = xs[r].as_ptr() as *const i64;
    }
    for j in 0..RO {
        pw[j] = ws[j].as_ptr() as *const i64;
    }
    let mut acc = [[_mm512_setzero_si512(); RO]; RB];
    let mut wv = [_mm512_setzero_si512(); RO];
    let mut k = 0usize;
    while k + 8 <= n {
        for j in 0..RO {
            wv[j] = _mm512_loadu_epi64(pw[j].add(k));
        }
        for r in 0..RB {
            let xv = _mm512_loadu_epi64(px[r].add(k));
            for j in 0..RO {
                let c = _mm512_popcnt_epi64(_mm512_and_si512(xv, wv[j]));
                acc[r][j] = _mm512_add_epi64(acc[r][j], c);
            }
        }
        k += 8;
    }
    if k < n {
        let m: __mmask8 = ((1u32 << (n - k)) - 1) as __mmask8;
        for j in 0..RO {
            wv[j] = _mm512_maskz_loadu_epi64(m, pw[j].add(k));
        }
        for r in 0..RB {
            let xv = _mm512_maskz_loadu_epi64(m, px[r].add(k));
            for j in 0..RO {
                let c = _mm512_popcnt_epi64(_mm512_and_si512(xv, wv[j]));
                acc[r][j] = _mm512_add_epi64(acc[r][j], c);
            }
        }
    }
    let mut out = [[0u64; OUTS]; ROWS];
    for r in 0..RB {
        for j in 0..RO {
            out[r][j] = _mm512_reduce_add_epi64(acc[r][j]) as u64;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sc::sc_counts;
    use crate::simd::ALL_LEVELS;
    use crate::testutil::{naive, report_skipped, SplitMix};

    fn levels() -> Vec<Level> {
        ALL_LEVELS
            .iter()
            .copied()
            .filter(|&l| {
                if !l.is_supported() {
                    report_skipped("sc_counts_batch", l);
                }
                l.is_supported()
            })
            .collect()
    }

    /// Row by row with the single-vector engine (itself tested against the naive model).
    fn stacked(
        w: &[u64],
        n_out: usize,
        probs: &[f64],
        n_rows: usize,
        length: usize,
        seed: u64,
    ) -> Vec<i64> {
        let n_in = probs.len() / n_rows;
        (0..n_rows)
            .flat_map(|b| {
                let p = &probs[b * n_in..(b + 1) * n_in];
                sc_counts(w, n_out, p, length, seed, Level::Scalar, Threads(1))
            })
            .collect()
    }

    #[test]
    fn golden_counts() {
        for level in levels() {
            for threads in [Threads(1), Threads(2), Threads(0)] {
                let w = vec![u64::MAX; 3];
                let p = [0.5, 0.25, 0.75, 0.5, 0.25, 0.75];
                assert_eq!(
                    sc_counts_batch(&w, 1, &p, 2, 64, 0xACE1, level, threads),
                    vec![95, 95]
                );
                let w = vec![u64::MAX; 2 * 2];
                let c = sc_counts_batch(&w, 2, &[1.0, 0.0], 2, 100, 0xACE1, level, threads);
                assert_eq!(c, vec![100, 100, 0, 0]); // padding bits of the weights never count
                assert_eq!(
                    sc_counts_batch(&[], 0, &[0.5, 0.5], 2, 64, 1, level, threads),
                    Vec::<i64>::new()
                );
                assert_eq!(
                    sc_counts_batch(&[], 3, &[], 2, 64, 1, level, threads),
                    vec![0; 6]
                );
                assert_eq!(
                    sc_counts_batch(&[], 3, &[], 0, 64, 1, level, threads),
                    Vec::<i64>::new()
                );
            }
        }
    }

    #[test]
    fn rows_equal_single_calls_and_the_naive_model() {
        let mut rng = SplitMix(18);
        for level in levels() {
            for case in 0..120 {
                let n_out = rng.below(10) as usize;
                let n_in = rng.below(7) as usize;
                let n_rows = 1 + rng.below(10) as usize;
                let length = match case % 3 {
                    0 => 64 * (1 + rng.below(5) as usize),
                    1 => 1 + rng.below(700) as usize,
                    _ => 64 * 64 * n_in.max(1) + 1 + rng.below(63) as usize, // chunks + tail
                };
                let nw = n_words(length);
                let seed = [0u64, 0xFFFF, 0xFFFE, u64::MAX, rng.next()][rng.below(5) as usize];
                let probs: Vec<f64> = (0..n_rows * n_in).map(|_| rng.prob()).collect();
                let w: Vec<u64> = (0..n_out * n_in * nw)
                    .map(|_| rng.sparse_or_dense())
                    .collect();
                let want = stacked(&w, n_out, &probs, n_rows, length, seed);
                for threads in [Threads(1), Threads(2)] {
                    let got =
                        sc_counts_batch(&w, n_out, &probs, n_rows, length, seed, level, threads);
                    assert_eq!(
                        got, want,
                        "{level} {threads:?} B={n_rows} n_out={n_out} \
                                           n_in={n_in} L={length}"
                    );
                }
                if case % 20 == 0 && n_out > 0 && n_in > 0 && length < 800 {
                    let nested: Vec<Vec<Vec<u64>>> = (0..n_out)
                        .map(|o| {
                            (0..n_in)
                                .map(|i| w[(o * n_in + i) * nw..][..nw].to_vec())
                                .collect()
                        })
                        .collect();
                    let row0 = naive::counts(&nested, &probs[..n_in], length, seed);
                    assert_eq!(&want[..n_out], &row0[..], "{level} naive");
                }
            }
        }
    }

    #[test]
    fn threaded_blocks_equal_sequential_on_a_large_problem() {
        // > PAR_MIN_WORDS word-ANDs, row and output counts not multiples of the tile,
        // words not a multiple of the chunk
        let (n_out, n_in, length, n_rows) = (37, 9, 64 * 130 + 17, 45);
        let nw = n_words(length);
        let mut rng = SplitMix(6);
        let w: Vec<u64> = (0..n_out * n_in * nw).map(|_| rng.next()).collect();
        assert!(n_rows * w.len() >= PAR_MIN_WORDS);
        let probs: Vec<f64> = (0..n_rows * n_in).map(|_| rng.prob()).collect();
        let want = stacked(&w, n_out, &probs, n_rows, length, 9);
        for level in levels() {
            for t in [Threads(1), Threads(2), Threads(3), Threads(0)] {
                let got = sc_counts_batch(&w, n_out, &probs, n_rows, length, 9, level, t);
                assert_eq!(got, want, "{level} {t:?}");
            }
        }
        // one row: the single-vector kernel
        let got = sc_counts_batch(
            &w,
            n_out,
            &probs[..n_in],
            1,
            length,
            9,
            Level::Scalar,
            Threads(2),
        );
        assert_eq!(got, want[..n_out]);
    }

    #[test]
    fn few_rows_split_the_outputs_across_blocks() {
        let (n_out, n_in, length, n_rows) = (203, 40, 64 * 40 + 3, 2);
        let nw = n_words(length);
        let mut rng = SplitMix(8);
        let w: Vec<u64> = (0..n_out * n_in * nw).map(|_| rng.next()).collect();
        assert!(n_rows * w.len() >= PAR_MIN_WORDS);
        let probs: Vec<f64> = (0..n_rows * n_in).map(|_| rng.prob()).collect();
        let want = stacked(&w, n_out, &probs, n_rows, length, 3);
        for t in [Threads(2), Threads(3)] {
            let got = sc_counts_batch(&w, n_out, &probs, n_rows, length, 3, Level::Scalar, t);
            assert_eq!(got, want, "{t:?}");
        }
    }

    #[test]
    fn chunks_are_whole_vectors_within_the_caches() {
        for n_out in [0, 1, 7, 128, 255, 256, 1000, 1 << 20] {
            let c = chunk_words(n_out);
            assert!(
                c.is_multiple_of(8) && (64..=MAX_CHUNK).contains(&c),
                "n_out={n_out}: {c}"
            );
        }
        assert_eq!(chunk_words(128), MAX_CHUNK);
    }
}
