//! The runner: run specs in, results out. This file is the path of every training run of every
//! study, from its [`RunSpec`] to its [`StoredRun`]:
//!
//! 1. [`execute`] looks each spec up in the store (with `--out`): a run whose result file is
//!    there is read, not trained.
//! 2. The others are trained on a bounded pool ([`super::pool`]), started in plan order; results
//!    come back in plan order whatever the number of workers. A run draws its examples
//!    ([`RunData::split`]), then [`train`] starts it from its seed's initial weights, batch order
//!    and coin (or continues it from its saved state), trains epoch after epoch, saves its state
//!    every `save_every` epochs and keeps the weights the study asks for ([`Keep`]).
//! 3. Each result is written to the store by one writer thread the moment its run ends; the state
//!    file is then removed. After a failed write no new run starts.
//!
//! A run's numbers depend only on its spec, never on which worker trained it, when, or whether it
//! was interrupted and continued. A run that diverges (a non-finite error) or cannot start is
//! recorded as failed, with the reason and the epoch, and the others go on.

use super::data::{RunData, RunDataError};
use super::keep::{Holder, Keep, Kept};
use super::mode::Mode;
use super::pool::{PoolError, run_in_order};
use super::result::{Status, StoredRun, divergence};
use super::spec::RunSpec;
use super::store::{Loaded, RunStore, StoreError};
use crate::progress::Progress;
use rbp_core::data::TrainTest;
use rbp_core::init;
use rbp_core::memory::AllocError;
use rbp_core::net::{ArchError, Layout};
use rbp_core::optim::Optimizer;
use rbp_core::oracle::{self, OracleError, Precision};
use rbp_core::seed::{self, Stream};
use rbp_core::train::{EpochRecord, Run, RunError, RunResult, Schedule};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Told about the progress of a list of runs. Every method may be called from any worker.
pub trait Observer: Sync {
    /// Run `i` of the list starts training (or continues from its saved state).
    fn run_started(&self, _i: usize) {}
    /// `n` more epochs are done (trained, or found done in the store).
    fn epochs_done(&self, _n: u64) {}
    /// Run `i` of the list is available, read from the store or (`trained`) trained here.
    fn run_done(&self, _i: usize, _run: &StoredRun, _trained: bool) {}
}

impl Observer for Progress {
    fn epochs_done(&self, n: u64) {
        self.inc(n);
    }
}

/// An observer that ignores everything.
pub struct Silent;
impl Observer for Silent {}

/// What differs between studies in how their runs train.
#[derive(Clone, Copy)]
pub struct Hooks<'a> {
    /// Progress.
    pub observer: &'a dyn Observer,
    /// Save each unfinished run's state every this many epochs (with a store).
    pub save_every: Option<usize>,
    /// Weights to keep.
    pub keep: Option<&'a dyn Keep>,
}

impl<'a> Hooks<'a> {
    /// Progress only.
    pub fn observed(observer: &'a dyn Observer) -> Hooks<'a> {
        Hooks {
            observer,
            save_every: None,
            keep: None,
        }
    }
}

/// Counts of what happened to the runs of a list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    /// Trained here and written.
    pub trained: usize,
    /// Read from result files already present.
    pub present: usize,
    /// Trained here or read, and failed.
    pub failed: usize,
    /// Left to other shards.
    pub other_shards: usize,
    /// Seconds the result-file writer spent writing (serialize, write, fsync, rename, fsync of
    /// the directory); it runs beside the workers, so this is not time they waited.
    pub write_seconds: f64,
}

/// The outcome of [`execute`]: per run of the list, its result (`None` when it belongs to
/// another shard or, in merge mode, is missing) and the weights kept from it, the counts, and
/// the problems found.
#[derive(Debug)]
pub struct Executed {
    /// In list order.
    pub runs: Vec<Option<StoredRun>>,
    /// In list order, the weights kept from each run (empty without [`Hooks::keep`]).
    pub kept: Vec<Vec<Kept>>,
    /// Counts.
    pub tally: Tally,
    /// Result files that were missing (merge mode) or could not be trusted, one line each.
    pub problems: Vec<String>,
}

impl Executed {
    /// The failed runs, with their result.
    pub fn failed(&self) -> impl Iterator<Item = &StoredRun> {
        self.runs.iter().flatten().filter(|r| r.failed())
    }
}

