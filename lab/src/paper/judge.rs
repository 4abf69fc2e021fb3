//! From measurements to verdicts: each claim's test, Holm's adjustment across the claims of a
//! family (one reading, or several judged jointly), and the rules of [`Verdict`].
//!
//! The statistical choices are [`super::verdict`]'s constants: every interval is a paired
//! Student-t interval at the family's simultaneous level `1 - ALPHA / m` (Bonferroni over the `m`
//! tested claims), every p is Holm-adjusted over the same `m`, and the smallest detectable effect
//! is computed at `ALPHA / m`, an upper bound of what Holm needs.

mod paper_spread;

pub use paper_spread::{PAPER_RUNS, paper_change_interval, paper_difference_sd};

use super::evidence::{Evidence, Scale};
use super::verdict::{ALPHA, POWER, Verdict};
use super::{ClaimSpec, Direction, Published, Test};
use crate::report::format::{CHANGE, Num, ci_at};
use crate::stats::{self, Summary};
use paper_spread::{paper_gap_power, published_target};

/// What one claim's measurements say before the verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Assessment {
    /// The sign carries the observed direction: mean of `a - b` or of `ln a - ln b` (paired),
    /// `yes - no` (signs), `ours - other` (exact).
    pub effect: f64,
    /// The effect as reported: geometric change, mean difference, or share of seeds.
    pub estimate: f64,
    /// What `estimate` is: `geometric_change`, `mean_difference`, `share_of_seeds`,
    /// `exact_change` or `none`.
    pub estimate_kind: &'static str,
    /// Interval of `estimate` at [`Assessment::ci_level`] (NaN ends when there is none, e.g. for
    /// counts).
    pub ci: (f64, f64),
    /// The same interval on the scale the test runs on (differences or log ratios), for margins.
    pub test_ci: (f64, f64),
    /// Two-sided coverage of both intervals: `1 - ALPHA / m` for a family of `m` tested claims.
    pub ci_level: f64,
    /// Raw p-value of the claim's test; NaN when no test applies (exact or missing).
    pub p: f64,
    /// For claims with parts: each part's label, observed sign and raw p.
    pub parts: Vec<(String, f64, f64)>,
    /// Seeds (pairs) behind the test.
    pub n: usize,
    /// `estimate` and its interval, for a table cell.
    pub estimate_text: String,
    /// The smallest effect the test detects at this seed count and level, for a table cell.
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
    /// Holm-adjusted p across the family's claims (NaN where `assessment.p` is).
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

/// The simultaneous level of a family of `family` tested claims: `1 - ALPHA / family`.
pub fn family_level(family: usize) -> f64 {
    1.0 - stats::bonferroni_alpha(ALPHA, family)
}

/// Measures `evidence` for `spec` as one of `family` tested claims: the raw p, and intervals and
/// detectable effects at the family's level ([`family_level`]).
pub fn assess(evidence: &Evidence, spec: &ClaimSpec, family: usize) -> Assessment {
    let alpha = stats::bonferroni_alpha(ALPHA, family);
    match evidence {
        Evidence::Paired { a, b, scale } => assess_paired(a, b, *scale, spec, alpha),
        Evidence::Signs { yes, no } => assess_signs(*yes, *no, alpha),
        Evidence::All(parts) => assess_all(parts, spec, family),
        Evidence::Any(parts) => assess_any(parts, spec, family),
        Evidence::Exact { ours, other } => assess_exact(*ours, *other),
        Evidence::Missing(why) => missing(why),
        Evidence::NotApplicable(why) => Assessment {
            estimate_kind: NOT_APPLICABLE,
            ..missing(why)
        },
    }
}

