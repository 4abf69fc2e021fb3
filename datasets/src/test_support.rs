//! For tests that need data the repository does not ship: the real MNIST
//! files beside the repository and the system's Fashion-MNIST.
//!
//! One policy for all of them. When the data is there, the test runs. When
//! it is missing:
//! - under CI (the environment variable `CI` is `true`), the test fails
//!   naming what is missing: CI provides the data, so its absence is a
//!   broken setup, not a reason to pass;
//! - elsewhere (a clone without the data), the test says plainly on stderr
//!   that it was skipped, and returns without asserting anything.
//!
//! Tests that do not depend on these particular files build their own small
//! files instead, and run everywhere.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::mnist::FASHION_DIR;

/// The real MNIST files shared beside the repository: `../shared/data/mnist`
/// relative to the workspace root.
pub const SHARED_MNIST_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/mnist");

/// The environment variable that marks a CI run, where missing data fails.
pub const CI_ENV: &str = "CI";

/// [`SHARED_MNIST_DIR`] if it has every one of `files`; see [`require_files`].
#[track_caller]
pub fn shared_mnist(files: &[&str]) -> Option<PathBuf> {
    require_files(
        "the real MNIST files (../shared/data/mnist beside the repository)",
        Path::new(SHARED_MNIST_DIR),
        files,
    )
}

/// [`FASHION_DIR`] if it has every one of `files`; see [`require_files`].
#[track_caller]
pub fn system_fashion(files: &[&str]) -> Option<PathBuf> {
    require_files(
        "Fashion-MNIST (apt-get install dataset-fashion-mnist)",
        Path::new(FASHION_DIR),
        files,
    )
}

/// `dir` when every one of `files` is a file in it. Otherwise, under CI
/// ([`CI_ENV`] is `true`), panics naming `what`, `dir` and the missing
/// files; elsewhere writes that the calling test was skipped and why to
/// stderr and returns `None`, and the test should return.
///
/// # Panics
/// Under CI, when a file is missing.
#[track_caller]
pub fn require_files(what: &str, dir: &Path, files: &[&str]) -> Option<PathBuf> {
    let in_ci = std::env::var(CI_ENV).is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    match check(what, dir, files, in_ci) {
        Ok(()) => Some(dir.to_path_buf()),
        Err(skipped) => {
            // Written to the stderr handle rather than with `eprintln!`,
            // which the test harness captures and hides for passing tests.
            let _ = writeln!(std::io::stderr(), "{skipped}");
            None
        }
    }
}

/// Ok when nothing is missing; the skip message when something is and
/// `in_ci` is false.
///
/// # Panics
/// When something is missing and `in_ci` is true.
#[track_caller]
fn check(what: &str, dir: &Path, files: &[&str], in_ci: bool) -> Result<(), String> {
    let missing: Vec<&str> = files
        .iter()
        .copied()
        .filter(|f| !dir.join(f).is_file())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let test = std::thread::current()
        .name()
        .filter(|name| *name != "main")
        .map(|name| format!(" {name}"))
        .unwrap_or_default();
    let problem = format!(
        "needs {what}, but {} not found in {}",
        missing.join(", "),
        dir.display()
    );
    if in_ci {
        panic!(
            "test{test} {problem}. {CI_ENV}=true and CI must provide this data, \
             so the test fails instead of being skipped"
        );
    }
    Err(format!(
        "SKIPPED test{test}: it {problem}; it did not run (with {CI_ENV}=true it would fail)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn present_files_run() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), b"").unwrap();
        assert_eq!(check("data", dir.path(), &["a"], true), Ok(()));
        assert_eq!(check("data", dir.path(), &["a"], false), Ok(()));
        assert_eq!(
            require_files("data", dir.path(), &["a"]),
            Some(dir.path().to_path_buf())
        );
    }

    #[test]
    fn missing_files_are_a_plain_skip_outside_ci() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), b"").unwrap();
        let skipped = check("some data", dir.path(), &["a", "b", "c"], false).unwrap_err();
        assert!(skipped.starts_with("SKIPPED test"), "{skipped}");
        assert!(
            skipped.contains(&format!(
                "needs some data, but b, c not found in {}",
                dir.path().display()
            )),
            "{skipped}"
        );
        assert!(skipped.contains("CI=true it would fail"), "{skipped}");
        // A directory is not a file.
        std::fs::create_dir(dir.path().join("d")).unwrap();
        assert!(check("data", dir.path(), &["d"], false).is_err());
    }

    #[test]
    #[should_panic(expected = "needs some data, but b not found in")]
    fn missing_files_fail_in_ci() {
        let dir = tempfile::tempdir().unwrap();
        let _ = check("some data", dir.path(), &["b"], true);
    }
}
