//! The final reruns' test errors and the paired comparisons: each R-BackProp reading against
//! each baseline (BackProp, Adam, momentum when in the study) at each task and budget, paired by
//! seed (same data, initial weights and batch order), with the paired-t 95% CI of the mean
//! difference, Holm's adjustment across every comparison of the study, and `d_z`.

use super::plan::FinalRun;
use super::space::Tuned;
use super::spec::Tune;
use super::statistics::effect_size;
use crate::report::summary::headline;
use crate::run::StoredRun;
use crate::stats::{Paired, Summary, holm, paired, summarize};

/// The final test errors of `(task, optimizer, budget)`, in final-seed order; NaN for a seed
/// that diverged.
pub type FinalErrors = Vec<Vec<Vec<Vec<f64>>>>;

/// Collects the final test errors from `results` (one per distinct run of `finals`).
pub fn final_errors(tune: &Tune, finals: &[FinalRun], results: &[&StoredRun]) -> FinalErrors {
    let mut out =
        vec![vec![vec![Vec::new(); tune.budgets.len()]; tune.spaces.len()]; tune.tasks.len()];
    for f in finals {
        out[f.task][f.optimizer][f.budget].push(final_error(results[f.run]));
    }
    out
}

/// A final rerun's test error: its last record's (classification error on images), NaN when
/// it diverged.
pub fn final_error(run: &StoredRun) -> f64 {
    if run.failed() {
        f64::NAN
    } else {
        run.result.records.last().map_or(f64::NAN, headline)
    }
}

/// One paired comparison of two tuned optimizers' final test errors.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// Task index.
    pub task: usize,
    /// Budget index.
    pub budget: usize,
    /// The R-BackProp reading (index into the spaces).
    pub rbp: usize,
    /// The baseline (index into the spaces).
    pub baseline: usize,
    /// `rbp - baseline`, paired by seed.
    pub paired: Paired,
    /// Holm-adjusted paired-t p-value (across every comparison of the study).
    pub p_holm: f64,
    /// `d_z` of the differences.
    pub d_z: f64,
}

impl Comparison {
    /// `beats`, `loses to` or `is not distinguishable from` (Holm-adjusted p < 0.05 and a
    /// CI that excludes zero).
    pub fn verdict(&self) -> &'static str {
        let (lo, hi) = self.paired.ci95_diff;
        if self.p_holm < 0.05 && hi < 0.0 {
            "beats"
        } else if self.p_holm < 0.05 && lo > 0.0 {
            "loses to"
        } else {
            "is not distinguishable from"
        }
    }
}

/// The baselines each R-BackProp reading is compared with.
const BASELINES: [Tuned; 3] = [Tuned::Sgd, Tuned::Adam, Tuned::Momentum];

/// Every comparison of the study, Holm-adjusted together. A comparison needs both optimizers
/// selected and every final seed of both finished.
pub fn compare(tune: &Tune, errors: &FinalErrors) -> Vec<Comparison> {
    let index = |t: Tuned| tune.spaces.iter().position(|s| s.tuned == t);
    let rbps: Vec<usize> = tune
        .spaces
        .iter()
        .enumerate()
        .filter(|(_, s)| s.tuned.is_rbp())
        .map(|(i, _)| i)
        .collect();
    let baselines: Vec<usize> = BASELINES.iter().filter_map(|&t| index(t)).collect();
    let mut out = Vec::new();
    for (task, per_task) in errors.iter().enumerate() {
        for (budget, _) in tune.budgets.iter().enumerate() {
            for &rbp in &rbps {
                for &baseline in &baselines {
                    let (a, b) = (&per_task[rbp][budget], &per_task[baseline][budget]);
                    let usable = |v: &Vec<f64>| !v.is_empty() && v.iter().all(|e| e.is_finite());
                    if !usable(a) || !usable(b) {
                        continue;
                    }
                    let Ok(p) = paired(a, b) else { continue };
                    out.push(Comparison {
                        task,
                        budget,
                        rbp,
                        baseline,
                        paired: p,
                        p_holm: f64::NAN,
                        d_z: effect_size(p.mean_diff, p.std_diff),
                    });
                }
            }
        }
    }
    let adjusted = holm(&out.iter().map(|c| c.paired.p_t).collect::<Vec<_>>());
    for (c, p) in out.iter_mut().zip(adjusted) {
        c.p_holm = p;
    }
    out
}

/// The summary of finished seeds' errors (NaN-free), and how many diverged.
pub fn summary_of(errors: &[f64]) -> (Summary, usize) {
    let finite: Vec<f64> = errors.iter().copied().filter(|e| e.is_finite()).collect();
    (summarize(&finite), errors.len() - finite.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rbp_reading_meets_every_baseline_and_p_values_are_adjusted_together() {
        let tune = Tune::parse(
            "trials = 2\nbudgets = [1, 2]\nfinal_seeds = 4\noptimizers = [\"sgd\", \"rbp\", \"rbp-raw\", \"adam\"]\n\
             [[task]]\ndataset = \"teacher\"\n",
        )
        .unwrap();
        let good = vec![0.10, 0.11, 0.12, 0.13];
        let worse = vec![0.20, 0.22, 0.21, 0.25];
        let per_opt = vec![
            vec![worse.clone(), worse.clone()],
            vec![good.clone(), good.clone()],
            vec![worse.clone(), vec![0.2, f64::NAN, 0.2, 0.2]],
            vec![worse.clone(), worse.clone()],
        ];
        let errors: FinalErrors = vec![per_opt];
        let c = compare(&tune, &errors);
        // 2 budgets x 2 readings x 2 baselines, less the raw reading's budget 2 (a NaN seed).
        assert_eq!(c.len(), 6);
        let raw_p: Vec<f64> = c.iter().map(|c| c.paired.p_t).collect();
        assert_eq!(c.iter().map(|c| c.p_holm).collect::<Vec<_>>(), holm(&raw_p));
        assert_eq!(c[0].verdict(), "beats");
        assert!(c[0].d_z < 0.0);
        let (s, diverged) = summary_of(&[0.1, f64::NAN, 0.3]);
        assert_eq!((s.n, diverged), (2, 1));
    }
}
