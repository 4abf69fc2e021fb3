//! `rbp-stats`: every statistic of rbp, in one place: summaries (mean, sample std, median, quantiles,
//! Student-t intervals), tests (paired t, sign test, TOST and its power, Holm's and Bonferroni's
//! adjustments), Spearman's rank correlation and detectable effects. Every interval of a paired
//! comparison is a Student-t interval on per-seed differences or log ratios ([`t_interval`]),
//! the dual of the t test that gives its p.
//!
//! The distributions come from `statrs`. How a claim of the paper is judged with these tools
//! (the verdict rules) lives with the claims, in `rbp_lab::paper`; this crate knows no study
//! and no claim. The functions here never
//! panic on bad input: degenerate inputs (empty, one value, constant, NaN) get the result their
//! documentation states, and inconsistent inputs (mismatched lengths) get a [`StatsError`] or,
//! where a number is returned, NaN.
//!
//! The submodules split the work by job; everything is re-exported here, so callers write
//! `stats::summarize`, `stats::paired`, `stats::spearman`.

mod paired;
mod rank;
mod summary;
mod t;

pub use paired::*;
pub use rank::*;
pub use summary::*;
pub use t::*;

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
}

/// `|a - b| <= tol`, for the tests of the submodules.
#[cfg(test)]
fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}
