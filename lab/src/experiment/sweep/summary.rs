//! The summary of a complete sweep: per cell, the final errors over its seeds (mean ± std and
//! the 95% CI), as `sweep.csv`, as `SWEEP.md` and as a plot against one swept axis.

use super::{AXES, Sweep};
use crate::report::csv::Table;
use crate::report::files::OutDir;
use crate::report::format::{Interval, Num, interval, mean_std};
use crate::report::plot::{self, PlotError, PlotSpec, Series};
use crate::run::{Executed, RunSpec, Status, StoredRun};
use crate::stats::{self, Summary};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The summary table, one row per cell.
pub const CSV: &str = "sweep.csv";
/// The report: settings, table, failed runs, plot.
pub const REPORT: &str = "SWEEP.md";

/// The plot's file stem: `final_error_vs_<axis>`.
pub fn plot_stem(axis: &str) -> String {
    format!("final_error_vs_{axis}")
}

/// The final errors of one cell over its finished seeds.
#[derive(Clone, Debug)]
pub struct CellSummary {
    /// Index in [`Sweep::cells`].
    pub cell: usize,
    /// Final test error `E`.
    pub test: Summary,
    /// Final training error `E`.
    pub train: Summary,
    /// Final test classification error (the share of test images misclassified), for the image
    /// data sets; `None` for the teacher task.
    pub test_class: Option<Summary>,
    /// Seeds whose run failed (left out of the summaries).
    pub failed: usize,
}

/// Per cell, the final errors of its finished runs.
pub(super) fn summarize(
    sweep: &Sweep,
    runs: &[(usize, RunSpec)],
    executed: &Executed,
) -> Vec<CellSummary> {
    let mut by_cell: BTreeMap<usize, Vec<&StoredRun>> = BTreeMap::new();
    for ((cell, _), run) in runs.iter().zip(&executed.runs) {
        by_cell
            .entry(*cell)
            .or_default()
            .extend(run.as_ref().iter().copied());
    }
    (0..sweep.cells.len())
        .map(|cell| {
            let mine = by_cell.remove(&cell).unwrap_or_default();
            let finished: Vec<&StoredRun> = mine.iter().copied().filter(|r| !r.failed()).collect();
            let pick = |f: fn(&StoredRun) -> f64| {
                stats::summarize(&finished.iter().map(|r| f(r)).collect::<Vec<_>>())
            };
            CellSummary {
                cell,
                test: pick(|r| r.result.last().test_error),
                train: pick(|r| r.result.last().train_error),
                test_class: sweep
                    .images()
                    .then(|| pick(|r| r.result.last().test_class_error.unwrap_or(f64::NAN))),
                failed: mine.len() - finished.len(),
            }
        })
        .collect()
}

/// `sweep.csv`: every axis's value, then the statistics of the final errors.
pub(super) fn csv(sweep: &Sweep, cells: &[CellSummary]) -> String {
    let mut header: Vec<&str> = AXES.to_vec();
    header.extend([
        "n",
        "failed",
        "final_test_mean",
        "final_test_std",
        "final_test_ci95_lo",
        "final_test_ci95_hi",
        "final_train_mean",
        "final_train_std",
    ]);
    if sweep.images() {
        header.extend([
            "final_test_class_mean",
            "final_test_class_std",
            "final_test_class_ci95_lo",
            "final_test_class_ci95_hi",
        ]);
    }
    let mut out = Table::new(&header);
    for s in cells {
        let cell = &sweep.cells[s.cell];
        let mut row: Vec<String> = AXES.iter().map(|a| cell.value(a)).collect();
        row.extend([
            s.test.n.to_string(),
            s.failed.to_string(),
            s.test.mean.to_string(),
            s.test.std.to_string(),
            s.test.ci95.0.to_string(),
            s.test.ci95.1.to_string(),
            s.train.mean.to_string(),
            s.train.std.to_string(),
        ]);
        if let Some(c) = &s.test_class {
            row.extend([
                c.mean.to_string(),
                c.std.to_string(),
                c.ci95.0.to_string(),
                c.ci95.1.to_string(),
            ]);
        }
        out.row(&row);
    }
    out.finish()
}

