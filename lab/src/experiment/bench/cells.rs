//! What the benchmarks time, built once and then run step after step: a full training step, the
//! GEMM-only part of it, and an optimizer update alone. `rbp bench` and the criterion benches
//! (`benches/step.rs`, `benches/memory.rs`) share these, so they measure the same work.

use rbp_core::data::{Examples, teacher};
use rbp_core::gemm::{self, MatRef, OpenBlasMissing, SgemmFn, ShapeError, Trans};
use rbp_core::init::{self, Init};
use rbp_core::net::{self, Arch, Elementwise, Layout, Workspace};
use rbp_core::optim::{Clock, Hyper, Optimizer, OptimizerKind};
use rbp_core::phase::{NoClock, PhaseClock};
use rbp_core::seed::{self, Stream};
use rbp_core::train::Trainer;
/// The update count the benchmarks start from. At `t = 0` R-BackProp's coin never fires; at
/// `t = 1000` (mid-way through the toy run) it fires with probability ~0.39, the regime the
/// update spends most of a run in.
const STEADY_T: u64 = 1000;

/// Updates per epoch of the toy task (M = 1000, batch 100), to give the clock a plausible epoch.
const UPDATES_PER_EPOCH: u64 = 10;

/// The clock a benchmark puts its optimizer at before each timed update: `t` from [`STEADY_T`],
/// with the epoch a toy run would be in.
fn steady_clock(opt: &Optimizer) -> Clock {
    let t = opt.clock().t.max(STEADY_T);
    Clock {
        t,
        epoch: t / UPDATES_PER_EPOCH,
    }
}

/// How many steps a [`StepCell`] trains before it restarts from its initial weights.
///
/// Trained on and on, a cell leaves the regime a real run is in: with the paper's learning rate
/// Adam saturates every sigmoid of 784-1024-1024-10 within a few steps, and R-BackProp's
/// accumulated gradients blow up the toy net after a few hundred steps at `t >= 1000`. Once
/// saturated, the error signals underflow into subnormal floats, which x86 handles in microcode:
/// a step then takes 20x as long (measured: ~0.5 s instead of ~22 ms after ~30 Adam steps on
/// the wide net). Restarting every 16 steps keeps every timed step in the healthy regime.
pub const STEPS_PER_RESTART: usize = 16;

/// A network and optimizer training on one fixed toy batch: [`StepCell::step`] is exactly the
/// work of one step of `rbp toy` (gather the batch, forward, backward, update). Call
/// [`StepCell::prepare`] before each timed step, outside the timing.
pub struct StepCell {
    layout: Layout,
    initial: Vec<f32>,
    kind: OptimizerKind,
    batch: usize,
    data: Examples,
    rows: Vec<usize>,
    trainer: Trainer,
    opt: Optimizer,
    steps_left: usize,
}

impl StepCell {
    /// Seed 0's teacher, data and initial weights (paper defaults), `batch` examples.
    pub fn new(arch: &Arch, batch: usize, kind: OptimizerKind) -> StepCell {
        let layout = Layout::new(arch.clone()).expect("benchmark architectures are small");
        let split = teacher::teacher_student(arch.input_width(), arch.output_width(), batch, 0)
            .expect("benchmark data fits in memory");
        let initial = init::initial_params(&layout, Init::Lecun, 0).expect("benchmark weights fit");
        let (trainer, opt) = fresh(&layout, &initial, batch, kind);
        let mut cell = StepCell {
            layout,
            initial,
            kind,
            batch,
            data: split.train,
            rows: (0..batch).collect(),
            trainer,
            opt,
            steps_left: STEPS_PER_RESTART,
        };
        cell.prepare();
        cell
    }

