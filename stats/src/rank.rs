//! Ranks and Spearman's rank correlation, with a Fisher-z interval.

use serde::Serialize;

/// Ranks `1..=n` of `xs`, ties sharing their mean rank (`[3, 1, 2, 2]` ranks `[4, 1, 2.5, 2.5]`).
/// Values are ordered by [`f64::total_cmp`]: infinities rank at the ends and a NaN above `+inf`,
/// so callers that care drop NaN first.
pub fn ranks(xs: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut r = vec![0.0; xs.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && xs[order[j + 1]] == xs[order[i]] {
            j += 1;
        }
        let mean_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            r[k] = mean_rank;
        }
        i = j + 1;
    }
    r
}

/// Spearman's rank correlation of the pairs `(x[i], y[i])`: Pearson's correlation of their
/// [`ranks`] (ties get their mean rank, so this is the tie-corrected rho, not
/// `1 - 6 sum d^2 / (n (n^2 - 1))`). NaN when the lengths differ, there are fewer than two pairs,
/// or either side is constant (all tied).
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len();
    if n != y.len() || n < 2 {
        return f64::NAN;
    }
    let (rx, ry) = (ranks(x), ranks(y));
    // Ranks 1..=n (shared or not) always average (n + 1) / 2.
    let mean = (n as f64 + 1.0) / 2.0;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mean) * (b - mean);
        sxx += (a - mean) * (a - mean);
        syy += (b - mean) * (b - mean);
    }
    if sxx == 0.0 || syy == 0.0 {
        return f64::NAN;
    }
    sxy / (sxx * syy).sqrt()
}

/// Spearman's rank correlation with a 95% confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RankCorrelation {
    /// Pairs.
    pub n: usize,
    /// Spearman's rho (ties get their mean rank).
    pub rho: f64,
    /// 95% interval by Fisher's z with the standard error `sqrt(1.06 / (n - 3))` of Fieller,
    /// Hartley & Pearson (1957) for Spearman's rho; `(-1, 1)` when `n <= 3`.
    pub ci95: (f64, f64),
}

/// The standard normal's 0.975 quantile, to the 7 digits the interval has always used.
const Z_975: f64 = 1.959_964;

/// [`spearman`] of `x` and `y` with its Fisher-z 95% interval
/// `tanh(atanh(rho) ± 1.96 sqrt(1.06 / (n - 3)))` (rho clamped to `±0.999999` first, so a perfect
/// correlation still gets a finite interval); `None` when rho is undefined (see [`spearman`]).
pub fn rank_correlation(x: &[f64], y: &[f64]) -> Option<RankCorrelation> {
    let rho = spearman(x, y);
    if rho.is_nan() {
        return None;
    }
    let n = x.len();
    let ci95 = if n > 3 {
        let z = rho.clamp(-0.999_999, 0.999_999).atanh();
        let half = Z_975 * (1.06 / (n as f64 - 3.0)).sqrt();
        ((z - half).tanh(), (z + half).tanh())
    } else {
        (-1.0, 1.0)
    };
    Some(RankCorrelation { n, rho, ci95 })
}

#[cfg(test)]
mod tests {
    use super::super::close;
    use super::*;

    #[test]
    fn ranks_share_ties_and_spearman_matches_the_no_tie_formula() {
        assert_eq!(ranks(&[3.0, 1.0, 2.0, 2.0]), vec![4.0, 1.0, 2.5, 2.5]);
        let x = [0.3, 1.2, -0.5, 4.0, 2.2, 0.9, 3.1];
        let y = [1.0, 0.2, -1.0, 5.0, 2.0, 0.4, 0.1];
        // rho = 1 - 6 sum d^2 / (n (n^2 - 1)) without ties.
        let (rx, ry) = (ranks(&x), ranks(&y));
        let d2: f64 = rx.iter().zip(&ry).map(|(a, b)| (a - b).powi(2)).sum();
        let n = x.len() as f64;
        let want = 1.0 - 6.0 * d2 / (n * (n * n - 1.0));
        let r = rank_correlation(&x, &y).unwrap();
        assert!(close(r.rho, want, 1e-12));
        assert!(r.ci95.0 < r.rho && r.rho < r.ci95.1);
        // Monotone transforms do not change it; reversal flips it.
        let y_cubed: Vec<f64> = y.iter().map(|v| v * v * v).collect();
        assert!(close(spearman(&x, &y_cubed), r.rho, 1e-12));
        assert!(close(spearman(&x, &x), 1.0, 1e-12));
        let neg: Vec<f64> = x.iter().map(|v| -v).collect();
        assert!(close(spearman(&x, &neg), -1.0, 1e-12));
        assert!(close(
            spearman(&[1.0, 2.0, 3.0], &[10.0, 5.0, 1.0]),
            -1.0,
            1e-15
        ));
        // Constant sides, too few pairs and mismatched lengths have no correlation.
        assert!(spearman(&x, &[1.0; 7]).is_nan());
        assert!(rank_correlation(&x, &[1.0; 7]).is_none());
        assert!(rank_correlation(&[1.0], &[2.0]).is_none());
        assert!(spearman(&[1.0, 2.0], &[3.0, 3.0]).is_nan());
        assert!(spearman(&[1.0, 2.0, 3.0], &[1.0, 2.0]).is_nan());
    }

    #[test]
    fn ties_and_the_fisher_interval() {
        // Ties share ranks: y ranks [1.5, 1.5, 3] against x ranks [1, 2, 3] gives sqrt(3)/2.
        let rho = spearman(&[1.0, 2.0, 3.0], &[4.0, 4.0, 9.0]);
        assert!(close(rho, 3f64.sqrt() / 2.0, 1e-12), "{rho}");
        // Three pairs: no interval beyond (-1, 1).
        let r = rank_correlation(&[1.0, 2.0, 3.0], &[4.0, 4.0, 9.0]).unwrap();
        assert_eq!((r.n, r.ci95), (3, (-1.0, 1.0)));
        // Seven pairs with sum d^2 = 56 = n (n^2 - 1) / 6, so rho = 0 exactly; the interval is
        // tanh(±1.959964 sqrt(1.06 / 4)) = ±0.76533 (to 5 digits).
        let x: [f64; 7] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        let y: [f64; 7] = [2.0, 6.0, 4.0, 7.0, 1.0, 3.0, 5.0];
        let r = rank_correlation(&x, &y).unwrap();
        assert!(close(r.rho, 0.0, 1e-15), "{r:?}");
        assert!(close(r.ci95.1, 0.76533, 1e-5) && close(r.ci95.0, -r.ci95.1, 1e-15));
        // The interval narrows with more pairs: n = 30 independent-looking pairs.
        let xs: Vec<f64> = (0..30).map(|i| i as f64).collect();
        let ys: Vec<f64> = (0..30).map(|i| ((i * 7) % 30) as f64).collect();
        let wide = rank_correlation(&xs[..8], &ys[..8]).unwrap();
        let narrow = rank_correlation(&xs, &ys).unwrap();
        assert!(narrow.ci95.1 - narrow.ci95.0 < wide.ci95.1 - wide.ci95.0);
    }
}
