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
    let has_class =
        summaries.iter().all(|s| s.final_test_class_error.is_some()) && !summaries.is_empty();
    let width = summaries
        .iter()
        .map(|s| s.optimizer.paper_name().len())
        .max()
        .unwrap_or(0)
        .max(11);
    let mut out = header(summaries, paper, has_class, width);
    for s in summaries {
        out.push_str(&row(s, paper, width));
    }
    out.push_str(&diverged_lines(summaries));
    out.push_str(&comparisons(summaries, has_class, width));
    out
}

/// The column titles, and over how many seeds.
fn header(
    summaries: &[OptimizerSummary],
    paper: &[PaperValue],
    class: bool,
    width: usize,
) -> String {
    let n = summaries
        .first()
        .map_or(0, |s| s.final_test_error.n + s.diverged.len());
    let mut out = format!(
        "{:<width$} {:>22} {:>22}",
        "optimizer", "final train error", "final test error"
    );
    if class {
        let _ = write!(out, " {:>20}", "test class. error");
    }
    if !paper.is_empty() {
        let _ = write!(out, " {:>18}", "paper");
    }
    let _ = writeln!(out, "   (mean ± std over {n} seeds)");
    out
}

/// One optimizer's row: its means ± std, or `diverged` when no run stayed finite.
fn row(s: &OptimizerSummary, paper: &[PaperValue], width: usize) -> String {
    let name = s.optimizer.paper_name();
    if s.final_test_error.n == 0 {
        return format!("{name:<width$} {:>22}\n", "diverged");
    }
    let (train, test) = (s.final_train_error, s.final_test_error);
    let mut out = format!(
        "{name:<width$} {:>22} {:>22}",
        mean_std(train.mean, train.std, Num::Sci(4)),
        mean_std(test.mean, test.std, Num::Sci(4))
    );
    if let Some(c) = s.final_test_class_error {
        let _ = write!(out, " {:>20}", mean_std(c.mean, c.std, Num::Fixed(4)));
    }
    if let Some(p) = paper.iter().find(|p| p.optimizer == s.optimizer) {
        let _ = write!(out, " {:>18}", mean_std(p.mean, p.std, Num::Fixed(4)));
    }
    out.push('\n');
    out
}

/// R-BackProp against each other optimizer: the change of the mean error and the paired wins
/// (not compared when a run of either diverged).
fn comparisons(summaries: &[OptimizerSummary], class: bool, width: usize) -> String {
    let mut out = String::new();
    let Some(rbp) = summaries.iter().find(|s| s.optimizer == OptimizerKind::Rbp) else {
        return out;
    };
    let what = if class {
        "test classification error"
    } else {
        "test error"
    };
    for other in summaries
        .iter()
        .filter(|s| s.optimizer != OptimizerKind::Rbp)
    {
        let name = other.optimizer.paper_name();
        if !rbp.diverged.is_empty() || !other.diverged.is_empty() {
            let _ = writeln!(out, "R-BackProp vs {name}: not compared (a run diverged)");
            continue;
        }
        let change = relative_change(rbp.headline().mean, other.headline().mean);
        // Seeds where R-BackProp's headline error is lower (same seeds, same order).
        let (a, b) = (&rbp.per_seed_final, &other.per_seed_final);
        let n = a.len().min(b.len());
        let wins = stats::paired(&a[..n], &b[..n]).map_or(0, |p| p.wins);
        let _ = writeln!(
            out,
            "R-BackProp vs {name:<w$} change in {what} {} (negative = lower error; R-BackProp lower in {wins}/{n} seeds)",
            CHANGE.show(change),
            w = width - 2,
        );
    }
    out
}

/// One line per optimizer with diverged runs: how many, which seeds at which epoch.
fn diverged_lines(summaries: &[OptimizerSummary]) -> String {
    let mut out = String::new();
    for s in summaries.iter().filter(|s| !s.diverged.is_empty()) {
        let runs: Vec<String> = s
            .diverged
            .iter()
            .map(|d| format!("seed {} at epoch {}", d.seed, d.epoch))
            .collect();
        let _ = writeln!(
            out,
            "{}: {} of {} run(s) diverged (a non-finite error: {}); the means leave them out",
            s.optimizer.paper_name(),
            s.diverged.len(),
            s.diverged.len() + s.final_test_error.n,
            runs.join(", ")
        );
    }
    out
}
