//! `TUNING.md`: the protocol first, then each task's answer, expected best validation error
//! against budget, win probabilities, selections, final test table and comparisons; with the
//! CSVs and plots of [`super::files`], written by [`write()`].

use super::compare::{self, Comparison};
use super::plan::{FinalRun, Selected, TrialRun};
use super::selection::Score;
use super::space::{Dim, LR_DECADES};
use super::spec::{Tune, TuneTask};
use super::statistics::{BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED};
use super::statistics::{expected_best, report_band, report_win_probability};
use super::{REPORT, TuneError, files};
use crate::report::files::OutDir;
use crate::report::format::{Interval, Num, ci95, interval, p_value};
use crate::run::StoredRun;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Everything the report reads: the spec, the trials and their scores, the selections and the
/// final reruns' results (one per distinct run).
pub struct Study<'a> {
    pub tune: &'a Tune,
    pub trials: &'a [TrialRun],
    pub scores: &'a [Vec<Vec<Score>>],
    pub selected: &'a Selected,
    pub finals: &'a [FinalRun],
    pub final_results: &'a [&'a StoredRun],
}

/// What [`write()`] wrote.
#[derive(Clone, Debug)]
pub struct Written {
    /// `TUNING.md`'s text.
    pub markdown: String,
    /// Each task's answer paragraph, in task order.
    pub answers: Vec<String>,
    /// The files, `TUNING.md` last.
    pub files: Vec<PathBuf>,
}

/// Writes the CSVs, the plots and, last, `TUNING.md`.
pub fn write(study: &Study<'_>, out: &OutDir) -> Result<Written, TuneError> {
    let tune = study.tune;
    let errors = compare::final_errors(tune, study.finals, study.final_results);
    let comparisons = compare::compare(tune, &errors);
    let mut files = files::write_csvs(study, out)?;
    let mut md = protocol(tune, comparisons.len());
    let mut answers = Vec::new();
    for (t, task) in tune.tasks.iter().enumerate() {
        let mine: Vec<&Comparison> = comparisons.iter().filter(|c| c.task == t).collect();
        let answer = answer(tune, task, &errors[t], &mine);
        let _ = writeln!(md, "\n## {}\n\n**Answer.** {answer}\n", task_title(task));
        md += &expected_best_section(study, t);
        md += &win_section(study, t);
        md += &selected_section(study, t);
        md += &finals_section(tune, t, &errors[t]);
        md += &comparisons_section(tune, &mine);
        files.extend(files::plots(study, t, out)?);
        let _ = writeln!(
            md,
            "\nLearning-rate sensitivity (every trial a dot, validation error against the \
             initial learning rate): `{0}.png`, `{0}.svg`.",
            stem("lr_sensitivity", task)
        );
        answers.push(answer);
    }
    files.push(out.write(REPORT, md.as_bytes())?);
    Ok(Written {
        markdown: md,
        answers,
        files,
    })
}

fn task_title(task: &TuneTask) -> String {
    format!(
        "{} (M = {}, {})",
        task.dataset.name(),
        task.train_size,
        task.arch
    )
}

pub(super) fn stem(what: &str, task: &TuneTask) -> String {
    format!("{what}_{}", task.name())
}

pub(super) fn error_name(task: &TuneTask) -> &'static str {
    if task.classifies() {
        "classification error"
    } else {
        "error E"
    }
}

fn num(task: &TuneTask) -> Num {
    if task.classifies() {
        Num::Percent(2)
    } else {
        Num::Sci(3)
    }
}

