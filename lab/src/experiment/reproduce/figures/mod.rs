//! Each figure of the paper in two steps: a pure `measure` (the figure's runs -> a plain struct of
//! curves, points and claim findings; no I/O) and a `write` (that struct -> CSV files, plots and the
//! [`FigureOutput`] the report shows). Helpers shared by the figures live here.

pub mod fig1;
pub mod fig2;
pub mod fig3;
pub mod fig4;
pub mod fig5;
pub mod shape;

pub use fig1::{Fig1, fig1};
pub use fig2::{Fig2, fig2};
pub use fig3::{Fig3, fig3};
pub use fig4::{Fig4, fig4};
pub use fig5::{Fig5, MNIST_MISSING, fig5};

use super::ReproduceError;
use crate::experiment::RunResult;
use crate::paper::judge::Finding;
use crate::report::csv::Table;
use crate::report::files::OutDir;
use crate::report::format::{self, Num};
use crate::report::plot::{PlotSpec, Series, plot_series};
use crate::stats;
use rbp_core::optim::OptimizerKind;
use rbp_core::train::EpochRecord;
use std::path::PathBuf;

/// What a figure left: file names (relative to its directory), plots, claims, remarks.
#[derive(Clone, Debug, Default)]
pub struct FigureOutput {
    pub id: String,
    pub title: String,
    /// `(caption, stem)`: `stem.png` and `stem.svg` exist.
    pub plots: Vec<(String, String)>,
    /// Measurements for the paper's claims, judged per reading by [`crate::paper::judge_reading`].
    pub findings: Vec<Finding>,
    /// Markdown paragraphs or tables for the report.
    pub notes: Vec<String>,
}

pub(super) const FIG1: [&str; 5] = [
    "fig1_probability.csv",
    "fig1_probability.png",
    "fig1_probability.svg",
    "fig1_gamma.png",
    "fig1_gamma.svg",
];
const TOY: [&str; 20] = [
    "fig2_curves.csv",
    "fig2_mean.csv",
    "fig2a.png",
    "fig2a.svg",
    "fig2b.png",
    "fig2b.svg",
    "fig2a_train.png",
    "fig2a_train.svg",
    "fig2b_train.png",
    "fig2b_train.svg",
    "fig3_curves.csv",
    "fig3_mean.csv",
    "fig3.png",
    "fig3.svg",
    "fig3_late.png",
    "fig3_late.svg",
    "fig4_final.csv",
    "fig4_mean.csv",
    "fig4.png",
    "fig4.svg",
];
const FIG5: [&str; 4] = ["fig5_curves.csv", "fig5_mean.csv", "fig5.png", "fig5.svg"];

/// `names` as owned strings.
pub(super) fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}
/// The files of Fig. 1, written once at the top of the output directory.
pub fn fig1_files() -> Vec<String> {
    owned(&FIG1)
}
/// The files of Figs. 2-4, written once per reading.
pub fn toy_files() -> Vec<String> {
    owned(&TOY)
}
/// The files of Fig. 5, written once per reading when MNIST is found.
pub fn fig5_files() -> Vec<String> {
    owned(&FIG5)
}

/// How a figure finds a run: `(M, optimizer, seed, (gamma0, lambda))`.
pub type Lookup<'a> = dyn Fn(usize, OptimizerKind, u64, (f64, f64)) -> &'a RunResult + 'a;

/// Runs `0..seeds` of `kind` at training-set size `m` and `(gamma0, lambda) = point`, in seed
/// order.
pub(super) fn seed_runs<'a>(
    get: &Lookup<'a>,
    seeds: u64,
    m: usize,
    kind: OptimizerKind,
    point: (f64, f64),
) -> Vec<&'a RunResult> {
    (0..seeds).map(|s| get(m, kind, s, point)).collect()
}

/// Draws `series` to `stem.png` and `stem.svg` in `out` and records both paths in `files`.
pub(super) fn save_plot(
    out: &OutDir,
    stem: &str,
    spec: &PlotSpec,
    series: &[Series],
    files: &mut Vec<PathBuf>,
) -> Result<(), ReproduceError> {
    let written = plot_series(&out.path(stem), spec, series)?;
    files.push(written.png);
    files.push(written.svg);
    Ok(())
}

/// Writes `text` to `name` in `out` and records its path in `files`.
pub(super) fn save_text(
    out: &OutDir,
    name: &str,
    text: &str,
    files: &mut Vec<PathBuf>,
) -> Result<(), ReproduceError> {
    files.push(out.write(name, text.as_bytes())?);
    Ok(())
}

/// How the figures' notes and claim cells write errors: `1.234e-2`.
pub(super) const ERROR: Num = Num::Sci(3);

/// The per-epoch mean ± std test-error curve of `runs` (see [`series_of`]).
pub(super) fn series(label: &str, runs: &[&RunResult]) -> Series {
    series_of(label, runs, |e| e.test_error)
}

/// The per-epoch mean ± std curve of `error` over `runs` (same epochs), for a plot; NaN where
/// the runs' curves differ in length.
pub(super) fn series_of(
    label: &str,
    runs: &[&RunResult],
    error: fn(&EpochRecord) -> f64,
) -> Series {
    let x: Vec<f64> = runs
        .first()
        .map(|r| r.records.iter().map(|e| e.epoch as f64).collect())
        .unwrap_or_default();
    let ys: Vec<Vec<f64>> = runs
        .iter()
        .map(|r| r.records.iter().map(error).collect())
        .collect();
    let nan = vec![f64::NAN; x.len()];
    Series::mean_of(label, x.clone(), &ys).unwrap_or(Series {
        label: label.into(),
        x,
        mean: nan.clone(),
        std: Some(nan),
    })
}

/// Appends rows `lead..., epoch, mean, std, n` of `s`, then `mean, std` of `extra` when given (a
/// second error on the same epochs).
pub(super) fn mean_rows(
    csv: &mut Table,
    lead: &[&dyn std::fmt::Display],
    s: &Series,
    extra: Option<&Series>,
    n: usize,
) {
    let std_at = |s: &Series, i: usize| s.std.as_ref().map_or(f64::NAN, |v| v[i]);
    for (i, x) in s.x.iter().enumerate() {
        let mut row: Vec<String> = lead.iter().map(|f| f.to_string()).collect();
        row.extend([x, &s.mean[i], &std_at(s, i)].map(|v| v.to_string()));
        row.push(n.to_string());
        if let Some(e) = extra {
            row.extend([e.mean[i], std_at(e, i)].map(|v| v.to_string()));
        }
        csv.row(&row);
    }
}

/// Final test errors of `runs`.
pub(super) fn finals(runs: &[&RunResult]) -> Vec<f64> {
    runs.iter().map(|r| r.last().test_error).collect()
}

/// Final training errors of `runs`.
pub(super) fn train_finals(runs: &[&RunResult]) -> Vec<f64> {
    runs.iter().map(|r| r.last().train_error).collect()
}

/// `R-BackProp mean ± std (…)<br>other mean ± std (…)`: a claim's "ours" cell.
pub(super) fn two_summaries(a_name: &str, a: &[f64], b_name: &str, b: &[f64]) -> String {
    format!(
        "{a_name} {}<br>{b_name} {}",
        format::summary(&stats::summarize(a), ERROR),
        format::summary(&stats::summarize(b), ERROR)
    )
}

/// The y-axis label of the toy figures: which error is plotted.
pub const TOY_ERROR_AXIS: &str = "E = ½|y* − y|², mean over examples";
