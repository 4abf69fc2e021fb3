//! Optimizer updates: every level must be bit-identical to the scalar
//! reference (no FMA anywhere in these kernels, all operations correctly rounded).

mod common;

use common::{OFFSETS, TestRng, assert_bits_eq, lengths};
use rbp_kernels::Level;
use rbp_kernels::rng::{CoinKey, coin, threshold};
use rbp_kernels::update::{self, AdamStep, RbpStep, reference};

fn rbp_step(seed: u64, t: u64, p: f64, keep_used: bool) -> RbpStep {
    RbpStep {
        eta: 0.037,
        key: CoinKey::new(seed, t),
        threshold: threshold(p),
        keep_used,
    }
}

#[test]
fn levels_include_scalar_and_best() {
    let levels = Level::available();
    assert_eq!(levels[0], Level::Scalar);
    assert!(levels.contains(&Level::best()));
    let names: Vec<_> = levels.iter().map(|l| l.name()).collect();
    eprintln!(
        "available levels: {names:?}, best: {}",
        Level::best().name()
    );
}

#[test]
fn sgd_matches_reference_bitwise() {
    let mut rng = TestRng::new(1);
    for level in Level::available() {
        for n in lengths() {
            for off in OFFSETS {
                let w0 = rng.vec(n + off, -2.0, 2.0);
                let g = rng.vec(n + off, -1.0, 1.0);
                let mut want = w0.clone();
                reference::sgd(&mut want[off..], &g[off..], 0.013);
                let mut got = w0.clone();
                update::sgd_at(level, &mut got[off..], &g[off..], 0.013);
                assert_bits_eq(&format!("sgd {level:?} n={n} off={off}"), &got, &want);
            }
        }
    }
}

#[test]
fn rbp_matches_reference_bitwise() {
    let mut rng = TestRng::new(2);
    for level in Level::available() {
        for keep_used in [true, false] {
            for n in lengths() {
                for off in OFFSETS {
                    let step = rbp_step(n as u64, off as u64, 0.3, keep_used);
                    let w0 = rng.vec(n + off, -2.0, 2.0);
                    let g = rng.vec(n + off, -1.0, 1.0);
                    let p0 = rng.vec(n + off, -1.0, 1.0);
                    let (mut w_ref, mut p_ref) = (w0.clone(), p0.clone());
                    reference::rbp(&mut w_ref[off..], &g[off..], &mut p_ref[off..], step);
                    let (mut w, mut p) = (w0.clone(), p0.clone());
                    update::rbp_at(level, &mut w[off..], &g[off..], &mut p[off..], step);
                    let what = format!("rbp {level:?} keep_used={keep_used} n={n} off={off}");
                    assert_bits_eq(&format!("{what} w"), &w, &w_ref);
                    assert_bits_eq(&format!("{what} prev"), &p, &p_ref);
                }
            }
        }
    }
}

#[test]
fn rbp_dispatching_entry_point_matches_reference() {
    let mut rng = TestRng::new(3);
    let n = 100_003;
    let step = rbp_step(9, 4, 0.5, true);
    let w0 = rng.vec(n, -2.0, 2.0);
    let g = rng.vec(n, -1.0, 1.0);
    let p0 = rng.vec(n, -1.0, 1.0);
    let (mut w_ref, mut p_ref) = (w0.clone(), p0.clone());
    reference::rbp(&mut w_ref, &g, &mut p_ref, step);
    let (mut w, mut p) = (w0, p0);
    update::rbp(&mut w, &g, &mut p, step);
    assert_bits_eq("rbp w", &w, &w_ref);
    assert_bits_eq("rbp prev", &p, &p_ref);
}

