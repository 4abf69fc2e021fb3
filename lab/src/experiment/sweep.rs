//! `rbp sweep SPEC.toml`: grids beyond the paper's figures (the cross product of lists of
//! settings, [`spec`]), trained through the run store like `rbp reproduce` (same run ids, result
//! files, resume, `--shard` and `--merge`), summarized per cell (mean ± std and 95% CI of the
//! final errors over seeds) in `sweep.csv` and `SWEEP.md`, with a plot of the final test error
//! against one swept axis.

pub mod data;
pub mod spec;

pub use data::{Dataset, ImageData};
pub use spec::{AXES, Cell, SpecError, Sweep};

use crate::experiment::execute::{self, ExecuteError, Executed, Mode, RunBars, Tally};
use crate::experiment::store::{RunSpec, RunStore, Status, StoreError, StoredRun};
use crate::experiment::{GridError, grid};
use crate::progress::Progress;
use crate::report::csv::Table;
use crate::report::files::{OutDir, OutputError};
use crate::report::plot::{self, PlotError, PlotSpec, Series};
use crate::report::stats::{self, Summary};
use indicatif::{MultiProgress, ProgressDrawTarget};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// The summary table, one row per cell.
pub const CSV: &str = "sweep.csv";
/// The report: settings, table, failed runs, plot.
pub const REPORT: &str = "SWEEP.md";

