//! Fig. 2: test and training error of R-BackProp against BackProp (a) and Adam (b) at the
//! paper's `M`.

use super::{
    FigureOutput, Lookup, TOY_ERROR_AXIS, finals, mean_rows, save_plot, save_text, seed_runs,
    series, series_of, train_finals, two_summaries,
};
use crate::experiment::RunResult;
use crate::experiment::reproduce::{ReproduceConfig, ReproduceError};
use crate::paper::{self, Evidence, Scale, judge::Finding};
use crate::report::csv::Table;
use crate::report::files::{self, OutDir};
use crate::report::plot::{PlotSpec, Series};
use rbp_core::net::Arch;
use rbp_core::optim::OptimizerKind;
use std::path::PathBuf;

/// Fig. 2: measured from the runs `get` finds, then written to `out`.
pub fn fig2(
    config: &ReproduceConfig,
    out: &OutDir,
    get: &Lookup<'_>,
    files: &mut Vec<PathBuf>,
) -> Result<FigureOutput, ReproduceError> {
    Fig2::measure(config, get).write(out, files)
}

/// One optimizer's curves in Fig. 2: mean ± std over its seeds.
#[derive(Clone, Debug)]
pub struct Curves {
    pub kind: OptimizerKind,
    pub test: Series,
    pub train: Series,
    /// Seeds averaged.
    pub n: usize,
}

impl Curves {
    /// The training curve, or else the test curve.
    fn error(&self, train: bool) -> &Series {
        if train { &self.train } else { &self.test }
    }
}

/// What Fig. 2 shows and claims.
#[derive(Clone, Debug)]
pub struct Fig2 {
    /// The setting, for titles: network, `M`, batch, epochs, seeds.
    pub arch: Arch,
    pub train_size: usize,
    pub batch: usize,
    pub epochs: usize,
    pub seeds: u64,
    /// Every run: BackProp's seeds, then R-BackProp's, then Adam's.
    pub runs: Vec<RunResult>,
    /// BackProp, R-BackProp, Adam (the paper's order).
    pub curves: [Curves; 3],
    /// `fig2a-*` and `fig2b-*`, in the claim table's order.
    pub findings: Vec<Finding>,
}

/// The panels: `(stem, panel, other optimizer, its index in [`Fig2::curves`], training error?)`.
const PANELS: [(&str, &str, &str, usize, bool); 4] = [
    ("fig2a", "a", "BackProp", 0, false),
    ("fig2b", "b", "Adam", 2, false),
    ("fig2a_train", "a", "BackProp", 0, true),
    ("fig2b_train", "b", "Adam", 2, true),
];

impl Fig2 {
    /// The curves and claims of the three optimizers' runs at `config`'s `M` and default point.
    pub fn measure(config: &ReproduceConfig, get: &Lookup<'_>) -> Fig2 {
        let point = config.default_point();
        let runs = OptimizerKind::PAPER
            .map(|kind| seed_runs(get, config.seeds, config.train_size, kind, point));
        let [sgd, rbp, adam] = &runs;
        Fig2 {
            arch: config.arch.clone(),
            train_size: config.train_size,
            batch: config.batch,
            epochs: config.epochs,
            seeds: config.seeds,
            runs: runs.iter().flatten().map(|r| (*r).clone()).collect(),
            curves: std::array::from_fn(|k| curves(OptimizerKind::PAPER[k], &runs[k])),
            findings: findings(config.epochs, sgd, rbp, adam),
        }
    }

    /// Writes `fig2_curves.csv`, `fig2_mean.csv` and the four panels; returns the report's
    /// section.
    pub fn write(
        &self,
        out: &OutDir,
        files: &mut Vec<PathBuf>,
    ) -> Result<FigureOutput, ReproduceError> {
        let curves = files::curves_csv(&self.runs, false);
        save_text(out, "fig2_curves.csv", &curves, files)?;
        save_text(out, "fig2_mean.csv", &self.mean_csv(), files)?;
        for (stem, panel, other, k, train) in PANELS {
            let pair = [self.curves[k].error(train), self.curves[1].error(train)].map(Clone::clone);
            let spec = self.panel_spec(panel, other, which(train));
            save_plot(out, stem, &spec, &pair, files)?;
        }
        Ok(self.output())
    }

    /// `fig2_mean.csv`: per optimizer and epoch, mean and std of the test and training errors.
    fn mean_csv(&self) -> String {
        let mut csv = Table::new(&[
            "optimizer",
            "epoch",
            "mean_test_error",
            "std_test_error",
            "n",
            "mean_train_error",
            "std_train_error",
        ]);
        for c in &self.curves {
            mean_rows(&mut csv, &[&c.kind], &c.test, Some(&c.train), c.n);
        }
        csv.finish()
    }

    /// The plot of one panel: R-BackProp against `other`, `which` error.
    fn panel_spec(&self, panel: &str, other: &str, which: &str) -> PlotSpec {
        PlotSpec {
            title: format!(
                "Fig. 2{panel}: R-BackProp vs {other}, {which} error (M = {}, {} seeds)",
                self.train_size, self.seeds
            ),
            x_label: "epoch".into(),
            y_label: format!("{which} error {TOY_ERROR_AXIS}"),
            log_y: true,
            ..PlotSpec::default()
        }
    }

    /// The report's section: title, one caption per panel, the claims.
    fn output(&self) -> FigureOutput {
        let plots = PANELS
            .iter()
            .map(|&(stem, panel, other, _, train)| {
                let which = which(train);
                let caption = format!(
                    "({panel}) R-BackProp against {other}, {which} error; mean ± 1 std over seeds"
                );
                (caption, stem.to_string())
            })
            .collect();
        FigureOutput {
            id: "Fig. 2".into(),
            title: format!(
                "Test and training error, {} (M = {}, batch {}, {} epochs)",
                self.arch, self.train_size, self.batch, self.epochs
            ),
            plots,
            findings: self.findings.clone(),
            notes: vec![],
        }
    }
}

