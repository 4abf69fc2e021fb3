//! Fig. 3: R-BackProp for several `(gamma0, lambda)`; is the paper's default among the best?

use super::shape::{self, Curve};
use super::{
    ERROR, FigureOutput, Lookup, TOY_ERROR_AXIS, finals, mean_rows, save_plot, save_text,
    seed_runs, series, two_summaries,
};
use crate::experiment::RunResult;
use crate::experiment::reproduce::{ReproduceConfig, ReproduceError};
use crate::paper::{self, Evidence, Scale, judge::Finding, protocol};
use crate::report::csv::Table;
use crate::report::files::OutDir;
use crate::report::format::{self, Num};
use crate::report::plot::{PlotSpec, Series};
use crate::stats::{self, Summary};
use rbp_core::optim::OptimizerKind;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Fig. 3: measured from the runs `get` finds, then written to `out`.
pub fn fig3(
    config: &ReproduceConfig,
    out: &OutDir,
    get: &Lookup<'_>,
    files: &mut Vec<PathBuf>,
) -> Result<FigureOutput, ReproduceError> {
    Fig3::measure(config, get).write(out, files)
}

/// What Fig. 3 shows and claims, per `(gamma0, lambda)` point.
#[derive(Clone, Debug)]
pub struct Fig3 {
    /// `M` and epochs, for titles.
    pub train_size: usize,
    pub epochs: usize,
    /// The points; the first is the paper's default.
    pub points: Vec<(f64, f64)>,
    /// R-BackProp's runs at each point, seeds in order.
    pub runs: Vec<Vec<RunResult>>,
    /// The mean ± std test-error curve at each point.
    pub curves: Vec<Series>,
    /// The final test errors at each point.
    pub finals: Vec<Summary>,
    /// Indices of `points` from the lowest mean final test error up.
    pub rank: Vec<usize>,
    pub findings: Vec<Finding>,
}

impl Fig3 {
    /// The curves, ranking and claims of R-BackProp's runs at each of `config`'s Fig. 3 points.
    pub fn measure(config: &ReproduceConfig, get: &Lookup<'_>) -> Fig3 {
        let points = &config.fig3_points;
        let runs: Vec<Vec<&RunResult>> = points
            .iter()
            .map(|&p| seed_runs(get, config.seeds, config.train_size, OptimizerKind::Rbp, p))
            .collect();
        let fin: Vec<Vec<f64>> = runs.iter().map(|r| finals(r)).collect();
        let sums: Vec<Summary> = fin.iter().map(|f| stats::summarize(f)).collect();
        let mut rank: Vec<usize> = (0..points.len()).collect();
        rank.sort_by(|&a, &b| sums[a].mean.total_cmp(&sums[b].mean));
        Fig3 {
            train_size: config.train_size,
            epochs: config.epochs,
            points: points.clone(),
            curves: points
                .iter()
                .zip(&runs)
                .map(|(p, rs)| series(&point_label(*p), rs))
                .collect(),
            findings: findings(config, points, &runs, &fin),
            runs: runs
                .iter()
                .map(|rs| rs.iter().map(|r| (*r).clone()).collect())
                .collect(),
            finals: sums,
            rank,
        }
    }

    /// Writes `fig3_curves.csv`, `fig3_mean.csv`, the plot and its enlarged late epochs; returns
    /// the report's section.
    pub fn write(
        &self,
        out: &OutDir,
        files: &mut Vec<PathBuf>,
    ) -> Result<FigureOutput, ReproduceError> {
        save_text(out, "fig3_curves.csv", &self.curves_csv(), files)?;
        save_text(out, "fig3_mean.csv", &self.mean_csv(), files)?;
        let spec = PlotSpec {
            title: format!(
                "Fig. 3: R-BackProp for several (γ0, λ) (M = {})",
                self.train_size
            ),
            x_label: "epoch".into(),
            y_label: format!("test error {TOY_ERROR_AXIS}"),
            log_y: true,
            ..PlotSpec::default()
        };
        save_plot(out, "fig3", &spec, &self.curves, files)?;
        let late_from = (self.epochs as f64 * 0.7).floor();
        let late = PlotSpec {
            title: format!("Fig. 3 (enlarged): epochs {late_from}–{}", self.epochs),
            x_range: Some((late_from, self.epochs as f64)),
            ..spec
        };
        save_plot(out, "fig3_late", &late, &self.curves, files)?;
        Ok(self.output())
    }

