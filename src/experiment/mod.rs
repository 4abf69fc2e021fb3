//! Experiments: grids of independent training runs (seeds x optimizers) on one task.

pub mod bench;
pub mod mnist;
pub mod output;
pub mod reproduce;
pub mod toy;

use crate::data::TrainTest;
use crate::init::{self, Init};
use crate::net::{Arch, Layout};
use crate::optim::{self, ConfigError, Hyper, OptimizerKind};
use crate::progress::Progress;
use crate::seed::{self, Stream};
use crate::train::{self, EpochRecord, Recording};
use rayon::prelude::*;
use serde::Serialize;

/// Settings shared by every experiment.
#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    #[serde(serialize_with = "serialize_display")]
    pub arch: Arch,
    pub batch: usize,
    pub epochs: usize,
    pub init: Init,
    pub hyper: Hyper,
    pub optimizers: Vec<OptimizerKind>,
    pub seeds: Vec<u64>,
    /// Independent runs trained at the same time (each with single-threaded BLAS when > 1).
    #[serde(skip)]
    pub workers: usize,
}

fn serialize_display<T: std::fmt::Display, S: serde::Serializer>(
    x: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(x)
}

/// Why an experiment's settings were rejected before any work.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Hyper(#[from] ConfigError),
    #[error("--batch {batch}: {why}")]
    Batch { batch: usize, why: String },
    #[error("--epochs must be at least 1")]
    NoEpochs,
    #[error("no seeds to run: --seeds must be at least 1")]
    NoSeeds,
    #[error("no optimizer selected: pass --optimizer sgd,rbp,adam or a subset")]
    NoOptimizers,
    #[error("{0}")]
    Other(String),
}

impl Settings {
    /// Checks everything that does not depend on the data, before any work.
    pub fn validate(&self, train_size: usize) -> Result<(), SettingsError> {
        self.hyper.validate()?;
        if self.batch == 0 {
            return Err(SettingsError::Batch {
                batch: 0,
                why: "a mini-batch needs at least one example".into(),
            });
        }
        if self.batch > train_size {
            return Err(SettingsError::Batch {
                batch: self.batch,
                why: format!("larger than the training set ({train_size} examples)"),
            });
        }
        if self.epochs == 0 {
            return Err(SettingsError::NoEpochs);
        }
        if self.seeds.is_empty() {
            return Err(SettingsError::NoSeeds);
        }
        if self.optimizers.is_empty() {
            return Err(SettingsError::NoOptimizers);
        }
        Ok(())
    }
}

/// One training run's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct RunResult {
    pub optimizer: OptimizerKind,
    pub seed: u64,
    pub records: Vec<EpochRecord>,
}

impl RunResult {
    pub fn last(&self) -> &EpochRecord {
        self.records.last().expect("a run records at least epoch 0")
    }
}

/// Trains every (seed, optimizer) pair. `make_split(seed)` draws the data of a seed once; every
/// optimizer of that seed trains on it from the same initial weights and batch order, so the
/// comparison is paired. Results come back ordered by seed, then optimizer, whatever the number
/// of workers: a run's numbers do not depend on scheduling.
pub fn run_grid<F>(settings: &Settings, make_split: F, progress: &Progress) -> Vec<RunResult>
where
    F: Fn(u64) -> TrainTest + Sync,
{
    let layout = Layout::new(settings.arch.clone());
    let run_seed = |seed: u64| -> Vec<RunResult> {
        let split = make_split(seed);
        settings
            .optimizers
            .par_iter()
            .map(|&kind| {
                run_one(
                    settings,
                    &layout,
                    &split,
                    kind,
                    seed,
                    Recording::EveryEpoch,
                    progress,
                )
            })
            .collect()
    };
    let workers = settings.workers.max(1);
    if workers == 1 {
        return settings.seeds.iter().flat_map(|&s| run_seed(s)).collect();
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build()
        .expect("a thread pool of a few threads can be created");
    pool.install(|| {
        settings
            .seeds
            .par_iter()
            .flat_map(|&s| run_seed(s))
            .collect()
    })
}

/// One run: seed's initial weights, seed's batch order, optimizer `kind` with seed's coin stream.
pub fn run_one(
    settings: &Settings,
    layout: &Layout,
    split: &TrainTest,
    kind: OptimizerKind,
    seed: u64,
    record: Recording,
    progress: &Progress,
) -> RunResult {
    let params = init::initial_params(layout, settings.init, seed);
    let coin_seed = seed::stream_seed(seed, Stream::Coin);
    let mut opt = optim::build(kind, &settings.hyper, layout.param_count(), coin_seed);
    let mut order = seed::rng(seed, Stream::Order);
    let schedule = train::Schedule {
        batch: settings.batch,
        epochs: settings.epochs,
        record,
    };
    let mut epochs_done = 0usize;
    let records = train::train(
        layout,
        params,
        split,
        opt.as_mut(),
        schedule,
        &mut order,
        &mut |_| {
            // Called once for epoch 0, then once per trained epoch.
            if epochs_done > 0 {
                progress.tick();
            }
            epochs_done += 1;
        },
    );
    RunResult {
        optimizer: kind,
        seed,
        records,
    }
}
