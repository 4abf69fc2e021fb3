//! The verdict vocabulary: one word per outcome, one written rule each, the same for every claim.

use std::fmt;

/// Family-wise level: a claim's Holm-adjusted p-value must be below it.
pub const ALPHA: f64 = 0.05;
/// The power at which the report states the smallest effect each test detects at raw [`ALPHA`].
pub const POWER: f64 = 0.8;

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

    /// The rule that gives this verdict (part of the protocol, [`super::protocol`]).
    pub fn rule(self) -> &'static str {
        match self {
            Verdict::Reproduced => {
                "the effect is in the claimed direction with Holm-adjusted p < 0.05 (paired over seeds), and, where the paper publishes a magnitude, our 95% CI reaches it or goes beyond it"
            }
            Verdict::Weaker => {
                "the effect is in the claimed direction with Holm-adjusted p < 0.05, but our 95% CI excludes the published magnitude (the effect is smaller than published)"
            }
            Verdict::NotSignificant => "Holm-adjusted p ≥ 0.05: no conclusion either way",
            Verdict::Contradicted => {
                "the effect is opposite to the claimed direction with Holm-adjusted p < 0.05; for claims that must hold in every part, also when one part is opposite with p < 0.05 after Bonferroni over the reading's claims"
            }
            Verdict::Equivalent => {
                "equivalence claims: both one-sided tests against the margin (TOST) reject with Holm-adjusted p < 0.05, i.e. the 90% CI lies inside the margin"
            }
            Verdict::NotShownEquivalent => {
                "equivalence claims: TOST does not reject (Holm-adjusted p ≥ 0.05) and the 95% CI still overlaps the margin"
            }
            Verdict::Different => {
                "equivalence claims: the whole 95% CI of the difference lies outside the margin"
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