/// A per-seed pattern, by the sign test. Its detectable effect is a count of seeds at the
/// family's level, since with few seeds no count may be enough, and the report should say so
/// rather than print a number.
fn assess_signs(yes: usize, no: usize, alpha: f64) -> Assessment {
    let n = yes + no;
    let at = Num::Sci(1).show(alpha);
    let detectable = match stats::sign_test_min_wins(n, alpha) {
        Some(k) => format!("≥ {k} of {n} seeds (p < α/m = {at})"),
        None => format!("none: {n} seeds cannot reach p < α/m = {at}"),
    };
    Assessment {
        effect: yes as f64 - no as f64,
        estimate: yes as f64 / n.max(1) as f64,
        estimate_kind: "share_of_seeds",
        ci: nan_pair(),
        test_ci: nan_pair(),
        ci_level: 1.0 - alpha,
        p: stats::sign_test_p(yes, no),
        parts: vec![],
        n,
        estimate_text: format!("{yes} of {n} seeds"),
        detectable,
    }
}

/// The parts of a claim, each assessed at the claim's own level.
fn assess_parts(
    parts: &[(String, Evidence)],
    spec: &ClaimSpec,
    family: usize,
) -> Vec<(String, Assessment)> {
    parts
        .iter()
        .map(|(label, e)| (label.clone(), assess(e, spec, family)))
        .collect()
}

/// `+1` when the claim expects a positive effect, `-1` for a negative one.
fn wanted_sign(test: &Test) -> f64 {
    match test {
        Test::Direction(Direction::Lower) => -1.0,
        _ => 1.0,
    }
}

/// A conjunctive claim, every part of which must hold: the intersection-union test, whose p is
/// the largest part's and which needs no adjustment over parts (the claim is shown only when
/// every part is, each at the claim's level). One part speaks for the claim: the strongest one
/// against the claimed direction if any, else the weakest. Every part's sign and p are kept, so
/// [`verdict`] can still see a part that contradicts it.
fn assess_all(parts: &[(String, Evidence)], spec: &ClaimSpec, family: usize) -> Assessment {
    let assessed = assess_parts(parts, spec, family);
    let wanted = wanted_sign(&spec.test);
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
    with_parts(label, shown, p_max, &assessed)
}

/// A disjunctive claim, which holds when any part does: its p is Bonferroni's over the `k`
/// parts, `min(1, k min p)`, which is also exactly when Holm over the parts rejects at least one.
/// The part shown is the one with the smallest p.
fn assess_any(parts: &[(String, Evidence)], spec: &ClaimSpec, family: usize) -> Assessment {
    // Each part's interval must cover at the claim's level after the split over parts.
    let assessed = assess_parts(parts, spec, family * parts.len().max(1));
    let Some((label, shown)) = assessed
        .iter()
        .min_by(|x, y| nan_high(x.1.p).total_cmp(&nan_high(y.1.p)))
    else {
        return missing("no parts measured");
    };
    let p = (shown.p * assessed.len() as f64).min(1.0);
    with_parts(label, shown, p, &assessed)
}

/// The assessment of a claim with parts: the part `shown` with the claim's p and every part's
/// sign and raw p.
fn with_parts(
    label: &str,
    shown: &Assessment,
    p: f64,
    assessed: &[(String, Assessment)],
) -> Assessment {
    Assessment {
        p,
        estimate_text: format!("{label}: {}", shown.estimate_text),
        detectable: format!("{label}: {}", shown.detectable),
        parts: assessed
            .iter()
            .map(|(l, a)| (l.clone(), a.effect.signum(), a.p))
            .collect(),
        ..shown.clone()
    }
}

/// A deterministic quantity: no seeds and no test, so no p; the change is exact and its interval
/// is the change itself, which lets [`verdict`] compare it with a published number all the same.
fn assess_exact(ours: f64, other: f64) -> Assessment {
    let change = stats::relative_change(ours, other);
    Assessment {
        effect: ours - other,
        estimate: change,
        estimate_kind: "exact_change",
        ci: (change, change),
        test_ci: (ours - other, ours - other),
        ci_level: 1.0,
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
        ci: nan_pair(),
        test_ci: nan_pair(),
        ci_level: f64::NAN,
        p: f64::NAN,
        parts: vec![],
        n: 0,
        estimate_text: why.to_string(),
        detectable: "–".into(),
    }
}