/// `SWEEP.md`: the fixed settings, the table over the swept axes, the failed runs, the plot.
pub(super) fn report(sweep: &Sweep, cells: &[CellSummary], executed: &Executed) -> String {
    let mut out = String::from("# Sweep\n\n");
    out.push_str(&design(sweep, executed));
    out.push_str(&fixed_settings(sweep));
    out.push_str(&final_errors(sweep, cells));
    out.push_str(&failed_runs(executed));
    if let Some(axis) = sweep.plot {
        out.push_str(&plot_section(sweep, axis));
    }
    out
}

/// The design and what the numbers are, so the table can be read without the spec at hand.
fn design(sweep: &Sweep, executed: &Executed) -> String {
    format!(
        "{} cells x {} seeds ({}), {} epochs, mini-batch {}; {} runs. Final errors are `E = 1/2 |y* - y|^2` \
         averaged over the test set, summarized over the seeds that finished: mean ± std (n - 1) and \
         the Student-t 95% CI of the mean.{}\n\n",
        sweep.cells.len(),
        sweep.seeds.len(),
        seeds_text(&sweep.seeds),
        sweep.epochs,
        sweep.batch,
        executed.runs.len(),
        if sweep.images() {
            " On images the test classification error (the share of test images whose largest \
             output is not the label) is summarized the same way; the plot shows it."
        } else {
            ""
        }
    )
}

/// The axes that were not swept, once each: the table's columns are only the swept ones, so the
/// rest of the setting is stated here.
fn fixed_settings(sweep: &Sweep) -> String {
    let mut out = String::from("## Fixed settings\n\n| setting | value |\n|---|---|\n");
    for axis in AXES.iter().filter(|a| !sweep.swept.contains(a)) {
        // The value from a cell it applies to (gamma0 and lambda only apply to R-BackProp).
        let values = sweep.cells.iter().map(|c| c.value(axis));
        let value = values.clone().find(|v| v != "–");
        let _ = writeln!(out, "| {axis} | {} |", value.unwrap_or_else(|| "–".into()));
    }
    if sweep.images() {
        let _ = writeln!(
            out,
            "| data.pool | {} |\n| data.test_size | {} |",
            sweep.data.pool, sweep.data.test_size
        );
    }
    out
}

/// The table: a row per cell, its swept values, then the errors. The classification columns
/// appear only on images, where they are the measure the paper reports.
fn final_errors(sweep: &Sweep, cells: &[CellSummary]) -> String {
    let mut out = String::from("\n## Final errors per cell\n\n|");
    for axis in &sweep.swept {
        let _ = write!(out, " {axis} |");
    }
    out.push_str(
        " n | failed | final test error (mean ± std) | 95% CI | final train error (mean ± std) |",
    );
    let class_columns = if sweep.images() { 2 } else { 0 };
    if class_columns > 0 {
        out.push_str(" final test classification error (mean ± std) | 95% CI |");
    }
    out.push_str("\n|");
    out.push_str(&"---|".repeat(sweep.swept.len() + 5 + class_columns));
    out.push('\n');
    for s in cells {
        out.push_str(&cell_row(sweep, s));
    }
    out.push('\n');
    out
}

/// One cell's row. The errors `E` span decades across settings, so they are in scientific
/// notation; classification errors are shares, so fixed.
fn cell_row(sweep: &Sweep, s: &CellSummary) -> String {
    let cell = &sweep.cells[s.cell];
    let mut out = String::from("|");
    for axis in &sweep.swept {
        let _ = write!(out, " {} |", cell.value(axis));
    }
    let columns = |s: &Summary, num: Num| {
        let ci = interval(s.ci95, num, Interval::Brackets);
        format!("{} | {ci}", mean_std(s.mean, s.std, num))
    };
    let _ = write!(
        out,
        " {} | {} | {} | {} |",
        s.test.n,
        s.failed,
        columns(&s.test, Num::Sci(4)),
        mean_std(s.train.mean, s.train.std, Num::Sci(4))
    );
    if let Some(c) = &s.test_class {
        let _ = write!(out, " {} |", columns(c, Num::Fixed(4)));
    }
    out.push('\n');
    out
}

