//! `rbp landscape`: the curvature and flatness of the solutions each optimizer finds (issue 11),
//! to test the paper's explanation that R-BackProp is "attracted by the dense region with nice
//! generalization properties ... expected to be flat on the loss landscape" (Sec. II-III).
//!
//! Every (seed, optimizer) run is trained exactly as by `rbp toy` / `rbp mnist` (same data,
//! initial weights, batch order and coin), keeping the weights at the chosen epochs; each kept
//! solution is then probed ([`probe`]): top Hessian eigenvalues, trace, spectral density,
//! epsilon-sharpness and a 1-D loss slice. [`report`] summarizes over seeds.

pub mod command;
pub mod probe;
pub mod report;

use super::{Settings, SettingsError, grid};
use crate::progress::Progress;
use crate::report::summary::headline;
use crate::run::pool::{PoolError, configure_blas, run_in_order};
use crate::run::{
    self, ExecuteError, HeldOut, Hooks, Keep, Kept, Mode, RunData, RunDataError, RunSpec, RunStore,
    Status, StoredRun, Task,
};
use probe::{Measures, ProbeConfig, ProbeError};
use rbp_core::net::Layout;
use rbp_core::optim::OptimizerKind;
use rbp_core::oracle::Precision;
use rbp_core::train::EpochRecord;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which epoch's weights of a run to probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Moment {
    /// After the last epoch.
    Final,
    /// The epoch of lowest validation error (classification error when there is one), measured
    /// by the run's validation twin (same examples, weights and batch order, scored on validation
    /// examples), so the test split never chooses what is probed; the earliest on ties; epoch 0
    /// counts.
    Best,
    /// After this many epochs.
    Epoch(usize),
}

impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Moment::Final => f.write_str("final"),
            Moment::Best => f.write_str("best"),
            Moment::Epoch(e) => write!(f, "{e}"),
        }
    }
}

impl FromStr for Moment {
    type Err = String;
    fn from_str(s: &str) -> Result<Moment, String> {
        match s.trim() {
            "final" => Ok(Moment::Final),
            "best" => Ok(Moment::Best),
            other => other.parse().map(Moment::Epoch).map_err(|_| {
                format!("`{other}` is not an epoch: give final, best or a number of epochs")
            }),
        }
    }
}

/// The landscape study: runs as `settings` says, probed at `moments`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LandscapeConfig {
    /// Network, optimizers, seeds, schedule (as `rbp toy` / `rbp mnist`).
    pub settings: Settings,
    /// Which epochs of each run to probe.
    pub moments: Vec<Moment>,
    /// How much each probe measures.
    pub probe: ProbeConfig,
}

