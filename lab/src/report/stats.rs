//! Statistics for comparing optimizers over random seeds: summaries, paired t and sign tests,
//! TOST, Holm's adjustment, a paired bootstrap, Spearman's rho and detectable effects.
//!
//! The distributions come from `statrs`. How a claim of the paper is judged with these tools
//! (the verdict rules) lives with the claims, in [`crate::paper`]. The functions here
//! never panic on bad input: degenerate inputs get a documented result and
//! inconsistent inputs (mismatched lengths) get a [`StatsError`].

use statrs::distribution::{Binomial, ContinuousCDF, DiscreteCDF, Normal, StudentsT};

/// Errors for inputs that cannot be summarised meaningfully.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// Two paired samples (or curves) must have the same length.
    #[error("length mismatch: {what} has length {got}, expected {expected}")]
    LengthMismatch {
        /// Which input is mismatched.
        what: String,
        /// Expected length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
    /// An operation needs at least one value.
    #[error("empty input: {0}")]
    Empty(String),
    /// A parameter was out of its domain (e.g. a NaN claimed improvement).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

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

/// Summarise a sample: mean, sample std and Student-t 95% CI of the mean.
///
/// Conventions: `n == 0` gives mean and std NaN and CI `(-inf, +inf)`;
/// `n == 1` gives std 0 and CI `(-inf, +inf)` (one seed carries no
/// information about spread). Non-finite values propagate into the result
/// rather than being silently dropped, so a diverged run stays visible.
pub fn summarize(xs: &[f64]) -> Summary {
    let n = xs.len();
    let unbounded = (f64::NEG_INFINITY, f64::INFINITY);
    if n == 0 {
        return Summary {
            n,
            mean: f64::NAN,
            std: f64::NAN,
            ci95: unbounded,
        };
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return Summary {
            n,
            mean,
            std: 0.0,
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

/// Two-sided 95% critical value of Student's t, i.e. the 0.975 quantile for
/// `df` degrees of freedom. `df == 0` gives `+inf`.
pub fn t_critical_95(df: usize) -> f64 {
    if df == 0 {
        return f64::INFINITY;
    }
    student_t_quantile(0.975, df as f64)
}

/// Student's t with `df` degrees of freedom (statrs), `None` when `df` is not positive.
fn student_t(df: f64) -> Option<StudentsT> {
    StudentsT::new(0.0, 1.0, df).ok()
}

/// Beyond this many degrees of freedom the normal quantile stands in for Student's.
///
/// Measured: statrs 0.18's t quantile drifts for huge `df` (0.975 quantile: 1.95985 at 1e6 where
/// the true value is 1.95996, and 1.83 at 1e7). At 1e5 the normal quantile is within 2.4e-5 of
/// the t quantile; seed counts are far below either.
const NORMAL_ABOVE_DF: f64 = 1e5;

/// Quantile (inverse CDF) of Student's t distribution with `df > 0` degrees of freedom.
/// Returns NaN for `p` outside `(0, 1)` or `df <= 0`.
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    let valid = p > 0.0 && p < 1.0; // false for NaN too
    if valid && df > NORMAL_ABOVE_DF {
        return Normal::standard().inverse_cdf(p);
    }
    match student_t(df) {
        Some(t) if valid => t.inverse_cdf(p),
        _ => f64::NAN,
    }
}

/// CDF of Student's t distribution: `P(T <= t)` for `df` degrees of freedom.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    match student_t(df) {
        Some(dist) if !t.is_nan() => dist.cdf(t),
        _ => f64::NAN,
    }
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
    /// (`(-inf, +inf)` with fewer than two pairs, see [`Summary::ci95`]).
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
/// lengths are an error: silently truncating would compare the wrong seeds.
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
/// `X ~ Binomial(wins + losses, 1/2)`.
pub fn sign_test_p(wins: usize, losses: usize) -> f64 {
    let n = wins + losses;
    if n == 0 {
        return 1.0;
    }
    let k = wins.min(losses) as u64;
    let tail = Binomial::new(0.5, n as u64).map_or(1.0, |b| b.cdf(k));
    (2.0 * tail).min(1.0)
}

/// The alternative of a t test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tail {
    /// `mean != mu`.
    Two,
    /// `mean < mu`.
    Below,
    /// `mean > mu`.
    Above,
}

/// One-sample t-test p-value of `mean = mu` from a [`Summary`], against the alternative `tail`.
/// Fewer than two values give 1 (no spread, no evidence); zero spread gives 0 or 1 depending on
/// which side of `mu` the mean is.
pub fn t_test_p(s: &Summary, mu: f64, tail: Tail) -> f64 {
    if s.n < 2 || !s.mean.is_finite() {
        return 1.0;
    }
    let se = s.std / (s.n as f64).sqrt();
    let t = if se > 0.0 {
        (s.mean - mu) / se
    } else {
        match s.mean.partial_cmp(&mu) {
            Some(std::cmp::Ordering::Less) => f64::NEG_INFINITY,
            Some(std::cmp::Ordering::Greater) => f64::INFINITY,
            _ => 0.0,
        }
    };
    let df = (s.n - 1) as f64;
    let below = student_t_cdf(t, df);
    match tail {
        Tail::Below => below,
        Tail::Above => 1.0 - below,
        Tail::Two => (2.0 * below.min(1.0 - below)).min(1.0),
    }
}

/// Two one-sided tests (TOST) of equivalence for paired differences `diffs` within
/// `(low, high)`: the p-value is the larger of the tests of `mean <= low` and `mean >= high`.
/// Equivalence at level alpha is shown when it is below alpha (the 1 - 2 alpha CI then lies inside
/// the margin). Fewer than two differences give 1.
pub fn tost_p(diffs: &[f64], low: f64, high: f64) -> f64 {
    let s = summarize(diffs);
    t_test_p(&s, low, Tail::Above).max(t_test_p(&s, high, Tail::Below))
}

/// Holm's step-down adjustment of `p` (family-wise error): the adjusted p-values, in the input
/// order. The `i`-th smallest is `max_{j <= i} min(1, (m - j) p_(j))` (0-based `j`).
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

/// SplitMix64: a tiny fixed generator, so the bootstrap draws the same indices on every machine.
struct SplitMix(u64);
impl SplitMix {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z as u128 * n as u128) >> 64) as usize
    }
}

