//! The examples a run trains on: the teacher task's, drawn from the seed, or MNIST's and
//! Fashion-MNIST's, drawn from image pools that are loaded once and shared by every run.
//!
//! [`RunData::prepare`] loads what a list of runs needs before any of them trains, so missing
//! files stop the list with an error naming the files and the directory instead of failing run
//! after run.

use super::images::{Pools, SizeError};
use super::spec::RunSpec;
use super::task::{HeldOut, Pool, Task};
use rbp_core::data::{TrainTest, teacher};
use rbp_core::memory::AllocError;
use rbp_datasets::mnist::{DataError, DataSpec, DatasetKind};
use std::sync::{Arc, Mutex};

/// Why a run's examples could not be had.
#[derive(Debug, thiserror::Error)]
pub enum RunDataError {
    /// The teacher task's examples could not be allocated.
    #[error(transparent)]
    Alloc(#[from] AllocError),
    /// An image data set could not be loaded, or the run's subsets do not fit in it.
    #[error("{dataset} ({pool} pool): {source}")]
    Images {
        /// Which data set.
        dataset: DatasetKind,
        /// Which pool.
        pool: Pool,
        /// What went wrong: missing or corrupt files, sizes that do not fit.
        source: Box<ImagesError>,
    },
}

/// What went wrong with an image data set.
#[derive(Debug, thiserror::Error)]
pub enum ImagesError {
    /// Its files are missing or corrupt.
    #[error(transparent)]
    Files(#[from] DataError),
    /// The run's subsets do not fit in it.
    #[error(transparent)]
    Sizes(#[from] SizeError),
}

/// The pools of one data set and pool, loaded once.
type LoadedPools = ((DatasetKind, Pool), Arc<Pools>);

/// Where the image data sets are, and the pools loaded so far.
pub struct RunData {
    /// Where each data set's files are looked for; a data set not listed is looked for where
    /// `rbp mnist --offline` looks (`$RBP_DATA_DIR` or the cache directory for MNIST, the
    /// system directory for Fashion-MNIST), never downloaded.
    sources: Vec<DataSpec>,
    loaded: Mutex<Vec<LoadedPools>>,
}

impl Default for RunData {
    fn default() -> RunData {
        RunData::new(Vec::new())
    }
}

impl RunData {
    /// Image data looked for as `sources` say (at most one per data set).
    pub fn new(sources: Vec<DataSpec>) -> RunData {
        RunData {
            sources,
            loaded: Mutex::new(Vec::new()),
        }
    }

    /// Where `dataset`'s files are looked for.
    pub fn source(&self, dataset: DatasetKind) -> DataSpec {
        self.sources
            .iter()
            .find(|s| s.kind == dataset)
            .cloned()
            .unwrap_or_else(|| DataSpec {
                offline: true,
                progress: false,
                ..DataSpec::new(dataset)
            })
    }

    /// The pools of `dataset` and `pool`, loaded on first use.
    pub fn pools(&self, dataset: DatasetKind, pool: Pool) -> Result<Arc<Pools>, RunDataError> {
        let key = (dataset, pool);
        // Held while loading, so two workers never load the same files twice.
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, pools)) = loaded.iter().find(|(k, _)| *k == key) {
            return Ok(pools.clone());
        }
        let pools = Pools::load(&self.source(dataset), pool).map_err(|e| RunDataError::Images {
            dataset,
            pool,
            source: Box::new(e.into()),
        })?;
        let pools = Arc::new(pools);
        loaded.push((key, pools.clone()));
        Ok(pools)
    }

    /// The pools of an image task, checked to hold its subsets scored on `held_out` (`None`
    /// for the teacher task).
    fn task_pools(
        &self,
        task: &Task,
        held_out: HeldOut,
    ) -> Result<Option<Arc<Pools>>, RunDataError> {
        let Task::Images {
            dataset,
            pool,
            train_size,
            test_size,
        } = *task
        else {
            return Ok(None);
        };
        let pools = self.pools(dataset, pool)?;
        let checked = match held_out {
            HeldOut::Test => pools.check_sizes(train_size, test_size),
            HeldOut::Validation => pools.check_validation(train_size, test_size),
        };
        checked.map_err(|e| RunDataError::Images {
            dataset,
            pool,
            source: Box::new(e.into()),
        })?;
        Ok(Some(pools))
    }

    /// Loads the data every run of `specs` needs and checks that its subsets fit, before any
    /// run trains.
    pub fn prepare<'a>(
        &self,
        specs: impl IntoIterator<Item = &'a RunSpec>,
    ) -> Result<(), RunDataError> {
        for spec in specs {
            self.task_pools(&spec.task, spec.held_out)?;
        }
        Ok(())
    }

    /// The training examples of `spec`'s run, and the held-out examples it is scored on.
    pub fn split(&self, spec: &RunSpec) -> Result<TrainTest, RunDataError> {
        let pools = self.task_pools(&spec.task, spec.held_out)?;
        if let (
            &Task::Images {
                train_size,
                test_size,
                ..
            },
            Some(pools),
        ) = (&spec.task, pools)
        {
            return Ok(pools.draw_scored(train_size, test_size, spec.held_out, spec.seed));
        }
        let (arch, m, seed) = (&spec.arch, spec.task.train_size(), spec.seed);
        let (input, output) = (arch.input_width(), arch.output_width());
        Ok(match spec.held_out {
            HeldOut::Test => teacher::teacher_student(input, output, m, seed)?,
            HeldOut::Validation => teacher::teacher_student_validation(input, output, m, seed)?,
        })
    }
}
