//! The training loop: epochs of shuffled mini-batches, errors measured before training and after
//! every epoch, and runs that can be saved and continued bit for bit.

mod footprint;

pub use footprint::RunFootprint;

use crate::data::{Examples, TrainTest};
use crate::memory::{self, AllocError};
use crate::net::{self, Layout, Workspace};
use crate::optim::{Hyper, Optimizer, OptimizerKind, OptimizerState, StateError};
use crate::phase::{NoClock, Phase, PhaseClock};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Errors after one epoch (epoch 0 = before any training).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Epochs trained when measured.
    pub epoch: usize,
    /// Mean over training examples of `E = 1/2 |y* - y|^2`.
    pub train_error: f64,
    /// Mean over test examples of `E`.
    pub test_error: f64,
    /// Fraction of test examples whose largest output is not their label (classification only).
    pub test_class_error: Option<f64>,
}

/// Which epochs' errors a run measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Recording {
    /// Before training and after every epoch: full curves.
    EveryEpoch,
    /// Only before training and after the last epoch. Measuring never changes the weights, so
    /// the final numbers equal those of [`Recording::EveryEpoch`]; skipping the rest saves most
    /// of the cost of runs whose curves nobody plots.
    FinalOnly,
}

/// Mini-batch size, length of a run and what it measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// Examples per mini-batch (the last batch of an epoch is smaller when it does not divide
    /// the training set).
    pub batch: usize,
    /// Epochs to train.
    pub epochs: usize,
    /// Which epochs are measured.
    pub record: Recording,
}

/// One training run's outcome: which optimizer, which run seed, and its records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// The optimizer trained.
    pub optimizer: OptimizerKind,
    /// The run seed (data, initial weights, batch order, coin).
    pub seed: u64,
    /// Epoch 0 and every measured epoch, in order.
    pub records: Vec<EpochRecord>,
}

impl RunResult {
    /// The last record (after the last epoch).
    pub fn last(&self) -> &EpochRecord {
        self.records.last().expect("a run records at least epoch 0")
    }
}

