//! `rbp toy`: the teacher-student experiment of the paper (Sec. II, Fig. 2).

use super::{RunResult, Settings, SettingsError};
use crate::data::teacher;
use crate::progress::Progress;

/// The toy experiment: settings plus the training-set size `M` (the test set has `M` too).
#[derive(Clone, Debug)]
pub struct ToyConfig {
    pub settings: Settings,
    pub train_size: usize,
}

impl ToyConfig {
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.train_size == 0 {
            return Err(SettingsError::Other(
                "--train-size must be at least 1".into(),
            ));
        }
        self.settings.validate(self.train_size)
    }
}

/// Runs every seed and optimizer of `config`; the caller shows `progress` (one tick per epoch).
pub fn run(config: &ToyConfig, progress: &Progress) -> Result<Vec<RunResult>, SettingsError> {
    config.validate()?;
    let arch = &config.settings.arch;
    let (n_in, n_out, m) = (arch.input_width(), arch.output_width(), config.train_size);
    Ok(super::run_grid(
        &config.settings,
        |seed| teacher::teacher_student(n_in, n_out, m, seed),
        progress,
    ))
}
