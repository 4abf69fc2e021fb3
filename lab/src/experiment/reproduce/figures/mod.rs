//! Each figure of the paper: its CSV data, its plots and the claims it checks; shared helpers.

mod fig1;
mod fig5;
mod toy;

pub use fig1::fig1;
pub use fig5::{MNIST_MISSING, MNIST_PAPER, fig5};
pub use toy::{fig2, fig3, fig4};

use super::ReproduceError;
use crate::experiment::RunResult;
use crate::report::files::OutDir;
use crate::report::plot::{PlotSpec, Series, plot_series};
use crate::report::stats::{self, Summary, Verdict};
use rbp_core::optim::OptimizerKind;
use std::fmt::Write as _;
use std::path::PathBuf;

/// One checked statement of the paper.
#[derive(Clone, Debug)]
pub struct Claim {
    /// Where the paper makes it, e.g. `Fig. 2a`.
    pub id: String,
    pub statement: String,
    /// The paper's number.
    pub paper: String,
    /// Our numbers (mean ± std, 95% CI, n), ready for a table cell.
    pub ours: String,
    /// R-BackProp's relative improvement (a fraction) where the claim compares two errors.
    pub improvement: Option<f64>,
    /// Seeds where R-BackProp was lower, out of how many.
    pub wins: Option<(usize, usize)>,
    pub verdict: Verdict,
    /// One sentence.
    pub why: String,
}

/// What a figure left: file names (relative to its directory), plots, claims, remarks.
#[derive(Clone, Debug, Default)]
pub struct FigureOutput {
    pub id: String,
    pub title: String,
    /// `(caption, stem)`: `stem.png` and `stem.svg` exist.
    pub plots: Vec<(String, String)>,
    pub claims: Vec<Claim>,
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
const TOY: [&str; 16] = [
    "fig2_curves.csv",
    "fig2_mean.csv",
    "fig2a.png",
    "fig2a.svg",
    "fig2b.png",
    "fig2b.svg",
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

pub(super) fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}
pub fn fig1_files() -> Vec<String> {
    owned(&FIG1)
}
/// The files of Figs. 2-4, written once per reading.
pub fn toy_files() -> Vec<String> {
    owned(&TOY)
}
pub fn fig5_files() -> Vec<String> {
    owned(&FIG5)
}

/// How a figure finds a run: `(M, optimizer, seed, (gamma0, lambda))`.
pub type Lookup<'a> = dyn Fn(usize, OptimizerKind, u64, (f64, f64)) -> &'a RunResult + 'a;

pub(super) fn plot(
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

pub(super) fn write(
    out: &OutDir,
    name: &str,
    text: &str,
    files: &mut Vec<PathBuf>,
) -> Result<(), ReproduceError> {
    files.push(out.write(name, text.as_bytes())?);
    Ok(())
}

/// `mean ± std (95% CI lo–hi, n = N)`.
pub fn fmt_summary(s: &Summary) -> String {
    format!(
        "{:.3e} ± {:.1e} (95% CI {:.3e} – {:.3e}, n = {})",
        s.mean, s.std, s.ci95.0, s.ci95.1, s.n
    )
}

/// The test-error curves of `runs` (same epochs), and their per-epoch mean and std.
pub(super) fn curves(runs: &[&RunResult]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let x: Vec<f64> = runs
        .first()
        .map(|r| r.records.iter().map(|e| e.epoch as f64).collect())
        .unwrap_or_default();
    let ys: Vec<Vec<f64>> = runs
        .iter()
        .map(|r| r.records.iter().map(|e| e.test_error).collect())
        .collect();
    let (mean, std) = stats::mean_std_curves(&ys)
        .unwrap_or_else(|_| (vec![f64::NAN; x.len()], vec![f64::NAN; x.len()]));
    (x, mean, std)
}

pub(super) fn series(label: &str, runs: &[&RunResult]) -> Series {
    let (x, mean, std) = curves(runs);
    Series {
        label: label.into(),
        x,
        mean,
        std: Some(std),
    }
}

/// Appends `label,epoch,mean,std,n` rows of `s`.
pub(super) fn mean_rows(csv: &mut String, label: &str, s: &Series, n: usize) {
    for (i, x) in s.x.iter().enumerate() {
        let std = s.std.as_ref().map_or(f64::NAN, |v| v[i]);
        let _ = writeln!(csv, "{label},{x},{},{std},{n}", s.mean[i]);
    }
}

pub(super) fn finals(runs: &[&RunResult]) -> Vec<f64> {
    runs.iter().map(|r| r.last().test_error).collect()
}

/// A claim "R-BackProp's final test error is `claimed` lower than `other`'s".
pub(super) fn improvement_claim(
    id: &str,
    rbp: &[f64],
    other: &[f64],
    other_name: &str,
    claimed: f64,
    epoch: usize,
) -> Claim {
    let (a, b) = (stats::summarize(rbp), stats::summarize(other));
    let wins = stats::paired(rbp, other).map(|p| (p.wins, p.n)).ok();
    let (verdict, why) = stats::verdict(rbp, other, claimed)
        .unwrap_or((Verdict::DoesNotHold, "no runs to compare".into()));
    Claim {
        id: id.into(),
        statement: format!(
            "R-BackProp improves the test error of {other_name} at epoch {epoch} by {:.1}%",
            100.0 * claimed
        ),
        paper: format!("{:.1}%", 100.0 * claimed),
        ours: format!(
            "R-BackProp {}<br>{other_name} {}",
            fmt_summary(&a),
            fmt_summary(&b)
        ),
        improvement: Some(stats::relative_improvement(a.mean, b.mean)),
        wins,
        verdict,
        why: why
            .replace("A ", "R-BackProp ")
            .replace(" B ", &format!(" {other_name} ")),
    }
}