#[test]
fn rbp_chunks_with_offsets_equal_one_call() {
    // Splitting the buffer at arbitrary points and passing each chunk's global
    // offset must reproduce the single call bit for bit, at every level.
    let mut rng = TestRng::new(8);
    let n = 10_007;
    let step = rbp_step(21, 22, 0.4, true);
    let w0 = rng.vec(n, -2.0, 2.0);
    let g = rng.vec(n, -1.0, 1.0);
    let p0 = rng.vec(n, -1.0, 1.0);
    let (mut w_whole, mut p_whole) = (w0.clone(), p0.clone());
    reference::rbp(&mut w_whole, &g, &mut p_whole, step);
    let cuts = [0, 1, 17, 18, 100, 4095, 4096, 9000, 10_006, n];
    for level in Level::available() {
        let (mut w, mut p) = (w0.clone(), p0.clone());
        for pair in cuts.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            update::rbp_chunk_at(level, &mut w[a..b], &g[a..b], &mut p[a..b], step, a as u32);
        }
        assert_bits_eq(&format!("{level:?} w"), &w, &w_whole);
        assert_bits_eq(&format!("{level:?} prev"), &p, &p_whole);
    }
    let (mut w, mut p) = (w0.clone(), p0.clone());
    let (mut w_ref, mut p_ref) = (w0, p0);
    update::rbp_chunk(&mut w[5000..], &g[5000..], &mut p[5000..], step, 5000);
    reference::rbp_chunk(
        &mut w_ref[5000..],
        &g[5000..],
        &mut p_ref[5000..],
        step,
        5000,
    );
    assert_bits_eq("dispatching rbp_chunk", &w, &w_ref);
    assert_bits_eq("reference chunk vs whole", &w_ref[5000..], &w_whole[5000..]);
}

#[test]
#[should_panic(expected = "exceeds the 2^32 - 1 element limit")]
fn rbp_chunk_past_u32_indices_panics() {
    let mut w = [0.0f32; 4];
    let mut p = [0.0f32; 4];
    let step = rbp_step(0, 0, 0.5, false);
    update::rbp_chunk(&mut w, &[0.0; 4], &mut p, step, u32::MAX - 2);
}

#[test]
fn rbp_uses_the_coin_per_global_index() {
    // Element i is reinforced exactly when coin(key, threshold, i): checked by
    // making g = 0, prev = 1, eta = 1, so w drops by 1 exactly where the coin fires.
    let n = 4099;
    let step = RbpStep {
        eta: 1.0,
        ..rbp_step(77, 5, 0.25, false)
    };
    for level in Level::available() {
        let mut w = vec![10.0f32; n];
        let g = vec![0.0f32; n];
        let mut p = vec![1.0f32; n];
        update::rbp_at(level, &mut w, &g, &mut p, step);
        for (i, &wi) in w.iter().enumerate() {
            let fired = coin(step.key, step.threshold, i as u32);
            assert_eq!(wi, if fired { 9.0 } else { 10.0 }, "{level:?} element {i}");
        }
        assert!(p.iter().all(|&x| x == 0.0), "Raw stores g");
    }
}

#[test]
fn rbp_threshold_zero_is_sgd_bitwise() {
    let mut rng = TestRng::new(4);
    for level in Level::available() {
        for n in [0, 1, 15, 16, 17, 63, 1000, 100_003] {
            let step = rbp_step(5, 6, 0.0, true);
            assert_eq!(step.threshold, 0);
            let w0 = rng.vec(n, -2.0, 2.0);
            let g = rng.vec(n, -1.0, 1.0);
            // An infinite prev must not leak into unreinforced elements (select, not g + 0 * prev).
            let mut p = vec![f32::INFINITY; n];
            let mut w_sgd = w0.clone();
            update::sgd_at(level, &mut w_sgd, &g, step.eta);
            let mut w = w0;
            update::rbp_at(level, &mut w, &g, &mut p, step);
            assert_bits_eq(&format!("{level:?} n={n}"), &w, &w_sgd);
            assert_bits_eq(&format!("{level:?} n={n} prev"), &p, &g);
        }
    }
}

#[test]
fn rbp_threshold_one_reinforces_everything() {
    let mut rng = TestRng::new(5);
    for level in Level::available() {
        for keep_used in [true, false] {
            let n = 100_003;
            let step = rbp_step(11, 12, 1.0, keep_used);
            assert_eq!(step.threshold, 1 << 24);
            let w0 = rng.vec(n, -2.0, 2.0);
            let g = rng.vec(n, -1.0, 1.0);
            let p0 = rng.vec(n, -1.0, 1.0);
            let g_used: Vec<f32> = g.iter().zip(&p0).map(|(g, p)| g + p).collect();
            let mut w_want = w0.clone();
            reference::sgd(&mut w_want, &g_used, step.eta);
            let (mut w, mut p) = (w0, p0);
            update::rbp_at(level, &mut w, &g, &mut p, step);
            assert_bits_eq(&format!("{level:?} keep_used={keep_used} w"), &w, &w_want);
            let p_want = match keep_used {
                true => &g_used,
                false => &g,
            };
            assert_bits_eq(&format!("{level:?} keep_used={keep_used} prev"), &p, p_want);
        }
    }
}

