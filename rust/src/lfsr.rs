//! The contract's 16-bit Fibonacci LFSR (x^16 + x^14 + x^13 + x^11 + 1, shifting left).
//!
//! Besides single steps this module holds the GF(2) jump-ahead (the step is linear over GF(2),
//! so `k` steps are one 16x16 bit-matrix power) and the orbit table: the whole period from
//! state 1, which turns "the state `t` steps after `s`" into one table look-up.

use std::sync::OnceLock;

/// Default base seed of the input encoder.
pub const DEFAULT_SEED: u16 = 0xACE1;
/// Period of the LFSR: every nonzero state once.
pub const PERIOD: u32 = 65535;
/// `PERIOD` as a `usize`, for indexing.
pub const PERIOD_USIZE: usize = PERIOD as usize;
/// Extra orbit entries stored past the period so that any 64 consecutive states are one slice.
pub const ORBIT_PAD: usize = 64;

/// One step: `fb = (r>>15 ^ r>>13 ^ r>>12 ^ r>>10) & 1; r' = (r << 1 | fb) & 0xFFFF`.
///
/// State 0 is the lock-up state and maps to 0.
#[inline]
pub fn step(r: u16) -> u16 {
    let fb = ((r >> 15) ^ (r >> 13) ^ (r >> 12) ^ (r >> 10)) & 1;
    (r << 1) | fb
}

/// The first `n` states from `seed`: `out[0] == seed`, `out[t + 1] == step(out[t])`.
pub fn sequence(seed: u16, n: usize) -> Vec<u16> {
    let mut out = vec![0u16; n];
    sequence_into(seed, &mut out);
    out
}

/// Fill `out` with the states from `seed` (`out[0] == seed`).
pub fn sequence_into(seed: u16, out: &mut [u16]) {
    if seed == 0 {
        out.fill(0);
        return;
    }
    let orbit = Orbit::get();
    let mut pos = orbit.position(seed);
    let mut done = 0;
    while done < out.len() {
        let take = (PERIOD_USIZE - pos).min(out.len() - done);
        out[done..done + take].copy_from_slice(&orbit.states[pos..pos + take]);
        done += take;
        pos = 0;
    }
}

/// A GF(2) 16x16 matrix stored by columns: `cols[j]` is the image of the state `1 << j`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JumpMatrix {
    /// Column images; a state `r` maps to the XOR of `cols[j]` over the bits `j` set in `r`.
    pub cols: [u16; 16],
}

impl JumpMatrix {
    /// The identity (zero steps).
    pub fn identity() -> Self {
        let mut cols = [0u16; 16];
        for (j, c) in cols.iter_mut().enumerate() {
            *c = 1 << j;
        }
        JumpMatrix { cols }
    }

    /// The matrix of one step.
    pub fn one_step() -> Self {
        let mut cols = [0u16; 16];
        for (j, c) in cols.iter_mut().enumerate() {
            *c = step(1 << j);
        }
        JumpMatrix { cols }
    }

    /// Apply the matrix to a state.
    #[inline]
    pub fn apply(&self, r: u16) -> u16 {
        let mut out = 0u16;
        for (j, &c) in self.cols.iter().enumerate() {
            // branch-free: the mask is all ones when bit j of r is set
            out ^= c & 0u16.wrapping_sub((r >> j) & 1);
        }
        out
    }

    /// The product `self * other` (apply `other` first, then `self`).
    pub fn compose(&self, other: &JumpMatrix) -> JumpMatrix {
        let mut cols = [0u16; 16];
        for (c, &o) in cols.iter_mut().zip(other.cols.iter()) {
            *c = self.apply(o);
        }
        JumpMatrix { cols }
    }

    /// The matrix that advances a state by `k` steps (`k` reduced modulo the period).
    pub fn power(k: u64) -> JumpMatrix {
        let mut k = k % PERIOD as u64;
        let mut result = JumpMatrix::identity();
        let mut base = JumpMatrix::one_step();
        while k != 0 {
            if k & 1 == 1 {
                result = base.compose(&result);
            }
            base = base.compose(&base);
            k >>= 1;
        }
        result
    }
}

