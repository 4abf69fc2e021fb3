//! Honest statistics for comparing optimizers over random seeds.
//!
//! The paper reports single numbers such as "R-BackProp improves on SGD by
//! 77.5%". To check such a claim we run several seeds per optimizer and ask
//! two questions: is the difference real (paired comparison over seeds, with a
//! Student-t confidence interval and an exact sign test), and is it as large as
//! claimed (relative improvement of the mean test error). The functions here
//! never panic on bad input: degenerate inputs get a documented result and
//! inconsistent inputs (mismatched lengths) get a [`StatsError`].

use std::fmt;

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

/// Quantile (inverse CDF) of Student's t distribution with `df > 0` degrees of
/// freedom, computed by bisection on the exact CDF (via the regularised
/// incomplete beta function), so it is accurate for every `df`, not just the
/// tabulated ones. Returns NaN for `p` outside `(0, 1)` or `df <= 0`.
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    let valid = p > 0.0 && p < 1.0 && df > 0.0; // false for NaN too
    if !valid {
        return f64::NAN;
    }
    if p == 0.5 {
        return 0.0;
    }
    if p < 0.5 {
        return -student_t_quantile(1.0 - p, df);
    }
    let mut hi = 1.0;
    while student_t_cdf(hi, df) < p {
        hi *= 2.0;
        if hi > 1e300 {
            return f64::INFINITY;
        }
    }
    let mut lo = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if student_t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-13 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// CDF of Student's t distribution: `P(T <= t)` for `df` degrees of freedom.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    let x = df / (df + t * t);
    let tail = 0.5 * reg_inc_beta(0.5 * df, 0.5, x);
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// Natural log of the gamma function (Lanczos approximation, g = 7), accurate
/// to about 1e-15 relative for positive arguments.
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection formula keeps the approximation accurate near zero.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = COEF[0];
    let t = x + G + 0.5;
    for (i, c) in COEF.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularised incomplete beta function `I_x(a, b)`.
fn reg_inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    // The continued fraction converges fast for x < (a+1)/(a+b+2); use the
    // symmetry I_x(a,b) = 1 - I_{1-x}(b,a) otherwise.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

/// Continued fraction for the incomplete beta function (modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const EPS: f64 = 1e-16;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / away_from_zero(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..=500 {
        let m = m as f64;
        let m2 = 2.0 * m;
        // Each iteration takes the even then the odd term of the fraction.
        h *= lentz_step(m * (b - m) * x / ((qam + m2) * (a + m2)), &mut c, &mut d);
        let del = lentz_step(
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
            &mut c,
            &mut d,
        );
        h *= del;
        if (del - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// One term `aa` of the modified Lentz recurrence: updates `c` and `d` and returns the factor
/// `c * d` that multiplies the running value.
fn lentz_step(aa: f64, c: &mut f64, d: &mut f64) -> f64 {
    *d = 1.0 / away_from_zero(1.0 + aa * *d);
    *c = away_from_zero(1.0 + aa / *c);
    *c * *d
}

/// Lentz's guard against division by zero: tiny values are replaced by a tiny constant.
fn away_from_zero(x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    if x.abs() < TINY { TINY } else { x }
}

/// Relative improvement of `ours` over `other` for a lower-is-better metric:
/// `(other - ours) / other`.
///
/// This is how the paper's "R-BackProp improves on X by 77.5%" reads: our
/// test error is 77.5% lower than X's, i.e. the result is `0.775`. Negative
/// means we are worse. Returns NaN when `other == 0` (no baseline to improve
/// on) or either input is NaN.
pub fn relative_improvement(ours: f64, other: f64) -> f64 {
    if other == 0.0 {
        return f64::NAN;
    }
    (other - ours) / other
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
    let k = wins.min(losses);
    let nf = n as f64;
    let ln_half_n = nf * 0.5f64.ln();
    let tail: f64 = (0..=k)
        .map(|i| {
            let i = i as f64;
            (ln_gamma(nf + 1.0) - ln_gamma(i + 1.0) - ln_gamma(nf - i + 1.0) + ln_half_n).exp()
        })
        .sum();
    (2.0 * tail).min(1.0)
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

/// Outcome of checking a claim "A beats B by X%".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The claim is reproduced.
    Holds,
    /// A is better, but not by as much as claimed, or not significantly.
    Partly,
    /// The claim is not reproduced.
    DoesNotHold,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Holds => "holds",
            Verdict::Partly => "partly holds",
            Verdict::DoesNotHold => "does not hold",
        })
    }
}

