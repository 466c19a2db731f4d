//! Popcount kernels over packed u64 words: plain, and AND-then-popcount, on every [`Level`].

use crate::simd::{has_popcnt, Level};

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// `sum_k popcount(a[k] & b[k])` on the given level.
///
/// # Panics
/// If `a.len() != b.len()`, or if the CPU cannot run `level` (check [`Level::is_supported`]).
#[inline]
pub fn and_popcount(a: &[u64], b: &[u64], level: Level) -> u64 {
    assert_eq!(a.len(), b.len(), "and_popcount operands differ in length");
    assert!(
        level.is_supported(),
        "kernel path {level} is not supported by this CPU"
    );
    // SAFETY: the level's CPU features were checked above (the check is a cached atomic load).
    unsafe { and_popcount_unchecked(a, b, level) }
}

/// [`and_popcount`] without the checks.
///
/// # Safety
/// `a.len() == b.len()` and the CPU supports `level`.
#[inline]
pub unsafe fn and_popcount_unchecked(a: &[u64], b: &[u64], level: Level) -> u64 {
    match level {
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => and_popcount_avx512(a, b),
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => and_popcount_avx2(a, b),
        _ => and_popcount_scalar(a, b),
    }
}

/// `sum_k popcount(a[k])` on the given level (the AND kernel with `a` as both operands: the
/// second load hits L1, and the streamed operand gets the same prefetching and alignment).
///
/// # Panics
/// If the CPU cannot run `level`.
pub fn popcount(a: &[u64], level: Level) -> u64 {
    and_popcount(a, a, level)
}

// Bytes ahead of the current position at which the weight stream `a` is prefetched, per path
// (tuned on W2, 98 MiB streamed from DRAM; the hardware prefetcher alone left the scalar and
// AVX2 loops far below the read bandwidth).
const PREFETCH_SCALAR: usize = 8192;
const PREFETCH_AVX2: usize = 16384;
const PREFETCH_AVX512: usize = 8192;

