//! The landscape study's summary: a table of mean ± std over seeds per optimizer, rank
//! correlations between flatness and test error across runs, per-solution CSV/JSON, and plots.

use super::{DivergedRun, LandscapeConfig, Moment, Solution};
use crate::report::csv::Table;
use crate::report::files::{OutDir, OutputError};
use crate::report::format::{Num, ci95, mean_std};
use crate::report::plot::{self, PlotError, PlotSpec, Series};
use crate::stats::{RankCorrelation, mean, rank_correlation, summarize};
use rbp_core::curvature::spectrum::{Quadrature, density_on_grid};
use rbp_core::optim::OptimizerKind;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;

/// The solutions of `moment`, in order.
fn at(solutions: &[Solution], moment: Moment) -> Vec<&Solution> {
    solutions
        .iter()
        .filter(|s| s.moments.contains(&moment))
        .collect()
}

/// `mean ± std` of `xs`, both in [`Num::Short`].
fn short_mean_std(xs: &[f64]) -> String {
    let s = summarize(xs);
    mean_std(s.mean, s.std, Num::Short)
}

/// The correlations of one moment's solutions with their test error, across every run.
#[derive(Clone, Debug, Serialize)]
pub struct Correlations {
    /// The moment.
    pub moment: String,
    /// Sharpness against test error.
    pub sharpness: Option<RankCorrelation>,
    /// `lambda_max` against test error.
    pub lambda_max: Option<RankCorrelation>,
    /// Trace against test error.
    pub trace: Option<RankCorrelation>,
}

/// The correlations of `moment`'s solutions.
pub fn correlations(solutions: &[Solution], moment: Moment) -> Correlations {
    let sols = at(solutions, moment);
    let err: Vec<f64> = sols.iter().map(|s| s.test_error()).collect();
    let of = |f: &dyn Fn(&Solution) -> f64| {
        let xs: Vec<f64> = sols.iter().map(|s| f(s)).collect();
        rank_correlation(&xs, &err)
    };
    Correlations {
        moment: moment.to_string(),
        sharpness: of(&|s| s.measures.sharpness),
        lambda_max: of(&|s| s.measures.lambda_max()),
        trace: of(&|s| s.measures.trace.mean),
    }
}

/// The summary table, one block per moment: mean ± std over seeds per optimizer, then the rank
/// correlations across all runs of the moment.
pub fn table(config: &LandscapeConfig, solutions: &[Solution]) -> String {
    let mut out = String::new();
    for &moment in &config.moments {
        let sols = at(solutions, moment);
        let _ = writeln!(
            out,
            "\nSolutions at the {moment} epoch (mean ± std over seeds; trace by Hutchinson, \
             {} probes; sharpness: Keskar et al., epsilon = {}, in %)",
            config.probe.trace_probes, config.probe.epsilon
        );
        let _ = writeln!(
            out,
            "| optimizer | n | epoch | lambda_max | trace | eps-sharpness | train loss | test error | probe s |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
        for &kind in &config.settings.optimizers {
            let mine: Vec<&&Solution> = sols.iter().filter(|s| s.optimizer == kind).collect();
            if mine.is_empty() {
                continue;
            }
            let col = |f: &dyn Fn(&Solution) -> f64| {
                short_mean_std(&mine.iter().map(|s| f(s)).collect::<Vec<_>>())
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                kind.name(),
                mine.len(),
                col(&|s| s.record.epoch as f64),
                col(&|s| s.measures.lambda_max()),
                col(&|s| s.measures.trace.mean),
                col(&|s| s.measures.sharpness),
                col(&|s| s.measures.train_loss),
                col(&|s| s.test_error()),
                Num::Fixed(2).show(mean(
                    &mine.iter().map(|s| s.measures.seconds).collect::<Vec<_>>()
                )),
            );
        }
        let c = correlations(solutions, moment);
        for (name, r) in [
            ("eps-sharpness", c.sharpness),
            ("lambda_max", c.lambda_max),
            ("trace", c.trace),
        ] {
            let _ = match r {
                Some(r) => writeln!(
                    out,
                    "Spearman rank correlation of {name} with test error across {} runs: \
                     {} ({}, Fisher z)",
                    r.n,
                    Num::Fixed(3).show(r.rho),
                    ci95(r.ci95, Num::Fixed(3))
                ),
                None => writeln!(out, "Spearman rank correlation of {name}: undefined"),
            };
        }
    }
    out
}

/// Names of the files [`save`] writes (the plots add `.png` and `.svg`).
pub fn file_names(config: &LandscapeConfig) -> Vec<String> {
    let mut names = vec![
        "landscape.json".to_string(),
        "landscape.csv".to_string(),
        "slices.csv".to_string(),
        "density.csv".to_string(),
        "landscape.md".to_string(),
    ];
    for m in &config.moments {
        for stem in ["density", "slices", "lambda-max-vs-test-error"] {
            for ext in ["png", "svg"] {
                names.push(format!("{stem}-{m}.{ext}"));
            }
        }
    }
    names
}

/// Why results could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// A file could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A plot could not be drawn.
    #[error(transparent)]
    Plot(#[from] PlotError),
}

#[derive(Serialize)]
struct StudyFile<'a> {
    config: &'a LandscapeConfig,
    task: &'a serde_json::Value,
    gemm_backend: String,
    seconds: f64,
    correlations: Vec<Correlations>,
    solutions: &'a [Solution],
    #[serde(skip_serializing_if = "<[DivergedRun]>::is_empty")]
    diverged: &'a [DivergedRun],
}