    /// `fig3_curves.csv`: every run's errors at every epoch.
    fn curves_csv(&self) -> String {
        let mut csv = Table::new(&[
            "gamma0",
            "lambda",
            "seed",
            "epoch",
            "train_error",
            "test_error",
        ]);
        for (p, rs) in self.points.iter().zip(&self.runs) {
            for r in rs {
                for e in &r.records {
                    csv.row_of(&[&p.0, &p.1, &r.seed, &e.epoch, &e.train_error, &e.test_error]);
                }
            }
        }
        csv.finish()
    }

    /// `fig3_mean.csv`: per point and epoch, mean and std of the test error.
    fn mean_csv(&self) -> String {
        let mut csv = Table::new(&[
            "gamma0",
            "lambda",
            "epoch",
            "mean_test_error",
            "std_test_error",
            "n",
        ]);
        for ((p, s), rs) in self.points.iter().zip(&self.curves).zip(&self.runs) {
            mean_rows(&mut csv, &[&p.0, &p.1], s, None, rs.len());
        }
        csv.finish()
    }

    /// The report's section: both plots, the claims and the ranking table.
    fn output(&self) -> FigureOutput {
        FigureOutput {
            id: "Fig. 3".into(),
            title: "R-BackProp for several (γ0, λ)".into(),
            plots: vec![
                ("Test error, mean ± 1 std over seeds".into(), "fig3".into()),
                (
                    "Enlarged view of the late epochs".into(),
                    "fig3_late".into(),
                ),
            ],
            findings: self.findings.clone(),
            notes: vec![format!(
                "Ranking by mean final test error (descriptive; the claims are tested in the claim table):\n\n{}",
                self.ranking()
            )],
        }
    }

    /// The markdown table of the points by mean final test error.
    fn ranking(&self) -> String {
        let mut table = String::from(
            "| rank | (γ0, λ) | final test error: mean ± std (95% CI, n) |\n|---|---|---|\n",
        );
        for (r, &i) in self.rank.iter().enumerate() {
            let _ = writeln!(
                table,
                "| {} | ({}, {}){} | {} |",
                r + 1,
                self.points[i].0,
                self.points[i].1,
                if i == 0 { " (paper's default)" } else { "" },
                format::summary(&self.finals[i], ERROR)
            );
        }
        table
    }
}

/// A point as the legend shows it.
fn point_label(p: (f64, f64)) -> String {
    format!("γ0 = {}, λ = {}", p.0, p.1)
}

/// The first run set of Fig. 3 at `point`, if the sweep has it.
fn at<'a, T>(points: &[(f64, f64)], sets: &'a [T], point: (f64, f64)) -> Option<&'a T> {
    points.iter().position(|&p| p == point).map(|i| &sets[i])
}

/// Fig. 3's claims from the runs and final test errors at each point: early minimum and worst
/// at lambda = 1e-3, the gamma0 trend and the closeness of the large gamma0 at lambda = 1e-4.
fn findings(
    config: &ReproduceConfig,
    points: &[(f64, f64)],
    runs: &[Vec<&RunResult>],
    fin: &[Vec<f64>],
) -> Vec<Finding> {
    let fast = (config.default_point().0, paper::FIG3_FAST_DECAY);
    let early = early_minimum(config.epochs, at(points, runs, fast), fast);
    let worst = fast_decay_worst(points, fin, fast);
    let trend = gamma0_trend(config.seeds, points, fin);
    let close = large_gamma0_close(points, fin);
    let worst_ours = at(points, fin, fast).map_or(String::new(), |f| {
        let s = format::summary(&stats::summarize(f), ERROR);
        format!("λ = {:e}: {s}", fast.1)
    });
    vec![
        Finding::new("fig3-early-minimum", early.0, early.1),
        Finding::new("fig3-fast-decay-worst", worst, worst_ours),
        Finding::new("fig3-gamma0-trend", trend.0, trend.1),
        Finding::new("fig3-large-gamma0-close", close.0, close.1),
    ]
}

/// Why a claim about the point `fast` cannot be judged.
fn fast_missing(fast: (f64, f64)) -> Evidence {
    Evidence::Missing(format!("(γ0, {:e}) is not among Fig. 3's points", fast.1))
}

