//! The study's data files and plots: `trials.csv` (every trial run), `finals.csv` (every final
//! rerun), and per task the expected best validation error against budget and the learning-rate
//! sensitivity (every trial a dot), as PNG and SVG.

use super::TuneError;
use super::compare;
use super::report::{Study, error_name, stem, validation};
use super::space::Param;
use super::statistics::{expected_best, report_band};
use crate::report::csv::Table;
use crate::report::files::OutDir;
use crate::report::plot::{PlotSpec, Series, plot_points, plot_series};
use std::path::PathBuf;

/// The CSV of every trial run.
pub const TRIALS_CSV: &str = "trials.csv";
/// The CSV of every final rerun.
pub const FINALS_CSV: &str = "finals.csv";

/// Writes both CSVs.
pub fn write_csvs(study: &Study<'_>, out: &OutDir) -> Result<Vec<PathBuf>, TuneError> {
    Ok(vec![
        out.write(TRIALS_CSV, trials_csv(study).as_bytes())?,
        out.write(FINALS_CSV, finals_csv(study).as_bytes())?,
    ])
}

/// Writes task `t`'s two plots (PNG and SVG each).
pub fn plots(study: &Study<'_>, t: usize, out: &OutDir) -> Result<Vec<PathBuf>, TuneError> {
    let tune = study.tune;
    let task = &tune.tasks[t];
    let ks: Vec<f64> = (1..=tune.trials).map(|k| k as f64).collect();
    let curves: Vec<Series> = tune
        .spaces
        .iter()
        .enumerate()
        .map(|(o, space)| {
            let values = validation(&study.scores[t][o]);
            let (mean, sd): (Vec<f64>, Vec<f64>) = (1..=tune.trials)
                .map(|k| (expected_best(&values, k), report_band(&values, k).sd))
                .unzip();
            Series {
                label: space.tuned.name().into(),
                x: ks.clone(),
                mean,
                std: Some(sd),
            }
        })
        .collect();
    let spec = PlotSpec {
        title: format!(
            "{}: expected best validation {}",
            task.name(),
            error_name(task)
        ),
        x_label: "budget k (trials)".into(),
        y_label: format!(
            "expected best validation {} (± bootstrap std)",
            error_name(task)
        ),
        log_x: true,
        log_y: true,
        markers: true,
        ..PlotSpec::default()
    };
    let a = plot_series(&out.path(&stem("expected_best", task)), &spec, &curves)?;
    let dots: Vec<Series> = tune
        .spaces
        .iter()
        .enumerate()
        .map(|(o, space)| {
            let lr: Vec<f64> = (0..tune.trials)
                .map(|i| trial_value(study, t, o, i, Param::Lr))
                .collect();
            Series {
                label: space.tuned.name().into(),
                x: lr,
                mean: validation(&study.scores[t][o]),
                std: None,
            }
        })
        .collect();
    let spec = PlotSpec {
        title: format!(
            "{}: validation {} of every trial",
            task.name(),
            error_name(task)
        ),
        x_label: "initial learning rate".into(),
        y_label: format!("validation {}", error_name(task)),
        log_x: true,
        log_y: true,
        markers: true,
        ..PlotSpec::default()
    };
    let b = plot_points(&out.path(&stem("lr_sensitivity", task)), &spec, &dots)?;
    Ok(vec![a.png, a.svg, b.png, b.svg])
}

fn trial_value(study: &Study<'_>, t: usize, o: usize, index: usize, param: Param) -> f64 {
    study
        .trials
        .iter()
        .find(|r| r.task == t && r.optimizer == o && r.index == index)
        .and_then(|r| r.values.iter().find(|(p, _)| *p == param).map(|v| v.1))
        .unwrap_or(f64::NAN)
}

fn trials_csv(study: &Study<'_>) -> String {
    let mut header = vec!["task", "optimizer", "trial", "seed", "run_id"];
    header.extend(Param::ALL.iter().map(|p| p.key()));
    header.extend(["validation_error", "status"]);
    let mut table = Table::new(&header);
    for run in study.trials {
        let score = &study.scores[run.task][run.optimizer][run.index];
        let mut row = vec![
            study.tune.tasks[run.task].name(),
            study.tune.spaces[run.optimizer].tuned.name().to_string(),
            run.index.to_string(),
            run.seed.to_string(),
            run.spec.id(),
        ];
        for p in Param::ALL {
            let v = run.values.iter().find(|(q, _)| *q == p);
            row.push(v.map_or(String::new(), |(_, v)| v.to_string()));
        }
        row.push(score.validation.to_string());
        row.push(if score.failed { "failed" } else { "finished" }.into());
        table.row(&row);
    }
    table.finish()
}

fn finals_csv(study: &Study<'_>) -> String {
    let mut table = Table::new(&[
        "task",
        "optimizer",
        "budget",
        "trial",
        "seed",
        "run_id",
        "test_error",
    ]);
    for f in study.finals {
        let run = study.final_results[f.run];
        let e = compare::final_error(run);
        table.row(&[
            study.tune.tasks[f.task].name(),
            study.tune.spaces[f.optimizer].tuned.name().to_string(),
            study.tune.budgets[f.budget].to_string(),
            f.trial.to_string(),
            f.seed.to_string(),
            run.spec.id(),
            e.to_string(),
        ]);
    }
    table.finish()
}
