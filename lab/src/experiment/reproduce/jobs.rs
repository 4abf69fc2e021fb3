//! The training runs every figure needs, deduplicated and scheduled on a pool of workers.
//!
//! Figures share runs: Fig. 2's R-BackProp runs are Fig. 3's default point, and Fig. 2's runs at
//! the default `M` are a column of Fig. 4. Each distinct run is trained once, with its full curve
//! only when some figure plots it. Runs are started biggest first (rayon's FIFO scope), so both
//! cores stay busy to the end; each run's numbers depend only on its key, never on which
//! worker trained it or when.

use super::{Figure, ReproduceConfig};
use crate::experiment::grid::run_in_order;
use crate::experiment::{GridError, RunResult, Settings, run_one};
use crate::progress::Progress;
use rbp_core::data::teacher;
use rbp_core::init::Init;
use rbp_core::net::Layout;
use rbp_core::optim::{Hyper, OptimizerKind, Reinforce};
use rbp_core::train::Recording;
use std::collections::BTreeMap;

/// What makes a run distinct. R-BackProp's `(gamma0, lambda)` are part of the key only for the
/// optimizers that use its schedule `p(t)` (R-BackProp and the momentum and scaled-SGD controls;
/// the others ignore them), so identical runs are shared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunKey {
    pub reading: usize,
    pub train_size: usize,
    /// Index in [`OptimizerKind::ALL`].
    optimizer: usize,
    pub seed: u64,
    gamma0_bits: u64,
    lambda_bits: u64,
    /// R-BackProp with the random-sign noise control in place of the reading's `g_prev`.
    random_sign: bool,
}

/// Whether `kind` reads R-BackProp's `(gamma0, lambda)`.
fn uses_reinforcement_schedule(kind: OptimizerKind) -> bool {
    matches!(
        kind,
        OptimizerKind::Rbp | OptimizerKind::Momentum | OptimizerKind::ScaledSgd
    )
}

impl RunKey {
    /// The key of a run; `rbp` = `(gamma0, lambda)` (ignored unless `optimizer` is R-BackProp).
    pub fn new(
        reading: usize,
        train_size: usize,
        optimizer: OptimizerKind,
        seed: u64,
        rbp: (f64, f64),
    ) -> RunKey {
        let (g, l) = if uses_reinforcement_schedule(optimizer) {
            (rbp.0.to_bits(), rbp.1.to_bits())
        } else {
            (0, 0)
        };
        RunKey {
            reading,
            train_size,
            optimizer: OptimizerKind::ALL
                .iter()
                .position(|&k| k == optimizer)
                .expect("ALL lists every optimizer"),
            seed,
            gamma0_bits: g,
            lambda_bits: l,
            random_sign: false,
        }
    }
    /// R-BackProp at `rbp = (gamma0, lambda)` whose reinforcement adds `g_prev` with a random
    /// sign (`Reinforce::RandomSign`), otherwise under reading `reading`.
    pub fn random_sign_control(
        reading: usize,
        train_size: usize,
        seed: u64,
        rbp: (f64, f64),
    ) -> RunKey {
        RunKey {
            random_sign: true,
            ..RunKey::new(reading, train_size, OptimizerKind::Rbp, seed, rbp)
        }
    }
    pub fn optimizer(&self) -> OptimizerKind {
        OptimizerKind::ALL[self.optimizer]
    }
    fn rbp(&self) -> Option<(f64, f64)> {
        uses_reinforcement_schedule(self.optimizer()).then(|| {
            (
                f64::from_bits(self.gamma0_bits),
                f64::from_bits(self.lambda_bits),
            )
        })
    }
}

/// One run to train: its key, whether every epoch is measured, and the figures waiting on it.
#[derive(Clone, Debug)]
pub struct Job {
    pub key: RunKey,
    pub full_curve: bool,
    pub figures: Vec<Figure>,
}

/// The runs of all figures, without duplicates.
#[derive(Default, Debug)]
pub struct Plan {
    jobs: BTreeMap<RunKey, Job>,
}

impl Plan {
    /// Asks for a run; a run asked for twice is trained once (with its curve if either asks).
    pub fn want(&mut self, key: RunKey, full_curve: bool, figure: Figure) {
        let job = self.jobs.entry(key).or_insert(Job {
            key,
            full_curve,
            figures: Vec::new(),
        });
        job.full_curve |= full_curve;
        if !job.figures.contains(&figure) {
            job.figures.push(figure);
        }
    }
    pub fn len(&self) -> usize {
        self.jobs.len()
    }
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }
    /// Runs each figure waits on.
    pub fn count_for(&self, figure: Figure) -> usize {
        self.jobs
            .values()
            .filter(|j| j.figures.contains(&figure))
            .count()
    }
    /// Jobs biggest first (cost ~ training-set size), ties in key order: a fixed order.
    pub fn ordered(&self) -> Vec<Job> {
        let mut jobs: Vec<Job> = self.jobs.values().cloned().collect();
        jobs.sort_by(|a, b| {
            b.key
                .train_size
                .cmp(&a.key.train_size)
                .then(a.key.cmp(&b.key))
        });
        jobs
    }
}

/// Settings of one run of `key` under `config`.
fn settings_for(config: &ReproduceConfig, key: &RunKey) -> Settings {
    let mut settings = Settings {
        arch: config.arch.clone(),
        batch: config.batch,
        epochs: config.epochs,
        init: Init::Lecun,
        hyper: Hyper::default(),
        optimizers: vec![key.optimizer()],
        seeds: vec![key.seed],
        workers: 1,
        blas_threads: 1,
    };
    config.readings[key.reading].apply(&mut settings);
    if let Some((gamma0, lambda)) = key.rbp() {
        settings.hyper.rbp.gamma0 = gamma0;
        settings.hyper.rbp.lambda = lambda;
    }
    if key.random_sign {
        settings.hyper.rbp.reinforce = Reinforce::RandomSign;
    }
    settings
}

/// Trains one job: draws its seed's teacher data, then runs it (single-threaded).
fn train_job(
    config: &ReproduceConfig,
    job: &Job,
    epochs_bar: &Progress,
) -> Result<RunResult, GridError> {
    let settings = settings_for(config, &job.key);
    let layout = Layout::new(settings.arch.clone())?;
    let arch = &settings.arch;
    let split = teacher::teacher_student(
        arch.input_width(),
        arch.output_width(),
        job.key.train_size,
        job.key.seed,
    )?;
    let record = if job.full_curve {
        Recording::EveryEpoch
    } else {
        Recording::FinalOnly
    };
    run_one(
        &settings,
        &layout,
        &split,
        job.key.optimizer(),
        job.key.seed,
        record,
        epochs_bar,
        None,
    )
}

/// Trains every job of `plan` on `workers` threads, biggest first; returns the results by key.
/// `epochs_bar` ticks once per trained epoch; `on_done(job)` is called as each run finishes
/// (per-figure progress).
pub fn execute(
    config: &ReproduceConfig,
    plan: &Plan,
    workers: usize,
    epochs_bar: &Progress,
    on_done: &(dyn Fn(&Job) + Sync),
) -> Result<BTreeMap<RunKey, RunResult>, GridError> {
    let jobs = plan.ordered();
    let results = run_in_order(jobs.len(), workers, |i| {
        let run = train_job(config, &jobs[i], epochs_bar);
        on_done(&jobs[i]);
        run
    })?;
    jobs.iter()
        .zip(results)
        .map(|(job, run)| Ok((job.key, run?)))
        .collect()
}
