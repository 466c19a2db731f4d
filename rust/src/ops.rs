//! Packed-bitstream operations (AND, XNOR, NOT, MUX, pack, unpack) with padding bits kept zero.
//!
//! Operands are flat row-major buffers whose last axis has `nw` words; the ops that take a
//! `length` clear the bits past it in the last word of every row.

use crate::encode::tail_mask;

/// Clear the bits past `length` in the last word of every `nw`-word row of `out`.
fn mask_tails(out: &mut [u64], nw: usize, length: usize) {
    let mask = tail_mask(length);
    if mask == u64::MAX || nw == 0 {
        return;
    }
    for row in out.chunks_exact_mut(nw) {
        row[nw - 1] &= mask;
    }
}

/// `out = a & b`.
///
/// # Panics
/// If the lengths differ.
pub fn and_into(a: &[u64], b: &[u64], out: &mut [u64]) {
    assert!(
        a.len() == b.len() && a.len() == out.len(),
        "operands differ in length"
    );
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = x & y;
    }
}

/// `out = !(a ^ b)`, padding cleared (`nw` words per row, `length` bits per stream).
pub fn xnor_into(a: &[u64], b: &[u64], out: &mut [u64], nw: usize, length: usize) {
    assert!(
        a.len() == b.len() && a.len() == out.len(),
        "operands differ in length"
    );
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = !(x ^ y);
    }
    mask_tails(out, nw, length);
}

/// `out = !a`, padding cleared.
pub fn not_into(a: &[u64], out: &mut [u64], nw: usize, length: usize) {
    assert_eq!(a.len(), out.len(), "operands differ in length");
    for (o, &x) in out.iter_mut().zip(a) {
        *o = !x;
    }
    mask_tails(out, nw, length);
}

/// `out = (sel & a) | (!sel & b)`, padding cleared.
pub fn mux_into(sel: &[u64], a: &[u64], b: &[u64], out: &mut [u64], nw: usize, length: usize) {
    assert!(
        sel.len() == a.len() && a.len() == b.len() && a.len() == out.len(),
        "operands differ in length"
    );
    for (((o, &s), &x), &y) in out.iter_mut().zip(sel).zip(a).zip(b) {
        *o = (s & x) | (!s & y);
    }
    mask_tails(out, nw, length);
}

/// Pack rows of `n` bits (one byte each, nonzero = 1) LSB first: `bits` is `(rows, n)`, `out`
/// is `(rows, ceil(n / 64))`, padding zero.
pub fn pack_bits(bits: &[u8], n: usize, out: &mut [u64]) {
    let nw = n.div_ceil(64);
    if nw == 0 {
        assert!(
            out.is_empty() && bits.is_empty(),
            "bits/out shapes disagree"
        );
        return;
    }
    let rows = out.len() / nw;
    assert_eq!(out.len(), rows * nw, "out must be (rows, ceil(n/64))");
    assert_eq!(bits.len(), rows * n, "bits must be (rows, n)");
    // (8 bytes of 0/1, little-endian) * MAGIC puts byte j's bit at bit 56 + j, with no carries
    const MAGIC: u64 = 0x0102_0408_1020_4080;
    for (src, dst) in bits.chunks_exact(n).zip(out.chunks_exact_mut(nw)) {
        for (w, word) in dst.iter_mut().enumerate() {
            let chunk = &src[w * 64..((w + 1) * 64).min(n)];
            let mut acc = 0u64;
            let full = chunk.len() / 8;
            for k in 0..full {
                let eight: [u8; 8] = chunk[8 * k..8 * k + 8].try_into().unwrap();
                // normalise to 0/1 per byte first (nonzero -> 1)
                let mut v = u64::from_le_bytes(eight);
                v = (v
                    | (v >> 1)
                    | (v >> 2)
                    | (v >> 3)
                    | (v >> 4)
                    | (v >> 5)
                    | (v >> 6)
                    | (v >> 7))
                    & 0x0101_0101_0101_0101;
                acc |= (v.wrapping_mul(MAGIC) >> 56) << (8 * k);
            }
            for (j, &b) in chunk.iter().enumerate().skip(8 * full) {
                acc |= ((b != 0) as u64) << j;
            }
            *word = acc;
        }
    }
}

