//! Unit tests of the LIF kernels: the contract's examples, all-counts checks, properties.
use super::*;
use crate::simd::ALL_LEVELS;
use crate::testutil::{report_skipped, SplitMix};

const Q: [i16; 9] = [i16::MIN, -32767, -257, -256, -1, 0, 1, 256, i16::MAX];

/// The contract in `i64` with explicit floors and branches (no code shared with the kernels).
mod naive {
    use super::super::LifParams;

    fn floor_div(a: i64, b: i64) -> i64 {
        let q = a / b; // truncates toward zero
        if a % b != 0 && (a < 0) != (b < 0) {
            q - 1
        } else {
            q
        }
    }

    pub fn current(count: i64, n_in: i64, y_min: i16, y_max: i16) -> i64 {
        y_min as i64 + floor_div((y_max as i64 - y_min as i64) * count, n_in)
    }

    /// `(v, ref, spike)` after one step.
    pub fn lif(v: i64, r: i64, cur: i64, noise: i64, p: &LifParams) -> (i64, i64, bool) {
        if r > 0 {
            return (p.v_reset as i64, r - 1, false);
        }
        let d_leak = floor_div((p.v_rest as i64 - v) * p.leak as i64, 256);
        let d_in = floor_div(cur * p.gain as i64, 256);
        let s = v + d_leak + d_in + noise;
        assert!(s.abs() < 1 << 23, "the contract's 24-bit sum bound");
        let s = s.clamp(-32768, 32767);
        if s >= p.v_th as i64 {
            (p.v_reset as i64, p.refractory as i64, true)
        } else {
            (s, 0, false)
        }
    }
}

fn q88(rng: &mut SplitMix) -> i16 {
    if rng.below(3) == 0 {
        Q[rng.below(Q.len() as u64) as usize]
    } else {
        rng.next() as i16
    }
}

fn params(rng: &mut SplitMix) -> LifParams {
    LifParams {
        v_rest: q88(rng),
        v_reset: q88(rng),
        v_th: q88(rng),
        leak: [0, 1, 255, 256, rng.below(257) as u16][rng.below(5) as usize],
        gain: q88(rng),
        refractory: [0, 1, 2, 3, u16::MAX][rng.below(5) as usize],
    }
}

fn p0() -> LifParams {
    LifParams {
        v_rest: 0,
        v_reset: 0,
        v_th: i16::MAX,
        leak: 0,
        gain: 256,
        refractory: 0,
    }
}

/// The kernel paths this CPU runs (the others are reported, not tested).
fn levels() -> Vec<Level> {
    for level in ALL_LEVELS {
        if !level.is_supported() {
            report_skipped("neuron", level);
        }
    }
    Level::supported()
}

/// One step of one neuron through the public kernel, the same on every supported path.
fn step1(v: i16, r: u16, cur: i16, noise: i16, p: &LifParams) -> (i16, u16, bool) {
    let got: Vec<(i16, u16, bool)> = levels()
        .into_iter()
        .map(|level| {
            let (mut v, mut r, mut s) = ([v], [r], [false]);
            lif_step(&mut v, &mut r, &[cur], Some(&[noise]), p, &mut s, level);
            (v[0], r[0], s[0])
        })
        .collect();
    assert!(got.iter().all(|g| *g == got[0]), "paths disagree: {got:?}");
    got[0]
}

/// `lif_run` on fresh copies, the same on every supported path: `(v, ref, spikes, trace)`.
fn run(
    v: &[i16],
    r: &[u16],
    cur: &[i16],
    noise: Option<&[i16]>,
    p: &LifParams,
    threads: Threads,
) -> (Vec<i16>, Vec<u16>, Vec<bool>, Vec<i16>) {
    let want = run_on(Level::Scalar, v, r, cur, noise, p, threads);
    for level in levels() {
        let got = run_on(level, v, r, cur, noise, p, threads);
        assert!(got == want, "{level} differs from scalar ({threads:?})");
    }
    want
}

fn run_on(
    level: Level,
    v: &[i16],
    r: &[u16],
    cur: &[i16],
    noise: Option<&[i16]>,
    p: &LifParams,
    threads: Threads,
) -> (Vec<i16>, Vec<u16>, Vec<bool>, Vec<i16>) {
    let (mut v, mut r) = (v.to_vec(), r.to_vec());
    let steps = cur.len().checked_div(v.len()).unwrap_or(0);
    let mut spikes = vec![false; cur.len()];
    let mut trace = vec![0i16; cur.len()];
    lif_run(
        &mut v,
        &mut r,
        cur,
        noise,
        p,
        steps,
        &mut spikes,
        &mut trace,
        level,
        threads,
    );
    (v, r, spikes, trace)
}

