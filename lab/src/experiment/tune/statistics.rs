//! The statistics of a tuning study that `stats` does not have: the expected best validation
//! error after `k` trials and its band (Sivaprasad et al. 2020; Dodge et al. 2019), the
//! probability that one optimizer's best of `k` trials beats another's, and the paired effect
//! size.
//!
//! The `K` trials of an optimizer stand for its distribution of outcomes under random search; a
//! study of budget `k` is `k` draws from it with replacement. The expected best has a closed
//! form over the sorted values ([`expected_best`]); the band and the win probability come from
//! a bootstrap with a fixed seed, so a report is reproducible bit for bit.

use crate::stats::quantile_sorted;

/// Seed of the study's bootstraps over trials: fixed, so TUNING.md is reproducible bit for bit.
pub const BOOTSTRAP_SEED: u64 = 20170127;
/// Resamples per bootstrap band or win probability.
pub const BOOTSTRAP_RESAMPLES: usize = 4000;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `E[min of k draws with replacement from values]`: with the values sorted ascending
/// `v_1 <= ... <= v_n`, the minimum is `v_i` with probability `((n-i+1)/n)^k - ((n-i)/n)^k`.
/// NaN for no values or `k = 0`; an infinite value weighs only where it can be the minimum.
pub fn expected_best(values: &[f64], k: usize) -> f64 {
    let n = values.len();
    if n == 0 || k == 0 {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let k = i32::try_from(k).unwrap_or(i32::MAX);
    let mut sum = 0.0;
    for (i, v) in sorted.iter().enumerate() {
        let above = (n - i) as f64 / n as f64;
        let below = (n - i - 1) as f64 / n as f64;
        let weight = above.powi(k) - below.powi(k);
        if weight > 0.0 {
            sum += weight * v;
        }
    }
    sum
}

/// The bootstrap of the best of `k` draws: its mean and the 5% and 95% quantiles.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BestBand {
    /// Mean over resamples of the best of `k`.
    pub mean: f64,
    /// Standard deviation over resamples.
    pub sd: f64,
    /// 5% quantile.
    pub lo: f64,
    /// 95% quantile.
    pub hi: f64,
}

/// Draws `resamples` studies of `k` trials from `values` (with replacement) and summarises
/// their best: the spread of what one budget-`k` study would find. NaNs when `values` is empty.
pub fn best_band(values: &[f64], k: usize, resamples: usize, seed: u64) -> BestBand {
    if values.is_empty() || k == 0 || resamples == 0 {
        return BestBand {
            mean: f64::NAN,
            sd: f64::NAN,
            lo: f64::NAN,
            hi: f64::NAN,
        };
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut bests: Vec<f64> = (0..resamples)
        .map(|_| best_of(values, k, &mut rng))
        .collect();
    let mean = bests.iter().sum::<f64>() / resamples as f64;
    let sd = crate::stats::summarize(&bests).std;
    bests.sort_by(f64::total_cmp);
    BestBand {
        mean,
        sd,
        lo: quantile_sorted(&bests, 0.05),
        hi: quantile_sorted(&bests, 0.95),
    }
}

fn best_of(values: &[f64], k: usize, rng: &mut ChaCha8Rng) -> f64 {
    (0..k)
        .map(|_| values[rng.random_range(0..values.len())])
        .fold(f64::INFINITY, f64::min)
}

/// The probability that the best of `k` trials drawn from `a` is lower than the best of `k`
/// drawn from `b` (a tie counts a half), by a bootstrap of `resamples` pairs of studies.
/// NaN when either is empty.
pub fn win_probability(a: &[f64], b: &[f64], k: usize, resamples: usize, seed: u64) -> f64 {
    if a.is_empty() || b.is_empty() || k == 0 || resamples == 0 {
        return f64::NAN;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut wins = 0.0;
    for _ in 0..resamples {
        let (x, y) = (best_of(a, k, &mut rng), best_of(b, k, &mut rng));
        wins += if x < y {
            1.0
        } else if x == y {
            0.5
        } else {
            0.0
        };
    }
    wins / resamples as f64
}

/// [`best_band`] with the lab's bootstrap seed and resample count.
pub fn report_band(values: &[f64], k: usize) -> BestBand {
    best_band(values, k, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED)
}

/// [`win_probability`] with the lab's bootstrap seed and resample count.
pub fn report_win_probability(a: &[f64], b: &[f64], k: usize) -> f64 {
    win_probability(a, b, k, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED)
}

/// Cohen's `d_z` of paired differences: their mean over their sample standard deviation (NaN
/// when the deviation is zero or undefined).
pub fn effect_size(mean_diff: f64, std_diff: f64) -> f64 {
    if std_diff > 0.0 {
        mean_diff / std_diff
    } else {
        f64::NAN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expected_best_has_its_closed_form_on_small_cases() {
        let v = [3.0, 1.0, 2.0];
        // One draw: the mean.
        assert!((expected_best(&v, 1) - 2.0).abs() < 1e-15);
        // Two draws from {1, 2, 3}: P(min = 1) = 1 - (2/3)^2 = 5/9, P(min = 2) = 4/9 - 1/9 = 3/9,
        // P(min = 3) = 1/9: E = (5 + 6 + 3) / 9 = 14/9.
        assert!((expected_best(&v, 2) - 14.0 / 9.0).abs() < 1e-15);
        // Many draws: the minimum.
        assert!((expected_best(&v, 200) - 1.0).abs() < 1e-12);
        assert!(expected_best(&[], 2).is_nan());
        // A failed trial (infinite) can be the best only when every draw is it.
        assert_eq!(expected_best(&[1.0, f64::INFINITY], 1), f64::INFINITY);
    }

    #[test]
    fn the_bootstrap_mean_of_the_best_matches_the_closed_form() {
        let v = [0.31, 0.12, 0.5, 0.27, 0.08, 0.44, 0.19];
        for k in [1, 2, 3, 7] {
            let band = best_band(&v, k, 200_000, 1);
            let exact = expected_best(&v, k);
            // The best of k lies in [0.08, 0.5]: its standard deviation is below 0.21, so over
            // 200,000 resamples the mean's standard error is below 5e-4; 3e-3 is six of them.
            assert!(
                (band.mean - exact).abs() < 3e-3,
                "k={k}: {band:?} vs {exact}"
            );
            assert!(band.lo <= exact && exact <= band.hi, "k={k}: {band:?}");
        }
        // Deterministic for a seed.
        assert_eq!(best_band(&v, 3, 1000, 5), best_band(&v, 3, 1000, 5));
    }

    #[test]
    fn win_probabilities_match_exact_counts() {
        // One draw each from {1, 3} and {2}: a wins half the time.
        let p = win_probability(&[1.0, 3.0], &[2.0], 1, 100_000, 2);
        // Binomial standard error sqrt(0.25 / 1e5) = 1.6e-3; 8e-3 is five of them.
        assert!((p - 0.5).abs() < 8e-3, "{p}");
        // Two draws: a's best is 1 unless both draws are 3: 3/4.
        let p = win_probability(&[1.0, 3.0], &[2.0], 2, 100_000, 2);
        assert!((p - 0.75).abs() < 8e-3, "{p}");
        // Equal samples tie: a half.
        assert_eq!(win_probability(&[1.0], &[1.0], 3, 10, 0), 0.5);
        assert!(effect_size(1.0, 0.0).is_nan());
        assert_eq!(effect_size(-1.0, 2.0), -0.5);
    }
}
