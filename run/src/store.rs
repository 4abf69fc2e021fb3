//! The run store: one result file per training run, named by the run's id, and beside it the
//! state of a run not yet finished and the weights a study asked to keep.
//!
//! - `DIR/runs/<id>.json`: the description, the per-epoch errors, whether the run finished or
//!   failed (and why), the GEMM backend and the run's wall time ([`super::result`]).
//! - `DIR/runs/<id>.state`: an unfinished run's whole state (weights, optimizer, batch order,
//!   records so far) in the checkpoint format of `rbp_core::checkpoint` (versioned, checksummed),
//!   removed once the result is written.
//! - `DIR/runs/<id>.kept-<epoch>`: the run's weights at an epoch a study keeps (the landscape
//!   probes them), in the same format.
//!
//! Every file is written atomically (temporary file, fsync, rename, fsync of the directory), so
//! a process killed at any moment leaves only complete files; a file that cannot be read back,
//! or that describes another run, is reported and never trusted.

use super::result::{RunFile, Status, StoredRecord, StoredRun};
use super::spec::{FORMAT_VERSION, RunSpec};
use super::task::Task;
use rbp_core::checkpoint::{self, Checkpoint, Progress, SavedRun};
use rbp_core::train::{EpochRecord, RunResult, RunState};
use std::path::{Path, PathBuf};

/// The sub-directory of an output directory that holds result files.
pub const RUNS_DIR: &str = "runs";

/// The largest result file read (a run of a million epochs holds ~100 MB of records).
const MAX_RESULT_BYTES: u64 = 1 << 30;

/// What [`RunStore::load`] found for a run.
#[derive(Debug)]
pub enum Loaded {
    /// No result file.
    Missing,
    /// A result file describing this run.
    Present(Box<StoredRun>),
    /// A result file that cannot be trusted: unreadable, truncated, another format version, or
    /// describing another run. The text says which.
    Bad(String),
}

/// Why a file of the store could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct StoreError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

/// The result files of one output directory (`DIR/runs`).
#[derive(Clone, Debug)]
pub struct RunStore {
    dir: PathBuf,
}

impl RunStore {
    /// The store of output directory `out` (created when missing), checked to be writable
    /// before any run trains.
    pub fn open(out: &Path) -> Result<RunStore, StoreError> {
        let dir = out.join(RUNS_DIR);
        let io = |source| StoreError {
            path: dir.clone(),
            source,
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        tempfile::Builder::new()
            .prefix(".probe-")
            .tempfile_in(&dir)
            .map_err(io)?;
        crate::atomic::clean_stale(&dir);
        Ok(RunStore { dir })
    }

    /// The directory of the result files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The result file of run `id`.
    pub fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Writes `run`'s result file atomically.
    pub fn save(&self, run: &StoredRun) -> Result<PathBuf, StoreError> {
        let id = run.spec.id();
        let path = self.path(&id);
        let io = |source| StoreError {
            path: path.clone(),
            source,
        };
        let file = RunFile {
            format_version: FORMAT_VERSION,
            id,
            settings: run.spec.clone(),
            outcome: run.status.clone(),
            backend: run.backend.clone(),
            kernels: rbp_core::kernel_level().to_string(),
            seconds: run.seconds,
            records: run.result.records.iter().map(StoredRecord::from).collect(),
        };
        let mut bytes = serde_json::to_vec_pretty(&file).expect("a result file serializes");
        bytes.push(b'\n');
        self.write_atomic(&path, &bytes).map_err(io)?;
        Ok(path)
    }

    /// Writes `bytes` to `path` in this directory atomically. Concurrent writers (shards
    /// sharing a directory) each write whole files, so the last rename wins with a complete file.
    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        crate::atomic::write(path, bytes)
    }

