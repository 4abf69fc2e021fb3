//! From measurements to verdicts: each claim's test, Holm's adjustment across the claims of one
//! reading, and the rules of [`Verdict`].

use super::evidence::{Evidence, Scale};
use super::verdict::{ALPHA, POWER, Verdict};
use super::{ClaimSpec, Direction, Published, Test};
use crate::report::format::{CHANGE, Num, ci95};
use crate::stats::{self, Summary};

/// What one claim's measurements say before the verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Assessment {
    /// The sign carries the observed direction: `a - b` (paired), `yes - no` (signs),
    /// `ours - other` (exact).
    pub effect: f64,
    /// The effect as reported: relative change, mean difference, or share of seeds.
    pub estimate: f64,
    /// What `estimate` is: `relative_change`, `mean_difference`, `geometric_change`,
    /// `share_of_seeds`, `exact_change` or `none`.
    pub estimate_kind: &'static str,
    /// 95% CI of `estimate` (NaN ends when there is none, e.g. for counts).
    pub ci95: (f64, f64),
    /// 95% CI on the scale the test runs on (differences or log ratios); for margins.
    pub test_ci95: (f64, f64),
    /// Raw p-value of the claim's test; NaN when no test applies (exact or missing).
    pub p: f64,
    /// For claims that must hold in every part: each part's observed sign and raw p.
    pub parts: Vec<(String, f64, f64)>,
    /// Seeds (pairs) behind the test.
    pub n: usize,
    /// `estimate` and its CI, for a table cell.
    pub estimate_text: String,
    /// The smallest effect the test detects at this seed count, for a table cell.
    pub detectable: String,
}

/// One claim, measured and judged.
#[derive(Clone, Debug)]
pub struct Judged {
    /// The claim.
    pub spec: &'static ClaimSpec,
    /// Our numbers in words (means ± std, counts), for the report.
    pub ours: String,
    /// The test's numbers.
    pub assessment: Assessment,
    /// Holm-adjusted p across the reading's claims (NaN where `assessment.p` is).
    pub p_holm: f64,
    /// The verdict under the fixed rules.
    pub verdict: Verdict,
}

/// A claim's measurements, as a figure hands them over.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The claim.
    pub spec: &'static ClaimSpec,
    /// What was measured.
    pub evidence: Evidence,
    /// Our numbers in words.
    pub ours: String,
}

impl Finding {
    /// The finding of claim `id` (a constant of [`super::CLAIMS`]).
    pub fn new(id: &str, evidence: Evidence, ours: impl Into<String>) -> Finding {
        Finding {
            spec: super::claim(id),
            evidence,
            ours: ours.into(),
        }
    }
}

/// The `estimate_kind` of a claim whose precondition failed.
const NOT_APPLICABLE: &str = "not_applicable";

/// A mean difference in the claim table: `+0.012`.
const DIFF: Num = Num::SignedFixed(3);

fn nan_pair() -> (f64, f64) {
    (f64::NAN, f64::NAN)
}

/// Measures `evidence` for a claim tested by `test`.
pub fn assess(evidence: &Evidence, test: &Test) -> Assessment {
    match evidence {
        Evidence::Paired { a, b, scale } => assess_paired(a, b, *scale, test),
        Evidence::Signs { yes, no } => assess_signs(*yes, *no),
        Evidence::All(parts) => assess_all(parts, test),
        Evidence::Exact { ours, other } => assess_exact(*ours, *other),
        Evidence::Missing(why) => missing(why),
        Evidence::NotApplicable(why) => Assessment {
            estimate_kind: NOT_APPLICABLE,
            ..missing(why)
        },
    }
}

