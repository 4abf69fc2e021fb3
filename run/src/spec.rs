//! One description of a training run, and its id.
//!
//! A run is fully described by its [`RunSpec`] (task and data, network, optimizer and every
//! hyper-parameter, the reading's choices, seed, epochs, what is recorded, arithmetic). Its id
//! is a hash of a canonical encoding of that description and of [`FORMAT_VERSION`], so the same
//! run always gets the same id, on any machine, and a change of format never reuses old files.

use super::task::{HeldOut, Task};
use rbp_core::init::Init;
use rbp_core::net::Arch;
use rbp_core::optim::{Hyper, OptimizerKind};
use rbp_core::oracle::Precision;
use rbp_core::train::Recording;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Version of the result-file format and of the run-id encoding; part of every id.
pub const FORMAT_VERSION: u32 = 1;

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
    /// The arithmetic: f32 (the fast path), or f64 for the scalar oracle's twin of the f32 run.
    /// Left out of the encoding when f32, so ids written before the oracle joined are unchanged.
    #[serde(default = "f32_precision", skip_serializing_if = "is_f32")]
    pub precision: Precision,
    /// The held-out split every recorded "test" error is measured on. Left out of the encoding
    /// when it is the test split, so ids written before validation splits existed are unchanged.
    #[serde(default, skip_serializing_if = "HeldOut::is_test")]
    pub held_out: HeldOut,
}

fn f32_precision() -> Precision {
    Precision::F32
}

fn is_f32(p: &Precision) -> bool {
    *p == Precision::F32
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
}

/// A small run for the tests of the run pipeline: 4-3-2 on 20 teacher examples, R-BackProp,
/// seed 7, 2 epochs.
#[cfg(test)]
pub(crate) fn example() -> RunSpec {
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
        precision: Precision::F32,
        held_out: HeldOut::Test,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::{Pool, TestSize};
    use rbp_datasets::mnist::DatasetKind;

    fn spec() -> RunSpec {
        example()
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
        let mut e = spec();
        e.precision = Precision::F64;
        assert_ne!(a.id(), e.id());
        let mut f = spec();
        f.held_out = HeldOut::Validation;
        assert_ne!(a.id(), f.id());
        assert!(f.canonical().contains(r#""held_out":"validation""#));
        assert!(!a.canonical().contains("held_out"));
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
}
