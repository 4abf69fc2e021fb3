//! The image data of a study spec (`rbp sweep`, `rbp tune`): each task kind's default network
//! and training-set size, and the spec's `[data]` table (where the MNIST and Fashion-MNIST files
//! are, which pool runs draw from, how many test images, whether missing MNIST files may be
//! downloaded).
//!
//! ```toml
//! [data]                 # only with an image data set; every key optional
//! mnist_dir = "../shared/data/mnist"   # default: $RBP_DATA_DIR, else ~/.cache/rbp/mnist
//! fashion_dir = "/usr/share/datasets/fashion-mnist"   # the default
//! pool = "test"          # "train" (default): the training file; "test": the 10k test file split
//! test_size = 1000       # test images per run (default 1000), or "all"
//! download = false       # true lets the study download missing MNIST files (never Fashion-MNIST)
//! ```

use crate::experiment::protocol;
use crate::experiment::spec_error::{SpecError, bad};
use crate::run::RunData;
use crate::run::{Pool, Task, TaskKind, TestSize};
use rbp_datasets::mnist::{DataSpec, DatasetKind};
use serde::Deserialize;
use std::path::PathBuf;

/// The network a study runs on this task when its spec names none.
pub fn default_arch(kind: TaskKind) -> &'static str {
    match kind {
        TaskKind::Teacher => protocol::TOY_ARCH,
        TaskKind::Images(_) => protocol::MNIST_ARCH,
    }
}

/// The training-set size a study runs on this task when its spec names none.
pub fn default_train_size(kind: TaskKind) -> usize {
    match kind {
        TaskKind::Teacher => protocol::TOY_TRAIN_SIZE,
        TaskKind::Images(_) => protocol::MNIST_TRAIN_SIZE,
    }
}

/// `test_size` as written: a count or `"all"`.
#[derive(Deserialize, Debug)]
#[serde(untagged)]
enum RawTestSize {
    Count(usize),
    Text(String),
}

/// The `[data]` table as written.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct RawData {
    mnist_dir: Option<PathBuf>,
    fashion_dir: Option<PathBuf>,
    pool: Option<String>,
    test_size: Option<RawTestSize>,
    #[serde(default)]
    download: bool,
}

/// Where a study's image data comes from and how runs draw from it.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageData {
    /// MNIST's directory (`None`: `$RBP_DATA_DIR`, else the cache directory).
    pub mnist_dir: Option<PathBuf>,
    /// Fashion-MNIST's directory (`None`: the system's).
    pub fashion_dir: Option<PathBuf>,
    /// Where training images come from.
    pub pool: Pool,
    /// Test images per run.
    pub test_size: TestSize,
    /// Whether missing MNIST files may be downloaded.
    pub download: bool,
}

impl Default for ImageData {
    fn default() -> ImageData {
        ImageData {
            mnist_dir: None,
            fashion_dir: None,
            pool: Pool::Train,
            test_size: TestSize::Count(protocol::MNIST_TEST_SIZE),
            download: false,
        }
    }
}

impl ImageData {
    /// The task of a run on `kind` with `train_size` examples: an image task draws its test
    /// images by this `[data]`'s pool and test size.
    pub fn task(&self, kind: TaskKind, train_size: usize) -> Task {
        match kind {
            TaskKind::Teacher => Task::Teacher { train_size },
            TaskKind::Images(dataset) => Task::Images {
                dataset,
                pool: self.pool,
                train_size,
                test_size: self.test_size,
            },
        }
    }

    /// Checks `[data]`; it only makes sense when the study `uses_images` (`only_with` says
    /// what that takes, in the error).
    pub fn check(
        raw: Option<RawData>,
        uses_images: bool,
        only_with: &str,
    ) -> Result<ImageData, SpecError> {
        let Some(raw) = raw else {
            return Ok(ImageData::default());
        };
        if !uses_images {
            return Err(bad("data", format!("only used with {only_with}")));
        }
        let pool = match raw.pool {
            None => Pool::Train,
            Some(p) => p.parse().map_err(|e: String| bad("data.pool", e))?,
        };
        let test_size = match raw.test_size {
            None => Ok(TestSize::Count(protocol::MNIST_TEST_SIZE)),
            Some(RawTestSize::Count(n)) => format!("{n}").parse(),
            Some(RawTestSize::Text(t)) => t.parse(),
        }
        .map_err(|e: String| bad("data.test_size", e))?;
        Ok(ImageData {
            mnist_dir: raw.mnist_dir,
            fashion_dir: raw.fashion_dir,
            pool,
            test_size,
            download: raw.download,
        })
    }

    /// The spec's directory for `kind`.
    fn dir(&self, kind: DatasetKind) -> Option<PathBuf> {
        match kind {
            DatasetKind::Mnist => self.mnist_dir.clone(),
            DatasetKind::Fashion => self.fashion_dir.clone(),
        }
    }

    /// The spec key naming `kind`'s directory.
    pub fn dir_key(kind: DatasetKind) -> &'static str {
        match kind {
            DatasetKind::Mnist => "data.mnist_dir",
            DatasetKind::Fashion => "data.fashion_dir",
        }
    }

    /// Where the runs' examples come from: offline unless `download = true`.
    pub fn run_data(&self) -> RunData {
        RunData::new(
            [DatasetKind::Mnist, DatasetKind::Fashion]
                .into_iter()
                .map(|kind| DataSpec {
                    dir: self.dir(kind),
                    offline: !self.download,
                    progress: false,
                    ..DataSpec::new(kind)
                })
                .collect(),
        )
    }
}