    /// Restarts from the initial weights and a fresh optimizer when [`STEPS_PER_RESTART`] steps
    /// have run, then takes one untimed step so the new buffers' pages are faulted in. Allocates
    /// (only then): keep it out of timings and allocation counts.
    pub fn prepare(&mut self) {
        if self.steps_left > 0 {
            return;
        }
        (self.trainer, self.opt) = fresh(&self.layout, &self.initial, self.batch, self.kind);
        self.steps_left = STEPS_PER_RESTART;
        std::hint::black_box(self.step());
    }

    /// One training step; returns the batch loss (for `black_box`). Allocates nothing.
    pub fn step(&mut self) -> f64 {
        self.step_timed(&mut NoClock)
    }

    /// [`Self::step`], telling `clock` when each phase ends.
    pub fn step_timed(&mut self, clock: &mut impl PhaseClock) -> f64 {
        self.opt.set_clock(steady_clock(&self.opt));
        self.steps_left = self.steps_left.saturating_sub(1);
        self.trainer
            .step_timed(&self.data, &self.rows, &mut self.opt, clock)
    }

    pub fn optimizer(&self) -> &Optimizer {
        &self.opt
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn batch(&self) -> usize {
        self.batch
    }

    pub fn param_count(&self) -> usize {
        self.layout.param_count()
    }
}

/// A trainer at `initial` weights and a fresh optimizer of `kind` (paper defaults).
fn fresh(
    layout: &Layout,
    initial: &[f32],
    batch: usize,
    kind: OptimizerKind,
) -> (Trainer, Optimizer) {
    let opt = Optimizer::new(
        kind,
        &Hyper::default(),
        layout.param_count(),
        seed::stream_seed(0, Stream::Coin),
    )
    .expect("benchmark optimizer state fits in memory");
    let trainer = Trainer::new(layout.clone(), initial.to_vec(), batch)
        .expect("benchmark buffers fit in memory");
    (trainer, opt)
}

/// An optimizer update alone over `n` weights, on fixed gradients.
pub struct UpdateCell {
    params: Vec<f32>,
    grads: Vec<f32>,
    opt: Optimizer,
}

impl UpdateCell {
    /// `kind` with the paper's hyper-parameters.
    pub fn new(kind: OptimizerKind, n: usize) -> UpdateCell {
        UpdateCell::with_hyper(kind, &Hyper::default(), n)
    }

    /// `kind` with `hyper` (e.g. R-BackProp with another reinforcement).
    pub fn with_hyper(kind: OptimizerKind, hyper: &Hyper, n: usize) -> UpdateCell {
        UpdateCell {
            params: filled(n, 1, 0.1),
            grads: filled(n, 2, 0.01),
            opt: Optimizer::new(kind, hyper, n, 7)
                .expect("benchmark optimizer state fits in memory"),
        }
    }

    pub fn update(&mut self) {
        self.opt.set_clock(steady_clock(&self.opt));
        self.opt.step(&mut self.params, &self.grads);
    }

    pub fn optimizer(&self) -> &Optimizer {
        &self.opt
    }
}

/// Deterministic values in `[-scale, scale)` (the timing does not depend on them, but denormals,
/// infinities or NaN could, so they are kept ordinary).
fn filled(n: usize, salt: u64, scale: f32) -> Vec<f32> {
    (0..n as u64)
        .map(|i| {
            let u = (seed::mix64(i ^ (salt << 48)) >> 40) as f32 / (1u64 << 24) as f32;
            scale * (2.0 * u - 1.0)
        })
        .collect()
}

/// The matrix products of one training step without anything else: the network's own forward
/// and backward passes with [`Elementwise::NONE`], so the products, their shapes and their order
/// are exactly a step's, and the difference between a step and this is the elementwise
/// kernels, the batch gather and the update.
pub struct GemmPlan {
    layout: Layout,
    batch: usize,
    params: Vec<f32>,
    grads: Vec<f32>,
    targets: Vec<f32>,
    ws: Workspace,
    /// Buffers of the replays through other backends (see [`GemmPlan::run_through`]).
    acts: Vec<Vec<f32>>,
    kappas: Vec<Vec<f32>>,
}

impl GemmPlan {
    pub fn new(arch: &Arch, batch: usize) -> GemmPlan {
        let layout = Layout::new(arch.clone()).expect("benchmark architectures are small");
        let n = layout.param_count();
        let buffers = |salt| -> Vec<Vec<f32>> {
            arch.widths()
                .iter()
                .map(|&w| filled(w * batch, salt, 1.0))
                .collect()
        };
        let mut ws = Workspace::new(arch, batch)
            .expect("benchmark buffers fit in memory")
            .with_elementwise(Elementwise::NONE);
        ws.input_mut(batch)
            .copy_from_slice(&filled(arch.input_width() * batch, 4, 1.0));
        GemmPlan {
            params: filled(n, 3, 0.1),
            grads: vec![0.0; n],
            targets: filled(arch.output_width() * batch, 6, 1.0),
            ws,
            acts: buffers(4),
            kappas: buffers(5),
            layout,
            batch,
        }
    }

