//! `rbp tune [SPEC.toml]`: every optimizer at an equal tuning budget. Each optimizer gets the
//! same `K` quasi-random trials of its search space ([`space`]) on every task ([`spec`]); the
//! trials train on the validation split, and a budget-`k` study selects the best of the first
//! `k` ([`selection`]); the selected setting of each optimizer at each reported budget is
//! retrained on fresh seeds and measured on the test split ([`plan`]), and the optimizers are
//! compared there, paired by seed ([`compare`]). The report ([`report`]) adds the expected best
//! validation error against budget and win probabilities ([`statistics`]).
//!
//! Both phases go through the run store like `rbp sweep`: resumable, shardable (`--shard I/N`
//! trains a share of the trials and, once every trial is in the store, a share of the final
//! reruns) and mergeable (`--merge DIR` writes the report from the result files alone).

pub mod compare;
pub mod dry_run;
pub mod files;
pub mod plan;
pub mod report;
pub mod selection;
pub mod space;
pub mod spec;
pub mod statistics;

pub use dry_run::dry_run;
pub use spec::{QUICK_SPEC, SpecError, Tune, TuneTask};

use crate::experiment::stored::{self, RunBars, Running, StoredError};
use crate::progress::Progress;
use crate::report::files::{OutDir, OutputError};
use crate::report::plot::PlotError;
use crate::run::store::Loaded;
use crate::run::{
    ExecuteError, Executed, Mode, Pool, RunDataError, RunSpec, RunStore, StoredRun, Tally, TaskKind,
};
use indicatif::{MultiProgress, ProgressDrawTarget};
use rbp_core::file::{self, FileError};
use rbp_datasets::mnist::DatasetKind;
use std::path::{Path, PathBuf};

/// The report, written last: with it present the study is complete.
pub const REPORT: &str = "TUNING.md";

/// Why a study stopped.
#[derive(Debug, thiserror::Error)]
pub enum TuneError {
    /// The spec file could not be read.
    #[error("tune spec {0}")]
    SpecFile(FileError),
    /// The spec reads but is not valid; the error names the key.
    #[error("tune spec {}: {error}", path.display())]
    InvalidSpec { path: PathBuf, error: SpecError },
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Stored(StoredError),
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// The data of the runs could not be loaded; the text names files and the key to change.
    #[error("{0}")]
    Data(String),
    /// A calibration run could not train.
    #[error("{0}")]
    Train(String),
    /// Runs are missing (merge, or trials of other shards); the text says which.
    #[error("{0}")]
    Incomplete(String),
}

impl TuneError {
    fn from_stored(e: StoredError) -> TuneError {
        match e {
            StoredError::Execute(ExecuteError::Data(d)) => TuneError::Data(explain(&d)),
            other => TuneError::Stored(other),
        }
    }
}

/// `error` worded for a study: the data set and pool, what is wrong, and how to point the study
/// at the files.
pub fn explain(error: &RunDataError) -> String {
    let RunDataError::Images { dataset, pool, .. } = error else {
        return error.to_string();
    };
    let name = TaskKind::Images(*dataset).name();
    let hint = match (dataset, pool) {
        (DatasetKind::Mnist, Pool::Train) => {
            "; give MNIST's directory with --data-dir (or `data.mnist_dir`), or, with only the \
             t10k files, split the test file with --pool test (`data.pool = \"test\"`)"
        }
        (DatasetKind::Mnist, Pool::Test) => {
            "; give MNIST's directory with --data-dir (or `data.mnist_dir`)"
        }
        (DatasetKind::Fashion, _) => {
            "; install it (`apt-get install dataset-fashion-mnist`) or set `data.fashion_dir`"
        }
    };
    format!("task {name}: {error}{hint}")
}

/// The largest spec file read: 1 MiB.
pub const MAX_SPEC_BYTES: u64 = 1 << 20;

/// Reads and checks the spec file at `path` (a regular file of at most [`MAX_SPEC_BYTES`]).
pub fn read_spec(path: &Path) -> Result<Tune, TuneError> {
    let text =
        file::read_text_capped(path, MAX_SPEC_BYTES, "a tune spec").map_err(TuneError::SpecFile)?;
    Tune::parse(&text).map_err(|error| TuneError::InvalidSpec {
        path: path.to_path_buf(),
        error,
    })
}

/// What [`run`] did: the counts of both phases, the result files not trusted, and the report
/// (unless sharded).
pub struct TuneOutcome {
    /// Trials and final reruns together.
    pub tally: Tally,
    /// Result files not trusted, one line each.
    pub problems: Vec<String>,
    /// The report and the files written, unless this is a shard.
    pub report: Option<report::Written>,
    /// For a shard: why it stopped where it did.
    pub shard_note: Option<String>,
}

/// Progress bars for both phases.
struct Bars {
    epochs: Progress,
    runs: Progress,
}

