//! Sigmoid, its Eq. (4b) derivative factor, and the output error / loss.

mod common;

use common::{OFFSETS, TestRng, assert_bits_eq, lengths};
use rbp_kernels::Level;
use rbp_kernels::activation::{self, reference};

/// Sigmoid tolerance, relative. The vector `exp` has ~1-2 ulp error (degree-7
/// polynomial whose truncation error is < 6e-9, plus rounding in Horner's
/// scheme and the Cody-Waite reduction), then `1 + a` and the division each
/// add half an ulp: ~3-4 ulp = 2.4e-7 worst case. The reference uses the
/// standard library's `expf` (~1 ulp). 2e-6 (~17 ulp) leaves margin for the
/// scalar level, which has no FMA and so rounds twice per Horner step.
const SIGMOID_REL_TOL: f64 = 2e-6;

fn sigmoid_f64(x: f32) -> f64 {
    1.0 / (1.0 + (-f64::from(x)).exp())
}

fn rel_err(got: f32, want: f64) -> f64 {
    (f64::from(got) - want).abs() / want.abs()
}

#[test]
fn sigmoid_matches_reference_all_lengths_and_offsets() {
    let mut rng = TestRng::new(10);
    for level in Level::available() {
        for n in lengths() {
            for off in OFFSETS {
                let x0 = rng.vec(n + off, -40.0, 40.0);
                let mut want = x0.clone();
                reference::sigmoid_inplace(&mut want[off..]);
                let mut got = x0.clone();
                activation::sigmoid_inplace_at(level, &mut got[off..]);
                assert_eq!(got[..off], x0[..off], "prefix untouched");
                for (i, (&g, &w)) in got[off..].iter().zip(&want[off..]).enumerate() {
                    let err = (f64::from(g) - f64::from(w)).abs() / f64::from(w);
                    assert!(
                        err <= SIGMOID_REL_TOL,
                        "{level:?} n={n} off={off} i={i}: x={} got {g:e} want {w:e} (rel {err:e})",
                        x0[off + i]
                    );
                }
            }
        }
    }
}

/// Each lane is computed independently by the same vector code, whether it
/// lands in a full vector or in the masked tail, so an element's result must
/// not depend on where the slice starts or how long it is.
#[test]
fn sigmoid_is_independent_of_position_and_length() {
    let mut rng = TestRng::new(16);
    let x = rng.vec(200, -20.0, 20.0);
    for level in Level::available() {
        let mut full = x.clone();
        activation::sigmoid_inplace_at(level, &mut full);
        for off in 0..17 {
            for len in [0, 1, 5, 15, 16, 17, 31, 33, 100, 183 - off] {
                let mut part = x[off..off + len].to_vec();
                activation::sigmoid_inplace_at(level, &mut part);
                assert_bits_eq(
                    &format!("{level:?} off={off} len={len}"),
                    &part,
                    &full[off..off + len],
                );
            }
        }
    }
}

#[test]
fn sigmoid_dense_grid_against_f64() {
    // Every 1/4096 on [-30, 30] (245_761 points), through one call so that
    // head and tail paths are both exercised.
    let xs: Vec<f32> = (-30 * 4096..=30 * 4096)
        .map(|k| k as f32 / 4096.0)
        .collect();
    for level in Level::available() {
        let mut y = xs.clone();
        activation::sigmoid_inplace_at(level, &mut y);
        let mut worst = (0.0f64, 0.0f32);
        for (&x, &y) in xs.iter().zip(&y) {
            let err = rel_err(y, sigmoid_f64(x));
            if err > worst.0 {
                worst = (err, x);
            }
        }
        eprintln!(
            "sigmoid {level:?}: max rel err {:.3e} at x = {}",
            worst.0, worst.1
        );
        assert!(
            worst.0 <= SIGMOID_REL_TOL,
            "{level:?}: rel err {:e} at x = {}",
            worst.0,
            worst.1
        );
    }
}

#[test]
fn sigmoid_random_points_against_f64() {
    let mut rng = TestRng::new(11);
    let xs = rng.vec(200_001, -30.0, 30.0);
    for level in Level::available() {
        let mut y = xs.clone();
        activation::sigmoid_inplace_at(level, &mut y);
        for (&x, &y) in xs.iter().zip(&y) {
            let err = rel_err(y, sigmoid_f64(x));
            assert!(
                err <= SIGMOID_REL_TOL,
                "{level:?}: x = {x}, rel err {err:e}"
            );
        }
    }
}

#[test]
fn sigmoid_extreme_inputs() {
    let xs = [
        f32::INFINITY,
        f32::NEG_INFINITY,
        1e30,
        -1e30,
        f32::MAX,
        f32::MIN,
        88.0,
        -88.0,
        -87.0,
        -86.9,
        104.0,
        -104.0,
        0.0,
        -0.0,
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
    ];
    for level in Level::available() {
        let mut y = xs;
        activation::sigmoid_inplace_at(level, &mut y);
        for (&x, &y) in xs.iter().zip(&y) {
            assert!(
                y.is_finite() && (0.0..=1.0).contains(&y),
                "{level:?}: sigmoid({x}) = {y}"
            );
            // Below -87 the kernel flushes to 0 (true value < 1.7e-38).
            let want = sigmoid_f64(x);
            assert!(
                (f64::from(y) - want).abs() <= 1.7e-38 + SIGMOID_REL_TOL * want,
                "{level:?}: sigmoid({x}) = {y:e}, want {want:e}"
            );
        }
        assert_eq!(y[0], 1.0, "sigmoid(+inf)");
        assert_eq!(y[1], 0.0, "sigmoid(-inf)");
        assert_eq!(y[4], 1.0, "sigmoid(MAX)");
        assert_eq!(y[5], 0.0, "sigmoid(MIN)");
        assert_eq!(y[12], 0.5, "sigmoid(0)");
        assert_eq!(y[13], 0.5, "sigmoid(-0)");
    }
}

