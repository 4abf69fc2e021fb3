//! `rbp landscape` as a command: the output directory and the run store, progress, the study,
//! and the files.

use super::report::{self, SaveError};
use super::{LandscapeConfig, LandscapeError, Solution, StudyProgress};
use crate::report::files::OutDir;
use crate::run::{RunData, RunStore, StoreError, Task};
use std::path::PathBuf;
use std::time::Instant;

/// The file a complete study writes last: with it present a rerun refuses unless `--overwrite`.
const DONE_MARKER: &str = "landscape.md";

/// A landscape study and how to run it.
pub struct LandscapeCommand {
    /// What to train and probe.
    pub config: LandscapeConfig,
    /// The task of every run.
    pub task: Task,
    /// The task as `landscape.json` describes it.
    pub task_json: serde_json::Value,
    /// Where results go (the run store in `DIR/runs`, then the study's files).
    pub out: Option<OutDir>,
    /// Save each unfinished run's state every this many epochs (needs `out`).
    pub save_every: Option<usize>,
    /// Draw progress bars on stderr.
    pub show_progress: bool,
}

/// Why the command stopped.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Study(#[from] LandscapeError),
    #[error(transparent)]
    Save(#[from] SaveError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the study produced.
pub struct LandscapeOutcome {
    /// The summary table.
    pub table: String,
    /// Every probed solution.
    pub solutions: Vec<Solution>,
    /// Wall time of the study.
    pub seconds: f64,
    /// The files written (with `--out`).
    pub files: Vec<PathBuf>,
}

/// Runs the study of `command` (its settings validated, its images prepared in `data`).
pub fn run(command: &LandscapeCommand, data: &RunData) -> Result<LandscapeOutcome, CommandError> {
    let config = &command.config;
    let stored = match &command.out {
        Some(out) => {
            out.prepare(&[DONE_MARKER]).map_err(SaveError::from)?;
            let store = RunStore::open(&out.dir)?;
            Some((OutDir::new(&out.dir, true), store))
        }
        None => None,
    };
    let s = &config.settings;
    let runs = (s.seeds.len() * s.optimizers.len()) as u64;
    let twins = u64::from(config.moments.contains(&super::Moment::Best));
    let progress = StudyProgress::new(
        runs * (1 + twins) * s.epochs as u64,
        runs * config.moments.len() as u64,
        command.show_progress,
    );
    let start = Instant::now();
    let store = stored.as_ref().map(|(_, store)| store);
    let super::Study {
        solutions,
        diverged,
    } = super::run(
        config,
        &command.task,
        data,
        store,
        command.save_every,
        &progress,
    )?;
    progress.finish();
    let seconds = start.elapsed().as_secs_f64();
    let files = match &stored {
        Some((out, _)) => {
            let study = report::Study {
                task: &command.task_json,
                solutions: &solutions,
                diverged: &diverged,
                seconds,
            };
            report::save(out, config, &study)?
        }
        None => Vec::new(),
    };
    Ok(LandscapeOutcome {
        table: report::table(config, &solutions) + &report::diverged_lines(&diverged),
        solutions,
        seconds,
        files,
    })
}
