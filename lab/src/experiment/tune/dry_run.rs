//! `rbp tune --dry-run`: the trial runs, how many final reruns will follow, and an estimate of
//! the time from a short calibration of each task and optimizer.

use super::plan::{self, TrialRun};
use super::spec::Tune;
use super::{TuneError, explain};
use crate::report::format::{Num, seconds};
use crate::run::pool::configure_blas;
use crate::run::runner::{self, TrainError};
use std::fmt::Write as _;

/// The most trial runs listed one by one.
pub const LISTED: usize = 100;

/// What a dry run found.
pub struct DryRun {
    /// Every trial run, in run-list order.
    pub trials: Vec<TrialRun>,
    /// The most final reruns (fewer when a setting is selected at several budgets).
    pub finals_at_most: usize,
    /// Estimated CPU seconds of the trials and of the most final reruns.
    pub cpu_seconds: (f64, f64),
    /// How the estimate was calibrated, one line per task.
    pub calibration: Vec<String>,
}

/// Plans the study and times a 1- and a 5-epoch run of each task and optimizer (trial 0's
/// setting), single-threaded, to estimate the CPU time.
pub fn dry_run(tune: &Tune) -> Result<DryRun, TuneError> {
    configure_blas(1, 1);
    let trials = plan::trials(tune);
    let data = tune.data.run_data();
    data.prepare(trials.iter().map(|t| &t.spec))
        .map_err(|e| TuneError::Data(explain(&e)))?;
    let per_setting = tune.budgets.len() * tune.final_seeds.len();
    let mut cpu = (0.0, 0.0);
    let mut calibration = Vec::new();
    for t in 0..tune.tasks.len() {
        let mut line = format!("{}:", tune.tasks[t].name());
        for o in 0..tune.spaces.len() {
            let first = trials
                .iter()
                .find(|r| r.task == t && r.optimizer == o)
                .expect("every task and optimizer has trials");
            let (fixed, per_epoch) =
                runner::calibrate(&first.spec, &data).map_err(|e| match e {
                    TrainError::Data(d) => TuneError::Data(explain(&d)),
                    other => TuneError::Train(other.to_string()),
                })?;
            let run = fixed + per_epoch * tune.epochs as f64;
            cpu.0 += run * (tune.trials * tune.trial_seeds.len()) as f64;
            cpu.1 += run * per_setting as f64;
            let _ = write!(
                line,
                " {} {} s/run",
                tune.spaces[o].tuned.name(),
                Num::Fixed(2).show(run)
            );
        }
        calibration.push(line);
    }
    Ok(DryRun {
        finals_at_most: tune.tasks.len() * tune.spaces.len() * per_setting,
        trials,
        cpu_seconds: cpu,
        calibration,
    })
}

impl DryRun {
    /// What `rbp tune --dry-run` prints: counts, the first [`LISTED`] trial runs (index, id,
    /// task, optimizer, trial, seed, setting), the calibration and the estimated time on
    /// `workers` workers.
    pub fn listing(&self, tune: &Tune, workers: usize) -> String {
        let mut out = format!(
            "{} trial runs ({} tasks x {} optimizers x {} trials x {} seeds, on validation), then \
             at most {} final reruns ({} budgets x {} fresh seeds per task and optimizer, on \
             test):\n",
            self.trials.len(),
            tune.tasks.len(),
            tune.spaces.len(),
            tune.trials,
            tune.trial_seeds.len(),
            self.finals_at_most,
            tune.budgets.len(),
            tune.final_seeds.len()
        );
        for (i, r) in self.trials.iter().enumerate().take(LISTED) {
            let setting: Vec<String> = r
                .values
                .iter()
                .map(|(p, v)| format!("{}={}", p.key(), Num::Sci(2).show(*v)))
                .collect();
            let _ = writeln!(
                out,
                "{i:>5} {} {} {} trial {} seed {} [{}]",
                r.spec.id(),
                tune.tasks[r.task].name(),
                tune.spaces[r.optimizer].tuned.name(),
                r.index,
                r.seed,
                setting.join(", ")
            );
        }
        if self.trials.len() > LISTED {
            let _ = writeln!(
                out,
                "  ... and {} more trial runs, not listed",
                self.trials.len() - LISTED
            );
        }
        let _ = writeln!(
            out,
            "calibration (1- and 5-epoch runs, single-threaded, trial 0's setting):"
        );
        for line in &self.calibration {
            let _ = writeln!(out, "  {line}");
        }
        let (trials, finals) = self.cpu_seconds;
        let total = trials + finals;
        let _ = writeln!(
            out,
            "estimated CPU time: {} for the trials + at most {} for the final reruns (about {} of \
             wall time on {workers} worker(s), more on a busy machine)",
            seconds(trials, 0),
            seconds(finals, 0),
            seconds(total / workers.max(1) as f64, 0)
        );
        out
    }
}