impl Bars {
    fn new(tune: &Tune, trial_runs: usize, show: bool) -> Bars {
        let multi = MultiProgress::with_draw_target(if show {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        // The final reruns' count is known once the trials have chosen: at most this many.
        let finals = tune.tasks.len() * tune.spaces.len() * tune.budgets.len();
        let runs = trial_runs + finals * tune.final_seeds.len();
        Bars {
            epochs: Progress::in_multi(&multi, (runs * tune.epochs) as u64, "all", "epochs"),
            runs: Progress::in_multi(&multi, runs as u64, "runs", "runs trained"),
        }
    }
}

/// Runs the study through the store of `out` and, unless sharded, writes the report.
pub fn run(
    tune: &Tune,
    out: &OutDir,
    running: Running,
    show_progress: bool,
) -> Result<TuneOutcome, TuneError> {
    let trials = plan::trials(tune);
    let trial_specs: Vec<RunSpec> = trials.iter().map(|t| t.spec.clone()).collect();
    let bars = Bars::new(tune, trial_specs.len(), show_progress);
    let data = tune.data.run_data();
    let names = vec![REPORT.to_string()];
    let run_bars = RunBars::new(&bars.epochs, &bars.runs, &|_| {});
    let (store, executed) = stored::execute(out, &names, running, &trial_specs, &data, &run_bars)
        .map_err(TuneError::from_stored)?;
    let mut tally = executed.tally.clone();
    let mut problems = executed.problems.clone();
    let trial_results = match complete(&trial_specs, &executed, &store, running.mode) {
        Ok(r) => r,
        Err(missing) if matches!(running.mode, Mode::Train(Some(_))) => {
            return Ok(TuneOutcome {
                tally,
                problems,
                report: None,
                shard_note: Some(format!(
                    "{} trials of other shards are not in the store yet: run this shard \
                     again once every shard's trials are done, to train its share of the final \
                     reruns",
                    missing.len()
                )),
            });
        }
        Err(missing) => return Err(incomplete("trials", missing, trial_specs.len())),
    };
    let scores = selection::scores(tune, &trials, &trial_results.iter().collect::<Vec<_>>());
    let selected = selection::select_all(tune, &scores);
    let (finals, final_specs) = plan::finals(tune, &selected);
    bars.runs
        .set_length((trial_specs.len() + final_specs.len()) as u64);
    bars.epochs
        .set_length(((trial_specs.len() + final_specs.len()) * tune.epochs) as u64);
    let (store, executed) = stored::execute(out, &names, running, &final_specs, &data, &run_bars)
        .map_err(TuneError::from_stored)?;
    add(&mut tally, &executed.tally);
    problems.extend(executed.problems.iter().cloned());
    bars.runs.finish();
    bars.epochs.finish();
    if matches!(running.mode, Mode::Train(Some(_))) {
        return Ok(TuneOutcome {
            tally,
            problems,
            report: None,
            shard_note: None,
        });
    }
    let final_results = complete(&final_specs, &executed, &store, running.mode)
        .map_err(|missing| incomplete("final reruns", missing, final_specs.len()))?;
    let study = report::Study {
        tune,
        trials: &trials,
        scores: &scores,
        selected: &selected,
        finals: &finals,
        final_results: &final_results.iter().collect::<Vec<_>>(),
    };
    // Past the check of `prepare`, files an interrupted study wrote are replaced.
    let written = report::write(&study, &OutDir::new(&out.dir, true))?;
    Ok(TuneOutcome {
        tally,
        problems,
        report: Some(written),
        shard_note: None,
    })
}

fn add(total: &mut Tally, more: &Tally) {
    total.trained += more.trained;
    total.present += more.present;
    total.failed += more.failed;
    total.other_shards += more.other_shards;
    total.write_seconds += more.write_seconds;
}

fn incomplete(what: &str, missing: Vec<String>, of: usize) -> TuneError {
    TuneError::Incomplete(format!(
        "{} of the {of} {what} have no usable result file (run the missing shards with the same \
         spec):\n  {}",
        missing.len(),
        missing.join("\n  ")
    ))
}

/// Every run's result: from `executed`, or (a shard's runs left to others) from the store;
/// the labels of those missing otherwise.
fn complete(
    specs: &[RunSpec],
    executed: &Executed,
    store: &RunStore,
    mode: Mode,
) -> Result<Vec<StoredRun>, Vec<String>> {
    let mut results = Vec::with_capacity(specs.len());
    let mut missing = Vec::new();
    for (spec, run) in specs.iter().zip(&executed.runs) {
        match run {
            Some(r) => results.push(r.clone()),
            None => match (mode, store.load(spec)) {
                (Mode::Train(Some(_)), Loaded::Present(r)) => results.push(*r),
                _ => missing.push(format!(
                    "{} ({})",
                    spec.label(),
                    store.path(&spec.id()).display()
                )),
            },
        }
    }
    if missing.is_empty() {
        Ok(results)
    } else {
        Err(missing)
    }
}

#[cfg(test)]
mod tests;
