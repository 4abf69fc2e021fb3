//! `rbp mnist`: the paper's MNIST experiment (Fig. 5), also on Fashion-MNIST.
//!
//! Each run draws its own `M` training images and its own test subset, from the standard files or,
//! with [`Pool::Test`], as two disjoint subsets of the 10k test file (for when the 60k training
//! images are not at hand). Targets are one-hot codes read through the sigmoid outputs with the
//! quadratic loss, as in the paper; the reported test error is the classification error.

use super::{Checkpointing, GridError, RunObserver, RunResult, Settings, SettingsError};
use crate::data::idx;
use crate::data::mnist::{self, DataError, DataSpec, Dataset, Split};
use rand::seq::SliceRandom;
use rbp_core::data::{Examples, TrainTest};
use rbp_core::memory::MemoryError;
use rbp_core::oracle::Precision;
use rbp_core::seed::{self, Stream};
use serde::{Deserialize, Serialize};

/// Where the training images come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pool {
    /// Training subsets from the training file, test subsets from the test file.
    Train,
    /// Disjoint training and test subsets, both from the 10k test file.
    Test,
}

impl std::fmt::Display for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Pool::Train => "train",
            Pool::Test => "test",
        })
    }
}

impl std::str::FromStr for Pool {
    type Err = String;
    fn from_str(s: &str) -> Result<Pool, String> {
        match s {
            "train" => Ok(Pool::Train),
            "test" => Ok(Pool::Test),
            _ => Err(format!("unknown pool `{s}`; expected train or test")),
        }
    }
}

/// How many test images each run is scored on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TestSize {
    /// This many.
    Count(usize),
    /// Every test image available (with `--pool test`: all those not drawn for training).
    All,
}

impl std::fmt::Display for TestSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TestSize::Count(n) => write!(f, "{n}"),
            TestSize::All => f.write_str("all"),
        }
    }
}

impl std::str::FromStr for TestSize {
    type Err = String;
    fn from_str(s: &str) -> Result<TestSize, String> {
        match s {
            "all" => Ok(TestSize::All),
            _ => match s.parse::<usize>() {
                Ok(n) if n > 0 => Ok(TestSize::Count(n)),
                _ => Err(format!("`{s}` is neither a positive number nor `all`")),
            },
        }
    }
}

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
    /// Training failed.
    #[error(transparent)]
    Grid(#[from] GridError),
}

/// The images runs draw from: the training pool and the test pool (the same file with
/// `--pool test`).
pub struct Pools {
    train: Dataset,
    /// `None` with [`Pool::Test`]: test subsets come from `train` too, disjoint from training.
    test: Option<Dataset>,
}

impl MnistConfig {
    fn check_arch(&self) -> Result<(), MnistError> {
        let arch = &self.settings.arch;
        if arch.input_width() != mnist::PIXELS || arch.output_width() != idx::NUM_CLASSES {
            return Err(SettingsError::new(
                "arch",
                format!(
                    "{arch}: MNIST needs {} inputs and {} outputs (e.g. 784-100-200-10)",
                    mnist::PIXELS,
                    idx::NUM_CLASSES
                ),
            )
            .into());
        }
        Ok(())
    }

    /// Loads only the files this configuration needs (with `--pool test`, the two t10k files).
    pub fn load(&self) -> Result<Pools, MnistError> {
        self.check_arch()?;
        self.settings.validate(self.train_size)?;
        Ok(match self.pool {
            Pool::Test => Pools {
                train: mnist::load(&self.data, Split::Test)?,
                test: None,
            },
            Pool::Train => Pools {
                train: mnist::load(&self.data, Split::Train)?,
                test: Some(mnist::load(&self.data, Split::Test)?),
            },
        })
    }

