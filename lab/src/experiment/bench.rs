//! `rbp bench`: how fast a training step is and what it costs in memory, per architecture and
//! optimizer, as a table anyone can read without criterion (and as JSON).
//!
//! The machine this runs on is usually shared and noisy, so every figure is a median over many
//! repetitions, and the repetitions of the cells being compared are interleaved (one step of each
//! optimizer in turn): a burst of noise then hits all of them alike, and the ratios printed (to
//! Adam, to the GEMM time) stay meaningful even when absolute times wander.

mod breakdown_table;
pub mod cells;
mod machine;
pub mod phases;
mod table;

pub use cells::{GemmPlan, StepCell, UpdateCell};
pub use machine::Machine;
pub use phases::{BackendRow, EvalRow, PhaseRow};
pub use table::{render, verdicts};

use crate::alloc_count::{self, Counts};
use rbp_core::net::Arch;
use rbp_core::optim::{Hyper, OptimizerKind, Reinforce};
use serde::Serialize;
use std::hint::black_box;
use std::time::Instant;

/// One architecture at one batch size.
#[derive(Clone, Debug)]
pub struct Case {
    pub arch: Arch,
    pub batch: usize,
}

/// The cases of the issue: the paper's toy net and an MNIST-sized one at batch 100, and a wide
/// MNIST net at batch 256 whose GEMMs are large enough to be compute bound.
pub fn default_cases() -> Vec<Case> {
    [
        ("100-400-200-10", 100),
        ("784-100-200-10", 100),
        ("784-1024-1024-10", 256),
    ]
    .into_iter()
    .map(|(a, batch)| Case {
        arch: a.parse().expect("built-in architectures parse"),
        batch,
    })
    .collect()
}

/// Parameter counts at which the updates are also timed alone: the toy net's and 4M, as in the
/// kernels crate's bench. Interleaved with each other here, every call finds its data in L3 (at
/// 122k) or streams it from L3 and DRAM (at 4M): the memory-bound regime, where R-BackProp's
/// 20 bytes per weight against Adam's 28 bound the ratio at 0.714x. The kernels bench calls each
/// kernel back to back instead, so at 122k the data stays in L2 and arithmetic counts.
pub const UPDATE_SIZES: [usize; 2] = [122_000, 4_000_000];

/// What to measure.
#[derive(Clone, Debug)]
pub struct BenchConfig {
    pub cases: Vec<Case>,
    pub optimizers: Vec<OptimizerKind>,
    /// Untimed steps before measuring (caches, page faults, OpenBLAS's first-call setup).
    pub warmup: usize,
    /// Timed repetitions per cell; figures are medians over them.
    pub reps: usize,
    pub update_sizes: Vec<usize>,
}

impl BenchConfig {
    pub fn new(reps: usize) -> BenchConfig {
        BenchConfig {
            cases: default_cases(),
            optimizers: OptimizerKind::ALL.to_vec(),
            warmup: (reps / 10).max(3),
            reps: reps.max(1),
            update_sizes: UPDATE_SIZES.to_vec(),
        }
    }
}

/// One measured cell. `kind` is `"step"` for an architecture's training step and `"update"` for
/// an optimizer update alone over `params` weights (then `arch` is `"-"`, `batch` 0 and the step
/// figures are absent).
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub kind: &'static str,
    pub arch: String,
    pub batch: usize,
    pub optimizer: &'static str,
    pub params: usize,
    /// Median wall time of a full training step.
    pub step_ns: Option<f64>,
    /// Median wall time of the step's matrix products alone (the same for every optimizer).
    pub gemm_ns: Option<f64>,
    /// Median wall time of the optimizer update alone over all weights.
    pub update_ns: f64,
    /// Bytes of optimizer state, exact.
    pub state_bytes: usize,
    pub bytes_per_param: f64,
    /// Mean heap allocations per step (per update for `"update"` rows); `None` when the counting
    /// allocator is not installed, so nothing could be counted.
    pub allocs_per_step: Option<f64>,
    pub heap_bytes_per_step: Option<f64>,
    pub examples_per_s: Option<f64>,
    /// GEMM time over step time.
    pub gemm_share: Option<f64>,
    /// Step time over Adam's step time in the same case.
    pub step_vs_adam: Option<f64>,
    /// Update time over Adam's update time in the same case.
    pub update_vs_adam: Option<f64>,
}

