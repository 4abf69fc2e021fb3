//! The curvature estimators against the exact Hessian spectrum of a small net (feature
//! `exact-hessian`: LAPACK through ndarray-linalg and the system OpenBLAS).
//!
//! A 20-40-30-10 student (2,300 weights) on the paper's teacher task with 500 training rows, at
//! initialization and after 30 epochs of BackProp. Its Hessian is assembled from 2,300 exact
//! products and decomposed by LAPACK; Lanczos, Hutchinson and stochastic Lanczos quadrature run
//! with the landscape study's default settings (top 5 from 30 steps, 30 trace probes, 30 nodes per
//! quadrature probe) and must agree with it within the tolerances argued at each assertion.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rbp_core::curvature::exact::{
    Eigen, ExactSpectrum, assemble, eigen_decomposition, eigenvalues, hessian_spectrum,
    uniform_measure,
};
use rbp_core::curvature::lanczos::top_eigenvalues;
use rbp_core::curvature::spectrum::{
    Estimate, Quadrature, density_on_grid, hutchinson_trace, quadrature_trace, rademacher,
    stochastic_lanczos_quadrature,
};
use rbp_core::curvature::{Curvature, DenseSymmetric, HessianOperator};
use rbp_core::data::{TrainTest, teacher};
use rbp_core::init::{Init, initial_params};
use rbp_core::net::Layout;
use rbp_core::optim::{Hyper, Optimizer, OptimizerKind};
use rbp_core::seed::{self, Stream};
use rbp_core::train::{Recording, Run, Schedule};
use std::sync::OnceLock;

/// The landscape study's defaults (`ProbeConfig::default` in rbp-lab).
const TOP_K: usize = 5;
const LANCZOS_STEPS: usize = 30;
const TRACE_PROBES: usize = 30;
const DENSITY_STEPS: usize = 30;
/// More quadrature probes than the study's 3, so their standard error is itself reliable.
const DENSITY_PROBES: usize = 30;
/// Deviations beyond this many standard errors fail: a mean of 30 probes lands outside with
/// probability about 0.0005 if it is normal (0.0015 with an estimated error, Student t with 29
/// degrees of freedom); the probes' terms have heavier tails than normal, so read it as rare, not
/// as an exact level. The seeds are fixed, so a pass is reproducible.
const Z: f64 = 3.5;

/// One point of the loss and its exact spectrum.
struct Point {
    name: &'static str,
    params: Vec<f32>,
    exact: ExactSpectrum,
}

struct Fixture {
    layout: Layout,
    data: TrainTest,
    points: Vec<Point>,
}

/// Built once per test binary: assembling and decomposing the two Hessians is the slow part.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let seed = 3;
        let layout = Layout::new("20-40-30-10".parse().unwrap()).unwrap();
        let data = teacher::teacher_student(20, 10, 500, seed).unwrap();
        let init = initial_params(&layout, Init::Lecun, seed).unwrap();
        let trained = trained_params(&layout, init.clone(), &data, seed);
        let points = [("initialization", init), ("after 30 epochs", trained)]
            .into_iter()
            .map(|(name, params)| {
                let mut curvature = Curvature::new(layout.clone(), &params, &data.train).unwrap();
                let exact = hessian_spectrum(&mut curvature).unwrap();
                Point {
                    name,
                    params,
                    exact,
                }
            })
            .collect();
        Fixture {
            layout,
            data,
            points,
        }
    })
}

/// 30 epochs of BackProp with the paper's learning rate, batches of 50.
fn trained_params(layout: &Layout, params: Vec<f32>, data: &TrainTest, seed: u64) -> Vec<f32> {
    let coin = seed::stream_seed(seed, Stream::Coin);
    let opt = Optimizer::new(
        OptimizerKind::Sgd,
        &Hyper::default(),
        layout.param_count(),
        coin,
    )
    .unwrap();
    let schedule = Schedule {
        batch: 50,
        epochs: 30,
        record: Recording::EveryEpoch,
    };
    let order = seed::rng(seed, Stream::Order);
    let mut run = Run::start(layout, params, data, opt, schedule, order).unwrap();
    while !run.is_finished() {
        run.train_epoch();
    }
    let (records, params) = run.finish();
    let (first, last) = (&records[0], records.last().unwrap());
    assert!(
        last.train_error < first.train_error,
        "training must move the net"
    );
    params
}

fn curvature_at(point: &Point) -> Curvature<'static> {
    let f = fixture();
    Curvature::new(f.layout.clone(), &point.params, &f.data.train).unwrap()
}