/// A per-seed pattern, by the sign test. Its detectable effect is a count of seeds, since with
/// few seeds no count may be enough, and the report should say so rather than print a number.
fn assess_signs(yes: usize, no: usize) -> Assessment {
    let n = yes + no;
    let detectable = match stats::sign_test_min_wins(n, ALPHA) {
        Some(k) => format!("≥ {k} of {n} seeds"),
        None => format!("none: {n} seeds cannot reach p < {ALPHA} (needs ≥ 6)"),
    };
    Assessment {
        effect: yes as f64 - no as f64,
        estimate: yes as f64 / n.max(1) as f64,
        estimate_kind: "share_of_seeds",
        ci95: nan_pair(),
        test_ci95: nan_pair(),
        p: stats::sign_test_p(yes, no),
        parts: vec![],
        n,
        estimate_text: format!("{yes} of {n} seeds"),
        detectable,
    }
}

/// A claim every part of which must hold (intersection-union): one part speaks for the claim,
/// but every part's sign and p are kept, so [`verdict`] can still see a part that contradicts it.
fn assess_all(parts: &[(String, Evidence)], test: &Test) -> Assessment {
    let assessed: Vec<(String, Assessment)> = parts
        .iter()
        .map(|(label, e)| (label.clone(), assess(e, test)))
        .collect();
    // The part to show: the strongest one against the claimed direction if any (the
    // smallest p among them), else the weakest (the largest p; a missing part first).
    let wanted = match test {
        Test::Direction(Direction::Lower) => -1.0,
        _ => 1.0,
    };
    let against = assessed
        .iter()
        .filter(|(_, a)| a.effect.signum() == -wanted)
        .min_by(|x, y| nan_high(x.1.p).total_cmp(&nan_high(y.1.p)));
    let weakest = assessed
        .iter()
        .max_by(|x, y| nan_high(x.1.p).total_cmp(&nan_high(y.1.p)));
    let Some((label, shown)) = against.or(weakest) else {
        return missing("no parts measured");
    };
    let p_max = weakest.map_or(f64::NAN, |w| w.1.p);
    let worst = &Assessment {
        p: p_max,
        ..shown.clone()
    };
    Assessment {
        estimate_text: format!("{label}: {}", worst.estimate_text),
        detectable: format!("{label}: {}", worst.detectable),
        parts: assessed
            .iter()
            .map(|(l, a)| (l.clone(), a.effect.signum(), a.p))
            .collect(),
        // The claim's p is the weakest part's (intersection-union); its effect and CI
        // are those of the part shown.
        ..worst.clone()
    }
}

/// A deterministic quantity: no seeds and no test, so no p; the change is exact and its CI is
/// the change itself, which lets [`verdict`] compare it with a published number all the same.
fn assess_exact(ours: f64, other: f64) -> Assessment {
    let change = stats::relative_change(ours, other);
    Assessment {
        effect: ours - other,
        estimate: change,
        estimate_kind: "exact_change",
        ci95: (change, change),
        test_ci95: (ours - other, ours - other),
        p: f64::NAN,
        parts: vec![],
        n: 0,
        estimate_text: format!("{ours} vs {other} ({})", CHANGE.show(change)),
        detectable: "exact (no seeds)".into(),
    }
}

fn nan_high(p: f64) -> f64 {
    if p.is_nan() { f64::INFINITY } else { p }
}

fn missing(why: &str) -> Assessment {
    Assessment {
        effect: f64::NAN,
        estimate: f64::NAN,
        estimate_kind: "none",
        ci95: nan_pair(),
        test_ci95: nan_pair(),
        p: f64::NAN,
        parts: vec![],
        n: 0,
        estimate_text: why.to_string(),
        detectable: "–".into(),
    }
}