#[test]
fn sigmoid_propagates_nan() {
    for level in Level::available() {
        let mut y = [0.0, f32::NAN, 1.0, -f32::NAN, 2.0];
        activation::sigmoid_inplace_at(level, &mut y);
        assert!(y[1].is_nan() && y[3].is_nan(), "{level:?}: {y:?}");
        assert!(!y[0].is_nan() && !y[2].is_nan() && !y[4].is_nan());
    }
}

/// `delta * s * (1 - s)` is two multiplies and a subtraction, done in the
/// reference's order with no FMA (Rust does not contract), so it must be
/// bit-identical, not merely within a few ulp.
#[test]
fn sigmoid_backward_matches_reference_bitwise() {
    let mut rng = TestRng::new(12);
    for level in Level::available() {
        for n in lengths() {
            for off in OFFSETS {
                let d0 = rng.vec(n + off, -3.0, 3.0);
                let s = rng.vec(n + off, 0.0, 1.0);
                let mut want = d0.clone();
                reference::sigmoid_backward_inplace(&mut want[off..], &s[off..]);
                let mut got = d0.clone();
                activation::sigmoid_backward_inplace_at(level, &mut got[off..], &s[off..]);
                assert_bits_eq(&format!("{level:?} n={n} off={off}"), &got, &want);
            }
        }
    }
}

/// Loss tolerance, relative. All terms `e^2` are non-negative, so relative
/// rounding errors cannot cancel and bound the sum's relative error: each
/// term sees one rounding for `e * e` (none with FMA), at most 15 more as a
/// lane accumulates a block of 16 vectors, and log2(16) = 4 in the horizontal
/// reduction, i.e. at most 20 * 2^-24 = 1.2e-6 (first order). The f64 reference
/// is exact to ~1e-16, and the f64 running total adds nothing comparable.
const LOSS_REL_TOL: f64 = 1.5e-6;

fn assert_loss_close(what: &str, got: f64, want: f64) {
    let err = (got - want).abs();
    assert!(
        err <= LOSS_REL_TOL * want || err == 0.0,
        "{what}: loss {got:e}, reference {want:e} (rel {:e})",
        err / want
    );
}

#[test]
fn output_error_matches_reference() {
    let mut rng = TestRng::new(13);
    for level in Level::available() {
        for n in lengths() {
            for off in OFFSETS {
                let y = rng.vec(n + off, 0.0, 1.0);
                let t = rng.vec(n + off, 0.0, 1.0);
                let mut k_ref = vec![7.0f32; n + off];
                let loss_ref = reference::output_error(&mut k_ref[off..], &y[off..], &t[off..]);
                let mut k = vec![7.0f32; n + off];
                let loss = activation::output_error_at(level, &mut k[off..], &y[off..], &t[off..]);
                let what = format!("{level:?} n={n} off={off}");
                // kappa: subtraction and two multiplies, no FMA: bitwise.
                assert_bits_eq(&what, &k, &k_ref);
                assert_loss_close(&what, loss, loss_ref);
                let q = activation::quadratic_loss_at(level, &y[off..], &t[off..]);
                assert_loss_close(&format!("quadratic_loss {what}"), q, loss_ref);
                let q_ref = reference::quadratic_loss(&y[off..], &t[off..]);
                assert_eq!(q_ref, loss_ref, "the two references agree exactly");
            }
        }
    }
}

#[test]
fn loss_of_large_buffer_is_accurate() {
    // 4M terms with a wide dynamic range: the blocked f32 / f64 summation must
    // stay within the per-term bound, independent of n.
    let mut rng = TestRng::new(14);
    let n = 4_000_001;
    let y = rng.vec(n, 0.0, 1.0);
    let t: Vec<f32> = y
        .iter()
        .map(|&y| y + rng.uniform(-1.0, 1.0) * 10f32.powi(-((rng.next_u64() % 6) as i32)))
        .collect();
    let want = reference::quadratic_loss(&y, &t);
    for level in Level::available() {
        assert_loss_close(
            &format!("{level:?}"),
            activation::quadratic_loss_at(level, &y, &t),
            want,
        );
    }
    assert_loss_close("dispatch", activation::quadratic_loss(&y, &t), want);
    let mut k = vec![0.0f32; n];
    assert_loss_close(
        "output_error",
        activation::output_error(&mut k, &y, &t),
        want,
    );
}

#[test]
fn dispatching_entry_points_match_forced_best_level() {
    let mut rng = TestRng::new(15);
    let x0 = rng.vec(1031, -10.0, 10.0);
    let (mut a, mut b) = (x0.clone(), x0);
    activation::sigmoid_inplace(&mut a);
    activation::sigmoid_inplace_at(Level::best(), &mut b);
    assert_bits_eq("sigmoid", &a, &b);
    let s = rng.vec(1031, 0.0, 1.0);
    let mut c = a.clone();
    activation::sigmoid_backward_inplace(&mut a, &s);
    activation::sigmoid_backward_inplace_at(Level::best(), &mut c, &s);
    assert_bits_eq("sigmoid_backward", &a, &c);
}

#[test]
fn empty_slices_are_fine() {
    assert_eq!(activation::quadratic_loss(&[], &[]), 0.0);
    assert_eq!(activation::output_error(&mut [], &[], &[]), 0.0);
    activation::sigmoid_inplace(&mut []);
    activation::sigmoid_backward_inplace(&mut [], &[]);
}
