//! The runner: `workers` bounds the runs trained at once (`--jobs 1` trains one at a time),
//! results do not depend on it, and a run continued from a saved state (or read back from the
//! store) has exactly the numbers of an uninterrupted one.

use rbp_core::data::teacher;
use rbp_core::init::Init;
use rbp_core::net::Layout;
use rbp_core::optim::{Hyper, OptimizerKind};
use rbp_core::oracle::Precision;
use rbp_lab::experiment::{Settings, grid};
use rbp_lab::run::{
    self, HeldOut, Hooks, Mode, Observer, RunData, RunSpec, RunStore, Silent, Task,
};
use std::sync::atomic::{AtomicUsize, Ordering};

fn settings(workers: usize) -> Settings {
    Settings {
        arch: "12-16-4".parse().unwrap(),
        batch: 10,
        epochs: 4,
        init: Init::Lecun,
        hyper: Hyper::default(),
        optimizers: OptimizerKind::PAPER.to_vec(),
        seeds: vec![1, 2, 3],
        workers,
        blas_threads: 1,
    }
}

fn specs(workers: usize) -> Vec<RunSpec> {
    grid::plan(
        &settings(workers),
        &Task::Teacher { train_size: 40 },
        Precision::F32,
    )
}

/// Counts runs in flight and remembers the most seen at once.
#[derive(Default)]
struct Concurrency {
    active: AtomicUsize,
    most: AtomicUsize,
    epochs: AtomicUsize,
    /// Epochs trained here, one call each (not those found done in a saved state).
    trained: AtomicUsize,
}

