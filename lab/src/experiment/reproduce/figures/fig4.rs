//! Fig. 4: the final test error against the training-set size `M` for the three optimizers.

use super::{FigureOutput, Lookup, TOY_ERROR_AXIS, save_plot, save_text};
use crate::experiment::reproduce::{DEFAULT_FIG4_SIZES, ReproduceConfig, ReproduceError};
use crate::experiment::{RunResult, protocol};
use crate::paper::judge::{Finding, assess};
use crate::paper::{self, ALPHA, Evidence, Scale};
use crate::report::csv::Table;
use crate::report::files::OutDir;
use crate::report::format::CHANGE;
use crate::report::plot::{PlotSpec, Series};
use crate::stats::{self, Summary};
use rbp_core::optim::OptimizerKind;
use std::path::PathBuf;

/// The optimizers' places in [`OptimizerKind::PAPER`], and so in each `finals[m]`.
const SGD: usize = 0;
const RBP: usize = 1;
const ADAM: usize = 2;

/// Fig. 4: measured from the runs `get` finds, then written to `out`.
pub fn fig4(
    config: &ReproduceConfig,
    out: &OutDir,
    get: &Lookup<'_>,
    files: &mut Vec<PathBuf>,
) -> Result<FigureOutput, ReproduceError> {
    Fig4::measure(config, get).write(out, files)
}

/// The end of one run of Fig. 4.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FinalErrors {
    pub train_size: usize,
    pub optimizer: OptimizerKind,
    pub seed: u64,
    pub train_error: f64,
    pub test_error: f64,
}

impl FinalErrors {
    /// The last record of `run`, the run of `optimizer` and `seed` at training-set size `m`.
    fn of(m: usize, optimizer: OptimizerKind, seed: u64, run: &RunResult) -> FinalErrors {
        let last = run.last();
        FinalErrors {
            train_size: m,
            optimizer,
            seed,
            train_error: last.train_error,
            test_error: last.test_error,
        }
    }
}

/// What Fig. 4 shows and claims.
#[derive(Clone, Debug)]
pub struct Fig4 {
    /// Epochs and seeds per point, for the title.
    pub epochs: usize,
    pub seeds: u64,
    /// The training-set sizes `M`, in the order run.
    pub sizes: Vec<usize>,
    /// `runs[m][optimizer][seed]`: every run's final errors, optimizers in the paper's order.
    pub runs: Vec<[Vec<FinalErrors>; 3]>,
    /// `summaries[optimizer][m]`: the final test errors over seeds, optimizers in the paper's
    /// order.
    pub summaries: [Vec<Summary>; 3],
    /// Per optimizer, its mean ± std final test error against `M`.
    pub curves: Vec<Series>,
    pub findings: Vec<Finding>,
}

impl Fig4 {
    /// The final errors, their summaries and the claims of every optimizer at every `M`.
    pub fn measure(config: &ReproduceConfig, get: &Lookup<'_>) -> Fig4 {
        let point = config.default_point();
        let sizes = &config.fig4_sizes;
        let runs: Vec<[Vec<FinalErrors>; 3]> = sizes
            .iter()
            .map(|&m| {
                OptimizerKind::PAPER.map(|optimizer| {
                    (0..config.fig4_seeds)
                        .map(|seed| {
                            let run = get(m, optimizer, seed, point);
                            FinalErrors::of(m, optimizer, run.seed, run)
                        })
                        .collect()
                })
            })
            .collect();
        let finals: Vec<[Vec<f64>; 3]> = runs
            .iter()
            .map(|at_m| {
                at_m.each_ref()
                    .map(|rs| rs.iter().map(|r| r.test_error).collect())
            })
            .collect();
        let summaries: [Vec<Summary>; 3] =
            std::array::from_fn(|k| finals.iter().map(|f| stats::summarize(&f[k])).collect());
        Fig4 {
            epochs: config.epochs,
            seeds: config.fig4_seeds,
            sizes: sizes.clone(),
            curves: curves(sizes, &summaries),
            summaries,
            findings: findings(sizes, &finals),
            runs,
        }
    }

