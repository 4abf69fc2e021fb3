//! `rbp toy`: the teacher-student experiment of the paper (Sec. II, Fig. 2).

use super::{Settings, SettingsError, protocol};
use crate::run::Task;
use rbp_core::memory::MemoryError;
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

    /// The task every run of the experiment learns.
    pub fn task(&self) -> Task {
        Task::Teacher {
            train_size: self.train_size,
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
        let per_run = 4 * (n_in * n_out + 2 * self.train_size as u128 * (n_in + n_out));
        self.settings
            .check_memory("this toy experiment", per_run, 0)?;
        Ok(())
    }
}
