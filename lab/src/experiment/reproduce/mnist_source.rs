//! Fig. 5's data: MNIST found on disk (never downloaded here), and its runs for one reading.

use super::{MnistResults, Reading};
use crate::data::mnist::{DataSpec, DatasetKind};
use crate::experiment::Settings;
use crate::experiment::mnist::{self, MnistConfig, Pool, Pools, TestSize};
use crate::progress::Progress;
use rbp_core::optim::{Hyper, OptimizerKind};
use std::path::PathBuf;

/// MNIST as found on disk, ready to run Fig. 5 under any reading.
pub struct MnistSource {
    template: MnistConfig,
    pools: Pools,
}

impl MnistSource {
    /// Looks for MNIST in `dir` (else `$RBP_DATA_DIR`, else the cache directory), offline: the
    /// full protocol when the training images are there, else disjoint subsets of the test file
    /// (`--pool test`). `None` when neither is present; the report then says Fig. 5 was skipped.
    pub fn find(
        dir: Option<PathBuf>,
        epochs: usize,
        seeds: u64,
        workers: usize,
    ) -> Option<MnistSource> {
        let data = DataSpec {
            dir,
            offline: true,
            progress: false,
            ..DataSpec::new(DatasetKind::Mnist)
        };
        let template = MnistConfig {
            settings: Settings {
                arch: "784-100-200-10".parse().expect("a valid architecture"),
                batch: 100,
                epochs,
                init: Reading::default().init,
                hyper: Hyper::default(),
                optimizers: OptimizerKind::PAPER.to_vec(),
                seeds: (0..seeds).collect(),
                workers,
                blas_threads: 1,
            },
            data,
            pool: Pool::Train,
            train_size: 1000,
            test_size: TestSize::Count(1000),
        };
        [Pool::Train, Pool::Test].into_iter().find_map(|pool| {
            let config = MnistConfig {
                pool,
                ..template.clone()
            };
            let pools = config.load().ok()?;
            config.check_sizes(&pools).ok()?;
            Some(MnistSource {
                template: config,
                pools,
            })
        })
    }

    /// Fig. 5's runs under `reading`.
    pub fn run(&self, reading: &Reading) -> Option<MnistResults> {
        let mut config = self.template.clone();
        reading.apply(&mut config.settings);
        let runs = mnist::run(&config, &self.pools, &Progress::hidden(), None).ok()?;
        let description = format!(
            "MNIST from {}, {}: 784-100-200-10, M = 1000, 1000 test images, batch 100, {} epochs, {} seeds",
            crate::data::mnist::data_dir(&config.data)
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            match config.pool {
                Pool::Train => "training images from the training file",
                Pool::Test =>
                    "disjoint training and test subsets of the 10k test file (--pool test)",
            },
            config.settings.epochs,
            config.settings.seeds.len()
        );
        Some(MnistResults { runs, description })
    }
}