/// Advance `state` by `k` steps at once (GF(2) matrix power); equal to `k` calls of [`step`].
pub fn jump(state: u16, k: u64) -> u16 {
    JumpMatrix::power(k).apply(state)
}

/// The whole period from state 1 and its inverse.
pub struct Orbit {
    /// `states[t]` is the state `t` steps after 1, for `t < PERIOD + ORBIT_PAD` (the last
    /// `ORBIT_PAD` entries repeat the first ones).
    pub states: Vec<u16>,
    /// `index[s]` is the position of the nonzero state `s` in `states` (`index[0]` is unused).
    pub index: Vec<u32>,
}

impl Orbit {
    /// The process-wide table (built once, ~0.3 MiB).
    pub fn get() -> &'static Orbit {
        static ORBIT: OnceLock<Orbit> = OnceLock::new();
        ORBIT.get_or_init(|| {
            let mut states = Vec::with_capacity(PERIOD_USIZE + ORBIT_PAD);
            let mut index = vec![u32::MAX; 1 << 16];
            let mut r: u16 = 1;
            for t in 0..PERIOD_USIZE {
                states.push(r);
                index[r as usize] = t as u32;
                r = step(r);
            }
            for t in 0..ORBIT_PAD {
                states.push(states[t]);
            }
            Orbit { states, index }
        })
    }

    /// Position of a nonzero state in the orbit.
    #[inline]
    pub fn position(&self, state: u16) -> usize {
        debug_assert!(state != 0, "state 0 is not on the orbit");
        self.index[state as usize] as usize
    }

    /// The `PERIOD` states of one period, from state 1.
    pub fn period(&self) -> &[u16] {
        &self.states[..PERIOD_USIZE]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_period_visits_every_nonzero_state_once() {
        let mut seen = vec![false; 1 << 16];
        let mut r = DEFAULT_SEED;
        for _ in 0..PERIOD {
            assert!(!seen[r as usize], "state {r:#06x} repeated");
            seen[r as usize] = true;
            r = step(r);
        }
        assert_eq!(r, DEFAULT_SEED);
        assert!(!seen[0]);
    }

    #[test]
    fn zero_is_lock_up() {
        assert_eq!(step(0), 0);
        assert_eq!(jump(0, 12345), 0);
        assert_eq!(sequence(0, 5), vec![0; 5]);
    }

    #[test]
    fn jump_equals_stepping() {
        let seeds = [1u16, 2, 0xACE1, 0xFFFF, 0x8000, 0x1234];
        let ks: [u64; 12] = [
            0,
            1,
            2,
            3,
            63,
            64,
            1000,
            65534,
            65535,
            65536,
            200_001,
            u64::MAX,
        ];
        for &s in &seeds {
            for &k in &ks {
                let mut r = s;
                for _ in 0..(k % PERIOD as u64) {
                    r = step(r);
                }
                assert_eq!(jump(s, k), r, "seed {s:#06x} k {k}");
            }
        }
        // every k in a window, by stepping alongside
        let mut r = 0xACE1u16;
        for k in 0..3000u64 {
            assert_eq!(jump(0xACE1, k), r, "k {k}");
            r = step(r);
        }
    }

    #[test]
    fn jump_matrix_composes() {
        let a = JumpMatrix::power(1234);
        let b = JumpMatrix::power(4321);
        assert_eq!(a.compose(&b), JumpMatrix::power(5555));
        assert_eq!(JumpMatrix::power(PERIOD as u64), JumpMatrix::identity());
    }

    #[test]
    fn orbit_and_sequence_match_stepping() {
        let orbit = Orbit::get();
        assert_eq!(orbit.states.len(), PERIOD_USIZE + ORBIT_PAD);
        assert_eq!(orbit.states[0], 1);
        for t in 0..PERIOD_USIZE + ORBIT_PAD - 1 {
            assert_eq!(orbit.states[t + 1], step(orbit.states[t]));
        }
        for s in 1..=0xFFFFu16 {
            assert_eq!(orbit.states[orbit.position(s)], s);
        }
        let seq = sequence(0xFFFE, 2 * PERIOD_USIZE + 7);
        let mut r = 0xFFFEu16;
        for (t, &v) in seq.iter().enumerate() {
            assert_eq!(v, r, "t {t}");
            r = step(r);
        }
    }
}
