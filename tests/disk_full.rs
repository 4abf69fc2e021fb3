//! A full disk: the first result that cannot be written stops the command with a message naming
//! the file, no partial or temporary file is left, and once there is room the same command
//! resumes to the results of an uninterrupted run. The fault is a small tmpfs, which needs root
//! (CI runs as root); without it the test fails saying so rather than passing untested.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted at a fresh directory, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "cannot set up the disk-full fault: mounting a tmpfs needs root (CI runs as root)"
        );
        Tmpfs { dir }
    }

    fn grow(&self, size: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(self.dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "cannot remount the tmpfs larger");
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// 24 runs of 100 epochs: about 10 KiB of result file each.
fn toy(out: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rbp"));
    c.env("RBP_KEEP_BLAS_CORE", "1")
        .args([
            "toy",
            "--arch",
            "20-30-10",
            "--train-size",
            "200",
            "--batch",
            "50",
        ])
        .args([
            "--seeds",
            "12",
            "--optimizer",
            "sgd,rbp",
            "--jobs",
            "1",
            "-q",
            "--out",
        ])
        .arg(out);
    c
}

fn files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[test]
fn a_full_disk_stops_the_command_and_a_rerun_with_room_resumes() {
    let reference = tempfile::tempdir().unwrap();
    let full = toy(reference.path()).output().unwrap();
    assert!(
        full.status.success(),
        "{}",
        String::from_utf8_lossy(&full.stderr)
    );

    let disk = Tmpfs::mount("64k");
    let out = disk.path().join("out");
    let failed = toy(&out).output().unwrap();
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(
        !failed.status.success(),
        "the command succeeded on a full disk"
    );
    assert!(
        err.contains("No space left") && err.contains("runs/"),
        "{err}"
    );
    assert_eq!(
        err.matches("No space left").count(),
        1,
        "said more than once: {err}"
    );
    let written = files(&out.join("runs"));
    assert!(
        written.len() < 24,
        "every run was written to a 64 KiB disk?"
    );
    for path in &written {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.ends_with(".json"), "{name} left behind");
        let text = std::fs::read_to_string(path).unwrap();
        assert!(
            serde_json::from_str::<serde_json::Value>(&text).is_ok(),
            "{name} is truncated"
        );
    }
    assert!(!out.join("curves.csv").exists() && !out.join("summary.json").exists());

    disk.grow("10m");
    let resumed = toy(&out).output().unwrap();
    let stdout = String::from_utf8_lossy(&resumed.stdout);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert!(
        stdout.contains("read from"),
        "the rerun trained everything again: {stdout}"
    );
    let curves = |d: &Path| std::fs::read_to_string(d.join("curves.csv")).unwrap();
    assert_eq!(curves(&out), curves(reference.path()));
}
