//! `rbp tune` from the command line: the dry run, bad specs refused before any training, and a
//! tiny study's report and answer.

use std::path::Path;
use std::process::{Command, Output};

fn rbp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rbp"))
        .args(args)
        .env("RBP_KEEP_BLAS_CORE", "1")
        .env("RBP_DATA_DIR", "/nonexistent")
        .output()
        .expect("the rbp binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const TINY: &str = "trials = 3\nbudgets = [1, 3]\nfinal_seeds = 3\nepochs = 2\nbatch = 10\n\
     optimizers = [\"sgd\", \"rbp\", \"adam\"]\n\
     [[task]]\ndataset = \"teacher\"\ntrain_size = 40\narch = \"6-5-3\"\n";

fn write_spec(dir: &Path, text: &str) -> String {
    let path = dir.join("spec.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn the_dry_run_lists_the_trials_and_estimates_the_time() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), TINY);
    let out = rbp(&["tune", &spec, "--dry-run"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("9 trial runs (1 tasks x 3 optimizers x 3 trials x 1 seeds"),
        "{stdout}"
    );
    assert!(stdout.contains("at most 18 final reruns"), "{stdout}");
    assert!(
        stdout.contains("teacher-M40 rbp trial 2 seed 0 [lr="),
        "{stdout}"
    );
    assert!(stdout.contains("estimated CPU time"), "{stdout}");
    // The default study's plan needs MNIST: without it, the error says where to get it.
    let out = rbp(&["tune", "--dry-run"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("mnist"), "{}", text(&out.stderr));
}

#[test]
fn bad_specs_are_refused_by_key_before_any_training() {
    let dir = tempfile::tempdir().unwrap();
    for (spec, key) in [
        ("optimizers = [\"rmsprop\"]", "`optimizers`"),
        ("[space.adam]\nbeta3 = [0.1, 0.2]", "`space.adam.beta3`"),
        ("[space.sgd]\nlr = [1, 0.1]", "`space.sgd.lr`"),
        ("trials = 4\nbudgets = [8]", "`budgets`"),
        ("final_seeds = 0", "`final_seeds`"),
        ("trial_seeds = 0", "`trial_seeds`"),
        ("colour = \"blue\"", "colour"),
    ] {
        let path = write_spec(dir.path(), spec);
        let out_dir = dir.path().join("out");
        let out = rbp(&["tune", &path, "--out", &out_dir.display().to_string()]);
        assert!(!out.status.success(), "{spec}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(key), "{spec}: {stderr}");
        assert!(!out_dir.exists(), "{spec}: something was written");
    }
}

#[test]
fn a_tiny_study_prints_its_answer_and_writes_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), TINY);
    let out_dir = dir.path().join("out");
    let out = rbp(&[
        "tune",
        &spec,
        "--quiet",
        "--out",
        &out_dir.display().to_string(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("On teacher-M40"), "{stdout}");
    assert!(stdout.contains("runs per second"), "{stdout}");
    let report = std::fs::read_to_string(out_dir.join("TUNING.md")).unwrap();
    let protocol = report.find("## Protocol").unwrap();
    let task = report.find("## teacher").unwrap();
    assert!(protocol < task, "the protocol comes first");
    for name in ["trials.csv", "finals.csv", "expected_best_teacher-M40.svg"] {
        assert!(out_dir.join(name).exists(), "{name}");
    }
}