/// Rows evaluated per forward pass when measuring errors (larger GEMMs run faster).
pub const EVAL_BATCH: usize = 500;

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
    /// A trainer for batches of up to `batch` rows, starting from `params`.
    ///
    /// # Panics
    /// If `params` does not have the layout's parameter count.
    pub fn new(layout: Layout, params: Vec<f32>, batch: usize) -> Result<Trainer, AllocError> {
        assert_eq!(
            params.len(),
            layout.param_count(),
            "parameter buffer does not fit the layout"
        );
        let arch = layout.arch();
        Ok(Trainer {
            grads: memory::zeroed(params.len(), "the gradients")?,
            train_ws: Workspace::new(arch, batch)?,
            eval_ws: Workspace::forward_only(arch, EVAL_BATCH)?,
            targets: memory::zeroed(batch * arch.output_width(), "the batch targets")?,
            layout,
            params,
        })
    }

    /// The current weights.
    pub fn params(&self) -> &[f32] {
        &self.params
    }
    /// The gradient of the last step.
    pub fn grads(&self) -> &[f32] {
        &self.grads
    }
    /// Gives the weights back.
    pub fn into_params(self) -> Vec<f32> {
        self.params
    }

    /// Forward and backward on the rows `rows` of `data`, leaving the mean gradient in
    /// [`Self::grads`] and the weights unchanged; returns the batch's summed loss.
    pub fn compute_gradient(&mut self, data: &Examples, rows: &[usize]) -> f64 {
        self.forward_backward(data, rows, &mut |_, _, _| {}, &mut NoClock)
    }

    /// One training step at the optimizer's clock: gradient on `rows`, and the optimizer's update
    /// of each layer as soon as backpropagation is done with it (see [`net::backward`]); then
    /// the optimizer's clock moves on. Allocates nothing.
    pub fn step(&mut self, data: &Examples, rows: &[usize], opt: &mut Optimizer) -> f64 {
        self.step_timed(data, rows, opt, &mut NoClock)
    }

    /// [`Self::step`], telling `clock` when each of its phases ends (benchmarks).
    pub fn step_timed(
        &mut self,
        data: &Examples,
        rows: &[usize],
        opt: &mut Optimizer,
        clock: &mut impl PhaseClock,
    ) -> f64 {
        let loss = self.forward_backward(
            data,
            rows,
            &mut |w, g, offset| opt.update(w, g, offset),
            clock,
        );
        opt.finish_step();
        loss
    }

    fn forward_backward(
        &mut self,
        data: &Examples,
        rows: &[usize],
        layer_done: net::LayerDone,
        clock: &mut impl PhaseClock,
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
        clock.lap(Phase::Gather);
        net::forward_timed(&self.layout, &self.params, &mut self.train_ws, b, clock);
        net::backward(
            &self.layout,
            &mut self.params,
            &mut self.train_ws,
            &self.targets,
            b,
            &mut self.grads,
            layer_done,
            clock,
        )
    }

    /// Mean error `E` over `data`, and the classification error when `data` has labels.
    pub fn evaluate(&mut self, data: &Examples) -> (f64, Option<f64>) {
        self.measure(data, true)
    }

    /// Mean error `E` over `data`; the classification error too when `classify` and `data` has
    /// labels. Reads the examples in place, `EVAL_BATCH` rows per forward pass.
    fn measure(&mut self, data: &Examples, classify: bool) -> (f64, Option<f64>) {
        let (n_in, n_out) = (data.input_width(), data.output_width());
        let inputs = slice_of(&data.inputs);
        let targets = slice_of(&data.targets);
        let labels = data.labels.as_deref().filter(|_| classify);
        let (mut loss, mut wrong) = (0.0f64, 0usize);
        for start in (0..data.len()).step_by(EVAL_BATCH) {
            let b = EVAL_BATCH.min(data.len() - start);
            let rows = start..start + b;
            let input = &inputs[rows.start * n_in..rows.end * n_in];
            net::forward_rows(&self.layout, &self.params, input, &mut self.eval_ws, b);
            let y = self.eval_ws.output(b);
            loss += rbp_kernels::activation::quadratic_loss(
                y,
                &targets[rows.start * n_out..rows.end * n_out],
            );
            if let Some(labels) = labels {
                wrong += y
                    .chunks_exact(n_out)
                    .zip(&labels[rows])
                    .filter(|(out, label)| argmax(out) != **label as usize)
                    .count();
            }
        }
        let n = data.len().max(1) as f64;
        (loss / n, labels.map(|_| wrong as f64 / n))
    }

    /// The errors a record holds: the training error (no classification error is recorded for
    /// the training set, so none is computed) and the test errors.
    fn record(&mut self, epoch: usize, split: &TrainTest) -> EpochRecord {
        let (train_error, _) = self.measure(&split.train, false);
        let (test_error, test_class_error) = self.measure(&split.test, true);
        EpochRecord {
            epoch,
            train_error,
            test_error,
            test_class_error,
        }
    }
}

/// Why a run could not start or continue.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A buffer could not be allocated.
    #[error(transparent)]
    Alloc(#[from] AllocError),
    /// The saved optimizer does not fit.
    #[error("the saved optimizer does not fit this run: {0}")]
    Optimizer(#[from] StateError),
    /// The saved run does not fit the network or the data.
    #[error("the saved run does not fit: {0}")]
    Mismatch(String),
}

/// A run in progress: a trainer, its optimizer, the batch order and the records so far. Between
/// epochs, [`Run::snapshot`] captures all of it, and [`Run::resume`] continues from a snapshot
/// with exactly the numbers the uninterrupted run would have produced.
pub struct Run<'a> {
    split: &'a TrainTest,
    trainer: Trainer,
    opt: Optimizer,
    /// Shuffles the training rows at the start of every epoch.
    order: ChaCha8Rng,
    /// The current order of the training rows: each epoch shuffles the previous one.
    rows: Vec<usize>,
    schedule: Schedule,
    records: Vec<EpochRecord>,
}

