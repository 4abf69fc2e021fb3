//! Where a training step's time goes, phase by phase; what the GEMM backends would cost; and what
//! measuring the errors after every epoch costs next to the training itself.
//!
//! The phases are timed inside the real step ([`Trainer::step_timed`]), not a re-enactment of it.
//! Reading the clock between phases costs a few tens of nanoseconds per phase, against steps of
//! hundreds of microseconds.

use super::cells::{GemmPlan, StepCell};
use super::{BenchConfig, Case, Samples};
use crate::stats::median;
use rbp_core::data::teacher;
use rbp_core::gemm;
use rbp_core::init::{self, Init};
use rbp_core::net::Layout;
use rbp_core::optim::OptimizerKind;
use rbp_core::phase::{Phase, PhaseClock};
use rbp_core::train::Trainer;
use serde::Serialize;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

/// Examples in each of the toy protocol's training and test sets, both measured after every
/// epoch of an every-epoch run.
pub const EVAL_EXAMPLES: usize = 1000;

/// One phase of one layer of a step.
#[derive(Clone, Debug, Serialize)]
pub struct PhaseRow {
    pub arch: String,
    pub batch: usize,
    pub optimizer: &'static str,
    /// What the phase does (`forward product`, `activation`, `update`, ...).
    pub phase: &'static str,
    /// The weight layer (0-based), when the phase works on one.
    pub layer: Option<usize>,
    /// Median wall time.
    pub ns: f64,
    /// Share of the step (the sum of all its phases' medians).
    pub share: f64,
    /// Values the phase reads or writes once each, for elementwise phases and updates.
    pub elements: Option<usize>,
    pub ns_per_element: Option<f64>,
    /// Throughput of the matrix products.
    pub gflops: Option<f64>,
}

/// The step's products alone, per GEMM backend.
#[derive(Clone, Debug, Serialize)]
pub struct BackendRow {
    pub arch: String,
    pub batch: usize,
    /// `openblas` or `matrixmultiply`; the first row of a case is the one training uses.
    pub backend: &'static str,
    pub ns: f64,
    /// Time over the default backend's, measured interleaved with it.
    pub vs_default: f64,
    /// Median time of the same products run [`back_to_back_runs`] times in a row, nothing in
    /// between: how the C yardstick `gemm_sequence.c` (and `cargo bench`'s `gemm/` group) times
    /// them. `ns` is taken after a step of every optimizer cell, whose buffers (several MiB per
    /// case) push the products' operands out of the caches; here they stay warm. The two differ
    /// by the cache state alone: the buffers and calls are the same.
    pub back_to_back_ns: f64,
}

/// How many times in a row [`BackendRow::back_to_back_ns`] runs the products: at least
/// [`BACK_TO_BACK_MIN_RUNS`], more when the bench repeats more (fewer, down to the bench's
/// repetitions, when they take over [`BACK_TO_BACK_BUDGET`]).
pub fn back_to_back_runs(config: &BenchConfig) -> usize {
    config.reps.max(BACK_TO_BACK_MIN_RUNS)
}

/// The fewest back-to-back runs timed (the yardstick times 400): enough for a steady median even
/// with `--quick`, unless they take longer than [`BACK_TO_BACK_BUDGET`].
pub const BACK_TO_BACK_MIN_RUNS: usize = 100;

/// After this long, back-to-back timing stops once it has the bench's repetition count.
pub const BACK_TO_BACK_BUDGET: std::time::Duration = std::time::Duration::from_secs(1);

/// What measuring errors costs.
#[derive(Clone, Debug, Serialize)]
pub struct EvalRow {
    pub arch: String,
    pub batch: usize,
    /// Median time of one forward pass over [`EVAL_EXAMPLES`] examples with their loss.
    pub ns: f64,
    pub ns_per_example: f64,
    /// Share of an every-epoch run's time spent measuring: the training and test sets
    /// ([`EVAL_EXAMPLES`] each) after each epoch of `EVAL_EXAMPLES / batch` SGD steps (the
    /// first optimizer's steps when SGD was not measured).
    pub share_of_run: f64,
}

/// Everything this module measures for one case.
pub struct CaseBreakdown {
    pub phases: Vec<PhaseRow>,
    pub backends: Vec<BackendRow>,
    pub evaluation: EvalRow,
}

/// Hears the phases of one step and keeps how long each took.
struct LapClock {
    last: Instant,
    laps: Vec<(Phase, f64)>,
}

impl LapClock {
    fn start(&mut self) {
        self.laps.clear();
        self.last = Instant::now();
    }
}

