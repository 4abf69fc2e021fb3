//! The paper's claims as data: what each sentence says, the published numbers and what they are,
//! and the test that judges it. Every number the paper publishes lives in this module.
//!
//! The rules are fixed here before any run: the verdict vocabulary ([`Verdict`]), the direction
//! each claim expects, the equivalence margins with their reasons, the thresholds of the shape
//! claims (peak, early minimum). The figures only measure ([`Evidence`]); [`judge::judge_reading`]
//! turns the measurements of one reading into verdicts, with Holm's adjustment across its claims.
//!
//! Quotes: the abstract is quoted word for word; the sentences of Sec. III are paraphrased from
//! the paper (arXiv:1701.07974) and marked so.

pub mod evidence;
pub mod judge;
pub mod verdict;

pub use evidence::{Evidence, Scale};
pub use judge::{Assessment, Judged, judge_reading};
pub use verdict::{ALPHA, POWER, Verdict};

use crate::report::format::{CHANGE, Num, mean_std};
use rbp_core::optim::OptimizerKind;

/// A published mean ± std, per optimizer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PaperValue {
    /// Whose number it is.
    pub optimizer: OptimizerKind,
    /// Mean over the paper's runs.
    pub mean: f64,
    /// Standard deviation over the paper's runs.
    pub std: f64,
}

/// Fig. 5: MNIST test classification error at epoch 100, mean ± std over the paper's runs.
pub const FIG5_CLASS_ERROR: [PaperValue; 3] = [
    PaperValue {
        optimizer: OptimizerKind::Sgd,
        mean: 0.2660,
        std: 0.0050,
    },
    PaperValue {
        optimizer: OptimizerKind::Rbp,
        mean: 0.1138,
        std: 0.0029,
    },
    PaperValue {
        optimizer: OptimizerKind::Adam,
        mean: 0.1077,
        std: 0.0073,
    },
];

/// What the paper says about how many runs stand behind Fig. 5's numbers.
pub const FIG5_BASIS: &str = "mean ± std over the paper's runs at epoch 100 (the caption gives the spread, not n; the code here has long read it as 5 runs)";

/// The published value of `kind` in Fig. 5 (the paper's three optimizers only).
pub fn fig5_value(kind: OptimizerKind) -> Option<PaperValue> {
    FIG5_CLASS_ERROR.into_iter().find(|v| v.optimizer == kind)
}

/// Fig. 1's `gamma0` (the caption's), with the default `lambda`.
pub const FIG1_GAMMA0: f64 = 0.99;

/// Sec. III: R-BackProp's change in final test error against BackProp (Fig. 2a), "77.5%".
pub const FIG2A_TEST_CHANGE: f64 = -0.775;

/// Fig. 3's R-BackProp settings `(gamma0, lambda)`: the paper's default first.
pub const FIG3_POINTS: [(f64, f64); 5] = [
    (0.9995, 0.0001),
    (0.9995, 0.001),
    (0.999, 0.0001),
    (0.99, 0.0001),
    (0.9999, 0.0001),
];

/// The two large `gamma0` (at [`FIG3_SLOW_DECAY`]) whose curves Fig. 3 shows close together.
pub const FIG3_CLOSE_GAMMA0: (f64, f64) = (0.9995, 0.9999);
/// The `lambda` Fig. 3 shows over-fitting early.
pub const FIG3_FAST_DECAY: f64 = 0.001;
/// The `lambda` at which Fig. 3 compares several `gamma0`.
pub const FIG3_SLOW_DECAY: f64 = 0.0001;
/// The epoch of the test-error minimum at `lambda = 1e-3`, read off Fig. 3 (of 100 epochs).
pub const FIG3_ARGMIN_EPOCH: f64 = 17.0;
/// Fig. 4's training-set sizes `M`.
pub const FIG4_SIZES: [usize; 5] = [500, 1000, 2000, 4000, 8000];
/// Epoch after which Adam's decrease slows in Fig. 2b, read off the figure (of 100 epochs).
pub const FIG2_ADAM_SLOWS_AT: f64 = 40.0;
/// The paper's run length; epochs read off its figures are scaled by `epochs / PAPER_EPOCHS`.
pub const PAPER_EPOCHS: f64 = 100.0;

