//! Student's t: quantiles and CDF, one-sample t tests and their intervals, TOST and its power,
//! and the smallest effects a paired t test or a TOST detects.
//!
//! **The one interval of the lab** is the Student-t interval of a mean, applied to per-seed
//! paired differences (or per-seed log ratios, for relative changes): [`t_interval`]. It is the
//! dual of the t test ([`t_test_p`]): at any level, the two-sided interval excludes `mu` exactly
//! when the test's p is below `1 - level`, so a p-value and an interval never disagree. It is exact
//! for normal differences at any `n >= 2`, which the percentile bootstrap is not at five seeds
//! (5 seeds have only 126 distinct resamples, and its intervals are too narrow by a factor of
//! about `sqrt((n - 1) / n) t_{n-1} / z`); a test in this module checks its coverage by simulation.

use super::summary::{Summary, summarize};
use statrs::distribution::{ChiSquared, Continuous, ContinuousCDF, Normal, StudentsT};

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

/// Two-sided Student-t interval of the mean at coverage `level` (e.g. 0.95):
/// `mean ± t_{(1 + level)/2, n-1} std / sqrt(n)`. With fewer than two values, or a `level` outside
/// `(0, 1)`, the interval is `(-inf, +inf)` (never a false certainty); a NaN mean gives NaN ends.
pub fn t_interval(s: &Summary, level: f64) -> (f64, f64) {
    let valid = level > 0.0 && level < 1.0;
    if s.n < 2 || !valid {
        return (f64::NEG_INFINITY, f64::INFINITY);
    }
    let t = student_t_quantile((1.0 + level) / 2.0, (s.n - 1) as f64);
    let half = t * s.std / (s.n as f64).sqrt();
    (s.mean - half, s.mean + half)
}