/// Paired per-seed values. The test runs on the per-seed differences (on log ratios for
/// [`Scale::LogRatio`]); the estimate is reported on the claim's own scale.
fn assess_paired(a: &[f64], b: &[f64], scale: Scale, test: &Test) -> Assessment {
    let n = a.len().min(b.len());
    let diffs: Vec<f64> = match scale {
        Scale::LogRatio => a.iter().zip(b).map(|(x, y)| x.ln() - y.ln()).collect(),
        _ => a.iter().zip(b).map(|(x, y)| x - y).collect(),
    };
    let d: Summary = stats::summarize(&diffs);
    let (p, detectable_abs) = paired_test(test, &diffs, &d, n);
    let shown = match scale {
        Scale::Relative => relative_estimate(a, b, detectable_abs),
        Scale::Absolute => absolute_estimate(&d, test, detectable_abs),
        Scale::LogRatio => log_ratio_estimate(&d, test, detectable_abs),
    };
    Assessment {
        effect: d.mean,
        estimate: shown.estimate,
        estimate_kind: match scale {
            Scale::Relative => "relative_change",
            Scale::Absolute => "mean_difference",
            Scale::LogRatio => "geometric_change",
        },
        ci95: shown.ci95,
        test_ci95: d.ci95,
        p,
        parts: vec![],
        n,
        estimate_text: shown.text,
        detectable: shown.detectable,
    }
}

/// The p of the claim's test on the differences, and the smallest effect it detects at `n`
/// seeds (on the differences' scale): the report gives both, so a "not significant" can be told
/// apart from "too few seeds to tell".
fn paired_test(test: &Test, diffs: &[f64], d: &Summary, n: usize) -> (f64, f64) {
    match test {
        Test::Equivalence { margin, .. } => (
            stats::tost_p(diffs, -margin, *margin),
            stats::min_equivalence_margin(n, d.std, ALPHA, POWER),
        ),
        Test::Direction(_) | Test::ByDesign => (
            stats::t_test_p(d, 0.0, stats::Tail::Two),
            stats::min_detectable_paired(n, d.std, ALPHA, POWER),
        ),
    }
}

/// A paired claim's estimate on its own scale: the value, its 95% CI, and both as table text
/// with the detectable effect.
struct Estimate {
    estimate: f64,
    ci95: (f64, f64),
    text: String,
    detectable: String,
}

/// The relative change of the means, as the paper compares errors. Its CI is a paired bootstrap
/// (the ratio of two means has no simple t interval); the detectable difference is shown
/// relative to `b`'s mean, like the estimate.
fn relative_estimate(a: &[f64], b: &[f64], detectable_abs: f64) -> Estimate {
    let est = stats::relative_change_of_means(a, b);
    let ci = stats::paired_bootstrap_ci(
        a,
        b,
        0.95,
        stats::BOOTSTRAP_SEED,
        stats::BOOTSTRAP_RESAMPLES,
        stats::relative_change_of_means,
    );
    let base = stats::mean(b);
    Estimate {
        estimate: est,
        ci95: ci,
        text: format!("{} ({})", CHANGE.show(est), ci95(ci, CHANGE)),
        detectable: format!("±{}", Num::Percent(1).show(detectable_abs / base)),
    }
}

/// The mean difference with its paired t CI, for per-seed values that are already differences
/// or log ratios; an equivalence test detects a margin, not an effect.
fn absolute_estimate(d: &Summary, test: &Test, detectable_abs: f64) -> Estimate {
    Estimate {
        estimate: d.mean,
        ci95: d.ci95,
        text: format!("{} ({})", DIFF.show(d.mean), ci95(d.ci95, DIFF)),
        detectable: if matches!(test, Test::Equivalence { .. }) {
            format!("margin ≥ {}", Num::Fixed(3).show(detectable_abs))
        } else {
            format!("±{}", Num::Fixed(3).show(detectable_abs))
        },
    }
}

/// The geometric change: the mean log ratio and its CI mapped back to a relative change, which
/// reads like [`relative_estimate`]'s; an equivalence margin is shown as a ratio.
fn log_ratio_estimate(d: &Summary, test: &Test, detectable_abs: f64) -> Estimate {
    let to_rel = |x: f64| x.exp() - 1.0;
    let ci = (to_rel(d.ci95.0), to_rel(d.ci95.1));
    Estimate {
        estimate: to_rel(d.mean),
        ci95: ci,
        text: format!(
            "{} ({}), geometric",
            CHANGE.show(to_rel(d.mean)),
            ci95(ci, CHANGE)
        ),
        detectable: if matches!(test, Test::Equivalence { .. }) {
            format!(
                "ratio margin ≥ {}",
                Num::Fixed(2).show(detectable_abs.exp())
            )
        } else {
            format!("±{}", Num::Percent(1).show(to_rel(detectable_abs)))
        },
    }
}

