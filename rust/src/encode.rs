//! Stochastic number generation: probabilities -> LFSR-compared, packed 64-bit streams.
//!
//! Bit `t` of a stream is `state_t < x`, where `state_0` is the stream's seed. The states of one
//! word are 64 consecutive entries of the padded orbit table ([`Orbit`]), so a word is one
//! 64-lane unsigned 16-bit compare: no per-bit loop, no LFSR stepping.

use crate::lfsr::{Orbit, PERIOD_USIZE};
use crate::simd::Level;

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Thresholds are `round_half_even(p * SCALE)` clipped to `[0, SCALE]`.
pub const SCALE: u32 = 1 << 16;

/// Number of 64-bit words that hold `length` bits: `ceil(length / 64)`.
#[inline]
pub fn n_words(length: usize) -> usize {
    length.div_ceil(64)
}

/// Comparator threshold `clip(round_half_even(p * 65536), 0, 65536)` (NumPy's `rint`).
///
/// `p * 65536` is exact in binary floating point, so this equals NumPy's value bit for bit.
/// NaN maps to 0 (callers validate first).
#[inline]
pub fn threshold(p: f64) -> u32 {
    let v = (p * SCALE as f64).round_ties_even();
    if v >= SCALE as f64 {
        SCALE
    } else if v > 0.0 {
        v as u32
    } else {
        0
    }
}

/// Seed of stream `i`: `(seed + i) & 0xFFFF`, with 0 replaced by 1.
#[inline]
pub fn input_seed(seed: u64, i: usize) -> u16 {
    let s = (seed.wrapping_add(i as u64) & 0xFFFF) as u16;
    if s == 0 {
        1
    } else {
        s
    }
}

/// Mask of the valid bits of the last word of a `length`-bit stream.
#[inline]
pub fn tail_mask(length: usize) -> u64 {
    match length % 64 {
        0 => u64::MAX,
        r => (1u64 << r) - 1,
    }
}

/// Encode one stream: threshold `x` (in `[0, 65536]`), nonzero LFSR seed, into `out`
/// (`out.len() == n_words(length)`); bits past `length` are zero.
///
/// # Panics
/// If `seed == 0`, `out` has the wrong length, or the CPU cannot run `level`.
pub fn encode_stream(x: u32, seed: u16, length: usize, out: &mut [u64], level: Level) {
    assert!(seed != 0, "LFSR seed must be nonzero");
    assert_eq!(
        out.len(),
        n_words(length),
        "output must hold ceil(length/64) words"
    );
    assert!(
        level.is_supported(),
        "kernel path {level} is not supported by this CPU"
    );
    // SAFETY: checked above.
    unsafe { encode_stream_unchecked(x, seed, length, out, level) }
}

/// [`encode_stream`] without the checks.
///
/// # Safety
/// `seed != 0`, `out.len() == n_words(length)` and the CPU supports `level`.
pub unsafe fn encode_stream_unchecked(
    x: u32,
    seed: u16,
    length: usize,
    out: &mut [u64],
    level: Level,
) {
    if out.is_empty() {
        return;
    }
    if x == 0 {
        out.fill(0);
    } else if x >= SCALE {
        out.fill(u64::MAX); // every state (at most 0xFFFF) is below 65536
    } else {
        let orbit = Orbit::get();
        let start = orbit.position(seed);
        let x16 = x as u16;
        match level {
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => words_avx512(&orbit.states, start, x16, out),
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => words_avx2(&orbit.states, start, x16, out),
            _ => words_scalar(&orbit.states, start, x16, out),
        }
    }
    let last = out.len() - 1;
    out[last] &= tail_mask(length);
}

#[inline(always)]
fn next_pos(pos: usize) -> usize {
    let p = pos + 64;
    if p >= PERIOD_USIZE {
        p - PERIOD_USIZE
    } else {
        p
    }
}

