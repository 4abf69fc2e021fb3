//! The run store: one result file per training run, named by the run's identity.
//!
//! A run is fully described by its [`RunSpec`] (task and data, network, optimizer and every
//! hyper-parameter, the reading's choices, seed, epochs, what is recorded). Its id is a hash of a
//! canonical encoding of that description and of [`FORMAT_VERSION`], so the same run always gets
//! the same id, on any machine, and a change of file format never reuses old files.
//!
//! `DIR/runs/<id>.json` holds the description, the per-epoch errors, whether the run finished or
//! failed (and why), the GEMM backend and the run's wall time. Files are written atomically
//! (temporary file, fsync, rename, fsync of the directory) the moment a run finishes, so a
//! killed sweep leaves only complete files; a file that cannot be read back, or that describes
//! another run, is reported and never trusted.

use crate::data::mnist::DatasetKind;
use crate::experiment::mnist::{Pool, TestSize};
use crate::experiment::{RunResult, Settings};
use rbp_core::init::Init;
use rbp_core::net::Arch;
use rbp_core::optim::{Hyper, OptimizerKind};
use rbp_core::train::{EpochRecord, Recording};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Version of the result-file format and of the run-id encoding; part of every id.
pub const FORMAT_VERSION: u32 = 1;

/// The sub-directory of an output directory that holds result files.
pub const RUNS_DIR: &str = "runs";

/// The data a run trains and is tested on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Task {
    /// The paper's teacher-student task (Sec. II): `train_size` training examples and as many
    /// test examples, drawn from the run seed's teacher.
    Teacher {
        /// Training examples (`M`).
        train_size: usize,
    },
    /// MNIST or Fashion-MNIST (Fig. 5's protocol): each run draws `train_size` training images
    /// and `test_size` test images with its seed, from the pool `pool` (as `rbp mnist --pool`).
    /// Where the files are is not part of the run: the same files anywhere give the same run.
    Images {
        /// Which data set.
        dataset: DatasetKind,
        /// Where the training images come from.
        pool: Pool,
        /// Training images per run (`M`).
        train_size: usize,
        /// Test images per run.
        test_size: TestSize,
    },
}

impl Task {
    /// Training examples.
    pub fn train_size(&self) -> usize {
        match self {
            Task::Teacher { train_size } | Task::Images { train_size, .. } => *train_size,
        }
    }

    /// `teacher`, `mnist` or `fashion-mnist`.
    pub fn name(&self) -> &'static str {
        match self {
            Task::Teacher { .. } => "teacher",
            Task::Images {
                dataset: DatasetKind::Mnist,
                ..
            } => "mnist",
            Task::Images {
                dataset: DatasetKind::Fashion,
                ..
            } => "fashion-mnist",
        }
    }
}

/// Everything that determines a run's numbers. Two runs with equal specs give equal numbers
/// (on the same backend), so a spec names a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSpec {
    /// Task and data.
    pub task: Task,
    /// Layer widths, input first.
    pub arch: Arch,
    /// Examples per mini-batch.
    pub batch: usize,
    /// Epochs trained.
    pub epochs: usize,
    /// Weight initialization (part of the reading).
    pub init: Init,
    /// Every hyper-parameter (learning-rate clock and R-BackProp's `g_prev` are the reading's).
    pub hyper: Hyper,
    /// The optimizer trained.
    pub optimizer: OptimizerKind,
    /// The run seed (data, initial weights, batch order, coin).
    pub seed: u64,
    /// Which epochs are measured.
    pub recording: Recording,
}

impl RunSpec {
    /// The canonical encoding hashed into the id: the format version, then the spec as compact
    /// JSON (fields in declaration order, floats in their shortest exact form).
    pub fn canonical(&self) -> String {
        let json = serde_json::to_string(self).expect("a run spec serializes");
        format!("rbp-run/{FORMAT_VERSION}\n{json}")
    }

