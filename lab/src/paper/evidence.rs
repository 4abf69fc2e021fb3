//! What the figures measure for a claim, before any verdict: per-seed numbers or counts.

/// The scale a paired effect is reported on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Errors compared as the paper compares them, by a relative change: tested, and reported
    /// as the geometric change `exp(mean(ln a - ln b)) - 1` with the t interval of the per-seed
    /// log ratios (the one interval method; see [`crate::stats::t_interval`]).
    Relative,
    /// `mean(a - b)` with its paired t interval: for per-seed quantities that are already
    /// differences or log ratios.
    Absolute,
    /// As [`Scale::Relative`]: ratios for equivalence margins (the margin is on `ln a - ln b`).
    LogRatio,
}

/// The measurements behind one claim.
#[derive(Clone, Debug, PartialEq)]
pub enum Evidence {
    /// Per-seed values of R-BackProp (or the setting the claim names first) and of the
    /// comparator, index `i` from the same seed.
    Paired {
        /// The claim's subject.
        a: Vec<f64>,
        /// The comparator.
        b: Vec<f64>,
        /// How the effect is reported.
        scale: Scale,
    },
    /// Per seed, whether the claimed pattern is there (`yes`) or not (`no`); judged by the sign
    /// test, the effect being `yes - no`.
    Signs {
        /// Seeds showing the pattern.
        yes: usize,
        /// Seeds not showing it (ties already dropped).
        no: usize,
    },
    /// Every part must hold (intersection-union test: the claim's p is the largest part's p, no
    /// adjustment over parts is needed).
    All(Vec<(String, Evidence)>),
    /// At least one part must hold (a disjunction: the claim's p is Bonferroni's over the `k`
    /// parts, `min(1, k min p)`).
    Any(Vec<(String, Evidence)>),
    /// A deterministic quantity, no seeds: R-BackProp's and the comparator's.
    Exact {
        /// R-BackProp.
        ours: f64,
        /// The comparator.
        other: f64,
    },
    /// Not measured, and why.
    Missing(String),
    /// Measured, but the claim's precondition failed (the text says which): not tested.
    NotApplicable(String),
}
