//! `rbp toy` and `rbp mnist`: every optimizer on every seed of one task. The command plans its
//! runs (seed by seed, optimizers in the order given), hands them to the runner, and writes the
//! table, `curves.csv` and `summary.json`.
//!
//! A seed's data, initial weights and batch order are the same for every optimizer (the
//! comparison is paired), and R-BackProp's coin has its own stream. With `--out`, each run's
//! result is kept in the run store, so running the same command again trains only what is
//! missing (and, with `--checkpoint-every`, continues interrupted runs from their saved state).

use super::output::{Finished, backend_line};
use super::{Experiment, RunResult, Settings};
use crate::progress::Progress;
use crate::report::files::{OutDir, OutputError};
use crate::report::table::PaperValue;
use crate::run::{
    self, ExecuteError, HeldOut, Hooks, Mode, RunData, RunSpec, RunStore, StoreError, Task,
};
use rbp_core::checkpoint::{self, Checkpoint, CheckpointError};
use rbp_core::oracle::{self, OracleError, Precision};
use rbp_core::train::Recording;
use rbp_datasets::mnist::{self, DatasetKind};
use std::path::PathBuf;
use std::time::Instant;

/// The single checkpoint file earlier versions of rbp wrote into `--out` (read by `rbp resume`).
pub const OLD_CHECKPOINT: &str = "checkpoint.rbpck";

/// The file a complete `toy` or `mnist` command writes last: its presence means the command
/// finished, so a rerun over the same `--out` refuses unless `--overwrite`.
const DONE_MARKER: &str = "summary.json";

/// A `toy` or `mnist` command: the experiment and how to run it.
#[derive(Clone, Debug)]
pub struct GridCommand {
    /// What to train.
    pub experiment: Experiment,
    /// The arithmetic of training.
    pub precision: Precision,
    /// Where results go (the run store in `DIR/runs`, then the summary files).
    pub out: Option<OutDir>,
    /// Save each unfinished run's state every this many epochs (needs `out`).
    pub save_every: Option<usize>,
    /// Draw a progress bar on stderr.
    pub show_progress: bool,
    /// Whether the command continues an earlier rbp's checkpoint in `out` (`rbp resume`), whose
    /// runs [`import_checkpoint`] moved into the store; otherwise such a file is not buried.
    pub resumes_old_checkpoint: bool,
}

/// Why a `toy` or `mnist` command stopped.
#[derive(Debug, thiserror::Error)]
pub enum GridError {
    /// The f64 oracle cannot run an optimizer of the command.
    #[error(transparent)]
    Oracle(#[from] OracleError),
    /// The output directory cannot be used.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The run store cannot be written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The runs could not be trained.
    #[error(transparent)]
    Execute(#[from] ExecuteError),
    /// Runs could not train at all; the text names them.
    #[error("{0}")]
    Failed(String),
    /// `--out` holds an earlier rbp's checkpoint, whose runs would be lost.
    #[error(
        "{} already exists (written by an earlier rbp): continue it with `rbp resume {}`, or \
         remove it to start again",
        .0.display(),
        .0.display()
    )]
    OldCheckpoint(PathBuf),
    /// An old checkpoint could not be read or moved into the store.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

/// What a command produced.
pub struct GridOutcome {
    /// The final table.
    pub table: String,
    /// The runs, in plan order.
    pub runs: Vec<RunResult>,
    /// Trained here, and found in the store.
    pub tally: run::Tally,
    /// Wall time of the runs.
    pub seconds: f64,
    /// The files written (with `--out`).
    pub files: Vec<PathBuf>,
}

/// Every run of `settings` on `task`: seed by seed, the optimizers in the order given.
pub fn plan(settings: &Settings, task: &Task, precision: Precision) -> Vec<RunSpec> {
    let specs = settings.seeds.iter().flat_map(|&seed| {
        settings.optimizers.iter().map(move |&optimizer| RunSpec {
            task: task.clone(),
            arch: settings.arch.clone(),
            batch: settings.batch,
            epochs: settings.epochs,
            init: settings.init,
            hyper: settings.hyper,
            optimizer,
            seed,
            recording: Recording::EveryEpoch,
            precision,
            held_out: HeldOut::Test,
        })
    });
    specs.collect()
}

impl GridCommand {
    /// The experiment's task.
    fn task(&self) -> Task {
        match &self.experiment {
            Experiment::Toy(c) => c.task(),
            Experiment::Mnist(c) => c.task(),
        }
    }

    /// The header's first line: the command, its network, task and settings.
    pub fn header(&self) -> String {
        let s = self.experiment.settings();
        let description = match &self.experiment {
            Experiment::Toy(c) => format!("M = {}", c.train_size),
            Experiment::Mnist(c) => format!(
                "{}, M = {}, test size {:?}, pool {:?}",
                c.data.kind, c.train_size, c.test_size, c.pool
            ),
        };
        format!(
            "rbp {}: arch {}, {description}, {}, precision {}\n{}",
            self.experiment.name(),
            s.arch,
            s.describe(),
            self.precision,
            backend_line(s.workers, s.blas_threads)
        )
    }

    /// Checks the output directory: refuses to replace a finished command's results unless
    /// `--overwrite`, and opens the run store (checked writable) before any training.
    fn open_store(&self) -> Result<Option<(OutDir, RunStore)>, GridError> {
        let Some(out) = &self.out else {
            return Ok(None);
        };
        out.prepare(&[DONE_MARKER])?;
        let old = out.path(OLD_CHECKPOINT);
        if old.exists() && !self.resumes_old_checkpoint {
            return Err(GridError::OldCheckpoint(old));
        }
        let store = RunStore::open(&out.dir)?;
        // Past the marker, the command's own earlier files (a killed run's) are replaced.
        Ok(Some((OutDir::new(&out.dir, true), store)))
    }

