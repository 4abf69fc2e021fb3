//! `checkpoint::load` of what is not a checkpoint file: a FIFO, a device, a directory, a symlink
//! loop or a file too large is refused at once with a message naming the path and what it is;
//! nothing blocks, nothing is read without bound.

use rbp_core::checkpoint;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// `f()`, or a failure when it has not returned within 10 s (a hang is a failure, not a wait).
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("{what} did not return within 10 s"))
}

/// The message of loading `path`, which must fail within the time limit.
fn load_error(path: &Path) -> String {
    let p = path.to_path_buf();
    let result = within(
        &format!("checkpoint::load({})", path.display()),
        move || checkpoint::load(&p).map(|_| ()),
    );
    match result {
        Ok(()) => panic!("{} loaded as a checkpoint", path.display()),
        Err(e) => e.to_string(),
    }
}

fn fifo(dir: &Path) -> PathBuf {
    let path = dir.join("checkpoint.rbpck");
    let status = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("cannot set up the test: `mkfifo` does not run");
    assert!(status.success(), "cannot set up the test: mkfifo failed");
    path
}

#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let path = fifo(dir.path());
    let m = load_error(&path);
    assert!(
        m.contains(&path.display().to_string()) && m.contains("FIFO"),
        "{m}"
    );
}

#[test]
fn a_device_is_refused_without_reading_it() {
    let zero = Path::new("/dev/zero");
    assert!(
        zero.exists(),
        "cannot set up the test: /dev/zero is missing"
    );
    let m = load_error(zero);
    assert!(
        m.contains("/dev/zero") && m.contains("character device"),
        "{m}"
    );
}

#[test]
fn a_directory_and_a_symlink_loop_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let m = load_error(dir.path());
    assert!(m.contains("directory"), "{m}");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::os::unix::fs::symlink(&b, &a).expect("cannot set up the test: symlink");
    std::os::unix::fs::symlink(&a, &b).expect("cannot set up the test: symlink");
    let m = load_error(&a);
    assert!(m.contains("symlink loop"), "{m}");
}

#[test]
fn a_file_larger_than_the_cap_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.rbpck");
    // Sparse: no disk space, and reading it would take long.
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(checkpoint::MAX_BYTES + 1).unwrap();
    let m = load_error(&path);
    assert!(m.contains("larger than") && m.contains("checkpoint"), "{m}");
}
