//! How large a sweep may be, checked from the spec's numbers before anything is built: the
//! count of cells (from the lengths of the grid's lists), of runs (cells x seeds), of epochs in
//! all, and the memory of the run list and its results. A plan over a limit is refused in
//! microseconds with the numbers and the spec key to change.

use super::spec::{SpecError, bad};
use crate::run::{RunSpec, StoredRun};
use rbp_core::memory::{self, Bytes};
use rbp_core::train::EpochRecord;

pub use crate::run::MAX_RUNS;

/// Memory kept per run besides its records: the run list (twice: the list and the specs handed
/// to the runner) and the loaded result with its backend name.
fn bytes_per_run(layers: usize) -> u128 {
    let spec = size_of::<(usize, RunSpec)>() + layers * size_of::<usize>();
    let result = size_of::<Option<StoredRun>>() + 64;
    (2 * spec + result) as u128
}

/// The numbers of a spec that decide its size.
pub(super) struct Plan {
    /// Cells of the grid (`None`: more than 2^64).
    pub cells: Option<u64>,
    /// Seeds per cell.
    pub seeds: u64,
    /// Epochs per run.
    pub epochs: usize,
    /// Whether every epoch is recorded.
    pub curves: bool,
}

/// `1 cell`, `2 cells`.
fn count(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

impl Plan {
    /// Refuses a plan over a limit, naming the spec key to change; `breakdown` says how the
    /// cells multiply up, `layers` is the most layer widths a network of the grid has.
    pub fn check(&self, breakdown: &str, layers: usize) -> Result<(), SpecError> {
        let cells = match self.cells {
            Some(c) if c <= MAX_RUNS => c,
            c => {
                let n = c.map_or("more than 2^64".into(), |c| c.to_string());
                return Err(bad(
                    "grid",
                    format!(
                        "{n} cells ({breakdown}), more than the {MAX_RUNS} runs a sweep may have \
                         even with one seed; use fewer values, or split the grid into sweeps \
                         with their own --out"
                    ),
                ));
            }
        };
        let runs = match cells.checked_mul(self.seeds) {
            Some(r) if r <= MAX_RUNS => r,
            r => {
                let n = r.map_or("more than 2^64".into(), |r| r.to_string());
                return Err(bad(
                    "seeds",
                    format!(
                        "{} x {} = {n} runs, more than the {MAX_RUNS} a sweep may have (one \
                         result file each, in one directory); give at most {} seeds, or split \
                         the grid into sweeps with their own --out",
                        count(self.seeds, "seed"),
                        count(cells, "cell"),
                        MAX_RUNS / cells
                    ),
                ));
            }
        };
        if runs.checked_mul(self.epochs as u64).is_none() {
            return Err(bad(
                "epochs",
                format!(
                    "{} x {} epochs is more than 2^64 epochs in all",
                    count(runs, "run"),
                    self.epochs
                ),
            ));
        }
        self.check_memory(runs, layers)
    }

    /// Refuses a run list and results larger than the memory available.
    fn check_memory(&self, runs: u64, layers: usize) -> Result<(), SpecError> {
        let records: u128 = if self.curves {
            self.epochs as u128 + 1
        } else {
            2
        };
        let per_run = bytes_per_run(layers) + records * size_of::<EpochRecord>() as u128;
        let needed = runs as u128 * per_run;
        match memory::available_bytes() {
            Some(available) if needed > available => {
                let (key, fix) = if self.curves {
                    (
                        "curves",
                        "record only the final errors (curves = false), or use fewer seeds or \
                         epochs",
                    )
                } else {
                    ("seeds", "use fewer seeds or cells")
                };
                Err(bad(
                    key,
                    format!(
                        "{} of {records} records each need about {} of memory for the run list \
                         and results ({} per run), but only {} is available; {fix}",
                        count(runs, "run"),
                        Bytes(needed),
                        Bytes(per_run),
                        Bytes(available)
                    ),
                ))
            }
            _ => Ok(()),
        }
    }
}