    /// Reads the result file of `spec`, checking that it is complete, of this format version and
    /// about this very run.
    pub fn load(&self, spec: &RunSpec) -> Loaded {
        let id = spec.id();
        let path = self.path(&id);
        if !path.exists() && path.symlink_metadata().is_err() {
            return Loaded::Missing;
        }
        let bytes = match rbp_core::file::read_capped(&path, MAX_RESULT_BYTES, "a result file") {
            Ok(b) => b,
            Err(e) => return Loaded::Bad(e.to_string()),
        };
        let bad = |why: String| Loaded::Bad(format!("{}: {why}", path.display()));
        let file: RunFile = match serde_json::from_slice(&bytes) {
            Ok(f) => f,
            Err(e) => return bad(format!("unreadable or truncated ({e})")),
        };
        if file.format_version != FORMAT_VERSION {
            return bad(format!(
                "format version {} (this rbp writes {FORMAT_VERSION})",
                file.format_version
            ));
        }
        if file.id != id || file.settings != *spec {
            return bad(format!(
                "describes another run ({}, id {}) than {} (id {id})",
                file.settings.label(),
                file.id,
                spec.label()
            ));
        }
        let records: Vec<EpochRecord> = file.records.iter().map(EpochRecord::from).collect();
        let finished = file.outcome == Status::Finished;
        if finished && records.last().is_none_or(|r| r.epoch != spec.epochs) {
            return bad(format!(
                "says finished but its last record is not epoch {}",
                spec.epochs
            ));
        }
        Loaded::Present(Box::new(StoredRun {
            result: RunResult {
                optimizer: spec.optimizer,
                seed: spec.seed,
                records,
            },
            spec: file.settings,
            status: file.outcome,
            backend: file.backend,
            seconds: file.seconds,
        }))
    }

    /// The state file of an unfinished run.
    pub fn state_path(&self, spec: &RunSpec) -> PathBuf {
        self.dir.join(format!("{}.state", spec.id()))
    }

    /// The file of `spec`'s weights kept at `epoch`.
    pub fn kept_path(&self, spec: &RunSpec, epoch: usize) -> PathBuf {
        self.dir.join(format!("{}.kept-{epoch}", spec.id()))
    }

    /// Saves the state of `spec`'s unfinished run, replacing the previous one.
    pub fn save_state(&self, spec: &RunSpec, state: RunState) -> Result<(), StoreError> {
        self.write_snapshot(&self.state_path(spec), spec, state)
    }

    /// The saved state of `spec`'s run: `Ok(None)` when there is none, `Err` (the reason) when
    /// the file cannot be trusted.
    pub fn load_state(&self, spec: &RunSpec) -> Result<Option<RunState>, String> {
        read_snapshot(&self.state_path(spec), spec)
    }

    /// Saves `state`'s weights as those `spec`'s run keeps at the state's epoch.
    pub fn save_kept(&self, spec: &RunSpec, state: RunState) -> Result<(), StoreError> {
        let epoch = state.optimizer.clock.epoch as usize;
        self.write_snapshot(&self.kept_path(spec, epoch), spec, state)
    }

    /// The weights `spec`'s run kept at `epoch`, as [`RunStore::load_state`] reads a state.
    pub fn load_kept(&self, spec: &RunSpec, epoch: usize) -> Result<Option<Vec<f32>>, String> {
        Ok(read_snapshot(&self.kept_path(spec, epoch), spec)?.map(|s| s.params))
    }

    /// Removes a file of the store that is no longer needed (a missing file is no error).
    pub fn remove(&self, path: &Path) -> Result<(), StoreError> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(StoreError {
                path: path.to_path_buf(),
                source: e,
            }),
            _ => Ok(()),
        }
    }

    fn write_snapshot(
        &self,
        path: &Path,
        spec: &RunSpec,
        state: RunState,
    ) -> Result<(), StoreError> {
        let run = SavedRun {
            label: spec.label(),
            progress: Progress::InProgress {
                arch: spec.arch.clone(),
                state: Box::new(state),
            },
        };
        let bytes = checkpoint::encode(&Checkpoint {
            settings: spec.canonical(),
            runs: vec![run],
        });
        self.write_atomic(path, &bytes)
            .map_err(|source| StoreError {
                path: path.to_path_buf(),
                source,
            })
    }
}

