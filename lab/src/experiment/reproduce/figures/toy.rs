//! Figs. 3 and 4: the teacher-student runs of the (gamma0, lambda) sweep and of the M sweep.

use super::{
    ERROR, FigureOutput, Lookup, TOY_ERROR_AXIS, finals, mean_rows, save_plot, save_text, series,
    two_summaries,
};
use crate::experiment::RunResult;
use crate::experiment::protocol;
use crate::experiment::reproduce::{DEFAULT_FIG4_SIZES, ReproduceConfig, ReproduceError};
use crate::paper::{self, Evidence, Scale, judge::Finding};
use crate::report::csv::Table;
use crate::report::files::OutDir;
use crate::report::format::{self, CHANGE, Num};
use crate::report::plot::{PlotSpec, Series};
use crate::stats::{self, Summary};
use rbp_core::optim::OptimizerKind;
use std::fmt::Write as _;
use std::path::PathBuf;

fn point_label(p: (f64, f64)) -> String {
    format!("γ0 = {}, λ = {}", p.0, p.1)
}

/// Fig. 3: R-BackProp for several `(gamma0, lambda)`; is the paper's default among the best?
pub fn fig3(
    config: &ReproduceConfig,
    out: &OutDir,
    get: &Lookup<'_>,
    files: &mut Vec<PathBuf>,
) -> Result<FigureOutput, ReproduceError> {
    let points = &config.fig3_points;
    let runs: Vec<Vec<&RunResult>> = points
        .iter()
        .map(|&p| {
            (0..config.seeds)
                .map(|s| get(config.train_size, OptimizerKind::Rbp, s, p))
                .collect()
        })
        .collect();
    let mut per_seed = Table::new(&[
        "gamma0",
        "lambda",
        "seed",
        "epoch",
        "train_error",
        "test_error",
    ]);
    let mut mean = Table::new(&[
        "gamma0",
        "lambda",
        "epoch",
        "mean_test_error",
        "std_test_error",
        "n",
    ]);
    let mut all_series = Vec::new();
    for (p, rs) in points.iter().zip(&runs) {
        for r in rs {
            for e in &r.records {
                per_seed.row_of(&[&p.0, &p.1, &r.seed, &e.epoch, &e.train_error, &e.test_error]);
            }
        }
        let s = series(&point_label(*p), rs);
        mean_rows(&mut mean, &[&p.0, &p.1], &s, None, rs.len());
        all_series.push(s);
    }
    save_text(out, "fig3_curves.csv", &per_seed.finish(), files)?;
    save_text(out, "fig3_mean.csv", &mean.finish(), files)?;
    let spec = PlotSpec {
        title: format!(
            "Fig. 3: R-BackProp for several (γ0, λ) (M = {})",
            config.train_size
        ),
        x_label: "epoch".into(),
        y_label: format!("test error {TOY_ERROR_AXIS}"),
        log_y: true,
        ..PlotSpec::default()
    };
    save_plot(out, "fig3", &spec, &all_series, files)?;
    let late_from = (config.epochs as f64 * 0.7).floor();
    let late = PlotSpec {
        title: format!("Fig. 3 (enlarged): epochs {late_from}–{}", config.epochs),
        x_range: Some((late_from, config.epochs as f64)),
        ..spec
    };
    save_plot(out, "fig3_late", &late, &all_series, files)?;

    let fin: Vec<Vec<f64>> = runs.iter().map(|r| finals(r)).collect();
    let sums: Vec<Summary> = fin.iter().map(|f| stats::summarize(f)).collect();
    let mut rank: Vec<usize> = (0..points.len()).collect();
    rank.sort_by(|&a, &b| sums[a].mean.total_cmp(&sums[b].mean));
    let mut table = String::from(
        "| rank | (γ0, λ) | final test error: mean ± std (95% CI, n) |\n|---|---|---|\n",
    );
    for (r, &i) in rank.iter().enumerate() {
        let _ = writeln!(
            table,
            "| {} | ({}, {}){} | {} |",
            r + 1,
            points[i].0,
            points[i].1,
            if i == 0 { " (paper's default)" } else { "" },
            format::summary(&sums[i], ERROR)
        );
    }
    Ok(FigureOutput {
        id: "Fig. 3".into(),
        title: "R-BackProp for several (γ0, λ)".into(),
        plots: vec![
            ("Test error, mean ± 1 std over seeds".into(), "fig3".into()),
            (
                "Enlarged view of the late epochs".into(),
                "fig3_late".into(),
            ),
        ],
        findings: fig3_findings(config, points, &runs, &fin),
        notes: vec![format!(
            "Ranking by mean final test error (descriptive; the claims are tested in the claim table):\n\n{table}"
        )],
    })
}