    /// Writes `fig4_final.csv`, `fig4_mean.csv` and the plot; returns the report's section.
    pub fn write(
        &self,
        out: &OutDir,
        files: &mut Vec<PathBuf>,
    ) -> Result<FigureOutput, ReproduceError> {
        save_text(out, "fig4_final.csv", &self.final_csv(), files)?;
        save_text(out, "fig4_mean.csv", &self.mean_csv(), files)?;
        let spec = PlotSpec {
            title: format!(
                "Fig. 4: test error after {} epochs against M ({} seeds)",
                self.epochs, self.seeds
            ),
            x_label: "training-set size M".into(),
            y_label: format!("test error {TOY_ERROR_AXIS}"),
            log_x: true,
            log_y: true,
            markers: true,
            ..PlotSpec::default()
        };
        save_plot(out, "fig4", &spec, &self.curves, files)?;
        Ok(FigureOutput {
            id: "Fig. 4".into(),
            title: "Final test error against the training-set size".into(),
            plots: vec![(
                "Final test error against M; mean ± 1 std over seeds".into(),
                "fig4".into(),
            )],
            findings: self.findings.clone(),
            notes: vec![fig4_note(&self.sizes)],
        })
    }

    /// `fig4_final.csv`: every run's final training and test errors.
    fn final_csv(&self) -> String {
        let mut csv = Table::new(&[
            "train_size",
            "optimizer",
            "seed",
            "final_train_error",
            "final_test_error",
        ]);
        for r in self.runs.iter().flatten().flatten() {
            csv.row_of(&[
                &r.train_size,
                &r.optimizer,
                &r.seed,
                &r.train_error,
                &r.test_error,
            ]);
        }
        csv.finish()
    }

    /// `fig4_mean.csv`: per optimizer and `M`, the final test errors' mean, std and 95% CI.
    fn mean_csv(&self) -> String {
        let mut csv = Table::new(&[
            "train_size",
            "optimizer",
            "mean_test_error",
            "std_test_error",
            "n",
            "ci95_lo",
            "ci95_hi",
        ]);
        for (kind, sums) in OptimizerKind::PAPER.iter().zip(&self.summaries) {
            for (m, s) in self.sizes.iter().zip(sums) {
                csv.row_of(&[m, kind, &s.mean, &s.std, &s.n, &s.ci95.0, &s.ci95.1]);
            }
        }
        csv.finish()
    }
}

