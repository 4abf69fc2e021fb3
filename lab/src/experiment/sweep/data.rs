//! A sweep's data sets: the `grid.dataset` values and the spec's `[data]` table (where the
//! MNIST and Fashion-MNIST files are, which pool runs draw from, how many test images).
//!
//! ```toml
//! [grid]
//! dataset = ["mnist", "fashion-mnist"]   # or ["teacher"] (the default); not both kinds
//!
//! [data]                 # only with an image data set; every key optional
//! mnist_dir = "../shared/data/mnist"   # default: $RBP_DATA_DIR, else ~/.cache/rbp/mnist
//! fashion_dir = "/usr/share/datasets/fashion-mnist"   # the default
//! pool = "test"          # "train" (default): the training file; "test": the 10k test file split
//! test_size = 1000       # test images per run (default 1000), or "all"
//! download = false       # true lets the sweep download missing MNIST files (never Fashion-MNIST)
//! ```

use super::spec::SpecError;
use crate::experiment::protocol;
use crate::run::data::ImagesError;
use crate::run::{Pool, Task, TaskKind, TestSize};
use crate::run::{RunData, RunDataError};
use rbp_datasets::mnist::{DataError, DataSpec, DatasetKind};
use serde::Deserialize;
use std::path::PathBuf;

/// Reads one value of `grid.dataset`.
pub fn parse_dataset(name: &str) -> Result<TaskKind, SpecError> {
    name.parse()
        .map_err(|e: String| super::spec::bad("grid.dataset", e))
}

/// The network a grid of this task runs when `grid.arch` is not given.
pub fn default_arch(kind: TaskKind) -> &'static str {
    match kind {
        TaskKind::Teacher => protocol::TOY_ARCH,
        TaskKind::Images(_) => protocol::MNIST_ARCH,
    }
}

/// The training-set size a grid of this task runs when `grid.train_size` is not given.
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
pub(super) struct RawData {
    mnist_dir: Option<PathBuf>,
    fashion_dir: Option<PathBuf>,
    pool: Option<String>,
    test_size: Option<RawTestSize>,
    #[serde(default)]
    download: bool,
}

/// Where a sweep's image data comes from and how runs draw from it.
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

    /// Checks `[data]` against the grid's data sets: it only makes sense with an image one.
    pub(super) fn check(
        raw: Option<RawData>,
        datasets: &[TaskKind],
    ) -> Result<ImageData, SpecError> {
        let Some(raw) = raw else {
            return Ok(ImageData::default());
        };
        if !datasets.iter().any(|d| matches!(d, TaskKind::Images(_))) {
            return Err(super::spec::bad(
                "data",
                "only used with an image data set (grid.dataset = [\"mnist\"] or \
                 [\"fashion-mnist\"]); the teacher task draws its own examples",
            ));
        }
        let pool = match raw.pool {
            None => Pool::Train,
            Some(p) => p
                .parse()
                .map_err(|e: String| super::spec::bad("data.pool", e))?,
        };
        let test_size = match raw.test_size {
            None => Ok(TestSize::Count(protocol::MNIST_TEST_SIZE)),
            Some(RawTestSize::Count(n)) => format!("{n}").parse(),
            Some(RawTestSize::Text(t)) => t.parse(),
        }
        .map_err(|e: String| super::spec::bad("data.test_size", e))?;
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

/// `error` worded for a sweep: the data set, and which spec key fixes it.
pub fn explain(error: &RunDataError) -> String {
    let RunDataError::Images {
        dataset,
        pool,
        source,
    } = error
    else {
        return error.to_string();
    };
    let name = TaskKind::Images(*dataset).name();
    let dir_key = ImageData::dir_key(*dataset);
    let why = match source.as_ref() {
        ImagesError::Files(DataError::Offline { dir, missing }) => format!(
            "{missing} not found in {}; put the files there (as .gz or unpacked), set `{dir_key}` \
             to a directory that has them, or set `data.download = true` to download them{}",
            dir.display(),
            if *pool == Pool::Train {
                " (with only the two t10k files, `data.pool = \"test\"` splits the test file)"
            } else {
                ""
            }
        ),
        ImagesError::Files(DataError::FashionMissing { dir, missing }) => format!(
            "{missing} not found in {}; Fashion-MNIST is never downloaded: install it with \
             `apt-get install dataset-fashion-mnist` or set `{dir_key}` to a directory that has it",
            dir.display()
        ),
        ImagesError::Sizes(e) => {
            let key = match e.parameter {
                "train_size" => "grid.train_size",
                "test_size" => "data.test_size",
                other => other,
            };
            format!("`{key}`: {}", e.why)
        }
        other => other.to_string(),
    };
    format!("grid.dataset = \"{name}\" (pool {pool}): {why}")
}