/// Why a sweep stopped.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Execute(#[from] ExecuteError),
    #[error(transparent)]
    Plot(#[from] PlotError),
    #[error(transparent)]
    Grid(#[from] GridError),
    /// Runs are missing, so no summary can be built; the text names them.
    #[error("{0}")]
    Incomplete(String),
    /// The data of the runs could not be loaded; the text names the files, the directory and
    /// the spec key to change ([`data::explain`]).
    #[error("{0}")]
    Data(String),
}

impl SweepError {
    /// `e`, with data errors worded for a sweep.
    fn from_execute(e: ExecuteError) -> SweepError {
        match e {
            ExecuteError::Data(d) => SweepError::Data(data::explain(&d)),
            other => SweepError::Execute(other),
        }
    }
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

/// What a complete sweep wrote.
#[derive(Clone, Debug)]
pub struct SweepReport {
    pub cells: Vec<CellSummary>,
    /// The report's text (also in `SWEEP.md`).
    pub markdown: String,
    pub files: Vec<PathBuf>,
}

/// What [`run`] did: the counts, the result files not trusted, and the report unless sharded.
pub struct SweepOutcome {
    pub tally: Tally,
    pub problems: Vec<String>,
    pub report: Option<SweepReport>,
}

/// The plot's file stem: `final_error_vs_<axis>`.
pub fn plot_stem(axis: &str) -> String {
    format!("final_error_vs_{axis}")
}

/// Every file a complete sweep writes in `out` (besides `runs/`).
pub fn planned_files(sweep: &Sweep) -> Vec<String> {
    let mut names = vec![CSV.to_string(), REPORT.to_string()];
    if let Some(axis) = sweep.plot {
        let stem = plot_stem(axis);
        names.push(format!("{stem}.png"));
        names.push(format!("{stem}.svg"));
    }
    names
}

/// Trains the sweep's runs through the run store of `out` (see [`Mode`]; resume is re-running
/// the same command) and, unless sharded, writes `sweep.csv`, `SWEEP.md` and the plot.
pub fn run(
    sweep: &Sweep,
    out: &OutDir,
    mode: Mode,
    workers: usize,
    show_progress: bool,
) -> Result<SweepOutcome, SweepError> {
    let sharded = matches!(mode, Mode::Train(Some(_)));
    if !sharded {
        let names = planned_files(sweep);
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        out.prepare(&refs)?;
    }
    let store = RunStore::open(&out.dir)?;
    grid::configure_blas(workers, 1);
    let runs = sweep.runs();
    let specs: Vec<RunSpec> = runs.iter().map(|(_, s)| s.clone()).collect();
    let multi = MultiProgress::with_draw_target(if show_progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let total_epochs = (specs.len() * sweep.epochs) as u64;
    let epochs = Progress::in_multi(&multi, total_epochs, "all", "epochs");
    let run_bar = Progress::in_multi(&multi, specs.len() as u64, "runs", "runs trained");
    let bars = RunBars {
        epochs: &epochs,
        runs: &run_bar,
    };
    let data = sweep.data.run_data();
    let executed = execute::execute(&specs, &store, mode, workers, &data, &bars, &|_| {})
        .map_err(SweepError::from_execute)?;
    run_bar.finish();
    epochs.finish();
    let mut outcome = SweepOutcome {
        tally: executed.tally.clone(),
        problems: executed.problems.clone(),
        report: None,
    };
    if sharded {
        return Ok(outcome);
    }
    let missing: Vec<String> = specs
        .iter()
        .zip(&executed.runs)
        .filter(|(_, r)| r.is_none())
        .map(|(s, _)| format!("{} ({})", s.label(), store.path(&s.id()).display()))
        .collect();
    if !missing.is_empty() {
        return Err(SweepError::Incomplete(format!(
            "{} of the {} runs have no usable result file (run the missing shards with the same \
             spec):\n  {}",
            missing.len(),
            specs.len(),
            missing.join("\n  ")
        )));
    }
    let cells = summarize(sweep, &runs, &executed);
    let mut files = Vec::new();
    files.push(out.write(CSV, csv(sweep, &cells).as_bytes())?);
    if let Some(axis) = sweep.plot {
        let written = plot_final_error(sweep, &cells, axis, out)?;
        files.push(written.png);
        files.push(written.svg);
    }
    let markdown = report(sweep, &cells, &executed);
    files.push(out.write(REPORT, markdown.as_bytes())?);
    outcome.report = Some(SweepReport {
        cells,
        markdown,
        files,
    });
    Ok(outcome)
}

/// Per cell, the final errors of its finished runs.
fn summarize(sweep: &Sweep, runs: &[(usize, RunSpec)], executed: &Executed) -> Vec<CellSummary> {
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
fn csv(sweep: &Sweep, cells: &[CellSummary]) -> String {
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
fn report(sweep: &Sweep, cells: &[CellSummary], executed: &Executed) -> String {
    let mut out = String::from("# Sweep\n\n");
    let _ = writeln!(
        out,
        "{} cells x {} seeds ({}), {} epochs, mini-batch {}; {} runs. Final errors are `E = 1/2 |y* - y|^2` \
         averaged over the test set, summarized over the seeds that finished: mean ± std (n - 1) and \
         the Student-t 95% CI of the mean.{}\n",
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
    );
    out.push_str("## Fixed settings\n\n| setting | value |\n|---|---|\n");
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
    out.push_str("\n## Final errors per cell\n\n|");
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
        let cell = &sweep.cells[s.cell];
        out.push('|');
        for axis in &sweep.swept {
            let _ = write!(out, " {} |", cell.value(axis));
        }
        let _ = write!(
            out,
            " {} | {} | {:.4e} ± {:.1e} | [{:.4e}, {:.4e}] | {:.4e} ± {:.1e} |",
            s.test.n,
            s.failed,
            s.test.mean,
            s.test.std,
            s.test.ci95.0,
            s.test.ci95.1,
            s.train.mean,
            s.train.std
        );
        if let Some(c) = &s.test_class {
            let _ = write!(
                out,
                " {:.4} ± {:.4} | [{:.4}, {:.4}] |",
                c.mean, c.std, c.ci95.0, c.ci95.1
            );
        }
        out.push('\n');
    }
    out.push('\n');
    let failed: Vec<&StoredRun> = executed.failed().collect();
    if !failed.is_empty() {
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
                    reason.replace('|', "/")
                );
            }
        }
        out.push('\n');
    }
    if let Some(axis) = sweep.plot {
        let stem = plot_stem(axis);
        let _ = writeln!(
            out,
            "## Plot\n\n![final test error against {axis}]({stem}.png)\n\n*Final test {}error against {axis}, mean ± std over seeds* ([SVG]({stem}.svg))\n",
            if sweep.images() {
                "classification "
            } else {
                ""
            }
        );
    }
    out
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
fn plot_final_error(
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

/// `--dry-run`: the run list and an estimate of its CPU time.
pub struct DryRun {
    /// `(cell, spec)` in run-list order.
    pub runs: Vec<(usize, RunSpec)>,
    /// Estimated CPU seconds of all runs (sum over runs of epochs x measured seconds per epoch).
    pub cpu_seconds: f64,
    /// How the estimate was calibrated, one line.
    pub calibration: String,
}

/// Lists the sweep's runs and estimates their CPU time from a short calibration: a 1-epoch and
/// a 5-epoch run of each distinct (network, training-set size, optimizer), timed here.
pub fn dry_run(sweep: &Sweep) -> Result<DryRun, SweepError> {
    grid::configure_blas(1, 1);
    let runs = sweep.runs();
    let data = sweep.data.run_data();
    data.prepare(runs.iter().map(|(_, spec)| spec))
        .map_err(|e| SweepError::Data(data::explain(&e)))?;
    type Key = (String, usize, &'static str);
    let mut costs: Vec<(Key, (f64, f64))> = Vec::new();
    let mut cpu_seconds = 0.0;
    for (_, spec) in &runs {
        let key = (
            spec.arch.to_string(),
            spec.task.train_size(),
            spec.optimizer.name(),
        );
        let (fixed, per_epoch) = match costs.iter().find(|(k, _)| *k == key) {
            Some((_, c)) => *c,
            None => {
                let c = execute::calibrate(spec, &data).map_err(|e| match e {
                    execute::TrainError::Data(d) => SweepError::Data(data::explain(&d)),
                    execute::TrainError::Grid(g) => SweepError::Grid(g),
                })?;
                costs.push((key, c));
                c
            }
        };
        cpu_seconds += fixed + per_epoch * spec.epochs as f64;
    }
    let calibration = format!(
        "calibration (1- and 5-epoch runs, single-threaded): {}",
        costs
            .iter()
            .map(|((a, m, o), (fixed, per_epoch))| format!(
                "{a} M={m} {o}: {fixed:.3} s + {per_epoch:.4} s/epoch"
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
    Ok(DryRun {
        runs,
        cpu_seconds,
        calibration,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "seeds = 3\nepochs = 2\nbatch = 10\n[grid]\narch = [\"6-5-3\"]\ntrain_size = [40]\noptimizer = [\"sgd\", \"adam\"]\nlr_scale = [0.5, 1, 2]\n";

    #[test]
    fn a_sweep_summarizes_every_cell_and_resumes_without_training() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::new(dir.path(), false);
        let sweep = Sweep::parse(SPEC).unwrap();
        let first = run(&sweep, &out, Mode::Train(None), 2, false).unwrap();
        assert_eq!(first.tally.trained, 18);
        let report = first.report.unwrap();
        assert_eq!(report.cells.len(), 6);
        // Each cell's mean is the plain mean of its seeds' final test errors, read back from
        // the result files (the same numbers, bit for bit).
        let store = RunStore::open(dir.path()).unwrap();
        for s in &report.cells {
            let cell = &sweep.cells[s.cell];
            let finals: Vec<f64> = sweep
                .seeds
                .iter()
                .map(|&seed| match store.load(&sweep.spec(cell, seed)) {
                    crate::experiment::store::Loaded::Present(r) => r.result.last().test_error,
                    other => panic!("{other:?}"),
                })
                .collect();
            let mean = finals.iter().sum::<f64>() / finals.len() as f64;
            // Summing in the same order gives the same f64; allow 1 ulp-scale slack anyway.
            assert!((s.test.mean - mean).abs() <= 1e-12 * mean.abs(), "{s:?}");
            assert_eq!(s.test.n, 3);
        }
        let csv_text = std::fs::read_to_string(dir.path().join(CSV)).unwrap();
        assert_eq!(csv_text.lines().count(), 7);
        assert!(dir.path().join("final_error_vs_lr_scale.png").exists());
        // Again over the same directory: nothing is trained, the table is the same.
        let again = run(
            &sweep,
            &OutDir::new(dir.path(), true),
            Mode::Train(None),
            1,
            false,
        )
        .unwrap();
        assert_eq!(again.tally.trained, 0);
        assert_eq!(again.tally.present, 18);
        assert_eq!(
            std::fs::read_to_string(dir.path().join(CSV)).unwrap(),
            csv_text
        );
    }

    #[test]
    fn a_diverging_run_is_recorded_as_failed_and_the_sweep_goes_on() {
        // A learning rate 1e6 times the paper's drives the sigmoids' net inputs to overflow.
        let dir = tempfile::tempdir().unwrap();
        let spec = "seeds = 2\nepochs = 3\nbatch = 10\n[grid]\narch = [\"6-5-3\"]\ntrain_size = [40]\noptimizer = [\"sgd\"]\nlr_scale = [1, 1e40]\n";
        let sweep = Sweep::parse(spec).unwrap();
        let outcome = run(
            &sweep,
            &OutDir::new(dir.path(), false),
            Mode::Train(None),
            1,
            false,
        )
        .unwrap();
        let report = outcome.report.unwrap();
        assert_eq!(report.cells[0].failed, 0);
        assert_eq!(report.cells[1].failed, 2, "{}", report.markdown);
        assert!(report.markdown.contains("## Failed runs"));
        assert!(report.markdown.contains("diverged"));
    }
}