/// The per-test level of Bonferroni's correction for `family` tests at family-wise `alpha`:
/// `alpha / family` (`alpha` itself for a family of 0 or 1).
pub fn bonferroni_alpha(alpha: f64, family: usize) -> f64 {
    alpha / family.max(1) as f64
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

/// Exact power of the paired TOST at level `alpha` with margin `±margin`, for `n` pairs whose
/// differences are normal with mean `delta` and standard deviation `sd`: the probability that
/// `-margin + t s / sqrt(n) < mean < margin - t s / sqrt(n)` (`t = t_{1 - alpha, n-1}`, `s` the
/// sample sd). Given `s`, the mean is `N(delta, sd^2 / n)`; `s^2 (n - 1) / sd^2` is chi-squared
/// with `n - 1` degrees of freedom, over which the conditional power is integrated (Simpson's rule
/// on 4000 panels up to the chi-squared's `1 - 1e-12` quantile). NaN for `n < 2`, `sd <= 0` or
/// `alpha` outside `(0, 1)`.
pub fn tost_power(n: usize, sd: f64, delta: f64, margin: f64, alpha: f64) -> f64 {
    let valid = n >= 2 && sd > 0.0 && alpha > 0.0 && alpha < 1.0 && margin.is_finite();
    if !valid || !delta.is_finite() {
        return f64::NAN;
    }
    let df = (n - 1) as f64;
    let (Ok(chi2), normal) = (ChiSquared::new(df), Normal::standard()) else {
        return f64::NAN;
    };
    let t = student_t_quantile(1.0 - alpha, df);
    let se = sd / (n as f64).sqrt();
    let conditional = |x: f64| {
        let half = margin - t * se * (x / df).sqrt(); // margin - t s / sqrt(n)
        if half <= 0.0 {
            return 0.0;
        }
        normal.cdf((half - delta) / se) - normal.cdf((-half - delta) / se)
    };
    let top = chi2.inverse_cdf(1.0 - 1e-12);
    let panels = 4000;
    let h = top / panels as f64;
    let f = |k: usize| {
        let x = k as f64 * h;
        // The chi-squared density is infinite at 0 for one degree of freedom; the integrand's
        // mass there is negligible at this step, so the end point is skipped.
        if x == 0.0 {
            0.0
        } else {
            chi2.pdf(x) * conditional(x)
        }
    };
    let inner: f64 = (1..panels)
        .map(|k| if k % 2 == 1 { 4.0 * f(k) } else { 2.0 * f(k) })
        .sum();
    ((f(0) + inner + f(panels)) * h / 3.0).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::super::close;
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// A standard normal draw (Box-Muller), for the simulations below.
    fn normal(rng: &mut rand_chacha::ChaCha8Rng) -> f64 {
        let u: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
        let v: f64 = rng.random::<f64>();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    #[test]
    fn the_t_interval_covers_at_its_level_with_five_seeds() {
        // 2000 normal samples of n = 5: a 95% interval covers in 95% of them; the binomial sd of
        // the share is 0.49%, so 93-97% is a 4-sd band (a true level of 90% or 99% would fail).
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let (trials, mu) = (2000, 0.3);
        let covered = (0..trials)
            .filter(|_| {
                let x: Vec<f64> = (0..5).map(|_| mu + 2.0 * normal(&mut rng)).collect();
                let (lo, hi) = t_interval(&summarize(&x), 0.95);
                lo <= mu && mu <= hi
            })
            .count();
        let share = covered as f64 / trials as f64;
        assert!((0.93..=0.97).contains(&share), "coverage {share}");
    }

    #[test]
    fn the_t_interval_is_the_dual_of_the_t_test() {
        // [1, 2, 3, 4, 6]: the 1 - p interval has 0 exactly at an end.
        let s = summarize(&[1.0, 2.0, 3.0, 4.0, 6.0]);
        let p = t_test_p(&s, 0.0, Tail::Two);
        let (lo, _) = t_interval(&s, 1.0 - p);
        assert!(close(lo, 0.0, 1e-9), "{lo}");
        // At 95% it is summarize's interval; at 99% wider, and one value gives no interval.
        let (l95, h95) = t_interval(&s, 0.95);
        assert!(close(l95, s.ci95.0, 1e-12) && close(h95, s.ci95.1, 1e-12));
        let (l99, h99) = t_interval(&s, 0.99);
        assert!(l99 < l95 && h99 > h95);
        // Textbook: t_{0.995, 4} = 4.604 (tables give three decimals).
        let half = (h99 - l99) / 2.0 / (s.std / 5f64.sqrt());
        assert!(close(half, 4.604, 1e-3), "{half}");
        let one = summarize(&[1.0]);
        assert_eq!(t_interval(&one, 0.95), (f64::NEG_INFINITY, f64::INFINITY));
        assert_eq!(t_interval(&s, 1.0), (f64::NEG_INFINITY, f64::INFINITY));
        assert_eq!(bonferroni_alpha(0.05, 10), 0.005);
        assert_eq!(bonferroni_alpha(0.05, 0), 0.05);
    }

    #[test]
    fn tost_power_matches_simulation_and_limits() {
        // Simulation: n = 5, sd = 1, margin 2, true difference 0.5, alpha 0.05; 20000 trials give
        // a share with sd <= 0.0036, so 0.015 is a 4-sd tolerance.
        let (n, sd, delta, margin, alpha) = (5, 1.0, 0.5, 2.0, 0.05);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let trials = 20_000;
        let shown = (0..trials)
            .filter(|_| {
                let d: Vec<f64> = (0..n).map(|_| delta + sd * normal(&mut rng)).collect();
                tost_p(&d, -margin, margin) < alpha
            })
            .count();
        let simulated = shown as f64 / trials as f64;
        let exact = tost_power(n, sd, delta, margin, alpha);
        assert!(close(exact, simulated, 0.015), "{exact} vs {simulated}");
        // A margin far beyond the noise is shown almost surely; a true difference on the margin
        // at most alpha of the time; and bad input is NaN.
        assert!(tost_power(10, 0.01, 0.0, 1.0, 0.05) > 0.999_999);
        assert!(tost_power(5, 1.0, 2.0, 2.0, 0.05) <= 0.05 + 1e-6);
        assert!(tost_power(1, 1.0, 0.0, 1.0, 0.05).is_nan());
        assert!(tost_power(5, 0.0, 0.0, 1.0, 0.05).is_nan());
    }

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
