//! The table printed at the end of a run.

use super::format::{CHANGE, Num, mean_std};
use super::summary::OptimizerSummary;
pub use crate::paper::PaperValue;
use crate::stats::{self, relative_change};
use rbp_core::optim::OptimizerKind;
use std::fmt::Write as _;

/// The final-errors table: per optimizer, train and test error mean ± std over seeds (and the
/// classification error, and the paper's value, when given), then the change in error of
/// R-BackProp against each other optimizer (negative = lower error, the one sign convention of
/// every report) and its paired win count.
pub fn final_table(summaries: &[OptimizerSummary], paper: &[PaperValue]) -> String {
    let n = summaries.first().map_or(0, |s| s.final_test_error.n);
    let has_class =
        summaries.iter().all(|s| s.final_test_class_error.is_some()) && !summaries.is_empty();
    let width = summaries
        .iter()
        .map(|s| s.optimizer.paper_name().len())
        .max()
        .unwrap_or(0)
        .max(11);
    let mut out = String::new();
    let _ = write!(
        out,
        "{:<width$} {:>22} {:>22}",
        "optimizer", "final train error", "final test error"
    );
    if has_class {
        let _ = write!(out, " {:>20}", "test class. error");
    }
    if !paper.is_empty() {
        let _ = write!(out, " {:>18}", "paper");
    }
    let _ = writeln!(out, "   (mean ± std over {n} seeds)");
    for s in summaries {
        let _ = write!(
            out,
            "{:<width$} {:>22} {:>22}",
            s.optimizer.paper_name(),
            mean_std(
                s.final_train_error.mean,
                s.final_train_error.std,
                Num::Sci(4)
            ),
            mean_std(s.final_test_error.mean, s.final_test_error.std, Num::Sci(4))
        );
        if let Some(c) = s.final_test_class_error {
            let _ = write!(out, " {:>20}", mean_std(c.mean, c.std, Num::Fixed(4)));
        }
        if let Some(p) = paper.iter().find(|p| p.optimizer == s.optimizer) {
            let _ = write!(out, " {:>18}", mean_std(p.mean, p.std, Num::Fixed(4)));
        }
        out.push('\n');
    }
    if let Some(rbp) = summaries.iter().find(|s| s.optimizer == OptimizerKind::Rbp) {
        let what = if has_class {
            "test classification error"
        } else {
            "test error"
        };
        for other in summaries
            .iter()
            .filter(|s| s.optimizer != OptimizerKind::Rbp)
        {
            let change = relative_change(rbp.headline().mean, other.headline().mean);
            // Seeds where R-BackProp's headline error is lower (same seeds, same order).
            let (a, b) = (&rbp.per_seed_final, &other.per_seed_final);
            let n = a.len().min(b.len());
            let wins = stats::paired(&a[..n], &b[..n]).map_or(0, |p| p.wins);
            let _ = writeln!(
                out,
                "R-BackProp vs {:<w$} change in {what} {} (negative = lower error; R-BackProp lower in {wins}/{} seeds)",
                other.optimizer.paper_name(),
                CHANGE.show(change),
                n,
                w = width - 2,
            );
        }
    }
    out
}