/// Everything one `rbp bench` measures, with the machine it ran on.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub machine: Machine,
    /// Steps per case and optimizer, then updates alone.
    pub rows: Vec<Row>,
    /// Each step's phases, per case, optimizer and layer.
    pub phases: Vec<PhaseRow>,
    /// The step's products per GEMM backend.
    pub gemm_backends: Vec<BackendRow>,
    /// What measuring errors costs, per case.
    pub evaluation: Vec<EvalRow>,
}

/// Measures every case and update size of `config`; `log` hears which one is running.
pub fn run(config: &BenchConfig, log: &mut dyn FnMut(&str)) -> Report {
    let mut rows = Vec::new();
    let (mut phases, mut gemm_backends, mut evaluation) = (Vec::new(), Vec::new(), Vec::new());
    for case in &config.cases {
        log(&format!("{} batch {}", case.arch, case.batch));
        rows.extend(measure_case(config, case));
        log(&format!("{} batch {}: phases", case.arch, case.batch));
        let breakdown = phases::measure(config, case);
        phases.extend(breakdown.phases);
        gemm_backends.extend(breakdown.backends);
        evaluation.push(breakdown.evaluation);
    }
    for &n in &config.update_sizes {
        log(&format!("updates alone over {n} weights"));
        rows.extend(measure_updates(config, n));
    }
    add_ratios(&mut rows);
    Report {
        machine: Machine::this(),
        rows,
        phases,
        gemm_backends,
        evaluation,
    }
}

/// Samples of one quantity, in nanoseconds.
#[derive(Default)]
pub(crate) struct Samples(pub(crate) Vec<f64>);

impl Samples {
    fn time(&mut self, f: impl FnOnce()) {
        self.0.push(time_ns(f));
    }
    pub(crate) fn median(&self) -> f64 {
        crate::stats::median(&self.0)
    }
}

/// Wall time of one call of `f`, in nanoseconds.
pub(crate) fn time_ns(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_nanos() as f64
}

/// Per-cell accumulators: times and the heap traffic of the timed calls.
#[derive(Default)]
struct Tally {
    main: Samples,
    update: Samples,
    heap: Counts,
}

impl Tally {
    /// Times `f` and adds what it allocated (process-wide, so allocations on any thread count).
    fn time_counting(&mut self, f: impl FnOnce()) {
        let before = Counts::global();
        let ns = time_ns(f);
        self.heap += Counts::global().since(before);
        // Recorded after counting: the samples vector growing is the bench's allocation, not the
        // step's.
        self.main.0.push(ns);
    }
    fn per_call(&self, counted: bool) -> (Option<f64>, Option<f64>) {
        let n = self.main.0.len().max(1) as f64;
        if counted {
            (
                Some(self.heap.allocs as f64 / n),
                Some(self.heap.bytes as f64 / n),
            )
        } else {
            (None, None)
        }
    }
}

fn measure_case(config: &BenchConfig, case: &Case) -> Vec<Row> {
    let mut steps: Vec<StepCell> = config
        .optimizers
        .iter()
        .map(|&k| StepCell::new(&case.arch, case.batch, k))
        .collect();
    let n = case.arch.weight_count() as usize;
    let mut updates: Vec<UpdateCell> = config
        .optimizers
        .iter()
        .map(|&k| UpdateCell::new(k, n))
        .collect();
    let mut gemm = GemmPlan::new(&case.arch, case.batch);
    for _ in 0..config.warmup {
        gemm.run();
        steps.iter_mut().for_each(|s| {
            s.prepare();
            black_box(s.step());
        });
        updates.iter_mut().for_each(UpdateCell::update);
    }
    let mut gemm_times = Samples::default();
    let mut tallies: Vec<Tally> = steps.iter().map(|_| Tally::default()).collect();
    for _ in 0..config.reps {
        gemm_times.time(|| gemm.run());
        for ((step, update), tally) in steps.iter_mut().zip(&mut updates).zip(&mut tallies) {
            step.prepare();
            tally.time_counting(|| {
                black_box(step.step());
            });
            tally.update.time(|| update.update());
        }
    }
    let counted = alloc_count::is_installed();
    let gemm_ns = gemm_times.median();
    steps
        .iter()
        .zip(&tallies)
        .map(|(cell, tally)| {
            let step_ns = tally.main.median();
            let (allocs, bytes) = tally.per_call(counted);
            let state = cell.optimizer().state_bytes();
            Row {
                kind: "step",
                arch: case.arch.to_string(),
                batch: case.batch,
                optimizer: cell.optimizer().name(),
                params: cell.param_count(),
                step_ns: Some(step_ns),
                gemm_ns: Some(gemm_ns),
                update_ns: tally.update.median(),
                state_bytes: state,
                bytes_per_param: state as f64 / cell.param_count() as f64,
                allocs_per_step: allocs,
                heap_bytes_per_step: bytes,
                examples_per_s: Some(case.batch as f64 / (step_ns * 1e-9)),
                gemm_share: Some(gemm_ns / step_ns),
                step_vs_adam: None,
                update_vs_adam: None,
            }
        })
        .collect()
}

