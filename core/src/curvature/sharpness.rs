//! Flatness measures that need only losses and gradients: epsilon-sharpness (Keskar et al., 2017)
//! and filter-normalized random directions for 1-D loss slices (Li et al., 2018).

use crate::net::Layout;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// A loss with its gradient, at any point.
pub trait Objective {
    /// Number of variables.
    fn dim(&self) -> usize;
    /// The loss at `x`, with its gradient written into `grad`.
    fn loss_and_gradient(&mut self, x: &[f32], grad: &mut [f32]) -> f64;
}

impl Objective for super::Curvature<'_> {
    fn dim(&self) -> usize {
        self.params().len()
    }
    fn loss_and_gradient(&mut self, x: &[f32], grad: &mut [f32]) -> f64 {
        self.set_params(x);
        grad.copy_from_slice(self.gradient());
        self.loss()
    }
}

/// Keskar et al.'s sharpness of a solution: the largest loss found in the box
/// `|y_i| <= epsilon (|x_i| + 1)` around it, relative to the loss there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sharpness {
    /// `100 (max f(x + y) - f(x)) / (1 + f(x))`, Keskar et al.'s Eq. (3) (a percentage).
    pub value: f64,
    /// `f(x)`.
    pub base_loss: f64,
    /// The largest `f(x + y)` found.
    pub max_loss: f64,
}

/// Epsilon-sharpness of `obj` at `x` by `steps` steps of projected sign-gradient ascent in the box
/// (step `2.5 / steps` of the box per coordinate, as in Madry et al.'s PGD, so the corners are
/// reachable). Keskar et al. maximize with L-BFGS-B; a few ascent steps give a lower bound on the
/// same maximum. `steps + 1` losses and gradients are evaluated; `obj` is left at the last point.
///
/// # Panics
/// If `x` does not have `obj.dim()` values.
pub fn epsilon_sharpness(
    obj: &mut dyn Objective,
    x: &[f32],
    epsilon: f64,
    steps: usize,
) -> Sharpness {
    assert_eq!(x.len(), obj.dim(), "the point does not fit the objective");
    let n = x.len();
    let half_width: Vec<f32> = x
        .iter()
        .map(|&xi| (epsilon * (xi.abs() as f64 + 1.0)) as f32)
        .collect();
    let step = 2.5 / steps.max(1) as f32;
    let mut grad = vec![0.0f32; n];
    let mut y = vec![0.0f32; n];
    let mut point = x.to_vec();
    let base_loss = obj.loss_and_gradient(x, &mut grad);
    let mut max_loss = base_loss;
    for _ in 0..steps {
        for i in 0..n {
            let b = half_width[i];
            let g = grad[i];
            let dir = if g > 0.0 {
                1.0
            } else if g < 0.0 {
                -1.0
            } else {
                0.0
            };
            y[i] = (y[i] + step * b * dir).clamp(-b, b);
            point[i] = x[i] + y[i];
        }
        // A non-finite loss is a failed measurement, kept as such (f64::max would drop a NaN).
        let loss = obj.loss_and_gradient(&point, &mut grad);
        max_loss = if loss.is_nan() || max_loss.is_nan() {
            f64::NAN
        } else {
            max_loss.max(loss)
        };
    }
    Sharpness {
        value: 100.0 * (max_loss - base_loss) / (1.0 + base_loss),
        base_loss,
        max_loss,
    }
}

/// A random direction with the scale of `params` neuron by neuron (Li et al.'s filter
/// normalization for fully connected layers: each unit's row of incoming weights is a filter):
/// Gaussian, then every row of each layer's `out x in` block rescaled to the norm of the same row
/// of `params`. Drawn from `seed`.
///
/// # Panics
/// If `params` does not fit `layout`.
pub fn filter_normalized_direction(layout: &Layout, params: &[f32], seed: u64) -> Vec<f32> {
    assert_eq!(params.len(), layout.param_count(), "weights do not fit");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut d: Vec<f32> = (0..params.len())
        .map(|_| StandardNormal.sample(&mut rng))
        .collect();
    for l in 0..layout.arch().depth() {
        let (n_in, _) = layout.layer_shape(l);
        let range = layout.layer_range(l);
        for (row, w) in d[range.clone()]
            .chunks_exact_mut(n_in)
            .zip(params[range].chunks_exact(n_in))
        {
            let norm = |v: &[f32]| v.iter().map(|&x| (x as f64).powi(2)).sum::<f64>().sqrt();
            let (dn, wn) = (norm(row), norm(w));
            let scale = if dn > 0.0 { (wn / dn) as f32 } else { 0.0 };
            row.iter_mut().for_each(|x| *x *= scale);
        }
    }
    d
}
