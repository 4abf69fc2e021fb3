//! Control-optimizer kernels: every level bit-identical to the scalar reference (no FMA, all
//! operations correctly rounded), the special cases that must reduce to plain SGD, and the
//! statistics of the random-sign coin.

mod common;

use common::{OFFSETS, TestRng, assert_bits_eq, lengths};
use rbp_kernels::Level;
use rbp_kernels::control::{
    self, HeavyBallStep, RandomSignStep, positive_sign, reference, sign_key,
};
use rbp_kernels::rng::{CoinKey, ONE, coin, threshold, uniform24};
use rbp_kernels::update;

fn random_sign_step(seed: u64, t: u64, p: f64) -> RandomSignStep {
    RandomSignStep {
        eta: 0.037,
        key: CoinKey::new(seed, t),
        sign_key: sign_key(seed, t),
        threshold: threshold(p),
        accumulate: false,
    }
}

#[test]
fn heavy_ball_matches_reference_bitwise() {
    let mut rng = TestRng::new(11);
    for level in Level::available() {
        for n in lengths() {
            for off in OFFSETS {
                let step = HeavyBallStep {
                    eta: 0.021,
                    mu: 0.9,
                };
                let w0 = rng.vec(n + off, -2.0, 2.0);
                let g = rng.vec(n + off, -1.0, 1.0);
                let v0 = rng.vec(n + off, -1.0, 1.0);
                let (mut w_ref, mut v_ref) = (w0.clone(), v0.clone());
                reference::heavy_ball(&mut w_ref[off..], &g[off..], &mut v_ref[off..], step);
                let (mut w, mut v) = (w0.clone(), v0.clone());
                control::heavy_ball_at(level, &mut w[off..], &g[off..], &mut v[off..], step);
                let what = format!("heavy_ball {level:?} n={n} off={off}");
                assert_bits_eq(&format!("{what} w"), &w, &w_ref);
                assert_bits_eq(&format!("{what} v"), &v, &v_ref);
            }
        }
    }
    // The dispatching entry point too.
    let n = 100_003;
    let step = HeavyBallStep { eta: 0.5, mu: 0.3 };
    let (w0, g, v0) = (
        rng.vec(n, -2.0, 2.0),
        rng.vec(n, -1.0, 1.0),
        rng.vec(n, -1.0, 1.0),
    );
    let (mut w_ref, mut v_ref) = (w0.clone(), v0.clone());
    reference::heavy_ball(&mut w_ref, &g, &mut v_ref, step);
    let (mut w, mut v) = (w0, v0);
    control::heavy_ball(&mut w, &g, &mut v, step);
    assert_bits_eq("heavy_ball w", &w, &w_ref);
    assert_bits_eq("heavy_ball v", &v, &v_ref);
}

#[test]
fn heavy_ball_with_mu_zero_is_sgd_bitwise() {
    // mu * v = +-0 for finite v, and g + (+-0) = g for every nonzero g, so v becomes g and w
    // moves exactly as SGD's. Gradients here are never exactly zero.
    let mut rng = TestRng::new(12);
    for level in Level::available() {
        for n in [0, 1, 15, 16, 17, 63, 1000, 100_003] {
            let w0 = rng.vec(n, -2.0, 2.0);
            let g: Vec<f32> = rng.vec(n, 0.001, 1.0);
            let mut v = rng.vec(n, -5.0, 5.0);
            let mut w_sgd = w0.clone();
            update::sgd_at(level, &mut w_sgd, &g, 0.8);
            let mut w = w0;
            control::heavy_ball_at(
                level,
                &mut w,
                &g,
                &mut v,
                HeavyBallStep { eta: 0.8, mu: 0.0 },
            );
            assert_bits_eq(&format!("{level:?} n={n} w"), &w, &w_sgd);
            assert_bits_eq(&format!("{level:?} n={n} v"), &v, &g);
        }
    }
}

#[test]
fn random_sign_matches_reference_bitwise() {
    let mut rng = TestRng::new(13);
    for level in Level::available() {
        for n in lengths() {
            for off in OFFSETS {
                let step = RandomSignStep {
                    accumulate: (n + off) % 2 == 1,
                    ..random_sign_step(n as u64, off as u64, 0.6)
                };
                let first = (n * 7) as u32;
                let w0 = rng.vec(n + off, -2.0, 2.0);
                let g = rng.vec(n + off, -1.0, 1.0);
                let p0 = rng.vec(n + off, -1.0, 1.0);
                let (mut w_ref, mut p_ref) = (w0.clone(), p0.clone());
                let (wr, pr) = (&mut w_ref[off..], &mut p_ref[off..]);
                reference::random_sign_chunk(wr, &g[off..], pr, step, first);
                let (mut w, mut p) = (w0.clone(), p0.clone());
                let (wl, pl) = (&mut w[off..], &mut p[off..]);
                control::random_sign_chunk_at(level, wl, &g[off..], pl, step, first);
                let what = format!("random_sign {level:?} n={n} off={off}");
                assert_bits_eq(&format!("{what} w"), &w, &w_ref);
                assert_bits_eq(&format!("{what} prev"), &p, &p_ref);
            }
        }
    }
}