/// Judge the claim "A beats B by `claimed` (a fraction, e.g. 0.775 for
/// 77.5%)" from per-seed test errors `a` and `b` (paired by index, lower is
/// better). Returns the verdict and a one-sentence reason.
///
/// The rule, with `d = a - b` per seed and `measured =
/// relative_improvement(mean(a), mean(b))`:
/// - **Holds** if A is significantly better (the upper end of the paired
///   t 95% CI of `d` is below 0) *and* `measured >= claimed / 2`. Half the
///   claim is the bar because the paper's percentages come from single runs
///   and our toy setup differs in details; the direction and rough size are
///   what we reproduce.
/// - **Partly** if A is significantly better but `measured < claimed / 2`,
///   or A is not significantly better but wins in a strict majority of seeds
///   with a negative mean difference.
/// - **DoesNotHold** otherwise.
///
/// With a single seed no CI can exclude 0 (see [`Summary::ci95`]), so the
/// best a single run can earn is **Partly**.
///
/// Errors on mismatched lengths, empty input or a non-finite claim.
pub fn verdict(a: &[f64], b: &[f64], claimed: f64) -> Result<(Verdict, String), StatsError> {
    if !claimed.is_finite() {
        return Err(StatsError::InvalidArgument(format!(
            "claimed improvement must be finite, got {claimed}"
        )));
    }
    if a.is_empty() {
        return Err(StatsError::Empty("no seeds to compare".into()));
    }
    let p = paired(a, b)?;
    let measured = relative_improvement(summarize(a).mean, summarize(b).mean);
    let significant = p.ci95_diff.1 < 0.0;
    let majority = 2 * p.wins > p.n && p.mean_diff < 0.0;
    let facts = format!(
        "A wins {}/{} seeds, mean difference {:.4} (95% CI {:.4} to {:.4}, sign-test p = {:.3}), \
         measured improvement {:.1}% vs claimed {:.1}%",
        p.wins,
        p.n,
        p.mean_diff,
        p.ci95_diff.0,
        p.ci95_diff.1,
        p.p_sign,
        100.0 * measured,
        100.0 * claimed
    );
    let (v, why) = if significant && measured >= 0.5 * claimed {
        (
            Verdict::Holds,
            "A is significantly better and by at least half the claimed margin",
        )
    } else if significant {
        (
            Verdict::Partly,
            "A is significantly better but by less than half the claimed margin",
        )
    } else if majority {
        (
            Verdict::Partly,
            "A is better in most seeds but the difference is not significant",
        )
    } else {
        (
            Verdict::DoesNotHold,
            "A is not better than B in most seeds nor significantly",
        )
    };
    Ok((v, format!("{why}: {facts}.")))
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
    fn relative_improvement_reads_like_the_paper() {
        // Error 0.0225 vs 0.1: 77.5% lower.
        assert!(close(relative_improvement(0.0225, 0.1), 0.775, 1e-12));
        assert!(close(relative_improvement(0.2, 0.1), -1.0, 1e-12));
        assert!(relative_improvement(0.1, 0.0).is_nan());
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

    #[test]
    fn verdict_rules() {
        let b = [0.10, 0.11, 0.09, 0.10, 0.10];
        // Clearly better, by ~78%: holds.
        let a = [0.022, 0.024, 0.021, 0.023, 0.022];
        let (v, why) = verdict(&a, &b, 0.775).unwrap();
        assert_eq!(v, Verdict::Holds, "{why}");
        assert!(why.contains("5/5"));
        // Significantly better but only ~10%: partly.
        let a = [0.090, 0.099, 0.081, 0.090, 0.090];
        assert_eq!(verdict(&a, &b, 0.775).unwrap().0, Verdict::Partly);
        // Better in 4 of 5 seeds, not significant: partly.
        let a = [0.09, 0.10, 0.08, 0.11, 0.095];
        let (v, why) = verdict(&a, &b, 0.5).unwrap();
        assert_eq!(v, Verdict::Partly, "{why}");
        // Worse: does not hold.
        let a = [0.12, 0.13, 0.11, 0.12, 0.12];
        assert_eq!(verdict(&a, &b, 0.5).unwrap().0, Verdict::DoesNotHold);
        // One seed can never be significant.
        assert_eq!(verdict(&[0.01], &[0.1], 0.5).unwrap().0, Verdict::Partly);
        assert!(verdict(&[], &[], 0.5).is_err());
        assert!(verdict(&[0.1], &[0.1, 0.2], 0.5).is_err());
        assert!(verdict(&[0.1], &[0.2], f64::NAN).is_err());
    }
}
