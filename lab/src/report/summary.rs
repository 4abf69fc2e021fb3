//! Final errors per optimizer, aggregated over seeds.

use crate::run::result::{Status, divergence};
use crate::stats::{self, Summary};
use rbp_core::optim::OptimizerKind;
use rbp_core::train::EpochRecord;
use rbp_core::train::RunResult;
use serde::Serialize;

/// A run whose errors went non-finite: left out of the means, and said so.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Diverged {
    pub seed: u64,
    /// The first measured epoch with a non-finite error.
    pub epoch: usize,
}

/// One optimizer's final errors, over the runs that did not diverge.
#[derive(Clone, Debug, Serialize)]
pub struct OptimizerSummary {
    pub optimizer: OptimizerKind,
    /// Runs that diverged (absent from the summaries below).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diverged: Vec<Diverged>,
    pub final_train_error: Summary,
    pub final_test_error: Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_test_class_error: Option<Summary>,
    /// The headline final error of each seed, in seed order (for paired comparisons).
    pub per_seed_final: Vec<f64>,
}

impl OptimizerSummary {
    /// The error the comparison is about: classification error when there is one, else `E`.
    pub fn headline(&self) -> Summary {
        self.final_test_class_error.unwrap_or(self.final_test_error)
    }
}

/// Summaries in the order optimizers first appear in `runs`.
pub fn summarize(runs: &[RunResult]) -> Vec<OptimizerSummary> {
    let mut kinds: Vec<OptimizerKind> = Vec::new();
    for r in runs {
        if !kinds.contains(&r.optimizer) {
            kinds.push(r.optimizer);
        }
    }
    kinds
        .into_iter()
        .map(|kind| {
            let mine: Vec<&RunResult> = runs.iter().filter(|r| r.optimizer == kind).collect();
            let diverged: Vec<Diverged> = mine
                .iter()
                .filter_map(|r| match divergence(r) {
                    Some(Status::Failed { epoch, .. }) => Some(Diverged {
                        seed: r.seed,
                        epoch,
                    }),
                    _ => None,
                })
                .collect();
            let finite: Vec<&RunResult> = mine
                .iter()
                .copied()
                .filter(|r| !diverged.iter().any(|d| d.seed == r.seed))
                .collect();
            let pick = |f: fn(&RunResult) -> f64| {
                stats::summarize(&finite.iter().map(|r| f(r)).collect::<Vec<_>>())
            };
            let has_class = mine.iter().all(|r| r.last().test_class_error.is_some());
            OptimizerSummary {
                optimizer: kind,
                diverged,
                final_train_error: pick(|r| r.last().train_error),
                final_test_error: pick(|r| r.last().test_error),
                final_test_class_error: has_class
                    .then(|| pick(|r| r.last().test_class_error.unwrap_or(f64::NAN))),
                per_seed_final: mine.iter().map(|r| headline(r.last())).collect(),
            }
        })
        .collect()
}

/// The error comparisons are about: classification error when there is one, else `E`.
pub fn headline(r: &EpochRecord) -> f64 {
    r.test_class_error.unwrap_or(r.test_error)
}
