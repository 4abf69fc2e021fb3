//! Probing one solution: the curvature and flatness measures of the training loss at a set of
//! weights.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rbp_core::curvature::lanczos::{NoConvergence, top_eigenvalues};
use rbp_core::curvature::sharpness::{epsilon_sharpness, filter_normalized_direction};
use rbp_core::curvature::spectrum::{
    Estimate, Quadrature, hutchinson_trace, quadrature_trace, rademacher,
    stochastic_lanczos_quadrature,
};
use rbp_core::curvature::{Curvature, CurvatureError, HessianOperator};
use rbp_core::data::TrainTest;
use rbp_core::net::Layout;
use rbp_core::seed;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// How much work one probe does. [`ProbeConfig::default`] is the default of `rbp landscape`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbeConfig {
    /// Top Hessian eigenvalues reported.
    pub top_k: usize,
    /// Lanczos steps for them.
    pub lanczos_steps: usize,
    /// Rademacher probes of Hutchinson's trace.
    pub trace_probes: usize,
    /// Probes of stochastic Lanczos quadrature.
    pub density_probes: usize,
    /// Lanczos steps per quadrature probe (nodes per probe).
    pub density_steps: usize,
    /// Relative box radius of epsilon-sharpness (Keskar et al. use 1e-3 and 5e-4).
    pub epsilon: f64,
    /// Projected gradient-ascent steps of epsilon-sharpness.
    pub ascent_steps: usize,
    /// Points of the 1-D slice, from `-slice_radius` to `+slice_radius`.
    pub slice_points: usize,
    /// The slice's extent, in units of the filter-normalized direction.
    pub slice_radius: f64,
}

impl Default for ProbeConfig {
    fn default() -> ProbeConfig {
        ProbeConfig {
            top_k: 5,
            lanczos_steps: 30,
            trace_probes: 30,
            density_probes: 3,
            density_steps: 30,
            epsilon: 1e-3,
            ascent_steps: 10,
            slice_points: 41,
            slice_radius: 1.0,
        }
    }
}

/// The widest 1-D slice probed, in filter-normalized units.
const MAX_SLICE_RADIUS: f64 = 1000.0;

impl ProbeConfig {
    /// Checks that every count is usable; names the offending field.
    pub fn validate(&self) -> Result<(), super::SettingsError> {
        let positive = [
            ("probe.top_k", self.top_k),
            ("probe.lanczos_steps", self.lanczos_steps),
            ("probe.trace_probes", self.trace_probes),
            ("probe.density_probes", self.density_probes),
            ("probe.density_steps", self.density_steps),
            ("probe.ascent_steps", self.ascent_steps),
        ];
        for (name, v) in positive {
            if v == 0 {
                return Err(super::SettingsError::new(name, "must be at least 1"));
            }
        }
        if self.lanczos_steps < self.top_k {
            return Err(super::SettingsError::new(
                "probe.lanczos_steps",
                format!("must be at least top_k ({})", self.top_k),
            ));
        }
        // A box wider than the weights themselves, or a slice past a thousand filter norms,
        // measures overflow, not the landscape.
        if !(self.epsilon > 0.0 && self.epsilon <= 1.0) {
            return Err(super::SettingsError::new(
                "probe.epsilon",
                format!(
                    "{:?} must lie in (0, 1] (a relative box radius)",
                    self.epsilon
                ),
            ));
        }
        if self.slice_points < 2 {
            return Err(super::SettingsError::new(
                "probe.slice_points",
                "a slice needs at least 2 points",
            ));
        }
        if !(self.slice_radius > 0.0 && self.slice_radius <= MAX_SLICE_RADIUS) {
            return Err(super::SettingsError::new(
                "probe.slice_radius",
                format!(
                    "{:?} must lie in (0, {MAX_SLICE_RADIUS}] (filter-normalized units)",
                    self.slice_radius
                ),
            ));
        }
        Ok(())
    }
    /// Hessian-vector products of one probe.
    pub fn products(&self) -> usize {
        self.lanczos_steps + self.trace_probes + self.density_probes * self.density_steps
    }
}

/// A Ritz value and its residual bound.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Eigenvalue {
    /// The estimate.
    pub value: f64,
    /// An eigenvalue of the Hessian lies within this distance.
    pub residual: f64,
}

/// A trace estimate with its standard error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceEstimate {
    /// The estimate.
    pub mean: f64,
    /// Its standard error.
    pub std_error: f64,
    /// Probes averaged.
    pub probes: usize,
}

impl From<Estimate> for TraceEstimate {
    fn from(e: Estimate) -> TraceEstimate {
        TraceEstimate {
            mean: e.mean,
            std_error: e.std_error,
            probes: e.samples,
        }
    }
}

/// One probe's quadrature of the spectral density.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DensityNodes {
    /// Ritz values.
    pub nodes: Vec<f64>,
    /// Their weights (sum 1).
    pub weights: Vec<f64>,
}