/// Seed of every bootstrap in the reports: fixed, so a report is reproducible bit for bit.
pub const BOOTSTRAP_SEED: u64 = 20170127;
/// Resamples per bootstrap interval.
pub const BOOTSTRAP_RESAMPLES: usize = 4000;

/// Percentile bootstrap interval of `stat(a*, b*)` at coverage `level` (e.g. 0.95), resampling
/// seed indices with replacement and keeping the pairs together. `(NaN, NaN)` when the inputs
/// are empty or of different lengths. Resamples where `stat` is not finite are dropped.
pub fn paired_bootstrap_ci(
    a: &[f64],
    b: &[f64],
    level: f64,
    seed: u64,
    resamples: usize,
    stat: impl Fn(&[f64], &[f64]) -> f64,
) -> (f64, f64) {
    let n = a.len();
    if n == 0 || n != b.len() || resamples == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mut rng = SplitMix(seed);
    let (mut ra, mut rb) = (vec![0.0; n], vec![0.0; n]);
    let mut stats: Vec<f64> = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        for k in 0..n {
            let i = rng.below(n);
            ra[k] = a[i];
            rb[k] = b[i];
        }
        let v = stat(&ra, &rb);
        if v.is_finite() {
            stats.push(v);
        }
    }
    if stats.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    stats.sort_by(f64::total_cmp);
    let q = |p: f64| {
        // Type-7 quantile (linear interpolation), as numpy's default.
        let h = p * (stats.len() - 1) as f64;
        let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
        stats[lo] + (h - lo as f64) * (stats[hi] - stats[lo])
    };
    let tail = 0.5 * (1.0 - level);
    (q(tail), q(1.0 - tail))
}

/// The relative change of the mean of `a` against the mean of `b`, `mean(a) / mean(b) - 1`.
pub fn relative_change_of_means(a: &[f64], b: &[f64]) -> f64 {
    relative_change(summarize(a).mean, summarize(b).mean)
}

/// Spearman's rank correlation of `x` and `y` (average ranks for ties); NaN when either is
/// constant, the lengths differ or there are fewer than two points.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    if x.len() != y.len() || x.len() < 2 {
        return f64::NAN;
    }
    let (rx, ry) = (ranks(x), ranks(y));
    let (mx, my) = (summarize(&rx).mean, summarize(&ry).mean);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        return f64::NAN;
    }
    sxy / (sxx * syy).sqrt()
}

/// Ranks from 1, ties sharing their average rank.
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

