//! The command line: bad arguments give a clear error and a non-zero exit, never a panic; a tiny
//! toy run prints its table and writes its files; results are never silently overwritten.

use std::process::{Command, Output};

fn rbp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rbp"))
        .args(args)
        .env("RBP_KEEP_BLAS_CORE", "1")
        .output()
        .expect("the rbp binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `args` expecting failure with a message containing every one of `needles`.
fn fails_with(args: &[&str], needles: &[&str]) {
    let out = rbp(args);
    let err = stderr(&out);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    for n in needles {
        assert!(
            err.contains(n),
            "{args:?}: message {err:?} does not mention {n:?}"
        );
    }
}

#[test]
fn nonsense_arguments_are_rejected_before_any_work() {
    fails_with(&["toy", "--arch", ""], &["architecture is empty"]);
    fails_with(&["toy", "--arch", "100"], &["single layer"]);
    fails_with(
        &["toy", "--arch", "100-0-10"],
        &["`0` is not a positive whole number"],
    );
    fails_with(&["toy", "--gamma0", "1.5"], &["--gamma0", "(0, 1]"]);
    fails_with(&["toy", "--gamma0", "0"], &["--gamma0"]);
    fails_with(&["toy", "--lambda", "-1"], &["--lambda"]);
    fails_with(&["toy", "--lr0", "-0.1"], &["--lr0"]);
    fails_with(&["toy", "--lr0", "NaN"], &["--lr0"]);
    fails_with(&["toy", "--adam-beta1", "1"], &["--adam-beta1"]);
    fails_with(
        &["toy", "--batch", "0"],
        &["--batch", "at least one example"],
    );
    fails_with(
        &["toy", "--train-size", "50", "--batch", "100"],
        &["--batch", "100 is larger than the training set (50"],
    );
    fails_with(&["toy", "--epochs", "0"], &["--epochs"]);
    fails_with(&["toy", "--seeds", "0"], &["--seeds"]);
    fails_with(&["toy", "--optimizer", "sgd,nesterov"], &["nesterov"]);
    fails_with(&["toy", "--momentum", "1.5"], &["--momentum", "[0, 1)"]);
    fails_with(&["toy", "--jobs", "0"], &["--jobs"]);
    fails_with(&["toy", "--epochs", "ten"], &["ten"]);
}

/// A toy run of a few milliseconds: 2 seeds x 3 optimizers, 3 epochs, results into `out`.
fn tiny_toy_args(out: &str) -> Vec<&str> {
    vec![
        "toy",
        "--arch",
        "8-6-3",
        "--train-size",
        "40",
        "--batch",
        "10",
        "--epochs",
        "3",
        "--seeds",
        "2",
        "--out",
        out,
    ]
}

#[test]
fn tiny_toy_run_prints_the_table_and_writes_results_once() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("res");
    let args = tiny_toy_args(out_dir.to_str().unwrap());
    let out = rbp(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "GEMM:",
        "BackProp",
        "R-BackProp",
        "Adam",
        "over 2 seeds",
        "R-BackProp vs BackProp",
    ] {
        assert!(
            stdout.contains(needle),
            "output lacks {needle:?}:\n{stdout}"
        );
    }
    let csv = std::fs::read_to_string(out_dir.join("curves.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("optimizer,seed,epoch,train_error,test_error")
    );
    assert_eq!(
        lines.count(),
        3 * 2 * 4,
        "one row per optimizer, seed and epoch 0..=3"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["optimizers"].as_array().unwrap().len(), 3);
    assert!(
        summary["optimizers"][0]["final_test_error"]["mean"]
            .as_f64()
            .unwrap()
            .is_finite()
    );

    // A second run into the same directory refuses to destroy the first one's results.
    let before = std::fs::read(out_dir.join("curves.csv")).unwrap();
    let again = rbp(&args);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert_eq!(std::fs::read(out_dir.join("curves.csv")).unwrap(), before);
    let mut forced = args.to_vec();
    forced.push("--overwrite");
    assert!(rbp(&forced).status.success());
}

/// `--precision f64` trains the oracle twin of the f32 run: summary.json says so, and its curves
/// match the f32 run's to f32 rounding (the tolerance is justified in core/tests/oracle.rs);
/// checkpoints are refused with a clear message, and an unknown precision is named.
#[test]
fn precision_f64_runs_the_oracle_twin() {
    let dir = tempfile::tempdir().unwrap();
    let run = |precision: &str| {
        let out_dir = dir.path().join(precision);
        let mut args = tiny_toy_args(out_dir.to_str().unwrap());
        args.extend(["--precision", precision]);
        let out = rbp(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
                .unwrap();
        assert_eq!(summary["precision"], precision);
        std::fs::read_to_string(out_dir.join("curves.csv")).unwrap()
    };
    let (f32_csv, f64_csv) = (run("f32"), run("f64"));
    assert_ne!(f32_csv, f64_csv, "the f64 run computed in f32");
    let (mut lines32, mut lines64) = (f32_csv.lines(), f64_csv.lines());
    assert_eq!(lines32.next(), lines64.next(), "same header");
    let mut rows = 0;
    for (a, b) in lines32.zip(lines64) {
        let (a, b): (Vec<&str>, Vec<&str>) = (a.split(',').collect(), b.split(',').collect());
        assert_eq!(a[..3], b[..3], "same optimizer, seed, epoch");
        for col in 3..5 {
            let (x, y): (f64, f64) = (a[col].parse().unwrap(), b[col].parse().unwrap());
            assert!((x - y).abs() <= 1e-3 * y, "{a:?} vs {b:?}");
        }
        rows += 1;
    }
    assert_eq!(rows, 3 * 2 * 4);

    fails_with(
        &[
            "toy",
            "--precision",
            "f64",
            "--checkpoint-every",
            "1",
            "--out",
            dir.path().join("ck").to_str().unwrap(),
        ],
        &["--checkpoint-every", "--precision f32"],
    );
    fails_with(&["toy", "--precision", "f16"], &["f16", "f32, f64"]);
}

/// A machine-level choice made through the environment: `bad` is refused before anything is
/// written, with a message naming the variable and `hint`; a tiny toy run with `good` prints
/// `line` and records `recorded` in its summary.
fn environment_choice(var: &str, bad: &str, hint: &str, good: &str, line: &str, recorded: &str) {
    let run = |value: &str, out: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_rbp"))
            .args(tiny_toy_args(out.to_str().unwrap()))
            .env("RBP_KEEP_BLAS_CORE", "1")
            .env(var, value)
            .output()
            .expect("the rbp binary runs")
    };
    let dir = tempfile::tempdir().unwrap();
    let refused = run(bad, &dir.path().join("bad"));
    assert!(!refused.status.success());
    let err = stderr(&refused);
    assert!(
        err.contains(&format!("{var}={bad}")) && err.contains(hint),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        !dir.path().join("bad").exists(),
        "nothing written before the check"
    );

    let out_dir = dir.path().join("good");
    let ok = run(good, &out_dir);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(stdout.contains(line), "{stdout}");
    let summary = std::fs::read_to_string(out_dir.join("summary.json")).unwrap();
    assert!(summary.contains(recorded), "{summary}");
}

#[test]
fn rbp_kernels_caps_the_instruction_set_and_refuses_nonsense() {
    environment_choice(
        "RBP_KERNELS",
        "avx9",
        "v3",
        "scalar",
        "kernels: scalar",
        "\"kernels\": \"scalar\"",
    );
}

#[test]
fn rbp_gemm_chooses_the_backend_and_refuses_nonsense() {
    environment_choice(
        "RBP_GEMM",
        "mkl",
        "matrixmultiply",
        "matrixmultiply",
        "GEMM: matrixmultiply,",
        "\"gemm_backend\": \"matrixmultiply\"",
    );
}