/// Unpack rows of packed words into one byte per bit (0 or 1): `words` is
/// `(rows, ceil(length / 64))`, `out` is `(rows, length)`.
pub fn unpack_bits(words: &[u64], length: usize, out: &mut [u8]) {
    let nw = length.div_ceil(64);
    if nw == 0 {
        assert!(out.is_empty(), "out must be empty for length 0");
        return;
    }
    let rows = words.len() / nw;
    assert_eq!(
        words.len(),
        rows * nw,
        "words must be (rows, ceil(length/64))"
    );
    assert_eq!(out.len(), rows * length, "out must be (rows, length)");
    // SPREAD[b] holds bit j of b in byte j (little-endian)
    static SPREAD: std::sync::OnceLock<[u64; 256]> = std::sync::OnceLock::new();
    let spread = SPREAD.get_or_init(|| {
        let mut t = [0u64; 256];
        for (b, e) in t.iter_mut().enumerate() {
            for j in 0..8 {
                *e |= (((b >> j) & 1) as u64) << (8 * j);
            }
        }
        t
    });
    for (src, dst) in words.chunks_exact(nw).zip(out.chunks_exact_mut(length)) {
        for (t8, chunk) in dst.chunks_mut(8).enumerate() {
            let byte = (src[t8 / 8] >> (8 * (t8 % 8))) & 0xFF;
            let bytes = spread[byte as usize].to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::SplitMix;

    #[test]
    fn pack_unpack_round_trip_and_layout() {
        let mut rng = SplitMix(9);
        for n in (0usize..200).chain([1000, 4097]) {
            let rows = 3;
            let bits: Vec<u8> = (0..rows * n).map(|_| (rng.below(2)) as u8).collect();
            let nw = n.div_ceil(64);
            let mut packed = vec![0u64; rows * nw];
            pack_bits(&bits, n, &mut packed);
            for r in 0..rows {
                for t in 0..nw * 64 {
                    let bit = (packed[r * nw + t / 64] >> (t % 64)) & 1;
                    let want = if t < n { bits[r * n + t] as u64 } else { 0 };
                    assert_eq!(bit, want, "n={n} r={r} t={t}");
                }
            }
            let mut back = vec![7u8; rows * n];
            unpack_bits(&packed, n, &mut back);
            assert_eq!(back, bits, "n={n}");
        }
        // nonzero bytes count as 1
        let mut w = [0u64; 1];
        pack_bits(&[2, 0, 255, 1, 0, 0, 0, 128, 3], 9, &mut w);
        assert_eq!(w[0], 0b1_1000_1101);
    }

    #[test]
    fn logic_ops_clear_padding() {
        let a = [u64::MAX, 0x0F0F, 0, 0xFF00];
        let b = [0u64, 0x00FF, 0, 0xF0F0];
        let mut out = [0u64; 4];
        and_into(&a, &b, &mut out);
        assert_eq!(out, [0, 0x000F, 0, 0xF000]);
        // two rows of 2 words, length 70: the last word of each row keeps 6 bits
        xnor_into(&a, &b, &mut out, 2, 70);
        assert_eq!(
            out,
            [
                0,
                !(0x0F0Fu64 ^ 0x00FF) & 0x3F,
                u64::MAX,
                !(0xFF00u64 ^ 0xF0F0) & 0x3F
            ]
        );
        not_into(&a, &mut out, 2, 70);
        assert_eq!(out, [0, !0x0F0Fu64 & 0x3F, u64::MAX, !0xFF00u64 & 0x3F]);
        let c = [0x1111u64, 0x2222, 0x3333, 0x4444];
        mux_into(&a, &b, &c, &mut out, 2, 128);
        let want: Vec<u64> = (0..4).map(|k| (a[k] & b[k]) | (!a[k] & c[k])).collect();
        assert_eq!(out.to_vec(), want);
        assert_eq!(out, [0, 0x000F | 0x2020, 0x3333, 0xF000 | 0x0044]);
    }
}
