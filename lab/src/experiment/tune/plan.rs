//! The runs of a study: first every trial (on the validation split), then, once the trials have
//! chosen, the final reruns of each selected setting on fresh seeds (on the test split). The
//! lists are the same in every process, so shards can index them.

use super::space::{Param, unit_point};
use super::spec::Tune;
use crate::run::{HeldOut, RunSpec};
use std::collections::HashMap;

/// One trial run: trial `index` of optimizer `optimizer` (its index in the spec's spaces) on
/// task `task`, trained on `seed`.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialRun {
    /// Index into [`Tune::tasks`].
    pub task: usize,
    /// Index into [`Tune::spaces`].
    pub optimizer: usize,
    /// The trial, `0..K`.
    pub index: usize,
    /// The run seed.
    pub seed: u64,
    /// The trial's parameter values.
    pub values: Vec<(Param, f64)>,
    /// Its run, measured on validation.
    pub spec: RunSpec,
}

/// Every trial run: task by task, optimizer by optimizer, trial by trial, seeds inside.
pub fn trials(tune: &Tune) -> Vec<TrialRun> {
    let mut runs = Vec::new();
    for (t, task) in tune.tasks.iter().enumerate() {
        for (o, space) in tune.spaces.iter().enumerate() {
            for index in 0..tune.trials {
                let values = space.values(&unit_point(index, tune.sobol_seed));
                for &seed in &tune.trial_seeds {
                    let spec = tune.spec(task, space, &values, seed, HeldOut::Validation);
                    runs.push(TrialRun {
                        task: t,
                        optimizer: o,
                        index,
                        seed,
                        values: values.clone(),
                        spec,
                    });
                }
            }
        }
    }
    runs
}

/// What the trials chose: for task `t`, optimizer `o` and the `b`-th budget, the selected trial
/// (`None` when no trial within the budget trained).
pub type Selected = Vec<Vec<Vec<Option<usize>>>>;

/// One final rerun: the setting selected for `(task, optimizer, budget)` on a fresh seed.
#[derive(Clone, Debug, PartialEq)]
pub struct FinalRun {
    /// Index into [`Tune::tasks`].
    pub task: usize,
    /// Index into [`Tune::spaces`].
    pub optimizer: usize,
    /// Index into [`Tune::budgets`].
    pub budget: usize,
    /// The selected trial.
    pub trial: usize,
    /// The fresh seed.
    pub seed: u64,
    /// Index into the run list of [`finals`] (settings chosen at several budgets are one run).
    pub run: usize,
}

/// The final reruns of `selected` and their distinct runs: task, optimizer, budget, seeds
/// inside; a trial selected at several budgets is trained once per seed.
pub fn finals(tune: &Tune, selected: &Selected) -> (Vec<FinalRun>, Vec<RunSpec>) {
    let mut finals = Vec::new();
    let mut specs: Vec<RunSpec> = Vec::new();
    let mut index: HashMap<(usize, usize, usize, u64), usize> = HashMap::new();
    for (t, task) in tune.tasks.iter().enumerate() {
        for (o, space) in tune.spaces.iter().enumerate() {
            for (b, choice) in selected[t][o].iter().enumerate() {
                let Some(trial) = *choice else { continue };
                let values = space.values(&unit_point(trial, tune.sobol_seed));
                for &seed in &tune.final_seeds {
                    let run = *index.entry((t, o, trial, seed)).or_insert_with(|| {
                        specs.push(tune.spec(task, space, &values, seed, HeldOut::Test));
                        specs.len() - 1
                    });
                    finals.push(FinalRun {
                        task: t,
                        optimizer: o,
                        budget: b,
                        trial,
                        seed,
                        run,
                    });
                }
            }
        }
    }
    (finals, specs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trials_are_on_validation_and_finals_on_fresh_seeds_and_test() {
        let tune = Tune::parse(
            "trials = 4\nbudgets = [2, 4]\ntrial_seeds = 2\nfinal_seeds = 3\noptimizers = [\"sgd\", \"adam\"]\n\
             [[task]]\ndataset = \"teacher\"\ntrain_size = 200\narch = \"6-5-3\"\n",
        )
        .unwrap();
        let runs = trials(&tune);
        assert_eq!(runs.len(), 2 * 4 * 2);
        assert!(runs.iter().all(|r| r.spec.held_out == HeldOut::Validation));
        // The same point for every optimizer: the learning rate's quantile in its range.
        let sgd = &runs[2 * 2].values[0].1; // trial 2 of sgd
        let adam = &runs[8 + 2 * 2].values[0].1; // trial 2 of adam
        assert!(((sgd / 0.8).log10() - (adam / 0.01).log10()).abs() < 1e-12);
        let selected: Selected = vec![vec![vec![Some(1), Some(1)], vec![Some(0), Some(3)]]];
        let (finals, specs) = finals(&tune, &selected);
        assert_eq!(finals.len(), 2 * 2 * 3);
        // sgd's trial 1 is chosen at both budgets: one run per seed.
        assert_eq!(specs.len(), 3 + 2 * 3);
        assert!(specs.iter().all(|s| s.held_out == HeldOut::Test));
        assert!(specs.iter().all(|s| !tune.trial_seeds.contains(&s.seed)));
        assert_eq!(specs[finals[0].run].hyper, runs[2].spec.hyper);
    }
}