    /// Description of the task for `summary.json`, the paper's values, and whether the task
    /// reports a classification error.
    fn summary_task(&self) -> (serde_json::Value, &'static [PaperValue], bool) {
        match &self.experiment {
            Experiment::Toy(c) => {
                let m = c.train_size;
                let task = serde_json::json!({ "task": "teacher-student", "train_size": m, "test_size": m });
                (task, &[], false)
            }
            Experiment::Mnist(c) => {
                let task = serde_json::json!({
                    "task": c.data.kind.to_string(),
                    "train_size": c.train_size,
                    "test_size": c.test_size,
                    "pool": c.pool,
                    "data_dir": mnist::data_dir(&c.data).ok(),
                });
                let paper: &'static [PaperValue] = if c.data.kind == DatasetKind::Mnist {
                    &crate::paper::FIG5_CLASS_ERROR
                } else {
                    &[]
                };
                (task, paper, true)
            }
        }
    }
}

/// Runs `command` (its experiment already validated, and MNIST's files prepared in `data`),
/// then writes the table and, with `--out`, the files.
pub fn run(command: &GridCommand, data: &RunData) -> Result<GridOutcome, GridError> {
    let s = command.experiment.settings();
    if command.precision == Precision::F64 {
        // Refuse an optimizer the oracle lacks before any run starts.
        for &kind in &s.optimizers {
            oracle::supports(kind, &s.hyper)?;
        }
    }
    let stored = command.open_store()?;
    let specs = plan(s, &command.task(), command.precision);
    run::pool::configure_blas(s.workers, s.blas_threads);
    let total = (specs.len() * s.epochs) as u64;
    let progress = Progress::new(total, command.experiment.name(), command.show_progress);
    let hooks = Hooks {
        save_every: command.save_every,
        ..Hooks::observed(&progress)
    };
    let start = Instant::now();
    let store = stored.as_ref().map(|(_, store)| store);
    let executed = run::execute(&specs, store, Mode::Train(None), s.workers, data, hooks)?;
    progress.finish();
    let seconds = start.elapsed().as_secs_f64();
    let runs = finished_runs(&executed)?;
    let (task, paper, class_error) = command.summary_task();
    let finished = Finished {
        command: command.experiment.name(),
        settings: s,
        task,
        precision: command.precision,
        runs: &runs,
        seconds,
        class_error,
        paper,
    };
    let files = match &stored {
        Some((out, _)) => finished.save(out)?,
        None => Vec::new(),
    };
    Ok(GridOutcome {
        table: finished.table(),
        tally: executed.tally,
        runs,
        seconds,
        files,
    })
}

/// The results of every run, or an error naming those that could not train at all.
fn finished_runs(executed: &run::Executed) -> Result<Vec<RunResult>, GridError> {
    let mut runs = Vec::with_capacity(executed.runs.len());
    let mut unusable = Vec::new();
    for r in executed.runs.iter().flatten() {
        match r.could_not_train() {
            Some(reason) => unusable.push(format!("run {}: {reason}", r.spec.label())),
            None => runs.push(r.result.clone()),
        }
    }
    if unusable.is_empty() {
        Ok(runs)
    } else {
        Err(GridError::Failed(unusable.join("\n")))
    }
}

/// `rbp resume`'s reading of a checkpoint written by an earlier rbp (one file for a whole
/// command): the command it describes, with its runs moved into the run store of the file's
/// directory. The file itself is left for the caller to remove once the command is complete.
pub fn import_checkpoint(path: &std::path::Path) -> Result<(Experiment, usize), GridError> {
    let saved: Checkpoint = checkpoint::load(path)?;
    let invalid = |why: String| CheckpointError::Invalid {
        path: path.to_path_buf(),
        why,
    };
    if path.file_name() != Some(OLD_CHECKPOINT.as_ref()) {
        return Err(invalid(format!(
            "`rbp resume` reads the {OLD_CHECKPOINT} files earlier rbp versions wrote into --out; \
             to continue a command, run it again with the same --out DIR"
        ))
        .into());
    }
    let experiment = Experiment::from_checkpoint_text(&saved.settings).map_err(invalid)?;
    let every = serde_json::from_str::<serde_json::Value>(&saved.settings)
        .ok()
        .and_then(|v| v.get("checkpoint_every")?.as_u64())
        .map_or(1, |n| n.max(1) as usize);
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let store = RunStore::open(dir.unwrap_or(std::path::Path::new(".")))?;
    let task = match &experiment {
        Experiment::Toy(c) => c.task(),
        Experiment::Mnist(c) => c.task(),
    };
    for spec in plan(experiment.settings(), &task, Precision::F32) {
        let label = format!("{} seed {}", spec.optimizer.name(), spec.seed);
        let Some(run) = saved.runs.iter().find(|r| r.label == label) else {
            continue;
        };
        match &run.progress {
            checkpoint::Progress::Finished(records) => store.save(&run::StoredRun {
                status: run::Status::Finished,
                result: RunResult {
                    optimizer: spec.optimizer,
                    seed: spec.seed,
                    records: records.clone(),
                },
                backend: rbp_core::gemm::backend_name(),
                seconds: 0.0,
                spec,
            })?,
            checkpoint::Progress::InProgress { state, .. } => {
                store.save_state(&spec, (**state).clone())?;
                continue;
            }
        };
    }
    Ok((experiment, every))
}
