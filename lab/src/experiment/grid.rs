//! Training a grid of runs (every optimizer on every seed) on a pool of workers, with optional
//! checkpoints from which an interrupted grid continues with the same numbers.
//!
//! Runs are started in a fixed order (seed by seed, optimizers in the order given) and each run's
//! numbers depend only on its settings and seed, never on which worker trained it or when: a
//! seed's data, initial weights and batch order are the same for every optimizer (the comparison
//! is paired), and R-BackProp's coin has its own stream.

use super::{RunResult, Settings};
use crate::progress::Progress;
use rbp_core::checkpoint::{self, Checkpoint, CheckpointError, SavedRun};
use rbp_core::data::TrainTest;
use rbp_core::init;
use rbp_core::memory::AllocError;
use rbp_core::net::{ArchError, Layout};
use rbp_core::optim::{Optimizer, OptimizerKind};
use rbp_core::oracle::{self, Precision};
use rbp_core::seed::{self, Stream};
use rbp_core::train::{Recording, Run, RunError, Schedule};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Told about the progress of runs (progress bars, tests). Every method may be called from any
/// worker thread.
pub trait RunObserver: Sync {
    /// A run starts (or continues from a checkpoint).
    fn run_started(&self) {}
    /// A run trained one more epoch (or one epoch was found already done in a checkpoint).
    fn epoch_done(&self) {}
    /// A run finished.
    fn run_finished(&self) {}
}

impl RunObserver for Progress {
    fn epoch_done(&self) {
        self.tick();
    }
}

/// An observer that ignores everything.
pub struct Silent;
impl RunObserver for Silent {}

/// Where and how often a grid saves its state, and what it continues from.
#[derive(Clone, Debug)]
pub struct Checkpointing {
    /// The checkpoint file.
    pub path: PathBuf,
    /// Save every this many epochs of each run (and whenever a run finishes).
    pub every: usize,
    /// The command's settings, as text that can rebuild the command (stored in the file).
    pub settings: String,
    /// A checkpoint to continue from (`rbp resume`).
    pub resume_from: Option<Checkpoint>,
}

