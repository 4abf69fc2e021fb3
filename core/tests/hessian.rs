//! The curvature module against references: exact Hessian-vector products against the dense
//! Hessian of a tiny net from f64 finite differences of an f64 gradient; Lanczos, stochastic
//! Lanczos quadrature and Hutchinson against matrices whose spectrum is known by construction.

use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rbp_core::curvature::lanczos::{top_eigenvalues, tridiagonal_eigen};
use rbp_core::curvature::sharpness::{Objective, epsilon_sharpness, filter_normalized_direction};
use rbp_core::curvature::spectrum::{
    density_on_grid, hutchinson_trace, quadrature_trace, stochastic_lanczos_quadrature,
};
use rbp_core::curvature::{Curvature, DenseSymmetric, HessianOperator, SymmetricOperator};
use rbp_core::data::Examples;
use rbp_core::net::{Arch, Layout};

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The mean-loss gradient of the sigmoid net in plain f64 loops (Eqs. 2-5 written out).
fn reference_gradient(layout: &Layout, w: &[f64], data: &Examples) -> (f64, Vec<f64>) {
    let depth = layout.arch().depth();
    let mut grad = vec![0.0; w.len()];
    let mut loss = 0.0;
    for n in 0..data.len() {
        let mut acts = vec![
            data.inputs
                .row(n)
                .iter()
                .map(|&x| x as f64)
                .collect::<Vec<_>>(),
        ];
        for l in 0..depth {
            let (n_in, n_out) = layout.layer_shape(l);
            let wl = &w[layout.layer_range(l)];
            let next: Vec<f64> = (0..n_out)
                .map(|o| sigmoid((0..n_in).map(|i| wl[o * n_in + i] * acts[l][i]).sum()))
                .collect();
            acts.push(next);
        }
        let y = &acts[depth];
        let target: Vec<f64> = data.targets.row(n).iter().map(|&t| t as f64).collect();
        loss += 0.5
            * y.iter()
                .zip(&target)
                .map(|(a, t)| (a - t).powi(2))
                .sum::<f64>();
        let mut delta: Vec<f64> = y
            .iter()
            .zip(&target)
            .map(|(a, t)| (a - t) * a * (1.0 - a))
            .collect();
        for l in (0..depth).rev() {
            let (n_in, n_out) = layout.layer_shape(l);
            let range = layout.layer_range(l);
            for o in 0..n_out {
                for i in 0..n_in {
                    grad[range.start + o * n_in + i] += delta[o] * acts[l][i];
                }
            }
            let wl = &w[range];
            delta = (0..n_in)
                .map(|i| {
                    let g: f64 = (0..n_out).map(|o| delta[o] * wl[o * n_in + i]).sum();
                    g * acts[l][i] * (1.0 - acts[l][i])
                })
                .collect();
        }
    }
    let n = data.len() as f64;
    grad.iter_mut().for_each(|g| *g /= n);
    (loss / n, grad)
}

fn tiny_problem(rows: usize, seed: u64) -> (Layout, Vec<f32>, Examples) {
    let layout = Layout::new(Arch::new(vec![4, 5, 3, 2]).unwrap()).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Weights of order 1 so every sigmoid works off its linear part (curvature on every layer).
    let params: Vec<f32> = (0..layout.param_count())
        .map(|_| rng.random_range(-1.5f32..1.5))
        .collect();
    let inputs = Array2::from_shape_fn((rows, 4), |_| rng.random_range(-2.0f32..2.0));
    let targets = Array2::from_shape_fn((rows, 2), |_| rng.random_range(0.0f32..1.0));
    let data = Examples {
        inputs,
        targets,
        labels: None,
    };
    (layout, params, data)
}