/// What a study leaves to save: its task, solutions, diverged runs and wall time.
pub struct Study<'a> {
    pub task: &'a serde_json::Value,
    pub solutions: &'a [Solution],
    pub diverged: &'a [DivergedRun],
    pub seconds: f64,
}

/// One line per diverged run (nothing when none did): they are left out of every table.
pub fn diverged_lines(diverged: &[DivergedRun]) -> String {
    diverged
        .iter()
        .map(|d| {
            format!(
                "{} seed {} diverged (a non-finite error at epoch {}): not probed\n",
                d.optimizer, d.seed, d.epoch
            )
        })
        .collect()
}

/// Points of the density grid.
const DENSITY_POINTS: usize = 400;

/// The shared grid of a moment's densities, and the Gaussian width: the span of every Ritz value,
/// padded by 5%, and a width of 1% of it.
fn density_grid(sols: &[&Solution]) -> (Vec<f64>, f64) {
    let nodes = sols
        .iter()
        .flat_map(|s| s.measures.density.iter().flat_map(|d| d.nodes.iter()))
        .copied()
        .filter(|x| x.is_finite());
    let (lo, hi) = nodes.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), x| {
        (l.min(x), h.max(x))
    });
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (lo, hi) = (lo - 0.05 * span, hi + 0.05 * span);
    let grid = (0..DENSITY_POINTS)
        .map(|i| lo + (hi - lo) * i as f64 / (DENSITY_POINTS - 1) as f64)
        .collect();
    (grid, 0.01 * span)
}

fn density_of(s: &Solution, grid: &[f64], sigma: f64) -> Vec<f64> {
    let quads: Vec<Quadrature> = s
        .measures
        .density
        .iter()
        .map(|d| Quadrature {
            nodes: d.nodes.clone(),
            weights: d.weights.clone(),
        })
        .collect();
    density_on_grid(&quads, grid, sigma)
}

/// Writes the JSON of every solution, the per-solution CSV, the slices and densities as CSV,
/// the table, and the plots. `task` names the data (toy or MNIST settings).
pub fn save(
    out: &OutDir,
    config: &LandscapeConfig,
    study: &Study<'_>,
) -> Result<Vec<PathBuf>, SaveError> {
    let solutions = study.solutions;
    let mut written = Vec::new();
    let study = StudyFile {
        config,
        task: study.task,
        gemm_backend: rbp_core::gemm::backend_name(),
        seconds: study.seconds,
        diverged: study.diverged,
        correlations: config
            .moments
            .iter()
            .map(|&m| correlations(solutions, m))
            .collect(),
        solutions,
    };
    let json = serde_json::to_string_pretty(&study).expect("the study serializes");
    written.push(out.write("landscape.json", json.as_bytes())?);
    written.push(out.write("landscape.csv", solutions_csv(config, solutions).as_bytes())?);
    written.push(out.write("slices.csv", slices_csv(solutions).as_bytes())?);
    let mut density_csv =
        Table::new(&["moment", "optimizer", "seed", "epoch", "lambda", "density"]);
    for &moment in &config.moments {
        let sols = at(solutions, moment);
        let (grid, sigma) = density_grid(&sols);
        for s in &sols {
            for (t, d) in grid.iter().zip(density_of(s, &grid, sigma)) {
                density_csv.row_of(&[&moment, &s.optimizer, &s.seed, &s.record.epoch, t, &d]);
            }
        }
        written.extend(plots(out, config, moment, &sols, &grid, sigma)?);
    }
    written.push(out.write("density.csv", density_csv.finish().as_bytes())?);
    written.push(out.write("landscape.md", table(config, solutions).as_bytes())?);
    Ok(written)
}