/// Why a list of runs could not be executed.
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    /// The worker pool could not start.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// A file of the store could not be written; no run started after it.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The data of the runs to train could not be loaded (checked before any run trains).
    #[error(transparent)]
    Data(#[from] RunDataError),
}

/// Why one run could not train.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// Its examples could not be had.
    #[error(transparent)]
    Data(#[from] RunDataError),
    /// Its network cannot be laid out.
    #[error(transparent)]
    Arch(#[from] ArchError),
    /// A buffer could not be allocated.
    #[error(transparent)]
    Alloc(#[from] AllocError),
    /// It could not start or continue.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The f64 oracle cannot run it.
    #[error(transparent)]
    Oracle(#[from] OracleError),
    /// Its state or kept weights could not be written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads every run of `specs` from `store` and trains (in `Mode::Train`) those missing or
/// untrustworthy that this process owns, in list order on `workers` threads. Without a store
/// every run is trained and nothing is written.
pub fn execute(
    specs: &[RunSpec],
    store: Option<&RunStore>,
    mode: Mode,
    workers: usize,
    data: &RunData,
    hooks: Hooks<'_>,
) -> Result<Executed, ExecuteError> {
    let mut executed = Executed {
        runs: Vec::with_capacity(specs.len()),
        kept: vec![Vec::new(); specs.len()],
        tally: Tally::default(),
        problems: Vec::new(),
    };
    let mut to_train = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let found = match store {
            Some(s) => look_up(s, spec, hooks.keep),
            None => Found::Missing,
        };
        match found {
            Found::Present(run, kept) => {
                executed.tally.present += 1;
                executed.tally.failed += usize::from(run.failed());
                hooks.observer.epochs_done(spec.epochs as u64);
                hooks.observer.run_done(i, &run, false);
                executed.runs.push(Some(*run));
                executed.kept[i] = kept;
                continue;
            }
            Found::Missing if mode == Mode::Merge => executed.problems.push(format!(
                "missing: {} ({})",
                spec.label(),
                store.map_or_else(String::new, |s| s.path(&spec.id()).display().to_string())
            )),
            Found::Missing => {}
            Found::Bad(why) => executed
                .problems
                .push(format!("not trusted, {}: {why}", spec.label())),
        }
        executed.runs.push(None);
        match mode {
            Mode::Train(shard) if shard.is_none_or(|s| s.owns(i)) => to_train.push(i),
            Mode::Train(_) => executed.tally.other_shards += 1,
            Mode::Merge => {}
        }
    }
    data.prepare(to_train.iter().map(|&i| &specs[i]))?;
    train_missing(specs, &to_train, store, workers, data, hooks, &mut executed)?;
    Ok(executed)
}

/// What the store holds for a run.
enum Found {
    Missing,
    Present(Box<StoredRun>, Vec<Kept>),
    Bad(String),
}

/// A run's result and the weights the study keeps from it, when all are in the store.
fn look_up(store: &RunStore, spec: &RunSpec, keep: Option<&dyn Keep>) -> Found {
    let run = match store.load(spec) {
        Loaded::Present(run) => run,
        Loaded::Missing => return Found::Missing,
        Loaded::Bad(why) => return Found::Bad(why),
    };
    let Some(keep) = keep else {
        return Found::Present(run, Vec::new());
    };
    let mut kept = Vec::new();
    for epoch in keep.held(spec, &run.result.records) {
        match store.load_kept(spec, epoch) {
            Ok(Some(params)) => kept.push(Kept { epoch, params }),
            Ok(None) => return Found::Bad(format!("its weights at epoch {epoch} are missing")),
            Err(why) => return Found::Bad(why),
        }
    }
    Found::Present(run, kept)
}

/// Trains runs `to_train` of `specs` on the pool, handing each result to a writer thread as its
/// run ends, and fills them into `executed`.
fn train_missing(
    specs: &[RunSpec],
    to_train: &[usize],
    store: Option<&RunStore>,
    workers: usize,
    data: &RunData,
    hooks: Hooks<'_>,
    executed: &mut Executed,
) -> Result<(), ExecuteError> {
    let stop = AtomicBool::new(false);
    // Result files are written by one thread of their own, so a worker goes on to its next run
    // instead of waiting for the disk (fsync on a busy disk takes tens of milliseconds).
    let (to_writer, written) = std::sync::mpsc::channel::<StoredRun>();
    let (trained, writer) = std::thread::scope(|scope| {
        let stop = &stop;
        let writer = scope.spawn(move || write_results(store, written, stop));
        let trained = run_in_order(to_train.len(), workers, |j| {
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            let i = to_train[j];
            hooks.observer.run_started(i);
            let done = train_and_judge(&specs[i], data, store, hooks);
            if let Ok((run, _)) = &done {
                // The writer receives until the last sender is dropped, after this pool.
                let _ = to_writer.send(run.clone());
                hooks.observer.run_done(i, run, true);
            } else {
                stop.store(true, Ordering::Relaxed);
            }
            Some(done)
        });
        drop(to_writer);
        (trained, writer.join())
    });
    let (write_seconds, write_error) = writer.expect("the result-file writer does not panic");
    executed.tally.write_seconds = write_seconds;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    for (&i, done) in to_train.iter().zip(trained?) {
        let Some(done) = done else { continue };
        let (run, kept) = done?;
        executed.tally.trained += 1;
        executed.tally.failed += usize::from(run.failed());
        executed.runs[i] = Some(run);
        executed.kept[i] = kept;
    }
    Ok(())
}

/// The writer thread: saves each result and removes the run's state file; after the first
/// failure it sets `stop` and writes nothing more. Returns the seconds spent and that failure.
fn write_results(
    store: Option<&RunStore>,
    results: std::sync::mpsc::Receiver<StoredRun>,
    stop: &AtomicBool,
) -> (f64, Option<StoreError>) {
    let mut seconds = 0.0;
    let mut first_error = None;
    for run in results {
        let Some(store) = store else { continue };
        if first_error.is_some() {
            continue;
        }
        let start = Instant::now();
        let saved = store
            .save(&run)
            .and_then(|_| store.remove(&store.state_path(&run.spec)));
        if let Err(e) = saved {
            stop.store(true, Ordering::Relaxed);
            first_error = Some(e);
        }
        seconds += start.elapsed().as_secs_f64();
    }
    (seconds, first_error)
}

/// Trains `spec` and times it; a run that cannot start or diverges becomes a failed run. Only a
/// store that cannot be written is an error.
fn train_and_judge(
    spec: &RunSpec,
    data: &RunData,
    store: Option<&RunStore>,
    hooks: Hooks<'_>,
) -> Result<(StoredRun, Vec<Kept>), StoreError> {
    let start = Instant::now();
    let trained = train(spec, data, store, hooks);
    let seconds = start.elapsed().as_secs_f64();
    let (status, records, kept) = match trained {
        Ok((records, kept)) => (None, records, kept),
        Err(TrainError::Store(e)) => return Err(e),
        Err(e) => {
            let failed = Status::Failed {
                reason: e.to_string(),
                epoch: 0,
            };
            (Some(failed), Vec::new(), Vec::new())
        }
    };
    let result = RunResult {
        optimizer: spec.optimizer,
        seed: spec.seed,
        records,
    };
    let status = status.unwrap_or_else(|| divergence(&result).unwrap_or(Status::Finished));
    let run = StoredRun {
        spec: spec.clone(),
        status,
        result,
        backend: rbp_core::gemm::backend_name(),
        seconds,
    };
    Ok((run, kept))
}

/// Trains the run `spec` describes on this thread: draws its examples from `data`, starts it (or
/// continues its saved state from `store`), trains every epoch, saves its state and keeps weights
/// as `hooks` say. Returns its records and the weights kept.
pub fn train(
    spec: &RunSpec,
    data: &RunData,
    store: Option<&RunStore>,
    hooks: Hooks<'_>,
) -> Result<(Vec<EpochRecord>, Vec<Kept>), TrainError> {
    let layout = Layout::new(spec.arch.clone())?;
    let split = data.split(spec)?;
    if spec.precision == Precision::F64 {
        return Ok((
            train_oracle(spec, &layout, &split, hooks.observer)?,
            Vec::new(),
        ));
    }
    let mut holder = Holder::new(spec, store, hooks.keep);
    let mut run = start_or_resume(spec, &layout, &split, &mut holder)?;
    hooks.observer.epochs_done(run.epochs_done() as u64);
    while !run.is_finished() {
        run.train_epoch();
        hooks.observer.epochs_done(1);
        holder.take(&run)?;
        let due = hooks
            .save_every
            .is_some_and(|every| run.epochs_done() % every.max(1) == 0);
        if let Some(store) = store
            && due
            && !run.is_finished()
        {
            store.save_state(spec, run.snapshot())?;
            holder.prune()?;
        }
    }
    holder.finish(run.records())?;
    let (records, _) = run.finish();
    Ok((records, holder.held))
}

/// The run of `spec`: continued from its saved state when the store has a usable one (with the
/// weights kept so far), else started from its seed.
fn start_or_resume<'a>(
    spec: &RunSpec,
    layout: &Layout,
    split: &'a TrainTest,
    holder: &mut Holder<'_>,
) -> Result<Run<'a>, TrainError> {
    // A state that cannot be trusted, or whose kept weights are gone, is trained again.
    if let Some(store) = holder.store
        && let Ok(Some(state)) = store.load_state(spec)
        && holder.reload(&state.records)
        && let Ok(run) = Run::resume(layout, split, &spec.hyper, state)
    {
        return Ok(run);
    }
    holder.held.clear();
    let run = start(spec, layout, split)?;
    holder.take(&run)?;
    Ok(run)
}

/// The run of `spec` at epoch 0: its seed's initial weights, coin and batch order (the same for
/// every optimizer of a seed, so comparisons are paired).
pub fn start<'a>(
    spec: &RunSpec,
    layout: &Layout,
    split: &'a TrainTest,
) -> Result<Run<'a>, TrainError> {
    let params = init::initial_params(layout, spec.init, spec.seed)?;
    let coin_seed = seed::stream_seed(spec.seed, Stream::Coin);
    let opt = Optimizer::new(spec.optimizer, &spec.hyper, layout.param_count(), coin_seed)?;
    let order = seed::rng(spec.seed, Stream::Order);
    Ok(Run::start(
        layout,
        params,
        split,
        opt,
        schedule(spec),
        order,
    )?)
}

