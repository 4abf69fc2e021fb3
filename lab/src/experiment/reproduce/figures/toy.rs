//! Fig. 4: the teacher-student runs of the M sweep.

use super::{FigureOutput, Lookup, TOY_ERROR_AXIS, save_plot, save_text};
use crate::experiment::protocol;
use crate::experiment::reproduce::{DEFAULT_FIG4_SIZES, ReproduceConfig, ReproduceError};
use crate::paper::{self, Evidence, Scale, judge::Finding};
use crate::report::csv::Table;
use crate::report::files::OutDir;
use crate::report::format::CHANGE;
use crate::report::plot::{PlotSpec, Series};
use crate::stats::{self, Summary};
use rbp_core::optim::OptimizerKind;
use std::path::PathBuf;

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
