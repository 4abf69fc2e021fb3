//! Checkpoints: a command's settings and the state of each of its runs, in one versioned file
//! written atomically.
//!
//! # Format (version 1)
//!
//! Every integer is little-endian; `f32`/`f64` are their IEEE-754 bits, little-endian.
//!
//! | field | type |
//! |---|---|
//! | magic | the 8 bytes `RBPCKPT\0` |
//! | version | `u32` = 1 |
//! | settings hash | 8 bytes: the first 8 bytes of the SHA-256 of the settings text |
//! | settings | `u64` length, then UTF-8 text (opaque here; the lab writes JSON) |
//! | run count | `u32` |
//! | each run | label (`u32` length + UTF-8), status `u8` (0 finished, 1 in progress), then its body |
//! | checksum | `u32`: CRC-32 (IEEE) of every byte before it |
//!
//! A finished run's body is its records. An in-progress run's body is, in order: the schedule
//! (`u64` batch, `u64` epochs, `u8` recording: 0 every epoch, 1 final only), the layer widths
//! (`u32` count + `u64` each), the weights (`u64` count + `f32` each), the optimizer (`u8` kind:
//! 0 sgd, 1 rbp, 2 adam, 3 momentum, 4 scaled-sgd; `u64` t; `u64` epoch; `u64` coin seed; `u32` buffer count, each `u64`
//! count + `f32` values), the batch order (32-byte ChaCha8 seed, `u64` stream, `u128` word
//! position), the row order (`u64` count + `u32` each) and the records. Records are a `u32`
//! count, then per record `u64` epoch, `f64` training error, `f64` test error, `u8` 1 if a
//! classification error follows (`f64`), else 0.
//!
//! [`save`] writes to a temporary file in the same directory, flushes it to disk, renames it
//! over the old file and flushes the directory, so a crash at any moment leaves either the old
//! checkpoint or the new one, whole. [`load`] checks the magic, the version, the checksum, the
//! settings hash and every length before it builds anything.

use crate::file::{self, FileError};
use crate::net::Arch;
use crate::optim::{Clock, OptimizerKind, OptimizerState};
use crate::train::{EpochRecord, OrderState, Recording, RunState, Schedule};
use sha2::{Digest, Sha256};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The optimizer's `u8` code in the format: fixed forever, new kinds take new codes.
const KIND_CODES: [(OptimizerKind, u8); 6] = [
    (OptimizerKind::Sgd, 0),
    (OptimizerKind::Rbp, 1),
    (OptimizerKind::Adam, 2),
    (OptimizerKind::Momentum, 3),
    (OptimizerKind::ScaledSgd, 4),
    (OptimizerKind::RawTwin, 5),
];

fn kind_code(kind: OptimizerKind) -> u8 {
    KIND_CODES
        .iter()
        .find(|&&(k, _)| k == kind)
        .map(|&(_, c)| c)
        .expect("KIND_CODES lists every optimizer")
}

/// The first bytes of every checkpoint.
pub const MAGIC: [u8; 8] = *b"RBPCKPT\0";
/// The format version this build writes and reads.
pub const VERSION: u32 = 1;
/// The largest checkpoint [`load`] reads: 4 GiB, a billion weights and optimizer values (the
/// runs of a grid of the paper's networks take a few MiB); it bounds what a wrong path can make
/// it allocate.
pub const MAX_BYTES: u64 = 4 << 30;

/// A command's settings and its runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// The settings of the command, as text the caller can parse back.
    pub settings: String,
    /// Each run that has started, by label.
    pub runs: Vec<SavedRun>,
}

/// One run of a checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedRun {
    /// Names the run among the command's runs (e.g. `rbp seed 3`).
    pub label: String,
    /// How far it got.
    pub progress: Progress,
}

/// How far a saved run got.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// Finished: only its records are kept.
    Finished(Vec<EpochRecord>),
    /// Stopped between two epochs: everything needed to continue, with its network's widths.
    InProgress {
        /// The network's layer widths.
        arch: Arch,
        /// The run.
        state: Box<RunState>,
    },
}

/// Why a checkpoint could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The file could not be written. The message holds the operating system's; it is not
    /// repeated as a separate cause.
    #[error("checkpoint {}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        error: std::io::Error,
    },
    /// The file could not be read: missing, not a regular file, larger than [`MAX_BYTES`].
    #[error("checkpoint {0}")]
    Read(#[from] FileError),
    /// The file is not a checkpoint, or not one this build can read, or is damaged.
    #[error("checkpoint {path} is unusable: {why}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
}

/// The settings hash of the header: the first 8 bytes of the SHA-256 of `settings`.
pub fn settings_hash(settings: &str) -> [u8; 8] {
    let digest = Sha256::digest(settings.as_bytes());
    digest[..8].try_into().expect("SHA-256 has 32 bytes")
}

/// Writes `checkpoint` to `path` atomically (see the module documentation).
pub fn save(path: &Path, checkpoint: &Checkpoint) -> Result<(), CheckpointError> {
    let runs: Vec<&SavedRun> = checkpoint.runs.iter().collect();
    save_runs(path, &checkpoint.settings, &runs)
}

