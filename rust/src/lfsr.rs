//! The contract's 16-bit Fibonacci LFSR (x^16 + x^14 + x^13 + x^11 + 1, shifting left).

/// Default base seed of the input encoder.
pub const DEFAULT_SEED: u16 = 0xACE1;
/// Period of the LFSR: every nonzero state once.
pub const PERIOD: u32 = 65535;

/// One step: `fb = (r>>15 ^ r>>13 ^ r>>12 ^ r>>10) & 1; r' = (r << 1 | fb) & 0xFFFF`.
#[inline]
pub fn step(r: u16) -> u16 {
    let fb = ((r >> 15) ^ (r >> 13) ^ (r >> 12) ^ (r >> 10)) & 1;
    (r << 1) | fb
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
}
