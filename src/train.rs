//! The training loop: epochs of shuffled mini-batches, errors measured before training and after
//! every epoch.

use crate::data::{Examples, TrainTest};
use crate::net::{self, Layout, Workspace};
use crate::optim::{Clock, Optimizer};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Errors after one epoch (epoch 0 = before any training).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct EpochRecord {
    pub epoch: usize,
    /// Mean over training examples of `E = 1/2 |y* - y|^2`.
    pub train_error: f64,
    /// Mean over test examples of `E`.
    pub test_error: f64,
    /// Fraction of test examples whose largest output is not their label (classification only).
    pub test_class_error: Option<f64>,
}

/// Which epochs' errors a run measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Recording {
    /// Before training and after every epoch: full curves.
    EveryEpoch,
    /// Only before training and after the last epoch. Measuring never changes the weights, so
    /// the final numbers equal those of [`Recording::EveryEpoch`]; skipping the rest saves most
    /// of the cost of runs whose curves nobody plots.
    FinalOnly,
}

/// Mini-batch size, length of a run and what it measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Schedule {
    pub batch: usize,
    pub epochs: usize,
    pub record: Recording,
}

/// Rows evaluated per forward pass when measuring errors (larger GEMMs run faster).
const EVAL_BATCH: usize = 500;

/// A network being trained: parameters, gradients and every work buffer, allocated once.
pub struct Trainer {
    layout: Layout,
    params: Vec<f32>,
    grads: Vec<f32>,
    train_ws: Workspace,
    eval_ws: Workspace,
    /// The current batch's targets, gathered in batch order.
    targets: Vec<f32>,
}

impl Trainer {
    pub fn new(layout: Layout, params: Vec<f32>, batch: usize) -> Trainer {
        assert_eq!(
            params.len(),
            layout.param_count(),
            "parameter buffer does not fit the layout"
        );
        let arch = layout.arch();
        Trainer {
            grads: vec![0.0; params.len()],
            train_ws: Workspace::new(arch, batch),
            eval_ws: Workspace::new(arch, EVAL_BATCH),
            targets: vec![0.0; batch * arch.output_width()],
            layout,
            params,
        }
    }

    pub fn params(&self) -> &[f32] {
        &self.params
    }
    pub fn grads(&self) -> &[f32] {
        &self.grads
    }

    /// Forward and backward on the rows `rows` of `data`, leaving the mean gradient in
    /// [`Self::grads`] and the weights unchanged; returns the batch's summed loss.
    pub fn compute_gradient(&mut self, data: &Examples, rows: &[usize]) -> f64 {
        self.forward_backward(data, rows, &mut |_, _, _| {})
    }

    /// One training step: gradient on `rows`, and the optimizer's update of each layer as soon as
    /// backpropagation is done with it (see [`net::backward`]). Allocates nothing.
    pub fn step(
        &mut self,
        data: &Examples,
        rows: &[usize],
        opt: &mut dyn Optimizer,
        clock: Clock,
    ) -> f64 {
        self.forward_backward(data, rows, &mut |w, g, offset| {
            opt.update(w, g, offset, clock)
        })
    }

    fn forward_backward(
        &mut self,
        data: &Examples,
        rows: &[usize],
        layer_done: net::LayerDone,
    ) -> f64 {
        let b = rows.len();
        let (n_in, n_out) = (data.input_width(), data.output_width());
        gather_rows(
            slice_of(&data.inputs),
            n_in,
            rows,
            self.train_ws.input_mut(b),
        );
        gather_rows(
            slice_of(&data.targets),
            n_out,
            rows,
            &mut self.targets[..b * n_out],
        );
        net::forward(&self.layout, &self.params, &mut self.train_ws, b);
        net::backward(
            &self.layout,
            &mut self.params,
            &mut self.train_ws,
            &self.targets,
            b,
            &mut self.grads,
            layer_done,
        )
    }