// ------------------------------------------------------------------- count to current

#[test]
fn current_worked_examples() {
    // 65535 * k / 4 over the full range: a 16-bit difference would wrap to -1
    let mut out = [0i16; 5];
    dot_to_current(&[0, 1, 2, 3, 4], 4, i16::MIN, i16::MAX, &mut out).unwrap();
    assert_eq!(out, [-32768, -16385, -1, 16383, 32767]);
    // floor(-1 / 3) = -1, not the truncation 0
    assert_eq!(current(1, 3, 0, -1), -1);
    assert_eq!(current(2, 3, 0, -2), -2);
    // a falling map: endpoints exact, monotone non-increasing
    let n_in = 7;
    let got: Vec<i16> = (0..=n_in).map(|k| current(k, n_in, 256, -256)).collect();
    assert_eq!(got[0], 256);
    assert_eq!(got[7], -256);
    assert!(got.windows(2).all(|w| w[1] <= w[0]));
    assert_eq!(got, [256, 182, 109, 36, -37, -110, -183, -256]);
    // the 48-bit product at n_in = 2**31 - 1
    let n = N_IN_MAX;
    for c in [0, 1, n / 2, n - 1, n] {
        assert_eq!(
            current(c, n, i16::MIN, i16::MAX) as i64,
            naive::current(c, n, i16::MIN, i16::MAX)
        );
    }
    assert_eq!(current(n, n, i16::MIN, i16::MAX), i16::MAX);
    assert_eq!(current(n - 1, n, i16::MAX, i16::MIN), i16::MIN);
}

#[test]
fn current_refuses_bad_arguments() {
    let mut out = [0i16; 2];
    assert_eq!(
        dot_to_current(&[0, 5], 4, 0, 256, &mut out),
        Err("counts must lie in [0, 4], got 5 at index 1".into())
    );
    assert_eq!(
        dot_to_current(&[-1, 0], 4, 0, 256, &mut out),
        Err("counts must lie in [0, 4], got -1 at index 0".into())
    );
    assert_eq!(
        dot_to_current(&[0, 0], 0, 0, 256, &mut out),
        Err("n_in must be a positive int, got 0".into())
    );
    assert_eq!(
        dot_to_current(&[0, 0], 1 << 31, 0, 256, &mut out),
        Err("n_in must be <= 2**31 - 1, got 2147483648".into())
    );
    assert_eq!(dot_to_current(&[], 1, 0, 256, &mut []), Ok(()));
}

#[test]
fn current_exhaustive_small_n_in_and_random_large() {
    // every count of every n_in <= 40 on edge endpoints, both map directions
    for n_in in 1..=40 {
        for &y_min in &Q {
            for &y_max in &Q {
                for c in 0..=n_in {
                    let got = current(c, n_in, y_min, y_max) as i64;
                    assert_eq!(got, naive::current(c, n_in, y_min, y_max), "{c}/{n_in}");
                    assert!(got >= y_min.min(y_max) as i64 && got <= y_min.max(y_max) as i64);
                }
            }
        }
    }
    let mut rng = SplitMix(9);
    for _ in 0..20_000 {
        let n_in = [
            1,
            2,
            3,
            N_IN_MAX,
            N_IN_MAX - 1,
            1 + rng.below(N_IN_MAX as u64) as i64,
        ][rng.below(6) as usize];
        let c = [0, n_in, n_in - 1, rng.below(n_in as u64 + 1) as i64][rng.below(4) as usize];
        let (y_min, y_max) = (q88(&mut rng), q88(&mut rng));
        assert_eq!(
            current(c, n_in, y_min, y_max) as i64,
            naive::current(c, n_in, y_min, y_max)
        );
    }
}

// ------------------------------------------------------------------------------- LIF

#[test]
fn lif_saturates_only_the_final_sum() {
    // 30000 + 30000 - 30000: saturating v + d_in first would give 2767
    assert_eq!(step1(30000, 0, 30000, -30000, &p0()), (30000, 0, false));
    // every term at its maximum: the exact sum saturates to 32767 and spikes at equality
    let p = LifParams {
        v_rest: i16::MAX,
        v_reset: 0,
        v_th: i16::MAX,
        leak: 256,
        gain: i16::MAX,
        refractory: 0,
    };
    assert_eq!(step1(i16::MIN, 0, i16::MAX, i16::MAX, &p), (0, 0, true));
    // every term at its minimum: floor at -32768, no wrap
    let p = LifParams {
        v_rest: i16::MIN,
        v_th: i16::MIN + 1,
        ..p
    };
    assert_eq!(
        step1(i16::MAX, 0, i16::MIN, i16::MIN, &p),
        (i16::MIN, 0, false)
    );
}

