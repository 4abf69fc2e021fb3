//! What the studies that keep their runs in a store share (`reproduce`, `sweep`): the output
//! directory prepared unless sharded, the store opened, one BLAS thread per run, the plan
//! executed with progress bars, and the completeness check before anything is summarised.

use crate::progress::Progress;
use crate::report::files::{OutDir, OutputError};
use crate::run::pool::configure_blas;
use crate::run::{
    self, ExecuteError, Executed, Hooks, Mode, Observer, RunData, RunSpec, RunStore, StoreError,
    StoredRun,
};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Progress of a list of runs: an epoch bar (for the ETA) and a run bar whose message counts runs
/// done, present and failed; `on_done(i)` is told as run `i` becomes available.
pub struct RunBars<'a> {
    /// Ticks once per trained epoch (and `epochs` at once per run found present).
    pub epochs: &'a Progress,
    /// Ticks once per run; its message shows the counts.
    pub runs: &'a Progress,
    /// Called with each run's index in the list as it becomes available.
    pub on_done: &'a (dyn Fn(usize) + Sync),
    done: AtomicUsize,
    present: AtomicUsize,
    failed: AtomicUsize,
}

impl<'a> RunBars<'a> {
    /// Bars `epochs` and `runs`, telling `on_done` of each run.
    pub fn new(
        epochs: &'a Progress,
        runs: &'a Progress,
        on_done: &'a (dyn Fn(usize) + Sync),
    ) -> RunBars<'a> {
        RunBars {
            epochs,
            runs,
            on_done,
            done: AtomicUsize::new(0),
            present: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
        }
    }
}

impl Observer for RunBars<'_> {
    fn epochs_done(&self, n: u64) {
        self.epochs.inc(n);
    }
    fn run_done(&self, i: usize, run: &StoredRun, trained: bool) {
        let count = if trained { &self.done } else { &self.present };
        count.fetch_add(1, Ordering::Relaxed);
        self.failed
            .fetch_add(usize::from(run.failed()), Ordering::Relaxed);
        self.runs.set_message(format!(
            "{} done, {} present, {} failed",
            self.done.load(Ordering::Relaxed),
            self.present.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed)
        ));
        self.runs.tick();
        (self.on_done)(i);
    }
}

/// Why a stored study could not execute its plan.
#[derive(Debug, thiserror::Error)]
pub enum StoredError {
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Execute(#[from] ExecuteError),
}

/// How a stored study runs: train or merge, runs at once, how often unfinished runs save state.
#[derive(Clone, Copy, Debug)]
pub struct Running {
    /// Train (all or a shard's share) or merge.
    pub mode: Mode,
    /// Runs trained at once.
    pub workers: usize,
    /// Save each unfinished run's state every this many epochs.
    pub save_every: Option<usize>,
}

/// Prepares `out` (unless sharded: shards share a directory, and only the merge writes the
/// summary `final_files`), opens its store and executes `specs` with one BLAS thread per run (a
/// run's numbers must not depend on how many run at once).
pub fn execute(
    out: &OutDir,
    final_files: &[String],
    running: Running,
    specs: &[RunSpec],
    data: &RunData,
    bars: &RunBars<'_>,
) -> Result<(RunStore, Executed), StoredError> {
    let Running {
        mode,
        workers,
        save_every,
    } = running;
    if mode == Mode::Merge && !out.dir.is_dir() {
        return Err(OutputError::NoMergeDirectory(out.dir.clone()).into());
    }
    if !matches!(mode, Mode::Train(Some(_))) {
        let refs: Vec<&str> = final_files.iter().map(String::as_str).collect();
        out.prepare(&refs)?;
    }
    let store = RunStore::open(&out.dir)?;
    configure_blas(workers, 1);
    let hooks = Hooks {
        save_every,
        ..Hooks::observed(bars)
    };
    let executed = run::execute(specs, Some(&store), mode, workers, data, hooks)?;
    Ok((store, executed))
}

/// The runs of `specs` without a usable result, one line each (`label (file)`).
pub fn missing(specs: &[RunSpec], executed: &Executed, store: &RunStore) -> Vec<String> {
    specs
        .iter()
        .zip(&executed.runs)
        .filter(|(_, r)| r.is_none())
        .map(|(s, _)| format!("{} ({})", s.label(), store.path(&s.id()).display()))
        .collect()
}
