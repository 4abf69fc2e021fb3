//! Fig. 1: the reinforcement probability, computed from `RbpConfig` (no training).

use super::{FIG1, FigureOutput, save_plot, save_text};
use crate::experiment::reproduce::{ReproduceConfig, ReproduceError};
use crate::paper;
use crate::report::csv::Table;
use crate::report::files::OutDir;
use crate::report::plot::{PlotSpec, Series};
use rbp_core::optim::{Clock, RbpConfig};
use std::path::PathBuf;

/// Fig. 1: the probability `1 - gamma^t` of reinforcing a weight, and `gamma` itself, with
/// the caption's `gamma0` ([`paper::FIG1_GAMMA0`]) and the default `lambda`.
pub fn fig1(
    config: &ReproduceConfig,
    out: &OutDir,
    files: &mut Vec<PathBuf>,
) -> Result<FigureOutput, ReproduceError> {
    Fig1::measure(config).write(out, files)
}

/// The schedule at one iteration `t`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    pub t: u64,
    pub epoch: u64,
    pub gamma: f64,
    /// `1 - gamma^t`.
    pub probability: f64,
}

/// What Fig. 1 shows: the schedule at every iteration of a run, and its two curves.
#[derive(Clone, Debug)]
pub struct Fig1 {
    /// The settings drawn: the caption's `gamma0`, the default `lambda`.
    pub rbp: RbpConfig,
    /// Updates per epoch, and the `M` and batch it comes from (for the caption).
    pub per_epoch: u64,
    pub train_size: usize,
    pub batch: usize,
    /// Iterations `0..=epochs * per_epoch`.
    pub steps: Vec<Step>,
    /// `1 - gamma^t` against iterations.
    pub probability: Series,
    /// `gamma` against epochs (the paper's inset).
    pub gamma: Series,
}

impl Fig1 {
    /// Computes the schedule over `config`'s epochs, one step per update.
    pub fn measure(config: &ReproduceConfig) -> Fig1 {
        let rbp = RbpConfig {
            gamma0: paper::FIG1_GAMMA0,
            ..rbp_core::optim::Hyper::default().rbp
        };
        let per_epoch = config.updates_per_epoch().max(1) as u64;
        let steps: Vec<Step> = (0..=per_epoch * config.epochs as u64)
            .map(|t| {
                let clock = Clock {
                    t,
                    epoch: t / per_epoch,
                };
                Step {
                    t,
                    epoch: clock.epoch,
                    gamma: rbp.gamma(clock.epoch),
                    probability: rbp.probability(clock),
                }
            })
            .collect();
        // The inset has one point per epoch: the steps that start one.
        let starts = steps.iter().filter(|s| s.t % per_epoch == 0);
        Fig1 {
            rbp,
            per_epoch,
            train_size: config.train_size,
            batch: config.batch,
            probability: line(
                "1 - γ^t",
                steps.iter().map(|s| s.t as f64).collect(),
                steps.iter().map(|s| s.probability).collect(),
            ),
            gamma: line(
                "γ",
                starts.clone().map(|s| s.epoch as f64).collect(),
                starts.map(|s| s.gamma).collect(),
            ),
            steps,
        }
    }

    /// Writes `fig1_probability.csv` and both plots; returns the report's section.
    pub fn write(
        &self,
        out: &OutDir,
        files: &mut Vec<PathBuf>,
    ) -> Result<FigureOutput, ReproduceError> {
        let mut csv = Table::new(&["iteration", "epoch", "gamma", "probability"]);
        for s in &self.steps {
            csv.row_of(&[&s.t, &s.epoch, &s.gamma, &s.probability]);
        }
        save_text(out, FIG1[0], &csv.finish(), files)?;
        self.plots(out, files)?;
        Ok(self.output())
    }

    /// Draws `fig1_probability` and its inset `fig1_gamma`.
    fn plots(&self, out: &OutDir, files: &mut Vec<PathBuf>) -> Result<(), ReproduceError> {
        let probability = PlotSpec {
            title: format!(
                "Fig. 1: reinforcement probability (γ0 = {}, λ = {})",
                self.rbp.gamma0, self.rbp.lambda
            ),
            x_label: "iterations t".into(),
            y_label: "1 - γ^t".into(),
            ..PlotSpec::default()
        };
        let probability_series = std::slice::from_ref(&self.probability);
        save_plot(
            out,
            "fig1_probability",
            &probability,
            probability_series,
            files,
        )?;
        let gamma = PlotSpec {
            title: "Fig. 1 (inset): γ = γ0 exp(-λ t_ep)".into(),
            x_label: "epochs t_ep".into(),
            y_label: "γ".into(),
            ..PlotSpec::default()
        };
        save_plot(
            out,
            "fig1_gamma",
            &gamma,
            std::slice::from_ref(&self.gamma),
            files,
        )
    }

    /// The report's section: the captions and where the numbers come from.
    fn output(&self) -> FigureOutput {
        let caption = format!(
            "1 - γ^t against iterations ({} updates per epoch: M = {}, batch {})",
            self.per_epoch, self.train_size, self.batch
        );
        FigureOutput {
            id: "Fig. 1".into(),
            title: "Reinforcement probability".into(),
            plots: vec![
                (caption, "fig1_probability".into()),
                (
                    "γ against epochs (the paper's inset)".into(),
                    "fig1_gamma".into(),
                ),
            ],
            findings: vec![],
            notes: vec![format!(
                "Computed from `RbpConfig` with γ0 = {}, λ = {}: no training.",
                self.rbp.gamma0, self.rbp.lambda
            )],
        }
    }
}

/// A single curve without a spread band.
fn line(label: &str, x: Vec<f64>, y: Vec<f64>) -> Series {
    Series {
        label: label.into(),
        x,
        mean: y,
        std: None,
    }
}