/// Paired per-seed values. The test runs on the per-seed differences, or on the per-seed log
/// ratios for relative changes ([`Scale::Relative`], [`Scale::LogRatio`]); the interval is the
/// Student-t interval of the same mean at level `1 - alpha`, mapped back to the claim's scale, so
/// it excludes "no effect" exactly when the test's raw p is below `alpha`.
fn assess_paired(a: &[f64], b: &[f64], scale: Scale, spec: &ClaimSpec, alpha: f64) -> Assessment {
    let n = a.len().min(b.len());
    let diffs: Vec<f64> = match scale {
        Scale::Relative | Scale::LogRatio => {
            a.iter().zip(b).map(|(x, y)| x.ln() - y.ln()).collect()
        }
        Scale::Absolute => a.iter().zip(b).map(|(x, y)| x - y).collect(),
    };
    let d: Summary = stats::summarize(&diffs);
    let level = 1.0 - alpha;
    let test_ci = stats::t_interval(&d, level);
    let (p, detectable) = paired_test(&spec.test, &diffs, &d, n, alpha);
    let mut shown = match scale {
        Scale::Absolute => absolute_estimate(&d, test_ci, level, &spec.test, detectable),
        _ => log_ratio_estimate(&d, test_ci, level, &spec.test, detectable),
    };
    if let (Test::Equivalence { margin, .. }, Published::Errors { ours, other, .. }) =
        (spec.test, spec.published)
    {
        shown.detectable += &paper_gap_power(ours, other, margin, n, d.std, alpha);
    }
    Assessment {
        effect: d.mean,
        estimate: shown.estimate,
        estimate_kind: match scale {
            Scale::Absolute => "mean_difference",
            _ => "geometric_change",
        },
        ci: shown.ci,
        test_ci,
        ci_level: level,
        p,
        parts: vec![],
        n,
        estimate_text: shown.text,
        detectable: shown.detectable,
    }
}

/// The p of the claim's test on the differences, and the smallest effect it detects at `n`
/// seeds and level `alpha` (on the differences' scale): the report gives both, so a "not
/// significant" can be told apart from "too few seeds to tell".
fn paired_test(test: &Test, diffs: &[f64], d: &Summary, n: usize, alpha: f64) -> (f64, f64) {
    match test {
        Test::Equivalence { margin, .. } => (
            stats::tost_p(diffs, -margin, *margin),
            stats::min_equivalence_margin(n, d.std, alpha, POWER),
        ),
        Test::Direction(_) | Test::ByDesign => (
            stats::t_test_p(d, 0.0, stats::Tail::Two),
            stats::min_detectable_paired(n, d.std, alpha, POWER),
        ),
    }
}

/// A paired claim's estimate on its own scale: the value, its interval, and both as table text
/// with the detectable effect.
struct Estimate {
    estimate: f64,
    ci: (f64, f64),
    text: String,
    detectable: String,
}

/// "at α/m", the level behind a detectable effect: an upper bound on what Holm needs, since a
/// claim whose p is below `ALPHA / m` is always rejected by Holm.
fn at_level(detectable: String, level: f64) -> String {
    format!(
        "{detectable} (at α/m = {}, an upper bound under Holm)",
        Num::Sci(1).show(1.0 - level)
    )
}

/// The mean difference with its paired t interval, for per-seed values that are already
/// differences; an equivalence test detects a margin, not an effect.
fn absolute_estimate(
    d: &Summary,
    ci: (f64, f64),
    level: f64,
    test: &Test,
    detectable_abs: f64,
) -> Estimate {
    let fixed = Num::Fixed(3).show(detectable_abs);
    let detectable = if matches!(test, Test::Equivalence { .. }) {
        format!("margin ≥ {fixed}")
    } else {
        format!("±{fixed}")
    };
    Estimate {
        estimate: d.mean,
        ci,
        text: format!("{} ({})", DIFF.show(d.mean), ci_at(ci, level, DIFF)),
        detectable: at_level(detectable, level),
    }
}