/// Losses along one filter-normalized random direction `d`: `L(W + alpha d)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Slice {
    /// The steps `alpha`.
    pub alpha: Vec<f64>,
    /// Mean training loss at each step.
    pub train_loss: Vec<f64>,
    /// Mean test loss at each step.
    pub test_loss: Vec<f64>,
}

/// Everything measured at one solution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measures {
    /// Mean training loss at the solution.
    pub train_loss: f64,
    /// Top eigenvalues, descending.
    pub top_eigenvalues: Vec<Eigenvalue>,
    /// Hutchinson's trace.
    pub trace: TraceEstimate,
    /// The trace implied by the density quadratures (a second, independent estimate).
    pub density_trace: TraceEstimate,
    /// Stochastic Lanczos quadrature, one entry per probe.
    pub density: Vec<DensityNodes>,
    /// Keskar et al.'s epsilon-sharpness, in percent.
    pub sharpness: f64,
    /// The largest training loss the ascent found in the box.
    pub sharpness_max_loss: f64,
    /// The 1-D slice.
    pub slice: Slice,
    /// Hessian-vector products computed.
    pub products: usize,
    /// Wall-clock seconds of the probe.
    pub seconds: f64,
}

impl Measures {
    /// The largest eigenvalue.
    pub fn lambda_max(&self) -> f64 {
        self.top_eigenvalues.first().map_or(f64::NAN, |e| e.value)
    }
}

/// Why a probe failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The curvature could not be set up.
    #[error(transparent)]
    Curvature(#[from] CurvatureError),
    /// The eigensolver failed (non-finite Hessian: a diverged run).
    #[error(transparent)]
    Eigen(#[from] NoConvergence),
}

/// The random streams of a probe, from the run seed: the same for every optimizer of a seed, so
/// the probes are paired like the runs.
fn probe_seed(run_seed: u64, which: u64) -> u64 {
    /// Separates the probes' streams from the training streams of [`seed::Stream`].
    const PROBE_STREAMS: u64 = 0x6c61_6e64_7363_6170; // "landscap"
    seed::mix64(seed::mix64(run_seed ^ PROBE_STREAMS) ^ which)
}

/// Measures the loss landscape of `split.train` at `params`.
pub fn probe(
    layout: &Layout,
    params: &[f32],
    split: &TrainTest,
    config: &ProbeConfig,
    run_seed: u64,
) -> Result<Measures, ProbeError> {
    let start = Instant::now();
    let mut curvature = Curvature::new(layout.clone(), params, &split.train)?;
    let train_loss = curvature.loss();
    let n = curvature.dim();
    let (top, trace, density, products) = {
        let mut op = HessianOperator::new(&mut curvature);
        let mut rng = ChaCha8Rng::seed_from_u64(probe_seed(run_seed, 1));
        let start_vector = rademacher(n, &mut rng);
        let top = top_eigenvalues(&mut op, &start_vector, config.top_k, config.lanczos_steps)?;
        let trace = hutchinson_trace(&mut op, config.trace_probes, probe_seed(run_seed, 2));
        let density = stochastic_lanczos_quadrature(
            &mut op,
            config.density_probes,
            config.density_steps,
            probe_seed(run_seed, 3),
        )?;
        (top, trace, density, op.products)
    };
    let density_trace = quadrature_trace(&density, n);
    let sharp = epsilon_sharpness(&mut curvature, params, config.epsilon, config.ascent_steps);
    let direction = filter_normalized_direction(layout, params, probe_seed(run_seed, 4));
    let slice = one_d_slice(&mut curvature, params, &direction, split, config);
    Ok(Measures {
        train_loss,
        top_eigenvalues: top
            .iter()
            .map(|r| Eigenvalue {
                value: r.value,
                residual: r.residual,
            })
            .collect(),
        trace: trace.into(),
        density_trace: density_trace.into(),
        density: density
            .into_iter()
            .map(|Quadrature { nodes, weights }| DensityNodes { nodes, weights })
            .collect(),
        sharpness: sharp.value,
        sharpness_max_loss: sharp.max_loss,
        slice,
        products,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Training and test loss at `params + alpha d` for `alpha` evenly spaced in
/// `[-radius, radius]`.
fn one_d_slice(
    curvature: &mut Curvature,
    params: &[f32],
    direction: &[f32],
    split: &TrainTest,
    config: &ProbeConfig,
) -> Slice {
    let points = config.slice_points;
    let alpha: Vec<f64> = (0..points)
        .map(|i| config.slice_radius * (2.0 * i as f64 / (points - 1) as f64 - 1.0))
        .collect();
    let mut moved = params.to_vec();
    let (mut train_loss, mut test_loss) = (Vec::new(), Vec::new());
    for &a in &alpha {
        for ((m, &p), &d) in moved.iter_mut().zip(params).zip(direction) {
            *m = p + a as f32 * d;
        }
        train_loss.push(curvature.loss_at(&moved, &split.train));
        test_loss.push(curvature.loss_at(&moved, &split.test));
    }
    Slice {
        alpha,
        train_loss,
        test_loss,
    }
}
