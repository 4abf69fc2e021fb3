//! The verdict vocabulary: one word per outcome, one written rule each, the same for every claim;
//! and the statistical choices behind them, as constants a protocol can hash ([`STATISTICS`]).

use std::fmt;

/// Family-wise level: a claim's Holm-adjusted p-value must be below it.
pub const ALPHA: f64 = 0.05;
/// The power at which the report states the smallest effect each test detects, at the family's
/// Bonferroni level `ALPHA / m` ([`DETECTABLE_RULE`]).
pub const POWER: f64 = 0.8;

/// The one interval method, and why.
pub const CI_METHOD: &str = "paired Student-t interval of the mean per-seed difference (of the mean per-seed log ratio for relative changes, reported as the geometric change): the dual of the paired t test that gives p, so p and interval never disagree, and exact for normal differences at any n >= 2; the percentile bootstrap is not used (5 seeds give only 126 distinct resamples and it under-covers)";

/// The coverage of every interval of a family of `m` tested claims.
pub const CI_LEVEL_RULE: &str = "simultaneous: each interval has two-sided coverage 1 - ALPHA/m (Bonferroni over the m tested claims of the family), printed with its level; any interval that excludes no-effect implies Holm significance (Holm can reject more)";

/// How multiple tests are controlled, across claims and within a claim.
pub const MULTIPLICITY_RULE: &str = "across claims: Holm over every tested claim of the family (one reading, or the co-primary readings judged jointly); within a claim: a conjunctive claim (every part must hold) is an intersection-union test, p = the largest part's p, no adjustment over parts; a disjunctive claim (any part) takes Bonferroni over its k parts, min(1, k min p); a part contradicting a claim must have p below ALPHA / (m k)";

/// How an equivalence margin is chosen.
pub const MARGIN_RULE: &str = "each equivalence margin is declared in code with its reason (a difference the paper itself treats as negligible, or small beside the effects it calls improvements); equivalence by two one-sided t tests, Holm-adjusted; different when the simultaneous interval lies wholly beyond the margin";

/// What the "detectable" column means.
pub const DETECTABLE_RULE: &str = "smallest effect (or margin, or count of seeds) the test finds with POWER at level ALPHA/m for this n: an upper bound on what Holm needs, since p < ALPHA/m is always rejected by Holm";

/// How the paper's own uncertainty enters.
pub const PAPER_SPREAD_RULE: &str = "where the paper gives mean ± x (Fig. 5, five independent runs) without saying whether x is an SD or an SEM, both readings are carried: the published magnitude to reach is the weakest end of the paper's 95% interval of the change under the wider (SEM) reading, and equivalence claims print TOST power at the paper's gap under our sd and both readings";

/// Every statistical choice above, by name, for a protocol's hash and the report.
pub const STATISTICS: [(&str, &str); 6] = [
    ("CI_METHOD", CI_METHOD),
    ("CI_LEVEL_RULE", CI_LEVEL_RULE),
    ("MULTIPLICITY_RULE", MULTIPLICITY_RULE),
    ("MARGIN_RULE", MARGIN_RULE),
    ("DETECTABLE_RULE", DETECTABLE_RULE),
    ("PAPER_SPREAD_RULE", PAPER_SPREAD_RULE),
];

/// What our runs say about one claim of the paper.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Direction significant and the published magnitude reached.
    Reproduced,
    /// Direction significant, the published magnitude excluded by our CI.
    Weaker,
    /// No significant effect either way.
    NotSignificant,
    /// Significant in the opposite direction.
    Contradicted,
    /// Equivalence shown within the margin.
    Equivalent,
    /// Equivalence not shown, and no difference beyond the margin either.
    NotShownEquivalent,
    /// The difference lies beyond the margin.
    Different,
    /// The data the claim needs was not available.
    NotRun,
    /// The claim's precondition failed, so its test does not apply.
    NotApplicable,
    /// True by construction of the algorithm; shown, not tested.
    ByDesign,
}

impl Verdict {
    /// Every verdict, in the order the report lists the rules.
    pub const ALL: [Verdict; 10] = [
        Verdict::Reproduced,
        Verdict::Weaker,
        Verdict::NotSignificant,
        Verdict::Contradicted,
        Verdict::Equivalent,
        Verdict::NotShownEquivalent,
        Verdict::Different,
        Verdict::NotRun,
        Verdict::NotApplicable,
        Verdict::ByDesign,
    ];

    /// The word printed in tables.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Reproduced => "reproduced",
            Verdict::Weaker => "weaker",
            Verdict::NotSignificant => "not significant",
            Verdict::Contradicted => "contradicted",
            Verdict::Equivalent => "equivalent",
            Verdict::NotShownEquivalent => "not shown equivalent",
            Verdict::Different => "different",
            Verdict::NotRun => "not run",
            Verdict::NotApplicable => "not applicable",
            Verdict::ByDesign => "by design",
        }
    }

    /// The rule that gives this verdict. `m` is the number of tested claims in the family; every
    /// interval is the simultaneous one at level `1 - 0.05/m` ([`CI_LEVEL_RULE`]); part of the
    /// protocol, [`super::protocol`].
    pub fn rule(self) -> &'static str {
        match self {
            Verdict::Reproduced => {
                "the effect is in the claimed direction with Holm-adjusted p < 0.05 (paired over seeds), and, where the paper publishes a magnitude, our simultaneous interval (level 1 − 0.05/m) reaches it or goes beyond it (with the paper's own ±, the weakest end of its interval)"
            }
            Verdict::Weaker => {
                "the effect is in the claimed direction with Holm-adjusted p < 0.05, but our simultaneous interval (level 1 − 0.05/m) excludes the published magnitude (the effect is smaller than published)"
            }
            Verdict::NotSignificant => "Holm-adjusted p ≥ 0.05: no conclusion either way",
            Verdict::Contradicted => {
                "the effect is opposite to the claimed direction with Holm-adjusted p < 0.05; for claims that must hold in every part, also when one part is opposite with p < 0.05/(m k) (Bonferroni over the family's m claims and the claim's k parts)"
            }
            Verdict::Equivalent => {
                "equivalence claims: both one-sided tests against the margin (TOST) reject with Holm-adjusted p < 0.05 (when Holm works at 0.05/m: the 1 − 2·0.05/m interval lies inside the margin)"
            }
            Verdict::NotShownEquivalent => {
                "equivalence claims: TOST does not reject (Holm-adjusted p ≥ 0.05) and the simultaneous interval (level 1 − 0.05/m) still overlaps the margin; with few seeds this is no evidence of a difference (see the power printed with the claim)"
            }
            Verdict::Different => {
                "equivalence claims: the whole simultaneous interval (level 1 − 0.05/m) of the difference lies outside the margin"
            }
            Verdict::NotRun => {
                "the claim's data was not available (e.g. MNIST not found); no test was made"
            }
            Verdict::NotApplicable => {
                "the claim's precondition (stated in its rule) does not hold in our runs, so the claim's reason is absent and it is not tested"
            }
            Verdict::ByDesign => {
                "true by construction of the algorithms (e.g. one state buffer against two); measured and shown, never counted as a reproduced finding"
            }
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
