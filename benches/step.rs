//! A full training step per optimizer, its GEMM-only part, and OpenBLAS against matrixmultiply on
//! the same GEMMs, for the three cases. Throughput is examples per second for steps and
//! FLOP/s for the GEMM groups.
//!
//! The per-kernel comparisons (fused SIMD vs scalar vs naive ndarray) live in the kernels crate's
//! own bench; this one measures the whole step the user waits for. `rbp bench` prints the same
//! comparison as a table without criterion.

use criterion::{Criterion, Throughput};
use rbp_core::gemm;
use rbp_core::optim::OptimizerKind;
use rbp_lab::experiment::bench::{Backend, GemmPlan, StepCell, default_cases};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn bench_steps(c: &mut Criterion) {
    for case in default_cases() {
        let name = format!("{}_b{}", case.arch, case.batch);
        let mut g = c.benchmark_group(format!("step/{name}"));
        g.throughput(Throughput::Elements(case.batch as u64));
        for kind in OptimizerKind::ALL {
            let mut cell = StepCell::new(&case.arch, case.batch, kind);
            g.bench_function(kind.name(), |b| {
                // Only the steps are timed: the cell's periodic restart is not.
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        cell.prepare();
                        let start = Instant::now();
                        black_box(cell.step());
                        total += start.elapsed();
                    }
                    total
                })
            });
        }
        g.finish();

        let mut plan = GemmPlan::new(&case.arch, case.batch);
        let mut g = c.benchmark_group(format!("gemm/{name}"));
        g.throughput(Throughput::Elements(plan.flops()));
        for (label, backend) in [
            ("openblas", Backend::Default),
            ("matrixmultiply", Backend::Fallback),
        ] {
            if backend == Backend::Default && !gemm::HAS_OPENBLAS {
                continue; // the default *is* matrixmultiply then
            }
            g.bench_function(label, |b| b.iter(|| plan.run(black_box(backend))));
        }
        g.finish();
    }
}

fn main() {
    // OpenBLAS 0.3.21 picks generic kernels on this CPU unless told the core; do what `rbp` does.
    gemm::restart_with_fast_core();
    gemm::set_threads(1);
    eprintln!(
        "GEMM: {}, {} thread(s); kernels: {}",
        gemm::backend_name(),
        gemm::threads(),
        rbp_core::kernel_level()
    );
    // Short windows keep a full `cargo bench` within minutes; the largest case (~20 ms a step)
    // still gets its 10 samples.
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(10)
        .configure_from_args();
    bench_steps(&mut c);
    c.final_summary();
}