#[test]
fn rbp_threshold_above_one_behaves_like_one() {
    let mut rng = TestRng::new(6);
    let n = 1000;
    let g = rng.vec(n, -1.0, 1.0);
    let p0 = rng.vec(n, -1.0, 1.0);
    for level in Level::available() {
        let mut results = Vec::new();
        for th in [1 << 24, (1 << 24) + 1, u32::MAX] {
            let step = RbpStep {
                threshold: th,
                ..rbp_step(1, 2, 1.0, true)
            };
            let (mut w, mut p) = (vec![0.5f32; n], p0.clone());
            update::rbp_at(level, &mut w, &g, &mut p, step);
            let (mut w_ref, mut p_ref) = (vec![0.5f32; n], p0.clone());
            reference::rbp(&mut w_ref, &g, &mut p_ref, step);
            assert_bits_eq(&format!("{level:?} th={th}"), &w, &w_ref);
            results.push(w);
        }
        assert_bits_eq("th 2^24+1", &results[1], &results[0]);
        assert_bits_eq("th u32::MAX", &results[2], &results[0]);
    }
}

fn adam_step(t: i32) -> AdamStep {
    let (beta1, beta2) = (0.9f32, 0.999f32);
    AdamStep {
        lr: 1e-3,
        beta1,
        beta2,
        eps: 1e-8,
        bias1: 1.0 - beta1.powi(t + 1),
        bias2: 1.0 - beta2.powi(t + 1),
    }
}

#[test]
fn adam_matches_reference_bitwise() {
    let mut rng = TestRng::new(7);
    for level in Level::available() {
        for n in lengths() {
            for off in OFFSETS {
                let step = adam_step((n % 7) as i32);
                let w0 = rng.vec(n + off, -2.0, 2.0);
                let g = rng.vec(n + off, -1.0, 1.0);
                let m0 = rng.vec(n + off, -0.1, 0.1);
                let v0 = rng.vec(n + off, 0.0, 0.01);
                let (mut w_ref, mut m_ref, mut v_ref) = (w0.clone(), m0.clone(), v0.clone());
                reference::adam(
                    &mut w_ref[off..],
                    &g[off..],
                    &mut m_ref[off..],
                    &mut v_ref[off..],
                    step,
                );
                let (mut w, mut m, mut v) = (w0.clone(), m0.clone(), v0.clone());
                update::adam_at(
                    level,
                    &mut w[off..],
                    &g[off..],
                    &mut m[off..],
                    &mut v[off..],
                    step,
                );
                let what = format!("adam {level:?} n={n} off={off}");
                assert_bits_eq(&format!("{what} w"), &w, &w_ref);
                assert_bits_eq(&format!("{what} m"), &m, &m_ref);
                assert_bits_eq(&format!("{what} v"), &v, &v_ref);
            }
        }
    }
}

#[test]
fn adam_first_step_moves_by_about_lr() {
    // Sanity of the formula itself: from m = v = 0, the bias-corrected first
    // step is lr * g / (|g| + eps) = lr * sign(g).
    let g = [0.5f32, -0.25, 2.0];
    let mut w = [0.0f32; 3];
    let (mut m, mut v) = ([0.0f32; 3], [0.0f32; 3]);
    update::adam(&mut w, &g, &mut m, &mut v, adam_step(0));
    for (w, g) in w.iter().zip(g) {
        assert!((w + 1e-3 * g.signum()).abs() < 1e-8, "w = {w}");
    }
}

#[test]
#[should_panic(expected = "slice lengths differ")]
fn mismatched_lengths_panic() {
    let mut w = [0.0f32; 4];
    update::sgd(&mut w, &[0.0; 3], 0.1);
}