    /// Mean error `E` over `data`, and the classification error when `data` has labels.
    pub fn evaluate(&mut self, data: &Examples) -> (f64, Option<f64>) {
        let (n_in, n_out) = (data.input_width(), data.output_width());
        let inputs = slice_of(&data.inputs);
        let targets = slice_of(&data.targets);
        let (mut loss, mut wrong) = (0.0f64, 0usize);
        for start in (0..data.len()).step_by(EVAL_BATCH) {
            let b = EVAL_BATCH.min(data.len() - start);
            self.eval_ws
                .input_mut(b)
                .copy_from_slice(&inputs[start * n_in..(start + b) * n_in]);
            net::forward(&self.layout, &self.params, &mut self.eval_ws, b);
            let y = self.eval_ws.output(b);
            loss += rbp_kernels::activation::quadratic_loss(
                y,
                &targets[start * n_out..(start + b) * n_out],
            );
            if let Some(labels) = &data.labels {
                wrong += y
                    .chunks_exact(n_out)
                    .zip(&labels[start..start + b])
                    .filter(|(out, label)| argmax(out) != **label as usize)
                    .count();
            }
        }
        let n = data.len().max(1) as f64;
        (loss / n, data.labels.as_ref().map(|_| wrong as f64 / n))
    }

    fn record(&mut self, epoch: usize, split: &TrainTest) -> EpochRecord {
        let (train_error, _) = self.evaluate(&split.train);
        let (test_error, test_class_error) = self.evaluate(&split.test);
        EpochRecord {
            epoch,
            train_error,
            test_error,
            test_class_error,
        }
    }
}

/// Trains `params` on `split.train` with `opt`; returns the records of epochs `0..=epochs`
/// (only epoch 0 and the last with [`Recording::FinalOnly`]).
///
/// `order` shuffles the training set at the start of every epoch; give every optimizer a
/// generator from the same seed so their runs see the same batches. `on_epoch` is called once for
/// epoch 0 and after every trained epoch, with the latest record (for progress).
pub fn train(
    layout: &Layout,
    params: Vec<f32>,
    split: &TrainTest,
    opt: &mut dyn Optimizer,
    schedule: Schedule,
    order: &mut ChaCha8Rng,
    on_epoch: &mut dyn FnMut(&EpochRecord),
) -> Vec<EpochRecord> {
    let batch = schedule.batch.min(split.train.len()).max(1);
    let mut trainer = Trainer::new(layout.clone(), params, batch);
    let mut rows: Vec<usize> = (0..split.train.len()).collect();
    let mut records = Vec::with_capacity(schedule.epochs + 1);
    records.push(trainer.record(0, split));
    on_epoch(&records[0]);
    let mut t = 0u64;
    for epoch in 0..schedule.epochs {
        rows.shuffle(order);
        // The last batch is smaller when the batch size does not divide the training set.
        for chunk in rows.chunks(batch) {
            trainer.step(
                &split.train,
                chunk,
                opt,
                Clock {
                    t,
                    epoch: epoch as u64,
                },
            );
            t += 1;
        }
        let done = epoch + 1;
        if done == schedule.epochs || schedule.record == Recording::EveryEpoch {
            records.push(trainer.record(done, split));
        }
        on_epoch(records.last().expect("epoch 0 is always recorded"));
    }
    records
}

/// The contiguous row-major storage of an example matrix.
fn slice_of(a: &ndarray::Array2<f32>) -> &[f32] {
    a.as_slice()
        .expect("example matrices are built in standard (row-major) layout")
}

/// Copies rows `rows` of a row-major `? x width` matrix into `out`, in order.
fn gather_rows(src: &[f32], width: usize, rows: &[usize], out: &mut [f32]) {
    for (dst, &r) in out.chunks_exact_mut(width).zip(rows) {
        dst.copy_from_slice(&src[r * width..(r + 1) * width]);
    }
}

/// Index of the largest value (the first one on ties).
pub fn argmax(xs: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in xs.iter().enumerate() {
        if x > xs[best] {
            best = i;
        }
    }
    best
}
