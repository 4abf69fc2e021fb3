//! Comparing two optimizers run on the same seeds: the paired t and sign tests, and Holm's
//! adjustment across several comparisons. (No bootstrap: with 5 seeds a percentile bootstrap has
//! only 126 distinct resamples and under-covers; intervals are Student-t, see [`super::t_interval`].)

use super::StatsError;
use super::summary::summarize;
use super::t::{Tail, t_test_p};
use statrs::distribution::{Binomial, DiscreteCDF};

/// Paired comparison of two optimizers run on the same seeds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paired {
    /// Number of seeds where `a < b` (a wins; lower error is better).
    pub wins: usize,
    /// Number of seeds where `a == b` (ignored by the sign test).
    pub ties: usize,
    /// Number of pairs.
    pub n: usize,
    /// Mean of `a - b` (negative means `a` is better).
    pub mean_diff: f64,
    /// Paired Student-t 95% CI of the mean of `a - b`
    /// (`(-inf, +inf)` with fewer than two pairs, see [`super::Summary::ci95`]).
    pub ci95_diff: (f64, f64),
    /// Two-sided exact sign-test p-value over the non-tied pairs
    /// (1 when every pair is tied or there are none).
    pub p_sign: f64,
    /// Two-sided paired t-test p-value of `mean(a - b) = 0` (1 with fewer than two pairs; 0 when
    /// every difference is the same nonzero number).
    pub p_t: f64,
    /// Sample standard deviation of the differences (0 with one pair, NaN with none).
    pub std_diff: f64,
}

/// Paired comparison of `a` (e.g. R-BackProp's test errors) against `b` (a
/// baseline's) over the same seeds, index by index.
///
/// The sign test makes no distributional assumption, which matters with 5–10
/// seeds; the paired t interval says how large the difference is. Mismatched
/// lengths are an error: silently truncating would compare the wrong seeds. A pair with a NaN
/// is neither a win nor a loss, so it counts as a tie, and it makes the mean difference NaN.
pub fn paired(a: &[f64], b: &[f64]) -> Result<Paired, StatsError> {
    if a.len() != b.len() {
        return Err(StatsError::LengthMismatch {
            what: "second sample".into(),
            expected: a.len(),
            got: b.len(),
        });
    }
    let diffs: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let wins = a.iter().zip(b).filter(|(x, y)| x < y).count();
    let losses = a.iter().zip(b).filter(|(x, y)| x > y).count();
    let ties = a.len() - wins - losses;
    let s = summarize(&diffs);
    Ok(Paired {
        wins,
        ties,
        n: a.len(),
        mean_diff: s.mean,
        ci95_diff: s.ci95,
        p_sign: sign_test_p(wins, losses),
        p_t: t_test_p(&s, 0.0, Tail::Two),
        std_diff: s.std,
    })
}

/// Exact two-sided sign-test p-value for `wins` against `losses` under the
/// null of equal chances: `min(1, 2 * P(X <= min(wins, losses)))` with
/// `X ~ Binomial(wins + losses, 1/2)`. Ties are left out by the caller; no trials give 1.
pub fn sign_test_p(wins: usize, losses: usize) -> f64 {
    let n = wins + losses;
    if n == 0 {
        return 1.0;
    }
    let k = wins.min(losses) as u64;
    let tail = Binomial::new(0.5, n as u64).map_or(1.0, |b| b.cdf(k));
    (2.0 * tail).min(1.0)
}

/// Fewest successes out of `n` for which the two-sided sign test reaches p < `alpha`; `None`
/// when even `n` of `n` does not (at `alpha = 0.05`, fewer than 6 seeds).
pub fn sign_test_min_wins(n: usize, alpha: f64) -> Option<usize> {
    (0..=n).find(|&k| k * 2 > n && sign_test_p(k, n - k) < alpha)
}

/// Holm's step-down adjustment of `p` (family-wise error): the adjusted p-values, in the input
/// order. The `i`-th smallest is `max_{j <= i} min(1, (m - j) p_(j))` (0-based `j`). Equal
/// p-values get the same adjusted value; a NaN counts as the largest p and comes out as 1 (pass
/// only the p-values of tests that were made). Empty gives empty.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut out = vec![f64::NAN; m];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        out[i] = running;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::close;
    use super::*;

    #[test]
    fn sign_test_exact_values() {
        // Binomial(10, 1/2): P(X = 0) = 1/1024, P(X <= 2) = (1 + 10 + 45) / 1024 = 56/1024.
        assert!(close(sign_test_p(10, 0), 2.0 / 1024.0, 1e-12));
        assert!(close(sign_test_p(0, 10), 2.0 / 1024.0, 1e-12));
        assert!(close(sign_test_p(8, 2), 112.0 / 1024.0, 1e-12));
        assert_eq!(sign_test_p(5, 5), 1.0);
        assert_eq!(sign_test_p(0, 0), 1.0);
        assert!(close(sign_test_p(1, 0), 1.0, 1e-12));
        // Two-sided: 6 of 6 gives p = 2/64 < 0.05, 5 of 5 gives 1/16 > 0.05.
        assert_eq!(sign_test_min_wins(5, 0.05), None);
        assert_eq!(sign_test_min_wins(6, 0.05), Some(6));
        // 9 of 10: 2 (1 + 10) / 1024 = 0.021 < 0.05; 8 of 10: 112/1024 = 0.11.
        assert_eq!(sign_test_min_wins(10, 0.05), Some(9));
        assert_eq!(sign_test_min_wins(10, 0.01), Some(10));
    }

    #[test]
    fn paired_hand_example() {
        // d = [-1, -2, -3]: mean -2, sd 1, half-width t_{0.975,2} / sqrt(3) (t to 7 digits).
        let p = paired(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]).unwrap();
        assert_eq!((p.wins, p.ties, p.n), (3, 0, 3));
        assert!(close(p.mean_diff, -2.0, 1e-12));
        let half = 4.302_653 / 3f64.sqrt();
        assert!(close(p.ci95_diff.0, -2.0 - half, 1e-5));
        assert!(close(p.ci95_diff.1, -2.0 + half, 1e-5));
        assert!(close(p.p_sign, 0.25, 1e-12));

        let tied = paired(&[1.0, 2.0], &[1.0, 3.0]).unwrap();
        assert_eq!((tied.wins, tied.ties), (1, 1));
        assert!(close(tied.p_sign, 1.0, 1e-12));

        let err = paired(&[1.0], &[1.0, 2.0]).unwrap_err();
        assert!(matches!(err, StatsError::LengthMismatch { .. }));
    }

    #[test]
    fn holm_matches_hand_computation() {
        // Sorted: 0.005 (x4 = 0.02), 0.01 (x3 = 0.03), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04 -> kept
        // monotone at 0.06).
        let adj = holm(&[0.01, 0.04, 0.03, 0.005]);
        let want = [0.03, 0.06, 0.06, 0.02];
        for (a, w) in adj.iter().zip(want) {
            assert!(close(*a, w, 1e-15), "{adj:?}");
        }
        // Capped at 1 and monotone.
        assert_eq!(holm(&[0.5, 0.6]), vec![1.0, 1.0]);
        assert_eq!(holm(&[0.2]), vec![0.2]);
        assert!(holm(&[]).is_empty());
        // Ties: both 0.02 x 2 = 0.04; a NaN is the largest and comes out 1.
        assert_eq!(holm(&[0.02, 0.02]), vec![0.04, 0.04]);
        assert_eq!(holm(&[f64::NAN, 0.01]), vec![1.0, 0.02]);
    }
}
