//! Final errors per optimizer, aggregated over seeds.

use crate::experiment::RunResult;
use crate::optim::OptimizerKind;
use crate::train::EpochRecord;
use serde::Serialize;

/// Mean and sample standard deviation over seeds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MeanStd {
    pub mean: f64,
    pub std: f64,
    pub n: usize,
}

impl MeanStd {
    pub fn of(xs: &[f64]) -> MeanStd {
        let n = xs.len();
        if n == 0 {
            return MeanStd {
                mean: f64::NAN,
                std: f64::NAN,
                n,
            };
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = if n > 1 {
            xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        MeanStd {
            mean,
            std: var.sqrt(),
            n,
        }
    }
}

/// One optimizer's final errors.
#[derive(Clone, Debug, Serialize)]
pub struct OptimizerSummary {
    pub optimizer: OptimizerKind,
    pub final_train_error: MeanStd,
    pub final_test_error: MeanStd,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_test_class_error: Option<MeanStd>,
    /// The headline final error of each seed, in seed order (for paired comparisons).
    pub per_seed_final: Vec<f64>,
}

impl OptimizerSummary {
    /// The error the comparison is about: classification error when there is one, else `E`.
    pub fn headline(&self) -> MeanStd {
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
            let pick = |f: fn(&RunResult) -> f64| {
                MeanStd::of(&mine.iter().map(|r| f(r)).collect::<Vec<_>>())
            };
            let has_class = mine.iter().all(|r| r.last().test_class_error.is_some());
            OptimizerSummary {
                optimizer: kind,
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

/// `(other - ours) / other`: how much lower our error is, as a fraction of the other's.
pub fn relative_improvement(ours: f64, other: f64) -> f64 {
    (other - ours) / other
}