/// Which error a panel shows, as its title says it.
fn which(train: bool) -> &'static str {
    if train { "training" } else { "test" }
}

/// The test and training curves of `kind`'s `runs`.
fn curves(kind: OptimizerKind, runs: &[&RunResult]) -> Curves {
    Curves {
        kind,
        test: series(kind.paper_name(), runs),
        train: series_of(kind.paper_name(), runs, |e| e.train_error),
        n: runs.len(),
    }
}

/// Fig. 2's claims from each optimizer's runs, in the claim table's order: R-BackProp's final
/// errors against BackProp's (a) and Adam's (b), its peak, and Adam's late slowdown.
fn findings(
    epochs: usize,
    sgd: &[&RunResult],
    rbp: &[&RunResult],
    adam: &[&RunResult],
) -> Vec<Finding> {
    let (fr, fs, fa) = (finals(rbp), finals(sgd), finals(adam));
    let (tr, ts, ta) = (train_finals(rbp), train_finals(sgd), train_finals(adam));
    vec![
        against("fig2a-test", &fr, "BackProp", &fs),
        against("fig2a-train", &tr, "BackProp", &ts),
        peak(rbp),
        against("fig2b-test", &fr, "Adam", &fa),
        against("fig2b-train", &tr, "Adam", &ta),
        late(epochs, rbp, adam),
    ]
}

/// Claim `id`: R-BackProp's final errors `rbp` against `other`'s, paired by seed, as relative
/// changes.
fn against(id: &str, rbp: &[f64], name: &str, other: &[f64]) -> Finding {
    Finding::new(
        id,
        Evidence::Paired {
            a: rbp.to_vec(),
            b: other.to_vec(),
            scale: Scale::Relative,
        },
        two_summaries("R-BackProp", rbp, name, other),
    )
}

/// `fig2a-peak`: the R-BackProp seeds whose test and training curves both have a temporary
/// peak.
fn peak(rbp: &[&RunResult]) -> Finding {
    let peaks = rbp
        .iter()
        .filter(|r| {
            let test: Vec<f64> = r.records.iter().map(|e| e.test_error).collect();
            let train: Vec<f64> = r.records.iter().map(|e| e.train_error).collect();
            has_peak(&test, paper::PEAK_RISE) && has_peak(&train, paper::PEAK_RISE)
        })
        .count();
    Finding::new(
        "fig2a-peak",
        Evidence::Signs {
            yes: peaks,
            no: rbp.len() - peaks,
        },
        format!(
            "R-BackProp: a peak in both curves in {peaks} of {} seeds",
            rbp.len()
        ),
    )
}

/// `fig2b-late`: how far each optimizer's test error still falls after the epoch where the
/// paper sees Adam slow down, as `ln(final / then)`.
fn late(epochs: usize, rbp: &[&RunResult], adam: &[&RunResult]) -> Finding {
    let late_from = scaled_epoch(paper::FIG2_ADAM_SLOWS_AT, epochs);
    let late = |runs: &[&RunResult]| -> Vec<f64> {
        runs.iter()
            .map(|r| (r.last().test_error / r.records[late_from].test_error).ln())
            .collect()
    };
    let (late_rbp, late_adam) = (late(rbp), late(adam));
    Finding::new(
        "fig2b-late",
        Evidence::Paired {
            a: late_rbp.clone(),
            b: late_adam.clone(),
            scale: Scale::Absolute,
        },
        format!(
            "ln(final / epoch {late_from}): {}",
            two_summaries("R-BackProp", &late_rbp, "Adam", &late_adam)
        ),
    )
}

/// The epoch of a run of `epochs` that corresponds to the paper's epoch `paper_epoch` of 100.
fn scaled_epoch(paper_epoch: f64, epochs: usize) -> usize {
    ((paper_epoch / paper::PAPER_EPOCHS * epochs as f64).round() as usize).min(epochs)
}

/// Whether `curve` has a temporary peak: a point at least `rise` above the minimum before it,
/// followed later by a point at least `rise` below it (see [`paper::PEAK_RISE`]).
pub fn has_peak(curve: &[f64], rise: f64) -> bool {
    let n = curve.len();
    let mut suffix_min = vec![f64::INFINITY; n + 1];
    for i in (0..n).rev() {
        suffix_min[i] = suffix_min[i + 1].min(curve[i]);
    }
    let mut prefix_min = f64::INFINITY;
    for (j, &y) in curve.iter().enumerate() {
        if y >= (1.0 + rise) * prefix_min && suffix_min[j + 1] <= (1.0 - rise) * y {
            return true;
        }
        prefix_min = prefix_min.min(y);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::has_peak;

    #[test]
    fn a_peak_needs_a_rise_and_a_fall_of_the_threshold() {
        // Falls to 1.0, rises 20% to 1.2, falls back 20% to 0.96: a peak at 10%, not at 25%.
        let bump = [2.0, 1.0, 1.2, 0.96];
        assert!(has_peak(&bump, 0.10));
        assert!(!has_peak(&bump, 0.25));
        // Rising at the end without falling back, or falling monotonically: no peak.
        assert!(!has_peak(&[2.0, 1.0, 1.5], 0.10));
        assert!(!has_peak(&[3.0, 2.0, 1.0, 0.5], 0.10));
        // Exactly on the fall threshold counts: 1.25 -> 1.0 is -20%.
        assert!(has_peak(&[1.0, 1.25, 1.0], 0.2));
        assert!(!has_peak(&[], 0.1));
    }
}