    /// Checks that the subsets fit in the pools, before any training.
    pub fn check_sizes(&self, pools: &Pools) -> Result<(), MnistError> {
        let m = self.train_size;
        let err = |parameter: &str, why: String| Err(SettingsError::new(parameter, why).into());
        match (&pools.test, self.test_size) {
            (None, size) => {
                let n = pools.train.len();
                let want = m + if let TestSize::Count(t) = size { t } else { 1 };
                if want > n {
                    return err(
                        "train_size",
                        format!(
                            "{m} training images plus the test subset need {want} images, the \
                             test file (the only pool with `pool = test`) has {n}"
                        ),
                    );
                }
            }
            (Some(test), size) => {
                if m > pools.train.len() {
                    return err(
                        "train_size",
                        format!(
                            "{m}: the training file has only {} images",
                            pools.train.len()
                        ),
                    );
                }
                if let TestSize::Count(t) = size
                    && t > test.len()
                {
                    return err(
                        "test_size",
                        format!("{t}: the test file has only {} images", test.len()),
                    );
                }
            }
        }
        let per_seed = 4
            * (m + match self.test_size {
                TestSize::Count(t) => t,
                TestSize::All => pools.test.as_ref().unwrap_or(&pools.train).len(),
            }) as u128
            * (mnist::PIXELS + idx::NUM_CLASSES) as u128;
        self.settings
            .check_memory("this MNIST experiment", per_seed, 0)?;
        Ok(())
    }

    /// The training and test subsets of run `seed`.
    pub fn draw(&self, pools: &Pools, seed: u64) -> TrainTest {
        let mut rng = seed::rng(seed, Stream::Subset);
        let m = self.train_size;
        let mut train_rows: Vec<usize> = (0..pools.train.len()).collect();
        train_rows.shuffle(&mut rng);
        match &pools.test {
            None => {
                let rest = &train_rows[m..];
                let t = match self.test_size {
                    TestSize::Count(t) => t.min(rest.len()),
                    TestSize::All => rest.len(),
                };
                TrainTest {
                    train: examples(&pools.train, &train_rows[..m]),
                    test: examples(&pools.train, &rest[..t]),
                }
            }
            Some(test) => {
                let test_rows: Vec<usize> = match self.test_size {
                    TestSize::All => (0..test.len()).collect(),
                    TestSize::Count(t) => {
                        let mut rows: Vec<usize> = (0..test.len()).collect();
                        rows.shuffle(&mut rng);
                        rows.truncate(t);
                        rows
                    }
                };
                TrainTest {
                    train: examples(&pools.train, &train_rows[..m]),
                    test: examples(test, &test_rows),
                }
            }
        }
    }
}

/// The images at `rows` as training examples: pixels in, one-hot codes as targets.
fn examples(data: &Dataset, rows: &[usize]) -> Examples {
    let labels: Vec<u8> = rows.iter().map(|&r| data.labels[r]).collect();
    Examples {
        inputs: data.images.select(ndarray::Axis(0), rows),
        targets: mnist::one_hot(&labels),
        labels: Some(labels),
    }
}

/// Runs every seed and optimizer of `config` on `pools`.
pub fn run(
    config: &MnistConfig,
    pools: &Pools,
    observer: &dyn RunObserver,
    checkpointing: Option<&Checkpointing>,
) -> Result<Vec<RunResult>, MnistError> {
    run_at(config, Precision::F32, pools, observer, checkpointing)
}

/// [`run`] in `precision` (see [`super::grid::run_grid_at`]).
pub fn run_at(
    config: &MnistConfig,
    precision: Precision,
    pools: &Pools,
    observer: &dyn RunObserver,
    checkpointing: Option<&Checkpointing>,
) -> Result<Vec<RunResult>, MnistError> {
    config.check_arch()?;
    config.settings.validate(config.train_size)?;
    config.check_sizes(pools)?;
    Ok(super::grid::run_grid_at(
        &config.settings,
        precision,
        |seed| Ok(config.draw(pools, seed)),
        observer,
        checkpointing,
    )?)
}
