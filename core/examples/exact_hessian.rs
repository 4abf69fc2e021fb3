//! The landscape study's curvature estimators against the exact Hessian spectrum of a small net:
//! a 20-40-30-10 student (2,300 weights) on the teacher task with 500 training rows, at
//! initialization and after 30 epochs of BackProp, with the study's default settings.
//!
//! `cargo run --release -p rbp-core --features exact-hessian --example exact_hessian [seed]`

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rbp_core::curvature::exact::{ExactSpectrum, hessian_spectrum, uniform_measure};
use rbp_core::curvature::lanczos::top_eigenvalues;
use rbp_core::curvature::spectrum::{
    Quadrature, density_on_grid, hutchinson_trace, quadrature_trace, rademacher,
    stochastic_lanczos_quadrature,
};
use rbp_core::curvature::{Curvature, HessianOperator};
use rbp_core::data::teacher;
use rbp_core::init::{Init, initial_params};
use rbp_core::net::Layout;
use rbp_core::optim::{Hyper, Optimizer, OptimizerKind};
use rbp_core::seed::{self, Stream};
use rbp_core::train::{Recording, Run, Schedule};

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let seed: u64 = match std::env::args().nth(1) {
        Some(s) => s
            .parse()
            .map_err(|_| format!("seed `{s}` is not a whole number"))?,
        None => 3,
    };
    let layout = Layout::new("20-40-30-10".parse()?)?;
    let data = teacher::teacher_student(20, 10, 500, seed)?;
    let init = initial_params(&layout, Init::Lecun, seed)?;
    let opt = Optimizer::new(
        OptimizerKind::Sgd,
        &Hyper::default(),
        layout.param_count(),
        seed::stream_seed(seed, Stream::Coin),
    )?;
    let schedule = Schedule {
        batch: 50,
        epochs: 30,
        record: Recording::EveryEpoch,
    };
    let mut run = Run::start(
        &layout,
        init.clone(),
        &data,
        opt,
        schedule,
        seed::rng(seed, Stream::Order),
    )?;
    while !run.is_finished() {
        run.train_epoch();
    }
    let (_, trained) = run.finish();
    println!("20-40-30-10 on the teacher task, 500 rows, seed {seed}; study defaults:");
    println!("top 5 from 30 Lanczos steps, 30 Hutchinson probes, SLQ 3 probes x 30 nodes");
    for (name, params) in [
        ("initialization", init),
        ("after 30 epochs of BackProp", trained),
    ] {
        let mut curvature = Curvature::new(layout.clone(), &params, &data.train)?;
        compare(name, &mut curvature)?;
    }
    Ok(())
}

/// Prints one point's exact figures beside the estimators'.
fn compare(name: &str, curvature: &mut Curvature) -> Result<(), Error> {
    let exact = hessian_spectrum(curvature)?;
    let values = &exact.eigen.values;
    let n = values.len();
    let mut op = HessianOperator::new(curvature);
    let start = rademacher(n, &mut ChaCha8Rng::seed_from_u64(1));
    let top = top_eigenvalues(&mut op, &start, 5, 30)?;
    let trace = hutchinson_trace(&mut op, 30, 2);
    let quads = stochastic_lanczos_quadrature(&mut op, 3, 30, 4)?;
    let slq_trace = quadrature_trace(&quads, n);
    println!(
        "\n{name}: {n} weights, asymmetry removed {:.1e}",
        exact.hessian.asymmetry
    );
    println!(
        "  {:<10} {:>14} {:>14} {:>10}",
        "", "exact", "estimate", "error"
    );
    for (i, ritz) in top.iter().enumerate() {
        let want = values[n - 1 - i];
        let label = format!("lambda_{}", i + 1);
        row(
            &label,
            want,
            ritz.value,
            &format!("{:.1e}", (ritz.value - want).abs()),
        );
    }
    let sum: f64 = values.iter().sum();
    // With 3 probes the standard error is itself a rough guess (2 degrees of freedom).
    let z = |e: f64, se: f64| {
        format!(
            "{:+.1}% ({:+.1} SE)",
            100.0 * (e / sum - 1.0),
            (e - sum) / se
        )
    };
    row(
        "Hutchinson",
        sum,
        trace.mean,
        &z(trace.mean, trace.std_error),
    );
    row(
        "SLQ trace",
        sum,
        slq_trace.mean,
        &z(slq_trace.mean, slq_trace.std_error),
    );
    let second = |q: &Quadrature| q.nodes.iter().zip(&q.weights).map(|(x, w)| w * x * x).sum();
    let slq_second = quads.iter().map(second).sum::<f64>() / quads.len() as f64;
    let exact_second = second(&uniform_measure(values));
    let relative = format!("{:+.1}%", 100.0 * (slq_second / exact_second - 1.0));
    row("SLQ lam^2", exact_second, slq_second, &relative);
    println!("  largest gap between the smoothed distribution functions (sigma = 1% of span):");
    println!("    SLQ {:.4} of the mass", mass_gap(&exact, &quads));
    Ok(())
}

fn row(label: &str, exact: f64, estimate: f64, error: &str) {
    println!("  {label:<10} {exact:>14.6e} {estimate:>14.6e} {error:>18}");
}

/// `sup_t |F_slq(t) - F_exact(t)|` of the two densities smoothed as the study plots them.
fn mass_gap(exact: &ExactSpectrum, quads: &[Quadrature]) -> f64 {
    let values = &exact.eigen.values;
    let (lo, hi) = (values[0], values[values.len() - 1]);
    let span = hi - lo;
    let dt = span / 2000.0;
    let grid: Vec<f64> = (0..=2400)
        .map(|i| lo - 0.1 * span + dt * i as f64)
        .collect();
    let cdf = |qs: &[Quadrature]| -> Vec<f64> {
        density_on_grid(qs, &grid, 0.01 * span)
            .iter()
            .scan(0.0, |acc, d| {
                *acc += d * dt;
                Some(*acc)
            })
            .collect()
    };
    let (a, b) = (cdf(quads), cdf(&[uniform_measure(values)]));
    a.iter().zip(&b).fold(0.0, |m, (x, y)| m.max((x - y).abs()))
}