/// Smallest mean paired difference a two-sided paired t test at level 0.05 detects with power
/// 0.8, for `n` pairs whose differences have standard deviation `sd`:
/// `(t_{0.975, n-1} + t_{0.8, n-1}) sd / sqrt(n)` (the usual noncentral-t approximation).
/// Infinite with fewer than two pairs.
pub fn min_detectable_paired(n: usize, sd: f64) -> f64 {
    if n < 2 {
        return f64::INFINITY;
    }
    let df = (n - 1) as f64;
    (student_t_quantile(0.975, df) + student_t_quantile(0.8, df)) * sd / (n as f64).sqrt()
}

/// Smallest symmetric equivalence margin a TOST at level 0.05 shows with power 0.8 when the true
/// difference is 0: `(t_{0.95, n-1} + t_{0.9, n-1}) sd / sqrt(n)`. Infinite with fewer than two.
pub fn min_equivalence_margin(n: usize, sd: f64) -> f64 {
    if n < 2 {
        return f64::INFINITY;
    }
    let df = (n - 1) as f64;
    (student_t_quantile(0.95, df) + student_t_quantile(0.9, df)) * sd / (n as f64).sqrt()
}

/// Fewest successes out of `n` for which the two-sided sign test reaches p < 0.05; `None` when
/// even `n` of `n` does not (fewer than 6 seeds).
pub fn sign_test_min_wins(n: usize) -> Option<usize> {
    (0..=n).find(|&k| k * 2 > n && sign_test_p(k, n - k) < 0.05)
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
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn t_quantiles_match_tables() {
        for (df, want) in [
            (1, 12.706),
            (2, 4.303),
            (4, 2.776),
            (9, 2.262),
            (29, 2.045),
            (100, 1.984),
        ] {
            let got = t_critical_95(df);
            assert!(close(got, want, 1e-3), "df={df}: {got} vs {want}");
        }
        assert!(close(t_critical_95(1_000_000), 1.959_96, 1e-4));
        assert!(close(t_critical_95(100_000_000), 1.959_96, 1e-4));
        // Closed form for df = 2: t_p = (2p - 1) sqrt(2 / (4 p (1 - p))).
        let p = 0.975f64;
        let exact2 = (2.0 * p - 1.0) * (2.0 / (4.0 * p * (1.0 - p))).sqrt();
        assert!(
            close(t_critical_95(2), exact2, 1e-12),
            "{}",
            t_critical_95(2)
        );
        assert_eq!(t_critical_95(0), f64::INFINITY);
        // Exact closed form for df = 1 (Cauchy): tan(pi * (p - 1/2)).
        let exact = (std::f64::consts::PI * 0.475).tan();
        assert!(close(student_t_quantile(0.975, 1.0), exact, 1e-9));
        assert!(close(student_t_quantile(0.025, 4.0), -2.776_445, 1e-5));
        assert!(student_t_quantile(1.5, 3.0).is_nan());
        assert!(student_t_quantile(0.9, 0.0).is_nan());
    }

    #[test]
    fn summarize_hand_example() {
        let s = summarize(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(s.n, 5);
        assert!(close(s.mean, 3.0, 1e-12));
        assert!(close(s.std, 2.5f64.sqrt(), 1e-12));
        // half-width = t_{0.975,4} * sqrt(2.5) / sqrt(5) = 2.776445 * 0.707107
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
    }

    #[test]
    fn relative_change_reads_like_the_paper() {
        // Error 0.0225 vs 0.1: 77.5% lower.
        assert!(close(relative_change(0.0225, 0.1), -0.775, 1e-12));
        assert!(close(relative_change(0.2, 0.1), 1.0, 1e-12));
        assert!(relative_change(0.1, 0.0).is_nan());
    }

    #[test]
    fn sign_test_exact_values() {
        assert!(close(sign_test_p(10, 0), 2.0 / 1024.0, 1e-12));
        assert!(close(sign_test_p(0, 10), 2.0 / 1024.0, 1e-12));
        assert!(close(sign_test_p(8, 2), 112.0 / 1024.0, 1e-12));
        assert_eq!(sign_test_p(5, 5), 1.0);
        assert_eq!(sign_test_p(0, 0), 1.0);
        assert!(close(sign_test_p(1, 0), 1.0, 1e-12));
    }

    #[test]
    fn paired_hand_example() {
        // d = [-1, -2, -3]: mean -2, sd 1, half-width t_{0.975,2} / sqrt(3).
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