/// A "temporary peak" (Fig. 2a) is a rise of at least this fraction above the running minimum
/// that is followed by a fall of at least this fraction below the peak. Fixed before any run:
/// 10% is several times the epoch-to-epoch wiggle of a mean-over-examples error curve on a
/// log axis, so a peak is something one sees in the figure, not noise.
pub const PEAK_RISE: f64 = 0.10;

/// Fig. 5 "similar to Adam": equivalence margin on the class-error difference (R-BackProp −
/// Adam, paired by seed). Fixed before any run: one percentage point of class error. It holds the
/// paper's own gap (0.1138 − 0.1077 = 0.0061), which the paper calls similar, and is about the
/// larger of the paper's two standard deviations (0.0073): a difference the paper's own seeds
/// could not tell apart, about 9% of Adam's error.
pub const FIG5_EQUIVALENCE_MARGIN: f64 = 0.01;
/// Why [`FIG5_EQUIVALENCE_MARGIN`] is what it is, for the report.
pub const FIG5_MARGIN_REASON: &str = "±0.01 class error: holds the paper's own gap of 0.0061 that it calls similar, about the larger of its two stds (0.0073), fixed before any run";

/// Fig. 3 "the large-gamma0 settings are close": equivalence margin on the ratio of final test
/// errors (gamma0 = 0.9995 over 0.9999, both at lambda = 1e-4), as `1/r .. r`. Fixed before any
/// run: a quarter, small beside the 49-78% gains the paper reports between optimizers, so
/// "close" means closer than any effect the paper calls an improvement.
pub const FIG3_CLOSE_RATIO: f64 = 1.25;
/// Why [`FIG3_CLOSE_RATIO`] is what it is, for the report.
pub const FIG3_CLOSE_REASON: &str = "ratio within 1/1.25 .. 1.25: a quarter, small beside the 49-78% gains the paper calls improvements, fixed before any run";

/// Optimizer state per weight, in bytes (f32): R-BackProp keeps the previous gradient, Adam two
/// moments.
pub const STATE_BYTES_PER_WEIGHT: (f64, f64) = (4.0, 8.0);

/// The direction a claim expects of its effect (R-BackProp or the setting named first, minus
/// the comparator; for counts of seeds, "yes" minus "no").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The effect is negative: lower error, or fewer.
    Lower,
    /// The effect is positive: higher error, or a majority of seeds showing the pattern.
    Higher,
}

/// How a claim is tested.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Test {
    /// The effect is significant (Holm-adjusted p < [`ALPHA`]) in `Direction`; with a published
    /// magnitude, also whether our simultaneous interval (level 1 - ALPHA/m) reaches it.
    Direction(Direction),
    /// Two one-sided tests against `±margin` on the claim's scale.
    Equivalence {
        /// Half-width of the equivalence interval (on the log scale for ratios).
        margin: f64,
        /// Why this margin, written before any run.
        reason: &'static str,
    },
}

/// What the paper published for a claim.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Published {
    /// A relative change of R-BackProp's error against the comparator (negative = lower).
    Change {
        /// As a fraction, e.g. -0.775.
        change: f64,
        /// Where it comes from and what it averages.
        basis: &'static str,
    },
    /// Two published means ± std (R-BackProp's and the comparator's).
    Errors {
        /// R-BackProp.
        ours: PaperValue,
        /// The comparator.
        other: PaperValue,
        /// What they average.
        basis: &'static str,
    },
    /// An epoch read off a figure.
    Epoch {
        /// Of the paper's 100.
        epoch: f64,
        /// Where it comes from.
        basis: &'static str,
    },
    /// Bytes per weight of optimizer state (R-BackProp, Adam).
    Bytes {
        /// R-BackProp.
        ours: f64,
        /// Adam.
        other: f64,
    },
    /// A qualitative statement, no number.
    Shape {
        /// What is shown.
        basis: &'static str,
    },
}

impl Published {
    /// The published relative change, when the claim has a magnitude to reach.
    pub fn change(&self) -> Option<f64> {
        match *self {
            Published::Change { change, .. } => Some(change),
            Published::Errors { ours, other, .. } => {
                Some(crate::stats::relative_change(ours.mean, other.mean))
            }
            _ => None,
        }
    }