/// Per optimizer, the mean ± std final test error at each of `sizes`.
fn curves(sizes: &[usize], summaries: &[Vec<Summary>; 3]) -> Vec<Series> {
    OptimizerKind::PAPER
        .iter()
        .zip(summaries)
        .map(|(kind, sums)| Series {
            label: kind.paper_name().into(),
            x: sizes.iter().map(|&m| m as f64).collect(),
            mean: sums.iter().map(|s| s.mean).collect(),
            std: Some(sums.iter().map(|s| s.std).collect()),
        })
        .collect()
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
         protocol stops at {} to keep its run time reasonable. `rbp reproduce --fig4-sizes {}` \
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
fn findings(sizes: &[usize], finals: &[[Vec<f64>; 3]]) -> Vec<Finding> {
    let seeds = finals.first().map_or(0, |f| f[RBP].len());
    let gains: Vec<String> = sizes
        .iter()
        .zip(finals)
        .map(|(m, f)| {
            format!(
                "M = {m}: {}",
                CHANGE.show(stats::relative_change_of_means(&f[RBP], &f[SGD]))
            )
        })
        .collect();
    vec![
        Finding::new(
            "fig4-falls-with-m",
            falls_with_m(sizes, finals, seeds),
            format!("sizes {sizes:?}, {seeds} seeds each"),
        ),
        Finding::new(
            "fig4-lowest-every-m",
            lowest_every_m(sizes, finals),
            format!("{} comparisons", 2 * sizes.len()),
        ),
        Finding::new(
            "fig4-scarce-data",
            scarce_data(sizes, finals),
            format!("change against BackProp: {}", gains.join(", ")),
        ),
    ]
}

/// Why a claim over several sizes cannot be judged.
fn too_few() -> Evidence {
    Evidence::Missing("Fig. 4 needs at least two training-set sizes".into())
}

/// `fig4-falls-with-m`: per optimizer and seed, Spearman's rho between `M` and the final test
/// error, and the count of negative against positive rhos.
fn falls_with_m(sizes: &[usize], finals: &[[Vec<f64>; 3]], seeds: usize) -> Evidence {
    if sizes.len() < 2 {
        return too_few();
    }
    let ms: Vec<f64> = sizes.iter().map(|&m| m as f64).collect();
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
}

/// `fig4-lowest-every-m`: R-BackProp's final test errors against BackProp's and Adam's at each
/// `M`, paired by seed.
fn lowest_every_m(sizes: &[usize], finals: &[[Vec<f64>; 3]]) -> Evidence {
    let mut lowest = Vec::new();
    for (&m, f) in sizes.iter().zip(finals) {
        for k in [SGD, ADAM] {
            lowest.push((
                format!("vs {}, M = {m}", OptimizerKind::PAPER[k].paper_name()),
                Evidence::Paired {
                    a: f[RBP].clone(),
                    b: f[k].clone(),
                    scale: Scale::Relative,
                },
            ));
        }
    }
    Evidence::All(lowest)
}

/// `fig4-scarce-data`: applicable only when the paper's reason is there in our runs: R-BackProp
/// significantly below BackProp at the smallest `M` and its own error falling with `M` (both at
/// raw [`ALPHA`]: a gate, not a claim). Then R-BackProp's log gain over BackProp per seed at the
/// smallest `M` against the same at every larger `M`.
fn scarce_data(sizes: &[usize], finals: &[[Vec<f64>; 3]]) -> Evidence {
    let Some(i0) = (0..sizes.len())
        .min_by_key(|&i| sizes[i])
        .filter(|_| sizes.len() >= 2)
    else {
        return too_few();
    };
    if let Some(why) = scarce_data_gate(sizes, finals, i0) {
        return Evidence::NotApplicable(why);
    }
    let log_gain = |f: &[Vec<f64>; 3]| -> Vec<f64> {
        f[RBP]
            .iter()
            .zip(&f[SGD])
            .map(|(r, b)| (r / b).ln())
            .collect()
    };
    Evidence::All(
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
    )
}

/// Why `fig4-scarce-data` does not apply, or `None` when it does (see [`scarce_data`]).
fn scarce_data_gate(sizes: &[usize], finals: &[[Vec<f64>; 3]], i0: usize) -> Option<String> {
    // The gate is one claim's own precondition, tested at the raw level (a family of one).
    let spec = paper::claim("fig4-scarce-data");
    let at_smallest = Evidence::Paired {
        a: finals[i0][RBP].clone(),
        b: finals[i0][SGD].clone(),
        scale: Scale::Relative,
    };
    let gain = assess(&at_smallest, spec, 1);
    if !(gain.effect < 0.0 && gain.p < ALPHA) {
        return Some(format!(
            "not applicable: R-BackProp is not significantly below BackProp at M = {} (p = {:.3})",
            sizes[i0], gain.p
        ));
    }
    let ms: Vec<f64> = sizes.iter().map(|&m| m as f64).collect();
    let rhos: Vec<f64> = (0..finals[i0][RBP].len())
        .map(|s| {
            let e: Vec<f64> = finals.iter().map(|f| f[RBP][s]).collect();
            stats::spearman(&ms, &e)
        })
        .collect();
    let (falls, rises) = (
        rhos.iter().filter(|&&r| r < 0.0).count(),
        rhos.iter().filter(|&&r| r > 0.0).count(),
    );
    let trend = assess(
        &Evidence::Signs {
            yes: falls,
            no: rises,
        },
        spec,
        1,
    );
    (falls <= rises || trend.p >= ALPHA).then(|| {
        format!(
            "not applicable: R-BackProp's error does not significantly fall with M (falls in {falls}, rises in {rises} seeds, p = {:.3})",
            trend.p
        )
    })
}