fn protocol(tune: &Tune, comparisons: usize) -> String {
    let mut md = String::from(
        "# Optimizers at equal tuning budgets\n\nThis project's question, not the paper's: \
         once every optimizer gets the same tuning budget, selected on validation and measured \
         on fresh seeds, does R-BackProp beat BackProp and Adam?\n\n## Protocol\n\n",
    );
    let tasks: Vec<String> = tune.tasks.iter().map(task_title).collect();
    let _ = writeln!(md, "- **Tasks**: {}.", tasks.join("; "));
    let _ = writeln!(
        md,
        "- **Runs**: {} epochs, mini-batches of {}, LeCun initialization, the learning rate \
         decaying per update (`eta = max(eta0 0.999^t, floor)`); only the final epoch is \
         measured.",
        tune.epochs, tune.batch
    );
    let _ = writeln!(
        md,
        "- **Search**: {} trials per optimizer and task, points 0..{} of one Owen-scrambled Sobol \
         sequence (`sobol_burley`, seed {}), the same points for every optimizer and task (the \
         learning rate on dimension 0). Budgets are nested: the first k trials are the budget-k \
         study. Reported budgets: {}.",
        tune.trials,
        tune.trials,
        tune.sobol_seed,
        join(&tune.budgets)
    );
    md += &spaces_table(tune);
    let _ = writeln!(
        md,
        "\nEvery learning rate is searched over {LR_DECADES} decades (the shipped ranges are \
         centred on the paper's rate: 0.8 for the BackProp family, 0.01 for Adam). The \
         schedule's decay (0.999 per update) and floor (the paper's ratio to the start: 1/40 \
         for the BackProp family, 1/10 for Adam) are held fixed, not searched.\n"
    );
    let _ = writeln!(
        md,
        "- **Splits**: trials are measured on a validation split disjoint from training and \
         test (teacher task: further examples of the same teacher; images: held out from the \
         training pool); the test split is read only by the final reruns.\n\
         - **Selection**: a trial's score is its final validation error (classification error \
         on images, E on the teacher task) averaged over trial seeds \
         {}; a budget-k study selects the lowest score among the first k trials (the earliest \
         on a tie). A trial that diverged is never selected and scores as its untrained network.\n\
         - **Final reruns**: each selected setting retrained on seeds {}..={} ({} seeds, none a \
         trial's), measured on test; seeds pair the optimizers (same data, initial weights and \
         batch order).",
        join(&tune.trial_seeds),
        tune.final_seeds[0],
        tune.final_seeds[tune.final_seeds.len() - 1],
        tune.final_seeds.len()
    );
    let _ = writeln!(
        md,
        "- **Statistics**: expected best validation error after k trials in closed form over \
         the K trials (Sivaprasad et al. 2020), with the 5-95% band of a bootstrap of budget-k \
         studies ({BOOTSTRAP_RESAMPLES} resamples, seed {BOOTSTRAP_SEED}); win probability: \
         how often one optimizer's best of k resampled trials is below another's. Final test \
         errors: mean ± sample std, Student-t 95% CI, n; R-BackProp against each baseline by \
         the paired t test on the per-seed differences (95% CI of the mean difference), \
         Holm-adjusted across all {comparisons} comparisons of the study, with the effect size \
         d_z = mean / std of the differences. A reading *beats* (*loses to*) a baseline when \
         the adjusted p < 0.05 and the CI is below (above) zero.",
    );
    md
}