/// The dense Hessian by central differences of the f64 gradient, step 1e-5: truncation error
/// O(h^2 |g'''|) ~ 1e-10 and rounding ~ 1e-16 / 1e-5 ~ 1e-11, far below the f32 tolerances below.
fn finite_difference_hessian(layout: &Layout, params: &[f32], data: &Examples) -> Vec<Vec<f64>> {
    let w: Vec<f64> = params.iter().map(|&x| x as f64).collect();
    let h = 1e-5;
    (0..w.len())
        .map(|j| {
            let mut plus = w.clone();
            let mut minus = w.clone();
            plus[j] += h;
            minus[j] -= h;
            let (_, gp) = reference_gradient(layout, &plus, data);
            let (_, gm) = reference_gradient(layout, &minus, data);
            gp.iter()
                .zip(&gm)
                .map(|(a, b)| (a - b) / (2.0 * h))
                .collect()
        })
        .collect()
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// H v of the R-operator against the finite-difference Hessian, for basis vectors (each column)
/// and a random direction; on 1200 rows the sum runs over three chunks of 500.
#[test]
fn hvp_matches_the_finite_difference_hessian() {
    for rows in [7, 1200] {
        let (layout, params, data) = tiny_problem(rows, 11);
        let reference = finite_difference_hessian(&layout, &params, &data);
        let scale = reference.iter().map(|c| max_abs(c)).fold(0.0, f64::max);
        assert!(scale > 1e-3, "the test net must have curvature");
        let n = params.len();
        let mut curvature = Curvature::new(layout, &params, &data).unwrap();
        let mut out = vec![0.0f32; n];
        // f32 products: unit roundoff 6e-8, a few hundred terms per entry through three layers
        // and their sigmoid factors; errors stay near 1e-6 relative to the largest entry, so
        // 1e-4 leaves room for accumulation while a wrong term (an O(1) share) fails.
        let tol = 1e-4 * scale;
        for (j, column) in reference.iter().enumerate() {
            let mut e = vec![0.0f32; n];
            e[j] = 1.0;
            curvature.hvp(&e, &mut out);
            for (i, (&got, &want)) in out.iter().zip(column).enumerate() {
                assert!(
                    (got as f64 - want).abs() <= tol,
                    "rows {rows}: H[{i}][{j}] = {got}, finite differences {want}"
                );
            }
        }
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let v: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect();
        curvature.hvp(&v, &mut out);
        for (i, &got) in out.iter().enumerate() {
            let want: f64 = (0..n).map(|j| reference[j][i] * v[j] as f64).sum();
            assert!((got as f64 - want).abs() <= tol * n as f64, "(Hv)[{i}]");
        }
    }
}

/// The loss and gradient the curvature caches are the f64 reference's, to f32 accuracy.
#[test]
fn loss_and_gradient_match_the_reference() {
    let (layout, params, data) = tiny_problem(1200, 3);
    let w: Vec<f64> = params.iter().map(|&x| x as f64).collect();
    let (loss, grad) = reference_gradient(&layout, &w, &data);
    let mut curvature = Curvature::new(layout, &params, &data).unwrap();
    // Relative 1e-5: f32 activations summed over 1200 rows in f64.
    assert!((curvature.loss() - loss).abs() <= 1e-5 * loss);
    let tol = 1e-5 * max_abs(&grad);
    for (got, want) in curvature.gradient().iter().zip(&grad) {
        assert!((*got as f64 - want).abs() <= tol, "{got} vs {want}");
    }
    let test_loss = curvature.loss_at(&params, &data);
    assert!((test_loss - loss).abs() <= 1e-5 * loss);
    // The operator wrapper is the same product.
    let mut op = HessianOperator::new(&mut curvature);
    let mut out = vec![0.0; op.dim()];
    let mut e = vec![0.0; op.dim()];
    e[0] = 1.0;
    op.apply(&e, &mut out);
    assert_eq!(op.products, 1);
}

#[test]
fn mismatched_data_is_an_error_not_a_panic() {
    let (layout, params, data) = tiny_problem(3, 1);
    assert!(Curvature::new(layout.clone(), &params[1..], &data).is_err());
    let wrong = Examples {
        inputs: Array2::zeros((3, 5)),
        targets: Array2::zeros((3, 2)),
        labels: None,
    };
    assert!(Curvature::new(layout, &params, &wrong).is_err());
}

/// `Q diag(lambda) Q^T` with `Q = I - 2 u u^T / |u|^2` (a Householder reflection: orthogonal and
/// symmetric), so the spectrum is exactly `lambda`.
fn known_spectrum(lambda: &[f64], seed: u64) -> DenseSymmetric {
    let n = lambda.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let u: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
    let uu: f64 = u.iter().map(|x| x * x).sum();
    let q = |i: usize, j: usize| f64::from(u8::from(i == j)) - 2.0 * u[i] * u[j] / uu;
    let mut a = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            a[i * n + j] = (0..n).map(|k| q(i, k) * lambda[k] * q(j, k)).sum();
        }
    }
    // Symmetrize the rounding so the constructor's check passes.
    for i in 0..n {
        for j in 0..i {
            let m = 0.5 * (a[i * n + j] + a[j * n + i]);
            a[i * n + j] = m;
            a[j * n + i] = m;
        }
    }
    DenseSymmetric::new(n, a).unwrap()
}

