//! The image pools runs draw from (MNIST, Fashion-MNIST) and the rule that draws a run's
//! training and test subsets from its seed.
//!
//! Each run draws its own `M` training images and its own test subset, from the standard files
//! or, with [`Pool::Test`], as two disjoint subsets of the 10k test file (for when the 60k
//! training images are not at hand). Targets are one-hot codes, as in the paper. A run scored on
//! validation ([`HeldOut::Validation`]) trains on the same images and is scored on as many
//! others, held out of the pool its training images come from.

use super::task::{HeldOut, Pool, TestSize};
use rand::seq::SliceRandom;
use rbp_core::data::{Examples, TrainTest};
use rbp_core::seed::{self, Stream};
use rbp_datasets::idx;
use rbp_datasets::mnist::{self, DataError, DataSpec, Dataset, Split};

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

    /// Checks that `m` training images and a validation subset as large as the `test_size`
    /// test subset fit in the pool training images come from.
    pub fn check_validation(&self, m: usize, test_size: TestSize) -> Result<(), SizeError> {
        let n = self.train.len();
        let (v, taken, what) = match (&self.test, test_size) {
            (Some(_), _) => (self.validation_count(test_size), m, "training"),
            (None, TestSize::Count(t)) => (t, m + t, "training and test"),
            (None, TestSize::All) => {
                return Err(SizeError {
                    parameter: "test_size",
                    why: "`all` leaves no images for validation in the test file (the only \
                          pool); give a count"
                        .into(),
                });
            }
        };
        if taken + v > n {
            return Err(SizeError {
                parameter: "train_size",
                why: format!(
                    "{v} validation images beside {taken} {what} images need {} images, and \
                     the pool has {n}",
                    taken + v
                ),
            });
        }
        Ok(())
    }

    /// Validation images per run with a separate test file: as many as the test subset.
    fn validation_count(&self, test_size: TestSize) -> usize {
        match (test_size, &self.test) {
            (TestSize::Count(t), _) => t,
            (TestSize::All, Some(test)) => test.len(),
            (TestSize::All, None) => 0,
        }
    }

    /// Run `seed`'s training subset, scored on `held_out`: [`Pools::draw`], or the same
    /// training images with a validation subset drawn from the rest of their pool (after the
    /// test subset when both come from the test file), disjoint from training and test.
    /// Call [`Pools::check_validation`] first.
    pub fn draw_scored(
        &self,
        m: usize,
        test_size: TestSize,
        held_out: HeldOut,
        seed: u64,
    ) -> TrainTest {
        if held_out == HeldOut::Test {
            return self.draw(m, test_size, seed);
        }
        let mut rng = seed::rng(seed, Stream::Subset);
        let mut rows: Vec<usize> = (0..self.train.len()).collect();
        rows.shuffle(&mut rng);
        let skip = match (&self.test, test_size) {
            (None, TestSize::Count(t)) => m + t,
            _ => m,
        };
        let v = match &self.test {
            Some(_) => self.validation_count(test_size),
            None => skip - m,
        };
        TrainTest {
            train: examples(&self.train, &rows[..m]),
            test: examples(&self.train, &rows[skip..skip + v]),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    /// `n` images whose first pixel is their row number, so drawn examples name their rows.
    fn numbered(n: usize, offset: usize) -> Dataset {
        let mut images = Array2::zeros((n, mnist::PIXELS));
        for r in 0..n {
            images[[r, 0]] = (offset + r) as f32;
        }
        Dataset {
            images,
            labels: (0..n).map(|r| (r % 10) as u8).collect(),
        }
    }

    fn rows(e: &Examples) -> Vec<usize> {
        e.inputs.column(0).iter().map(|&x| x as usize).collect()
    }

    fn disjoint(a: &[usize], b: &[usize]) -> bool {
        a.iter().all(|r| !b.contains(r))
    }

    #[test]
    fn validation_from_the_test_file_trains_the_same_images_and_avoids_the_test_rows() {
        let pools = Pools {
            train: numbered(100, 0),
            test: None,
        };
        let t = TestSize::Count(15);
        pools.check_validation(30, t).unwrap();
        let plain = pools.draw(30, t, 5);
        let scored = pools.draw_scored(30, t, HeldOut::Validation, 5);
        assert_eq!(rows(&scored.train), rows(&plain.train));
        assert_eq!(rows(&scored.test).len(), 15);
        assert!(disjoint(&rows(&scored.test), &rows(&plain.test)));
        assert!(disjoint(&rows(&scored.test), &rows(&plain.train)));
        assert_eq!(
            rows(&pools.draw_scored(30, t, HeldOut::Test, 5).test),
            rows(&plain.test)
        );
    }

    #[test]
    fn validation_with_a_training_file_is_held_out_of_it() {
        let pools = Pools {
            train: numbered(80, 0),
            test: Some(numbered(20, 1000)),
        };
        let t = TestSize::All;
        pools.check_validation(50, t).unwrap();
        let plain = pools.draw(50, t, 9);
        let scored = pools.draw_scored(50, t, HeldOut::Validation, 9);
        assert_eq!(rows(&scored.train), rows(&plain.train));
        let validation = rows(&scored.test);
        assert_eq!(validation.len(), 20);
        assert!(
            validation.iter().all(|&r| r < 80),
            "drawn from the training file"
        );
        assert!(disjoint(&validation, &rows(&plain.train)));
    }

    #[test]
    fn validation_that_cannot_fit_is_refused_naming_the_parameter() {
        let single = Pools {
            train: numbered(100, 0),
            test: None,
        };
        let all = single.check_validation(30, TestSize::All).unwrap_err();
        assert_eq!(all.parameter, "test_size");
        let big = single
            .check_validation(60, TestSize::Count(25))
            .unwrap_err();
        assert_eq!(big.parameter, "train_size");
        assert!(big.why.contains("110"), "{}", big.why);
        let two = Pools {
            train: numbered(80, 0),
            test: Some(numbered(20, 1000)),
        };
        assert!(two.check_validation(61, TestSize::All).is_err());
        assert!(two.check_validation(60, TestSize::All).is_ok());
    }
}
