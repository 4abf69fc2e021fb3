//! The weights a study keeps from its runs (the landscape probes them): which epochs it wants,
//! and their safekeeping in memory and beside the run in the store, so a continued run has them.

use super::spec::RunSpec;
use super::store::{RunStore, StoreError};
use rbp_core::train::{EpochRecord, Run};

/// Which weights of a run a study keeps (the landscape probes them).
pub trait Keep: Sync {
    /// The epochs of `spec`'s run whose weights to hold, given the records so far (the last is
    /// the epoch just measured). Weights are taken when their epoch is measured; an epoch that
    /// leaves the set is dropped.
    fn held(&self, spec: &RunSpec, records: &[EpochRecord]) -> Vec<usize>;
}

/// A run's weights at one epoch.
#[derive(Clone, Debug, PartialEq)]
pub struct Kept {
    /// The epoch.
    pub epoch: usize,
    /// The weights after it.
    pub params: Vec<f32>,
}

/// The weights a run keeps ([`Keep`]): held in memory and, with a store, in files beside the
/// run, so a continued run has them too.
pub(super) struct Holder<'a> {
    spec: &'a RunSpec,
    pub(super) store: Option<&'a RunStore>,
    keep: Option<&'a dyn Keep>,
    pub(super) held: Vec<Kept>,
    /// Kept files written since the last saved state, whose epochs may have left the set.
    written: Vec<usize>,
}

impl<'a> Holder<'a> {
    pub(super) fn new(
        spec: &'a RunSpec,
        store: Option<&'a RunStore>,
        keep: Option<&'a dyn Keep>,
    ) -> Self {
        Holder {
            spec,
            store,
            keep,
            held: Vec::new(),
            written: Vec::new(),
        }
    }

    /// Takes the weights of the epoch `run` just measured if they are wanted, and drops those no
    /// longer wanted. A kept file is written before the state that needs it.
    pub(super) fn take(&mut self, run: &Run<'_>) -> Result<(), StoreError> {
        let Some(keep) = self.keep else {
            return Ok(());
        };
        let wanted = keep.held(self.spec, run.records());
        let epoch = run.epochs_done();
        if wanted.contains(&epoch) && !self.held.iter().any(|k| k.epoch == epoch) {
            if let Some(store) = self.store {
                store.save_kept(self.spec, run.snapshot())?;
                self.written.push(epoch);
            }
            self.held.push(Kept {
                epoch,
                params: run.params().to_vec(),
            });
        }
        self.held.retain(|k| wanted.contains(&k.epoch));
        Ok(())
    }

    /// Reads back the weights a saved state with `records` holds; false when one is missing.
    pub(super) fn reload(&mut self, records: &[EpochRecord]) -> bool {
        let (Some(keep), Some(store)) = (self.keep, self.store) else {
            return true;
        };
        self.held.clear();
        for epoch in keep.held(self.spec, records) {
            match store.load_kept(self.spec, epoch) {
                Ok(Some(params)) => self.held.push(Kept { epoch, params }),
                _ => return false,
            }
        }
        true
    }

    /// Removes the kept files of epochs no longer held (only once a state that does not need them
    /// is saved).
    pub(super) fn prune(&mut self) -> Result<(), StoreError> {
        let Some(store) = self.store else {
            return Ok(());
        };
        for epoch in std::mem::take(&mut self.written) {
            if !self.held.iter().any(|k| k.epoch == epoch) {
                store.remove(&store.kept_path(self.spec, epoch))?;
            }
        }
        Ok(())
    }

    /// At the end of the run: removes every kept file of an epoch not held (including those a
    /// continued run wrote before it was interrupted).
    pub(super) fn finish(&mut self, records: &[EpochRecord]) -> Result<(), StoreError> {
        let (Some(store), Some(_)) = (self.store, self.keep) else {
            return Ok(());
        };
        for r in records {
            if !self.held.iter().any(|k| k.epoch == r.epoch) {
                store.remove(&store.kept_path(self.spec, r.epoch))?;
            }
        }
        self.written.clear();
        Ok(())
    }
}
