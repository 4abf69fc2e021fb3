//! Selection on validation only: each trial's score is its mean final validation error over the
//! trial seeds, and a budget-`k` study selects the best of the first `k` trials.
//!
//! The functions here take the trials' runs alone, whose recorded errors are measured on the
//! validation split; nothing of the final reruns (the only runs that read the test split) can
//! reach them.

use super::plan::{Selected, TrialRun};
use super::spec::Tune;
use crate::report::summary::headline;
use crate::run::StoredRun;

/// A trial's outcome over its seeds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score {
    /// Mean final validation error (classification error on images, `E` on the teacher task)
    /// over the trial seeds; a seed that diverged counts with its untrained network's error
    /// (diverging is no better than not training), and infinity when it has none.
    pub validation: f64,
    /// Whether any seed diverged or could not train: such a trial is never selected.
    pub failed: bool,
}

/// One run's score: its final validation error, or, failed, its error before training.
fn run_score(run: &StoredRun) -> (f64, bool) {
    let records = &run.result.records;
    if run.failed() {
        let untrained = records
            .first()
            .map(headline)
            .filter(|e| e.is_finite())
            .unwrap_or(f64::INFINITY);
        return (untrained, true);
    }
    (records.last().map_or(f64::INFINITY, headline), false)
}

/// Every trial's score, as `scores[task][optimizer][trial]`, from `results` (one per run of
/// `runs`, in the same order).
pub fn scores(tune: &Tune, runs: &[TrialRun], results: &[&StoredRun]) -> Vec<Vec<Vec<Score>>> {
    let empty = Score {
        validation: 0.0,
        failed: false,
    };
    let mut out = vec![vec![vec![empty; tune.trials]; tune.spaces.len()]; tune.tasks.len()];
    let n = tune.trial_seeds.len() as f64;
    for (run, result) in runs.iter().zip(results) {
        let (error, failed) = run_score(result);
        let s = &mut out[run.task][run.optimizer][run.index];
        s.validation += error / n;
        s.failed |= failed;
    }
    out
}

/// The trial a budget-`k` study selects: the lowest validation score among the first `k`
/// trials that did not fail (the earliest on a tie); `None` when every one failed.
pub fn select(scores: &[Score], k: usize) -> Option<usize> {
    scores
        .iter()
        .take(k)
        .enumerate()
        .filter(|(_, s)| !s.failed && s.validation.is_finite())
        .min_by(|(i, a), (j, b)| a.validation.total_cmp(&b.validation).then(i.cmp(j)))
        .map(|(i, _)| i)
}

/// The selection of every task, optimizer and reported budget.
pub fn select_all(tune: &Tune, scores: &[Vec<Vec<Score>>]) -> Selected {
    scores
        .iter()
        .map(|per_task| {
            per_task
                .iter()
                .map(|s| tune.budgets.iter().map(|&k| select(s, k)).collect())
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: f64) -> Score {
        Score {
            validation: v,
            failed: false,
        }
    }

    #[test]
    fn a_budget_selects_among_its_first_trials_only_and_never_a_failed_one() {
        let mut scores = vec![s(0.5), s(0.3), s(0.4), s(0.1), s(0.3)];
        assert_eq!(select(&scores, 1), Some(0));
        assert_eq!(select(&scores, 3), Some(1));
        assert_eq!(select(&scores, 5), Some(3));
        scores[3].failed = true;
        assert_eq!(select(&scores, 5), Some(1), "the earliest of a tie");
        let all_failed = [Score {
            validation: 0.0,
            failed: true,
        }];
        assert_eq!(select(&all_failed, 1), None);
    }

    #[test]
    fn nested_budgets_select_what_a_smaller_study_would() {
        // A budget-k study is the first k trials: selecting at budget k of K equals selecting
        // in the study that only has those k, for every k.
        let scores: Vec<Score> = (0..32)
            .map(|i| s(((i * 7919) % 101) as f64 / 101.0))
            .collect();
        for k in 1..=32 {
            assert_eq!(select(&scores, k), select(&scores[..k], k));
        }
    }
}
