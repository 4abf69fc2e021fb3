//! Small IDX files built in memory, for tests that need no real MNIST.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;

/// An image file header declaring `count` images of `rows`×`cols`,
/// followed by `payload` bytes of a recognisable pattern.
pub fn images_file(count: u32, rows: u32, cols: u32, payload: usize) -> Vec<u8> {
    let mut b = Vec::new();
    for w in [2051, count, rows, cols] {
        b.extend_from_slice(&w.to_be_bytes());
    }
    b.extend((0..payload).map(|i| (i % 256) as u8));
    b
}

/// A label file holding `labels`.
pub fn labels_file(labels: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&2049u32.to_be_bytes());
    b.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    b.extend_from_slice(labels);
    b
}

/// `bytes` gzipped.
pub fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A FIFO (named pipe) at `path`; the test fails when one cannot be made.
#[allow(dead_code)]
pub fn fifo(path: &std::path::Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("cannot set up the test: `mkfifo` does not run");
    assert!(status.success(), "cannot set up the test: mkfifo {path:?}");
}

/// Two symlinks `a -> b -> a`: opening either loops.
#[allow(dead_code)]
pub fn symlink_loop(a: &std::path::Path, b: &std::path::Path) {
    std::os::unix::fs::symlink(b, a).expect("cannot set up the test: symlink");
    std::os::unix::fs::symlink(a, b).expect("cannot set up the test: symlink");
}

/// `f()`, or a failure when it has not returned within 10 s: a hang is a failure, not a wait.
#[allow(dead_code)]
pub fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("{what} did not return within 10 s"))
}