impl PhaseClock for LapClock {
    fn lap(&mut self, finished: Phase) {
        let now = Instant::now();
        self.laps
            .push((finished, (now - self.last).as_nanos() as f64));
        self.last = now;
    }
}

/// Times the phases of `case` for every optimizer of `config` (interleaved), the products per
/// backend, and an evaluation pass.
pub fn measure(config: &BenchConfig, case: &Case) -> CaseBreakdown {
    let mut cells: Vec<StepCell> = config
        .optimizers
        .iter()
        .map(|&k| StepCell::new(&case.arch, case.batch, k))
        .collect();
    let mut plan = GemmPlan::new(&case.arch, case.batch);
    let backends = backends_in_use_first();
    let (samples, gemm_samples) = sample_interleaved(config, &mut cells, &mut plan, &backends);
    let back_to_back: Vec<f64> = backends
        .iter()
        .map(|&backend| time_back_to_back(config, &mut plan, backend))
        .collect();
    let phases: Vec<PhaseRow> = cells
        .iter()
        .zip(&samples)
        .flat_map(|(cell, samples)| phase_rows(case, cell, samples))
        .collect();
    let backends = backend_rows(case, &backends, &gemm_samples, &back_to_back);
    let evaluation = measure_evaluation(config, case, baseline_step_ns(config, &phases));
    CaseBreakdown {
        phases,
        backends,
        evaluation,
    }
}

/// The backend in use first, then every other one this build has: the ratios are to the one
/// training would use, so that is the one the others are measured against.
fn backends_in_use_first() -> Vec<gemm::Backend> {
    let in_use = gemm::chosen();
    std::iter::once(in_use)
        .chain(gemm::Backend::available().filter(|&b| b != in_use))
        .collect()
}

/// Per cell, each phase's timed samples; per backend, the products' samples. One step of every
/// cell, then the products on every backend, in turn for each repetition: a burst of noise on
/// this shared machine then hits them all alike, and the shares and ratios stay comparable.
fn sample_interleaved(
    config: &BenchConfig,
    cells: &mut [StepCell],
    plan: &mut GemmPlan,
    backends: &[gemm::Backend],
) -> (Vec<BTreeMap<Phase, Vec<f64>>>, Vec<Samples>) {
    let mut clock = LapClock {
        last: Instant::now(),
        laps: Vec::with_capacity(64),
    };
    let mut samples: Vec<BTreeMap<Phase, Vec<f64>>> = vec![BTreeMap::new(); cells.len()];
    let mut gemm_samples: Vec<Samples> = backends.iter().map(|_| Samples::default()).collect();
    for rep in 0..config.warmup + config.reps {
        let timed = rep >= config.warmup;
        for (cell, samples) in cells.iter_mut().zip(&mut samples) {
            cell.prepare();
            clock.start();
            black_box(cell.step_timed(&mut clock));
            if timed {
                for &(phase, ns) in &clock.laps {
                    samples.entry(phase).or_default().push(ns);
                }
            }
        }
        for (&backend, samples) in backends.iter().zip(&mut gemm_samples) {
            let ns = super::time_ns(|| {
                plan.run_through(backend)
                    .expect("Backend::available lists only backends this build has")
            });
            if timed {
                samples.0.push(ns);
            }
        }
    }
    (samples, gemm_samples)
}

/// The median time of `backend`'s products run [`back_to_back_runs`] times in a row (after a
/// tenth as many untimed runs), as the C yardstick times them: see
/// [`BackendRow::back_to_back_ns`].
fn time_back_to_back(config: &BenchConfig, plan: &mut GemmPlan, backend: gemm::Backend) -> f64 {
    let runs = back_to_back_runs(config);
    let mut run = || {
        plan.run_through(backend)
            .expect("Backend::available lists only backends this build has")
    };
    for _ in 0..runs / 10 {
        run();
    }
    let mut samples = Samples::default();
    let start = Instant::now();
    for _ in 0..runs {
        samples.0.push(super::time_ns(&mut run));
        // Large cases (tens of ms per run) stop at the bench's own repetitions after a second.
        if samples.0.len() >= config.reps && start.elapsed() > BACK_TO_BACK_BUDGET {
            break;
        }
    }
    samples.median()
}