/// Hint the cache to fetch the line at `p` (never faults, even past the end of a slice).
#[inline(always)]
fn prefetch(p: *const u64) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetch is a hint (SSE, part of x86-64's baseline); it never dereferences.
    unsafe {
        _mm_prefetch::<_MM_HINT_T0>(p as *const i8)
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Words before `a[k]` sits on a 64-byte (cache-line) boundary, at most `a.len()`.
///
/// NumPy's large arrays are only 16-byte aligned: without this peel every 64-byte AVX-512 load
/// (and every other AVX2 load) of the streamed weights would straddle two cache lines.
#[inline(always)]
fn head_to_line(a: &[u64]) -> usize {
    let misalign = (a.as_ptr() as usize) % 64;
    let words = if misalign.is_multiple_of(8) {
        ((64 - misalign) % 64) / 8
    } else {
        0
    };
    words.min(a.len())
}

#[inline(always)]
fn and_popcount_plain(a: &[u64], b: &[u64]) -> u64 {
    // one cache line (8 words) at a time, prefetching `a` (the streamed weights) ahead
    let mut total = 0u64;
    let mut chunks_a = a.chunks_exact(8);
    let mut chunks_b = b.chunks_exact(8);
    for (ca, cb) in (&mut chunks_a).zip(&mut chunks_b) {
        prefetch(ca.as_ptr().wrapping_add(PREFETCH_SCALAR / 8));
        for (&x, &y) in ca.iter().zip(cb) {
            total += (x & y).count_ones() as u64;
        }
    }
    let rest: u64 = chunks_a
        .remainder()
        .iter()
        .zip(chunks_b.remainder())
        .map(|(&x, &y)| (x & y).count_ones() as u64)
        .sum();
    total + rest
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
unsafe fn and_popcount_popcnt(a: &[u64], b: &[u64]) -> u64 {
    and_popcount_plain(a, b)
}

/// The scalar path: `count_ones`, compiled with `popcnt` when the CPU has it.
pub fn and_popcount_scalar(a: &[u64], b: &[u64]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if has_popcnt() {
        // SAFETY: popcnt detected.
        return unsafe { and_popcount_popcnt(a, b) };
    }
    and_popcount_plain(a, b)
}

// ---------------------------------------------------------------------------------------------
// AVX-512: vpopcntq on 8 words at a time, 4 independent accumulators, a masked load for the tail.

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
unsafe fn and_popcount_avx512(a: &[u64], b: &[u64]) -> u64 {
    let head = head_to_line(a);
    let peeled = and_popcount_plain(&a[..head], &b[..head]);
    let (a, b) = (&a[head..], &b[head..]);
    let n = a.len();
    let pa = a.as_ptr() as *const i64;
    let pb = b.as_ptr() as *const i64;
    let mut acc0 = _mm512_setzero_si512();
    let mut acc1 = _mm512_setzero_si512();
    let mut acc2 = _mm512_setzero_si512();
    let mut acc3 = _mm512_setzero_si512();
    let mut i = 0usize;
    while i + 32 <= n {
        // 256 bytes per step: prefetch the four cache lines of `a` that far ahead
        let ahead = (pa.add(i) as *const u64).wrapping_add(PREFETCH_AVX512 / 8);
        prefetch(ahead);
        prefetch(ahead.wrapping_add(8));
        prefetch(ahead.wrapping_add(16));
        prefetch(ahead.wrapping_add(24));
        let w0 = _mm512_and_si512(_mm512_loadu_epi64(pa.add(i)), _mm512_loadu_epi64(pb.add(i)));
        let w1 = _mm512_and_si512(
            _mm512_loadu_epi64(pa.add(i + 8)),
            _mm512_loadu_epi64(pb.add(i + 8)),
        );
        let w2 = _mm512_and_si512(
            _mm512_loadu_epi64(pa.add(i + 16)),
            _mm512_loadu_epi64(pb.add(i + 16)),
        );
        let w3 = _mm512_and_si512(
            _mm512_loadu_epi64(pa.add(i + 24)),
            _mm512_loadu_epi64(pb.add(i + 24)),
        );
        acc0 = _mm512_add_epi64(acc0, _mm512_popcnt_epi64(w0));
        acc1 = _mm512_add_epi64(acc1, _mm512_popcnt_epi64(w1));
        acc2 = _mm512_add_epi64(acc2, _mm512_popcnt_epi64(w2));
        acc3 = _mm512_add_epi64(acc3, _mm512_popcnt_epi64(w3));
        i += 32;
    }
    while i + 8 <= n {
        let w = _mm512_and_si512(_mm512_loadu_epi64(pa.add(i)), _mm512_loadu_epi64(pb.add(i)));
        acc0 = _mm512_add_epi64(acc0, _mm512_popcnt_epi64(w));
        i += 8;
    }
    if i < n {
        let m: __mmask8 = ((1u32 << (n - i)) - 1) as __mmask8;
        let w = _mm512_and_si512(
            _mm512_maskz_loadu_epi64(m, pa.add(i)),
            _mm512_maskz_loadu_epi64(m, pb.add(i)),
        );
        acc1 = _mm512_add_epi64(acc1, _mm512_popcnt_epi64(w));
    }
    let sum = _mm512_add_epi64(_mm512_add_epi64(acc0, acc1), _mm512_add_epi64(acc2, acc3));
    peeled + _mm512_reduce_add_epi64(sum) as u64
}

// ---------------------------------------------------------------------------------------------
// AVX2: per byte, popcount = LUT[low nibble] + LUT[high nibble] (vpshufb); byte counts are
// summed for at most 31 vectors (31 * 8 < 256) and then widened with vpsadbw.

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn nibble_count(v: __m256i) -> __m256i {
    let lut = _mm256_setr_epi8(
        0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, //
        0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
    );
    let low = _mm256_set1_epi8(0x0f);
    let lo = _mm256_and_si256(v, low);
    let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(v), low);
    _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn hsum_epi64(v: __m256i) -> u64 {
    let mut lanes = [0u64; 4];
    _mm256_storeu_si256(lanes.as_mut_ptr() as *mut __m256i, v);
    lanes.iter().sum()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn and_count_at(pa: *const __m256i, pb: *const __m256i, k: usize) -> __m256i {
    nibble_count(_mm256_and_si256(
        _mm256_loadu_si256(pa.add(k)),
        _mm256_loadu_si256(pb.add(k)),
    ))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn and_popcount_avx2(a: &[u64], b: &[u64]) -> u64 {
    let head = head_to_line(a);
    let peeled = and_popcount_plain(&a[..head], &b[..head]);
    let (a, b) = (&a[head..], &b[head..]);
    let n = a.len();
    let pa = a.as_ptr() as *const __m256i;
    let pb = b.as_ptr() as *const __m256i;
    let vectors = n / 4;
    let zero = _mm256_setzero_si256();
    let mut total = zero;
    let mut v = 0usize;
    // four byte accumulators, each fed at most 31 vectors per block (31 * 8 < 256)
    while v < vectors {
        let block = (vectors - v).min(4 * 31);
        let (mut c0, mut c1, mut c2, mut c3) = (zero, zero, zero, zero);
        let mut j = v;
        let end = v + block;
        while j + 4 <= end {
            // 128 bytes per step: prefetch both cache lines
            let ahead = (pa.add(j) as *const u64).wrapping_add(PREFETCH_AVX2 / 8);
            prefetch(ahead);
            prefetch(ahead.wrapping_add(8));
            c0 = _mm256_add_epi8(c0, and_count_at(pa, pb, j));
            c1 = _mm256_add_epi8(c1, and_count_at(pa, pb, j + 1));
            c2 = _mm256_add_epi8(c2, and_count_at(pa, pb, j + 2));
            c3 = _mm256_add_epi8(c3, and_count_at(pa, pb, j + 3));
            j += 4;
        }
        while j < end {
            c0 = _mm256_add_epi8(c0, and_count_at(pa, pb, j));
            j += 1;
        }
        let c01 = _mm256_add_epi64(_mm256_sad_epu8(c0, zero), _mm256_sad_epu8(c1, zero));
        let c23 = _mm256_add_epi64(_mm256_sad_epu8(c2, zero), _mm256_sad_epu8(c3, zero));
        total = _mm256_add_epi64(total, _mm256_add_epi64(c01, c23));
        v = end;
    }
    let tail = vectors * 4;
    peeled + hsum_epi64(total) + and_popcount_plain(&a[tail..], &b[tail..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::ALL_LEVELS;
    use crate::testutil::{report_skipped, SplitMix};

    fn naive(a: &[u64], b: &[u64]) -> u64 {
        let mut total = 0;
        for (&x, &y) in a.iter().zip(b) {
            let w = x & y;
            for bit in 0..64 {
                total += (w >> bit) & 1;
            }
        }
        total
    }

    #[test]
    fn portable_fallback_without_popcnt_matches() {
        // the code the scalar path runs on a CPU without the popcnt instruction
        let mut rng = SplitMix(3);
        for n in 0..100 {
            let a: Vec<u64> = (0..n).map(|_| rng.next()).collect();
            let b: Vec<u64> = (0..n).map(|_| rng.sparse_or_dense()).collect();
            assert_eq!(and_popcount_plain(&a, &b), naive(&a, &b));
        }
    }

    #[test]
    fn every_supported_path_matches_a_per_bit_count() {
        let mut rng = SplitMix(0x5EED);
        for level in ALL_LEVELS {
            if !level.is_supported() {
                report_skipped("popcount", level);
                continue;
            }
            // every length up to 300 (all tails of every block size), then a few long ones
            let lens: Vec<usize> = (0..300).chain([1000, 4096, 4133, 31 * 4 * 3 + 5]).collect();
            for n in lens {
                let a: Vec<u64> = (0..n).map(|_| rng.next()).collect();
                let b: Vec<u64> = (0..n).map(|_| rng.sparse_or_dense()).collect();
                let want = naive(&a, &b);
                assert_eq!(and_popcount(&a, &b, level), want, "{level} n={n}");
                assert_eq!(popcount(&a, level), naive(&a, &a), "{level} n={n}");
            }
            // every start alignment (the SIMD paths peel words up to a cache-line boundary)
            let buf_a: Vec<u64> = (0..400).map(|_| rng.next()).collect();
            let buf_b: Vec<u64> = (0..400).map(|_| rng.sparse_or_dense()).collect();
            for off in 0..9 {
                for n in [0usize, 1, 5, 7, 8, 9, 31, 32, 33, 100, 391 - off] {
                    let (a, b) = (&buf_a[off..off + n], &buf_b[off + 1..off + 1 + n]);
                    assert_eq!(
                        and_popcount(a, b, level),
                        naive(a, b),
                        "{level} off={off} n={n}"
                    );
                    assert_eq!(popcount(a, level), naive(a, a), "{level} off={off} n={n}");
                }
            }
            // saturation: all ones (the AVX2 byte counters must not overflow)
            let ones = vec![u64::MAX; 4 * 31 * 5 + 3];
            assert_eq!(
                and_popcount(&ones, &ones, level),
                64 * ones.len() as u64,
                "{level}"
            );
            assert_eq!(popcount(&ones, level), 64 * ones.len() as u64, "{level}");
        }
    }
}
