//! Describing one sample: mean, sample standard deviation and Student-t interval ([`summarize`]),
//! median and quantiles, per-epoch curves over seeds, and relative changes.

use super::StatsError;
use super::t::t_critical_95;

/// Mean, sample standard deviation and 95% confidence interval of a sample.
/// (In JSON, an infinite interval end is written as `null`.)
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Number of values.
    pub n: usize,
    /// Arithmetic mean (NaN when `n == 0`).
    pub mean: f64,
    /// Sample standard deviation with the `n - 1` denominator
    /// (0 when `n == 1`, NaN when `n == 0`).
    pub std: f64,
    /// Student-t 95% confidence interval for the mean. With fewer than two
    /// values the spread is unknown, so the interval is `(-inf, +inf)`: this
    /// is NaN-free and never lets one seed look "significant".
    pub ci95: (f64, f64),
}

/// The arithmetic mean of `xs`, summed in order. NaN when `xs` is empty; a NaN or infinite value
/// propagates (a diverged run stays visible instead of being dropped).
pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Summarise a sample: mean, sample std (`n - 1` denominator) and Student-t 95% CI of the mean,
/// `mean ± t_{0.975, n-1} std / sqrt(n)`.
///
/// Conventions: `n == 0` gives mean and std NaN and CI `(-inf, +inf)`;
/// `n == 1` gives std 0 and CI `(-inf, +inf)` (one seed carries no
/// information about spread). Non-finite values propagate into the result
/// rather than being silently dropped, so a diverged run stays visible.
pub fn summarize(xs: &[f64]) -> Summary {
    let n = xs.len();
    let unbounded = (f64::NEG_INFINITY, f64::INFINITY);
    let mean = mean(xs);
    if n < 2 {
        let std = if n == 0 { f64::NAN } else { 0.0 };
        return Summary {
            n,
            mean,
            std,
            ci95: unbounded,
        };
    }
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
    let std = var.sqrt();
    let half = t_critical_95(n - 1) * std / (n as f64).sqrt();
    Summary {
        n,
        mean,
        std,
        ci95: (mean - half, mean + half),
    }
}

