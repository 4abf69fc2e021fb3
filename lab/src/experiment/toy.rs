//! `rbp toy`: the teacher-student experiment of the paper (Sec. II, Fig. 2).

use super::{Checkpointing, GridError, RunObserver, RunResult, Settings, SettingsError, protocol};
use rbp_core::data::teacher;
use rbp_core::memory::MemoryError;
use rbp_core::oracle::Precision;
use serde::{Deserialize, Serialize};

/// The toy experiment: settings plus the training-set size `M` (the test set has `M` too).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ToyConfig {
    /// Network, optimizers, seeds, schedule.
    pub settings: Settings,
    /// `M`: training examples, and test examples.
    pub train_size: usize,
}

/// Why the toy experiment could not run.
#[derive(Debug, thiserror::Error)]
pub enum ToyError {
    /// Nonsense settings.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// Too big for this machine.
    #[error(transparent)]
    Memory(#[from] MemoryError),
    /// Training failed.
    #[error(transparent)]
    Grid(#[from] GridError),
}

impl ToyConfig {
    /// The paper's toy protocol: 100-400-200-10, `M = 1000`, 10 seeds.
    pub fn paper() -> ToyConfig {
        ToyConfig {
            settings: Settings::paper(
                protocol::TOY_ARCH
                    .parse()
                    .expect("the paper's widths are valid"),
                protocol::TOY_SEEDS,
            ),
            train_size: protocol::TOY_TRAIN_SIZE,
        }
    }

    /// Rejects nonsense and sizes that cannot fit in memory, before any work.
    pub fn validate(&self) -> Result<(), ToyError> {
        if self.train_size == 0 {
            return Err(SettingsError::new("train_size", "must be at least 1").into());
        }
        self.settings.validate(self.train_size)?;
        let arch = &self.settings.arch;
        let (n_in, n_out) = (arch.input_width() as u128, arch.output_width() as u128);
        // The teacher, and M training plus M test examples of inputs and targets.
        let per_seed = 4 * (n_in * n_out + 2 * self.train_size as u128 * (n_in + n_out));
        self.settings
            .check_memory("this toy experiment", per_seed, 0)?;
        Ok(())
    }
}

/// Runs every seed and optimizer of `config`.
pub fn run(
    config: &ToyConfig,
    observer: &dyn RunObserver,
    checkpointing: Option<&Checkpointing>,
) -> Result<Vec<RunResult>, ToyError> {
    run_at(config, Precision::F32, observer, checkpointing)
}

/// [`run`] in `precision` (see [`super::grid::run_grid_at`]).
pub fn run_at(
    config: &ToyConfig,
    precision: Precision,
    observer: &dyn RunObserver,
    checkpointing: Option<&Checkpointing>,
) -> Result<Vec<RunResult>, ToyError> {
    config.validate()?;
    let arch = &config.settings.arch;
    let (n_in, n_out, m) = (arch.input_width(), arch.output_width(), config.train_size);
    Ok(super::grid::run_grid_at(
        &config.settings,
        precision,
        |seed| teacher::teacher_student(n_in, n_out, m, seed),
        observer,
        checkpointing,
    )?)
}