/// Why a grid could not run to the end.
#[derive(Debug, thiserror::Error)]
pub enum GridError {
    /// A buffer could not be allocated.
    #[error(transparent)]
    Alloc(#[from] AllocError),
    /// The network cannot be laid out.
    #[error(transparent)]
    Arch(#[from] ArchError),
    /// A run could not start or continue.
    #[error("run {label}: {source}")]
    Run {
        /// Which run.
        label: String,
        /// Why.
        source: RunError,
    },
    /// The checkpoint could not be written.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The checkpoint does not belong to these settings.
    #[error("checkpoint {path}: {why}")]
    Mismatch {
        /// The checkpoint.
        path: PathBuf,
        /// What does not fit.
        why: String,
    },
    /// The worker threads could not be started.
    #[error("cannot start {0} worker threads")]
    Pool(usize),
    /// Checkpoints were asked of f64 runs.
    #[error("f64 runs (the oracle) keep no checkpoints; run them without checkpointing")]
    OracleCheckpoint,
    /// The f64 oracle cannot run this optimizer.
    #[error(transparent)]
    Oracle(#[from] rbp_core::oracle::OracleError),
}

/// The label of a run in checkpoints and messages.
pub fn run_label(kind: OptimizerKind, seed: u64) -> String {
    format!("{} seed {seed}", kind.name())
}

/// BLAS threads per run for `workers` parallel runs asking for `requested`: one each when runs
/// go in parallel (two levels of threads would oversubscribe the cores), else `requested`.
pub fn blas_threads_per_run(workers: usize, requested: usize) -> usize {
    if workers > 1 { 1 } else { requested.max(1) }
}

/// Sets the BLAS thread count to [`blas_threads_per_run`]: the one place the experiments set it.
pub fn configure_blas(workers: usize, requested: usize) {
    rbp_core::gemm::set_threads(blas_threads_per_run(workers, requested));
}

/// Runs `work(i)` for `i in 0..n` on `workers` threads, started in index order (so the first
/// jobs are the first to run), and returns the results in index order.
pub fn run_in_order<T: Send>(
    n: usize,
    workers: usize,
    work: impl Fn(usize) -> T + Sync,
) -> Result<Vec<T>, GridError> {
    let workers = workers.clamp(1, n.max(1));
    let slots: Vec<Mutex<Option<T>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build()
        .map_err(|_| GridError::Pool(workers))?;
    // In a FIFO scope the spawning worker and the workers stealing from it both take the oldest
    // job first, so jobs start in index order whatever the number of workers.
    pool.scope_fifo(|s| {
        for (i, slot) in slots.iter().enumerate() {
            let work = &work;
            s.spawn_fifo(move |_| {
                let result = work(i);
                *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
            });
        }
    });
    Ok(slots
        .into_iter()
        .map(|s| {
            s.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every job ran")
        })
        .collect())
}

/// Trains every (seed, optimizer) pair of `settings`. `make_split(seed)` draws the data of a seed;
/// it is drawn once and shared by that seed's runs. Results come back ordered by seed, then
/// optimizer.
pub fn run_grid<F>(
    settings: &Settings,
    make_split: F,
    observer: &dyn RunObserver,
    checkpointing: Option<&Checkpointing>,
) -> Result<Vec<RunResult>, GridError>
where
    F: Fn(u64) -> Result<TrainTest, AllocError> + Sync,
{
    run_grid_at(
        settings,
        Precision::F32,
        make_split,
        observer,
        checkpointing,
    )
}

/// [`run_grid`] in `precision`: with [`Precision::F64`] every run is the f64 oracle's twin of the
/// f32 run (same data, initial weights, batch order and coin; see `rbp_core::oracle`). The
/// oracle keeps no checkpoints: `checkpointing` must be `None` then.
pub fn run_grid_at<F>(
    settings: &Settings,
    precision: Precision,
    make_split: F,
    observer: &dyn RunObserver,
    checkpointing: Option<&Checkpointing>,
) -> Result<Vec<RunResult>, GridError>
where
    F: Fn(u64) -> Result<TrainTest, AllocError> + Sync,
{
    if precision == Precision::F64 && checkpointing.is_some() {
        return Err(GridError::OracleCheckpoint);
    }
    if precision == Precision::F64 {
        // Refuse an optimizer the oracle lacks before any run starts.
        for &kind in &settings.optimizers {
            oracle::supports(kind, &settings.hyper)?;
        }
    }
    let layout = Layout::new(settings.arch.clone())?;
    configure_blas(settings.workers, settings.blas_threads);
    let jobs: Vec<(u64, OptimizerKind)> = settings
        .seeds
        .iter()
        .flat_map(|&s| settings.optimizers.iter().map(move |&k| (s, k)))
        .collect();
    let book = checkpointing.map(|c| Book::new(c, &jobs));
    let splits = SplitCache::new(&jobs);
    // After a failure the runs not yet started are skipped: the grid cannot complete anyway.
    let failed = AtomicBool::new(false);
    let results = run_in_order(jobs.len(), settings.workers, |i| {
        if failed.load(Ordering::Relaxed) {
            return None;
        }
        let (seed, kind) = jobs[i];
        let result = run_job(
            settings,
            &layout,
            &splits,
            &make_split,
            seed,
            kind,
            observer,
            book.as_ref(),
            i,
            precision,
        );
        if result.is_err() {
            failed.store(true, Ordering::Relaxed);
        }
        Some(result)
    })?;
    let mut runs = Vec::with_capacity(results.len());
    let mut first_error = None;
    for r in results.into_iter().flatten() {
        match r {
            Ok(run) => runs.push(run),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(runs),
    }
}

/// Job `i` of a grid: its seed's shared split, then the run.
#[allow(clippy::too_many_arguments)]
fn run_job<F>(
    settings: &Settings,
    layout: &Layout,
    splits: &SplitCache,
    make_split: &F,
    seed: u64,
    kind: OptimizerKind,
    observer: &dyn RunObserver,
    book: Option<&Book>,
    i: usize,
    precision: Precision,
) -> Result<RunResult, GridError>
where
    F: Fn(u64) -> Result<TrainTest, AllocError>,
{
    let split = splits.get(seed, make_split)?;
    let result = match precision {
        Precision::F32 => run_one(
            settings,
            layout,
            &split,
            kind,
            seed,
            Recording::EveryEpoch,
            observer,
            book.map(|b| (b, i)),
        ),
        Precision::F64 => run_one_f64(settings, layout, &split, kind, seed, observer),
    };
    splits.release(seed);
    result
}

/// Splits shared by the runs of a seed, dropped when the last of them finishes.
struct SplitCache {
    entries: Mutex<HashMap<u64, (Arc<TrainTest>, usize)>>,
    runs_per_seed: HashMap<u64, usize>,
}

impl SplitCache {
    fn new(jobs: &[(u64, OptimizerKind)]) -> SplitCache {
        let mut runs_per_seed = HashMap::new();
        for (seed, _) in jobs {
            *runs_per_seed.entry(*seed).or_insert(0) += 1;
        }
        SplitCache {
            entries: Mutex::new(HashMap::new()),
            runs_per_seed,
        }
    }

    fn get<F>(&self, seed: u64, make: &F) -> Result<Arc<TrainTest>, GridError>
    where
        F: Fn(u64) -> Result<TrainTest, AllocError>,
    {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((split, _)) = entries.get(&seed) {
            return Ok(split.clone());
        }
        let split = Arc::new(make(seed)?);
        entries.insert(seed, (split.clone(), self.runs_per_seed[&seed]));
        Ok(split)
    }

    fn release(&self, seed: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, left)) = entries.get_mut(&seed) {
            *left -= 1;
            if *left == 0 {
                entries.remove(&seed);
            }
        }
    }
}

/// The checkpoint of a grid: the latest saved state of each run, written whole at every change.
pub struct Book {
    /// The checkpoint file.
    path: PathBuf,
    /// Save every this many epochs.
    every: usize,
    /// The command's settings text.
    settings: String,
    labels: Vec<String>,
    runs: Mutex<Vec<Option<SavedRun>>>,
}

impl Book {
    fn new(config: &Checkpointing, jobs: &[(u64, OptimizerKind)]) -> Book {
        let labels: Vec<String> = jobs.iter().map(|&(s, k)| run_label(k, s)).collect();
        let mut runs: Vec<Option<SavedRun>> = vec![None; jobs.len()];
        if let Some(saved) = &config.resume_from {
            for run in &saved.runs {
                if let Some(i) = labels.iter().position(|l| *l == run.label) {
                    runs[i] = Some(run.clone());
                }
            }
        }
        Book {
            path: config.path.clone(),
            every: config.every.max(1),
            settings: config.settings.clone(),
            labels,
            runs: Mutex::new(runs),
        }
    }

    /// What the checkpoint holds for job `i`.
    fn saved(&self, i: usize) -> Option<checkpoint::Progress> {
        self.runs.lock().unwrap_or_else(|e| e.into_inner())[i]
            .as_ref()
            .map(|r| r.progress.clone())
    }

    /// Records job `i`'s progress and writes the whole checkpoint. Writes are serialized by the
    /// lock, so the file on disk always holds the latest state of every run.
    fn record(&self, i: usize, progress: checkpoint::Progress) -> Result<(), CheckpointError> {
        let mut runs = self.runs.lock().unwrap_or_else(|e| e.into_inner());
        runs[i] = Some(SavedRun {
            label: self.labels[i].clone(),
            progress,
        });
        // Borrowed, not cloned: the in-progress runs' weights and optimizer states are written
        // straight from the book.
        let saved: Vec<&SavedRun> = runs.iter().flatten().collect();
        checkpoint::save_runs(&self.path, &self.settings, &saved)
    }
}

/// The seed's initial weights and R-BackProp coin seed: what every run of a seed starts from, in
/// either precision (with the batch order of `seed::rng(seed, Stream::Order)`).
fn seed_start(
    settings: &Settings,
    layout: &Layout,
    seed: u64,
) -> Result<(Vec<f32>, u64), AllocError> {
    Ok((
        init::initial_params(layout, settings.init, seed)?,
        seed::stream_seed(seed, Stream::Coin),
    ))
}

/// The f64 twin of [`run_one`] (without checkpoints): the same start, trained by the oracle.
fn run_one_f64(
    settings: &Settings,
    layout: &Layout,
    split: &TrainTest,
    kind: OptimizerKind,
    seed: u64,
    observer: &dyn RunObserver,
) -> Result<RunResult, GridError> {
    let schedule = Schedule {
        batch: settings.batch,
        epochs: settings.epochs,
        record: Recording::EveryEpoch,
    };
    observer.run_started();
    let (params, coin_seed) = seed_start(settings, layout, seed)?;
    let opt = oracle::Optimizer::new(kind, &settings.hyper, layout.param_count(), coin_seed)?;
    let order = seed::rng(seed, Stream::Order);
    let mut first = true;
    let records = oracle::train(layout, &params, split, opt, schedule, order, &mut |_| {
        // Epoch 0 is measured before training, as in the f32 path's progress.
        if !std::mem::take(&mut first) {
            observer.epoch_done();
        }
    })?;
    observer.run_finished();
    Ok(RunResult {
        optimizer: kind,
        seed,
        records,
    })
}

/// One run: the seed's initial weights and batch order, optimizer `kind` with the seed's coin
/// stream. With a checkpoint book (`(book, job index)`), a run already finished there is not
/// trained again, one in progress continues from its state, and the state is saved every
/// `book.every` epochs and at the end.
#[allow(clippy::too_many_arguments)]
pub fn run_one(
    settings: &Settings,
    layout: &Layout,
    split: &TrainTest,
    kind: OptimizerKind,
    seed: u64,
    record: Recording,
    observer: &dyn RunObserver,
    book: Option<(&Book, usize)>,
) -> Result<RunResult, GridError> {
    let label = run_label(kind, seed);
    let run_err = |source| GridError::Run {
        label: label.clone(),
        source,
    };
    let schedule = Schedule {
        batch: settings.batch,
        epochs: settings.epochs,
        record,
    };
    observer.run_started();
    let saved = book.and_then(|(b, i)| b.saved(i));
    let mut run = match saved {
        Some(checkpoint::Progress::Finished(records)) => {
            for _ in 0..settings.epochs {
                observer.epoch_done();
            }
            observer.run_finished();
            return Ok(RunResult {
                optimizer: kind,
                seed,
                records,
            });
        }
        Some(checkpoint::Progress::InProgress { arch, state }) => {
            if arch != settings.arch || state.schedule.epochs != settings.epochs {
                let (b, _) = book.expect("saved state comes from a book");
                return Err(GridError::Mismatch {
                    path: b.path.clone(),
                    why: format!(
                        "run {label} was saved for a {arch} network and {} epochs, the settings \
                         say {} and {}",
                        state.schedule.epochs, settings.arch, settings.epochs
                    ),
                });
            }
            let run = Run::resume(layout, split, &settings.hyper, *state).map_err(run_err)?;
            for _ in 0..run.epochs_done() {
                observer.epoch_done();
            }
            run
        }
        None => {
            let (params, coin_seed) = seed_start(settings, layout, seed)?;
            let opt = Optimizer::new(kind, &settings.hyper, layout.param_count(), coin_seed)?;
            let order = seed::rng(seed, Stream::Order);
            Run::start(layout, params, split, opt, schedule, order).map_err(run_err)?
        }
    };
    while !run.is_finished() {
        run.train_epoch();
        observer.epoch_done();
        if let Some((b, i)) = book {
            let every = b.every;
            if !run.is_finished() && run.epochs_done() % every == 0 {
                b.record(
                    i,
                    checkpoint::Progress::InProgress {
                        arch: settings.arch.clone(),
                        state: Box::new(run.snapshot()),
                    },
                )?;
            }
        }
    }
    let (records, _) = run.finish();
    if let Some((b, i)) = book {
        b.record(i, checkpoint::Progress::Finished(records.clone()))?;
    }
    observer.run_finished();
    Ok(RunResult {
        optimizer: kind,
        seed,
        records,
    })
}
