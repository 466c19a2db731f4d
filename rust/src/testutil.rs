//! Helpers shared by the unit tests: a seeded generator, a naive per-bit model, skip notices.

use std::io::Write;

use crate::simd::Level;

/// SplitMix64: a small seeded generator, so every test run sees the same cases.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A word that is random, all zeros, all ones or sparse.
    pub fn sparse_or_dense(&mut self) -> u64 {
        match self.below(4) {
            0 => 0,
            1 => u64::MAX,
            2 => self.next() & self.next() & self.next(),
            _ => self.next(),
        }
    }

    /// A probability in [0, 1]: often an edge value, else random.
    pub fn prob(&mut self) -> f64 {
        match self.below(8) {
            0 => 0.0,
            1 => 1.0,
            2 => 1.0 / 131072.0,
            3 => 3.0 / 131072.0,
            4 => (self.below(65537) as f64) / 65536.0,
            5 => (self.below(131073) as f64) / 131072.0, // exact halves: ties to even
            _ => (self.next() >> 11) as f64 / (1u64 << 53) as f64,
        }
    }
}

/// Say on the real stderr (not captured by the test harness) that a path was not tested.
pub fn report_skipped(what: &str, level: Level) {
    let _ = writeln!(
        std::io::stderr(),
        "note: {what}: skipped kernel path {level} (this CPU lacks {})",
        level.features()
    );
}

/// The contract, one bit at a time, written from the spec with no shared code.
pub mod naive {
    pub fn step(r: u16) -> u16 {
        let r = r as u32;
        let fb = ((r >> 15) ^ (r >> 13) ^ (r >> 12) ^ (r >> 10)) & 1;
        (((r << 1) | fb) & 0xFFFF) as u16
    }

    pub fn threshold(p: f64) -> u32 {
        let v = p * 65536.0;
        let lo = v.floor();
        let frac = v - lo;
        let mut x = lo as i64;
        if frac > 0.5 || (frac == 0.5 && x % 2 == 1) {
            x += 1;
        }
        x.clamp(0, 65536) as u32
    }

    pub fn input_seed(seed: u64, i: usize) -> u16 {
        let s = ((seed as u128 + i as u128) & 0xFFFF) as u16;
        if s == 0 {
            1
        } else {
            s
        }
    }

    pub fn stream(p: f64, seed: u16, length: usize) -> Vec<u64> {
        let x = threshold(p);
        let mut words = vec![0u64; length.div_ceil(64)];
        let mut r = seed;
        for t in 0..length {
            if (r as u32) < x {
                words[t / 64] |= 1 << (t % 64);
            }
            r = step(r);
        }
        words
    }

    pub fn encode(probs: &[f64], length: usize, seed: u64) -> Vec<Vec<u64>> {
        probs
            .iter()
            .enumerate()
            .map(|(i, &p)| stream(p, input_seed(seed, i), length))
            .collect()
    }

    /// `weights[o][i][w]`.
    pub fn counts(weights: &[Vec<Vec<u64>>], probs: &[f64], length: usize, seed: u64) -> Vec<i64> {
        let x = encode(probs, length, seed);
        weights
            .iter()
            .map(|row| {
                let mut total = 0i64;
                for (i, words) in row.iter().enumerate() {
                    for (w, &word) in words.iter().enumerate() {
                        let v = word & x[i][w];
                        for bit in 0..64 {
                            total += ((v >> bit) & 1) as i64;
                        }
                    }
                }
                total
            })
            .collect()
    }
}