/// Everything a run needs to continue: weights, optimizer, batch order and records.
#[derive(Clone, Debug, PartialEq)]
pub struct RunState {
    /// Length of a run and what it measures.
    pub schedule: Schedule,
    /// The weights.
    pub params: Vec<f32>,
    /// The optimizer, with its clock (`clock.epoch` = epochs trained).
    pub optimizer: OptimizerState,
    /// The batch-order generator: ChaCha8 seed, stream and position in words.
    pub order: OrderState,
    /// The current order of the training rows.
    pub rows: Vec<u32>,
    /// Records so far.
    pub records: Vec<EpochRecord>,
}

/// Where a ChaCha8 generator is: seed, stream and word position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderState {
    /// The 256-bit seed.
    pub seed: [u8; 32],
    /// The stream number.
    pub stream: u64,
    /// Words consumed.
    pub word_pos: u128,
}

impl OrderState {
    fn of(rng: &ChaCha8Rng) -> OrderState {
        OrderState {
            seed: rng.get_seed(),
            stream: rng.get_stream(),
            word_pos: rng.get_word_pos(),
        }
    }
    fn rng(&self) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::from_seed(self.seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(self.word_pos);
        rng
    }
}

impl<'a> Run<'a> {
    /// Starts a run from `params` and measures epoch 0. `order` shuffles the training set at the
    /// start of every epoch; give every optimizer a generator from the same seed so their runs
    /// see the same batches.
    pub fn start(
        layout: &Layout,
        params: Vec<f32>,
        split: &'a TrainTest,
        opt: Optimizer,
        schedule: Schedule,
        order: ChaCha8Rng,
    ) -> Result<Run<'a>, RunError> {
        let rows: Vec<usize> = (0..split.train.len()).collect();
        let mut run = Run::assemble(
            layout,
            params,
            split,
            opt,
            schedule,
            order,
            rows,
            Vec::new(),
        )?;
        let first = run.trainer.record(0, split);
        run.records.push(first);
        Ok(run)
    }

    /// Continues a saved run on the same network and data, with the hyper-parameters it was
    /// started with.
    pub fn resume(
        layout: &Layout,
        split: &'a TrainTest,
        hyper: &Hyper,
        state: RunState,
    ) -> Result<Run<'a>, RunError> {
        let n = layout.param_count();
        if state.params.len() != n {
            return Err(RunError::Mismatch(format!(
                "{} saved weights for a {} network of {n}",
                state.params.len(),
                layout.arch()
            )));
        }
        if state.rows.len() != split.train.len()
            || state.rows.iter().any(|&r| r as usize >= split.train.len())
        {
            return Err(RunError::Mismatch(format!(
                "the saved batch order covers {} rows, the training set has {}",
                state.rows.len(),
                split.train.len()
            )));
        }
        if state.records.is_empty() || state.optimizer.clock.epoch as usize > state.schedule.epochs
        {
            return Err(RunError::Mismatch(
                "the saved records and epoch count disagree".into(),
            ));
        }
        let opt = Optimizer::from_state(hyper, n, state.optimizer)?;
        let rows = state.rows.iter().map(|&r| r as usize).collect();
        Run::assemble(
            layout,
            state.params,
            split,
            opt,
            state.schedule,
            state.order.rng(),
            rows,
            state.records,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        layout: &Layout,
        params: Vec<f32>,
        split: &'a TrainTest,
        opt: Optimizer,
        schedule: Schedule,
        order: ChaCha8Rng,
        rows: Vec<usize>,
        records: Vec<EpochRecord>,
    ) -> Result<Run<'a>, RunError> {
        let batch = schedule.batch.min(split.train.len()).max(1);
        let mut records = records;
        records.reserve(schedule.epochs + 1);
        Ok(Run {
            split,
            trainer: Trainer::new(layout.clone(), params, batch)?,
            opt,
            order,
            rows,
            schedule: Schedule { batch, ..schedule },
            records,
        })
    }

    /// Epochs trained so far.
    pub fn epochs_done(&self) -> usize {
        self.opt.clock().epoch as usize
    }

    /// True when every epoch of the schedule is trained.
    pub fn is_finished(&self) -> bool {
        self.epochs_done() >= self.schedule.epochs
    }

    /// Trains one epoch (shuffle, then every mini-batch) and measures it when the schedule asks;
    /// returns the latest record.
    pub fn train_epoch(&mut self) -> &EpochRecord {
        self.rows.shuffle(&mut self.order);
        // The last batch is smaller when the batch size does not divide the training set.
        for chunk in self.rows.chunks(self.schedule.batch) {
            self.trainer.step(&self.split.train, chunk, &mut self.opt);
        }
        self.opt.finish_epoch();
        let done = self.epochs_done();
        if done == self.schedule.epochs || self.schedule.record == Recording::EveryEpoch {
            let record = self.trainer.record(done, self.split);
            self.records.push(record);
        }
        self.records.last().expect("epoch 0 is always recorded")
    }

    /// The records so far.
    pub fn records(&self) -> &[EpochRecord] {
        &self.records
    }

    /// The current weights.
    pub fn params(&self) -> &[f32] {
        self.trainer.params()
    }

    /// The optimizer.
    pub fn optimizer(&self) -> &Optimizer {
        &self.opt
    }

    /// A copy of everything needed to continue (see [`Run::resume`]).
    pub fn snapshot(&self) -> RunState {
        RunState {
            schedule: self.schedule,
            params: self.trainer.params().to_vec(),
            optimizer: self.opt.state(),
            order: OrderState::of(&self.order),
            rows: self
                .rows
                .iter()
                .map(|&r| u32::try_from(r).expect("training sets stay below 2^32 rows"))
                .collect(),
            records: self.records.clone(),
        }
    }

    /// The records and the final weights.
    pub fn finish(self) -> (Vec<EpochRecord>, Vec<f32>) {
        (self.records, self.trainer.into_params())
    }
}