fn words_scalar(states: &[u16], start: usize, x: u16, out: &mut [u64]) {
    // (8 bytes of 0/1, little-endian) * MAGIC gathers byte j's bit at bit 56 + j, no carries
    const MAGIC: u64 = 0x0102_0408_1020_4080;
    let mut pos = start;
    for word in out.iter_mut() {
        let s: &[u16; 64] = states[pos..pos + 64].try_into().unwrap();
        // a branch-free compare into bytes (the compiler vectorises this with baseline SIMD)
        let mut lt = [0u8; 64];
        for (b, &v) in lt.iter_mut().zip(s.iter()) {
            *b = (v < x) as u8;
        }
        let mut w = 0u64;
        for (k, eight) in lt.chunks_exact(8).enumerate() {
            let v = u64::from_le_bytes(eight.try_into().unwrap());
            w |= (v.wrapping_mul(MAGIC) >> 56) << (8 * k);
        }
        *word = w;
        pos = next_pos(pos);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn words_avx512(states: &[u16], start: usize, x: u16, out: &mut [u64]) {
    debug_assert!(states.len() >= PERIOD_USIZE + 63);
    let xv = _mm512_set1_epi16(x as i16);
    let base = states.as_ptr();
    let mut pos = start;
    for word in out.iter_mut() {
        // pos < PERIOD and the table is padded by 64: both loads stay in bounds
        let p = base.add(pos);
        let lo = _mm512_loadu_epi16(p as *const i16);
        let hi = _mm512_loadu_epi16(p.add(32) as *const i16);
        let mlo = _mm512_cmplt_epu16_mask(lo, xv) as u64;
        let mhi = _mm512_cmplt_epu16_mask(hi, xv) as u64;
        *word = mlo | (mhi << 32);
        pos = next_pos(pos);
    }
}

/// Lanes where `v < xm1 + 1` (unsigned 16-bit): all ones, else zero.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn lt_avx2(v: __m256i, xm1: __m256i) -> __m256i {
    _mm256_cmpeq_epi16(_mm256_min_epu16(v, xm1), v)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn words_avx2(states: &[u16], start: usize, x: u16, out: &mut [u64]) {
    debug_assert!(states.len() >= PERIOD_USIZE + 63);
    // v < x  <=>  min(v, x - 1) == v   (x >= 1 here)
    let xm1 = _mm256_set1_epi16((x - 1) as i16);
    let base = states.as_ptr();
    let mut pos = start;
    for word in out.iter_mut() {
        let p = base.add(pos) as *const __m256i;
        let a = lt_avx2(_mm256_loadu_si256(p), xm1);
        let b = lt_avx2(_mm256_loadu_si256(p.add(1)), xm1);
        let c = lt_avx2(_mm256_loadu_si256(p.add(2)), xm1);
        let d = lt_avx2(_mm256_loadu_si256(p.add(3)), xm1);
        // packs interleaves 128-bit lanes (a0-7 b0-7 | a8-15 b8-15); 0xD8 restores the order
        let ab = _mm256_permute4x64_epi64::<0xD8>(_mm256_packs_epi16(a, b));
        let cd = _mm256_permute4x64_epi64::<0xD8>(_mm256_packs_epi16(c, d));
        let lo = _mm256_movemask_epi8(ab) as u32 as u64;
        let hi = _mm256_movemask_epi8(cd) as u32 as u64;
        *word = lo | (hi << 32);
        pos = next_pos(pos);
    }
}

/// Encode `probs` (already checked: finite, in `[0, 1]`) into `out`, row `i` holding stream
/// `i` (`out.len() == probs.len() * n_words(length)`).
///
/// # Panics
/// If `out` has the wrong length or the CPU cannot run `level`.
pub fn encode_inputs_into(probs: &[f64], length: usize, seed: u64, out: &mut [u64], level: Level) {
    let nw = n_words(length);
    assert_eq!(
        out.len(),
        probs.len() * nw,
        "output must hold n_in * ceil(length/64) words"
    );
    assert!(
        level.is_supported(),
        "kernel path {level} is not supported by this CPU"
    );
    if nw == 0 {
        return;
    }
    for (i, (row, &p)) in out.chunks_exact_mut(nw).zip(probs).enumerate() {
        // SAFETY: sizes and features checked above; input_seed is never 0.
        unsafe { encode_stream_unchecked(threshold(p), input_seed(seed, i), length, row, level) };
    }
}

/// Encoded inputs as a new row-major `(n_in, n_words(length))` buffer.
pub fn encode_inputs(probs: &[f64], length: usize, seed: u64, level: Level) -> Vec<u64> {
    let mut out = vec![0u64; probs.len() * n_words(length)];
    encode_inputs_into(probs, length, seed, &mut out, level);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lfsr::PERIOD;
    use crate::simd::ALL_LEVELS;
    use crate::testutil::{naive, report_skipped, SplitMix};

    fn levels(what: &str) -> Vec<Level> {
        ALL_LEVELS
            .iter()
            .copied()
            .filter(|&l| {
                if !l.is_supported() {
                    report_skipped(what, l);
                }
                l.is_supported()
            })
            .collect()
    }

    #[test]
    fn thresholds_round_half_to_even() {
        assert_eq!(threshold(0.0), 0);
        assert_eq!(threshold(1.0), 65536);
        assert_eq!(threshold(0.5), 32768);
        assert_eq!(threshold(1.0 / 131072.0), 0); // 0.5 -> 0
        assert_eq!(threshold(3.0 / 131072.0), 2); // 1.5 -> 2
        assert_eq!(threshold(5.0 / 131072.0), 2); // 2.5 -> 2
        assert_eq!(threshold(f64::MIN_POSITIVE), 0);
        assert_eq!(threshold(1.0 - f64::EPSILON / 2.0), 65536);
        let mut rng = SplitMix(11);
        for _ in 0..100_000 {
            let p = rng.prob();
            assert_eq!(threshold(p), naive::threshold(p), "p={p}");
        }
    }

    #[test]
    fn input_seeds_wrap_and_skip_zero() {
        assert_eq!(input_seed(0xACE1, 0), 0xACE1);
        assert_eq!(input_seed(0xFFFF, 0), 0xFFFF);
        assert_eq!(input_seed(0xFFFF, 1), 1);
        assert_eq!(input_seed(0xFFFF, 2), 1);
        assert_eq!(input_seed(0, 0), 1);
        assert_eq!(input_seed(u64::MAX, 1), 1);
        assert_eq!(input_seed(u64::MAX, 3), 2);
        assert_eq!(input_seed(0x1_0000_0005, 0), 5);
    }

    #[test]
    fn golden_vectors() {
        for level in levels("encoder") {
            let mut w = [0u64; 1];
            encode_stream(threshold(0.5), 0xACE1, 64, &mut w, level);
            assert_eq!(w[0], 0x2f38174455d878ca, "{level}");
            encode_stream(threshold(0.25), 0xACE2, 64, &mut w, level);
            assert_eq!(w[0], 0xc009083019c81840, "{level}");
            encode_stream(threshold(0.75), 0xACE3, 64, &mut w, level);
            assert_eq!(w[0], 0xfff7fb7e0ffc3cef, "{level}");
            let x = encode_inputs(&[0.5, 0.25, 0.75], 64, 0xACE1, level);
            assert_eq!(
                x,
                vec![0x2f38174455d878ca, 0xc009083019c81840, 0xfff7fb7e0ffc3cef]
            );
        }
    }

    #[test]
    fn full_period_has_x_minus_one_ones() {
        let length = PERIOD as usize;
        let mut out = vec![0u64; n_words(length)];
        for level in levels("encoder") {
            for &x in &[1u32, 2, 3, 100, 32768, 65534, 65535, 65536] {
                for &seed in &[1u16, 0xACE1, 0xFFFF] {
                    encode_stream(x, seed, length, &mut out, level);
                    let ones: u64 = out.iter().map(|w| w.count_ones() as u64).sum();
                    assert_eq!(ones, x as u64 - 1, "{level} x={x} seed={seed:#x}");
                }
            }
            encode_stream(0, 7, length, &mut out, level);
            assert!(out.iter().all(|&w| w == 0));
        }
    }

    #[test]
    fn matches_naive_per_bit_model() {
        let mut rng = SplitMix(2024);
        for level in levels("encoder") {
            for case in 0..400 {
                let n = rng.below(6) as usize;
                let length = match case % 4 {
                    0 => 64 * (1 + rng.below(4) as usize),
                    1 => 1 + rng.below(200) as usize,
                    2 => 65535 - 40 + rng.below(200) as usize, // across the period wrap
                    _ => 1 + rng.below(3000) as usize,
                };
                let seed = match rng.below(4) {
                    0 => 0xFFFF - rng.below(4),
                    1 => rng.below(3),
                    2 => u64::MAX - rng.below(4),
                    _ => rng.next(),
                };
                let probs: Vec<f64> = (0..n).map(|_| rng.prob()).collect();
                let got = encode_inputs(&probs, length, seed, level);
                let want: Vec<u64> = naive::encode(&probs, length, seed).concat();
                assert_eq!(
                    got, want,
                    "{level} probs={probs:?} length={length} seed={seed}"
                );
            }
        }
    }
}
