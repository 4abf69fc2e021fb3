//! The timed step is the real step: the same numbers, and every phase reported once, in order.
//! Evaluation reads its rows in place and measures what copying them in measured.

use rbp_core::data::teacher;
use rbp_core::init::{Init, initial_params};
use rbp_core::net::{self, Layout, Workspace};
use rbp_core::optim::{Hyper, Optimizer, OptimizerKind};
use rbp_core::phase::{Phase, PhaseClock};
use rbp_core::train::Trainer;

struct Heard(Vec<Phase>);

impl PhaseClock for Heard {
    fn lap(&mut self, finished: Phase) {
        self.0.push(finished);
    }
}

fn setup(kind: OptimizerKind) -> (Layout, rbp_core::data::TrainTest, Trainer, Optimizer) {
    let layout = Layout::new("12-9-7-3".parse().unwrap()).unwrap();
    let data = teacher::teacher_student(12, 3, 40, 5).unwrap();
    let params = initial_params(&layout, Init::Lecun, 5).unwrap();
    let trainer = Trainer::new(layout.clone(), params, 8).unwrap();
    let opt = Optimizer::new(kind, &Hyper::default(), layout.param_count(), 11).unwrap();
    (layout, data, trainer, opt)
}

#[test]
fn the_timed_step_reports_every_phase_in_order_and_changes_nothing() {
    use Phase::*;
    for kind in OptimizerKind::PAPER {
        let (_, data, mut plain, mut plain_opt) = setup(kind);
        let (_, _, mut timed, mut timed_opt) = setup(kind);
        let rows: Vec<usize> = (3..11).collect();
        let mut heard = Heard(Vec::new());
        for _ in 0..3 {
            let a = plain.step(&data.train, &rows, &mut plain_opt);
            heard.0.clear();
            let b = timed.step_timed(&data.train, &rows, &mut timed_opt, &mut heard);
            assert_eq!(a.to_bits(), b.to_bits(), "{kind}: the loss differs");
        }
        assert_eq!(plain.params(), timed.params(), "{kind}: the weights differ");
        let expected = vec![
            Gather,
            ForwardProduct { layer: 0 },
            Activation { layer: 0 },
            ForwardProduct { layer: 1 },
            Activation { layer: 1 },
            ForwardProduct { layer: 2 },
            Activation { layer: 2 },
            OutputError,
            WeightGradient { layer: 2 },
            BackpropProduct { layer: 2 },
            ActivationDerivative { layer: 2 },
            Update { layer: 2 },
            WeightGradient { layer: 1 },
            BackpropProduct { layer: 1 },
            ActivationDerivative { layer: 1 },
            Update { layer: 1 },
            WeightGradient { layer: 0 },
            Update { layer: 0 },
        ];
        assert_eq!(heard.0, expected, "{kind}");
    }
}

#[test]
fn forward_on_rows_in_place_equals_forward_on_copied_rows() {
    let (layout, data, trainer, _) = setup(OptimizerKind::Sgd);
    let arch = layout.arch().clone();
    let (batch, n_in) = (13, arch.input_width());
    let inputs = data.test.inputs.as_slice().unwrap();
    let rows = &inputs[5 * n_in..(5 + batch) * n_in];

    let mut copied = Workspace::new(&arch, 20).unwrap();
    copied.input_mut(batch).copy_from_slice(rows);
    net::forward(&layout, trainer.params(), &mut copied, batch);

    let mut in_place = Workspace::forward_only(&arch, 20).unwrap();
    net::forward_rows(&layout, trainer.params(), rows, &mut in_place, batch);

    assert_eq!(copied.output(batch), in_place.output(batch));
}

#[test]
fn evaluation_matches_a_plain_loop_over_the_examples() {
    // More examples than one evaluation batch, and a partial last batch.
    let layout = Layout::new("6-5-2".parse().unwrap()).unwrap();
    let n = rbp_core::train::EVAL_BATCH + 37;
    let data = teacher::teacher_student(6, 2, n, 3).unwrap();
    let params = initial_params(&layout, Init::Lecun, 3).unwrap();
    let mut trainer = Trainer::new(layout.clone(), params.clone(), 4).unwrap();
    let (loss, class_error) = trainer.evaluate(&data.test);
    assert_eq!(class_error, None, "the teacher task has no labels");

    let mut ws = Workspace::new(layout.arch(), 1).unwrap();
    let mut sum = 0.0f64;
    for i in 0..n {
        ws.input_mut(1)
            .copy_from_slice(data.test.inputs.row(i).as_slice().unwrap());
        net::forward(&layout, &params, &mut ws, 1);
        for (y, t) in ws.output(1).iter().zip(data.test.targets.row(i)) {
            sum += 0.5 * f64::from(y - t).powi(2);
        }
    }
    let expected = sum / n as f64;
    // Same f32 activations (row by row or in blocks, the products' sums may round differently:
    // ~1e-6 relative per output); the sums are f64 against f32 lanes summed in blocks.
    assert!(
        (loss - expected).abs() <= 1e-5 * expected,
        "{loss} vs {expected}"
    );
}