/// A Hessian-like spectrum: a few large outliers over a bulk near zero of both signs.
fn hessian_like(n: usize) -> Vec<f64> {
    let mut l: Vec<f64> = (0..n)
        .map(|i| 0.5 * ((i as f64) / n as f64) - 0.1)
        .collect();
    l[n - 1] = 40.0;
    l[n - 2] = 25.0;
    l[n - 3] = 12.0;
    l[n - 4] = 6.0;
    l[n - 5] = 3.0;
    l
}

#[test]
fn tridiagonal_eigensolver_matches_the_toeplitz_spectrum() {
    // diag a, off-diagonal b: eigenvalues a + 2 b cos(k pi / (m + 1)), k = 1..m.
    let (m, a, b) = (40, 2.0, -0.7);
    let eig = tridiagonal_eigen(&vec![a; m], &vec![b; m - 1]).unwrap();
    let mut exact: Vec<f64> = (1..=m)
        .map(|k| a + 2.0 * b * (k as f64 * std::f64::consts::PI / (m + 1) as f64).cos())
        .collect();
    exact.sort_by(f64::total_cmp);
    for (got, want) in eig.values.iter().zip(&exact) {
        // QL is backward stable: errors are a few ulps of the matrix norm (~3.4).
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
    // Eigenvector k of this matrix is sin(j k pi / (m + 1)) normalized, so its squared first
    // components sum to 1 (the first row of an orthogonal matrix).
    let sum: f64 = eig.first.iter().map(|f| f * f).sum();
    assert!((sum - 1.0).abs() < 1e-12);
    let last: f64 = eig.last.iter().map(|f| f * f).sum();
    assert!((last - 1.0).abs() < 1e-12);
    // A 1x1 matrix.
    let one = tridiagonal_eigen(&[3.0], &[]).unwrap();
    assert_eq!(one.values, vec![3.0]);
}

#[test]
fn lanczos_finds_the_top_eigenvalues_of_a_known_spectrum() {
    let lambda = hessian_like(300);
    let mut a = known_spectrum(&lambda, 2);
    let start: Vec<f64> = (0..300).map(|i| 1.0 + (i % 7) as f64).collect();
    let top = top_eigenvalues(&mut a, &start, 5, 40).unwrap();
    let want = [40.0, 25.0, 12.0, 6.0, 3.0];
    for (got, want) in top.iter().zip(want) {
        // The outliers are well separated from the bulk (gap ratio > 5), so 40 steps converge
        // them to near machine precision; the residual bound must cover the actual error.
        assert!((got.value - want).abs() < 1e-8, "{} vs {want}", got.value);
        assert!((got.value - want).abs() <= got.residual + 1e-10);
    }
}

#[test]
fn lanczos_to_full_dimension_recovers_the_whole_spectrum() {
    // With full re-orthogonalization, n steps reproduce every eigenvalue once (no ghosts).
    let lambda: Vec<f64> = (0..30).map(|i| (i as f64 - 10.0) * 0.37).collect();
    let mut a = known_spectrum(&lambda, 7);
    let quads = stochastic_lanczos_quadrature(&mut a, 1, 30, 9).unwrap();
    assert_eq!(quads[0].nodes.len(), 30);
    for (got, want) in quads[0].nodes.iter().zip(&lambda) {
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    }
    let weight_sum: f64 = quads[0].weights.iter().sum();
    assert!((weight_sum - 1.0).abs() < 1e-12);
}

#[test]
fn slq_trace_and_density_agree_with_the_exact_spectrum() {
    let lambda = hessian_like(300);
    let exact_trace: f64 = lambda.iter().sum();
    let mut a = known_spectrum(&lambda, 4);
    let quads = stochastic_lanczos_quadrature(&mut a, 30, 30, 1).unwrap();
    let trace = quadrature_trace(&quads, 300);
    assert!(trace.std_error > 0.0);
    // Each probe's term is exactly Hutchinson's z^T A z, unbiased: within 3 standard errors
    // (the ~99.7% band) of the exact trace.
    assert!(
        (trace.mean - exact_trace).abs() <= 3.0 * trace.std_error,
        "SLQ trace {} ± {} vs {exact_trace}",
        trace.mean,
        trace.std_error
    );
    // The smoothed density integrates to ~1 and puts the outliers' mass (5/300) above 2.
    let grid: Vec<f64> = (0..=1000).map(|i| -2.0 + 0.05 * i as f64).collect();
    let density = density_on_grid(&quads, &grid, 0.1);
    let mass: f64 = density.iter().sum::<f64>() * 0.05;
    assert!((mass - 1.0).abs() < 0.01, "mass {mass}");
    let outlier_mass: f64 = grid
        .iter()
        .zip(&density)
        .filter(|(t, _)| **t > 2.0)
        .map(|(_, d)| d * 0.05)
        .sum();
    assert!(
        (outlier_mass - 5.0 / 300.0).abs() < 0.01,
        "outlier mass {outlier_mass}"
    );
}

#[test]
fn hutchinson_is_within_its_standard_error_as_often_as_it_claims() {
    let lambda = hessian_like(200);
    let exact: f64 = lambda.iter().sum();
    let mut a = known_spectrum(&lambda, 8);
    assert!((a.trace() - exact).abs() < 1e-9);
    let one = hutchinson_trace(&mut a, 50, 0);
    assert_eq!(one.samples, 50);
    assert!((one.mean - exact).abs() <= 3.0 * one.std_error);
    // Calibration: over 60 independent estimates the error is within one standard error about
    // 68% of the time. Binomial(60, 0.68) lies in [0.5, 0.85] with probability > 0.99; an
    // estimator that understated its error by half would land near 38%.
    let within = (0..60)
        .filter(|&s| {
            let e = hutchinson_trace(&mut a, 40, 100 + s);
            (e.mean - exact).abs() <= e.std_error
        })
        .count();
    let share = within as f64 / 60.0;
    assert!((0.5..=0.85).contains(&share), "share within 1 SE: {share}");
}

/// `f(x) = 1/2 sum a_i x_i^2` with `a_i >= 0`: convex, so the maximum over a box is at the corner
/// away from the origin, `1/2 sum a_i (|x_i| + b_i)^2`.
struct DiagonalQuadratic(Vec<f64>);

impl Objective for DiagonalQuadratic {
    fn dim(&self) -> usize {
        self.0.len()
    }
    fn loss_and_gradient(&mut self, x: &[f32], grad: &mut [f32]) -> f64 {
        for ((g, &xi), &a) in grad.iter_mut().zip(x).zip(&self.0) {
            *g = (a * xi as f64) as f32;
        }
        x.iter()
            .zip(&self.0)
            .map(|(&xi, a)| 0.5 * a * (xi as f64).powi(2))
            .sum()
    }
}

#[test]
fn epsilon_sharpness_reaches_the_box_maximum_of_a_convex_quadratic() {
    let a = vec![1.0, 4.0, 0.5, 2.0];
    let x = [0.3f32, -1.2, 2.0, -0.1];
    let eps = 1e-2;
    let mut f = DiagonalQuadratic(a.clone());
    let s = epsilon_sharpness(&mut f, &x, eps, 10);
    let base: f64 = x
        .iter()
        .zip(&a)
        .map(|(&xi, a)| 0.5 * a * (xi as f64).powi(2))
        .sum();
    let max: f64 = x
        .iter()
        .zip(&a)
        .map(|(&xi, a)| {
            let xi = xi.abs() as f64;
            0.5 * a * (xi + eps * (xi + 1.0)).powi(2)
        })
        .sum();
    // f32 points: relative 1e-6.
    assert!((s.base_loss - base).abs() < 1e-6 * base);
    assert!(
        (s.max_loss - max).abs() < 1e-5 * max,
        "{} vs {max}",
        s.max_loss
    );
    assert!((s.value - 100.0 * (max - base) / (1.0 + base)).abs() < 1e-3);
}

#[test]
fn filter_normalized_directions_have_the_weights_row_norms() {
    let (layout, params, _) = tiny_problem(1, 2);
    let d = filter_normalized_direction(&layout, &params, 3);
    assert_ne!(d, filter_normalized_direction(&layout, &params, 4));
    assert_eq!(d, filter_normalized_direction(&layout, &params, 3));
    for l in 0..layout.arch().depth() {
        let (n_in, _) = layout.layer_shape(l);
        let r = layout.layer_range(l);
        for (dr, wr) in d[r.clone()]
            .chunks_exact(n_in)
            .zip(params[r].chunks_exact(n_in))
        {
            let norm = |v: &[f32]| v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
            assert!((norm(dr) - norm(wr)).abs() < 1e-5 * norm(wr));
        }
    }
}
