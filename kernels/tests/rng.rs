//! The counter-based coin: vector/scalar agreement and statistical quality.
//!
//! Every statistical check below uses fixed keys, so it is deterministic; the
//! bounds are still chosen as if the data were random (5 standard deviations,
//! or a chi-square tail probability around 1e-6) so that passing means
//! something and a healthy generator is not near the edge.

mod common;

use common::lengths;
use rbp_kernels::Level;
use rbp_kernels::rng::{self, CoinKey, coin, threshold, uniform24};
use std::collections::HashSet;

const N: u32 = 1_000_000;

fn keys() -> Vec<CoinKey> {
    vec![
        CoinKey::new(0, 0),
        CoinKey::new(0, 1),
        CoinKey::new(1, 0),
        CoinKey::new(42, 1000),
        CoinKey::new(u64::MAX, u64::MAX),
        CoinKey::new(0xDEAD_BEEF, 7),
    ]
}

#[test]
fn fill_matches_scalar_at_every_level() {
    for level in Level::available() {
        for key in keys() {
            for first in [0u32, 1, 12345, u32::MAX - 40] {
                for n in lengths() {
                    let mut want = vec![0u32; n];
                    rng::reference::fill_uniform24(key, first, &mut want);
                    let mut got = vec![1u32; n];
                    rng::fill_uniform24_at(level, key, first, &mut got);
                    assert_eq!(got, want, "{level:?} {key:?} first={first} n={n}");
                }
            }
        }
    }
    let key = CoinKey::new(3, 4);
    let mut a = vec![0u32; 1000];
    let mut b = vec![0u32; 1000];
    rng::fill_uniform24(key, 5, &mut a);
    rng::reference::fill_uniform24(key, 5, &mut b);
    assert_eq!(a, b);
}

#[test]
fn uniform24_is_in_range() {
    for key in keys() {
        for i in 0..N {
            assert!(uniform24(key, i) < 1 << 24);
        }
    }
}

#[test]
fn threshold_edges() {
    assert_eq!(threshold(0.0), 0);
    assert_eq!(threshold(1.0), 1 << 24);
    assert_eq!(threshold(0.5), 1 << 23);
    assert_eq!(threshold(0.25), 1 << 22);
    assert_eq!(threshold(-0.5), 0);
    assert_eq!(threshold(3.0), 1 << 24);
    assert_eq!(threshold(f64::NAN), 0);
    assert_eq!(
        threshold(1.4 / f64::from(1u32 << 24)),
        1,
        "rounds to nearest"
    );
    assert_eq!(
        threshold(1.6 / f64::from(1u32 << 24)),
        2,
        "rounds to nearest"
    );
    for key in keys() {
        for i in 0..100_000 {
            assert!(!coin(key, threshold(0.0), i), "p = 0 fired");
            assert!(coin(key, threshold(1.0), i), "p = 1 did not fire");
        }
    }
}

#[test]
fn keys_are_distinct() {
    let mut seen = HashSet::new();
    for seed in 0..100u64 {
        for t in 0..100u64 {
            assert!(
                seen.insert(CoinKey::new(seed, t)),
                "duplicate key for ({seed}, {t})"
            );
        }
    }
}

/// Fraction of firing coins over 1e6 indices is within 5 sigma of the exact
/// probability `threshold / 2^24`.
#[test]
fn coin_rate_matches_p() {
    for key in keys() {
        for p in [0.001, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999] {
            let th = threshold(p);
            let q = f64::from(th) / f64::from(1u32 << 24);
            let hits = (0..N).filter(|&i| coin(key, th, i)).count() as f64;
            let rate = hits / f64::from(N);
            let sigma = (q * (1.0 - q) / f64::from(N)).sqrt();
            assert!(
                (rate - q).abs() <= 5.0 * sigma,
                "{key:?} p={p}: rate {rate}, expected {q} +- {sigma}"
            );
        }
    }
}

/// Agreement rate of two coin sequences that should be independent:
/// `p^2 + (1-p)^2`, checked within 5 sigma.
fn assert_independent(what: &str, a: impl Fn(u32) -> bool, b: impl Fn(u32) -> bool, p: f64) {
    let agree = (0..N).filter(|&i| a(i) == b(i)).count() as f64 / f64::from(N);
    let q = p * p + (1.0 - p) * (1.0 - p);
    let sigma = (q * (1.0 - q) / f64::from(N)).sqrt();
    assert!(
        (agree - q).abs() <= 5.0 * sigma,
        "{what}: agreement {agree}, expected {q} +- {sigma}"
    );
}

#[test]
fn neighbouring_steps_seeds_and_indices_are_independent() {
    for p in [0.1, 0.5, 0.9] {
        let th = threshold(p);
        for seed in [0u64, 1, 99] {
            for t in [0u64, 1, 1000] {
                let k = CoinKey::new(seed, t);
                let next_t = CoinKey::new(seed, t + 1);
                let next_seed = CoinKey::new(seed + 1, t);
                assert_independent(
                    &format!("t vs t+1 (seed {seed}, t {t}, p {p})"),
                    |i| coin(k, th, i),
                    |i| coin(next_t, th, i),
                    p,
                );
                assert_independent(
                    &format!("seed vs seed+1 (seed {seed}, t {t}, p {p})"),
                    |i| coin(k, th, i),
                    |i| coin(next_seed, th, i),
                    p,
                );
                assert_independent(
                    &format!("i vs i+1 (seed {seed}, t {t}, p {p})"),
                    |i| coin(k, th, i),
                    |i| coin(k, th, i + 1),
                    p,
                );
            }
        }
    }
}

/// Pearson chi-square over 64 equiprobable buckets (63 degrees of freedom,
/// mean 63, sd 11.2). By the Wilson-Hilferty approximation
/// P(chi2 > 130) ~ 1.6e-6 and P(chi2 < 25) ~ 5e-6, so a uniform generator
/// essentially never leaves [25, 130]; the lower bound also rejects output
/// that is too regular (e.g. a counter).
fn chi_square_64(values: impl Iterator<Item = usize>) -> f64 {
    let mut counts = [0u64; 64];
    let mut n = 0u64;
    for v in values {
        counts[v] += 1;
        n += 1;
    }
    let expected = n as f64 / 64.0;
    counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum()
}

#[test]
fn uniform24_chi_square_high_middle_and_low_bits() {
    for key in keys() {
        for (name, shift) in [("high", 18), ("middle", 9), ("low", 0)] {
            let chi2 = chi_square_64((0..N).map(|i| ((uniform24(key, i) >> shift) & 63) as usize));
            eprintln!("{key:?} {name} bits: chi2 = {chi2:.1}");
            assert!(
                (25.0..=130.0).contains(&chi2),
                "{key:?} {name} bits: chi2 = {chi2}"
            );
        }
    }
}

#[test]
fn uniform24_every_bit_is_balanced() {
    for key in keys() {
        let mut ones = [0u32; 24];
        for i in 0..N {
            let u = uniform24(key, i);
            for (b, c) in ones.iter_mut().enumerate() {
                *c += (u >> b) & 1;
            }
        }
        let sigma = (0.25 / f64::from(N)).sqrt();
        for (b, &c) in ones.iter().enumerate() {
            let rate = f64::from(c) / f64::from(N);
            assert!((rate - 0.5).abs() <= 5.0 * sigma, "{key:?} bit {b}: {rate}");
        }
    }
}
