//! Whole-spectrum estimates from random probes: Hutchinson's trace and the spectral density by
//! stochastic Lanczos quadrature (Ghorbani, Krishnan & Xiao, 2019).

use super::SymmetricOperator;
use super::lanczos::{NoConvergence, dot, lanczos, tridiagonal_eigen};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A vector of independent random signs (+1 or -1, each with probability 1/2).
pub fn rademacher(n: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    (0..n)
        .map(|_| if rng.random_bool(0.5) { 1.0 } else { -1.0 })
        .collect()
}

/// A Monte Carlo estimate with its standard error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Mean of the samples.
    pub mean: f64,
    /// Sample standard deviation over the square root of the count (0 for one sample).
    pub std_error: f64,
    /// Number of samples.
    pub samples: usize,
}

impl Estimate {
    /// Mean and standard error of `samples`.
    pub fn of(samples: &[f64]) -> Estimate {
        let n = samples.len();
        let mean = samples.iter().sum::<f64>() / n.max(1) as f64;
        let var = if n > 1 {
            samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        Estimate {
            mean,
            std_error: (var / n.max(1) as f64).sqrt(),
            samples: n,
        }
    }
}

/// Hutchinson's estimator of `trace(A)`: the mean of `z^T A z` over `probes` Rademacher vectors
/// `z` drawn from `seed` (unbiased; its variance is `2 sum_{i != j} A_ij^2` per probe).
pub fn hutchinson_trace(op: &mut dyn SymmetricOperator, probes: usize, seed: u64) -> Estimate {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = vec![0.0; op.dim()];
    let samples: Vec<f64> = (0..probes)
        .map(|_| {
            let z = rademacher(op.dim(), &mut rng);
            op.apply(&z, &mut out);
            dot(&z, &out)
        })
        .collect();
    Estimate::of(&samples)
}

/// One probe's Gauss quadrature of the spectral measure: nodes (Ritz values) and weights
/// (squared first components of the tridiagonal eigenvectors, summing to 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Quadrature {
    /// Nodes, ascending.
    pub nodes: Vec<f64>,
    /// Weights, summing to 1.
    pub weights: Vec<f64>,
}

/// Stochastic Lanczos quadrature: for each of `probes` Rademacher vectors (from `seed`), `steps`
/// Lanczos steps give a Gauss quadrature of the probe's spectral measure; their average
/// approximates the eigenvalue density `(1/n) sum_i delta(t - lambda_i)`.
pub fn stochastic_lanczos_quadrature(
    op: &mut dyn SymmetricOperator,
    probes: usize,
    steps: usize,
    seed: u64,
) -> Result<Vec<Quadrature>, NoConvergence> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..probes)
        .map(|_| {
            let z = rademacher(op.dim(), &mut rng);
            let t = lanczos(op, &z, steps);
            let eig = tridiagonal_eigen(&t.diagonal, &t.off_diagonal)?;
            Ok(Quadrature {
                weights: eig.first.iter().map(|f| f * f).collect(),
                nodes: eig.values,
            })
        })
        .collect()
}

/// The trace implied by quadratures of an `n`-dimensional operator: `n` times the mean of
/// `sum_j w_j theta_j` (each term is `z^T A z / |z|^2` of its probe).
pub fn quadrature_trace(quadratures: &[Quadrature], n: usize) -> Estimate {
    let samples: Vec<f64> = quadratures
        .iter()
        .map(|q| n as f64 * dot(&q.nodes, &q.weights))
        .collect();
    Estimate::of(&samples)
}

/// The density of the averaged quadratures at each point of `grid`, every node smoothed by a
/// Gaussian of standard deviation `sigma` (Ghorbani et al.'s plot); integrates to about 1.
pub fn density_on_grid(quadratures: &[Quadrature], grid: &[f64], sigma: f64) -> Vec<f64> {
    let norm =
        1.0 / (quadratures.len().max(1) as f64 * sigma * (2.0 * std::f64::consts::PI).sqrt());
    grid.iter()
        .map(|&t| {
            quadratures
                .iter()
                .flat_map(|q| q.nodes.iter().zip(&q.weights))
                .map(|(&x, &w)| w * (-0.5 * ((t - x) / sigma).powi(2)).exp())
                .sum::<f64>()
                * norm
        })
        .collect()
}
