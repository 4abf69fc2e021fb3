//! `rbp resume` of the checkpoint files earlier versions wrote: continued to the results of an
//! uninterrupted run; damaged or foreign checkpoints are refused and left untouched; a new command
//! does not bury one; sizes that cannot fit in memory are refused before any work.

use std::path::Path;
use std::process::{Command, Output};

fn rbp() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rbp"));
    c.env("RBP_KEEP_BLAS_CORE", "1");
    c
}

fn run(args: &[&str]) -> Output {
    rbp().args(args).output().expect("the rbp binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A toy run big enough to be killed mid-way: 3 optimizers x 2 seeds x 30 epochs.
fn toy_args(out: &Path) -> Vec<String> {
    [
        "toy",
        "--arch",
        "40-60-30-5",
        "--train-size",
        "400",
        "--batch",
        "20",
        "--epochs",
        "30",
        "--seeds",
        "2",
        "--jobs",
        "2",
        "--quiet",
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([out.display().to_string()])
    .collect()
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The summary without its wall-time field, which is the one thing a resumed run may change.
fn summary_without_time(dir: &Path) -> String {
    read(&dir.join("summary.json"))
        .lines()
        .filter(|l| !l.contains("\"seconds\""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn damaged_checkpoints_are_refused_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    std::fs::create_dir(&dir).unwrap();
    let path = dir.join("checkpoint.rbpck");
    let cases: [(&str, Vec<u8>, &str); 3] = [
        (
            "garbage",
            b"not a checkpoint at all".to_vec(),
            "wrong magic",
        ),
        ("empty", Vec::new(), "wrong magic"),
        (
            "newer version",
            {
                let mut b = b"RBPCKPT\0".to_vec();
                b.extend(99u32.to_le_bytes());
                b.extend([0u8; 40]);
                b
            },
            "format version 99",
        ),
    ];
    for (what, bytes, needle) in cases {
        std::fs::write(&path, &bytes).unwrap();
        let out = run(&["resume", path.to_str().unwrap(), "--quiet"]);
        let err = stderr(&out);
        assert!(!out.status.success(), "{what}: resumed");
        assert!(!err.contains("panicked"), "{what}: {err}");
        assert!(
            err.contains(needle) && err.contains("checkpoint.rbpck"),
            "{what}: {err}"
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "{what}: the file was changed"
        );
    }
    let out = run(&["resume", dir.join("absent.rbpck").to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("absent.rbpck"), "{}", stderr(&out));
}

#[test]
fn a_new_run_does_not_bury_an_earlier_rbps_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    std::fs::create_dir(&dir).unwrap();
    let path = dir.join("checkpoint.rbpck");
    std::fs::write(&path, b"an earlier run's checkpoint").unwrap();
    let mut extended = toy_args(&dir);
    extended.extend(["--checkpoint-every".into(), "5".into()]);
    let out = run(&args(&extended));
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("already exists") && err.contains("rbp resume"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"an earlier run's checkpoint"
    );

    let out = run(&["toy", "--checkpoint-every", "2"]);
    assert!(
        stderr(&out).contains("--checkpoint-every needs --out"),
        "{}",
        stderr(&out)
    );
    let out = run(&["toy", "--checkpoint-every", "0", "--out", "x"]);
    assert!(stderr(&out).contains("at least 1"), "{}", stderr(&out));
}

#[test]
fn sizes_that_cannot_fit_in_memory_are_refused_before_any_work() {
    for (args, needle) in [
        (
            &["toy", "--train-size", "100000000"][..],
            "this toy experiment needs about",
        ),
        (
            &["toy", "--arch", "100-100000-100000-10"][..],
            "this toy experiment needs about",
        ),
    ] {
        let out = run(args);
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(
            !err.contains("panicked") && !err.contains("memory allocation"),
            "{err}"
        );
        assert!(
            err.contains(needle) && err.contains("available"),
            "{args:?}: {err}"
        );
    }
}

/// A checkpoint as rbp 0.1 wrote it for `toy_args` with `--checkpoint-every 1`: the settings text,
/// one finished run and one stopped after 3 epochs, made with the library's own training.
fn old_checkpoint(dir: &Path) -> std::path::PathBuf {
    use rbp_core::checkpoint::{self, Checkpoint, Progress, SavedRun};
    use rbp_lab::experiment::{Experiment, grid, toy::ToyConfig};
    use rbp_lab::run::{Hooks, RunData, Silent, runner};
    let mut config = ToyConfig::paper();
    config.settings.arch = "40-60-30-5".parse().unwrap();
    config.settings.batch = 20;
    config.settings.epochs = 30;
    config.settings.seeds = vec![0, 1];
    config.train_size = 400;
    let mut settings: serde_json::Value =
        serde_json::from_str(&Experiment::Toy(config.clone()).to_checkpoint_text()).unwrap();
    settings["checkpoint_every"] = 1.into();
    let specs = grid::plan(
        &config.settings,
        &config.task(),
        rbp_core::oracle::Precision::F32,
    );
    let (records, _) = runner::train(
        &specs[0],
        &RunData::default(),
        None,
        Hooks::observed(&Silent),
    )
    .unwrap();
    let spec = &specs[4];
    let layout = rbp_core::net::Layout::new(spec.arch.clone()).unwrap();
    let split = RunData::default().split(spec).unwrap();
    let mut run = runner::start(spec, &layout, &split).unwrap();
    for _ in 0..3 {
        run.train_epoch();
    }
    let checkpoint = Checkpoint {
        settings: serde_json::to_string_pretty(&settings).unwrap(),
        runs: vec![
            SavedRun {
                label: "sgd seed 0".into(),
                progress: Progress::Finished(records),
            },
            SavedRun {
                label: "rbp seed 1".into(),
                progress: Progress::InProgress {
                    arch: spec.arch.clone(),
                    state: Box::new(run.snapshot()),
                },
            },
        ],
    };
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("checkpoint.rbpck");
    checkpoint::save(&path, &checkpoint).unwrap();
    path
}

#[test]
fn an_earlier_rbps_checkpoint_is_resumed_to_the_uninterrupted_results() {
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    let out = run(&args(&toy_args(&full)));
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = tmp.path().join("old");
    let path = old_checkpoint(&dir);
    let resumed = run(&["resume", path.to_str().unwrap(), "--quiet"]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let stdout = String::from_utf8_lossy(&resumed.stdout);
    assert!(stdout.contains("1 run(s) read from"), "{stdout}");
    assert_eq!(
        read(&dir.join("curves.csv")),
        read(&full.join("curves.csv"))
    );
    assert_eq!(summary_without_time(&dir), summary_without_time(&full));
    assert!(
        !path.exists(),
        "the finished command's old checkpoint was kept"
    );
    let left: Vec<_> = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".json"))
        .collect();
    assert!(left.is_empty(), "files left in the store: {left:?}");
}