    /// One table cell: the numbers and what they are.
    pub fn text(&self) -> String {
        match *self {
            Published::Change { change, basis } => format!("{} ({basis})", CHANGE.show(change)),
            Published::Errors { ours, other, basis } => format!(
                "{} vs {}, change {} ({basis})",
                mean_std(ours.mean, ours.std, Num::Fixed(4)),
                mean_std(other.mean, other.std, Num::Fixed(4)),
                CHANGE.show(self.change().unwrap_or(f64::NAN))
            ),
            Published::Epoch { epoch, basis } => format!("epoch {epoch} of 100 ({basis})"),
            Published::Bytes { ours, other } => {
                format!("{ours} vs {other} bytes per weight (f32 state)")
            }
            Published::Shape { basis } => format!("no number ({basis})"),
        }
    }
}

/// One claim of the paper.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClaimSpec {
    /// Stable identifier used in tables, CSVs and tests, e.g. `fig2a-test`.
    pub id: &'static str,
    /// Where the paper makes it.
    pub figure: &'static str,
    /// The sentence it rests on (abstract: quoted; Sec. III: paraphrased, marked so).
    pub quote: &'static str,
    /// What we test, in one line.
    pub statement: &'static str,
    /// The per-seed quantity measured.
    pub quantity: &'static str,
    /// What is compared with what.
    pub comparison: &'static str,
    /// The paper's number(s).
    pub published: Published,
    /// The test and its direction or margin.
    pub test: Test,
}

const FIG2_BASIS: &str = "one number in Sec. III; the paper does not say how many runs it averages";

