//! A run stopped between any two epochs, saved through the checkpoint format and continued, gives
//! exactly the records and final weights of the uninterrupted run: every optimizer, every reading
//! of the paper, both recording modes.

use rbp_core::checkpoint::{self, Checkpoint, Progress, SavedRun};
use rbp_core::data::{TrainTest, teacher};
use rbp_core::init::{self, Init};
use rbp_core::net::{Arch, Layout};
use rbp_core::optim::{Hyper, LrClock, Optimizer, OptimizerKind, Reinforce};
use rbp_core::seed::{self, Stream};
use rbp_core::train::{EpochRecord, Recording, Run, Schedule};

const EPOCHS: usize = 6;
const SEED: u64 = 4;

struct Case {
    kind: OptimizerKind,
    hyper: Hyper,
    init: Init,
    record: Recording,
}

fn setup() -> (Layout, TrainTest) {
    let arch: Arch = "9-11-6-3".parse().unwrap();
    let layout = Layout::new(arch.clone()).unwrap();
    // 37 examples with batch 8: the last batch of each epoch is short.
    let split = teacher::teacher_student(9, 3, 37, SEED).unwrap();
    (layout, split)
}

fn start<'a>(layout: &Layout, split: &'a TrainTest, case: &Case) -> Run<'a> {
    let params = init::initial_params(layout, case.init, SEED).unwrap();
    let coin = seed::stream_seed(SEED, Stream::Coin);
    let opt = Optimizer::new(case.kind, &case.hyper, layout.param_count(), coin).unwrap();
    let schedule = Schedule {
        batch: 8,
        epochs: EPOCHS,
        record: case.record,
    };
    Run::start(
        layout,
        params,
        split,
        opt,
        schedule,
        seed::rng(SEED, Stream::Order),
    )
    .unwrap()
}

fn bits(records: &[EpochRecord]) -> Vec<(usize, u64, u64)> {
    records
        .iter()
        .map(|r| (r.epoch, r.train_error.to_bits(), r.test_error.to_bits()))
        .collect()
}

/// Every optimizer x reinforce x lr clock x init x recording.
fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for kind in OptimizerKind::ALL {
        for reinforce in Reinforce::ALL {
            for lr_clock in LrClock::ALL {
                for init in Init::ALL {
                    for record in [Recording::EveryEpoch, Recording::FinalOnly] {
                        let mut hyper = Hyper {
                            lr_clock,
                            ..Hyper::default()
                        };
                        hyper.rbp.reinforce = reinforce;
                        // Reinforce often, so a lost coin seed, clock or g_prev would show.
                        hyper.rbp.gamma0 = 0.9;
                        out.push(Case {
                            kind,
                            hyper,
                            init,
                            record,
                        });
                    }
                }
            }
        }
    }
    out
}

#[test]
fn resuming_at_any_epoch_is_bit_identical_to_an_uninterrupted_run() {
    let (layout, split) = setup();
    for case in cases() {
        let what = format!(
            "{} {} {} {} {:?}",
            case.kind, case.hyper.rbp.reinforce, case.hyper.lr_clock, case.init, case.record
        );
        let mut straight = start(&layout, &split, &case);
        while !straight.is_finished() {
            straight.train_epoch();
        }
        let (want_records, want_params) = straight.finish();

        for stop in 0..EPOCHS {
            let mut first = start(&layout, &split, &case);
            for _ in 0..stop {
                first.train_epoch();
            }
            // Through the file format, as `rbp resume` does.
            let saved = Checkpoint {
                settings: "test".into(),
                runs: vec![SavedRun {
                    label: "run".into(),
                    progress: Progress::InProgress {
                        arch: layout.arch().clone(),
                        state: Box::new(first.snapshot()),
                    },
                }],
            };
            drop(first);
            let loaded = checkpoint::decode(&checkpoint::encode(&saved)).unwrap();
            let Progress::InProgress { state, .. } = loaded.runs[0].progress.clone() else {
                panic!("{what}: the run lost its state");
            };
            let mut resumed = Run::resume(&layout, &split, &case.hyper, *state).unwrap();
            assert_eq!(resumed.epochs_done(), stop, "{what}");
            while !resumed.is_finished() {
                resumed.train_epoch();
            }
            let (records, params) = resumed.finish();
            assert_eq!(
                bits(&records),
                bits(&want_records),
                "{what}, stopped at {stop}"
            );
            assert!(
                params
                    .iter()
                    .zip(&want_params)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{what}, stopped at {stop}: final weights differ"
            );
        }
    }
}

#[test]
fn a_state_that_does_not_fit_is_refused() {
    let (layout, split) = setup();
    let case = Case {
        kind: OptimizerKind::Adam,
        hyper: Hyper::default(),
        init: Init::Lecun,
        record: Recording::EveryEpoch,
    };
    let mut run = start(&layout, &split, &case);
    run.train_epoch();
    let state = run.snapshot();
    drop(run);

    let mut short = state.clone();
    short.params.pop();
    let err = Run::resume(&layout, &split, &case.hyper, short)
        .err()
        .unwrap();
    assert!(err.to_string().contains("saved weights"), "{err}");

    let mut lost_moment = state.clone();
    lost_moment.optimizer.buffers.pop();
    let err = Run::resume(&layout, &split, &case.hyper, lost_moment)
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("1 per-weight buffer(s), expected 2"),
        "{err}"
    );

    let mut bad_row = state.clone();
    bad_row.rows[0] = 1000;
    let err = Run::resume(&layout, &split, &case.hyper, bad_row)
        .err()
        .unwrap();
    assert!(err.to_string().contains("batch order"), "{err}");

    let other_data = teacher::teacher_student(9, 3, 50, SEED).unwrap();
    let err = Run::resume(&layout, &other_data, &case.hyper, state)
        .err()
        .unwrap();
    assert!(err.to_string().contains("training set has 50"), "{err}");
}
