//! Hostile input to the command line: special files where files are read, plans too large to
//! run, settings that make no sense. Each must end quickly with a clear error naming the flag,
//! spec key or file; never a panic, an abort, a hang or a silently wrong number. Every command
//! runs under a time limit and is killed when it overruns, which fails the test.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What a finished command printed.
struct Ran {
    success: bool,
    stdout: String,
    stderr: String,
}

/// Reads a child's pipe to the end on its own thread (so a chatty child never blocks on it).
fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    let mut pipe = pipe.expect("piped");
    std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = pipe.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    })
}

/// Waits for `child` at most `limit`; kills it and fails the test when it overruns.
fn finish(mut child: Child, limit: Duration, what: &str) -> Ran {
    let (out, err) = (drain(child.stdout.take()), drain(child.stderr.take()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for rbp") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?} (killed)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let ran = Ran {
        success: status.success(),
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    };
    assert!(
        !ran.stderr.contains("panicked"),
        "{what} panicked: {}",
        ran.stderr
    );
    ran
}

fn rbp(args: &[&str], env: &[(&str, &Path)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rbp"));
    c.args(args)
        .env("RBP_KEEP_BLAS_CORE", "1")
        .env_remove("RBP_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

/// Runs `args` (at most `secs` seconds), expecting failure with every one of `needles` in the
/// message.
fn fails_with(args: &[&str], env: &[(&str, &Path)], secs: u64, needles: &[&str]) -> String {
    let what = format!("rbp {}", args.join(" "));
    let child = rbp(args, env).spawn().expect("the rbp binary runs");
    let ran = finish(child, Duration::from_secs(secs), &what);
    assert!(!ran.success, "{what} succeeded");
    for n in needles {
        assert!(
            ran.stderr.contains(n),
            "{what}: message {:?} does not mention {n:?}",
            ran.stderr
        );
    }
    ran.stderr
}

fn fifo(path: PathBuf) -> PathBuf {
    let status = Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("cannot set up the test: `mkfifo` does not run");
    assert!(status.success(), "cannot set up the test: mkfifo {path:?}");
    path
}

fn text(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}

fn spec(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

#[test]
fn special_files_given_as_a_spec_or_a_checkpoint_are_named_without_blocking() {
    assert!(
        Path::new("/dev/zero").exists(),
        "cannot set up the test: /dev/zero is missing"
    );
    let dir = tempfile::tempdir().unwrap();
    let pipe = fifo(dir.path().join("pipe"));
    for args in [
        vec!["sweep", "/dev/zero", "--dry-run"],
        vec!["resume", "/dev/zero"],
    ] {
        fails_with(&args, &[], 10, &["/dev/zero", "character device"]);
    }
    for args in [
        vec!["sweep", text(&pipe), "--dry-run"],
        vec!["resume", text(&pipe)],
    ] {
        fails_with(&args, &[], 10, &[text(&pipe), "FIFO"]);
    }
    fails_with(
        &["sweep", text(dir.path()), "--dry-run"],
        &[],
        10,
        &["directory"],
    );
}

#[test]
fn a_sweep_too_large_to_run_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    for seeds in ["1000000000", "200000000", "1000001"] {
        let path = spec(
            dir.path(),
            "huge.toml",
            &format!("seeds = {seeds}\n[grid]\noptimizer = [\"sgd\"]\n"),
        );
        for dry in [true, false] {
            let mut args = vec!["sweep", text(&path)];
            if dry {
                args.push("--dry-run");
            }
            args.extend(["--out", text(dir.path())]);
            fails_with(&args, &[], 5, &["`seeds`", seeds, "1000000"]);
        }
    }
    // Nothing was written for the refused plans.
    assert!(!dir.path().join("runs").exists());
}

#[test]
fn sweep_values_that_cannot_run_are_refused_whatever_the_optimizers() {
    let dir = tempfile::tempdir().unwrap();
    let path = spec(
        dir.path(),
        "lambda.toml",
        "[grid]\noptimizer = [\"sgd\", \"adam\"]\nlambda = [-1]\n",
    );
    fails_with(
        &["sweep", text(&path), "--dry-run"],
        &[],
        10,
        &["`grid.lambda`"],
    );
}

#[test]
fn the_dry_run_of_a_large_plan_lists_its_first_runs_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = spec(
        dir.path(),
        "large.toml",
        "seeds = 100000\nepochs = 1\nbatch = 10\n[grid]\narch = [\"6-5-3\"]\n\
         train_size = [40]\noptimizer = [\"sgd\"]\n",
    );
    let child = rbp(&["sweep", text(&path), "--dry-run"], &[])
        .spawn()
        .expect("the rbp binary runs");
    let ran = finish(child, Duration::from_secs(60), "a dry run of 100,000 runs");
    assert!(ran.success, "{}", ran.stderr);
    assert!(ran.stdout.lines().count() < 200, "{}", &ran.stdout[..2000]);
    assert!(ran.stdout.contains("99900 more runs"), "{}", ran.stdout);
}

#[test]
fn mnist_data_that_is_not_a_file_or_not_a_directory_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // A FIFO named like the test images, downloads on (to a mirror where nothing listens): it
    // is named, never downloaded beside nor read.
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let pipe = fifo(data.join("t10k-images-idx3-ubyte.gz"));
    let mnist = |extra: &[&str]| {
        let mut args = vec![
            "mnist",
            "--pool",
            "test",
            "--epochs",
            "1",
            "--seeds",
            "1",
            "-q",
            "--mirror",
            "http://127.0.0.1:9/",
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let args = mnist(&["--data-dir", text(&data)]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    fails_with(&args, &[], 10, &[text(&pipe), "FIFO"]);
    // RBP_DATA_DIR naming a regular file: said so, not "not found in <file>".
    let file = spec(dir.path(), "mnist", "not a directory");
    for offline in [true, false] {
        let args = mnist(if offline { &["--offline"] } else { &[] });
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let m = fails_with(
            &args,
            &[("RBP_DATA_DIR", &file)],
            10,
            &["RBP_DATA_DIR=", "is a regular file, not a directory"],
        );
        assert!(!m.contains("not found"), "{m}");
    }
}

#[test]
fn an_os_error_is_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = spec(dir.path(), "file", "");
    let out = file.join("sub");
    let m = fails_with(
        &[
            "toy",
            "--epochs",
            "1",
            "--seeds",
            "1",
            "--train-size",
            "100",
            "-q",
            "--out",
            text(&out),
        ],
        &[],
        30,
        &["Not a directory"],
    );
    assert_eq!(m.matches("Not a directory").count(), 1, "{m}");
}

/// An unpacked MNIST test split of `n` blank images labelled 0, in `dir`.
fn tiny_test_split(dir: &Path, n: u32) {
    let mut images = Vec::new();
    for w in [2051u32, n, 28, 28] {
        images.extend_from_slice(&w.to_be_bytes());
    }
    images.resize(images.len() + n as usize * 784, 0);
    std::fs::write(dir.join("t10k-images-idx3-ubyte"), images).unwrap();
    let mut labels = Vec::new();
    for w in [2049u32, n] {
        labels.extend_from_slice(&w.to_be_bytes());
    }
    labels.resize(labels.len() + n as usize, 0);
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), labels).unwrap();
}

#[test]
fn a_test_size_too_large_for_the_pool_is_blamed_on_test_size() {
    let dir = tempfile::tempdir().unwrap();
    tiny_test_split(dir.path(), 50);
    let m = fails_with(
        &[
            "mnist",
            "--pool",
            "test",
            "--train-size",
            "10",
            "--batch",
            "10",
            "--test-size",
            "60",
            "--epochs",
            "1",
            "--seeds",
            "1",
            "-q",
            "--offline",
            "--data-dir",
            text(dir.path()),
        ],
        &[],
        30,
        &["--test-size", "60"],
    );
    assert!(
        !m.contains("--train-size") && !m.contains("pool = test"),
        "{m}"
    );
}

/// `rbp ARGS` must fail at once (before any training) with every one of `needles` in its message.
fn refused(args: &[&str], needles: &[&str]) {
    fails_with(args, &[], 30, needles);
}

#[test]
fn sizes_and_numbers_that_cannot_work_are_refused_before_any_training() {
    // A seed count near 2^64 once overflowed a capacity; a billion tried to allocate 8 GB.
    let small = ["toy", "--arch", "10-4-2", "--epochs", "1", "-q"];
    for seeds in ["18446744073709551615", "1000000000"] {
        let args: Vec<&str> = small.iter().copied().chain(["--seeds", seeds]).collect();
        refused(&args, &["--seeds", "runs, more than the 1000000"]);
    }
    // Finite in f64 but infinite in f32: the run would silently compute NaN.
    let args: Vec<&str> = small.iter().copied().chain(["--lr0", "1e39"]).collect();
    refused(&args, &["--lr0", "f32"]);
    let args: Vec<&str> = small
        .iter()
        .copied()
        .chain(["--adam-eps", "1e-50"])
        .collect();
    refused(&args, &["--adam-eps", "f32"]);
}

#[test]
fn landscape_measurements_that_would_overflow_are_refused_by_their_own_flag() {
    let base = [
        "landscape",
        "toy",
        "--arch",
        "10-4-2",
        "--epochs",
        "1",
        "--seeds",
        "1",
        "-q",
    ];
    let with = |extra: &[&'static str]| -> Vec<&str> {
        base.iter().copied().chain(extra.iter().copied()).collect()
    };
    refused(&with(&["--epsilon", "1e300"]), &["--epsilon", "(0, 1]"]);
    refused(
        &with(&["--slice-radius", "1e300"]),
        &["--slice-radius", "1000"],
    );
    let m = fails_with(
        &with(&["--slice-radius", "-1"]),
        &[],
        30,
        &["--slice-radius"],
    );
    assert!(!m.contains("--slice-points"), "{m}");
    refused(
        &with(&["--top-k", "100", "--lanczos-steps", "120"]),
        &["--top-k", "48 weights"],
    );
}

#[test]
fn output_directories_that_cannot_be_used_are_named_before_any_training() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"").unwrap();
    let toy = |out: &Path| -> Vec<String> {
        [
            "toy", "--arch", "10-4-2", "--epochs", "1", "--seeds", "1", "-q", "--out",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([out.display().to_string()])
        .collect()
    };
    let args = toy(&file);
    let m = fails_with(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        &[],
        30,
        &["a-file"],
    );
    assert!(
        m.contains("needs a directory") && !m.contains("File exists"),
        "{m}"
    );
    // Not writable at all: refused by the store's probe, before the runs.
    let args = toy(Path::new("/proc/rbp-test-out"));
    refused(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        &["/proc/rbp-test-out"],
    );
    // A merge of a directory that does not exist is refused and does not create it.
    let missing = dir.path().join("never-sharded");
    let spec = spec(
        dir.path(),
        "s.toml",
        "seeds = 1\nepochs = 1\nbatch = 10\n[grid]\narch = [\"6-5-3\"]\ntrain_size = [40]\n",
    );
    refused(
        &["sweep", text(&spec), "-q", "--merge", text(&missing)],
        &["no such directory", "--merge"],
    );
    assert!(
        !missing.exists(),
        "the failed merge created {}",
        missing.display()
    );
    refused(
        &["reproduce", "--quick", "--explain-seeds", "99", "-q"],
        &["--explain-seeds", "99"],
    );
}

/// Runs `command` (e.g. `["toy"]`) on a tiny task where Adam steps by ~3e38, which overflows its
/// weights to infinities within the first epoch, into `out`; returns what it printed.
fn run_diverging(command: &[&str], out: &Path) -> String {
    let tiny = [
        "--arch",
        "10-6-3",
        "--train-size",
        "40",
        "--batch",
        "10",
        "--epochs",
        "3",
        "--seeds",
        "2",
        "--optimizer",
        "sgd,adam",
        "--adam-lr0",
        "3e38",
        "-q",
        "--out",
    ];
    let args: Vec<&str> = command
        .iter()
        .chain(&tiny)
        .copied()
        .chain([text(out)])
        .collect();
    let child = rbp(&args, &[]).spawn().expect("the rbp binary runs");
    let ran = finish(child, Duration::from_secs(60), "a diverging run");
    assert!(ran.success, "{}", ran.stderr);
    assert!(!ran.stdout.contains("NaN"), "{}", ran.stdout);
    ran.stdout
}

fn json_of(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_diverged_toy_run_is_reported_as_diverged_not_averaged() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let stdout = run_diverging(&["toy"], &out);
    assert!(stdout.contains("Adam: 2 of 2 run(s) diverged"), "{stdout}");
    let adam = &json_of(&out.join("summary.json"))["optimizers"][1];
    assert_eq!(adam["optimizer"], "adam");
    assert_eq!(adam["diverged"].as_array().map(Vec::len), Some(2), "{adam}");
    assert_eq!(adam["final_test_error"]["n"], 0, "{adam}");
}

#[test]
fn a_diverged_landscape_run_is_named_not_probed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let stdout = run_diverging(&["landscape", "toy"], &out);
    assert!(stdout.contains("adam seed 1 diverged"), "{stdout}");
    let json = json_of(&out.join("landscape.json"));
    let diverged = &json["diverged"];
    assert_eq!(diverged.as_array().map(Vec::len), Some(2), "{diverged}");
    let probed = json["solutions"].as_array().unwrap();
    assert!(
        probed.iter().all(|s| s["optimizer"] == "sgd"),
        "a diverged run was probed"
    );
}