fn solutions_csv(config: &LandscapeConfig, solutions: &[Solution]) -> String {
    let k = config.probe.top_k;
    let mut header: Vec<String> = [
        "optimizer",
        "seed",
        "moments",
        "epoch",
        "train_loss",
        "test_error",
        "test_class_error",
        "final_test_error",
    ]
    .map(String::from)
    .to_vec();
    for i in 1..=k {
        header.extend([format!("lambda_{i}"), format!("residual_{i}")]);
    }
    header.extend(
        [
            "trace",
            "trace_se",
            "trace_probes",
            "slq_trace",
            "slq_trace_se",
            "sharpness",
            "sharpness_max_loss",
            "hvp_products",
            "probe_seconds",
        ]
        .map(String::from),
    );
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut csv = Table::new(&header);
    for s in solutions {
        let m = &s.measures;
        let moments: Vec<String> = s.moments.iter().map(Moment::to_string).collect();
        let mut row: Vec<String> = vec![
            s.optimizer.to_string(),
            s.seed.to_string(),
            moments.join("+"),
            s.record.epoch.to_string(),
            m.train_loss.to_string(),
            s.record.test_error.to_string(),
            s.record
                .test_class_error
                .map_or(String::new(), |e| e.to_string()),
            s.final_record.test_error.to_string(),
        ];
        for i in 0..k {
            match m.top_eigenvalues.get(i) {
                Some(e) => row.extend([e.value.to_string(), e.residual.to_string()]),
                None => row.extend([String::new(), String::new()]),
            }
        }
        row.extend([
            m.trace.mean.to_string(),
            m.trace.std_error.to_string(),
            m.trace.probes.to_string(),
            m.density_trace.mean.to_string(),
            m.density_trace.std_error.to_string(),
            m.sharpness.to_string(),
            m.sharpness_max_loss.to_string(),
            m.products.to_string(),
            Num::Fixed(4).show(m.seconds),
        ]);
        csv.row(&row);
    }
    csv.finish()
}

fn slices_csv(solutions: &[Solution]) -> String {
    let mut csv = Table::new(&[
        "optimizer",
        "seed",
        "epoch",
        "alpha",
        "train_loss",
        "test_loss",
    ]);
    for s in solutions {
        let sl = &s.measures.slice;
        for i in 0..sl.alpha.len() {
            csv.row_of(&[
                &s.optimizer,
                &s.seed,
                &s.record.epoch,
                &sl.alpha[i],
                &sl.train_loss[i],
                &sl.test_loss[i],
            ]);
        }
    }
    csv.finish()
}

/// The per-optimizer mean ± std over seeds of `curve(solution)`.
fn mean_series(
    kinds: &[OptimizerKind],
    sols: &[&Solution],
    x: &[f64],
    curve: &dyn Fn(&Solution) -> Vec<f64>,
) -> Vec<Series> {
    kinds
        .iter()
        .filter_map(|&kind| {
            let curves: Vec<Vec<f64>> = sols
                .iter()
                .filter(|s| s.optimizer == kind)
                .map(|s| curve(s))
                .collect();
            Series::mean_of(kind.name(), x.to_vec(), &curves)
        })
        .collect()
}

