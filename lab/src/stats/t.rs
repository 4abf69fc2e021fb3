//! Student's t: quantiles and CDF, one-sample t tests, TOST, and the smallest effects a paired t
//! test or a TOST detects.

use super::summary::{Summary, summarize};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

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

/// CDF of Student's t distribution: `P(T <= t)` for `df` degrees of freedom (`t` may be
/// infinite). NaN when `t` is NaN or `df <= 0`.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    match student_t(df) {
        Some(dist) if !t.is_nan() => dist.cdf(t),
        _ => f64::NAN,
    }
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

/// One-sample t-test p-value of `mean = mu` from a [`Summary`], against the alternative `tail`:
/// `t = (mean - mu) / (std / sqrt(n))` with `n - 1` degrees of freedom. Fewer than two values or
/// a non-finite mean give 1 (no spread, no evidence); zero spread gives 0 or 1 depending on
/// which side of `mu` the mean is (1 for the two-sided test when the mean equals `mu`).
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

/// Smallest mean paired difference a two-sided paired t test at level `alpha` detects with
/// probability `power`, for `n` pairs whose differences have standard deviation `sd`:
/// `(t_{1 - alpha/2, n-1} + t_{power, n-1}) sd / sqrt(n)` (the usual noncentral-t
/// approximation). Infinite with fewer than two pairs; NaN when `alpha` or `power` is outside
/// `(0, 1)`.
pub fn min_detectable_paired(n: usize, sd: f64, alpha: f64, power: f64) -> f64 {
    if n < 2 {
        return f64::INFINITY;
    }
    let df = (n - 1) as f64;
    let t = student_t_quantile(1.0 - alpha / 2.0, df) + student_t_quantile(power, df);
    t * sd / (n as f64).sqrt()
}

/// Smallest symmetric equivalence margin a TOST at level `alpha` shows with probability `power`
/// when the true difference is 0: `(t_{1 - alpha, n-1} + t_{1 - (1 - power)/2, n-1}) sd / sqrt(n)`.
/// Infinite with fewer than two pairs; NaN when `alpha` or `power` is outside `(0, 1)`.
pub fn min_equivalence_margin(n: usize, sd: f64, alpha: f64, power: f64) -> f64 {
    if n < 2 {
        return f64::INFINITY;
    }
    let df = (n - 1) as f64;
    let t = student_t_quantile(1.0 - alpha, df) + student_t_quantile(1.0 - (1.0 - power) / 2.0, df);
    t * sd / (n as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::super::close;
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // Printed tables give three decimals, hence the 1e-3 tolerance.
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
        // Cauchy CDF: 1/2 + atan(t) / pi; at t = 1, 3/4.
        assert!(close(student_t_cdf(1.0, 1.0), 0.75, 1e-12));
        assert!(student_t_cdf(f64::NAN, 3.0).is_nan());
    }

    #[test]
    fn tost_matches_the_closed_form_for_two_degrees_of_freedom() {
        // Student's t with 2 df has F(t) = 1/2 + t / (2 sqrt(2 + t^2)) (a textbook closed form).
        // Differences [1, 2, 3]: mean 2, sd 1, se 1/sqrt(3). Margin ±4:
        // the upper test has t = (2 - 4) sqrt(3) = -2 sqrt(3), p = F(-2 sqrt 3) = 1/2 - sqrt(3)/sqrt(14);
        // the lower test t = 6 sqrt(3) is far smaller, so TOST's p is the upper one.
        // statrs computes the CDF through the regularized incomplete beta: 1e-10 is ample.
        let cdf2 = |t: f64| 0.5 + t / (2.0 * (2.0 + t * t).sqrt());
        let want = cdf2(-2.0 * 3f64.sqrt());
        assert!(close(want, 0.5 - 3f64.sqrt() / 14f64.sqrt(), 1e-15));
        let p = tost_p(&[1.0, 2.0, 3.0], -4.0, 4.0);
        assert!(close(p, want, 1e-10), "{p} vs {want}");
        // A margin the mean lies outside can never be shown: p >= 1/2.
        assert!(tost_p(&[1.0, 2.0, 3.0], -1.0, 1.0) > 0.5);
        // The two-sided t test from the same closed form: t = 2 sqrt(3), p = 2 (1 - F(t)).
        let s = summarize(&[1.0, 2.0, 3.0]);
        let p2 = t_test_p(&s, 0.0, Tail::Two);
        assert!(close(p2, 2.0 * (1.0 - cdf2(2.0 * 3f64.sqrt())), 1e-10));
        // One value: no evidence. No spread: certain.
        assert_eq!(t_test_p(&summarize(&[1.0]), 0.0, Tail::Two), 1.0);
        assert_eq!(t_test_p(&summarize(&[1.0, 1.0]), 0.0, Tail::Two), 0.0);
        assert_eq!(t_test_p(&summarize(&[1.0, 1.0]), 1.0, Tail::Two), 1.0);
    }

    #[test]
    fn detectable_effects_follow_their_formulas() {
        // n = 3, sd = 1, alpha 0.05, power 0.8: (t_{0.975,2} + t_{0.8,2}) / sqrt(3) with the
        // df = 2 closed form t_p = (2p - 1) sqrt(2 / (4 p (1 - p))).
        let t2 = |p: f64| (2.0 * p - 1.0) * (2.0 / (4.0 * p * (1.0 - p))).sqrt();
        let want = (t2(0.975) + t2(0.8)) / 3f64.sqrt();
        assert!(close(min_detectable_paired(3, 1.0, 0.05, 0.8), want, 1e-10));
        let want = (t2(0.95) + t2(0.9)) / 3f64.sqrt();
        assert!(close(
            min_equivalence_margin(3, 1.0, 0.05, 0.8),
            want,
            1e-10
        ));
        // The quantile levels computed from alpha 0.05 and power 0.8 are the very floats 0.975,
        // 0.95 and 0.9 (so reports keep their digits).
        assert_eq!(
            (1.0 - 0.05 / 2.0, 1.0 - 0.05, 1.0 - (1.0 - 0.8) / 2.0),
            (0.975, 0.95, 0.9)
        );
        assert_eq!(min_detectable_paired(1, 1.0, 0.05, 0.8), f64::INFINITY);
        assert_eq!(min_equivalence_margin(0, 1.0, 0.05, 0.8), f64::INFINITY);
        assert!(min_detectable_paired(3, 1.0, 0.05, 1.0).is_nan());
    }
}