/// Name of the row of R-BackProp's random-sign noise control (a reinforcement, not an optimizer
/// kind, so it has no [`OptimizerKind::name`]).
pub const RANDOM_SIGN_ROW: &str = "rbp random-sign";

/// The updates timed alone: each optimizer, and R-BackProp's noise control beside R-BackProp
/// (its own kernel: two coins per weight instead of one).
fn update_cells(config: &BenchConfig, n: usize) -> Vec<(&'static str, UpdateCell)> {
    let mut cells: Vec<(&'static str, UpdateCell)> = config
        .optimizers
        .iter()
        .map(|&k| (k.name(), UpdateCell::new(k, n)))
        .collect();
    if config.optimizers.contains(&OptimizerKind::Rbp) {
        let mut noise = Hyper::default();
        noise.rbp.reinforce = Reinforce::RandomSign;
        let cell = UpdateCell::with_hyper(OptimizerKind::Rbp, &noise, n);
        cells.push((RANDOM_SIGN_ROW, cell));
    }
    cells
}

fn measure_updates(config: &BenchConfig, n: usize) -> Vec<Row> {
    let (names, mut cells): (Vec<&'static str>, Vec<UpdateCell>) =
        update_cells(config, n).into_iter().unzip();
    for _ in 0..config.warmup {
        cells.iter_mut().for_each(UpdateCell::update);
    }
    let mut tallies: Vec<Tally> = cells.iter().map(|_| Tally::default()).collect();
    for _ in 0..config.reps {
        for (cell, tally) in cells.iter_mut().zip(&mut tallies) {
            tally.time_counting(|| cell.update());
        }
    }
    let counted = alloc_count::is_installed();
    cells
        .iter()
        .zip(&tallies)
        .zip(names)
        .map(|((cell, tally), name)| {
            let (allocs, bytes) = tally.per_call(counted);
            let state = cell.optimizer().state_bytes();
            Row {
                kind: "update",
                arch: "-".into(),
                batch: 0,
                optimizer: name,
                params: n,
                step_ns: None,
                gemm_ns: None,
                update_ns: tally.main.median(),
                state_bytes: state,
                bytes_per_param: state as f64 / n as f64,
                allocs_per_step: allocs,
                heap_bytes_per_step: bytes,
                examples_per_s: None,
                gemm_share: None,
                step_vs_adam: None,
                update_vs_adam: None,
            }
        })
        .collect()
}

/// Fills each row's ratios to the Adam row of the same case (left empty when Adam was not run).
fn add_ratios(rows: &mut [Row]) {
    let adam: Vec<(String, usize, usize, Option<f64>, f64)> = rows
        .iter()
        .filter(|r| r.optimizer == OptimizerKind::Adam.name())
        .map(|r| (r.arch.clone(), r.batch, r.params, r.step_ns, r.update_ns))
        .collect();
    for r in rows.iter_mut() {
        let Some((_, _, _, adam_step, adam_update)) = adam
            .iter()
            .find(|a| a.0 == r.arch && a.1 == r.batch && a.2 == r.params)
        else {
            continue;
        };
        r.step_vs_adam = r.step_ns.zip(*adam_step).map(|(s, a)| s / a);
        r.update_vs_adam = Some(r.update_ns / adam_update);
    }
}

/// The report as pretty-printed JSON: `machine`, `rows`, `phases`, `gemm_backends`, `evaluation`.
pub fn to_json(report: &Report) -> String {
    serde_json::to_string_pretty(report).expect("bench reports serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> BenchConfig {
        BenchConfig {
            cases: vec![Case {
                arch: "12-8-6-3".parse().unwrap(),
                batch: 4,
            }],
            optimizers: OptimizerKind::ALL.to_vec(),
            warmup: 1,
            reps: 3,
            update_sizes: vec![100],
        }
    }

    #[test]
    fn rows_cover_every_cell_and_serialize_with_the_documented_keys() {
        let report = run(&tiny(), &mut |_| {});
        let rows = &report.rows;
        // One step row and one update row per optimizer, and the noise control's update row.
        let n = OptimizerKind::ALL.len();
        assert_eq!(rows.len(), 2 * n + 1);
        assert_eq!(
            rows.iter()
                .filter(|r| r.optimizer == RANDOM_SIGN_ROW)
                .count(),
            1
        );
        let json: serde_json::Value = serde_json::from_str(&to_json(&report)).unwrap();
        assert_eq!(json["machine"]["kernels"], rbp_core::kernel_level());
        assert!(json["machine"]["cpu"].is_string());
        let objects = json["rows"].as_array().unwrap();
        for key in [
            "arch",
            "batch",
            "optimizer",
            "step_ns",
            "gemm_ns",
            "update_ns",
            "state_bytes",
            "allocs_per_step",
        ] {
            assert!(objects.iter().all(|o| o.get(key).is_some()), "{key}");
        }
        let step = &objects[0];
        assert_eq!(step["arch"], "12-8-6-3");
        assert_eq!(step["batch"], 4);
        assert_eq!(step["optimizer"], "sgd");
        assert_eq!(step["state_bytes"], 0);
    }

    #[test]
    fn the_phase_breakdown_covers_every_phase_of_every_step_once() {
        let report = run(&tiny(), &mut |_| {});
        // 12-8-6-3: three layers; per optimizer: gather, output error, 3 forward products,
        // 3 activations, 3 weight-gradient products, 2 backprop products, 2 derivatives, 3 updates.
        let per_step = 2 + 3 + 3 + 3 + 2 + 2 + 3;
        assert_eq!(report.phases.len(), OptimizerKind::ALL.len() * per_step);
        for kind in OptimizerKind::ALL {
            let rows: Vec<&PhaseRow> = report
                .phases
                .iter()
                .filter(|r| r.optimizer == kind.name())
                .collect();
            let shares: f64 = rows.iter().map(|r| r.share).sum();
            assert!(
                (shares - 1.0).abs() < 1e-9,
                "{kind}: shares sum to {shares}"
            );
            for r in rows {
                // Products have a throughput, everything else a per-element cost.
                let product = r.phase.ends_with("product");
                assert_eq!(r.gflops.is_some(), product, "{}", r.phase);
                assert_eq!(r.ns_per_element.is_some(), !product, "{}", r.phase);
            }
        }
        let update_2 = report
            .phases
            .iter()
            .find(|r| r.phase == "update" && r.layer == Some(2))
            .unwrap();
        assert_eq!(update_2.elements, Some(6 * 3));
        // The backend in use (the default: tests choose none) first, then every other one the
        // build has, each once.
        let names: Vec<&str> = report.gemm_backends.iter().map(|r| r.backend).collect();
        let expected: &[&str] = if rbp_core::gemm::HAS_OPENBLAS {
            &["openblas", "matrixmultiply"]
        } else {
            &["matrixmultiply"]
        };
        assert_eq!(names, expected);
        assert_eq!(report.gemm_backends[0].vs_default, 1.0);
        let eval = &report.evaluation[0];
        assert!(eval.share_of_run > 0.0 && eval.share_of_run < 1.0);
        assert!(render(&report).contains("Where a step's time goes: 12-8-6-3, batch 4"));
    }

    #[test]
    fn ratios_are_to_adam_of_the_same_case_and_state_is_exact() {
        let rows = run(&tiny(), &mut |_| {}).rows;
        for r in &rows {
            let n = r.params;
            let expected_state = match r.optimizer {
                "sgd" | "scaled-sgd" => 0,
                "rbp" | RANDOM_SIGN_ROW => 4 * n + 8,
                "momentum" | "raw-twin" => 4 * n,
                "adam" => 8 * n,
                other => panic!("unexpected row {other}"),
            };
            assert_eq!(r.state_bytes, expected_state, "{}", r.optimizer);
            if r.optimizer == "adam" {
                assert_eq!(r.update_vs_adam, Some(1.0));
            }
        }
        assert_eq!(rows[0].params, 12 * 8 + 8 * 6 + 6 * 3);
    }

    #[test]
    fn without_the_counting_allocator_allocations_are_not_claimed() {
        // Unit tests run without `CountingAlloc`, so nothing can be counted: the table must say
        // so rather than print zeros.
        let report = run(&tiny(), &mut |_| {});
        assert!(report.rows.iter().all(|r| r.allocs_per_step.is_none()));
        let v = verdicts(&report.rows);
        assert_eq!(v.last().unwrap().met, None);
        assert!(render(&report).contains("n/a"));
    }
}
