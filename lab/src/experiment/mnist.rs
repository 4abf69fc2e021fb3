//! `rbp mnist`: the paper's MNIST experiment (Fig. 5), also on Fashion-MNIST.
//!
//! Each run draws its own `M` training images and its own test subset ([`crate::run::images`]).
//! Targets are one-hot codes read through the sigmoid outputs with the quadratic loss, as in the
//! paper; the reported test error is the classification error.

use super::{Settings, SettingsError};
use crate::run::data::ImagesError;
pub use crate::run::{Pool, TestSize};
use crate::run::{RunData, RunDataError, Task};
use rbp_core::memory::MemoryError;
use rbp_datasets::idx;
use rbp_datasets::mnist::{self, DataError, DataSpec};
use serde::{Deserialize, Serialize};

/// The MNIST experiment.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MnistConfig {
    /// Network, optimizers, seeds, schedule.
    pub settings: Settings,
    /// Which files, where, and whether they may be downloaded.
    pub data: DataSpec,
    /// Where training images come from.
    pub pool: Pool,
    /// `M`: training images per run.
    pub train_size: usize,
    /// Test images per run.
    pub test_size: TestSize,
}

/// Why the MNIST experiment could not run.
#[derive(Debug, thiserror::Error)]
pub enum MnistError {
    /// Nonsense settings.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The data could not be had.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Too big for this machine.
    #[error(transparent)]
    Memory(#[from] MemoryError),
    /// A buffer could not be allocated.
    #[error(transparent)]
    Alloc(#[from] rbp_core::memory::AllocError),
}

impl MnistConfig {
    fn check_arch(&self) -> Result<(), MnistError> {
        let arch = &self.settings.arch;
        if arch.input_width() != mnist::PIXELS || arch.output_width() != idx::NUM_CLASSES {
            return Err(SettingsError::new(
                "arch",
                format!(
                    "{arch}: MNIST needs {} inputs and {} outputs (e.g. {})",
                    mnist::PIXELS,
                    idx::NUM_CLASSES,
                    super::protocol::MNIST_ARCH
                ),
            )
            .into());
        }
        Ok(())
    }

    /// The task every run of the experiment learns.
    pub fn task(&self) -> Task {
        Task::Images {
            dataset: self.data.kind,
            pool: self.pool,
            train_size: self.train_size,
            test_size: self.test_size,
        }
    }

    /// Where the runs find their images.
    pub fn run_data(&self) -> RunData {
        RunData::new(vec![self.data.clone()])
    }

    /// Checks the settings, loads the files the runs need (with `--pool test`, the two t10k
    /// files) and checks that the subsets and the runs fit, before any training.
    pub fn prepare(&self, data: &RunData) -> Result<(), MnistError> {
        self.check_arch()?;
        self.settings.validate(self.train_size)?;
        let pools = data.pools(self.data.kind, self.pool).map_err(|e| match e {
            RunDataError::Images { source, .. } => match *source {
                ImagesError::Files(d) => MnistError::Data(d),
                ImagesError::Sizes(s) => SettingsError::new(s.parameter, s.why).into(),
            },
            RunDataError::Alloc(a) => MnistError::Alloc(a),
        })?;
        pools
            .check_sizes(self.train_size, self.test_size)
            .map_err(|s| SettingsError::new(s.parameter, s.why))?;
        let per_run = pools.bytes_per_run(self.train_size, self.test_size);
        self.settings
            .check_memory("this MNIST experiment", per_run, 0)?;
        Ok(())
    }
}