    /// Floating-point operations of one pass: three `2 B in out` products per layer, minus the
    /// error product of the first layer, which is not needed.
    pub fn flops(&self) -> u64 {
        let b = self.batch as u64;
        let n_in0 = self.layout.layer_shape(0);
        2 * b * (3 * self.layout.param_count() as u64 - (n_in0.0 * n_in0.1) as u64)
    }

    /// Runs every product once, as a step does: the network's own passes, through the backend
    /// in use.
    pub fn run(&mut self) {
        let b = self.batch;
        net::forward(&self.layout, &self.params, &mut self.ws, b);
        net::backward(
            &self.layout,
            &mut self.params,
            &mut self.ws,
            &self.targets,
            b,
            &mut self.grads,
            &mut |_, _, _| {},
            &mut NoClock,
        );
    }

    /// Runs every product once through `backend`: [`Self::run`] when it is the one in use, the
    /// same products replayed through its own `sgemm` otherwise.
    pub fn run_through(&mut self, backend: gemm::Backend) -> Result<(), OpenBlasMissing> {
        if backend == gemm::chosen() {
            self.run();
        } else {
            self.run_with(backend.sgemm()?);
        }
        Ok(())
    }

    /// The same products as [`Self::run`], through `sgemm`.
    pub fn run_with(&mut self, sgemm: SgemmFn) {
        self.replay(sgemm)
            .expect("the plan's buffers match the layout")
    }

    /// The network always uses the backend in use, so other backends replay the sequence of
    /// `net::forward` and `net::backward` (forward `v W^T`; backward `(1/B) kappa^T v` and, above
    /// the first layer, `kappa W`).
    fn replay(&mut self, sgemm: SgemmFn) -> Result<(), ShapeError> {
        let b = self.batch;
        let depth = self.layout.arch().depth();
        for l in 0..depth {
            let (n_in, n_out) = self.layout.layer_shape(l);
            let w = MatRef::new(&self.params[self.layout.layer_range(l)], n_out, n_in)?;
            let (below, above) = self.acts.split_at_mut(l + 1);
            let v = MatRef::new(&below[l], b, n_in)?;
            sgemm(1.0, v, Trans::No, w, Trans::Yes, 0.0, &mut above[0])?;
        }
        for l in (0..depth).rev() {
            let (n_in, n_out) = self.layout.layer_shape(l);
            let w = MatRef::new(&self.params[self.layout.layer_range(l)], n_out, n_in)?;
            let (lower, upper) = self.kappas.split_at_mut(l + 1);
            let kappa = MatRef::new(&upper[0], b, n_out)?;
            let v = MatRef::new(&self.acts[l], b, n_in)?;
            let grad = &mut self.grads[self.layout.layer_range(l)];
            sgemm(1.0 / b as f32, kappa, Trans::Yes, v, Trans::No, 0.0, grad)?;
            if l > 0 {
                sgemm(1.0, kappa, Trans::No, w, Trans::No, 0.0, &mut lower[l])?;
            }
        }
        Ok(())
    }
}