fn schedule(spec: &RunSpec) -> Schedule {
    Schedule {
        batch: spec.batch,
        epochs: spec.epochs,
        record: spec.recording,
    }
}

/// The f64 oracle's twin of the f32 run: the same start, trained by the oracle (which keeps no
/// state and no weights).
fn train_oracle(
    spec: &RunSpec,
    layout: &Layout,
    split: &TrainTest,
    observer: &dyn Observer,
) -> Result<Vec<EpochRecord>, TrainError> {
    let params = init::initial_params(layout, spec.init, spec.seed)?;
    let coin_seed = seed::stream_seed(spec.seed, Stream::Coin);
    let opt = oracle::Optimizer::new(spec.optimizer, &spec.hyper, layout.param_count(), coin_seed)?;
    let order = seed::rng(spec.seed, Stream::Order);
    let mut last = 0;
    let records = oracle::train(
        layout,
        &params,
        split,
        opt,
        schedule(spec),
        order,
        &mut |r| {
            observer.epochs_done((r.epoch - last) as u64);
            last = r.epoch;
        },
    )?;
    Ok(records)
}

/// What a run of `spec` costs here: `(fixed, per_epoch)` seconds, from timing a 1-epoch and a
/// 5-epoch run of it (no result files): the calibration behind `--dry-run`'s estimate. The
/// fixed part (drawing the data, allocating, measuring the errors before and after) is
/// separated out because it dwarfs one epoch of a small run.
pub fn calibrate(spec: &RunSpec, data: &RunData) -> Result<(f64, f64), TrainError> {
    let time = |epochs: usize| -> Result<f64, TrainError> {
        let mut short = spec.clone();
        short.epochs = epochs;
        let start = Instant::now();
        train(&short, data, None, Hooks::observed(&Silent))?;
        Ok(start.elapsed().as_secs_f64())
    };
    let one = time(1)?;
    let five = time(5)?;
    let per_epoch = ((five - one) / 4.0).max(0.0);
    Ok(((one - per_epoch).max(0.0), per_epoch))
}