#[test]
fn random_sign_chunks_with_offsets_equal_one_call() {
    let mut rng = TestRng::new(14);
    let n = 10_007;
    let step = random_sign_step(31, 32, 0.5);
    let (w0, g, p0) = (
        rng.vec(n, -2.0, 2.0),
        rng.vec(n, -1.0, 1.0),
        rng.vec(n, -1.0, 1.0),
    );
    let (mut w_whole, mut p_whole) = (w0.clone(), p0.clone());
    reference::random_sign_chunk(&mut w_whole, &g, &mut p_whole, step, 0);
    let cuts = [0, 1, 17, 18, 100, 4095, 4096, 9000, 10_006, n];
    for level in Level::available() {
        let (mut w, mut p) = (w0.clone(), p0.clone());
        for pair in cuts.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let (wc, pc) = (&mut w[a..b], &mut p[a..b]);
            control::random_sign_chunk_at(level, wc, &g[a..b], pc, step, a as u32);
        }
        assert_bits_eq(&format!("{level:?} w"), &w, &w_whole);
        assert_bits_eq(&format!("{level:?} prev"), &p, &p_whole);
    }
    let (mut w, mut p) = (w0, p0);
    control::random_sign_chunk(&mut w, &g, &mut p, step, 0);
    assert_bits_eq("dispatching w", &w, &w_whole);
}

#[test]
fn random_sign_adds_plus_or_minus_prev_where_the_coin_fires() {
    // g = 0, prev = 1, eta = 1: w moves by exactly -1 (sign +), +1 (sign -) or 0 (no coin), and
    // prev ends as the raw g.
    let n = 4099;
    let step = RandomSignStep {
        eta: 1.0,
        ..random_sign_step(77, 5, 0.4)
    };
    for level in Level::available() {
        let mut w = vec![10.0f32; n];
        let mut p = vec![1.0f32; n];
        control::random_sign_chunk_at(level, &mut w, &vec![0.0; n], &mut p, step, 0);
        for (i, &wi) in w.iter().enumerate() {
            let i = i as u32;
            let want = match (
                coin(step.key, step.threshold, i),
                positive_sign(step.sign_key, i),
            ) {
                (false, _) => 10.0,
                (true, true) => 9.0,
                (true, false) => 11.0,
            };
            assert_eq!(wi, want, "{level:?} element {i}");
        }
        assert!(p.iter().all(|&x| x == 0.0), "prev keeps the raw g");
    }
}

#[test]
fn random_sign_accumulated_keeps_r_backprops_sum_whatever_the_sign() {
    // g = 0.5, prev = 1, eta = 1: w moves by g ± prev where the coin fires (by g elsewhere), and
    // prev becomes R-BackProp's accumulated sum g + prev = 1.5 where the coin fires, g elsewhere:
    // the sign coin changes the step, never the sum the next perturbation is drawn from.
    let n = 4099;
    let step = RandomSignStep {
        eta: 1.0,
        accumulate: true,
        ..random_sign_step(78, 6, 0.4)
    };
    for level in Level::available() {
        let mut w = vec![10.0f32; n];
        let mut p = vec![1.0f32; n];
        control::random_sign_chunk_at(level, &mut w, &vec![0.5; n], &mut p, step, 0);
        for i in 0..n {
            let at = i as u32;
            let fire = coin(step.key, step.threshold, at);
            let want_w = match (fire, positive_sign(step.sign_key, at)) {
                (false, _) => 9.5,
                (true, true) => 8.5,
                (true, false) => 10.5,
            };
            assert_eq!(w[i], want_w, "{level:?} w[{i}]");
            assert_eq!(p[i], if fire { 1.5 } else { 0.5 }, "{level:?} prev[{i}]");
        }
    }
}