/// Trains `params` on `split.train` with `opt`; returns the records of epochs `0..=epochs`
/// (only epoch 0 and the last with [`Recording::FinalOnly`]). `on_epoch` is called once for
/// epoch 0 and after every trained epoch, with the latest record (for progress).
pub fn train(
    layout: &Layout,
    params: Vec<f32>,
    split: &TrainTest,
    opt: Optimizer,
    schedule: Schedule,
    order: ChaCha8Rng,
    on_epoch: &mut dyn FnMut(&EpochRecord),
) -> Result<Vec<EpochRecord>, RunError> {
    let mut run = Run::start(layout, params, split, opt, schedule, order)?;
    on_epoch(&run.records()[0]);
    while !run.is_finished() {
        on_epoch(run.train_epoch());
    }
    Ok(run.finish().0)
}

/// The contiguous row-major storage of an example matrix.
fn slice_of(a: &ndarray::Array2<f32>) -> &[f32] {
    a.as_slice()
        .expect("example matrices are built in standard (row-major) layout")
}

/// Copies rows `rows` of a row-major `? x width` matrix into `out`, in order (f32 here, f64 in
/// the oracle).
pub(crate) fn gather_rows<T: Copy>(src: &[T], width: usize, rows: &[usize], out: &mut [T]) {
    for (dst, &r) in out.chunks_exact_mut(width).zip(rows) {
        dst.copy_from_slice(&src[r * width..(r + 1) * width]);
    }
}

/// Index of the largest value (the first one on ties).
pub fn argmax<T: PartialOrd>(xs: &[T]) -> usize {
    let mut best = 0;
    for (i, x) in xs.iter().enumerate() {
        if *x > xs[best] {
            best = i;
        }
    }
    best
}
