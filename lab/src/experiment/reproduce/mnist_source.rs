//! Fig. 5's data: MNIST found on disk (never downloaded here). Its runs are planned and trained
//! through the run store like the toy figures' ([`super::jobs::RunKey::mnist`]); this says
//! which pool they draw from and holds the images they share.

use crate::experiment::mnist::Pool;
use crate::experiment::protocol;
use crate::run::RunData;
use rbp_datasets::mnist::{self, DataSpec, DatasetKind, Split};
use std::path::PathBuf;

/// MNIST as found on disk, ready to run Fig. 5 under any reading.
pub struct MnistSource {
    data: DataSpec,
    pool: Pool,
    run_data: RunData,
}

impl MnistSource {
    /// Looks for MNIST in `dir` (else `$RBP_DATA_DIR`, else the cache directory), offline: the
    /// full protocol when the training files are there, else disjoint subsets of the test file
    /// (`--pool test`). `None` when neither is present; the report then says Fig. 5 was skipped.
    ///
    /// Only the files' presence decides: they are loaded (and a corrupt one reported) when a run
    /// needs them, so a merge of finished shards never reads them.
    pub fn find(dir: Option<PathBuf>) -> Option<MnistSource> {
        let data = DataSpec {
            dir,
            offline: true,
            progress: false,
            ..DataSpec::new(DatasetKind::Mnist)
        };
        let present = |split| mnist::locate(&data, split).is_ok();
        let pool = if present(Split::Train) && present(Split::Test) {
            Pool::Train
        } else if present(Split::Test) {
            Pool::Test
        } else {
            return None;
        };
        Some(MnistSource {
            run_data: RunData::new(vec![data.clone()]),
            data,
            pool,
        })
    }

    /// The pool Fig. 5's runs draw from.
    pub fn pool(&self) -> Pool {
        self.pool
    }

    /// Where the runs' images come from (loaded once, on first use).
    pub fn run_data(&self) -> &RunData {
        &self.run_data
    }

    /// One line on the data and the protocol, for the report.
    pub fn description(&self, epochs: usize, seeds: u64) -> String {
        format!(
            "MNIST from {}, {}: {}, M = {}, {} test images, batch {}, {epochs} epochs, {seeds} seeds",
            mnist::data_dir(&self.data)
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            match self.pool {
                Pool::Train => "training images from the training file",
                Pool::Test =>
                    "disjoint training and test subsets of the 10k test file (--pool test)",
            },
            protocol::MNIST_ARCH,
            protocol::MNIST_TRAIN_SIZE,
            protocol::MNIST_TEST_SIZE,
            protocol::BATCH,
        )
    }
}
