//! The paper's claims as data: what each sentence says, the published numbers and what they are,
//! and the test that judges it. Every number the paper publishes lives in this module; every
//! rule we chose to test them (windows, thresholds, margins, seeds, the primary reading) lives in
//! [`protocol`], versioned and hashed.
//!
//! The figures only measure ([`Evidence`]); [`judge::judge_reading`] turns the measurements into
//! verdicts, with Holm's adjustment across one family of claims ([`protocol::HOLM_FAMILY`]).
//!
//! Quotes are verbatim from the paper (arXiv:1701.07974), with the section or caption they are
//! in. The rules were written after earlier versions of this program had printed results on the
//! development seeds; a rule chosen after looking at development numbers says "post hoc".

pub mod evidence;
pub mod judge;
pub mod protocol;
pub mod verdict;

pub use evidence::{Evidence, Scale};
pub use judge::{Assessment, Judged, judge_reading};
pub use protocol::{
    FIG3_CLOSE_RATIO, FIG3_CLOSE_REASON, FIG5_EQUIVALENCE_MARGIN, FIG5_MARGIN_REASON, PEAK_RISE,
};
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
/// Sec. IV: "The test error is averaged over five independent runs (different sets of training
/// and test examples)." The paper does not say whether its ± is a standard deviation or a
/// standard error.
pub const FIG5_BASIS: &str = "Sec. IV: \"averaged over five independent runs (different sets of training and test examples)\"; whether ± is SD or SEM is not said";

/// The published value of `kind` in Fig. 5 (the paper's three optimizers only).
pub fn fig5_value(kind: OptimizerKind) -> Option<PaperValue> {
    FIG5_CLASS_ERROR.into_iter().find(|v| v.optimizer == kind)
}

/// Fig. 1's `gamma0` (the caption's), with the default `lambda`.
pub const FIG1_GAMMA0: f64 = 0.99;

/// Sec. III: R-BackProp's change in final test error against BackProp (Fig. 2a), "77.5%".
pub const FIG2A_TEST_CHANGE: f64 = -0.775;

/// Fig. 3's R-BackProp settings `(gamma0, lambda)`: the paper's default first. The text names
/// two: the default (0.9995, 0.0001) (Sec. IV) and (0.9995, 0.001) (Fig. 3's caption). The other
/// three are ours: the text says only that it tunes gamma0 at the small decay rate (Sec. IV:
/// "maintaining the identical small decay rate, we tune the initial value of γ"); the figure's
/// legend is not in the text we have, so 0.99, 0.999 and 0.9999 are our choice around the
/// default.
pub const FIG3_POINTS: [(f64, f64); 5] = [
    (0.9995, 0.0001),
    (0.9995, 0.001),
    (0.999, 0.0001),
    (0.99, 0.0001),
    (0.9999, 0.0001),
];

/// The two large `gamma0` (at [`FIG3_SLOW_DECAY`]) whose curves Fig. 3 shows close together.
pub const FIG3_CLOSE_GAMMA0: (f64, f64) = (0.9995, 0.9999);
/// The `lambda` Fig. 3 shows over-fitting early (Sec. IV and Fig. 3's caption: "(0.9995,0.001)").
pub const FIG3_FAST_DECAY: f64 = 0.001;
/// The `lambda` at which Fig. 3 compares several `gamma0` (the paper's default, Sec. IV).
pub const FIG3_SLOW_DECAY: f64 = 0.0001;
/// Sec. IV: "R-BackProp over-fits the data rapidly at around 17 epochs" (of 100).
pub const FIG3_ARGMIN_EPOCH: f64 = 17.0;
/// Fig. 4's training-set sizes `M`.
pub const FIG4_SIZES: [usize; 5] = [500, 1000, 2000, 4000, 8000];
/// Sec. IV: Adam's "decrease becomes slow after about 40 epochs" (of 100).
pub const FIG2_ADAM_SLOWS_AT: f64 = 40.0;
/// The paper's run length; epochs it states are scaled by `epochs / PAPER_EPOCHS`.
pub const PAPER_EPOCHS: f64 = 100.0;

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
        /// Why this margin.
        reason: &'static str,
    },
    /// True by construction of the algorithm, not an empirical finding: measured and shown, but
    /// its verdict is "by design".
    ByDesign,
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
    /// An epoch the paper states in its text; the claim's rule tests a declared window around
    /// it ([`protocol`]).
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
            Published::Epoch { epoch, basis } => {
                format!("epoch {epoch} of 100, tested by the rule's window ({basis})")
            }
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
    /// The sentence it rests on, verbatim, with its section or caption.
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

