//! Fig. 5: MNIST, from its runs (trained through the run store as `rbp mnist` trains them), or a
//! note that the data was not found.

use super::{ERROR, FigureOutput, mean_rows, save_plot, save_text, two_summaries};
use crate::experiment::RunResult;
use crate::experiment::reproduce::{MnistResults, ReproduceError};
use crate::paper::{self, Evidence, Scale, judge::Finding};
use crate::report::csv::Table;
use crate::report::files::{self, OutDir};
use crate::report::format::{self, Num, mean_std};
use crate::report::plot::{PlotSpec, Series};
use crate::stats;
use rbp_core::optim::OptimizerKind;
use std::fmt::Write as _;
use std::path::PathBuf;

/// The sentence the report shows when Fig. 5 could not run.
pub const MNIST_MISSING: &str = "MNIST data not found: Fig. 5 skipped (give `--data-dir DIR` with \
     the MNIST files, or only the two t10k files for `--pool test`; they are never downloaded here)";

/// Fig. 5: MNIST test classification error, when `mnist` has results; measured, then written to
/// `out`.
pub fn fig5(
    mnist: Option<&MnistResults>,
    out: &OutDir,
    files: &mut Vec<PathBuf>,
) -> Result<FigureOutput, ReproduceError> {
    Fig5::measure(mnist).write(out, files)
}

/// What Fig. 5 shows and claims.
#[derive(Clone, Debug)]
pub struct Fig5 {
    /// `None` when MNIST was not found (or gave no runs): then no file is written.
    pub mnist: Option<Measured>,
    /// `fig5-backprop` and `fig5-adam-similar`.
    pub findings: Vec<Finding>,
}

/// Fig. 5's measurements when MNIST ran.
#[derive(Clone, Debug)]
pub struct Measured {
    /// How the runs were obtained (data, epochs, seeds).
    pub description: String,
    /// Every run, as [`MnistResults`] holds them.
    pub runs: Vec<RunResult>,
    /// The optimizers that ran, in the paper's order.
    pub curves: Vec<ClassCurve>,
}

/// One optimizer's test classification error over its seeds.
#[derive(Clone, Debug)]
pub struct ClassCurve {
    pub kind: OptimizerKind,
    /// Mean ± std per epoch.
    pub curve: Series,
    /// Seeds averaged.
    pub n: usize,
    /// The final error of each seed.
    pub finals: Vec<f64>,
}

impl Fig5 {
    /// The curves and claims of `mnist`'s runs, or claims marked missing without them.
    pub fn measure(mnist: Option<&MnistResults>) -> Fig5 {
        let Some(mnist) = mnist.filter(|m| !m.runs.is_empty()) else {
            return Fig5 {
                mnist: None,
                findings: ["fig5-backprop", "fig5-adam-similar"]
                    .map(|id| Finding::new(id, Evidence::Missing("MNIST not found".into()), ""))
                    .to_vec(),
            };
        };
        let measured = Measured {
            description: mnist.description.clone(),
            runs: mnist.runs.clone(),
            curves: OptimizerKind::PAPER
                .into_iter()
                .filter_map(|kind| ClassCurve::of(kind, &mnist.runs))
                .collect(),
        };
        Fig5 {
            findings: findings(&measured),
            mnist: Some(measured),
        }
    }

    /// Writes `fig5_curves.csv`, `fig5_mean.csv` and the plot when MNIST ran; returns the
    /// report's section (the reason it is empty otherwise).
    pub fn write(
        &self,
        out: &OutDir,
        files: &mut Vec<PathBuf>,
    ) -> Result<FigureOutput, ReproduceError> {
        let mut output = FigureOutput {
            id: "Fig. 5".into(),
            title: "MNIST".into(),
            findings: self.findings.clone(),
            ..FigureOutput::default()
        };
        let Some(mnist) = &self.mnist else {
            output.notes.push(MNIST_MISSING.into());
            return Ok(output);
        };
        let curves = files::curves_csv(&mnist.runs, true);
        save_text(out, "fig5_curves.csv", &curves, files)?;
        save_text(out, "fig5_mean.csv", &mnist.mean_csv(), files)?;
        let spec = PlotSpec {
            title: "Fig. 5: MNIST test classification error".into(),
            x_label: "epoch".into(),
            y_label: "test classification error (share of test images misclassified)".into(),
            log_y: true,
            ..PlotSpec::default()
        };
        let series: Vec<Series> = mnist.curves.iter().map(|c| c.curve.clone()).collect();
        save_plot(out, "fig5", &spec, &series, files)?;
        output.plots.push((
            "Test classification error, mean ± 1 std over seeds".into(),
            "fig5".into(),
        ));
        output.notes = vec![mnist.description.clone(), mnist.table()];
        Ok(output)
    }
}

