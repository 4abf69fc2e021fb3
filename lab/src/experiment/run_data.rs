//! The examples a stored run trains on: the teacher task's, drawn from the seed, or MNIST's and
//! Fashion-MNIST's, drawn from image pools that are loaded once and shared by every run.
//!
//! Loading goes through `rbp mnist`'s own code ([`MnistConfig::load`], [`MnistConfig::check_sizes`],
//! [`MnistConfig::draw`]), so a run of a sweep or of `rbp reproduce` draws exactly the images
//! `rbp mnist` draws for the same seed and sizes. [`RunData::prepare`] loads what a list of runs
//! needs before any of them trains, so missing files stop the list with an error naming the files
//! and the directory instead of failing run after run.

use crate::data::mnist::{DataSpec, DatasetKind};
use crate::experiment::mnist::{MnistConfig, MnistError, Pool, Pools};
use crate::experiment::store::{RunSpec, Task};
use rbp_core::data::{TrainTest, teacher};
use rbp_core::memory::AllocError;
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
        source: Box<MnistError>,
    },
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

    /// The configuration `rbp mnist` would run `spec` with (`None` for the teacher task).
    fn mnist_config(&self, spec: &RunSpec) -> Option<MnistConfig> {
        let Task::Images {
            dataset,
            pool,
            train_size,
            test_size,
        } = spec.task
        else {
            return None;
        };
        Some(MnistConfig {
            settings: spec.settings(),
            data: self.source(dataset),
            pool,
            train_size,
            test_size,
        })
    }

    /// The pools of `config`'s data set and pool (loaded on first use), checked to hold its
    /// subsets.
    fn pools(&self, config: &MnistConfig) -> Result<Arc<Pools>, RunDataError> {
        let error = |source: MnistError| RunDataError::Images {
            dataset: config.data.kind,
            pool: config.pool,
            source: Box::new(source),
        };
        let key = (config.data.kind, config.pool);
        let pools = {
            // Held while loading, so two workers never load the same files twice.
            let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
            match loaded.iter().find(|(k, _)| *k == key) {
                Some((_, pools)) => pools.clone(),
                None => {
                    let pools = Arc::new(config.load().map_err(error)?);
                    loaded.push((key, pools.clone()));
                    pools
                }
            }
        };
        config.check_sizes(&pools).map_err(error)?;
        Ok(pools)
    }

    /// Loads the data every run of `specs` needs and checks that its subsets fit, before any
    /// run trains.
    pub fn prepare<'a>(
        &self,
        specs: impl IntoIterator<Item = &'a RunSpec>,
    ) -> Result<(), RunDataError> {
        for config in specs.into_iter().filter_map(|s| self.mnist_config(s)) {
            self.pools(&config)?;
        }
        Ok(())
    }

    /// The training and test examples of `spec`'s run.
    pub fn split(&self, spec: &RunSpec) -> Result<TrainTest, RunDataError> {
        match self.mnist_config(spec) {
            None => {
                let arch = &spec.arch;
                Ok(teacher::teacher_student(
                    arch.input_width(),
                    arch.output_width(),
                    spec.task.train_size(),
                    spec.seed,
                )?)
            }
            Some(config) => {
                let pools = self.pools(&config)?;
                Ok(config.draw(&pools, spec.seed))
            }
        }
    }
}
