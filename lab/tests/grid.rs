//! The grid runner: `workers` bounds the runs trained at once (`--jobs 1` trains one at a time),
//! results do not depend on it, and a checkpoint that does not belong to the settings is refused.

use rbp_core::checkpoint::{Checkpoint, Progress, SavedRun};
use rbp_core::data::teacher;
use rbp_core::init::Init;
use rbp_core::optim::{Hyper, OptimizerKind};
use rbp_core::train::{OrderState, Recording, RunState, Schedule};
use rbp_lab::experiment::grid::run_label;
use rbp_lab::experiment::{Checkpointing, GridError, RunObserver, RunResult, Settings, run_grid};
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

/// Counts runs in flight and remembers the most seen at once.
#[derive(Default)]
struct Concurrency {
    active: AtomicUsize,
    most: AtomicUsize,
    epochs: AtomicUsize,
}

impl RunObserver for Concurrency {
    fn run_started(&self) {
        let now = self.active.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        // Give another worker time to start a run too, if it is allowed to.
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    fn epoch_done(&self) {
        self.epochs.fetch_add(1, Ordering::SeqCst);
    }
    fn run_finished(&self) {
        self.active.fetch_sub(1, Ordering::SeqCst);
    }
}

fn run(s: &Settings, observer: &dyn RunObserver) -> Vec<RunResult> {
    run_grid(
        s,
        |seed| teacher::teacher_student(12, 4, 40, seed),
        observer,
        None,
    )
    .unwrap()
}

#[test]
fn workers_bound_the_runs_in_flight_and_never_change_a_number() {
    let one = Concurrency::default();
    let serial = run(&settings(1), &one);
    assert_eq!(
        one.most.load(Ordering::SeqCst),
        1,
        "--jobs 1 ran runs at once"
    );
    assert_eq!(one.epochs.load(Ordering::SeqCst), 9 * 4);

    let two = Concurrency::default();
    let parallel = run(&settings(2), &two);
    let most = two.most.load(Ordering::SeqCst);
    assert!(most <= 2, "{most} runs at once with 2 workers");

    assert_eq!(serial.len(), 9);
    for (a, b) in serial.iter().zip(&parallel) {
        assert_eq!((a.seed, a.optimizer), (b.seed, b.optimizer));
        assert_eq!(a.records, b.records, "{} seed {}", a.optimizer, a.seed);
    }
    // Ordered by seed, then optimizer.
    let order: Vec<_> = serial.iter().map(|r| (r.seed, r.optimizer)).collect();
    assert_eq!(order[0], (1, OptimizerKind::Sgd));
    assert_eq!(order[8], (3, OptimizerKind::Adam));
}

#[test]
fn a_checkpoint_of_another_network_is_refused() {
    let s = settings(1);
    let dir = tempfile::tempdir().unwrap();
    // A saved run of a 12-8-4 network, where the settings say 12-16-4.
    let state = RunState {
        schedule: Schedule {
            batch: 10,
            epochs: 4,
            record: Recording::EveryEpoch,
        },
        params: vec![0.0; 12 * 8 + 8 * 4],
        optimizer: rbp_core::optim::OptimizerState {
            kind: OptimizerKind::Sgd,
            clock: rbp_core::optim::Clock { t: 4, epoch: 1 },
            coin_seed: 0,
            buffers: vec![],
        },
        order: OrderState {
            seed: [0; 32],
            stream: 0,
            word_pos: 0,
        },
        rows: (0..40).collect(),
        records: vec![],
    };
    let saved = Checkpoint {
        settings: "the settings".into(),
        runs: vec![SavedRun {
            label: run_label(OptimizerKind::Sgd, 1),
            progress: Progress::InProgress {
                arch: "12-8-4".parse().unwrap(),
                state: Box::new(state),
            },
        }],
    };
    let path = dir.path().join("checkpoint.rbpck");
    let checkpointing = Checkpointing {
        path: path.clone(),
        every: 1,
        settings: "the settings".into(),
        resume_from: Some(saved),
    };
    let err = run_grid(
        &s,
        |seed| teacher::teacher_student(12, 4, 40, seed),
        &rbp_lab::experiment::grid::Silent,
        Some(&checkpointing),
    )
    .unwrap_err();
    assert!(matches!(err, GridError::Mismatch { .. }), "{err}");
    assert!(err.to_string().contains("12-8-4"), "{err}");
}