    /// The run's id: the first 128 bits of the SHA-256 of [`RunSpec::canonical`], in hex.
    pub fn id(&self) -> String {
        let digest = Sha256::digest(self.canonical().as_bytes());
        digest[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A short human description: `rbp seed 3 M=1000 100-400-200-10` (with the data set's
    /// name before `M` when it is not the teacher task).
    pub fn label(&self) -> String {
        let data = match self.task {
            Task::Teacher { .. } => String::new(),
            _ => format!("{} ", self.task.name()),
        };
        format!(
            "{} seed {} {data}M={} {}",
            self.optimizer.name(),
            self.seed,
            self.task.train_size(),
            self.arch
        )
    }

    /// The experiment settings of this one run (one optimizer, one seed, one worker).
    pub fn settings(&self) -> Settings {
        Settings {
            arch: self.arch.clone(),
            batch: self.batch,
            epochs: self.epochs,
            init: self.init,
            hyper: self.hyper,
            optimizers: vec![self.optimizer],
            seeds: vec![self.seed],
            workers: 1,
            blas_threads: 1,
        }
    }
}

/// An error value as stored: a JSON number when finite, else the text `NaN`, `inf` or `-inf`
/// (JSON has no non-finite numbers, and a diverged run must read back exactly as it was).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Num(f64);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = self.0;
        if x.is_finite() {
            s.serialize_f64(x)
        } else if x.is_nan() {
            s.serialize_str("NaN")
        } else if x > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Num, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(x) => Ok(Num(x)),
            Raw::Text(t) => match t.as_str() {
                "NaN" => Ok(Num(f64::NAN)),
                "inf" => Ok(Num(f64::INFINITY)),
                "-inf" => Ok(Num(f64::NEG_INFINITY)),
                other => Err(serde::de::Error::custom(format!(
                    "`{other}` is not a number"
                ))),
            },
        }
    }
}

/// One epoch's errors as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct StoredRecord {
    epoch: usize,
    train_error: Num,
    test_error: Num,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    test_class_error: Option<Num>,
}

impl From<&EpochRecord> for StoredRecord {
    fn from(r: &EpochRecord) -> StoredRecord {
        StoredRecord {
            epoch: r.epoch,
            train_error: Num(r.train_error),
            test_error: Num(r.test_error),
            test_class_error: r.test_class_error.map(Num),
        }
    }
}

impl From<&StoredRecord> for EpochRecord {
    fn from(r: &StoredRecord) -> EpochRecord {
        EpochRecord {
            epoch: r.epoch,
            train_error: r.train_error.0,
            test_error: r.test_error.0,
            test_class_error: r.test_class_error.map(|n| n.0),
        }
    }
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Status {
    /// Trained every epoch with finite errors.
    Finished,
    /// Diverged or could not run; the sweep went on without it.
    Failed {
        /// What went wrong.
        reason: String,
        /// The first measured epoch that went wrong (0 when the run could not start).
        epoch: usize,
    },
}

/// A run's outcome as read from or written to its result file.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRun {
    /// The run's description.
    pub spec: RunSpec,
    /// Finished or failed.
    pub status: Status,
    /// Its records (empty when it could not start).
    pub result: RunResult,
    /// GEMM backend that trained it.
    pub backend: String,
    /// Wall time of the run, in seconds.
    pub seconds: f64,
}

impl StoredRun {
    /// Whether the run failed.
    pub fn failed(&self) -> bool {
        matches!(self.status, Status::Failed { .. })
    }
}

/// The JSON document of a result file.
#[derive(Serialize, Deserialize)]
struct RunFile {
    format_version: u32,
    id: String,
    settings: RunSpec,
    outcome: Status,
    backend: String,
    kernels: String,
    seconds: f64,
    records: Vec<StoredRecord>,
}

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

