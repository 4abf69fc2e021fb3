//! The image pools runs draw from (MNIST, Fashion-MNIST) and the rule that draws a run's
//! training and test subsets from its seed.
//!
//! Each run draws its own `M` training images and its own test subset, from the standard files
//! or, with [`Pool::Test`], as two disjoint subsets of the 10k test file (for when the 60k
//! training images are not at hand). Targets are one-hot codes, as in the paper.

use super::task::{Pool, TestSize};
use crate::data::idx;
use crate::data::mnist::{self, DataError, DataSpec, Dataset, Split};
use rand::seq::SliceRandom;
use rbp_core::data::{Examples, TrainTest};
use rbp_core::seed::{self, Stream};

/// The images runs draw from: the training pool and the test pool (the same file with
/// [`Pool::Test`]).
pub struct Pools {
    train: Dataset,
    /// `None` with [`Pool::Test`]: test subsets come from `train` too, disjoint from training.
    test: Option<Dataset>,
}

/// Subsets that do not fit in the pools: the parameter (`train_size` or `test_size`) and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{parameter}: {why}")]
pub struct SizeError {
    /// `train_size` or `test_size`.
    pub parameter: &'static str,
    /// What does not fit.
    pub why: String,
}

impl Pools {
    /// Loads only the files `pool` needs (with [`Pool::Test`], the two t10k files).
    pub fn load(source: &DataSpec, pool: Pool) -> Result<Pools, DataError> {
        Ok(match pool {
            Pool::Test => Pools {
                train: mnist::load(source, Split::Test)?,
                test: None,
            },
            Pool::Train => Pools {
                train: mnist::load(source, Split::Train)?,
                test: Some(mnist::load(source, Split::Test)?),
            },
        })
    }

    /// Checks that `m` training images and `test_size` test images fit in the pools.
    pub fn check_sizes(&self, m: usize, test_size: TestSize) -> Result<(), SizeError> {
        let err = |parameter, why| Err(SizeError { parameter, why });
        let Some(test) = &self.test else {
            let n = self.train.len();
            let t = if let TestSize::Count(t) = test_size {
                t
            } else {
                1
            };
            if m + t > n {
                // Blame the subset that cannot fit by itself beside the other's least share.
                let parameter = if t >= n { "test_size" } else { "train_size" };
                return err(
                    parameter,
                    format!(
                        "{m} training images plus {t} test images need {} images, and the test \
                         file (the only pool when training images are drawn from it) has {n}",
                        m + t
                    ),
                );
            }
            return Ok(());
        };
        if m > self.train.len() {
            return err(
                "train_size",
                format!(
                    "{m}: the training file has only {} images",
                    self.train.len()
                ),
            );
        }
        if let TestSize::Count(t) = test_size
            && t > test.len()
        {
            return err(
                "test_size",
                format!("{t}: the test file has only {} images", test.len()),
            );
        }
        Ok(())
    }

    /// Bytes of one run's drawn subsets (inputs and one-hot targets, f32).
    pub fn bytes_per_run(&self, m: usize, test_size: TestSize) -> u128 {
        let test = match test_size {
            TestSize::Count(t) => t,
            TestSize::All => self.test.as_ref().unwrap_or(&self.train).len(),
        };
        4 * (m + test) as u128 * (mnist::PIXELS + idx::NUM_CLASSES) as u128
    }

    /// The training and test subsets of run `seed`.
    pub fn draw(&self, m: usize, test_size: TestSize, seed: u64) -> TrainTest {
        let mut rng = seed::rng(seed, Stream::Subset);
        let mut train_rows: Vec<usize> = (0..self.train.len()).collect();
        train_rows.shuffle(&mut rng);
        let Some(test) = &self.test else {
            let rest = &train_rows[m..];
            let t = match test_size {
                TestSize::Count(t) => t.min(rest.len()),
                TestSize::All => rest.len(),
            };
            return TrainTest {
                train: examples(&self.train, &train_rows[..m]),
                test: examples(&self.train, &rest[..t]),
            };
        };
        let test_rows: Vec<usize> = match test_size {
            TestSize::All => (0..test.len()).collect(),
            TestSize::Count(t) => {
                let mut rows: Vec<usize> = (0..test.len()).collect();
                rows.shuffle(&mut rng);
                rows.truncate(t);
                rows
            }
        };
        TrainTest {
            train: examples(&self.train, &train_rows[..m]),
            test: examples(test, &test_rows),
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
