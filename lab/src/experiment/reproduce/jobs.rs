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
use rbp_core::optim::OptimizerKind;
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
    /// Adam's `eta0` when not its default (`fig2b-adam-large-eta`), as bits; 0 = the default.
    adam_lr0_bits: u64,
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
            adam_lr0_bits: 0,
            data: KeyData::Teacher,
        }
    }
    /// Adam at `lr0` instead of its own `eta0`, otherwise as [`RunKey::new`]: the run behind
    /// `fig2b-adam-large-eta`.
    pub fn adam_at(reading: usize, train_size: usize, seed: u64, lr0: f64) -> RunKey {
        RunKey {
            adam_lr0_bits: lr0.to_bits(),
            ..RunKey::new(reading, train_size, OptimizerKind::Adam, seed, (0.0, 0.0))
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
    /// R-BackProp at `rbp = (gamma0, lambda)` under reading `reading`, but with that reading's
    /// noise control ([`rbp_core::optim::Reinforce::noise_control`]): the reinforcement it would add, with a
    /// random sign.
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
    /// The readings run, to share BackProp's and Adam's runs between readings that differ only
    /// in R-BackProp's `g_prev` (empty: no sharing).
    readings: Vec<super::Reading>,
    /// Keys asked for that name the same run as another key: `(asked, trained)`.
    aliases: BTreeMap<RunKey, RunKey>,
}

impl Plan {
    /// An empty plan over `readings`: runs of optimizers that never read `g_prev` (BackProp,
    /// Adam) are trained once for all readings with the same learning-rate clock and init.
    pub fn over(readings: &[super::Reading]) -> Plan {
        Plan {
            readings: readings.to_vec(),
            ..Plan::default()
        }
    }

    /// The key that is trained for `key`: the first reading with the same clock and init, for
    /// BackProp and Adam; `key` itself otherwise.
    fn canonical(&self, key: RunKey) -> RunKey {
        let shared = matches!(key.optimizer(), OptimizerKind::Sgd | OptimizerKind::Adam);
        let Some(this) = self.readings.get(key.reading).filter(|_| shared) else {
            return key;
        };
        let first = self
            .readings
            .iter()
            .position(|r| r.lr_clock == this.lr_clock && r.init == this.init)
            .unwrap_or(key.reading);
        RunKey {
            reading: first,
            ..key
        }
    }

    /// `(asked, trained)` for every key answered by another key's run.
    pub fn aliases(&self) -> impl Iterator<Item = (&RunKey, &RunKey)> {
        self.aliases.iter()
    }

    /// Asks for a run; a run asked for twice is trained once (with its curve if either asks).
    pub fn want(&mut self, asked: RunKey, full_curve: bool, figure: Figure) {
        let key = self.canonical(asked);
        if key != asked {
            self.aliases.insert(asked, key);
        }
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
        settings.hyper.rbp.reinforce = settings.hyper.rbp.reinforce.noise_control();
    }
    if key.adam_lr0_bits != 0 {
        settings.hyper.adam.lr0 = f64::from_bits(key.adam_lr0_bits);
    }
    RunSpec {
        task,
        arch: settings.arch,
        batch: settings.batch,
        epochs: settings.epochs,
        init: settings.init,
        hyper: settings.hyper,
        optimizer: key.optimizer(),
        // Keys count seeds from 0 within the block; the run gets the block's seed.
        seed: config.seed_block.base() + key.seed,
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