#[test]
fn lif_shifts_floor() {
    // (0 - 1) * 1 >>> 8 = -1 and (-1 * 1) >>> 8 = -1: 1 - 1 - 1 = -1
    let p = LifParams {
        leak: 1,
        gain: 1,
        ..p0()
    };
    assert_eq!(step1(1, 0, -1, 0, &p), (-1, 0, false));
    assert_eq!(step1(-1, 0, 1, 0, &p), (-1, 0, false));
}

#[test]
fn lif_threshold_equality_spikes() {
    let p = LifParams {
        v_reset: -10,
        v_th: 256,
        ..p0()
    };
    let (mut v, mut r, mut s) = (vec![0i16; 3], vec![0u16; 3], vec![false; 3]);
    lif_step(
        &mut v,
        &mut r,
        &[255, 256, 257],
        None,
        &p,
        &mut s,
        Level::detect(),
    );
    assert_eq!(s, [false, true, true]);
    assert_eq!(v, [255, -10, -10]);
    // a negative threshold, equality included
    let p = LifParams {
        v_reset: -768,
        v_th: -256,
        ..p0()
    };
    assert_eq!(step1(-512, 0, 256, 0, &p), (-768, 0, true));
    assert_eq!(step1(-512, 0, 255, 0, &p), (-257, 0, false));
}

#[test]
fn lif_refractory_holds_exactly_r_steps() {
    let p = LifParams {
        v_reset: -5,
        v_th: 100,
        refractory: 2,
        ..p0()
    };
    let cur = [200i16; 7];
    let (v, r, spikes, trace) = run(&[0], &[0], &cur, None, &p, Threads(1));
    // spike, hold, hold (input ignored), spike, hold, hold, spike
    assert_eq!(spikes, [true, false, false, true, false, false, true]);
    assert_eq!(trace, [-5; 7]);
    assert_eq!((v, r), (vec![-5], vec![2]));
    // noise is ignored while refractory too, and the counter counts down
    assert_eq!(step1(7, 2, i16::MAX, i16::MAX, &p), (-5, 1, false));
    assert_eq!(step1(7, 1, i16::MAX, i16::MAX, &p), (-5, 0, false));
    assert_eq!(step1(7, u16::MAX, 0, 0, &p), (-5, u16::MAX - 1, false));
    // R = 0: no refractory period, it spikes every step
    let p = LifParams { refractory: 0, ..p };
    assert!(run(&[0], &[0], &cur, None, &p, Threads(1))
        .2
        .iter()
        .all(|&s| s));
    // R = 65535 loads the full counter
    let p = LifParams {
        refractory: u16::MAX,
        ..p
    };
    assert_eq!(step1(0, 0, 200, 0, &p), (-5, u16::MAX, true));
}

#[test]
fn lif_full_leak_jumps_to_rest() {
    let p = LifParams {
        v_rest: -300,
        leak: 256,
        gain: 0,
        ..p0()
    };
    for v in [i16::MIN, -301, -300, 0, i16::MAX] {
        assert_eq!(step1(v, 0, i16::MAX, 0, &p), (-300, 0, false), "v={v}");
    }
    // leak 0 keeps v
    let p = LifParams { leak: 0, ..p };
    assert_eq!(step1(1234, 0, 0, 0, &p), (1234, 0, false));
}

#[test]
fn lif_step_exhaustive_over_v_vs_naive() {
    // every membrane value against the reference, for edge parameters and inputs
    let mut rng = SplitMix(3);
    for case in 0..24 {
        for level in levels() {
            let p = params(&mut rng);
            let (cur, noise) = (q88(&mut rng), if case % 3 == 0 { 0 } else { q88(&mut rng) });
            let r0 = [0u16, 0, 1, u16::MAX][case % 4];
            let mut v: Vec<i16> = (i16::MIN..=i16::MAX).collect();
            let v0 = v.clone();
            let n = v.len();
            let mut r = vec![r0; n];
            let mut s = vec![false; n];
            let zs = vec![noise; n];
            lif_step(
                &mut v,
                &mut r,
                &vec![cur; n],
                (noise != 0).then_some(&zs[..]),
                &p,
                &mut s,
                level,
            );
            for i in 0..n {
                let want = naive::lif(v0[i] as i64, r0 as i64, cur as i64, noise as i64, &p);
                assert_eq!(
                    (v[i] as i64, r[i] as i64, s[i]),
                    want,
                    "{level} {p:?} v={} I={cur} z={noise}",
                    v0[i]
                );
            }
        }
    }
}

