//! The landscape study's summary: a table of mean ± std over seeds per optimizer, how flatness
//! and test error relate (within each optimizer, and seed by seed between optimizers),
//! per-solution CSV/JSON, and plots.

use super::{DivergedRun, LandscapeConfig, Moment, Solution};
use crate::report::csv::Table;
use crate::report::files::{OutDir, OutputError};
use crate::report::format::{Num, ci95, mean_std};
use crate::report::plot::{self, PlotError, PlotSpec, Series};
use crate::stats::{RankCorrelation, mean, paired, rank_correlation, sign_test_p, summarize};
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

/// Rank correlations of one optimizer's solutions (across its seeds) with their test error.
/// Runs of one optimizer are independent draws; a pool of several optimizers' runs on shared
/// seeds is not, so no correlation is taken across optimizers.
#[derive(Clone, Debug, Serialize)]
pub struct Within {
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// Sharpness against test error.
    pub sharpness: Option<RankCorrelation>,
    /// `lambda_max` against test error.
    pub lambda_max: Option<RankCorrelation>,
    /// Trace against test error.
    pub trace: Option<RankCorrelation>,
}

/// Two optimizers' solutions compared seed by seed (same data, initial weights and probe
/// directions): differences `a - b` of `lambda_max` and of test error, and on how many seeds the
/// flatter solution (lower `lambda_max`) is the one with the lower test error.
#[derive(Clone, Debug, Serialize)]
pub struct Pair {
    /// The first optimizer.
    pub a: OptimizerKind,
    /// The second.
    pub b: OptimizerKind,
    /// Seeds with a solution of both.
    pub n: usize,
    /// Mean of `lambda_max(a) - lambda_max(b)`, with its paired t 95% CI.
    pub lambda_max_diff: (f64, (f64, f64)),
    /// Mean of `test_error(a) - test_error(b)`, with its paired t 95% CI.
    pub test_error_diff: (f64, (f64, f64)),
    /// Seeds on which the flatter of the two solutions has the lower test error.
    pub flatter_better: usize,
    /// Seeds on which the flatter has the higher test error.
    pub flatter_worse: usize,
    /// Two-sided exact sign test of `flatter_better` against `flatter_worse`.
    pub p_sign: f64,
}

/// How flatness and test error relate among one moment's solutions.
#[derive(Clone, Debug, Serialize)]
pub struct Relations {
    /// The moment.
    pub moment: String,
    /// Within each optimizer, across seeds.
    pub within: Vec<Within>,
    /// Each pair of optimizers, seed by seed.
    pub pairs: Vec<Pair>,
}

/// The relations of `moment`'s solutions, for `kinds` in order.
pub fn relations(kinds: &[OptimizerKind], solutions: &[Solution], moment: Moment) -> Relations {
    let sols = at(solutions, moment);
    let within = kinds
        .iter()
        .map(|&kind| {
            let mine: Vec<&&Solution> = sols.iter().filter(|s| s.optimizer == kind).collect();
            let err: Vec<f64> = mine.iter().map(|s| s.test_error()).collect();
            let of = |f: &dyn Fn(&Solution) -> f64| {
                let xs: Vec<f64> = mine.iter().map(|s| f(s)).collect();
                rank_correlation(&xs, &err)
            };
            Within {
                optimizer: kind,
                sharpness: of(&|s| s.measures.sharpness),
                lambda_max: of(&|s| s.measures.lambda_max()),
                trace: of(&|s| s.measures.trace.mean),
            }
        })
        .collect();
    let pairs = kinds.iter().enumerate().flat_map(|(i, &a)| {
        let sols = &sols;
        kinds[i + 1..].iter().map(move |&b| pair(sols, a, b))
    });
    Relations {
        moment: moment.to_string(),
        within,
        pairs: pairs.collect(),
    }
}

/// `a` against `b` on the seeds where both have a solution.
fn pair(sols: &[&Solution], a: OptimizerKind, b: OptimizerKind) -> Pair {
    let of = |kind| sols.iter().filter(move |s| s.optimizer == kind);
    let matched: Vec<(&Solution, &Solution)> = of(a)
        .filter_map(|x| of(b).find(|y| y.seed == x.seed).map(|y| (*x, *y)))
        .collect();
    let column = |f: &dyn Fn(&Solution) -> f64, first: bool| -> Vec<f64> {
        matched
            .iter()
            .map(|(x, y)| f(if first { x } else { y }))
            .collect()
    };
    let lambda = |s: &Solution| s.measures.lambda_max();
    let error = |s: &Solution| s.test_error();
    let diff = |f: &dyn Fn(&Solution) -> f64| {
        let d = paired(&column(f, true), &column(f, false)).expect("matched by seed");
        (d.mean_diff, d.ci95_diff)
    };
    let sign = |(x, y): &&(&Solution, &Solution)| (lambda(x) - lambda(y)) * (error(x) - error(y));
    let flatter_better = matched.iter().filter(|m| sign(m) > 0.0).count();
    let flatter_worse = matched.iter().filter(|m| sign(m) < 0.0).count();
    Pair {
        a,
        b,
        n: matched.len(),
        lambda_max_diff: diff(&lambda),
        test_error_diff: diff(&error),
        flatter_better,
        flatter_worse,
        p_sign: sign_test_p(flatter_better, flatter_worse),
    }
}