/// [`save`] of the checkpoint made of `settings` and `runs`, from borrowed runs: a caller that
/// keeps the runs' states (a grid saving after every epoch) writes them without copying them.
pub fn save_runs(path: &Path, settings: &str, runs: &[&SavedRun]) -> Result<(), CheckpointError> {
    let io = |error| CheckpointError::Io {
        path: path.to_path_buf(),
        error,
    };
    let bytes = encode_runs(settings, runs);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".checkpoint-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    tmp.write_all(&bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    // The rename is durable only once the directory entry is on disk.
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io)?;
    Ok(())
}

/// Reads and checks the checkpoint at `path`: a regular file of at most [`MAX_BYTES`] (a FIFO,
/// a device or a directory is refused without blocking or reading it).
pub fn load(path: &Path) -> Result<Checkpoint, CheckpointError> {
    let bytes = file::read_capped(path, MAX_BYTES, "a checkpoint")?;
    decode(&bytes).map_err(|why| CheckpointError::Invalid {
        path: path.to_path_buf(),
        why,
    })
}

/// The bytes of `checkpoint` in the format above.
pub fn encode(checkpoint: &Checkpoint) -> Vec<u8> {
    let runs: Vec<&SavedRun> = checkpoint.runs.iter().collect();
    encode_runs(&checkpoint.settings, &runs)
}

/// The bytes of the checkpoint made of `settings` and `runs`.
fn encode_runs(settings: &str, runs: &[&SavedRun]) -> Vec<u8> {
    let mut w = Writer(Vec::new());
    w.bytes(&MAGIC);
    w.u32(VERSION);
    w.bytes(&settings_hash(settings));
    w.u64(settings.len() as u64);
    w.bytes(settings.as_bytes());
    w.u32(runs.len() as u32);
    for run in runs {
        w.u32(run.label.len() as u32);
        w.bytes(run.label.as_bytes());
        match &run.progress {
            Progress::Finished(records) => {
                w.u8(0);
                w.records(records);
            }
            Progress::InProgress { arch, state } => {
                w.u8(1);
                w.run_state(arch, state);
            }
        }
    }
    let crc = crc32fast::hash(&w.0);
    w.u32(crc);
    w.0
}

/// Parses and checks checkpoint bytes; the error says what is wrong.
pub fn decode(bytes: &[u8]) -> Result<Checkpoint, String> {
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        return Err("not an rbp checkpoint (wrong magic bytes)".into());
    }
    if bytes.len() < MAGIC.len() + 4 {
        return Err("truncated: the file ends inside the header".into());
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version != VERSION {
        return Err(format!(
            "format version {version}; this build reads version {VERSION}"
        ));
    }
    let Some(body_len) = bytes.len().checked_sub(4) else {
        return Err("truncated".into());
    };
    let (body, tail) = bytes.split_at(body_len);
    let stored = u32::from_le_bytes(tail.try_into().expect("4 bytes"));
    if crc32fast::hash(body) != stored {
        return Err("checksum mismatch: the file is truncated or corrupt".into());
    }
    let mut r = Reader {
        bytes: body,
        at: 12,
    };
    let hash: [u8; 8] = r.take(8)?.try_into().expect("8 bytes");
    let settings = r.string64()?;
    if settings_hash(&settings) != hash {
        return Err("the settings do not match the settings hash in the header".into());
    }
    let count = r.u32()? as usize;
    let mut runs = Vec::new();
    for _ in 0..count {
        let label = r.string32()?;
        let progress = match r.u8()? {
            0 => Progress::Finished(r.records()?),
            1 => {
                let (arch, state) = r.run_state()?;
                Progress::InProgress {
                    arch,
                    state: Box::new(state),
                }
            }
            s => return Err(format!("run `{label}`: unknown status {s}")),
        };
        runs.push(SavedRun { label, progress });
    }
    if r.at != body.len() {
        return Err(format!(
            "{} unexpected bytes after the last run",
            body.len() - r.at
        ));
    }
    Ok(Checkpoint { settings, runs })
}

struct Writer(Vec<u8>);