/// Every claim, in report order.
pub const CLAIMS: [ClaimSpec; 16] = [
    ClaimSpec {
        id: "fig2a-test",
        figure: "Fig. 2a",
        quote: "(Sec. III, paraphrased) R-BackProp improves the test error of BackProp by 77.5%",
        statement: "R-BackProp's final test error is lower than BackProp's",
        quantity: "final test error E",
        comparison: "R-BackProp vs BackProp, paired by seed",
        published: Published::Change {
            change: FIG2A_TEST_CHANGE,
            basis: FIG2_BASIS,
        },
        test: Test::Direction(Direction::Lower),
    },
    ClaimSpec {
        id: "fig2a-train",
        figure: "Fig. 2a",
        quote: "(Sec. III, paraphrased) R-BackProp also reaches a lower training error than BackProp",
        statement: "R-BackProp's final training error is lower than BackProp's",
        quantity: "final training error E",
        comparison: "R-BackProp vs BackProp, paired by seed",
        published: Published::Shape {
            basis: "read off Fig. 2a",
        },
        test: Test::Direction(Direction::Lower),
    },
    ClaimSpec {
        id: "fig2a-peak",
        figure: "Fig. 2a",
        quote: "(Sec. III, paraphrased) both errors show a temporary peak in the intermediate stage of learning",
        statement: "R-BackProp's training and test errors both rise ≥ 10% above their running minimum and fall back ≥ 10%, in most seeds",
        quantity: "per seed: a peak in both curves (rise and fall of at least 10%)",
        comparison: "seeds with the peak vs without, sign test",
        published: Published::Shape {
            basis: "read off Fig. 2a",
        },
        test: Test::Direction(Direction::Higher),
    },
    ClaimSpec {
        id: "fig2b-test",
        figure: "Fig. 2b",
        quote: "(abstract) The performance is even better than that of state-of-the-art stochastic optimization algorithm called Adam",
        statement: "R-BackProp's final test error is lower than Adam's",
        quantity: "final test error E",
        comparison: "R-BackProp vs Adam, paired by seed",
        published: Published::Change {
            change: -0.491,
            basis: FIG2_BASIS,
        },
        test: Test::Direction(Direction::Lower),
    },
    ClaimSpec {
        id: "fig2b-train",
        figure: "Fig. 2b",
        quote: "(Sec. III, paraphrased) R-BackProp's training error is higher than Adam's while its test error is lower",
        statement: "R-BackProp's final training error is higher than Adam's",
        quantity: "final training error E",
        comparison: "R-BackProp vs Adam, paired by seed",
        published: Published::Shape {
            basis: "read off Fig. 2b",
        },
        test: Test::Direction(Direction::Higher),
    },
    ClaimSpec {
        id: "fig2b-late",
        figure: "Fig. 2b",
        quote: "(Sec. III, paraphrased) Adam's decrease slows down after about 40 epochs while R-BackProp keeps decreasing",
        statement: "from epoch 40 (of 100, scaled to the run) to the end, R-BackProp's test error falls by more than Adam's",
        quantity: "ln(final test error / test error at epoch 40·epochs/100)",
        comparison: "R-BackProp vs Adam, paired by seed (difference of log changes)",
        published: Published::Epoch {
            epoch: FIG2_ADAM_SLOWS_AT,
            basis: "read off Fig. 2b",
        },
        test: Test::Direction(Direction::Lower),
    },
    ClaimSpec {
        id: "fig3-early-minimum",
        figure: "Fig. 3",
        quote: "(Sec. III, paraphrased) with λ = 10^-3 the network over-fits early: the test error is lowest around epoch 17 and rises afterwards",
        statement: "at (γ0, λ) = (0.9995, 1e-3) the test error's minimum lies in the first half of the run, in most seeds",
        quantity: "per seed: epoch of the minimum test error",
        comparison: "seeds with the minimum in the first half vs the second, sign test",
        published: Published::Epoch {
            epoch: FIG3_ARGMIN_EPOCH,
            basis: "read off Fig. 3",
        },
        test: Test::Direction(Direction::Higher),
    },
    ClaimSpec {
        id: "fig3-fast-decay-worst",
        figure: "Fig. 3",
        quote: "(Sec. III, paraphrased) λ = 10^-3 gives the worst test performance of the settings shown",
        statement: "at λ = 1e-3 the final test error is higher than at every other (γ0, λ) of Fig. 3",
        quantity: "final test error E",
        comparison: "(0.9995, 1e-3) vs each other point, paired by seed; all must hold (intersection-union)",
        published: Published::Shape {
            basis: "read off Fig. 3",
        },
        test: Test::Direction(Direction::Higher),
    },
    ClaimSpec {
        id: "fig3-gamma0-trend",
        figure: "Fig. 3",
        quote: "(Sec. III, paraphrased) at λ = 10^-4 a larger γ0 gives a lower test error",
        statement: "at λ = 1e-4 the final test error falls as γ0 grows (Spearman ρ(γ0, error) < 0), in most seeds",
        quantity: "per seed: Spearman ρ between γ0 and final test error over γ0 ∈ {0.99, 0.999, 0.9995, 0.9999}",
        comparison: "seeds with ρ < 0 vs ρ > 0, sign test",
        published: Published::Shape {
            basis: "read off Fig. 3",
        },
        test: Test::Direction(Direction::Higher),
    },
    ClaimSpec {
        id: "fig3-large-gamma0-close",
        figure: "Fig. 3",
        quote: "(Sec. III, paraphrased) the settings with large γ0 are close to each other",
        statement: "at λ = 1e-4, γ0 = 0.9995 and 0.9999 give final test errors within a ratio of 1.25",
        quantity: "ln(final test error), γ0 = 0.9995 minus 0.9999",
        comparison: "paired by seed, two one-sided tests",
        published: Published::Shape {
            basis: "read off Fig. 3's enlarged panel",
        },
        test: Test::Equivalence {
            margin: 0.223_143_551_314_209_7, // ln(FIG3_CLOSE_RATIO); checked by a unit test
            reason: FIG3_CLOSE_REASON,
        },
    },
    ClaimSpec {
        id: "fig4-falls-with-m",
        figure: "Fig. 4",
        quote: "(Sec. III, paraphrased) the test error decreases as the training set grows, for every algorithm",
        statement: "for each optimizer, the final test error falls with M (Spearman ρ(M, error) < 0) in most seeds",
        quantity: "per seed and optimizer: Spearman ρ between M and final test error",
        comparison: "seeds with ρ < 0 vs ρ > 0, sign test per optimizer; all three must hold",
        published: Published::Shape {
            basis: "read off Fig. 4",
        },
        test: Test::Direction(Direction::Higher),
    },
    ClaimSpec {
        id: "fig4-lowest-every-m",
        figure: "Fig. 4",
        quote: "(abstract) The reinforced backpropagation can significantly improve test performance of the deep network training",
        statement: "R-BackProp's final test error is below BackProp's and Adam's at every M",
        quantity: "final test error E",
        comparison: "R-BackProp vs each other optimizer at each M, paired by seed; all must hold",
        published: Published::Shape {
            basis: "read off Fig. 4",
        },
        test: Test::Direction(Direction::Lower),
    },
    ClaimSpec {
        id: "fig4-scarce-data",
        figure: "Fig. 4",
        quote: "(abstract) ... especially when the data are scarce",
        statement: "R-BackProp's gain over BackProp is largest at the smallest M",
        quantity: "ln(R-BackProp's / BackProp's final test error) at the smallest M minus at each larger M",
        comparison: "paired by seed, against every larger M; all must hold",
        published: Published::Shape {
            basis: "abstract and Fig. 4",
        },
        test: Test::Direction(Direction::Lower),
    },
    ClaimSpec {
        id: "fig5-backprop",
        figure: "Fig. 5",
        quote: "(Sec. III, paraphrased) on MNIST R-BackProp reaches a test error far below BackProp's",
        statement: "MNIST: R-BackProp's final test classification error is lower than BackProp's",
        quantity: "final test classification error",
        comparison: "R-BackProp vs BackProp, paired by seed",
        published: Published::Errors {
            ours: FIG5_CLASS_ERROR[1],
            other: FIG5_CLASS_ERROR[0],
            basis: FIG5_BASIS,
        },
        test: Test::Direction(Direction::Lower),
    },
    ClaimSpec {
        id: "fig5-adam-similar",
        figure: "Fig. 5",
        quote: "(Sec. III, paraphrased) on MNIST R-BackProp's performance is similar to Adam's",
        statement: "MNIST: R-BackProp's final test classification error is within ±0.01 of Adam's",
        quantity: "final test classification error, R-BackProp minus Adam",
        comparison: "paired by seed, two one-sided tests",
        published: Published::Errors {
            ours: FIG5_CLASS_ERROR[1],
            other: FIG5_CLASS_ERROR[2],
            basis: FIG5_BASIS,
        },
        test: Test::Equivalence {
            margin: FIG5_EQUIVALENCE_MARGIN,
            reason: FIG5_MARGIN_REASON,
        },
    },
    ClaimSpec {
        id: "abstract-memory",
        figure: "Abstract",
        quote: "(abstract) with an extra advantage of less computer memory required",
        statement: "R-BackProp's optimizer state is smaller than Adam's",
        quantity: "bytes of optimizer state per weight, measured from the optimizers",
        comparison: "R-BackProp vs Adam, exact (no seeds)",
        published: Published::Bytes {
            ours: STATE_BYTES_PER_WEIGHT.0,
            other: STATE_BYTES_PER_WEIGHT.1,
        },
        test: Test::Direction(Direction::Lower),
    },
];

/// The claim with `id`. Panics on an unknown id: ids are constants of this module, and a typo
/// is a programming error caught by the first test that runs the figure.
pub fn claim(id: &str) -> &'static ClaimSpec {
    CLAIMS
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no claim `{id}` in paper::CLAIMS"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_margins_match_their_constants() {
        for (i, a) in CLAIMS.iter().enumerate() {
            assert!(CLAIMS[i + 1..].iter().all(|b| b.id != a.id), "{}", a.id);
        }
        let Test::Equivalence { margin, .. } = claim("fig3-large-gamma0-close").test else {
            panic!("fig3-large-gamma0-close is an equivalence claim");
        };
        assert!((margin - FIG3_CLOSE_RATIO.ln()).abs() < 1e-15);
        assert!((fig5_value(OptimizerKind::Adam).unwrap().mean - 0.1077).abs() < 1e-15);
        assert!(fig5_value(OptimizerKind::Momentum).is_none());
        let c = claim("fig5-backprop").published.change().unwrap();
        assert!((c - (0.1138 / 0.2660 - 1.0)).abs() < 1e-12);
    }
}
