//! Training a list of runs through the run store: runs whose result files exist are read, not
//! trained; the others are trained (all of them, or one shard's share) on the grid's worker
//! pool, and each result file is written the moment its run ends.
//!
//! A run that diverges (a non-finite error) or cannot start is recorded as failed, with the
//! reason and the epoch, and the others go on.

use crate::experiment::grid::{Silent, run_in_order};
use crate::experiment::run_data::{RunData, RunDataError};
use crate::experiment::store::{Loaded, RunSpec, RunStore, Status, StoreError, StoredRun};
use crate::experiment::{GridError, RunObserver, RunResult, run_one};
use crate::progress::Progress;
use rbp_core::net::Layout;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// `--shard I/N`: this process trains the runs whose index in the run list is `I` modulo `N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// `I`, in `0..count`.
    pub index: usize,
    /// `N`, at least 1.
    pub count: usize,
}

impl Shard {
    /// Whether run `i` of the list is this shard's.
    pub fn owns(&self, i: usize) -> bool {
        i % self.count == self.index
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad =
            || format!("`{s}` is not I/N with 0 <= I < N (e.g. 0/4 for the first of 4 shards)");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What to do with runs whose result files are missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Train them (`None`: all; `Some(shard)`: only the shard's).
    Train(Option<Shard>),
    /// Train nothing: build from the result files alone (`--merge`).
    Merge,
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
/// another shard or, in merge mode, is missing), the counts, and the problems found.
#[derive(Debug)]
pub struct Executed {
    /// In list order.
    pub runs: Vec<Option<StoredRun>>,
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
    Grid(#[from] GridError),
    /// A result file could not be written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The data of the runs to train could not be loaded (checked before any run trains).
    #[error(transparent)]
    Data(#[from] RunDataError),
}

/// Progress of a list of runs: an epoch bar (for the ETA) and a run bar whose message counts runs
/// done, present and failed.
pub struct RunBars<'a> {
    /// Ticks once per trained epoch (and `epochs` at once per run found present).
    pub epochs: &'a Progress,
    /// Ticks once per run trained; its message shows the counts.
    pub runs: &'a Progress,
}

/// Why one run could not train.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// Its examples could not be had.
    #[error(transparent)]
    Data(#[from] RunDataError),
    /// It could not start or continue.
    #[error(transparent)]
    Grid(#[from] GridError),
}

/// Trains the run `spec` describes (single-threaded): draws its seed's examples from `data`,
/// then runs it.
pub fn train(
    spec: &RunSpec,
    data: &RunData,
    observer: &dyn RunObserver,
) -> Result<RunResult, TrainError> {
    let settings = spec.settings();
    let layout = Layout::new(settings.arch.clone()).map_err(GridError::from)?;
    let split = data.split(spec)?;
    Ok(run_one(
        &settings,
        &layout,
        &split,
        spec.optimizer,
        spec.seed,
        spec.recording,
        observer,
        None,
    )?)
}

/// The first measured epoch with a non-finite error, if any: a diverged run.
fn divergence(result: &RunResult) -> Option<Status> {
    result.records.iter().find_map(|r| {
        let bad = [("training", r.train_error), ("test", r.test_error)]
            .into_iter()
            .chain(r.test_class_error.map(|c| ("test classification", c)))
            .find(|(_, v)| !v.is_finite());
        bad.map(|(what, v)| Status::Failed {
            reason: format!("diverged: {what} error is {v}"),
            epoch: r.epoch,
        })
    })
}

/// Trains `spec` and times it; a run that cannot start or diverges becomes a failed run.
fn train_and_judge(spec: &RunSpec, data: &RunData, epochs: &Progress) -> StoredRun {
    let start = Instant::now();
    let trained = train(spec, data, epochs);
    let seconds = start.elapsed().as_secs_f64();
    let (status, result) = match trained {
        Ok(result) => (divergence(&result).unwrap_or(Status::Finished), result),
        Err(e) => (
            Status::Failed {
                reason: e.to_string(),
                epoch: 0,
            },
            RunResult {
                optimizer: spec.optimizer,
                seed: spec.seed,
                records: Vec::new(),
            },
        ),
    };
    StoredRun {
        spec: spec.clone(),
        status,
        result,
        backend: rbp_core::gemm::backend_name(),
        seconds,
    }
}

/// Reads every run of `specs` from `store` and trains (in `Mode::Train`) those missing or
/// untrustworthy that this process owns, in list order on `workers` threads, handing each
/// result to a writer thread as its run ends (a write error stops the sweep once the pool is
/// done). The examples come from `data`, which first loads what the runs to train need (an
/// error there stops the list before any run trains). `on_done(i)` is called when run `i` is
/// available (read or trained).
pub fn execute(
    specs: &[RunSpec],
    store: &RunStore,
    mode: Mode,
    workers: usize,
    data: &RunData,
    bars: &RunBars<'_>,
    on_done: &(dyn Fn(usize) + Sync),
) -> Result<Executed, ExecuteError> {
    let mut runs: Vec<Option<StoredRun>> = Vec::with_capacity(specs.len());
    let mut tally = Tally::default();
    let mut problems = Vec::new();
    let mut to_train = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        match store.load(spec) {
            Loaded::Present(run) => {
                tally.present += 1;
                tally.failed += usize::from(run.failed());
                bars.epochs.inc(spec.epochs as u64);
                on_done(i);
                runs.push(Some(*run));
                continue;
            }
            Loaded::Missing if mode == Mode::Merge => {
                problems.push(format!(
                    "missing: {} ({})",
                    spec.label(),
                    store.path(&spec.id()).display()
                ));
            }
            Loaded::Missing => {}
            Loaded::Bad(why) => problems.push(format!("not trusted, {}: {why}", spec.label())),
        }
        runs.push(None);
        match mode {
            Mode::Train(shard) if shard.is_none_or(|s| s.owns(i)) => to_train.push(i),
            Mode::Train(_) => tally.other_shards += 1,
            Mode::Merge => {}
        }
    }
    data.prepare(to_train.iter().map(|&i| &specs[i]))?;
    bars.runs.set_length(to_train.len() as u64);
    let counts = Counts::new(&tally);
    counts.show(bars.runs);
    // Result files are written by one thread of their own, so a worker goes on to its next run
    // instead of waiting for the disk (fsync on a busy disk takes tens of milliseconds).
    let (to_writer, written) = std::sync::mpsc::channel::<StoredRun>();
    let (trained, writer) = std::thread::scope(|scope| {
        let writer = scope.spawn(move || {
            let mut seconds = 0.0;
            let mut first_error = None;
            for run in written {
                let start = Instant::now();
                if let Err(e) = store.save(&run) {
                    first_error.get_or_insert(e);
                }
                seconds += start.elapsed().as_secs_f64();
            }
            (seconds, first_error)
        });
        let trained = run_in_order(to_train.len(), workers, |j| {
            let i = to_train[j];
            let run = train_and_judge(&specs[i], data, bars.epochs);
            // The writer receives until the last sender is dropped, after this pool.
            let _ = to_writer.send(run.clone());
            counts.add(&run);
            counts.show(bars.runs);
            bars.runs.tick();
            on_done(i);
            run
        });
        drop(to_writer);
        (trained, writer.join())
    });
    let (write_seconds, write_error) = writer.expect("the result-file writer does not panic");
    if let Some(e) = write_error {
        return Err(e.into());
    }
    for (&i, run) in to_train.iter().zip(trained?) {
        tally.trained += 1;
        tally.failed += usize::from(run.failed());
        runs[i] = Some(run);
    }
    tally.write_seconds = write_seconds;
    Ok(Executed {
        runs,
        tally,
        problems,
    })
}

/// Live counts for the run bar's message.
struct Counts {
    present: usize,
    done: AtomicUsize,
    failed: AtomicUsize,
}

impl Counts {
    fn new(tally: &Tally) -> Counts {
        Counts {
            present: tally.present,
            done: AtomicUsize::new(0),
            failed: AtomicUsize::new(tally.failed),
        }
    }
    fn add(&self, run: &StoredRun) {
        self.done.fetch_add(1, Ordering::Relaxed);
        if run.failed() {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn show(&self, bar: &Progress) {
        bar.set_message(format!(
            "{} done, {} present, {} failed",
            self.done.load(Ordering::Relaxed),
            self.present,
            self.failed.load(Ordering::Relaxed)
        ));
    }
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
        train(&short, data, &Silent)?;
        Ok(start.elapsed().as_secs_f64())
    };
    let one = time(1)?;
    let five = time(5)?;
    let per_epoch = ((five - one) / 4.0).max(0.0);
    Ok(((one - per_epoch).max(0.0), per_epoch))
}