impl Writer {
    fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    fn u8(&mut self, x: u8) {
        self.0.push(x);
    }
    fn u32(&mut self, x: u32) {
        self.bytes(&x.to_le_bytes());
    }
    fn u64(&mut self, x: u64) {
        self.bytes(&x.to_le_bytes());
    }
    fn f64(&mut self, x: f64) {
        self.bytes(&x.to_le_bytes());
    }
    fn f32s(&mut self, xs: &[f32]) {
        self.u64(xs.len() as u64);
        self.0.reserve(xs.len() * 4);
        for x in xs {
            self.bytes(&x.to_le_bytes());
        }
    }
    fn records(&mut self, records: &[EpochRecord]) {
        self.u32(records.len() as u32);
        for r in records {
            self.u64(r.epoch as u64);
            self.f64(r.train_error);
            self.f64(r.test_error);
            match r.test_class_error {
                Some(e) => {
                    self.u8(1);
                    self.f64(e);
                }
                None => self.u8(0),
            }
        }
    }
    fn run_state(&mut self, arch: &Arch, s: &RunState) {
        self.u64(s.schedule.batch as u64);
        self.u64(s.schedule.epochs as u64);
        self.u8(match s.schedule.record {
            Recording::EveryEpoch => 0,
            Recording::FinalOnly => 1,
        });
        self.u32(arch.widths().len() as u32);
        for &w in arch.widths() {
            self.u64(w as u64);
        }
        self.f32s(&s.params);
        let o = &s.optimizer;
        self.u8(kind_code(o.kind));
        self.u64(o.clock.t);
        self.u64(o.clock.epoch);
        self.u64(o.coin_seed);
        self.u32(o.buffers.len() as u32);
        for b in &o.buffers {
            self.f32s(b);
        }
        self.bytes(&s.order.seed);
        self.u64(s.order.stream);
        self.bytes(&s.order.word_pos.to_le_bytes());
        self.u64(s.rows.len() as u64);
        for &r in &s.rows {
            self.u32(r);
        }
        self.records(&s.records);
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| format!("truncated: {n} more bytes expected at offset {}", self.at))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4")))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8")))
    }
    fn usize(&mut self) -> Result<usize, String> {
        let x = self.u64()?;
        usize::try_from(x).map_err(|_| format!("count {x} does not fit this machine"))
    }
    fn f64(&mut self) -> Result<f64, String> {
        Ok(f64::from_le_bytes(self.take(8)?.try_into().expect("8")))
    }
    /// A count of items of `size` bytes, refused when the rest of the file cannot hold them
    /// (so a corrupt count never causes a huge allocation).
    fn count(&mut self, n: usize, size: usize) -> Result<usize, String> {
        match n.checked_mul(size) {
            Some(bytes) if bytes <= self.bytes.len() - self.at => Ok(n),
            _ => Err(format!(
                "truncated: {n} items of {size} bytes announced at offset {}",
                self.at
            )),
        }
    }
    fn string(&mut self, n: usize) -> Result<String, String> {
        let n = self.count(n, 1)?;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| "text is not UTF-8".to_string())
    }
    fn string32(&mut self) -> Result<String, String> {
        let n = self.u32()? as usize;
        self.string(n)
    }
    fn string64(&mut self) -> Result<String, String> {
        let n = self.usize()?;
        self.string(n)
    }
    fn f32s(&mut self) -> Result<Vec<f32>, String> {
        let n = self.usize()?;
        let n = self.count(n, 4)?;
        Ok(self
            .take(n * 4)?
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4")))
            .collect())
    }
    fn records(&mut self) -> Result<Vec<EpochRecord>, String> {
        let n = self.u32()? as usize;
        let n = self.count(n, 25)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let epoch = self.usize()?;
            let train_error = self.f64()?;
            let test_error = self.f64()?;
            let test_class_error = match self.u8()? {
                0 => None,
                1 => Some(self.f64()?),
                x => return Err(format!("record flag {x} is neither 0 nor 1")),
            };
            out.push(EpochRecord {
                epoch,
                train_error,
                test_error,
                test_class_error,
            });
        }
        Ok(out)
    }
    fn run_state(&mut self) -> Result<(Arch, RunState), String> {
        let batch = self.usize()?;
        let epochs = self.usize()?;
        let record = match self.u8()? {
            0 => Recording::EveryEpoch,
            1 => Recording::FinalOnly,
            x => return Err(format!("unknown recording {x}")),
        };
        let n_widths = self.u32()? as usize;
        let n_widths = self.count(n_widths, 8)?;
        let widths = (0..n_widths)
            .map(|_| self.usize())
            .collect::<Result<Vec<_>, _>>()?;
        let arch = Arch::new(widths).map_err(|e| e.to_string())?;
        let params = self.f32s()?;
        let code = self.u8()?;
        let kind = KIND_CODES
            .iter()
            .find(|&&(_, c)| c == code)
            .map(|&(k, _)| k)
            .ok_or_else(|| format!("unknown optimizer {code}"))?;
        let clock = Clock {
            t: self.u64()?,
            epoch: self.u64()?,
        };
        let coin_seed = self.u64()?;
        let n_buffers = self.u32()? as usize;
        let n_buffers = self.count(n_buffers, 8)?;
        let buffers = (0..n_buffers)
            .map(|_| self.f32s())
            .collect::<Result<Vec<_>, _>>()?;
        let seed: [u8; 32] = self.take(32)?.try_into().expect("32");
        let stream = self.u64()?;
        let word_pos = u128::from_le_bytes(self.take(16)?.try_into().expect("16"));
        let n_rows = self.usize()?;
        let n_rows = self.count(n_rows, 4)?;
        let rows = (0..n_rows)
            .map(|_| self.u32())
            .collect::<Result<Vec<_>, _>>()?;
        let records = self.records()?;
        Ok((
            arch,
            RunState {
                schedule: Schedule {
                    batch,
                    epochs,
                    record,
                },
                params,
                optimizer: OptimizerState {
                    kind,
                    clock,
                    coin_seed,
                    buffers,
                },
                order: OrderState {
                    seed,
                    stream,
                    word_pos,
                },
                rows,
                records,
            },
        ))
    }
}
