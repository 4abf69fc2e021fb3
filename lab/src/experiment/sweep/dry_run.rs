//! `rbp sweep --dry-run`: the run list and an estimate of its CPU time from a short calibration.

use super::{Sweep, SweepError, data};
use crate::report::format::{Num, seconds};
use crate::run::RunSpec;
use crate::run::pool::configure_blas;
use crate::run::runner::{self, TrainError};

/// `--dry-run`: the run list and an estimate of its CPU time.
pub struct DryRun {
    /// `(cell, spec)` in run-list order.
    pub runs: Vec<(usize, RunSpec)>,
    /// Estimated CPU seconds of all runs (sum over runs of epochs x measured seconds per epoch).
    pub cpu_seconds: f64,
    /// How the estimate was calibrated, one line.
    pub calibration: String,
}

/// Lists the sweep's runs and estimates their CPU time from a short calibration: a 1-epoch and
/// a 5-epoch run of each distinct (network, training-set size, optimizer), timed here.
pub fn dry_run(sweep: &Sweep) -> Result<DryRun, SweepError> {
    configure_blas(1, 1);
    let runs = sweep.runs();
    let data = sweep.data.run_data();
    data.prepare(runs.iter().map(|(_, spec)| spec))
        .map_err(|e| SweepError::Data(data::explain(&e)))?;
    type Key = (String, usize, &'static str);
    let mut costs: Vec<(Key, (f64, f64))> = Vec::new();
    let mut cpu_seconds = 0.0;
    for (_, spec) in &runs {
        let key = (
            spec.arch.to_string(),
            spec.task.train_size(),
            spec.optimizer.name(),
        );
        let (fixed, per_epoch) = match costs.iter().find(|(k, _)| *k == key) {
            Some((_, c)) => *c,
            None => {
                let c = runner::calibrate(spec, &data).map_err(|e| match e {
                    TrainError::Data(d) => SweepError::Data(data::explain(&d)),
                    other => SweepError::Train(other.to_string()),
                })?;
                costs.push((key, c));
                c
            }
        };
        cpu_seconds += fixed + per_epoch * spec.epochs as f64;
    }
    let calibration = format!(
        "calibration (1- and 5-epoch runs, single-threaded): {}",
        costs
            .iter()
            .map(|((a, m, o), (fixed, per_epoch))| format!(
                "{a} M={m} {o}: {} + {} s/epoch",
                seconds(*fixed, 3),
                Num::Fixed(4).show(*per_epoch)
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
    Ok(DryRun {
        runs,
        cpu_seconds,
        calibration,
    })
}