const FIG2_BASIS: &str =
    "Sec. IV and Fig. 2's caption; the paper does not say how many runs it averages";

/// Every claim, in report order.
pub const CLAIMS: [ClaimSpec; 20] = [
    ClaimSpec {
        id: "fig2a-test",
        figure: "Fig. 2a",
        quote: "(Sec. IV) \"We clearly see that the test performance is finally improved at 100-th epoch by a significant amount (about 77.5%).\"",
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
        quote: "(Sec. IV) \"Meanwhile, the training error is also significantly lower than that of BackProp.\"",
        statement: "R-BackProp's final training error is lower than BackProp's",
        quantity: "final training error E",
        comparison: "R-BackProp vs BackProp, paired by seed",
        published: Published::Shape {
            basis: "Sec. IV, no number",
        },
        test: Test::Direction(Direction::Lower),
    },
    ClaimSpec {
        id: "fig2a-peak",
        figure: "Fig. 2a",
        quote: "(Sec. IV) \"A salient feature of R-BackProp is that, in the intermediate stage, the reinforcement strategy guides SGD to escape from possible plateau regions [...] This process is indicated by the temporary peak in both training error and test error for R-BackProp.\"",
        statement: "R-BackProp's training and test errors both have a peak (rise ≥ 10% above the running minimum, then fall ≥ 10%) whose top lies in epochs 20-80 of 100, and BackProp's same seed has no such peak in either curve, in most seeds",
        quantity: "per seed: peak in the window in both R-BackProp curves and in neither BackProp curve",
        comparison: "seeds with the pattern vs without, sign test",
        published: Published::Shape {
            basis: "Sec. IV and Fig. 2a, no number",
        },
        test: Test::Direction(Direction::Higher),
    },
    ClaimSpec {
        id: "fig2a-fluctuations",
        figure: "Fig. 2a",
        quote: "(Sec. IV) \"Remarkably, even before or after this peak, there are a few small but significant fluctuations in both training and test errors. These fluctuations are assumed to be key characteristics of R-BackProp, caused by a probabilistic reinforcement of the gradient information.\"",
        statement: "R-BackProp's training and test errors each have at least two rise-and-fall episodes of ≥ 2% (the peak counts as one, so at least one fluctuation besides it) and more than BackProp's same curve, in most seeds",
        quantity: "per seed: fluctuation counts of R-BackProp's and BackProp's training and test curves",
        comparison: "seeds with the pattern vs without, sign test",
        published: Published::Shape {
            basis: "Sec. IV and Fig. 2a, no number",
        },
        test: Test::Direction(Direction::Higher),
    },
    ClaimSpec {
        id: "fig2b-test",
        figure: "Fig. 2b",
        quote: "(Sec. IV) \"Compared to state-of-the-art Adam, R-BackProp still improves the final test performance by a significant amount (about 49.1%, see Fig. 2 (b)).\"",
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
        quote: "(Sec. IV) \"The training error reached by R-BackProp is clearly higher than that of Adam, but the network architecture learned by R-BackProp has nicer generalization property.\"",
        statement: "R-BackProp's final training error is higher than Adam's and, in the same seeds, its final test error lower (both must hold)",
        quantity: "final training error and final test error E",
        comparison: "paired by seed: R-BackProp's training error vs Adam's, and Adam's test error vs R-BackProp's; intersection-union",
        published: Published::Shape {
            basis: "Sec. IV, no number",
        },
        test: Test::Direction(Direction::Higher),
    },
    ClaimSpec {
        id: "fig2b-adam-early-fast",
        figure: "Fig. 2b",
        quote: "(Sec. IV) \"Note that Adam is able to decrease both training error and test error very quickly\"",
        statement: "from epoch 0 to epoch 10 (of 100), Adam's training and test errors both fall by more than R-BackProp's",
        quantity: "ln(error at epoch 10 / error at epoch 0), training and test",
        comparison: "Adam vs R-BackProp, paired by seed (difference of log changes); both errors must hold",
        published: Published::Shape {
            basis: "Sec. IV, no number; epoch 10 is ours",
        },
        test: Test::Direction(Direction::Lower),
    },
    ClaimSpec {
        id: "fig2b-adam-slows",
        figure: "Fig. 2b",
        quote: "(Sec. IV) \"but for the current setting, the decrease becomes slow after about 40 epochs.\"",
        statement: "Adam's per-epoch log decrease of both errors after the window 30-50 (of 100) is smaller than before it",
        quantity: "per-epoch ln change of Adam's error over epochs 50..100 and over 0..30, training and test",
        comparison: "after vs before, paired by seed; both errors must hold",
        published: Published::Epoch {
            epoch: FIG2_ADAM_SLOWS_AT,
            basis: "Sec. IV",
        },
        test: Test::Direction(Direction::Higher),
    },
    ClaimSpec {
        id: "fig2b-late",
        figure: "Fig. 2b",
        quote: "(Sec. IV) \"In contrast, R-BackProp keeps decreasing both errors by a more significant amount than Adam, despite the presence of slightly significant fluctuations.\"",
        statement: "from epoch 40 (of 100) to the end, R-BackProp's training and test errors both fall by more than Adam's",
        quantity: "ln(final error / error at epoch 40), training and test",
        comparison: "R-BackProp vs Adam, paired by seed (difference of log changes); both errors must hold",
        published: Published::Epoch {
            epoch: FIG2_ADAM_SLOWS_AT,
            basis: "Sec. IV",
        },
        test: Test::Direction(Direction::Lower),
    },
    ClaimSpec {
        id: "fig2b-adam-large-eta",
        figure: "Sec. III (Fig. 2's setting)",
        quote: "(Sec. III) \"Large η_0 as we use in R-BackProp does not work in the current setting for Adam.\"",
        statement: "Adam with R-BackProp's η0 = 0.8 ends with a higher test error than Adam with its own η0 = 0.01",
        quantity: "final test error E",
        comparison: "Adam at η0 = 0.8 vs Adam at η0 = 0.01, paired by seed (Fig. 2's setting)",
        published: Published::Shape {
            basis: "Sec. III, no number or figure",
        },
        test: Test::Direction(Direction::Higher),
    },
    ClaimSpec {
        id: "fig3-early-minimum",
        figure: "Fig. 3",
        quote: "(Sec. IV) \"If the exponential decay rate λ is large, R-BackProp over-fits the data rapidly at around 17 epochs.\"",
        statement: "at (γ0, λ) = (0.9995, 1e-3) the test error's minimum lies in epochs 12-22 (of 100) and over the next 10 epochs the test error rises while the training error falls (over-fitting), in most seeds",
        quantity: "per seed: epoch of the minimum test error, and the change of both errors over the 10 epochs after it",
        comparison: "seeds with the pattern vs without, sign test",
        published: Published::Epoch {
            epoch: FIG3_ARGMIN_EPOCH,
            basis: "Sec. IV",
        },
        test: Test::Direction(Direction::Higher),
    },
    ClaimSpec {
        id: "fig3-fast-decay-worst",
        figure: "Fig. 3",
        quote: "(Fig. 3 caption) \"The inset is an enlarged view for the later stage (the worst performance with (0.9995,0.001) is omitted for comparison).\"",
        statement: "at λ = 1e-3 the final test error is higher than at every other (γ0, λ) of Fig. 3",
        quantity: "final test error E",
        comparison: "(0.9995, 1e-3) vs each other point, paired by seed; all must hold (intersection-union)",
        published: Published::Shape {
            basis: "Fig. 3's caption, no number",
        },
        test: Test::Direction(Direction::Higher),
    },
    ClaimSpec {
        id: "fig3-gamma0-trend",
        figure: "Fig. 3",
        quote: "(Sec. IV) \"However, maintaining the identical small decay rate, we tune the initial value of γ, and find that a larger value of γ_0 leads to a smaller test error (inset of Fig. 3).\"",
        statement: "at λ = 1e-4 the final test error falls as γ0 grows (Spearman ρ(γ0, error) < 0), in most seeds",
        quantity: "per seed: Spearman ρ between γ0 and final test error over γ0 ∈ {0.99, 0.999, 0.9995, 0.9999} (three of them ours)",
        comparison: "seeds with ρ < 0 vs ρ > 0, sign test",
        published: Published::Shape {
            basis: "Sec. IV and Fig. 3's inset, no number",
        },
        test: Test::Direction(Direction::Higher),
    },
    ClaimSpec {
        id: "fig3-large-gamma0-close",
        figure: "Fig. 3",
        quote: "(Sec. IV) \"For relatively large values of γ_0, the learning performance is not radically different.\"",
        statement: "at λ = 1e-4, γ0 = 0.9995 and 0.9999 give final test errors within a ratio of 1.25",
        quantity: "ln(final test error), γ0 = 0.9995 minus 0.9999 (0.9999 is ours)",
        comparison: "paired by seed, two one-sided tests",
        published: Published::Shape {
            basis: "Sec. IV and Fig. 3's inset, no number",
        },
        test: Test::Equivalence {
            margin: 0.223_143_551_314_209_7, // ln(FIG3_CLOSE_RATIO); checked by a unit test
            reason: FIG3_CLOSE_REASON,
        },
    },
    ClaimSpec {
        id: "fig4-falls-with-m",
        figure: "Fig. 4",
        quote: "(Sec. IV) \"Clearly, we see from Fig. 4, the test error decreases with the training data size as expected.\"",
        statement: "for each optimizer, the final test error falls with M (Spearman ρ(M, error) < 0) in most seeds",
        quantity: "per seed and optimizer: Spearman ρ between M and final test error",
        comparison: "seeds with ρ < 0 vs ρ > 0, sign test per optimizer; all three must hold",
        published: Published::Shape {
            basis: "Sec. IV and Fig. 4 (caption: \"averaged over ten independent runs\")",
        },
        test: Test::Direction(Direction::Higher),
    },
    ClaimSpec {
        id: "fig4-lowest-every-m",
        figure: "Fig. 4",
        quote: "(Sec. IV) \"R-BackProp outperforms the standard BackProp, and even Adam.\"",
        statement: "R-BackProp's final test error is below BackProp's and Adam's at every M",
        quantity: "final test error E",
        comparison: "R-BackProp vs each other optimizer at each M, paired by seed; all must hold",
        published: Published::Shape {
            basis: "Sec. IV and Fig. 4, no number",
        },
        test: Test::Direction(Direction::Lower),
    },
    ClaimSpec {
        id: "fig4-scarce-data",
        figure: "Fig. 4",
        quote: "(Abstract) \"The reinforced backpropagation can significantly improve test performance of the deep network training, especially when the data are scarce.\"",
        statement: "applicable only if R-BackProp is significantly below BackProp at the smallest M and its own error falls with M (sign test on per-seed Spearman ρ, raw p < 0.05); then its gain over BackProp is largest at the smallest M",
        quantity: "ln(R-BackProp's / BackProp's final test error) at the smallest M minus at each larger M",
        comparison: "paired by seed, against every larger M; all must hold",
        published: Published::Shape {
            basis: "abstract and Fig. 4, no number",
        },
        test: Test::Direction(Direction::Lower),
    },
    ClaimSpec {
        id: "fig5-backprop",
        figure: "Fig. 5",
        quote: "(Sec. IV) \"Fig. 5 shows that R-BackProp improves significantly over BackProp, reaching a similar test performance to that of Adam. R-BackProp achieves a test error of 0.1138 ± 0.0029, compared to 0.2660 ± 0.0050 for BackProp\"",
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
        quote: "(Sec. IV) \"reaching a similar test performance to that of Adam. R-BackProp achieves a test error of 0.1138 ± 0.0029, compared to [...] 0.1077 ± 0.0073 for Adam.\"",
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
        quote: "(Abstract) \"with an extra advantage of less computer memory required\"; (Sec. V) \"Adam, which requires one-fold more computer memory to store the uncentered variance of the gradients\"",
        statement: "R-BackProp's optimizer state is smaller than Adam's (one buffer per weight against two: true by construction)",
        quantity: "bytes of optimizer state per weight, measured from the optimizers",
        comparison: "R-BackProp vs Adam, exact (no seeds)",
        published: Published::Bytes {
            ours: STATE_BYTES_PER_WEIGHT.0,
            other: STATE_BYTES_PER_WEIGHT.1,
        },
        test: Test::ByDesign,
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