fn spectral_norm(eigen: &Eigen) -> f64 {
    eigen.values.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

/// The 3x3 second-difference matrix has eigenvalues `2 - sqrt 2`, `2`, `2 + sqrt 2` with
/// eigenvectors `(1, -+sqrt 2, 1) / 2` and `(1, 0, -1) / sqrt 2`: the reference is trusted only
/// if LAPACK reproduces them.
#[test]
fn the_dense_eigensolver_solves_a_hand_case() {
    let a = DenseSymmetric::new(3, vec![2.0, -1.0, 0.0, -1.0, 2.0, -1.0, 0.0, -1.0, 2.0]).unwrap();
    let s = 2f64.sqrt();
    let want = [2.0 - s, 2.0, 2.0 + s];
    // dsyev is backward stable: errors of a few ulps of |A| = 3.4.
    let tol = 1e-14;
    for (got, want) in eigenvalues(&a).unwrap().iter().zip(want) {
        assert!((got - want).abs() < tol, "{got} vs {want}");
    }
    let eigen = eigen_decomposition(&a).unwrap();
    let vectors = [
        [0.5, s / 2.0, 0.5],
        [1.0 / s, 0.0, -1.0 / s],
        [0.5, -s / 2.0, 0.5],
    ];
    for ((got, want), value) in eigen.vectors.iter().zip(vectors).zip(&eigen.values) {
        // Eigenvectors are defined up to sign.
        let sign = got[0].signum();
        for (g, w) in got.iter().zip(want) {
            assert!(
                (sign * g - w).abs() < tol,
                "{got:?} vs {want:?} for {value}"
            );
        }
    }
    // Assembling a matrix from its own products gives it back, with no asymmetry to remove.
    let again = assemble(&mut a.clone()).unwrap();
    assert_eq!(again.matrix, a);
    assert_eq!(again.asymmetry, 0.0);
}

/// The assembled Hessian is symmetric up to f32 rounding, its trace is the sum of the
/// eigenvalues, and the eigenpairs solve `H u = lambda u`.
#[test]
fn the_assembled_hessian_is_symmetric_and_decomposed() {
    for point in &fixture().points {
        let (h, eigen) = (&point.exact.hessian, &point.exact.eigen);
        let n = h.matrix.dim();
        assert_eq!(n, 2300);
        // The products are f32 and accurate to ~1e-6 of the largest entry (hessian.rs checks
        // them against finite differences at 1e-4); a wrong term in the R-pass would make
        // H_ij and H_ji differ by an O(1) share.
        assert!(
            h.asymmetry < 1e-4,
            "{}: asymmetry {}",
            point.name,
            h.asymmetry
        );
        let norm = spectral_norm(eigen);
        assert!(norm > 0.0, "{}: the Hessian must not vanish", point.name);
        // The trace is invariant under the orthogonal reduction; dsyev's backward error is
        // O(n eps |H|) per eigenvalue, so the sum of n of them is within n^2 eps |H| ~ 1e-9 |H|.
        let sum: f64 = eigen.values.iter().sum();
        let tol = (n as f64).powi(2) * f64::EPSILON * norm;
        assert!(
            (h.matrix.trace() - sum).abs() <= tol,
            "{}: trace {} vs eigenvalue sum {sum}",
            point.name,
            h.matrix.trace()
        );
        // Residuals of the extreme pairs, relative to |H|: a few n eps.
        let a = h.matrix.entries();
        for i in [0, n / 2, n - 1] {
            let (u, lambda) = (&eigen.vectors[i], eigen.values[i]);
            let residual = (0..n)
                .map(|r| {
                    let hu: f64 = a[r * n..(r + 1) * n]
                        .iter()
                        .zip(u)
                        .map(|(x, y)| x * y)
                        .sum();
                    (hu - lambda * u[r]).powi(2)
                })
                .sum::<f64>()
                .sqrt();
            assert!(
                residual <= 1e-12 * norm,
                "{}: residual {residual}",
                point.name
            );
        }
    }
}

/// The study's Lanczos top-5 against the dense top-5.
#[test]
fn lanczos_top_eigenvalues_match_the_dense_spectrum() {
    for point in &fixture().points {
        let eigen = &point.exact.eigen;
        let n = eigen.values.len();
        let norm = spectral_norm(eigen);
        let mut curvature = curvature_at(point);
        let mut op = HessianOperator::new(&mut curvature);
        let start = rademacher(n, &mut ChaCha8Rng::seed_from_u64(1));
        let top = top_eigenvalues(&mut op, &start, TOP_K, LANCZOS_STEPS).unwrap();
        // Two error sources. Convergence: a Ritz value lies within its residual bound
        // beta_m |y_m| of an eigenvalue. Rounding: Lanczos multiplies by H in f32 (the input
        // rounded to f32, the product accurate to ~1e-6 of |H|), the dense reference holds the
        // same kind of rounding; by Weyl's inequality eigenvalues move by at most the norm of
        // such a perturbation, so 1e-4 |H| leaves a hundredfold margin.
        let rounding = 1e-4 * norm;
        for (i, ritz) in top.iter().enumerate() {
            let exact = eigen.values[n - 1 - i];
            let error = (ritz.value - exact).abs();
            assert!(
                error <= ritz.residual + rounding,
                "{}: Lanczos lambda_{} = {} vs exact {exact} (residual bound {})",
                point.name,
                i + 1,
                ritz.value,
                ritz.residual
            );
        }
    }
}

/// Hutchinson with the study's 30 probes against the exact trace, within `Z` of its exact
/// standard error; and the standard error it reports against that exact one.
#[test]
fn hutchinson_trace_agrees_with_the_exact_trace() {
    for point in &fixture().points {
        let h = &point.exact.hessian.matrix;
        let mut curvature = curvature_at(point);
        let estimate = hutchinson_trace(&mut HessianOperator::new(&mut curvature), TRACE_PROBES, 2);
        let exact_error = probe_std(h) / (TRACE_PROBES as f64).sqrt();
        assert_near(
            point.name,
            "Hutchinson trace",
            estimate.mean,
            h.trace(),
            exact_error,
        );
        // The sample SD of 30 draws is noisy, more so for the heavy tails of a quadratic form
        // dominated by a few eigenvalues (its relative SD is sqrt((kurtosis - 1) / 120), 0.27 at
        // kurtosis 10); the band catches an error formula off by a factor of 2.
        let ratio = estimate.std_error / exact_error;
        assert!(
            (0.5..=2.0).contains(&ratio),
            "{}: reported standard error {} vs exact {exact_error}",
            point.name,
            estimate.std_error
        );
    }
}

/// The exact standard deviation of one Rademacher probe's `z^T H z`: `sqrt(2 sum_{i != j}
/// H_ij^2)` (the diagonal terms are `H_ii z_i^2 = H_ii` exactly).
fn probe_std(h: &DenseSymmetric) -> f64 {
    let n = h.dim();
    let off_diagonal: f64 = h
        .entries()
        .iter()
        .enumerate()
        .filter(|(k, _)| k / n != k % n)
        .map(|(_, x)| x * x)
        .sum();
    (2.0 * off_diagonal).sqrt()
}

/// `|estimate - exact| <= Z * std_error`.
fn assert_near(point: &str, what: &str, estimate: f64, exact: f64, std_error: f64) {
    assert!(
        (estimate - exact).abs() <= Z * std_error,
        "{point}: {what} {estimate} vs exact {exact} (standard error {std_error})"
    );
}

/// `|estimate - exact| <= Z` standard errors.
fn assert_within(point: &str, what: &str, estimate: Estimate, exact: f64) {
    assert!(estimate.std_error > 0.0, "{point}: {what} has no spread");
    assert!(
        (estimate.mean - exact).abs() <= Z * estimate.std_error,
        "{point}: {what} {} ± {} vs exact {exact}",
        estimate.mean,
        estimate.std_error
    );
}

/// `sum_j w_j theta_j^k`.
fn moment(q: &Quadrature, k: i32) -> f64 {
    q.nodes
        .iter()
        .zip(&q.weights)
        .map(|(x, w)| w * x.powi(k))
        .sum()
}

/// Stochastic Lanczos quadrature, probe by probe and on average. Each probe's 30-node Gauss
/// quadrature must reproduce the moments of the exact spectral measure seen from that probe
/// (degree up to 59 is exact), and the probes' average must reproduce the exact trace within its
/// exact standard error and the second moment within its estimated one.
#[test]
fn slq_moments_agree_with_the_exact_spectrum() {
    for point in &fixture().points {
        let eigen = &point.exact.eigen;
        let n = eigen.values.len();
        let norm = spectral_norm(eigen);
        let quads = slq(point);
        let probes = probes(n);
        for (q, z) in quads.iter().zip(&probes) {
            let exact = eigen.measure_from(z);
            for k in 0..=3 {
                // f32 products: relative ~1e-6 per product, k products; 1e-4 |H|^k has margin.
                let (got, want) = (moment(q, k), moment(&exact, k));
                assert!(
                    (got - want).abs() <= 1e-4 * norm.powi(k),
                    "{}: moment {k} of one probe {got} vs exact {want}",
                    point.name
                );
            }
        }
        // Each probe's term of the trace is Hutchinson's z^T H z: the same exact error.
        let trace = quadrature_trace(&quads, n);
        let exact_error = probe_std(&point.exact.hessian.matrix) / (DENSITY_PROBES as f64).sqrt();
        let sum = eigen.values.iter().sum();
        assert_near(point.name, "SLQ trace", trace.mean, sum, exact_error);
        let second: Vec<f64> = quads.iter().map(|q| moment(q, 2)).collect();
        let exact_second = moment(&uniform_measure(&eigen.values), 2);
        assert_within(
            point.name,
            "SLQ second moment",
            Estimate::of(&second),
            exact_second,
        );
    }
}

/// The smoothed density of the study (Gaussian width 1% of the spectrum's span) from SLQ against
/// the exact spectrum smoothed the same way, compared as cumulative mass on a grid.
///
/// Two errors, checked apart. Sampling: each probe sees the spectrum through its own measure
/// (weights `(u_i . z)^2 / n`), an unbiased estimate of the uniform one, so the probes' mean mass
/// below any point is within `Z` standard errors of the exact mass. Quadrature: each probe's
/// 30-node Gauss quadrature, smoothed, must put the mass of that probe's measure in the same place
/// to within [`MASS_TOLERANCE`].
#[test]
fn slq_density_agrees_with_the_exact_spectrum() {
    for point in &fixture().points {
        let eigen = &point.exact.eigen;
        let n = eigen.values.len();
        let quads = slq(point);
        let grid = MassGrid::around(&eigen.values);
        let exact = grid.cumulative_mass(&[uniform_measure(&eigen.values)]);
        // The grid reaches 10 widths past both ends of the spectrum: all the mass is on it, to
        // the Riemann sum's accuracy (spacing sigma / 20).
        assert!((exact[exact.len() - 1] - 1.0).abs() < 1e-3);
        let per_probe: Vec<Vec<f64>> = probes(n)
            .iter()
            .map(|z| grid.cumulative_mass(&[eigen.measure_from(z)]))
            .collect();
        for (q, probe_exact) in quads.iter().zip(&per_probe) {
            let gap = max_gap(&grid.cumulative_mass(std::slice::from_ref(q)), probe_exact);
            assert!(
                gap <= MASS_TOLERANCE,
                "{}: one probe's quadrature misplaces {gap} of the mass",
                point.name
            );
        }
        let estimated = grid.cumulative_mass(&quads);
        for (t, exact_mass) in exact.iter().enumerate() {
            let samples: Vec<f64> = per_probe.iter().map(|c| c[t]).collect();
            let sampling = Estimate::of(&samples);
            // Where every probe has all or none of the mass the spread is 0: allow rounding.
            let spread = Z * sampling.std_error + 1e-9;
            assert!(
                (sampling.mean - exact_mass).abs() <= spread,
                "{}: the probes' mean mass below {} is {}, exactly {exact_mass}",
                point.name,
                grid.points[t],
                sampling.mean
            );
            let error = (estimated[t] - exact_mass).abs();
            assert!(
                error <= MASS_TOLERANCE + spread,
                "{}: SLQ puts {} of the mass below {}, exactly {exact_mass}",
                point.name,
                estimated[t],
                grid.points[t]
            );
        }
    }
}

/// How much of the spectrum's mass a quadrature may misplace: the study reads its density plots
/// for where the mass sits (the bulk near 0, the outliers), and 2% of it moved would not change
/// that reading, while wrong nodes or weights move far more.
const MASS_TOLERANCE: f64 = 0.02;

/// The study's smoothing on a grid over a known spectrum.
struct MassGrid {
    points: Vec<f64>,
    spacing: f64,
    sigma: f64,
}

impl MassGrid {
    /// 2,401 points from 10% of the span below the smallest eigenvalue to 10% above the largest,
    /// smoothing width 1% of the span (the landscape report's choice).
    fn around(eigenvalues: &[f64]) -> MassGrid {
        let (lo, hi) = (eigenvalues[0], eigenvalues[eigenvalues.len() - 1]);
        let span = hi - lo;
        let spacing = span / 2000.0;
        MassGrid {
            points: (0..=2400)
                .map(|i| lo - 0.1 * span + spacing * i as f64)
                .collect(),
            spacing,
            sigma: 0.01 * span,
        }
    }
    /// The smoothed density's mass up to each grid point (a Riemann sum).
    fn cumulative_mass(&self, quadratures: &[Quadrature]) -> Vec<f64> {
        density_on_grid(quadratures, &self.points, self.sigma)
            .iter()
            .scan(0.0, |acc, d| {
                *acc += d * self.spacing;
                Some(*acc)
            })
            .collect()
    }
}

fn max_gap(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).fold(0.0, |m, (x, y)| m.max((x - y).abs()))
}

/// The Rademacher probes [`slq`] draws, in order.
fn probes(n: usize) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(SLQ_SEED);
    (0..DENSITY_PROBES)
        .map(|_| rademacher(n, &mut rng))
        .collect()
}

const SLQ_SEED: u64 = 4;

fn slq(point: &Point) -> Vec<Quadrature> {
    let mut curvature = curvature_at(point);
    let mut op = HessianOperator::new(&mut curvature);
    stochastic_lanczos_quadrature(&mut op, DENSITY_PROBES, DENSITY_STEPS, SLQ_SEED).unwrap()
}