/// Each backend's median, and its ratio to the first's (the one in use): a ratio of medians
/// taken in the same interleaved loop is steadier than either time on a noisy machine.
fn backend_rows(
    case: &Case,
    backends: &[gemm::Backend],
    samples: &[Samples],
    back_to_back: &[f64],
) -> Vec<BackendRow> {
    let arch = case.arch.to_string();
    let default_ns = samples[0].median();
    backends
        .iter()
        .zip(samples)
        .zip(back_to_back)
        .map(|((backend, samples), &back_to_back_ns)| {
            let ns = samples.median();
            BackendRow {
                arch: arch.clone(),
                batch: case.batch,
                backend: backend.name(),
                ns,
                vs_default: ns / default_ns,
                back_to_back_ns,
            }
        })
        .collect()
}

/// The step time the evaluation's share is of: SGD's (BackProp), the paper's baseline, or the
/// first optimizer measured without it.
fn baseline_step_ns(config: &BenchConfig, phases: &[PhaseRow]) -> f64 {
    let baseline = config
        .optimizers
        .iter()
        .find(|&&k| k == OptimizerKind::Sgd)
        .unwrap_or(&config.optimizers[0])
        .name();
    phases
        .iter()
        .filter(|r| r.optimizer == baseline)
        .map(|r| r.ns)
        .sum()
}

fn phase_rows(case: &Case, cell: &StepCell, samples: &BTreeMap<Phase, Vec<f64>>) -> Vec<PhaseRow> {
    let medians: Vec<(Phase, f64)> = samples.iter().map(|(&p, v)| (p, median(v))).collect();
    let total: f64 = medians.iter().map(|(_, ns)| ns).sum();
    let (layout, b) = (cell.layout(), case.batch);
    medians
        .into_iter()
        .map(|(phase, ns)| {
            let work = Work::of(phase, layout, b);
            PhaseRow {
                arch: case.arch.to_string(),
                batch: b,
                optimizer: cell.optimizer().name(),
                phase: phase.kind(),
                layer: phase.layer(),
                ns,
                share: ns / total,
                elements: work.elements,
                ns_per_element: work.elements.map(|n| ns / n as f64),
                gflops: work.flops.map(|f| f as f64 / ns),
            }
        })
        .collect()
}

/// The size of a phase's work: values touched, or floating-point operations of a product.
struct Work {
    elements: Option<usize>,
    flops: Option<u64>,
}

impl Work {
    fn of(phase: Phase, layout: &Layout, batch: usize) -> Work {
        let arch = layout.arch();
        let shape = |l: usize| layout.layer_shape(l);
        let elements = |n: usize| Work {
            elements: Some(n),
            flops: None,
        };
        match phase {
            Phase::Gather => elements(batch * (arch.input_width() + arch.output_width())),
            Phase::Activation { layer } => elements(batch * shape(layer).1),
            Phase::OutputError => elements(batch * arch.output_width()),
            Phase::ActivationDerivative { layer } => elements(batch * shape(layer).0),
            Phase::Update { layer } => elements(layout.layer_range(layer).len()),
            Phase::ForwardProduct { layer }
            | Phase::WeightGradient { layer }
            | Phase::BackpropProduct { layer } => {
                let (n_in, n_out) = shape(layer);
                Work {
                    elements: None,
                    flops: Some(2 * (batch * n_in * n_out) as u64),
                }
            }
        }
    }
}

/// One evaluation pass over [`EVAL_EXAMPLES`] teacher examples, timed, and its share of an
/// every-epoch run given a training step of `step_ns`.
fn measure_evaluation(config: &BenchConfig, case: &Case, step_ns: f64) -> EvalRow {
    let layout = Layout::new(case.arch.clone()).expect("benchmark architectures are small");
    let (n_in, n_out) = (case.arch.input_width(), case.arch.output_width());
    let data = teacher::teacher_student(n_in, n_out, EVAL_EXAMPLES, 0)
        .expect("benchmark data fits in memory");
    let params = init::initial_params(&layout, Init::Lecun, 0).expect("benchmark weights fit");
    let mut trainer = Trainer::new(layout, params, case.batch).expect("benchmark buffers fit");
    let mut times = Samples::default();
    for rep in 0..config.warmup + config.reps {
        let ns = super::time_ns(|| {
            black_box(trainer.evaluate(&data.test));
        });
        if rep >= config.warmup {
            times.0.push(ns);
        }
    }
    let ns = times.median();
    let steps_per_epoch = EVAL_EXAMPLES.div_ceil(case.batch) as f64;
    EvalRow {
        arch: case.arch.to_string(),
        batch: case.batch,
        ns,
        ns_per_example: ns / EVAL_EXAMPLES as f64,
        share_of_run: 2.0 * ns / (2.0 * ns + steps_per_epoch * step_ns),
    }
}