impl LandscapeConfig {
    /// Rejects nonsense before any work.
    pub fn validate(&self, train_size: usize) -> Result<(), SettingsError> {
        self.settings.validate(train_size)?;
        self.probe.validate()?;
        let weights = self.settings.arch.weight_count();
        if self.probe.top_k as u128 > weights {
            return Err(SettingsError::new(
                "probe.top_k",
                format!(
                    "{} is more than the {weights} weights of a {} network (one eigenvalue each)",
                    self.probe.top_k, self.settings.arch
                ),
            ));
        }
        if self.moments.is_empty() {
            return Err(SettingsError::new(
                "moments",
                "no epoch to probe: give final, best or epoch numbers",
            ));
        }
        for m in &self.moments {
            if let Moment::Epoch(e) = m
                && *e > self.settings.epochs
            {
                return Err(SettingsError::new(
                    "moments",
                    format!(
                        "epoch {e} is past the last epoch ({})",
                        self.settings.epochs
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// One probed solution.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Solution {
    /// The optimizer that found it.
    pub optimizer: OptimizerKind,
    /// The run seed.
    pub seed: u64,
    /// Which moments asked for this epoch (`final`, `best`, ...; one probe serves several).
    pub moments: Vec<Moment>,
    /// The errors at that epoch (on test).
    pub record: EpochRecord,
    /// The validation error at that epoch (classification error when there is one), when the
    /// study trained validation twins (the `best` moment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_error: Option<f64>,
    /// The run's errors after its last epoch.
    pub final_record: EpochRecord,
    /// The measures.
    pub measures: Measures,
}

impl Solution {
    /// The test error compared across runs: classification error when there is one, else `E`.
    pub fn test_error(&self) -> f64 {
        headline(&self.record)
    }
}

/// Why the study could not run.
#[derive(Debug, thiserror::Error)]
pub enum LandscapeError {
    /// Nonsense settings.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// Training could not run.
    #[error(transparent)]
    Execute(#[from] ExecuteError),
    /// The worker pool could not start.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// A run's examples could not be had again for its probe.
    #[error(transparent)]
    Data(#[from] RunDataError),
    /// Runs could not train at all; the text names them.
    #[error("{0}")]
    Failed(String),
    /// A probe failed.
    #[error("run {label}, epoch {epoch}: {source}")]
    Probe {
        /// Which run.
        label: String,
        /// Which epoch.
        epoch: usize,
        /// Why.
        source: ProbeError,
    },
}

/// Progress of the study: epochs trained and solutions probed, each with an ETA.
pub struct StudyProgress {
    /// Epochs trained.
    pub training: Progress,
    /// Solutions probed.
    pub probes: Progress,
    /// Draws both bars (kept alive with them).
    _multi: indicatif::MultiProgress,
}

impl StudyProgress {
    /// Two bars on stderr when `show`: `epochs` to train and `solutions` to probe.
    pub fn new(epochs: u64, solutions: u64, show: bool) -> StudyProgress {
        let multi = indicatif::MultiProgress::with_draw_target(if show {
            indicatif::ProgressDrawTarget::stderr()
        } else {
            indicatif::ProgressDrawTarget::hidden()
        });
        StudyProgress {
            training: Progress::in_multi(&multi, epochs, "training", "epochs"),
            probes: Progress::in_multi(&multi, solutions, "probes", "solutions"),
            _multi: multi,
        }
    }
    /// Clears both bars.
    pub fn finish(&self) {
        self.training.finish();
        self.probes.finish();
    }
}

/// Trains every (seed, optimizer) run of `config` on `task` through the runner (as `rbp toy` /
/// `rbp mnist` would, keeping the weights at the chosen moments, in `store` when given so an
/// interrupted study continues) and probes the solutions. With the `best` moment each run also
/// has a validation twin, which chooses that epoch and keeps its weights. Results are ordered by
/// seed, optimizer, then epoch; they do not depend on `settings.workers`.
pub fn run(
    config: &LandscapeConfig,
    task: &Task,
    data: &RunData,
    store: Option<&RunStore>,
    save_every: Option<usize>,
    progress: &StudyProgress,
) -> Result<Study, LandscapeError> {
    let settings = &config.settings;
    configure_blas(settings.workers, settings.blas_threads);
    let tested = grid::plan(settings, task, Precision::F32);
    let specs = with_validation_twins(config, &tested);
    let keep = MomentKeep::new(config);
    let hooks = Hooks {
        observer: &progress.training,
        save_every,
        keep: Some(&keep),
    };
    let executed = run::execute(
        &specs,
        store,
        Mode::Train(None),
        settings.workers,
        data,
        hooks,
    )?;
    let (jobs, diverged) = to_probe(config, &specs, &executed, tested.len())?;
    let probed = run_in_order(jobs.len(), settings.workers, |i| {
        probe_one(config, data, &jobs[i], progress)
    })?;
    Ok(Study {
        solutions: probed.into_iter().collect::<Result<_, _>>()?,
        diverged,
    })
}

/// The runs of `tested`, then (when the `best` moment is asked for) their validation twins in
/// the same order.
pub fn with_validation_twins(config: &LandscapeConfig, tested: &[RunSpec]) -> Vec<RunSpec> {
    let twins = tested.iter().map(|spec| RunSpec {
        held_out: HeldOut::Validation,
        ..spec.clone()
    });
    let wants_best = config.moments.contains(&Moment::Best);
    tested
        .iter()
        .cloned()
        .chain(twins.take(if wants_best { tested.len() } else { 0 }))
        .collect()
}

/// One run's results: its own and, with the `best` moment, its validation twin's.
struct Trained<'a> {
    result: &'a StoredRun,
    kept: &'a [Kept],
    twin: Option<(&'a StoredRun, &'a [Kept])>,
}

/// The solutions to probe, and the runs that diverged (named, not probed).
fn to_probe<'a>(
    config: &LandscapeConfig,
    specs: &'a [RunSpec],
    executed: &'a run::Executed,
    tested: usize,
) -> Result<(Vec<ToProbe<'a>>, Vec<DivergedRun>), LandscapeError> {
    let trained = |i: usize| {
        let result = executed.runs[i]
            .as_ref()
            .expect("every run is trained or read");
        match result.could_not_train() {
            Some(reason) => Err(LandscapeError::Failed(format!(
                "run {}: {reason}",
                specs[i].label()
            ))),
            None => Ok((result, executed.kept[i].as_slice())),
        }
    };
    let (mut jobs, mut diverged) = (Vec::new(), Vec::new());
    for (i, spec) in specs[..tested].iter().enumerate() {
        let (result, kept) = trained(i)?;
        let twin = match specs.len() > tested {
            true => Some(trained(tested + i)?),
            false => None,
        };
        let failed = [Some(result), twin.map(|t| t.0)]
            .into_iter()
            .flatten()
            .find_map(|r| match r.status {
                Status::Failed { epoch, .. } => Some(epoch),
                Status::Finished => None,
            });
        // A diverged run has no solution worth probing: it is named, not measured.
        match failed {
            Some(epoch) => diverged.push(DivergedRun {
                optimizer: spec.optimizer,
                seed: spec.seed,
                epoch,
            }),
            None => jobs.extend(solutions_of(config, spec, &Trained { result, kept, twin })),
        }
    }
    Ok((jobs, diverged))
}

/// Probes one kept solution on its run's training and test examples.
fn probe_one(
    config: &LandscapeConfig,
    data: &RunData,
    job: &ToProbe<'_>,
    progress: &StudyProgress,
) -> Result<Solution, LandscapeError> {
    let spec = job.spec;
    let split = data.split(spec)?;
    let layout = Layout::new(spec.arch.clone()).expect("the runs laid it out");
    let measures =
        probe::probe(&layout, job.params, &split, &config.probe, spec.seed).map_err(|source| {
            LandscapeError::Probe {
                label: spec.label(),
                epoch: job.record.epoch,
                source,
            }
        })?;
    progress.probes.tick();
    Ok(Solution {
        optimizer: spec.optimizer,
        seed: spec.seed,
        moments: job.moments.clone(),
        record: job.record,
        validation_error: job.validation_error,
        final_record: job.final_record,
        measures,
    })
}

/// A run whose errors went non-finite: left out of the study, and said so.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DivergedRun {
    pub optimizer: OptimizerKind,
    pub seed: u64,
    /// The first measured epoch with a non-finite error.
    pub epoch: usize,
}

/// What the study found: every probed solution, and the runs that diverged.
#[derive(Clone, Debug)]
pub struct Study {
    pub solutions: Vec<Solution>,
    pub diverged: Vec<DivergedRun>,
}

/// A kept solution of a run, to probe.
struct ToProbe<'a> {
    spec: &'a RunSpec,
    moments: Vec<Moment>,
    record: EpochRecord,
    validation_error: Option<f64>,
    final_record: EpochRecord,
    params: &'a [f32],
}

/// The epochs of a run whose weights the study keeps: the fixed ones from each run, and the best
/// so far on validation from each validation twin.
struct MomentKeep {
    fixed: Vec<usize>,
    wants_best: bool,
}

impl MomentKeep {
    fn new(config: &LandscapeConfig) -> MomentKeep {
        let fixed = config.moments.iter().filter_map(|m| match m {
            Moment::Epoch(e) => Some(*e),
            Moment::Final => Some(config.settings.epochs),
            Moment::Best => None,
        });
        MomentKeep {
            fixed: fixed.collect(),
            wants_best: config.moments.contains(&Moment::Best),
        }
    }
}

impl Keep for MomentKeep {
    fn held(&self, spec: &RunSpec, records: &[EpochRecord]) -> Vec<usize> {
        match spec.held_out {
            HeldOut::Test => records
                .iter()
                .map(|r| r.epoch)
                .filter(|e| self.fixed.contains(e))
                .collect(),
            HeldOut::Validation => match (self.wants_best, best_record(records)) {
                (true, Some(best)) => vec![best.epoch],
                _ => Vec::new(),
            },
        }
    }
}

/// The record of lowest held-out error (classification error when there is one); the earliest
/// on ties.
fn best_record(records: &[EpochRecord]) -> Option<&EpochRecord> {
    records
        .iter()
        .fold(None, |best: Option<&EpochRecord>, r| match best {
            Some(b) if headline(r) >= headline(b) || headline(r).is_nan() => Some(b),
            _ => Some(r),
        })
}

/// The solutions to probe in one run, one per distinct epoch (merging the moments that ask for
/// it), in epoch order, each with its weights (the run's, or its twin's: they are the same
/// weights) and its test and validation errors.
fn solutions_of<'a>(
    config: &LandscapeConfig,
    spec: &'a RunSpec,
    run: &Trained<'a>,
) -> Vec<ToProbe<'a>> {
    let records = &run.result.result.records;
    let twin_records = run.twin.map(|(t, _)| t.result.records.as_slice());
    let final_record = *records.last().expect("epoch 0 is recorded");
    let mut out: Vec<ToProbe<'a>> = Vec::new();
    for &moment in &config.moments {
        let epoch = match moment {
            Moment::Best => {
                let validation = twin_records.expect("the best moment trains twins");
                best_record(validation)
                    .expect("records are never empty")
                    .epoch
            }
            Moment::Final => config.settings.epochs,
            Moment::Epoch(e) => e,
        };
        if let Some(p) = out.iter_mut().find(|p| p.record.epoch == epoch) {
            p.moments.push(moment);
            continue;
        }
        let kept = run
            .kept
            .iter()
            .chain(run.twin.into_iter().flat_map(|t| t.1));
        out.push(ToProbe {
            spec,
            moments: vec![moment],
            record: *at_epoch(records, epoch),
            validation_error: twin_records.map(|v| headline(at_epoch(v, epoch))),
            final_record,
            params: &kept
                .into_iter()
                .find(|k| k.epoch == epoch)
                .expect("kept epochs")
                .params,
        });
    }
    out.sort_by_key(|p| p.record.epoch);
    out
}

/// The record of `epoch` (every epoch is recorded).
fn at_epoch(records: &[EpochRecord], epoch: usize) -> &EpochRecord {
    records
        .iter()
        .find(|r| r.epoch == epoch)
        .expect("every epoch is recorded")
}
