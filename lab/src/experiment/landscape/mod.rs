//! `rbp landscape`: the curvature and flatness of the solutions each optimizer finds (issue 11),
//! to test the paper's explanation that R-BackProp is "attracted by the dense region with nice
//! generalization properties ... expected to be flat on the loss landscape" (Sec. II-III).
//!
//! Every (seed, optimizer) run is trained exactly as by `rbp toy` / `rbp mnist` (same data,
//! initial weights, batch order and coin), keeping the weights at the chosen epochs; each kept
//! solution is then probed ([`probe`]): top Hessian eigenvalues, trace, spectral density,
//! epsilon-sharpness and a 1-D loss slice. [`report`] summarizes over seeds.

pub mod probe;
pub mod report;

use super::grid::{configure_blas, run_in_order, run_label};
use super::{GridError, Settings, SettingsError};
use crate::progress::Progress;
use crate::report::summary::headline;
use probe::{Measures, ProbeConfig, ProbeError};
use rbp_core::data::TrainTest;
use rbp_core::init;
use rbp_core::memory::AllocError;
use rbp_core::net::Layout;
use rbp_core::optim::{Optimizer, OptimizerKind};
use rbp_core::seed::{self, Stream};
use rbp_core::train::{EpochRecord, Recording, Run, Schedule};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which epoch's weights of a run to probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Moment {
    /// After the last epoch.
    Final,
    /// The epoch of lowest test error (classification error when there is one); the earliest on
    /// ties; epoch 0 counts.
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
    /// The errors at that epoch.
    pub record: EpochRecord,
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
    /// Training failed.
    #[error(transparent)]
    Grid(#[from] GridError),
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

/// Trains every (seed, optimizer) run of `config` and probes its chosen solutions. `make_split`
/// draws a seed's data (as for `rbp toy` / `rbp mnist`). Results are ordered by seed, optimizer,
/// then epoch; they do not depend on `settings.workers`.
pub fn run<F>(
    config: &LandscapeConfig,
    make_split: F,
    progress: &StudyProgress,
) -> Result<Vec<Solution>, LandscapeError>
where
    F: Fn(u64) -> Result<TrainTest, AllocError> + Sync,
{
    let settings = &config.settings;
    let layout = Layout::new(settings.arch.clone()).map_err(GridError::from)?;
    configure_blas(settings.workers, settings.blas_threads);
    let jobs: Vec<(u64, OptimizerKind)> = settings
        .seeds
        .iter()
        .flat_map(|&s| settings.optimizers.iter().map(move |&k| (s, k)))
        .collect();
    let results = run_in_order(jobs.len(), settings.workers, |i| {
        let (seed, kind) = jobs[i];
        let split = make_split(seed).map_err(GridError::from)?;
        let kept = train_keeping(config, &layout, &split, kind, seed, &progress.training)?;
        let mut out = Vec::new();
        for k in kept {
            let measures = probe::probe(&layout, &k.params, &split, &config.probe, seed).map_err(
                |source| LandscapeError::Probe {
                    label: run_label(kind, seed),
                    epoch: k.record.epoch,
                    source,
                },
            )?;
            progress.probes.tick();
            out.push(Solution {
                optimizer: kind,
                seed,
                moments: k.moments,
                record: k.record,
                final_record: k.final_record,
                measures,
            });
        }
        Ok::<_, LandscapeError>(out)
    })?;
    let mut all = Vec::new();
    for r in results {
        all.extend(r?);
    }
    Ok(all)
}

/// Weights kept from a run at the epoch some moments asked for.
struct Kept {
    moments: Vec<Moment>,
    record: EpochRecord,
    final_record: EpochRecord,
    params: Vec<f32>,
}

/// Trains one run as [`super::run_one`] does and keeps the weights at `config.moments`.
fn train_keeping(
    config: &LandscapeConfig,
    layout: &Layout,
    split: &TrainTest,
    kind: OptimizerKind,
    seed: u64,
    progress: &Progress,
) -> Result<Vec<Kept>, LandscapeError> {
    let settings = &config.settings;
    let run_err = |source| GridError::Run {
        label: run_label(kind, seed),
        source,
    };
    let params = init::initial_params(layout, settings.init, seed).map_err(GridError::from)?;
    let coin_seed = seed::stream_seed(seed, Stream::Coin);
    let opt = Optimizer::new(kind, &settings.hyper, layout.param_count(), coin_seed)
        .map_err(GridError::from)?;
    let schedule = Schedule {
        batch: settings.batch,
        epochs: settings.epochs,
        record: Recording::EveryEpoch,
    };
    let order = seed::rng(seed, Stream::Order);
    let mut run = Run::start(layout, params, split, opt, schedule, order).map_err(run_err)?;
    let fixed: Vec<usize> = config
        .moments
        .iter()
        .filter_map(|m| match m {
            Moment::Epoch(e) => Some(*e),
            Moment::Final => Some(settings.epochs),
            Moment::Best => None,
        })
        .collect();
    let wants_best = config.moments.contains(&Moment::Best);
    // Weights at the fixed epochs, and at the best epoch so far.
    let mut at_epoch: Vec<(EpochRecord, Vec<f32>)> = Vec::new();
    let mut best: Option<(EpochRecord, Vec<f32>)> = None;
    let mut keep = |record: &EpochRecord, params: &[f32]| {
        if fixed.contains(&record.epoch) {
            at_epoch.push((*record, params.to_vec()));
        }
        if wants_best
            && best
                .as_ref()
                .is_none_or(|(b, _)| headline(record) < headline(b))
        {
            best = Some((*record, params.to_vec()));
        }
    };
    keep(&run.records()[0], run.params());
    while !run.is_finished() {
        let record = *run.train_epoch();
        progress.tick();
        keep(&record, run.params());
    }
    let final_record = *run.records().last().expect("epoch 0 is recorded");
    let mut kept: Vec<Kept> = Vec::new();
    let mut add = |moment: Moment, record: EpochRecord, params: &[f32]| match kept
        .iter_mut()
        .find(|k| k.record.epoch == record.epoch)
    {
        Some(k) => k.moments.push(moment),
        None => kept.push(Kept {
            moments: vec![moment],
            record,
            final_record,
            params: params.to_vec(),
        }),
    };
    for &m in &config.moments {
        let (record, params) = match m {
            Moment::Best => best.as_ref().expect("kept when asked for"),
            Moment::Final => at_epoch
                .iter()
                .find(|(r, _)| r.epoch == settings.epochs)
                .expect("the last epoch is kept"),
            Moment::Epoch(e) => at_epoch
                .iter()
                .find(|(r, _)| r.epoch == e)
                .expect("validated epochs are kept"),
        };
        add(m, *record, params);
    }
    kept.sort_by_key(|k| k.record.epoch);
    Ok(kept)
}