/// The verdict of one claim from its assessment, its Holm-adjusted p and the size of its family
/// (`family` claims with a p-value in this reading). The rules are [`Verdict::rule`]'s.
pub fn verdict(spec: &ClaimSpec, a: &Assessment, p_holm: f64, family: usize) -> Verdict {
    let exact = a.p.is_nan() && a.n == 0 && a.effect.is_finite();
    if spec.test == Test::ByDesign {
        return Verdict::ByDesign;
    }
    if a.estimate_kind == NOT_APPLICABLE {
        return Verdict::NotApplicable;
    }
    if a.effect.is_nan() && !exact {
        return Verdict::NotRun;
    }
    match spec.test {
        Test::ByDesign => Verdict::ByDesign,
        Test::Equivalence { margin, .. } => {
            if p_holm < ALPHA {
                Verdict::Equivalent
            } else if a.test_ci95.0 > margin || a.test_ci95.1 < -margin {
                Verdict::Different
            } else {
                Verdict::NotShownEquivalent
            }
        }
        Test::Direction(expect) => {
            let wanted = match expect {
                Direction::Lower => -1.0,
                Direction::Higher => 1.0,
            };
            // A part of an all-must-hold claim significantly against the claim (Bonferroni over
            // the reading's claims) contradicts it, whatever the weakest part says.
            let part_against = a
                .parts
                .iter()
                .any(|(_, sign, p)| *sign == -wanted && *p * (family.max(1) as f64) < ALPHA);
            if part_against {
                return Verdict::Contradicted;
            }
            let significant = if exact {
                a.effect != 0.0
            } else {
                p_holm < ALPHA
            };
            if !significant {
                return Verdict::NotSignificant;
            }
            if a.effect.signum() != wanted || a.parts.iter().any(|(_, s, _)| *s != wanted) {
                return Verdict::Contradicted;
            }
            let published = match spec.published {
                Published::Bytes { ours, other } => Some(ours / other - 1.0),
                _ => spec.published.change(),
            };
            match published {
                Some(c) => {
                    // A tolerance of 1e-12 keeps an exact hit (4 vs 8 bytes) a hit.
                    let reached = match expect {
                        Direction::Lower => a.ci95.0 <= c + 1e-12,
                        Direction::Higher => a.ci95.1 >= c - 1e-12,
                    };
                    if reached {
                        Verdict::Reproduced
                    } else {
                        Verdict::Weaker
                    }
                }
                None => Verdict::Reproduced,
            }
        }
    }
}

/// Judges every finding of one reading: Holm's adjustment over the claims that have a p-value,
/// then each claim's verdict.
pub fn judge_reading(findings: Vec<Finding>) -> Vec<Judged> {
    let assessed: Vec<(Finding, Assessment)> = findings
        .into_iter()
        .map(|f| {
            let a = assess(&f.evidence, &f.spec.test);
            (f, a)
        })
        .collect();
    let tested: Vec<usize> = (0..assessed.len())
        .filter(|&i| assessed[i].1.p.is_finite())
        .collect();
    let adjusted = stats::holm(&tested.iter().map(|&i| assessed[i].1.p).collect::<Vec<_>>());
    let family = tested.len();
    assessed
        .into_iter()
        .enumerate()
        .map(|(i, (f, a))| {
            let p_holm = tested
                .iter()
                .position(|&t| t == i)
                .map_or(f64::NAN, |k| adjusted[k]);
            let verdict = verdict(f.spec, &a, p_holm, family);
            Judged {
                spec: f.spec,
                ours: f.ours,
                assessment: a,
                p_holm,
                verdict,
            }
        })
        .collect()
}