/// The geometric change `exp(mean ln(a / b)) - 1` with the t interval of the mean log ratio
/// mapped back the same way; an equivalence margin is shown as a ratio. (The paper's changes are
/// of means; on errors that vary little across seeds the two agree closely, and only the log
/// ratio has an exact interval at five seeds.)
fn log_ratio_estimate(
    d: &Summary,
    test_ci: (f64, f64),
    level: f64,
    test: &Test,
    detectable_abs: f64,
) -> Estimate {
    let to_rel = |x: f64| x.exp() - 1.0;
    let ci = (to_rel(test_ci.0), to_rel(test_ci.1));
    let detectable = if matches!(test, Test::Equivalence { .. }) {
        format!(
            "ratio margin ≥ {}",
            Num::Fixed(2).show(detectable_abs.exp())
        )
    } else {
        format!("±{}", Num::Percent(1).show(to_rel(detectable_abs)))
    };
    Estimate {
        estimate: to_rel(d.mean),
        ci,
        text: format!(
            "{} geometric ({})",
            CHANGE.show(to_rel(d.mean)),
            ci_at(ci, level, CHANGE)
        ),
        detectable: at_level(detectable, level),
    }
}

/// The verdict of one claim from its assessment, its Holm-adjusted p and the size of its family
/// (`family` claims with a p-value). The rules are [`Verdict::rule`]'s.
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
        Test::Equivalence { margin, .. } => equivalence_verdict(a, p_holm, margin),
        Test::Direction(expect) => direction_verdict(spec, expect, a, p_holm, family, exact),
    }
}

/// Equivalent by the Holm-adjusted TOST; different when the simultaneous interval of the
/// difference lies wholly beyond the margin.
fn equivalence_verdict(a: &Assessment, p_holm: f64, margin: f64) -> Verdict {
    if p_holm < ALPHA {
        Verdict::Equivalent
    } else if a.test_ci.0 > margin || a.test_ci.1 < -margin {
        Verdict::Different
    } else {
        Verdict::NotShownEquivalent
    }
}

