//! A run's outcome (finished or failed, its records, where and how long it trained) and the
//! JSON form it takes in a result file.

use super::spec::RunSpec;
use rbp_core::train::{EpochRecord, RunResult};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
pub(super) struct StoredRecord {
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

    /// Why the run could not train at all (it failed before measuring anything): a study has no
    /// numbers of it to show, unlike a run that diverged after some epochs.
    pub fn could_not_train(&self) -> Option<&str> {
        match &self.status {
            Status::Failed { reason, .. } if self.result.records.is_empty() => Some(reason),
            _ => None,
        }
    }
}

/// The JSON document of a result file.
#[derive(Serialize, Deserialize)]
pub(super) struct RunFile {
    pub(super) format_version: u32,
    pub(super) id: String,
    pub(super) settings: RunSpec,
    pub(super) outcome: Status,
    pub(super) backend: String,
    pub(super) kernels: String,
    pub(super) seconds: f64,
    pub(super) records: Vec<StoredRecord>,
}

/// The first measured epoch with a non-finite error, if any: a diverged run.
pub fn divergence(result: &RunResult) -> Option<Status> {
    result.records.iter().find_map(|r| {
        let bad = [("training", r.train_error), ("test", r.test_error)]
            .into_iter()
            .chain(r.test_class_error.map(|c| ("test classification", c)))
            .find(|(_, v)| !v.is_finite());
        bad.map(|(what, v)| Status::Failed {
            reason: format!("diverged: {what} error is {v}"),
            epoch: r.epoch,
        })
    })
}