#[test]
fn raw_twin_matches_reference_bitwise_and_applies_g_plus_p_prev() {
    let mut rng = TestRng::new(21);
    for level in Level::available() {
        for n in lengths() {
            for off in OFFSETS {
                let step = control::RawTwinStep { eta: 0.3, p: 0.7 };
                let w0 = rng.vec(n + off, -2.0, 2.0);
                let g = rng.vec(n + off, -1.0, 1.0);
                let p0 = rng.vec(n + off, -1.0, 1.0);
                let (mut w_ref, mut p_ref) = (w0.clone(), p0.clone());
                reference::raw_twin(&mut w_ref[off..], &g[off..], &mut p_ref[off..], step);
                let (mut w, mut p) = (w0.clone(), p0.clone());
                control::raw_twin_at(level, &mut w[off..], &g[off..], &mut p[off..], step);
                let what = format!("raw_twin {level:?} n={n} off={off}");
                assert_bits_eq(&format!("{what} w"), &w, &w_ref);
                assert_bits_eq(&format!("{what} prev"), &p, &p_ref);
            }
        }
    }
    // Exact in binary: w = 1 - 0.5 (0.25 + 0.5 * 2) = 0.375, and prev becomes g.
    let (mut w, mut p) = (vec![1.0f32; 37], vec![2.0f32; 37]);
    let step = control::RawTwinStep { eta: 0.5, p: 0.5 };
    control::raw_twin(&mut w, &[0.25; 37], &mut p, step);
    assert!(w.iter().all(|&x| x == 0.375) && p.iter().all(|&x| x == 0.25));
}

#[test]
fn random_sign_threshold_zero_is_sgd_bitwise() {
    let mut rng = TestRng::new(15);
    for level in Level::available() {
        for n in [0, 1, 17, 1000, 100_003] {
            let step = random_sign_step(5, 6, 0.0);
            let w0 = rng.vec(n, -2.0, 2.0);
            let g = rng.vec(n, -1.0, 1.0);
            let mut p = vec![f32::INFINITY; n];
            let mut w_sgd = w0.clone();
            update::sgd_at(level, &mut w_sgd, &g, step.eta);
            let mut w = w0;
            control::random_sign_chunk_at(level, &mut w, &g, &mut p, step, 0);
            assert_bits_eq(&format!("{level:?} n={n}"), &w, &w_sgd);
        }
    }
}

#[test]
#[should_panic(expected = "exceeds the 2^32 - 1 element limit")]
fn random_sign_past_u32_indices_panics() {
    let (mut w, mut p) = ([0.0f32; 4], [0.0f32; 4]);
    control::random_sign_chunk(
        &mut w,
        &[0.0; 4],
        &mut p,
        random_sign_step(0, 0, 0.5),
        u32::MAX - 2,
    );
}

// ---- Statistics of the sign coin ----
//
// Every test below draws N = 64 steps x 16384 indices ~ 1.05e6 coins. The hash is deterministic,
// so each outcome is fixed; the bounds are what a fair, independent coin passes except with
// probability ~1e-6: |z| < 5 for a proportion, and the 1-degree-of-freedom chi-square of a 2x2
// table below 24 (P(chi2_1 > 24) ~ 1e-6).

const STEPS: u64 = 64;
const INDICES: u32 = 16_384;
const Z_MAX: f64 = 5.0;
const CHI2_MAX: f64 = 24.0;

/// z-score of `hits` successes in `n` trials against probability 1/2.
fn z_half(hits: u64, n: u64) -> f64 {
    (hits as f64 - n as f64 / 2.0) / (n as f64 / 4.0).sqrt()
}

/// Pearson chi-square of a 2x2 table `[[a, b], [c, d]]` (rows: first event, columns: second).
fn chi2_2x2(t: [[u64; 2]; 2]) -> f64 {
    let n = (t[0][0] + t[0][1] + t[1][0] + t[1][1]) as f64;
    let row = [(t[0][0] + t[0][1]) as f64, (t[1][0] + t[1][1]) as f64];
    let col = [(t[0][0] + t[1][0]) as f64, (t[0][1] + t[1][1]) as f64];
    let mut chi2 = 0.0;
    for r in 0..2 {
        for c in 0..2 {
            let expected = row[r] * col[c] / n;
            chi2 += (t[r][c] as f64 - expected).powi(2) / expected;
        }
    }
    chi2
}

/// The 2x2 table of (reinforcement coin fires, sign is +) over all steps and indices, for a
/// sign drawn by `sign` from `(seed, t, index)`.
fn coin_sign_table(p: f64, sign: impl Fn(u64, u64, u32) -> bool) -> [[u64; 2]; 2] {
    let th = threshold(p);
    let mut table = [[0u64; 2]; 2];
    for seed in [3u64, 1_000_003] {
        for t in 0..STEPS / 2 {
            let key = CoinKey::new(seed, t);
            for i in 0..INDICES {
                let fire = coin(key, th, i);
                table[usize::from(fire)][usize::from(sign(seed, t, i))] += 1;
            }
        }
    }
    table
}