/// `fig3-early-minimum`: the runs at the fast decay `fast` whose test error is lowest inside the
/// protocol's window around the paper's epoch 17 and then over-fits: the test error rises while
/// the training error falls over the protocol's span.
fn early_minimum(
    epochs: usize,
    runs: Option<&Vec<&RunResult>>,
    fast: (f64, f64),
) -> (Evidence, String) {
    let Some(rs) = runs else {
        return (fast_missing(fast), String::new());
    };
    let window = protocol::OVERFIT_WINDOW.scaled(epochs);
    let span = protocol::scaled_epoch(protocol::OVERFIT_SPAN, epochs).max(1);
    let curves: Vec<[Curve; 2]> = rs
        .iter()
        .map(|r| {
            [
                Curve::of(r, |e| e.test_error),
                Curve::of(r, |e| e.train_error),
            ]
        })
        .collect();
    let yes = curves
        .iter()
        .filter(|[test, train]| shape::overfits(test, train, window, span))
        .count();
    let argmins: Vec<usize> = curves.iter().filter_map(|[t, _]| t.argmin()).collect();
    (
        Evidence::Signs {
            yes,
            no: rs.len() - yes,
        },
        format!(
            "minimum at epochs {argmins:?} (window {}-{}); over-fitting (test up, training down over {span} epochs) in {yes} of {}",
            window.0,
            window.1,
            rs.len()
        ),
    )
}

/// `fig3-fast-decay-worst`: the final test errors at the fast decay `fast` against those at
/// every other point.
fn fast_decay_worst(points: &[(f64, f64)], fin: &[Vec<f64>], fast: (f64, f64)) -> Evidence {
    let Some(f) = at(points, fin, fast) else {
        return fast_missing(fast);
    };
    Evidence::All(
        points
            .iter()
            .zip(fin)
            .filter(|(p, _)| **p != fast)
            .map(|(p, other)| {
                (
                    format!("vs {}", point_label(*p)),
                    Evidence::Paired {
                        a: f.clone(),
                        b: other.clone(),
                        scale: Scale::Relative,
                    },
                )
            })
            .collect(),
    )
}

/// `fig3-gamma0-trend`: per seed, Spearman's rho between `gamma0` and the final test error over
/// the points at the slow decay, and the count of negative against positive rhos.
fn gamma0_trend(seeds: u64, points: &[(f64, f64)], fin: &[Vec<f64>]) -> (Evidence, String) {
    let slow: Vec<(f64, &Vec<f64>)> = points
        .iter()
        .zip(fin)
        .filter(|(p, _)| p.1 == paper::FIG3_SLOW_DECAY)
        .map(|(p, f)| (p.0, f))
        .collect();
    if slow.len() >= 3 {
        let gammas: Vec<f64> = slow.iter().map(|(g, _)| *g).collect();
        let rhos: Vec<f64> = (0..seeds as usize)
            .map(|s| {
                let errors: Vec<f64> = slow.iter().map(|(_, f)| f[s]).collect();
                stats::spearman(&gammas, &errors)
            })
            .collect();
        (
            Evidence::Signs {
                yes: rhos.iter().filter(|&&r| r < 0.0).count(),
                no: rhos.iter().filter(|&&r| r > 0.0).count(),
            },
            format!(
                "per-seed ρ: {}",
                rhos.iter()
                    .map(|&r| Num::Fixed(2).show(r))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    } else {
        (
            Evidence::Missing(format!(
                "fewer than 3 γ0 at λ = {:e}",
                paper::FIG3_SLOW_DECAY
            )),
            String::new(),
        )
    }
}

/// `fig3-large-gamma0-close`: the final test errors of the two large `gamma0`, as log ratios.
fn large_gamma0_close(points: &[(f64, f64)], fin: &[Vec<f64>]) -> (Evidence, String) {
    let (g1, g2) = paper::FIG3_CLOSE_GAMMA0;
    match (
        at(points, fin, (g1, paper::FIG3_SLOW_DECAY)),
        at(points, fin, (g2, paper::FIG3_SLOW_DECAY)),
    ) {
        (Some(a), Some(b)) => (
            Evidence::Paired {
                a: a.clone(),
                b: b.clone(),
                scale: Scale::LogRatio,
            },
            two_summaries(&format!("γ0 = {g1}"), a, &format!("γ0 = {g2}"), b),
        ),
        _ => (
            Evidence::Missing(format!(
                "γ0 = {g1} or {g2} at λ = {:e} is not among Fig. 3's points",
                paper::FIG3_SLOW_DECAY
            )),
            String::new(),
        ),
    }
}