/// The median of `xs`: the middle value of an odd count, the mean of the two middle values of an
/// even count (the textbook convention). NaN when `xs` is empty or holds a NaN; infinities are
/// ordinary values (the median of `[1, 2, inf]` is 2).
pub fn median(xs: &[f64]) -> f64 {
    if xs.is_empty() || xs.iter().any(|x| x.is_nan()) {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// The `p`-quantile of values already sorted ascending, by linear interpolation between order
/// statistics (Hyndman & Fan's type 7, numpy's default): with `h = p (n - 1)`,
/// `x[floor h] + (h - floor h) (x[ceil h] - x[floor h])`. So `p = 0` is the minimum and `p = 1`
/// the maximum. NaN when `sorted` is empty or `p` lies outside `[0, 1]` (or is NaN).
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    let h = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Relative change of `ours` against `other` for a lower-is-better error: `ours / other - 1`.
///
/// The one sign convention of every table, CSV and report: negative means our error is lower.
/// The paper's "R-BackProp improves on X by 77.5%" is a change of `-0.775`. Returns NaN when
/// `other == 0` (no baseline) or either input is NaN.
pub fn relative_change(ours: f64, other: f64) -> f64 {
    if other == 0.0 {
        return f64::NAN;
    }
    ours / other - 1.0
}

/// The relative change of the mean of `a` against the mean of `b`, `mean(a) / mean(b) - 1`
/// (NaN when either is empty or `mean(b) == 0`).
pub fn relative_change_of_means(a: &[f64], b: &[f64]) -> f64 {
    relative_change(mean(a), mean(b))
}

/// Per-epoch mean and sample std across seeds, for plotting learning curves
/// with a ±1 std band.
///
/// All curves must have the same length (a seed that stopped early would
/// otherwise bias late epochs). With one curve the std is 0 everywhere (no
/// band). No curves at all is an error.
pub fn mean_std_curves(curves: &[Vec<f64>]) -> Result<(Vec<f64>, Vec<f64>), StatsError> {
    let first = curves
        .first()
        .ok_or_else(|| StatsError::Empty("no curves to average".into()))?;
    let len = first.len();
    if let Some((i, c)) = curves.iter().enumerate().find(|(_, c)| c.len() != len) {
        return Err(StatsError::LengthMismatch {
            what: format!("curve {i}"),
            expected: len,
            got: c.len(),
        });
    }
    let mut means = Vec::with_capacity(len);
    let mut stds = Vec::with_capacity(len);
    let mut column = Vec::with_capacity(curves.len());
    for t in 0..len {
        column.clear();
        column.extend(curves.iter().map(|c| c[t]));
        let s = summarize(&column);
        means.push(s.mean);
        stds.push(s.std);
    }
    Ok((means, stds))
}

#[cfg(test)]
mod tests {
    use super::super::close;
    use super::*;

    #[test]
    fn summarize_hand_example() {
        let s = summarize(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(s.n, 5);
        assert!(close(s.mean, 3.0, 1e-12));
        assert!(close(s.std, 2.5f64.sqrt(), 1e-12));
        // half-width = t_{0.975,4} * sqrt(2.5) / sqrt(5) = 2.776445 * 0.707107 (t to 6 digits).
        let half = 2.776_445 * 0.5f64.sqrt();
        assert!(close(s.ci95.0, 3.0 - half, 1e-5));
        assert!(close(s.ci95.1, 3.0 + half, 1e-5));
    }

    #[test]
    fn summarize_degenerate() {
        let one = summarize(&[0.25]);
        assert_eq!(one.n, 1);
        assert_eq!(one.mean, 0.25);
        assert_eq!(one.std, 0.0);
        assert_eq!(one.ci95, (f64::NEG_INFINITY, f64::INFINITY));
        let none = summarize(&[]);
        assert_eq!(none.n, 0);
        assert!(none.mean.is_nan() && none.std.is_nan());
        let constant = summarize(&[2.0, 2.0, 2.0]);
        assert_eq!(constant.std, 0.0);
        assert_eq!(constant.ci95, (2.0, 2.0));
        // A diverged seed stays visible.
        assert!(summarize(&[1.0, f64::NAN]).mean.is_nan());
        assert_eq!(mean(&[1.0, f64::INFINITY]), f64::INFINITY);
        assert!(mean(&[]).is_nan());
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[7.0]), 7.0);
        assert_eq!(median(&[1.0, 2.0, f64::INFINITY]), 2.0);
        assert!(median(&[]).is_nan());
        assert!(median(&[1.0, f64::NAN, 2.0]).is_nan());
    }

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let x = [10.0, 20.0, 30.0, 40.0, 50.0];
        // h = p (n - 1): p = 0.25 -> h = 1 exactly; p = 0.1 -> h = 0.4, 10 + 0.4 * 10 = 14.
        assert_eq!(quantile_sorted(&x, 0.0), 10.0);
        assert_eq!(quantile_sorted(&x, 0.25), 20.0);
        assert_eq!(quantile_sorted(&x, 1.0), 50.0);
        assert!(close(quantile_sorted(&x, 0.1), 14.0, 1e-12));
        assert_eq!(quantile_sorted(&[5.0], 0.3), 5.0);
        assert!(quantile_sorted(&[], 0.5).is_nan());
        assert!(quantile_sorted(&x, 1.5).is_nan());
        assert!(quantile_sorted(&x, f64::NAN).is_nan());
    }

    #[test]
    fn relative_change_reads_like_the_paper() {
        // Error 0.0225 vs 0.1: 77.5% lower.
        assert!(close(relative_change(0.0225, 0.1), -0.775, 1e-12));
        assert!(close(relative_change(0.2, 0.1), 1.0, 1e-12));
        assert!(relative_change(0.1, 0.0).is_nan());
        // Means 2 and 4: -50%.
        assert!(close(
            relative_change_of_means(&[1.0, 3.0], &[4.0, 4.0]),
            -0.5,
            1e-15
        ));
        assert!(relative_change_of_means(&[], &[1.0]).is_nan());
    }

    #[test]
    fn curves_mean_std() {
        let curves = vec![vec![1.0, 2.0], vec![3.0, 2.0], vec![5.0, 2.0]];
        let (m, s) = mean_std_curves(&curves).unwrap();
        assert_eq!(m, vec![3.0, 2.0]);
        assert!(close(s[0], 2.0, 1e-12));
        assert_eq!(s[1], 0.0);
        assert!(mean_std_curves(&[]).is_err());
        let bad = vec![vec![1.0, 2.0], vec![1.0]];
        assert!(matches!(
            mean_std_curves(&bad),
            Err(StatsError::LengthMismatch {
                expected: 2,
                got: 1,
                ..
            })
        ));
        let (m1, s1) = mean_std_curves(&[vec![0.5, 0.25]]).unwrap();
        assert_eq!((m1, s1), (vec![0.5, 0.25], vec![0.0, 0.0]));
    }
}