/// A moment's three plots: the spectral density, the loss slices, and `lambda_max` against test
/// error (the flatness-generalization question in one picture).
fn plots(
    out: &OutDir,
    config: &LandscapeConfig,
    moment: Moment,
    sols: &[&Solution],
    grid: &[f64],
    sigma: f64,
) -> Result<Vec<PathBuf>, SaveError> {
    let kinds = &config.settings.optimizers;
    let mut written = Vec::new();
    let files = density_plot(out, kinds, moment, sols, grid, sigma)?;
    written.extend([files.png, files.svg]);
    let files = slices_plot(out, kinds, moment, sols)?;
    written.extend([files.png, files.svg]);
    let files = lambda_max_scatter(out, kinds, moment, sols)?;
    written.extend([files.png, files.svg]);
    Ok(written)
}

/// The path of plot `stem`, refused when something of that name exists and `out` may not
/// replace files, as [`OutDir::write`] does. It tests the stem itself, not the `.png` and `.svg`
/// drawn from it.
fn plot_path(out: &OutDir, stem: &str) -> Result<PathBuf, OutputError> {
    let path = out.path(stem);
    if !out.overwrite && path.exists() {
        return Err(OutputError::Exists(path));
    }
    Ok(path)
}

/// Spectral density: mean over seeds, floored so the log axis shows the bulk and the outliers.
/// No band: a ±std band on a log axis dips to the floor wherever seeds disagree.
fn density_plot(
    out: &OutDir,
    kinds: &[OptimizerKind],
    moment: Moment,
    sols: &[&Solution],
    grid: &[f64],
    sigma: f64,
) -> Result<plot::PlotFiles, SaveError> {
    let mut density = mean_series(kinds, sols, grid, &|s| {
        density_of(s, grid, sigma)
            .into_iter()
            .map(|d| d.max(1e-7))
            .collect()
    });
    density.iter_mut().for_each(|s| s.std = None);
    Ok(plot::plot_series(
        &plot_path(out, &format!("density-{moment}"))?,
        &PlotSpec {
            title: format!("Hessian spectral density (SLQ), {moment} epoch, mean over seeds"),
            x_label: "eigenvalue".into(),
            y_label: "density".into(),
            log_y: true,
            ..PlotSpec::default()
        },
        &density,
    )?)
}

/// The training loss along one filter-normalized direction (Li et al. 2018), mean ± std over
/// seeds: how wide the basin looks, which a flatness number alone does not show. The x axis is
/// the first run's `alpha`: every run is sliced at the same steps.
fn slices_plot(
    out: &OutDir,
    kinds: &[OptimizerKind],
    moment: Moment,
    sols: &[&Solution],
) -> Result<plot::PlotFiles, SaveError> {
    let alpha = sols
        .first()
        .map(|s| s.measures.slice.alpha.clone())
        .unwrap_or_default();
    let slices = mean_series(kinds, sols, &alpha, &|s| {
        s.measures.slice.train_loss.clone()
    });
    Ok(plot::plot_series(
        &plot_path(out, &format!("slices-{moment}"))?,
        &PlotSpec {
            title: format!(
                "Training loss along a filter-normalized direction, {moment} epoch (mean ± std)"
            ),
            x_label: "alpha".into(),
            y_label: "training loss E".into(),
            log_y: true,
            ..PlotSpec::default()
        },
        &slices,
    )?)
}

/// One point per run, not means: the rank correlation is across runs, and the scatter is what
/// it summarizes.
fn lambda_max_scatter(
    out: &OutDir,
    kinds: &[OptimizerKind],
    moment: Moment,
    sols: &[&Solution],
) -> Result<plot::PlotFiles, SaveError> {
    let scatter: Vec<Series> = kinds
        .iter()
        .filter_map(|&kind| {
            let mine: Vec<&&Solution> = sols.iter().filter(|s| s.optimizer == kind).collect();
            (!mine.is_empty()).then(|| Series {
                label: kind.name().to_string(),
                x: mine.iter().map(|s| s.measures.lambda_max()).collect(),
                mean: mine.iter().map(|s| s.test_error()).collect(),
                std: None,
            })
        })
        .collect();
    Ok(plot::plot_points(
        &plot_path(out, &format!("lambda-max-vs-test-error-{moment}"))?,
        &PlotSpec {
            title: format!(
                "Sharpest curvature against test error, {moment} epoch, one point per run"
            ),
            x_label: "lambda_max of the training-loss Hessian".into(),
            y_label: "test error".into(),
            ..PlotSpec::default()
        },
        &scatter,
    )?)
}
