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

/// Fig. 5: MNIST test classification error, when `mnist` has results.
pub fn fig5(
    mnist: Option<&MnistResults>,
    out: &OutDir,
    files: &mut Vec<PathBuf>,
) -> Result<FigureOutput, ReproduceError> {
    let mut output = FigureOutput {
        id: "Fig. 5".into(),
        title: "MNIST".into(),
        ..FigureOutput::default()
    };
    let Some(mnist) = mnist.filter(|m| !m.runs.is_empty()) else {
        output.notes.push(MNIST_MISSING.into());
        output.findings = ["fig5-backprop", "fig5-adam-similar"]
            .map(|id| Finding::new(id, Evidence::Missing("MNIST not found".into()), ""))
            .to_vec();
        return Ok(output);
    };
    output.notes.push(mnist.description.clone());
    let class = |r: &RunResult| -> Vec<f64> {
        r.records
            .iter()
            .map(|e| e.test_class_error.unwrap_or(f64::NAN))
            .collect()
    };
    save_text(
        out,
        "fig5_curves.csv",
        &files::curves_csv(&mnist.runs, true),
        files,
    )?;
    let mut csv = Table::new(&[
        "optimizer",
        "epoch",
        "mean_test_class_error",
        "std_test_class_error",
        "n",
    ]);
    let mut all_series = Vec::new();
    let mut finals: Vec<(OptimizerKind, Vec<f64>)> = Vec::new();
    for kind in OptimizerKind::PAPER {
        let runs: Vec<&RunResult> = mnist.runs.iter().filter(|r| r.optimizer == kind).collect();
        if runs.is_empty() {
            continue;
        }
        let ys: Vec<Vec<f64>> = runs.iter().map(|r| class(r)).collect();
        let x: Vec<f64> = runs[0].records.iter().map(|e| e.epoch as f64).collect();
        let Some(s) = Series::mean_of(kind.paper_name(), x, &ys) else {
            continue;
        };
        mean_rows(&mut csv, &[&kind], &s, None, runs.len());
        all_series.push(s);
        finals.push((
            kind,
            ys.iter().map(|y| *y.last().unwrap_or(&f64::NAN)).collect(),
        ));
    }
    save_text(out, "fig5_mean.csv", &csv.finish(), files)?;
    save_plot(
        out,
        "fig5",
        &PlotSpec {
            title: "Fig. 5: MNIST test classification error".into(),
            x_label: "epoch".into(),
            y_label: "test classification error (share of test images misclassified)".into(),
            log_y: true,
            ..PlotSpec::default()
        },
        &all_series,
        files,
    )?;
    output.plots.push((
        "Test classification error, mean ± 1 std over seeds".into(),
        "fig5".into(),
    ));
    let get = |k: OptimizerKind| {
        finals
            .iter()
            .find(|(kk, _)| *kk == k)
            .map(|(_, v)| v.clone())
    };
    let mut table =
        String::from("| optimizer | paper | ours: mean ± std (95% CI, n) |\n|---|---|---|\n");
    for v in paper::FIG5_CLASS_ERROR {
        let ours = get(v.optimizer).map_or("not run".into(), |f| {
            format::summary(&stats::summarize(&f), ERROR)
        });
        let _ = writeln!(
            table,
            "| {} | {} | {ours} |",
            v.optimizer.paper_name(),
            mean_std(v.mean, v.std, Num::Fixed(4))
        );
    }
    output.notes.push(table);
    let rbp = get(OptimizerKind::Rbp).unwrap_or_default();
    for (id, kind, name, scale) in [
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
    ] {
        let other = get(kind).unwrap_or_default();
        let finding = if rbp.is_empty() || other.len() != rbp.len() {
            Finding::new(
                id,
                Evidence::Missing(format!("no paired R-BackProp and {name} runs")),
                "",
            )
        } else {
            Finding::new(
                id,
                Evidence::Paired {
                    a: rbp.clone(),
                    b: other.clone(),
                    scale,
                },
                two_summaries("R-BackProp", &rbp, name, &other),
            )
        };
        output.findings.push(finding);
    }
    Ok(output)
}