/// Why a result file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write result file {path}: {source}")]
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
    /// The store of output directory `out` (created when missing).
    pub fn open(out: &Path) -> Result<RunStore, StoreError> {
        let dir = out.join(RUNS_DIR);
        std::fs::create_dir_all(&dir).map_err(|source| StoreError {
            path: dir.clone(),
            source,
        })?;
        Ok(RunStore { dir })
    }

    /// The result file of run `id`.
    pub fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Writes `run`'s result file atomically: temporary file in the same directory, fsync,
    /// rename, fsync of the directory. Concurrent writers (shards sharing a directory) each
    /// write whole files, so the last rename wins with a complete file.
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
        let mut tmp = tempfile::Builder::new()
            .prefix(".run-")
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .map_err(io)?;
        tmp.write_all(&bytes).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(&path).map_err(|e| io(e.error))?;
        // The rename is durable only once the directory entry is on disk.
        #[cfg(unix)]
        std::fs::File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
        Ok(path)
    }

    /// How many readable result files in the store describe MNIST or Fashion-MNIST runs.
    pub fn image_runs(&self) -> usize {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
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

    /// Reads the result file of `spec`, checking that it is complete, of this format version and
    /// about this very run.
    pub fn load(&self, spec: &RunSpec) -> Loaded {
        let id = spec.id();
        let path = self.path(&id);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::Missing,
            Err(e) => return Loaded::Bad(format!("{}: cannot be read: {e}", path.display())),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> RunSpec {
        RunSpec {
            task: Task::Teacher { train_size: 20 },
            arch: Arch::new(vec![4, 3, 2]).unwrap(),
            batch: 5,
            epochs: 2,
            init: Init::Lecun,
            hyper: Hyper::default(),
            optimizer: OptimizerKind::Rbp,
            seed: 7,
            recording: Recording::EveryEpoch,
        }
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
    fn ids_are_stable_and_change_with_any_setting() {
        let a = spec();
        assert_eq!(a.id(), spec().id());
        assert_eq!(a.id().len(), 32);
        let mut b = spec();
        b.hyper.rbp.gamma0 = 0.999;
        assert_ne!(a.id(), b.id());
        let mut c = spec();
        c.recording = Recording::FinalOnly;
        assert_ne!(a.id(), c.id());
        let mut d = spec();
        d.seed = 8;
        assert_ne!(a.id(), d.id());
        assert!(
            a.canonical()
                .starts_with(&format!("rbp-run/{FORMAT_VERSION}\n"))
        );
        // The teacher task's encoding (and so every id written before image tasks existed)
        // is unchanged.
        assert!(
            a.canonical()
                .contains(r#""task":{"kind":"teacher","train_size":20}"#)
        );
    }

    #[test]
    fn image_runs_are_named_by_data_set_pool_and_sizes() {
        let images = |dataset, pool, test_size| RunSpec {
            task: Task::Images {
                dataset,
                pool,
                train_size: 20,
                test_size,
            },
            ..spec()
        };
        let base = images(DatasetKind::Mnist, Pool::Test, TestSize::Count(10));
        let ids = [
            spec().id(),
            base.id(),
            images(DatasetKind::Fashion, Pool::Test, TestSize::Count(10)).id(),
            images(DatasetKind::Mnist, Pool::Train, TestSize::Count(10)).id(),
            images(DatasetKind::Mnist, Pool::Test, TestSize::Count(11)).id(),
            images(DatasetKind::Mnist, Pool::Test, TestSize::All).id(),
        ];
        for (i, a) in ids.iter().enumerate() {
            assert!(!ids[..i].contains(a), "run {i} shares an id");
        }
        let canonical = base.canonical();
        for part in [
            r#""kind":"images""#,
            r#""dataset":"mnist""#,
            r#""pool":"test""#,
        ] {
            assert!(canonical.contains(part), "{canonical}");
        }
        assert_eq!(base.label(), "rbp seed 7 mnist M=20 4-3-2");
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
