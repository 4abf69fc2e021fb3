//! Checkpoints from the command line: a run killed with SIGKILL at any moment (even while a
//! checkpoint is being written) resumes from an intact checkpoint and leaves exactly the results
//! of an uninterrupted run; damaged or foreign checkpoints are refused and left untouched; sizes
//! that cannot fit in memory are refused before any work.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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
fn killed_runs_resume_to_the_uninterrupted_results() {
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    let out = run(&toy_args(&full)
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    assert!(out.status.success(), "{}", stderr(&out));

    // Kill at several moments: as soon as a checkpoint exists, and later ones.
    for (attempt, extra_wait_ms) in [0u64, 40, 150].into_iter().enumerate() {
        let dir = tmp.path().join(format!("killed{attempt}"));
        let mut args = toy_args(&dir);
        args.extend(["--checkpoint-every".into(), "1".into()]);
        let mut child = rbp()
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let checkpoint = dir.join("checkpoint.rbpck");
        let deadline = Instant::now() + Duration::from_secs(60);
        while !checkpoint.exists() && Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(extra_wait_ms));
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        eprintln!("attempt {attempt}: killed = {}", !status.success());
        if status.success() {
            // Finished before the kill: nothing to resume, the results must still match.
            assert_eq!(
                read(&dir.join("curves.csv")),
                read(&full.join("curves.csv"))
            );
            continue;
        }
        assert!(
            checkpoint.exists(),
            "no checkpoint was written before the kill"
        );
        assert!(
            !dir.join("curves.csv").exists(),
            "a killed run left results behind"
        );
        let resumed = run(&["resume", checkpoint.to_str().unwrap(), "--quiet"]);
        assert!(resumed.status.success(), "{}", stderr(&resumed));
        assert_eq!(
            read(&dir.join("curves.csv")),
            read(&full.join("curves.csv")),
            "attempt {attempt}: resumed curves differ from the uninterrupted run"
        );
        assert_eq!(summary_without_time(&dir), summary_without_time(&full));
        assert!(
            !checkpoint.exists(),
            "the finished run's checkpoint was kept"
        );
    }
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
fn a_new_run_does_not_overwrite_an_existing_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    std::fs::create_dir(&dir).unwrap();
    let path = dir.join("checkpoint.rbpck");
    std::fs::write(&path, b"an earlier run's checkpoint").unwrap();
    let mut args = toy_args(&dir);
    args.extend(["--checkpoint-every".into(), "5".into()]);
    let out = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
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
