//! Result files: written whole or not at all, and never over a previous result unless asked.

use super::csv::Table;
use rbp_core::train::RunResult;
use std::path::{Path, PathBuf};

/// A problem writing results, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(
        "{0} already exists; pass --overwrite to replace it, or choose another --out directory"
    )]
    Exists(PathBuf),
    /// `--out` names something that is not a directory.
    #[error("{}: --out needs a directory, and this is a file", .0.display())]
    NotADirectory(PathBuf),
    /// A merge names a directory that does not exist (no shard wrote there).
    #[error("{}: no such directory: give --merge the shards' --out directory", .0.display())]
    NoMergeDirectory(PathBuf),
    /// The message holds the operating system's; it is not repeated as a separate cause.
    #[error("cannot write {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// An output directory and whether files in it may be replaced.
#[derive(Clone, Debug)]
pub struct OutDir {
    pub dir: PathBuf,
    pub overwrite: bool,
}

impl OutDir {
    pub fn new(dir: impl Into<PathBuf>, overwrite: bool) -> OutDir {
        OutDir {
            dir: dir.into(),
            overwrite,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Creates the directory and checks, before any long work starts, that none of `names`
    /// would overwrite an earlier result.
    pub fn prepare(&self, names: &[&str]) -> Result<(), OutputError> {
        if self.dir.exists() && !self.dir.is_dir() {
            return Err(OutputError::NotADirectory(self.dir.clone()));
        }
        std::fs::create_dir_all(&self.dir).map_err(|error| OutputError::Io {
            path: self.dir.clone(),
            error,
        })?;
        crate::atomic::clean_stale(&self.dir);
        if !self.overwrite {
            for name in names {
                let path = self.path(name);
                if path.exists() {
                    return Err(OutputError::Exists(path));
                }
            }
        }
        Ok(())
    }

    /// Writes `name` atomically: to a temporary file first, renamed into place when complete.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, OutputError> {
        let path = self.path(name);
        if !self.overwrite && path.exists() {
            return Err(OutputError::Exists(path));
        }
        write_atomic(&path, bytes)?;
        Ok(path)
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so a
/// reader never sees a half-written file and an interrupted run leaves the old file intact.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    crate::atomic::write(path, bytes).map_err(|error| OutputError::Io {
        path: path.to_path_buf(),
        error,
    })
}

/// `curves.csv`: one row per optimizer, seed and epoch. With `class_error`, a last column
/// `test_class_error` (MNIST).
pub fn curves_csv(runs: &[RunResult], class_error: bool) -> String {
    let mut header = vec!["optimizer", "seed", "epoch", "train_error", "test_error"];
    if class_error {
        header.push("test_class_error");
    }
    let mut table = Table::new(&header);
    for run in runs {
        for r in &run.records {
            let class = r.test_class_error.unwrap_or(f64::NAN);
            let row: [&dyn std::fmt::Display; 6] = [
                &run.optimizer,
                &run.seed,
                &r.epoch,
                &r.train_error,
                &r.test_error,
                &class,
            ];
            table.row_of(&row[..header.len()]);
        }
    }
    table.finish()
}