/// What the comparisons are: exploratory, with no rule declared before the runs.
pub const EXPLORATORY: &str = "Exploratory: no rule for these comparisons was declared before \
    the runs, so any conclusion drawn from them is post hoc. The `best` epoch is chosen on \
    validation examples, never on test.";

/// The summary table, one block per moment: mean ± std over seeds per optimizer, then how
/// flatness and test error relate within each optimizer and seed by seed between optimizers.
pub fn table(config: &LandscapeConfig, solutions: &[Solution]) -> String {
    let mut out = format!("{EXPLORATORY}\n");
    for &moment in &config.moments {
        let _ = writeln!(
            out,
            "\nSolutions at the {moment} epoch (mean ± std over seeds; trace by Hutchinson, \
             {} probes; sharpness: Keskar et al., epsilon = {}, in %)",
            config.probe.trace_probes, config.probe.epsilon
        );
        out += &moment_rows(config, &at(solutions, moment));
        out += &relations_text(&relations(&config.settings.optimizers, solutions, moment));
    }
    out
}

/// One row per optimizer of the moment's solutions `sols`.
fn moment_rows(config: &LandscapeConfig, sols: &[&Solution]) -> String {
    let mut out = String::from(
        "| optimizer | n | epoch | lambda_max | trace | eps-sharpness | train loss | validation error | test error | probe s |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for &kind in &config.settings.optimizers {
        let mine: Vec<&&Solution> = sols.iter().filter(|s| s.optimizer == kind).collect();
        if mine.is_empty() {
            continue;
        }
        let col = |f: &dyn Fn(&Solution) -> f64| {
            short_mean_std(&mine.iter().map(|s| f(s)).collect::<Vec<_>>())
        };
        let validation = match mine.iter().all(|s| s.validation_error.is_some()) {
            true => col(&|s| s.validation_error.unwrap_or(f64::NAN)),
            false => "-".into(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {validation} | {} | {} |",
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
    out
}

/// The relations as text: the within-optimizer correlations, then the seed-by-seed pairs.
fn relations_text(r: &Relations) -> String {
    let mut out = String::new();
    let rho = |c: Option<RankCorrelation>| match c {
        Some(c) => format!(
            "{} ({}, n = {})",
            Num::Fixed(2).show(c.rho),
            ci95(c.ci95, Num::Fixed(2)),
            c.n
        ),
        None => "undefined".into(),
    };
    out += "\nSpearman rank correlation with test error, within each optimizer across its seeds \
            (95% CI by Fisher's z):\n\n";
    for w in r
        .within
        .iter()
        .filter(|w| w.sharpness.is_some() || w.lambda_max.is_some())
    {
        let _ = writeln!(
            out,
            "- {}: eps-sharpness {}; lambda_max {}; trace {}",
            w.optimizer,
            rho(w.sharpness),
            rho(w.lambda_max),
            rho(w.trace)
        );
    }
    out += "\nSeed by seed (a - b; paired t 95% CI):\n\n";
    for p in &r.pairs {
        if p.n == 0 {
            let _ = writeln!(out, "- {} - {}: no seed has solutions of both", p.a, p.b);
            continue;
        }
        let show =
            |(m, ci): (f64, (f64, f64)), num: Num| format!("{} ({})", num.show(m), ci95(ci, num));
        let _ = writeln!(
            out,
            "- {} - {}: lambda_max {}; test error {}; the flatter solution has the lower test \
             error on {} of {} seeds (sign test p = {})",
            p.a,
            p.b,
            show(p.lambda_max_diff, Num::SignedFixed(3)),
            show(p.test_error_diff, Num::SignedFixed(4)),
            p.flatter_better,
            p.n,
            Num::Fixed(3).show(p.p_sign)
        );
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
    relations: Vec<Relations>,
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
        relations: config
            .moments
            .iter()
            .map(|&m| relations(&config.settings.optimizers, solutions, m))
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
        "validation_error",
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
            s.validation_error.map_or(String::new(), |e| e.to_string()),
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
