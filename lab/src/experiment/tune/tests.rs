//! Whole small studies: resume, nested budgets, selection blind to test, shards and merge.

use super::*;
use crate::run::store::Loaded;
use crate::run::{HeldOut, Shard};

/// A study of tiny runs: 6-5-3 on 40 teacher examples, 4 trials, 3 optimizers.
fn spec(trials: usize, budgets: &str) -> Tune {
    Tune::parse(&format!(
        "trials = {trials}\nbudgets = {budgets}\nfinal_seeds = 3\nepochs = 3\nbatch = 10\n\
         optimizers = [\"sgd\", \"rbp\", \"adam\"]\n\
         [[task]]\ndataset = \"teacher\"\ntrain_size = 40\narch = \"6-5-3\"\n"
    ))
    .unwrap()
}

fn running(mode: Mode) -> Running {
    Running {
        mode,
        workers: 2,
        save_every: None,
    }
}

fn train(tune: &Tune, dir: &Path) -> TuneOutcome {
    run(
        tune,
        &OutDir::new(dir, true),
        running(Mode::Train(None)),
        false,
    )
    .unwrap()
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

/// The "Selected settings" section of a report.
fn selections(markdown: &str) -> String {
    markdown
        .split("### ")
        .filter(|s| s.starts_with("Selected settings"))
        .collect()
}

#[test]
fn a_study_writes_its_report_and_resumes_without_training() {
    let dir = tempfile::tempdir().unwrap();
    let tune = spec(4, "[2, 4]");
    let first = run(
        &tune,
        &OutDir::new(dir.path(), false),
        running(Mode::Train(None)),
        false,
    )
    .unwrap();
    // 3 x 4 trials, and at most 3 x 2 x 3 final reruns.
    assert!(first.tally.trained > 12 && first.tally.trained <= 12 + 18);
    let report = first.report.unwrap();
    assert!(
        report
            .markdown
            .starts_with("# Optimizers at equal tuning budgets")
    );
    assert!(report.markdown.contains("## Protocol"));
    assert_eq!(report.answers.len(), 1);
    assert_eq!(read(dir.path(), "trials.csv").lines().count(), 1 + 12);
    for f in ["expected_best_teacher-M40", "lr_sensitivity_teacher-M40"] {
        assert!(dir.path().join(format!("{f}.png")).exists());
        assert!(dir.path().join(format!("{f}.svg")).exists());
    }
    // A complete study is refused without --overwrite, and resumed with it without training.
    let refused = run(
        &tune,
        &OutDir::new(dir.path(), false),
        running(Mode::Train(None)),
        false,
    );
    assert!(
        matches!(&refused, Err(TuneError::Stored(StoredError::Output(_)))),
        "{:?}",
        refused.err()
    );
    let again = train(&tune, dir.path());
    assert_eq!(again.tally.trained, 0);
    assert_eq!(again.report.unwrap().markdown, report.markdown);
}

#[test]
fn the_first_k_trials_are_the_budget_k_study() {
    let dir = tempfile::tempdir().unwrap();
    let big = train(&spec(4, "[2, 4]"), dir.path());
    let big_trials = read(dir.path(), "trials.csv");
    // The 2-trial study is the first two trials of the 4-trial one: nothing new to train for
    // its trials, and it selects what the larger study selected at budget 2.
    let small = train(&spec(2, "[2]"), dir.path());
    assert_eq!(small.tally.trained, 0);
    let small_trials = read(dir.path(), "trials.csv");
    for line in small_trials.lines().skip(1) {
        assert!(big_trials.contains(line), "{line}");
    }
    let big_md = big.report.unwrap().markdown;
    let small_md = small.report.unwrap().markdown;
    let at = |md: &str, k: &str| -> Vec<String> {
        selections(md)
            .lines()
            .filter(|l| l.split('|').nth(2).is_some_and(|b| b.trim() == k))
            .map(String::from)
            .collect()
    };
    assert_eq!(at(&big_md, "2"), at(&small_md, "2"));
    assert_eq!(at(&small_md, "2").len(), 3);
}

#[test]
fn selection_is_blind_to_the_test_split() {
    let dir = tempfile::tempdir().unwrap();
    let tune = spec(4, "[2, 4]");
    let before = train(&tune, dir.path()).report.unwrap().markdown;
    // Trials never measure the test split...
    assert!(
        plan::trials(&tune)
            .iter()
            .all(|t| t.spec.held_out == HeldOut::Validation)
    );
    // ... and whatever the test split says, the same trials are selected: corrupt every final
    // rerun's test errors in the store and build the report again from the files.
    let store = RunStore::open(dir.path()).unwrap();
    let mut corrupted = 0;
    for entry in std::fs::read_dir(dir.path().join("runs")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let settings: serde_json::Value = serde_json::from_str(&text).unwrap();
        let spec: RunSpec = serde_json::from_value(settings["settings"].clone()).unwrap();
        if spec.held_out != HeldOut::Test {
            continue;
        }
        let Loaded::Present(mut run) = store.load(&spec) else {
            panic!("a final rerun's file reads")
        };
        for r in &mut run.result.records {
            r.test_error = 1.0 + (corrupted % 7) as f64;
        }
        store.save(&run).unwrap();
        corrupted += 1;
    }
    assert!(corrupted > 0);
    let after = run(
        &tune,
        &OutDir::new(dir.path(), true),
        running(Mode::Merge),
        false,
    )
    .unwrap()
    .report
    .unwrap()
    .markdown;
    assert_ne!(before, after, "the corruption reaches the final table");
    assert_eq!(selections(&before), selections(&after));
}

#[test]
fn shards_then_merge_equal_one_process() {
    let one = tempfile::tempdir().unwrap();
    let tune = spec(4, "[2, 4]");
    let whole = train(&tune, one.path()).report.unwrap().markdown;
    let shared = tempfile::tempdir().unwrap();
    let shard = |i| {
        let mode = Mode::Train(Some(Shard { index: i, count: 2 }));
        run(
            &tune,
            &OutDir::new(shared.path(), false),
            running(mode),
            false,
        )
        .unwrap()
    };
    // Shard 0 first: shard 1's trials are missing, so it stops after its trials.
    let first = shard(0);
    assert!(first.shard_note.unwrap().contains("trials of other shards"));
    // Shard 1 finds every trial and trains its share of the final reruns too.
    let second = shard(1);
    assert!(second.shard_note.is_none() && second.report.is_none());
    // Shard 0's share of the final reruns is missing: merge refuses and names them.
    let early = run(
        &tune,
        &OutDir::new(shared.path(), false),
        running(Mode::Merge),
        false,
    );
    assert!(matches!(early, Err(TuneError::Incomplete(m)) if m.contains("final reruns")));
    assert!(shard(0).shard_note.is_none());
    let merged = run(
        &tune,
        &OutDir::new(shared.path(), false),
        running(Mode::Merge),
        false,
    )
    .unwrap();
    assert_eq!(merged.tally.trained, 0);
    assert_eq!(merged.report.unwrap().markdown, whole);
    assert_eq!(
        read(shared.path(), "trials.csv"),
        read(one.path(), "trials.csv")
    );
    assert_eq!(
        read(shared.path(), "finals.csv"),
        read(one.path(), "finals.csv")
    );
}