fn join<T: std::fmt::Display>(xs: &[T]) -> String {
    xs.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn spaces_table(tune: &Tune) -> String {
    let mut md = String::from(
        "\n| optimizer | parameter | searched (log-uniform) or held |\n|---|---|---|\n",
    );
    for space in &tune.spaces {
        for &(p, dim) in &space.dims {
            let how = match dim {
                Dim::Searched(r) => format!("[{}, {}]", r.lo, r.hi),
                Dim::Fixed(v) => format!("held at {v}"),
            };
            let _ = writeln!(md, "| {} | {} | {how} |", space.tuned.name(), p.key());
        }
    }
    md
}

fn expected_best_section(study: &Study<'_>, t: usize) -> String {
    let tune = study.tune;
    let task = &tune.tasks[t];
    let n = num(task);
    let mut md = format!(
        "### Expected best validation {} against budget\n\n| optimizer |",
        error_name(task)
    );
    for k in &tune.budgets {
        let _ = write!(md, " k = {k} |");
    }
    md += "\n|---|";
    md += &"---|".repeat(tune.budgets.len());
    for (o, space) in tune.spaces.iter().enumerate() {
        let values = validation(&study.scores[t][o]);
        let _ = write!(md, "\n| {} |", space.tuned.name());
        for &k in &tune.budgets {
            let band = report_band(&values, k);
            let _ = write!(
                md,
                " {} [{}, {}] |",
                n.show(expected_best(&values, k)),
                n.show(band.lo),
                n.show(band.hi)
            );
        }
    }
    let _ = writeln!(
        md,
        "\n\nIn brackets: 5-95% of the best of k trials over bootstrap studies. Plot: `{0}.png`, \
         `{0}.svg`.\n",
        stem("expected_best", task)
    );
    md
}

pub(super) fn validation(scores: &[Score]) -> Vec<f64> {
    scores.iter().map(|s| s.validation).collect()
}

fn win_section(study: &Study<'_>, t: usize) -> String {
    let tune = study.tune;
    let mut md = String::from(
        "### Win probabilities (best of k trials on validation)\n\n| R-BackProp | against |",
    );
    for k in &tune.budgets {
        let _ = write!(md, " k = {k} |");
    }
    md += "\n|---|---|";
    md += &"---|".repeat(tune.budgets.len());
    for (a, sa) in tune.spaces.iter().enumerate() {
        if !sa.tuned.is_rbp() {
            continue;
        }
        for (b, sb) in tune.spaces.iter().enumerate() {
            if a == b || sb.tuned.is_rbp() {
                continue;
            }
            let (va, vb) = (
                validation(&study.scores[t][a]),
                validation(&study.scores[t][b]),
            );
            let _ = write!(md, "\n| {} | {} |", sa.tuned.name(), sb.tuned.name());
            for &k in &tune.budgets {
                let p = report_win_probability(&va, &vb, k);
                let _ = write!(md, " {} |", Num::Fixed(2).show(p));
            }
        }
    }
    md + "\n\n"
}

fn selected_section(study: &Study<'_>, t: usize) -> String {
    let tune = study.tune;
    let n = num(&tune.tasks[t]);
    let mut md = String::from(
        "### Selected settings\n\n| optimizer | budget | trial | setting | validation |\n\
         |---|---|---|---|---|\n",
    );
    for (o, space) in tune.spaces.iter().enumerate() {
        for (b, &k) in tune.budgets.iter().enumerate() {
            let Some(trial) = study.selected[t][o][b] else {
                let _ = writeln!(
                    md,
                    "| {} | {k} | – | every trial failed | – |",
                    space.tuned.name()
                );
                continue;
            };
            let run = study
                .trials
                .iter()
                .find(|r| r.task == t && r.optimizer == o && r.index == trial)
                .expect("a selected trial is planned");
            let setting: Vec<String> = run
                .values
                .iter()
                .map(|(p, v)| format!("{} = {}", p.key(), Num::Sci(2).show(*v)))
                .collect();
            let _ = writeln!(
                md,
                "| {} | {k} | {trial} | {} | {} |",
                space.tuned.name(),
                setting.join(", "),
                n.show(study.scores[t][o][trial].validation)
            );
        }
    }
    md + "\n"
}

fn finals_section(tune: &Tune, t: usize, errors: &[Vec<Vec<f64>>]) -> String {
    let task = &tune.tasks[t];
    let n = num(task);
    let mut md = format!(
        "### Final test {} on fresh seeds\n\n| optimizer | budget | mean ± std | 95% CI | n | \
         diverged |\n|---|---|---|---|---|---|\n",
        error_name(task)
    );
    for (o, space) in tune.spaces.iter().enumerate() {
        for (b, &k) in tune.budgets.iter().enumerate() {
            let (s, diverged) = compare::summary_of(&errors[o][b]);
            if errors[o][b].is_empty() {
                continue;
            }
            let _ = writeln!(
                md,
                "| {} | {k} | {} ± {} | {} | {} | {diverged} |",
                space.tuned.name(),
                n.show(s.mean),
                n.show(s.std),
                interval(s.ci95, n, Interval::To),
                s.n
            );
        }
    }
    md + "\n"
}

fn comparisons_section(tune: &Tune, comparisons: &[&Comparison]) -> String {
    let mut md = String::from(
        "### R-BackProp against the baselines (test, paired by seed)\n\n| budget | R-BackProp | \
         baseline | mean difference | 95% CI | p (t) | p (Holm) | d_z | wins/n | verdict |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    let n = Num::SignedSci(2);
    for c in comparisons {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {}/{} | {} |",
            tune.budgets[c.budget],
            tune.spaces[c.rbp].tuned.name(),
            tune.spaces[c.baseline].tuned.name(),
            n.show(c.paired.mean_diff),
            interval(c.paired.ci95_diff, n, Interval::To),
            p_value(c.paired.p_t),
            p_value(c.p_holm),
            Num::SignedFixed(2).show(c.d_z),
            c.paired.wins,
            c.paired.n,
            c.verdict()
        );
    }
    if comparisons.is_empty() {
        md += "| – | – | – | no comparison: an optimizer was not selected or a seed diverged | | | | | | |\n";
    }
    md
}

/// The task's answer in one paragraph: at the largest budget, each R-BackProp reading against
/// each baseline with the means, the difference and its CI and the adjusted p-value; at the
/// smaller budgets, the verdicts alone.
fn answer(
    tune: &Tune,
    task: &TuneTask,
    errors: &[Vec<Vec<f64>>],
    comparisons: &[&Comparison],
) -> String {
    let n = num(task);
    let last = tune.budgets.len() - 1;
    let at_last: Vec<String> = comparisons
        .iter()
        .filter(|c| c.budget == last)
        .map(|c| {
            let mean = |o: usize| compare::summary_of(&errors[o][last]).0.mean;
            format!(
                "{} {} {} ({} vs {}; difference {}, {}; Holm p = {})",
                tune.spaces[c.rbp].tuned.long_name(),
                c.verdict(),
                tune.spaces[c.baseline].tuned.long_name(),
                n.show(mean(c.rbp)),
                n.show(mean(c.baseline)),
                n.show(c.paired.mean_diff),
                ci95(c.paired.ci95_diff, n),
                p_value(c.p_holm)
            )
        })
        .collect();
    if at_last.is_empty() {
        return format!(
            "On {}, no comparison could be made at a budget of {} (an optimizer had no usable \
             trial or a final seed diverged); see the tables below.",
            task.name(),
            tune.budgets[last]
        );
    }
    let mut text = format!(
        "On {}, with {} trials each, tuned on validation and measured on test ({}, mean over {} \
         fresh seeds): {}.",
        task.name(),
        tune.budgets[last],
        error_name(task),
        tune.final_seeds.len(),
        at_last.join("; ")
    );
    let smaller: Vec<String> = (0..last)
        .filter_map(|b| {
            let verdicts: Vec<String> = comparisons
                .iter()
                .filter(|c| c.budget == b)
                .map(|c| {
                    format!(
                        "{} {} {}",
                        tune.spaces[c.rbp].tuned.name(),
                        c.verdict(),
                        tune.spaces[c.baseline].tuned.name()
                    )
                })
                .collect();
            (!verdicts.is_empty())
                .then(|| format!("with {}: {}", tune.budgets[b], verdicts.join(", ")))
        })
        .collect();
    if !smaller.is_empty() {
        text += &format!(" At smaller budgets, {}.", smaller.join("; "));
    }
    text
}