/// Reads a state or kept-weights file of `spec`'s run.
fn read_snapshot(path: &Path, spec: &RunSpec) -> Result<Option<RunState>, String> {
    if !path.exists() {
        return Ok(None);
    }
    let saved = checkpoint::load(path).map_err(|e| e.to_string())?;
    let bad = |why: &str| Err(format!("{}: {why}", path.display()));
    if saved.settings != spec.canonical() {
        return bad("describes another run");
    }
    match saved.runs.into_iter().next().map(|r| r.progress) {
        Some(Progress::InProgress { arch, state }) if arch == spec.arch => Ok(Some(*state)),
        _ => bad("holds no state of this run's network"),
    }
}

/// How many readable result files in the store of output directory `out` describe MNIST or
/// Fashion-MNIST runs (without creating the store).
pub fn image_runs(out: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(out.join(RUNS_DIR)) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|bytes| serde_json::from_slice::<RunFile>(&bytes).ok())
        .filter(|f| matches!(f.settings.task, Task::Images { .. }))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rbp_core::optim::OptimizerKind;

    fn spec() -> RunSpec {
        crate::spec::example()
    }

    fn stored(records: Vec<EpochRecord>, status: Status) -> StoredRun {
        StoredRun {
            spec: spec(),
            status,
            result: RunResult {
                optimizer: OptimizerKind::Rbp,
                seed: 7,
                records,
            },
            backend: "test".into(),
            seconds: 0.5,
        }
    }

    fn record(epoch: usize, test_error: f64) -> EpochRecord {
        EpochRecord {
            epoch,
            train_error: 0.1 + 1e-17 * epoch as f64,
            test_error,
            test_class_error: None,
        }
    }

    #[test]
    fn result_files_read_back_bit_for_bit_even_when_not_finite() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::open(dir.path()).unwrap();
        // Values with long decimal expansions and non-finite ones: the round trip must be exact
        // (the figures are built from what is read back).
        let records = vec![
            record(0, 0.123_456_789_012_345_67),
            record(1, f64::NAN),
            record(2, f64::INFINITY),
        ];
        let run = stored(
            records.clone(),
            Status::Failed {
                reason: "test error is NaN".into(),
                epoch: 1,
            },
        );
        store.save(&run).unwrap();
        let Loaded::Present(back) = store.load(&spec()) else {
            panic!("the file reads back");
        };
        assert_eq!(back.status, run.status);
        for (a, b) in back.result.records.iter().zip(&records) {
            assert_eq!(a.train_error.to_bits(), b.train_error.to_bits());
            assert_eq!(a.test_error.is_nan(), b.test_error.is_nan());
            if !b.test_error.is_nan() {
                assert_eq!(a.test_error.to_bits(), b.test_error.to_bits());
            }
        }
    }

    #[test]
    fn missing_truncated_and_foreign_files_are_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::open(dir.path()).unwrap();
        assert!(matches!(store.load(&spec()), Loaded::Missing));
        let run = stored(vec![record(0, 0.5), record(2, 0.25)], Status::Finished);
        let path = store.save(&run).unwrap();
        let full = std::fs::read(&path).unwrap();
        std::fs::write(&path, &full[..full.len() / 2]).unwrap();
        match store.load(&spec()) {
            Loaded::Bad(why) => assert!(why.contains("truncated"), "{why}"),
            other => panic!("a truncated file was trusted: {other:?}"),
        }
        // Another run's file under this run's name.
        let mut other = run.clone();
        other.spec.seed = 99;
        let text = String::from_utf8(full.clone()).unwrap();
        let other_file = text.replace("\"seed\": 7", "\"seed\": 99");
        std::fs::write(&path, other_file).unwrap();
        match store.load(&spec()) {
            Loaded::Bad(why) => assert!(why.contains("another run"), "{why}"),
            other => panic!("a foreign file was trusted: {other:?}"),
        }
        // A finished run without its last epoch.
        let short = stored(vec![record(0, 0.5)], Status::Finished);
        store.save(&short).unwrap();
        assert!(matches!(store.load(&spec()), Loaded::Bad(_)));
    }
}