/// The first run set of Fig. 3 at `point`, if the sweep has it.
fn at<'a, T>(points: &[(f64, f64)], sets: &'a [T], point: (f64, f64)) -> Option<&'a T> {
    points.iter().position(|&p| p == point).map(|i| &sets[i])
}

/// Fig. 3's claims: early minimum and worst at lambda = 1e-3, the gamma0 trend and the closeness
/// of the large gamma0 at lambda = 1e-4.
fn fig3_findings(
    config: &ReproduceConfig,
    points: &[(f64, f64)],
    runs: &[Vec<&RunResult>],
    fin: &[Vec<f64>],
) -> Vec<Finding> {
    let default = config.default_point();
    let fast = (default.0, paper::FIG3_FAST_DECAY);
    let missing = |what: &str| Evidence::Missing(format!("{what} is not among Fig. 3's points"));
    let fast_text = format!("(γ0, {:e})", fast.1);
    let early = match at(points, runs, fast) {
        Some(rs) => {
            let half = config.epochs / 2;
            let argmins: Vec<usize> = rs.iter().map(|r| argmin_epoch(r)).collect();
            let yes = argmins.iter().filter(|&&e| e <= half).count();
            (
                Evidence::Signs {
                    yes,
                    no: rs.len() - yes,
                },
                format!("minimum at epochs {:?} (first half: ≤ {half})", argmins),
            )
        }
        None => (missing(&fast_text), String::new()),
    };
    let worst = match at(points, fin, fast) {
        Some(f) => Evidence::All(
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
        ),
        None => missing(&fast_text),
    };
    let trend = fig3_trend(config.seeds, points, fin);
    let close = fig3_close(points, fin);
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

/// `fig3-gamma0-trend`: per seed, Spearman's rho between `gamma0` and the final test error over
/// the points at the slow decay, and the count of negative against positive rhos.
fn fig3_trend(seeds: u64, points: &[(f64, f64)], fin: &[Vec<f64>]) -> (Evidence, String) {
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
fn fig3_close(points: &[(f64, f64)], fin: &[Vec<f64>]) -> (Evidence, String) {
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

/// The epoch of a run's lowest test error (the first, on ties).
fn argmin_epoch(r: &RunResult) -> usize {
    r.records
        .iter()
        .min_by(|a, b| a.test_error.total_cmp(&b.test_error))
        .map_or(0, |e| e.epoch)
}

/// Fig. 4: final test error against `M` for the three optimizers.
pub fn fig4(
    config: &ReproduceConfig,
    out: &OutDir,
    get: &Lookup<'_>,
    files: &mut Vec<PathBuf>,
) -> Result<FigureOutput, ReproduceError> {
    let point = config.default_point();
    let sizes = &config.fig4_sizes;
    let mut per_seed = Table::new(&[
        "train_size",
        "optimizer",
        "seed",
        "final_train_error",
        "final_test_error",
    ]);
    let mut mean = Table::new(&[
        "train_size",
        "optimizer",
        "mean_test_error",
        "std_test_error",
        "n",
        "ci95_lo",
        "ci95_hi",
    ]);
    let mut fin = |m: usize, kind: OptimizerKind| -> Vec<f64> {
        (0..config.fig4_seeds)
            .map(|s| {
                let r = get(m, kind, s, point);
                per_seed.row_of(&[&m, &kind, &s, &r.last().train_error, &r.last().test_error]);
                r.last().test_error
            })
            .collect()
    };
    // finals[m][optimizer]
    let finals: Vec<[Vec<f64>; 3]> = sizes
        .iter()
        .map(|&m| OptimizerKind::PAPER.map(|k| fin(m, k)))
        .collect();
    let mut all_series = Vec::new();
    for (k, kind) in OptimizerKind::PAPER.iter().enumerate() {
        let sums: Vec<Summary> = finals.iter().map(|f| stats::summarize(&f[k])).collect();
        for (m, s) in sizes.iter().zip(&sums) {
            mean.row_of(&[m, kind, &s.mean, &s.std, &s.n, &s.ci95.0, &s.ci95.1]);
        }
        all_series.push(Series {
            label: kind.paper_name().into(),
            x: sizes.iter().map(|&m| m as f64).collect(),
            mean: sums.iter().map(|s| s.mean).collect(),
            std: Some(sums.iter().map(|s| s.std).collect()),
        });
    }
    save_text(out, "fig4_final.csv", &per_seed.finish(), files)?;
    save_text(out, "fig4_mean.csv", &mean.finish(), files)?;
    save_plot(
        out,
        "fig4",
        &PlotSpec {
            title: format!(
                "Fig. 4: test error after {} epochs against M ({} seeds)",
                config.epochs, config.fig4_seeds
            ),
            x_label: "training-set size M".into(),
            y_label: format!("test error {TOY_ERROR_AXIS}"),
            log_x: true,
            log_y: true,
            markers: true,
            ..PlotSpec::default()
        },
        &all_series,
        files,
    )?;
    let findings = fig4_findings(sizes, &finals);
    Ok(FigureOutput {
        id: "Fig. 4".into(),
        title: "Final test error against the training-set size".into(),
        plots: vec![(
            "Final test error against M; mean ± 1 std over seeds".into(),
            "fig4".into(),
        )],
        findings,
        notes: vec![fig4_note(sizes)],
    })
}

/// Fig. 4's note: the sizes run, and why the default protocol stops short of the paper's range.
fn fig4_note(sizes: &[usize]) -> String {
    let list = |s: &[usize], sep: &str| {
        let s: Vec<String> = s.iter().map(usize::to_string).collect();
        s.join(sep)
    };
    let (paper, default) = (paper::FIG4_SIZES, DEFAULT_FIG4_SIZES);
    format!(
        "Sizes M = {}. The paper's figure goes to M = {}; at {} seeds x {} optimizers the runs at \
         M = {} alone would add about 7 minutes of CPU on this 2-core machine, so the default \
         protocol stops at {} to stay near the 2-minute budget. `rbp reproduce --fig4-sizes {}` \
         runs the paper's range.",
        list(sizes, ", "),
        paper[paper.len() - 1],
        protocol::TOY_SEEDS,
        OptimizerKind::PAPER.len(),
        list(&paper[default.len()..], " and "),
        default[default.len() - 1],
        list(&paper, ",")
    )
}

/// Fig. 4's claims from `finals[m][optimizer][seed]`: the error falls with M, R-BackProp is
/// lowest at every M, and its gain over BackProp is largest at the smallest M.
fn fig4_findings(sizes: &[usize], finals: &[[Vec<f64>; 3]]) -> Vec<Finding> {
    let [sgd, rbp, _] = [0, 1, 2];
    let too_few = || Evidence::Missing("Fig. 4 needs at least two training-set sizes".into());
    let seeds = finals.first().map_or(0, |f| f[rbp].len());
    let ms: Vec<f64> = sizes.iter().map(|&m| m as f64).collect();
    let falls = if sizes.len() >= 2 {
        Evidence::All(
            OptimizerKind::PAPER
                .iter()
                .enumerate()
                .map(|(k, kind)| {
                    let rhos: Vec<f64> = (0..seeds)
                        .map(|s| {
                            let e: Vec<f64> = finals.iter().map(|f| f[k][s]).collect();
                            stats::spearman(&ms, &e)
                        })
                        .collect();
                    (
                        kind.paper_name().to_string(),
                        Evidence::Signs {
                            yes: rhos.iter().filter(|&&r| r < 0.0).count(),
                            no: rhos.iter().filter(|&&r| r > 0.0).count(),
                        },
                    )
                })
                .collect(),
        )
    } else {
        too_few()
    };
    let mut lowest = Vec::new();
    for (&m, f) in sizes.iter().zip(finals) {
        for k in [0, 2] {
            lowest.push((
                format!("vs {}, M = {m}", OptimizerKind::PAPER[k].paper_name()),
                Evidence::Paired {
                    a: f[rbp].clone(),
                    b: f[k].clone(),
                    scale: Scale::Relative,
                },
            ));
        }
    }
    let log_gain = |f: &[Vec<f64>; 3]| -> Vec<f64> {
        f[rbp]
            .iter()
            .zip(&f[sgd])
            .map(|(r, b)| (r / b).ln())
            .collect()
    };
    let smallest = (0..sizes.len()).min_by_key(|&i| sizes[i]);
    let scarce = match smallest {
        Some(i0) if sizes.len() >= 2 => Evidence::All(
            (0..sizes.len())
                .filter(|&i| sizes[i] > sizes[i0])
                .map(|i| {
                    (
                        format!("M = {} vs {}", sizes[i0], sizes[i]),
                        Evidence::Paired {
                            a: log_gain(&finals[i0]),
                            b: log_gain(&finals[i]),
                            scale: Scale::Absolute,
                        },
                    )
                })
                .collect(),
        ),
        _ => too_few(),
    };
    let gains: Vec<String> = sizes
        .iter()
        .zip(finals)
        .map(|(m, f)| {
            format!(
                "M = {m}: {}",
                CHANGE.show(stats::relative_change_of_means(&f[rbp], &f[sgd]))
            )
        })
        .collect();
    vec![
        Finding::new(
            "fig4-falls-with-m",
            falls,
            format!("sizes {sizes:?}, {seeds} seeds each"),
        ),
        Finding::new(
            "fig4-lowest-every-m",
            Evidence::All(lowest),
            format!("{} comparisons", 2 * sizes.len()),
        ),
        Finding::new(
            "fig4-scarce-data",
            scarce,
            format!("change against BackProp: {}", gains.join(", ")),
        ),
    ]
}