/// The failed runs and why, with their result files: the table leaves them out, so a reader
/// must be able to see what is missing and look at it (empty when every run finished).
fn failed_runs(executed: &Executed) -> String {
    let mut out = String::new();
    let failed: Vec<&StoredRun> = executed.failed().collect();
    if failed.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "## Failed runs\n\n{} run(s) failed and are left out of the table above.\n\n| run | result file | why |\n|---|---|---|",
        failed.len()
    );
    for r in failed {
        if let Status::Failed { reason, epoch } = &r.status {
            let _ = writeln!(
                out,
                "| {} | runs/{}.json | {} (epoch {epoch}) |",
                r.spec.label(),
                r.spec.id(),
                // A `|` in the message would split the table's cell.
                reason.replace('|', "/")
            );
        }
    }
    out.push('\n');
    out
}

/// The plot against `axis`, with a link to the SVG for zooming in.
fn plot_section(sweep: &Sweep, axis: &str) -> String {
    let stem = plot_stem(axis);
    format!(
        "## Plot\n\n![final test error against {axis}]({stem}.png)\n\n*Final test {}error against {axis}, mean ± std over seeds* ([SVG]({stem}.svg))\n\n",
        if sweep.images() {
            "classification "
        } else {
            ""
        }
    )
}

fn seeds_text(seeds: &[u64]) -> String {
    let consecutive = seeds.iter().enumerate().all(|(i, &s)| s == i as u64);
    if consecutive {
        format!("seeds 0..{}", seeds.len())
    } else {
        format!(
            "seeds {}",
            seeds
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// The final test error against `axis`: one line per combination of the other swept axes.
pub(super) fn plot_final_error(
    sweep: &Sweep,
    cells: &[CellSummary],
    axis: &str,
    out: &OutDir,
) -> Result<plot::PlotFiles, PlotError> {
    let others: Vec<&str> = sweep.swept.iter().copied().filter(|a| *a != axis).collect();
    /// `(x, mean, std)` of one cell.
    type Point = (f64, f64, f64);
    let mut lines: Vec<(String, Vec<Point>)> = Vec::new();
    for s in cells {
        let cell = &sweep.cells[s.cell];
        let Some(x) = cell.number(axis) else {
            continue;
        };
        // On images the classification error, the paper's measure for MNIST.
        let y = s.test_class.as_ref().unwrap_or(&s.test);
        let label = if others.is_empty() {
            "final test error".to_string()
        } else {
            others
                .iter()
                .map(|a| format!("{a}={}", cell.value(a)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match lines.iter_mut().find(|(l, _)| *l == label) {
            Some((_, points)) => points.push((x, y.mean, y.std)),
            None => lines.push((label, vec![(x, y.mean, y.std)])),
        }
    }
    let series: Vec<Series> = lines
        .into_iter()
        .map(|(label, mut points)| {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            Series {
                label,
                x: points.iter().map(|p| p.0).collect(),
                mean: points.iter().map(|p| p.1).collect(),
                std: Some(points.iter().map(|p| p.2).collect()),
            }
        })
        .collect();
    let xs: Vec<f64> = series.iter().flat_map(|s| s.x.iter().copied()).collect();
    let (lo, hi) = xs.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &x| {
        (lo.min(x), hi.max(x))
    });
    let what = if sweep.images() {
        "test classification error"
    } else {
        "test error E"
    };
    let spec = PlotSpec {
        title: format!("Final {what} against {axis}"),
        x_label: axis.to_string(),
        y_label: format!("final {what}"),
        // A range over a decade or more reads better on a log axis.
        log_x: lo > 0.0 && hi / lo >= 10.0,
        log_y: true,
        x_range: None,
        markers: true,
    };
    plot::plot_series(&out.path(&plot_stem(axis)), &spec, &series)
}
