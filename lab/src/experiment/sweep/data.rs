//! A sweep's data sets: the `grid.dataset` values, and data errors worded with the spec keys
//! that fix them. The `[data]` table is every study's ([`crate::experiment::image_data`]).
//!
//! ```toml
//! [grid]
//! dataset = ["mnist", "fashion-mnist"]   # or ["teacher"] (the default); not both kinds
//! ```

use super::spec::SpecError;
use crate::experiment::image_data::ImageData;
use crate::run::data::ImagesError;
use crate::run::{Pool, RunDataError, TaskKind};
use rbp_datasets::mnist::DataError;

/// Reads one value of `grid.dataset`.
pub fn parse_dataset(name: &str) -> Result<TaskKind, SpecError> {
    name.parse()
        .map_err(|e: String| super::spec::bad("grid.dataset", e))
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
