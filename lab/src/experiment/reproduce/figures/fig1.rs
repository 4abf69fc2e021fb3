//! Fig. 1: the reinforcement probability, computed from `RbpConfig` (no training).

use super::{FIG1, FigureOutput, plot, write};
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
    let rbp = RbpConfig {
        gamma0: paper::FIG1_GAMMA0,
        ..rbp_core::optim::Hyper::default().rbp
    };
    let per_epoch = config.updates_per_epoch().max(1) as u64;
    let iterations = per_epoch * config.epochs as u64;
    let mut csv = Table::new(&["iteration", "epoch", "gamma", "probability"]);
    let (mut it, mut prob, mut epochs, mut gammas) = (vec![], vec![], vec![], vec![]);
    for t in 0..=iterations {
        let clock = Clock {
            t,
            epoch: t / per_epoch,
        };
        let (g, p) = (rbp.gamma(clock.epoch), rbp.probability(clock));
        csv.row_of(&[&t, &clock.epoch, &g, &p]);
        it.push(t as f64);
        prob.push(p);
        if t % per_epoch == 0 {
            epochs.push(clock.epoch as f64);
            gammas.push(g);
        }
    }
    write(out, FIG1[0], &csv.finish(), files)?;
    let one = |label: &str, x: Vec<f64>, y: Vec<f64>| Series {
        label: label.into(),
        x,
        mean: y,
        std: None,
    };
    plot(
        out,
        "fig1_probability",
        &PlotSpec {
            title: format!(
                "Fig. 1: reinforcement probability (γ0 = {}, λ = {})",
                rbp.gamma0, rbp.lambda
            ),
            x_label: "iterations t".into(),
            y_label: "1 - γ^t".into(),
            ..PlotSpec::default()
        },
        &[one("1 - γ^t", it, prob)],
        files,
    )?;
    plot(
        out,
        "fig1_gamma",
        &PlotSpec {
            title: "Fig. 1 (inset): γ = γ0 exp(-λ t_ep)".into(),
            x_label: "epochs t_ep".into(),
            y_label: "γ".into(),
            ..PlotSpec::default()
        },
        &[one("γ", epochs, gammas)],
        files,
    )?;
    Ok(FigureOutput {
        id: "Fig. 1".into(),
        title: "Reinforcement probability".into(),
        plots: vec![
            (
                format!(
                    "1 - γ^t against iterations ({per_epoch} updates per epoch: M = {}, batch {})",
                    config.train_size, config.batch
                ),
                "fig1_probability".into(),
            ),
            (
                "γ against epochs (the paper's inset)".into(),
                "fig1_gamma".into(),
            ),
        ],
        findings: vec![],
        notes: vec![format!(
            "Computed from `RbpConfig` with γ0 = {}, λ = {}: no training.",
            rbp.gamma0, rbp.lambda
        )],
    })
}