/// The sign the kernels use.
fn kernel_sign(seed: u64, t: u64, i: u32) -> bool {
    positive_sign(sign_key(seed, t), i)
}

#[test]
fn sign_coin_is_balanced() {
    let mut plus = 0u64;
    let n = STEPS * u64::from(INDICES);
    for t in 0..STEPS {
        let key = sign_key(42, t);
        plus += (0..INDICES).filter(|&i| positive_sign(key, i)).count() as u64;
    }
    let z = z_half(plus, n);
    assert!(z.abs() < Z_MAX, "{plus} positive signs of {n}: z = {z:.2}");
    // The sign also stays balanced among the reinforced elements alone (what the update sees).
    let table = coin_sign_table(0.3, kernel_sign);
    let fired = table[1][0] + table[1][1];
    let z = z_half(table[1][1], fired);
    assert!(z.abs() < Z_MAX, "among {fired} reinforced: z = {z:.2}");
}

#[test]
fn sign_coin_is_independent_of_the_reinforcement_coin() {
    for p in [0.1, 0.5, 0.9] {
        let chi2 = chi2_2x2(coin_sign_table(p, kernel_sign));
        eprintln!("kernel sign vs coin, p = {p}: chi2 = {chi2:.2}");
        assert!(
            chi2 < CHI2_MAX,
            "p = {p}: chi2 = {chi2:.1} (coin and sign dependent?)"
        );
    }
}

#[test]
fn independence_test_catches_a_shared_key() {
    // The independence test has teeth. (1) Drawing the sign from the reinforcement coin's own
    // key, the obvious mistake, makes "fire" imply "+" at p <= 1/2: chi2 in the tens of
    // thousands. (2) A sign that copies the coin for 1% of elements is caught too. (3) As a
    // check that the statistic does not flag everything: bit 0 of the coin's own hash, which is
    // independent of `u < 2^23` for a well-mixed hash, passes.
    let shared = |seed: u64, t: u64, i: u32| positive_sign(CoinKey::new(seed, t), i);
    for p in [0.1, 0.5] {
        let chi2 = chi2_2x2(coin_sign_table(p, shared));
        eprintln!("shared key, p = {p}: chi2 = {chi2:.1}");
        assert!(chi2 > 1000.0, "shared key, p = {p}: chi2 = {chi2:.1}");
    }
    let leaky = |seed: u64, t: u64, i: u32| {
        let key = CoinKey::new(seed, t);
        if uniform24(sign_key(seed, t), i).is_multiple_of(100) {
            coin(key, threshold(0.5), i)
        } else {
            kernel_sign(seed, t, i)
        }
    };
    let chi2 = chi2_2x2(coin_sign_table(0.5, leaky));
    eprintln!("1% leak: chi2 = {chi2:.1}");
    assert!(chi2 > CHI2_MAX, "a 1% leak: chi2 = {chi2:.1}");
    let low_bit = |seed: u64, t: u64, i: u32| uniform24(CoinKey::new(seed, t), i) & 1 == 0;
    let chi2 = chi2_2x2(coin_sign_table(0.5, low_bit));
    assert!(
        chi2 < CHI2_MAX,
        "bit 0 vs the coin at 1/2: chi2 = {chi2:.1}"
    );
}

#[test]
fn sign_coin_is_independent_across_neighbours_and_steps() {
    // Neighbouring indices within a step and the same index at consecutive steps agree half
    // the time; a per-step-constant or per-block sign would agree nearly always.
    let (mut same_step, mut same_index, mut n) = (0u64, 0u64, 0u64);
    for t in 0..STEPS {
        let (now, next) = (sign_key(9, t), sign_key(9, t + 1));
        for i in 0..INDICES {
            let s = positive_sign(now, i);
            same_step += u64::from(s == positive_sign(now, i + 1));
            same_index += u64::from(s == positive_sign(next, i));
            n += 1;
        }
    }
    for (what, hits) in [("neighbour", same_step), ("next step", same_index)] {
        let z = z_half(hits, n);
        assert!(
            z.abs() < Z_MAX,
            "{what}: {hits} agreements of {n}: z = {z:.2}"
        );
    }
    // The sign threshold is exactly half of the hash's range.
    assert_eq!(ONE / 2, 1 << 23);
}
