//! A full training step per optimizer, its GEMM-only part, and every GEMM backend the build has
//! (OpenBLAS, matrixmultiply) against the pure-Rust `gemm` crate on the same GEMMs, for the
//! issue's three cases. Throughput is examples per second for steps and FLOP/s for the GEMM
//! groups.
//!
//! The per-kernel comparisons (fused SIMD vs scalar vs naive ndarray) live in the kernels crate's
//! own bench; this one measures the whole step the user waits for. `rbp bench` prints the same
//! comparison as a table without criterion.

use criterion::{Criterion, Throughput};
use rbp_core::gemm::{self as blas, MatRef, ShapeError, Trans};
use rbp_core::optim::OptimizerKind;
use rbp_lab::experiment::bench::{GemmPlan, StepCell, default_cases};
use std::hint::black_box;
use std::time::{Duration, Instant};

// The binary's own restart code, compiled in here: a bench cannot reach a binary crate's modules,
// and it must measure the kernels `rbp` runs with.
#[path = "../src/relaunch.rs"]
mod relaunch;

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
        for backend in blas::Backend::available() {
            g.bench_function(backend.name(), |b| {
                b.iter(|| {
                    plan.run_through(black_box(backend))
                        .expect("Backend::available lists only backends this build has")
                })
            });
        }
        g.bench_function("gemm-crate", |b| b.iter(|| plan.run_with(gemm_crate)));
        g.finish();
    }
}

/// The `gemm` crate (0.18, stable Rust: AVX2/FMA kernels at most) behind `rbp_core::gemm::sgemm`'s
/// contract: row-major views, shapes checked before any pointer is used.
fn gemm_crate(
    alpha: f32,
    a: MatRef,
    ta: Trans,
    b: MatRef,
    tb: Trans,
    beta: f32,
    c: &mut [f32],
) -> Result<(), ShapeError> {
    let (m, n, k) = blas::product_shape(a, ta, b, tb, c.len())?;
    let (a_rs, a_cs) = a.strides(ta);
    let (b_rs, b_cs) = b.strides(tb);
    // SAFETY: `MatRef` guarantees each buffer holds rows x cols values, so op(a) (m x k) and
    // op(b) (k x n) stay inside them with these strides, and `product_shape` checked that `c`
    // holds m x n.
    // The crate computes dst = alpha dst + beta lhs rhs: its alpha is our beta and vice versa.
    unsafe {
        ::gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            beta != 0.0,
            a.data().as_ptr(),
            a_cs,
            a_rs,
            b.data().as_ptr(),
            b_cs,
            b_rs,
            beta,
            alpha,
            false,
            false,
            false,
            ::gemm::Parallelism::None,
        );
    }
    Ok(())
}

/// Checks the adapter against matrixmultiply on every transposition before timing it: a wrong
/// stride would otherwise be timed as a fast GEMM.
fn check_gemm_crate() {
    let (m, k, n) = (7, 5, 3);
    let a: Vec<f32> = (0..m * k).map(|i| (i % 11) as f32 - 5.0).collect();
    let b: Vec<f32> = (0..k * n).map(|i| (i % 7) as f32 - 3.0).collect();
    for ta in [Trans::No, Trans::Yes] {
        for tb in [Trans::No, Trans::Yes] {
            let shape = |t, r, c| if t == Trans::No { (r, c) } else { (c, r) };
            let (ar, ac) = shape(ta, m, k);
            let (br, bc) = shape(tb, k, n);
            let a = MatRef::new(&a, ar, ac).unwrap();
            let b = MatRef::new(&b, br, bc).unwrap();
            let (mut want, mut got) = (vec![1.0f32; m * n], vec![1.0f32; m * n]);
            blas::fallback::sgemm(0.5, a, ta, b, tb, 2.0, &mut want).unwrap();
            gemm_crate(0.5, a, ta, b, tb, 2.0, &mut got).unwrap();
            // Small integers: every product and sum is exact in f32, in any order.
            assert_eq!(want, got, "gemm crate adapter, {ta:?} {tb:?}");
        }
    }
}

fn main() {
    check_gemm_crate();
    rbp_lab::environment::configure().unwrap_or_else(|e| panic!("{e}"));
    // OpenBLAS 0.3.21 picks generic kernels on this CPU unless told the core; do what `rbp` does.
    relaunch::restart_with_fast_core();
    blas::set_threads(1);
    eprintln!(
        "GEMM: {}, {} thread(s); kernels: {}",
        blas::backend_name(),
        blas::threads(),
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
