//! The training runs every figure needs, deduplicated and scheduled on a pool of workers.
//!
//! Figures share runs: Fig. 2's R-BackProp runs are Fig. 3's default point, and Fig. 2's runs at
//! the default `M` are a column of Fig. 4. Each distinct run is trained once, with its full curve
//! only when some figure plots it. Runs are started biggest first (rayon's FIFO scope), so both
//! cores stay busy to the end; each run's numbers depend only on its key, never on which
//! worker trained it or when. Every run goes through the run store (`DIR/runs/<id>.json`), so an
//! interrupted reproduction continues where it stopped and shards can share the work.

use super::{Figure, ReproduceConfig};
use crate::experiment::stored::{self, RunBars, Running, StoredError};
use crate::experiment::{Settings, protocol};
use crate::report::files::OutDir;
use crate::run::{
    Executed, HeldOut, Mode, Pool, RunData, RunSpec, RunStore, StoredRun, Task, TestSize,
};
use rbp_core::optim::{OptimizerKind, Reinforce};
use rbp_core::train::Recording;
use rbp_datasets::mnist::DatasetKind;
use std::collections::BTreeMap;

/// The data a run of the plan trains on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyData {
    /// The teacher task (Figs. 2-4 and the controls).
    Teacher,
    /// MNIST drawn from this pool (Fig. 5).
    Mnist(Pool),
}

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
    data: KeyData,
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
        let (g, l) = if optimizer.reads_rbp_schedule() {
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
            data: KeyData::Teacher,
        }
    }
    /// Fig. 5's run of `optimizer` on MNIST drawn from `pool` (the paper's MNIST protocol:
    /// 1000 training and 1000 test images), otherwise as [`RunKey::new`].
    pub fn mnist(
        reading: usize,
        pool: Pool,
        optimizer: OptimizerKind,
        seed: u64,
        rbp: (f64, f64),
    ) -> RunKey {
        RunKey {
            data: KeyData::Mnist(pool),
            ..RunKey::new(reading, protocol::MNIST_TRAIN_SIZE, optimizer, seed, rbp)
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
        self.optimizer().reads_rbp_schedule().then(|| {
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

/// The full description of `job`'s run under `config`: what names its result file.
pub fn spec_for(config: &ReproduceConfig, job: &Job) -> RunSpec {
    let key = &job.key;
    let (mut settings, task) = match key.data {
        KeyData::Teacher => {
            let mut settings = Settings::paper(config.arch.clone(), 1);
            settings.batch = config.batch;
            let task = Task::Teacher {
                train_size: key.train_size,
            };
            (settings, task)
        }
        KeyData::Mnist(pool) => {
            let arch = protocol::MNIST_ARCH
                .parse()
                .expect("the paper's MNIST widths");
            let task = Task::Images {
                dataset: DatasetKind::Mnist,
                pool,
                train_size: key.train_size,
                test_size: TestSize::Count(protocol::MNIST_TEST_SIZE),
            };
            (Settings::paper(arch, 1), task)
        }
    };
    settings.epochs = config.epochs;
    config.readings[key.reading].apply(&mut settings);
    if let Some((gamma0, lambda)) = key.rbp() {
        settings.hyper.rbp.gamma0 = gamma0;
        settings.hyper.rbp.lambda = lambda;
    }
    if key.random_sign {
        settings.hyper.rbp.reinforce = Reinforce::RandomSign;
    }
    RunSpec {
        task,
        arch: settings.arch,
        batch: settings.batch,
        epochs: settings.epochs,
        init: settings.init,
        hyper: settings.hyper,
        optimizer: key.optimizer(),
        seed: key.seed,
        recording: if job.full_curve {
            Recording::EveryEpoch
        } else {
            Recording::FinalOnly
        },
        precision: rbp_core::oracle::Precision::F32,
        held_out: HeldOut::Test,
    }
}

/// The runs of a plan read from or trained into the run store, by key.
pub struct PlanRuns {
    /// Every available run (all of them unless sharded or merging an incomplete directory).
    pub runs: BTreeMap<RunKey, StoredRun>,
    /// What happened, and the result files that could not be trusted or were missing.
    pub executed: Executed,
    /// The store.
    pub store: RunStore,
}

/// Reads the runs of `plan` from the store of `out` and trains the missing ones this process
/// owns (see [`Mode`]), biggest first, writing each result file as its run ends; MNIST's
/// examples come from `data`. The run list, and so a shard's share, is [`Plan::ordered`]: the
/// same in every process. `on_done(job)` is called as each run becomes available (per-figure
/// progress).
#[allow(clippy::too_many_arguments)]
pub fn execute(
    config: &ReproduceConfig,
    plan: &Plan,
    out: &OutDir,
    mode: Mode,
    data: &RunData,
    epochs: &crate::progress::Progress,
    runs: &crate::progress::Progress,
    on_done: &(dyn Fn(&Job) + Sync),
) -> Result<PlanRuns, StoredError> {
    let jobs = plan.ordered();
    let specs: Vec<RunSpec> = jobs.iter().map(|j| spec_for(config, j)).collect();
    let tell = |i: usize| on_done(&jobs[i]);
    let bars = RunBars::new(epochs, runs, &tell);
    // REPORT.md is written last: with it present the reproduction is complete.
    let names = vec![super::report_md::REPORT.to_string()];
    let running = Running {
        mode,
        workers: config.workers,
        save_every: config.save_every,
    };
    let (store, mut executed) = stored::execute(out, &names, running, &specs, data, &bars)?;
    let runs = jobs
        .iter()
        .zip(executed.runs.iter_mut())
        .filter_map(|(job, run)| run.take().map(|r| (job.key, r)))
        .collect();
    Ok(PlanRuns {
        runs,
        executed,
        store,
    })
}