impl Observer for Concurrency {
    fn run_started(&self, _i: usize) {
        let now = self.active.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        // Give another worker time to start a run too, if it is allowed to.
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    fn epochs_done(&self, n: u64) {
        self.epochs.fetch_add(n as usize, Ordering::SeqCst);
        if n == 1 {
            self.trained.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn run_done(&self, _i: usize, _run: &run::StoredRun, trained: bool) {
        if trained {
            self.active.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

fn execute(
    specs: &[RunSpec],
    store: Option<&RunStore>,
    workers: usize,
    hooks: Hooks<'_>,
) -> run::Executed {
    run::execute(
        specs,
        store,
        Mode::Train(None),
        workers,
        &RunData::default(),
        hooks,
    )
    .unwrap()
}

#[test]
fn workers_bound_the_runs_in_flight_and_never_change_a_number() {
    let one = Concurrency::default();
    let serial = execute(&specs(1), None, 1, Hooks::observed(&one));
    assert_eq!(
        one.most.load(Ordering::SeqCst),
        1,
        "--jobs 1 ran runs at once"
    );
    assert_eq!(one.epochs.load(Ordering::SeqCst), 9 * 4);

    let two = Concurrency::default();
    let parallel = execute(&specs(2), None, 2, Hooks::observed(&two));
    let most = two.most.load(Ordering::SeqCst);
    assert!(most <= 2, "{most} runs at once with 2 workers");

    assert_eq!(serial.runs.len(), 9);
    for (a, b) in serial.runs.iter().zip(&parallel.runs) {
        let (a, b) = (a.as_ref().unwrap(), b.as_ref().unwrap());
        assert_eq!(a.spec, b.spec);
        assert_eq!(a.result.records, b.result.records, "{}", a.spec.label());
    }
    // Ordered by seed, then optimizer.
    let order: Vec<_> = serial
        .runs
        .iter()
        .flatten()
        .map(|r| (r.spec.seed, r.spec.optimizer))
        .collect();
    assert_eq!(order[0], (1, OptimizerKind::Sgd));
    assert_eq!(order[8], (3, OptimizerKind::Adam));
}

/// `spec`'s run trained for `epochs` of its schedule, as the runner would start it, then saved.
fn save_partial(store: &RunStore, spec: &RunSpec, epochs: usize) {
    let layout = Layout::new(spec.arch.clone()).unwrap();
    let split = RunData::default().split(spec).unwrap();
    let mut run = run::runner::start(spec, &layout, &split).unwrap();
    for _ in 0..epochs {
        run.train_epoch();
    }
    store.save_state(spec, run.snapshot()).unwrap();
}

#[test]
fn a_saved_state_is_continued_to_the_numbers_of_an_uninterrupted_run() {
    let specs = specs(1);
    let fresh = execute(&specs, None, 1, Hooks::observed(&Silent));
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::open(dir.path()).unwrap();
    // Run 1 stopped after 2 epochs, run 4 after 3; run 7's state file is damaged.
    save_partial(&store, &specs[1], 2);
    save_partial(&store, &specs[4], 3);
    std::fs::write(store.state_path(&specs[7]), b"RBPCKPT\0 not a checkpoint").unwrap();
    let counted = Concurrency::default();
    let hooks = Hooks {
        save_every: Some(1),
        ..Hooks::observed(&counted)
    };
    let resumed = execute(&specs, Some(&store), 2, hooks);
    for (a, b) in fresh.runs.iter().zip(&resumed.runs) {
        let (a, b) = (a.as_ref().unwrap(), b.as_ref().unwrap());
        assert_eq!(a.result.records, b.result.records, "{}", a.spec.label());
    }
    // Every epoch is counted once; the 2 + 3 saved epochs are not trained again; no state file
    // is left behind.
    assert_eq!(counted.epochs.load(Ordering::SeqCst), 9 * 4);
    assert_eq!(counted.trained.load(Ordering::SeqCst), 9 * 4 - 5);
    for spec in &specs {
        assert!(!store.state_path(spec).exists(), "{}", spec.label());
    }
    // Run again: everything is read from the store, nothing is trained.
    let again = execute(&specs, Some(&store), 2, Hooks::observed(&Silent));
    assert_eq!((again.tally.trained, again.tally.present), (0, 9));
    for (a, b) in fresh.runs.iter().zip(&again.runs) {
        assert_eq!(
            a.as_ref().unwrap().result.records,
            b.as_ref().unwrap().result.records
        );
    }
}

#[test]
fn merging_reports_missing_runs_and_trains_nothing() {
    let specs = specs(1);
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::open(dir.path()).unwrap();
    let merged = run::execute(
        &specs[..3],
        Some(&store),
        Mode::Merge,
        1,
        &RunData::default(),
        Hooks::observed(&Silent),
    )
    .unwrap();
    assert_eq!(merged.tally.trained, 0);
    assert_eq!(merged.problems.len(), 3);
    assert!(
        merged.problems[0].starts_with("missing: sgd seed 1"),
        "{:?}",
        merged.problems
    );
    assert!(merged.runs.iter().all(Option::is_none));
}

#[test]
fn a_store_that_cannot_be_written_is_refused_before_any_run() {
    let dir = tempfile::tempdir().unwrap();
    // `runs` exists as a file: the store cannot be created there.
    std::fs::write(dir.path().join("runs"), b"").unwrap();
    let err = RunStore::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("runs"), "{err}");
    let _ = teacher::teacher_student(2, 2, 2, 0);
}

#[test]
fn a_run_scored_on_validation_trains_the_weights_of_its_test_twin() {
    let tested = specs(1);
    let validated: Vec<RunSpec> = tested
        .iter()
        .map(|s| RunSpec {
            held_out: HeldOut::Validation,
            ..s.clone()
        })
        .collect();
    let a = execute(&tested, None, 1, Hooks::observed(&Silent));
    let b = execute(&validated, None, 1, Hooks::observed(&Silent));
    for (a, b) in a.runs.iter().zip(&b.runs) {
        let (a, b) = (a.as_ref().unwrap(), b.as_ref().unwrap());
        assert_ne!(a.spec.id(), b.spec.id());
        for (x, y) in a.result.records.iter().zip(&b.result.records) {
            // Same examples, weights and batch order: the training error is the same number.
            assert_eq!(x.train_error, y.train_error, "{}", a.spec.label());
            assert_ne!(x.test_error, y.test_error, "{}", a.spec.label());
        }
    }
}