#[test]
fn lif_run_random_vs_naive_and_threads_agree() {
    let mut rng = SplitMix(21);
    for case in 0..300 {
        let p = params(&mut rng);
        let n = [1, 2, 5, 64, 130][rng.below(5) as usize];
        let steps = [0, 1, 2, 7, 19][rng.below(5) as usize];
        let v0: Vec<i16> = (0..n).map(|_| q88(&mut rng)).collect();
        let r0: Vec<u16> = (0..n)
            .map(|_| [0, 0, 1, 2, 3, u16::MAX][rng.below(6) as usize])
            .collect();
        let cur: Vec<i16> = (0..n * steps).map(|_| q88(&mut rng)).collect();
        let noise: Vec<i16> = (0..n * steps).map(|_| q88(&mut rng)).collect();
        let nz = (case % 2 == 0).then_some(&noise[..]);
        let (v, r, spikes, trace) = run(&v0, &r0, &cur, nz, &p, Threads(1));
        for i in 0..n {
            let (mut vi, mut ri) = (v0[i] as i64, r0[i] as i64);
            for t in 0..steps {
                let z = nz.map_or(0, |z| z[t * n + i] as i64);
                let (a, b, s) = naive::lif(vi, ri, cur[t * n + i] as i64, z, &p);
                (vi, ri) = (a, b);
                assert_eq!(
                    (trace[t * n + i] as i64, spikes[t * n + i]),
                    (vi, s),
                    "case {case} i={i} t={t}"
                );
            }
            assert_eq!((v[i] as i64, r[i] as i64), (vi, ri), "case {case} i={i}");
        }
        // lif_step composes to lif_run
        let (mut vs, mut rs) = (v0.clone(), r0.clone());
        for t in 0..steps {
            let mut s = vec![false; n];
            let row = t * n..(t + 1) * n;
            lif_step(
                &mut vs,
                &mut rs,
                &cur[row.clone()],
                nz.map(|z| &z[row.clone()]),
                &p,
                &mut s,
                Level::detect(),
            );
            assert_eq!(s, spikes[row.clone()]);
            assert_eq!(vs, trace[row]);
        }
        assert_eq!((vs, rs), (v.clone(), r.clone()));
        for threads in [Threads(2), Threads(3)] {
            assert_eq!(
                run(&v0, &r0, &cur, nz, &p, threads),
                (v.clone(), r.clone(), spikes.clone(), trace.clone())
            );
        }
    }
}

#[test]
fn lif_run_threaded_columns_equal_sequential_on_a_large_problem() {
    // big enough for the parallel branch, with a ragged last block
    let (n, steps) = (2500, PAR_MIN_NEURON_STEPS / 2500 + 3);
    let mut rng = SplitMix(8);
    let p = LifParams {
        v_rest: -64,
        v_reset: -512,
        v_th: 700,
        leak: 20,
        gain: 300,
        refractory: 3,
    };
    let v0: Vec<i16> = (0..n).map(|_| q88(&mut rng)).collect();
    let r0 = vec![0u16; n];
    let cur: Vec<i16> = (0..n * steps)
        .map(|_| (rng.next() % 1024) as i16 - 200)
        .collect();
    let noise: Vec<i16> = (0..n * steps)
        .map(|_| (rng.next() % 129) as i16 - 64)
        .collect();
    let want = run(&v0, &r0, &cur, Some(&noise), &p, Threads(1));
    assert!(want.2.iter().any(|&s| s) && !want.2.iter().all(|&s| s));
    for threads in [Threads(2), Threads(3), Threads(7), Threads(0)] {
        assert_eq!(
            run(&v0, &r0, &cur, Some(&noise), &p, threads),
            want,
            "{threads:?}"
        );
    }
}

#[test]
fn lif_empty_shapes() {
    // T = 0: nothing happens; n = 0: nothing to do
    let (v, r, s, t) = run(&[5, 6], &[0, 1], &[], None, &p0(), Threads(2));
    assert_eq!((v, r, s, t), (vec![5, 6], vec![0, 1], vec![], vec![]));
    let (mut v, mut r) = (Vec::<i16>::new(), Vec::<u16>::new());
    lif_run(
        &mut v,
        &mut r,
        &[],
        None,
        &p0(),
        5,
        &mut [],
        &mut [],
        Level::detect(),
        Threads(1),
    );
    lif_step(&mut v, &mut r, &[], None, &p0(), &mut [], Level::detect());
}

#[test]
fn params_check_refuses_a_leak_above_256() {
    assert_eq!(LifParams { leak: 256, ..p0() }.check(), Ok(()));
    assert_eq!(
        LifParams { leak: 257, ..p0() }.check(),
        Err("params.leak must be in [0, 256], got 257".into())
    );
}

#[test]
#[should_panic(expected = "params.leak must be in [0, 256], got 300")]
fn kernels_panic_on_an_unchecked_leak() {
    step1(0, 0, 0, 0, &LifParams { leak: 300, ..p0() });
}
