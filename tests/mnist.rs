//! `rbp mnist` on the real MNIST test set in ../shared (which CI provides): subsets are disjoint
//! and reproducible, training learns, and the CLI writes the classification-error column.

use rbp_core::init::Init;
use rbp_core::optim::{Hyper, OptimizerKind};
use rbp_core::oracle::Precision;
use rbp_datasets::mnist::{DataSpec, DatasetKind};
use rbp_datasets::test_support;
use rbp_lab::experiment::mnist::MnistConfig;
use rbp_lab::experiment::{Settings, grid};
use rbp_lab::run::images::Pools;
use rbp_lab::run::{self, Hooks, Mode, Pool, Silent, TestSize};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The real MNIST test set in ../shared; see `rbp_datasets::test_support` for what happens when it is
/// missing.
#[track_caller]
fn shared_mnist() -> Option<PathBuf> {
    test_support::shared_mnist(&["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"])
}

fn config(dir: PathBuf, seeds: Vec<u64>, epochs: usize) -> MnistConfig {
    MnistConfig {
        settings: Settings {
            arch: "784-30-10".parse().unwrap(),
            batch: 50,
            epochs,
            init: Init::Lecun,
            hyper: Hyper::default(),
            optimizers: vec![OptimizerKind::Sgd, OptimizerKind::Rbp, OptimizerKind::Adam],
            seeds,
            workers: 2,
            blas_threads: 1,
        },
        data: DataSpec {
            dir: Some(dir),
            offline: true,
            progress: false,
            ..DataSpec::new(DatasetKind::Mnist)
        },
        pool: Pool::Test,
        train_size: 500,
        test_size: TestSize::Count(400),
    }
}

/// A row's pixels as bytes, to identify images across subsets.
fn row_keys(x: &ndarray::Array2<f32>) -> Vec<Vec<u8>> {
    x.rows()
        .into_iter()
        .map(|r| r.iter().map(|&p| (p * 255.0).round() as u8).collect())
        .collect()
}

#[test]
fn test_pool_subsets_are_disjoint_and_reproducible() {
    let Some(dir) = shared_mnist() else { return };
    let cfg = config(dir, vec![0], 1);
    let pools = Pools::load(&cfg.data, cfg.pool).unwrap();
    pools.check_sizes(cfg.train_size, cfg.test_size).unwrap();
    let draw = |seed| pools.draw(cfg.train_size, cfg.test_size, seed);
    let a = draw(3);
    assert_eq!((a.train.len(), a.test.len()), (500, 400));
    assert_eq!(a.train.targets.ncols(), 10);
    let train: HashSet<Vec<u8>> = row_keys(&a.train.inputs).into_iter().collect();
    let shared = row_keys(&a.test.inputs)
        .into_iter()
        .filter(|k| train.contains(k))
        .count();
    // Disjoint rows can still share a pixel-identical image or two; overlapping draws would share
    // about 500/10000 of the 400 test images (~20).
    assert!(shared <= 2, "{shared} test images also drawn for training");
    let again = draw(3);
    assert_eq!(a.train.inputs, again.train.inputs);
    assert_ne!(
        a.train.inputs,
        draw(4).train.inputs,
        "each seed draws its own subset"
    );

    let err = pools
        .check_sizes(9_800, cfg.test_size)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("train_size: 9800 training images") && err.contains("10000"),
        "{err}"
    );
}

#[test]
fn short_mnist_run_learns_and_reports_class_error() {
    let Some(dir) = shared_mnist() else { return };
    let cfg = config(dir, vec![0, 1], 8);
    let data = cfg.run_data();
    cfg.prepare(&data).unwrap();
    let specs = grid::plan(&cfg.settings, &cfg.task(), Precision::F32);
    let executed = run::execute(
        &specs,
        None,
        Mode::Train(None),
        2,
        &data,
        Hooks::observed(&Silent),
    )
    .unwrap();
    assert_eq!(executed.runs.len(), 6);
    for r in executed.runs.iter().flatten().map(|r| &r.result) {
        let (first, last) = (r.records[0], *r.last());
        let (c0, c1) = (
            first.test_class_error.unwrap(),
            last.test_class_error.unwrap(),
        );
        assert!((0.0..=1.0).contains(&c1));
        if r.optimizer == OptimizerKind::Adam {
            // Chance is 0.9; Adam separates digits within a few epochs even on 500 images.
            assert!(c1 < 0.5 && c1 < c0, "adam class error {c0} -> {c1}");
        }
        assert!(last.train_error < first.train_error);
    }
}

/// Runs `rbp mnist --pool test --offline --data-dir DIR` with `args` added.
fn rbp_mnist(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_rbp"))
        .args(["mnist", "--pool", "test", "--offline", "--data-dir"])
        .arg(dir)
        .args(args)
        .env("RBP_KEEP_BLAS_CORE", "1")
        .output()
        .expect("the rbp binary runs")
}

#[test]
fn cli_mnist_writes_class_error_column() {
    let Some(dir) = shared_mnist() else { return };
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();
    let res = rbp_mnist(
        &dir,
        &[
            "--arch",
            "784-20-10",
            "--train-size",
            "200",
            "--test-size",
            "100",
            "--epochs",
            "2",
            "--seeds",
            "1",
            "--batch",
            "50",
            "--out",
            out_dir,
        ],
    );
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(
        stdout.contains("0.1138 ± 0.0029"),
        "the paper's R-BackProp value is shown:\n{stdout}"
    );
    let csv = std::fs::read_to_string(out.path().join("curves.csv")).unwrap();
    assert!(csv.starts_with("optimizer,seed,epoch,train_error,test_error,test_class_error\n"));
    assert_eq!(csv.lines().count(), 1 + 3 * 3);

    let bad = rbp_mnist(&dir, &["--arch", "100-10"]);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success() && err.contains("784 inputs"), "{err}");
}