fn direction_verdict(
    spec: &ClaimSpec,
    expect: Direction,
    a: &Assessment,
    p_holm: f64,
    family: usize,
    exact: bool,
) -> Verdict {
    let wanted = wanted_sign(&spec.test);
    // "Some part is significantly against the claim" is a disjunction over the parts: Bonferroni
    // over the parts and over the family's claims.
    let tests = (family.max(1) * a.parts.len().max(1)) as f64;
    let part_against = a
        .parts
        .iter()
        .any(|(_, sign, p)| *sign == -wanted && *p * tests < ALPHA);
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
    let all_parts_agree = a.parts.iter().all(|(_, s, _)| *s == wanted);
    if a.effect.signum() != wanted || !all_parts_agree {
        return Verdict::Contradicted;
    }
    match published_target(&spec.published, expect) {
        Some(c) => {
            // A tolerance of 1e-12 keeps an exact hit (4 vs 8 bytes) a hit.
            let reached = match expect {
                Direction::Lower => a.ci.0 <= c + 1e-12,
                Direction::Higher => a.ci.1 >= c - 1e-12,
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

/// Judges every finding of one reading: Holm's adjustment over its claims that have a p-value,
/// then each claim's verdict.
pub fn judge_reading(findings: Vec<Finding>) -> Vec<Judged> {
    judge_jointly(vec![findings]).pop().unwrap_or_default()
}

/// Judges several groups of findings (e.g. two co-primary readings) as one family: Holm's
/// adjustment and the simultaneous level run over every tested claim of every group. Returns the
/// groups in order.
pub fn judge_jointly(groups: Vec<Vec<Finding>>) -> Vec<Vec<Judged>> {
    let family = groups
        .iter()
        .flatten()
        .filter(|f| assess(&f.evidence, f.spec, 1).p.is_finite())
        .count();
    let assessed: Vec<Vec<(Finding, Assessment)>> = groups
        .into_iter()
        .map(|g| {
            g.into_iter()
                .map(|f| {
                    let a = assess(&f.evidence, f.spec, family);
                    (f, a)
                })
                .collect()
        })
        .collect();
    let raw: Vec<f64> = assessed.iter().flatten().map(|(_, a)| a.p).collect();
    let tested: Vec<usize> = (0..raw.len()).filter(|&i| raw[i].is_finite()).collect();
    let adjusted = stats::holm(&tested.iter().map(|&i| raw[i]).collect::<Vec<_>>());
    let mut p_holm = vec![f64::NAN; raw.len()];
    for (k, &i) in tested.iter().enumerate() {
        p_holm[i] = adjusted[k];
    }
    let mut next = p_holm.into_iter();
    assessed
        .into_iter()
        .map(|g| {
            g.into_iter()
                .map(|(f, a)| {
                    let p_holm = next.next().unwrap_or(f64::NAN);
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
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paper::claim;

    #[test]
    fn a_disjunction_pays_for_its_parts_and_a_conjunction_does_not() {
        // Two parts with p = 0.02 and 0.03: "all" takes the largest (0.03, no adjustment), "any"
        // Bonferroni's 2 x 0.02 = 0.04.
        let spec = claim("fig4-lowest-every-m");
        let part = |shift: f64| Evidence::Paired {
            a: vec![1.0 + shift, 2.0 + shift + 0.1, 3.0 + shift - 0.1],
            b: vec![1.0, 2.0, 3.0],
            scale: Scale::Absolute,
        };
        let p_of = |e: &Evidence| assess(e, spec, 1).p;
        let (e1, e2) = (part(-0.4), part(-0.3));
        let (p1, p2) = (p_of(&e1), p_of(&e2));
        let parts = vec![("x".to_string(), e1), ("y".to_string(), e2)];
        let all = assess(&Evidence::All(parts.clone()), spec, 1);
        let any = assess(&Evidence::Any(parts), spec, 1);
        assert!((all.p - p1.max(p2)).abs() < 1e-15);
        assert!((any.p - (2.0 * p1.min(p2)).min(1.0)).abs() < 1e-15);
    }

    #[test]
    fn intervals_are_at_the_family_level_and_agree_with_the_raw_p() {
        let spec = claim("fig2a-test");
        let e = Evidence::Paired {
            a: vec![0.5, 0.55, 0.45, 0.6, 0.52],
            b: vec![1.0, 1.0, 1.0, 1.1, 0.9],
            scale: Scale::Relative,
        };
        let one = assess(&e, spec, 1);
        let fifteen = assess(&e, spec, 15);
        assert!((one.ci_level - 0.95).abs() < 1e-15);
        assert!((fifteen.ci_level - (1.0 - 0.05 / 15.0)).abs() < 1e-15);
        assert!(fifteen.ci.0 < one.ci.0 && fifteen.ci.1 > one.ci.1);
        assert_eq!(one.p, fifteen.p);
        assert!(
            fifteen.estimate_text.contains("99.67% CI"),
            "{}",
            fifteen.estimate_text
        );
        // The interval at level 1 - p touches "no change" (the duality of the t interval).
        let d: Vec<f64> = [0.5f64, 0.55, 0.45, 0.6, 0.52]
            .iter()
            .zip([1.0f64, 1.0, 1.0, 1.1, 0.9])
            .map(|(x, y)| x.ln() - y.ln())
            .collect();
        let hi = stats::t_interval(&stats::summarize(&d), 1.0 - one.p).1;
        assert!(hi.abs() < 1e-9, "{hi}");
    }

    #[test]
    fn readings_judged_jointly_share_one_holm_family() {
        // The same two claims in two groups: four tested claims, so each interval is at
        // 1 - 0.05/4 and each Holm p is at least twice what one group alone gives.
        let finding = || {
            Finding::new(
                "fig2a-test",
                Evidence::Paired {
                    a: vec![0.5, 0.55, 0.45, 0.6, 0.52],
                    b: vec![1.0, 1.0, 1.0, 1.1, 0.9],
                    scale: Scale::Relative,
                },
                "",
            )
        };
        let peak = || Finding::new("fig2a-peak", Evidence::Signs { yes: 9, no: 1 }, "");
        let alone = judge_reading(vec![finding(), peak()]);
        let joint = judge_jointly(vec![vec![finding(), peak()], vec![finding(), peak()]]);
        assert_eq!(joint.len(), 2);
        for group in &joint {
            assert!((group[0].assessment.ci_level - (1.0 - 0.05 / 4.0)).abs() < 1e-15);
            for (j, a) in group.iter().zip(&alone) {
                assert!(j.p_holm >= a.p_holm * 2.0 - 1e-15 || j.p_holm == 1.0);
            }
        }
    }
}