impl ClassCurve {
    /// `kind`'s curve among `runs`, if it ran and its runs' curves can be averaged.
    fn of(kind: OptimizerKind, runs: &[RunResult]) -> Option<ClassCurve> {
        let runs: Vec<&RunResult> = runs.iter().filter(|r| r.optimizer == kind).collect();
        let first = runs.first()?;
        let ys: Vec<Vec<f64>> = runs.iter().map(|r| class_errors(r)).collect();
        let x: Vec<f64> = first.records.iter().map(|e| e.epoch as f64).collect();
        Some(ClassCurve {
            kind,
            curve: Series::mean_of(kind.paper_name(), x, &ys)?,
            n: runs.len(),
            finals: ys.iter().map(|y| *y.last().unwrap_or(&f64::NAN)).collect(),
        })
    }
}

impl Measured {
    /// The final errors of `kind`, if it ran.
    fn finals(&self, kind: OptimizerKind) -> Option<&[f64]> {
        self.curves
            .iter()
            .find(|c| c.kind == kind)
            .map(|c| c.finals.as_slice())
    }

    /// `fig5_mean.csv`: per optimizer and epoch, mean and std of the test classification error.
    fn mean_csv(&self) -> String {
        let mut csv = Table::new(&[
            "optimizer",
            "epoch",
            "mean_test_class_error",
            "std_test_class_error",
            "n",
        ]);
        for c in &self.curves {
            mean_rows(&mut csv, &[&c.kind], &c.curve, None, c.n);
        }
        csv.finish()
    }

    /// The markdown table of the paper's final errors beside ours.
    fn table(&self) -> String {
        let mut table =
            String::from("| optimizer | paper | ours: mean ± std (95% CI, n) |\n|---|---|---|\n");
        for v in paper::FIG5_CLASS_ERROR {
            let ours = self.finals(v.optimizer).map_or("not run".into(), |f| {
                format::summary(&stats::summarize(f), ERROR)
            });
            let _ = writeln!(
                table,
                "| {} | {} | {ours} |",
                v.optimizer.paper_name(),
                mean_std(v.mean, v.std, Num::Fixed(4))
            );
        }
        table
    }
}

/// A run's test classification error at each epoch (NaN where it was not measured).
fn class_errors(r: &RunResult) -> Vec<f64> {
    r.records
        .iter()
        .map(|e| e.test_class_error.unwrap_or(f64::NAN))
        .collect()
}

/// Fig. 5's claims: R-BackProp's final errors against BackProp's (relative) and Adam's
/// (absolute), paired by seed.
fn findings(mnist: &Measured) -> Vec<Finding> {
    let rbp = mnist.finals(OptimizerKind::Rbp).unwrap_or_default();
    [
        (
            "fig5-backprop",
            OptimizerKind::Sgd,
            "BackProp",
            Scale::Relative,
        ),
        (
            "fig5-adam-similar",
            OptimizerKind::Adam,
            "Adam",
            Scale::Absolute,
        ),
    ]
    .map(|(id, kind, name, scale)| {
        let other = mnist.finals(kind).unwrap_or_default();
        if rbp.is_empty() || other.len() != rbp.len() {
            let why = format!("no paired R-BackProp and {name} runs");
            return Finding::new(id, Evidence::Missing(why), "");
        }
        let evidence = Evidence::Paired {
            a: rbp.to_vec(),
            b: other.to_vec(),
            scale,
        };
        Finding::new(id, evidence, two_summaries("R-BackProp", rbp, name, other))
    })
    .to_vec()
}
