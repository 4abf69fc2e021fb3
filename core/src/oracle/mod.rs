//! The f64 oracle: the same network, optimizers and protocol as the f32 training path, in double
//! precision and plain scalar code, to tell numerical error from training dynamics.
//!
//! A run here shares everything random with the f32 run of the same seed: the data (widened to
//! f64), the initial weights (the f32 draws widened), the batch order (the same generator) and
//! R-BackProp's coin (`rbp_kernels::rng::coin` keyed by `(coin seed, t, index)` with the same
//! threshold). What differs is only arithmetic: products by `dgemm` (OpenBLAS `cblas_dgemm` or
//! `matrixmultiply::dgemm`, the same backends as the fast path), the sigmoid with `f64::exp`,
//! every elementwise step and optimizer update in f64, and each layer updated after the whole
//! backward pass (the textbook order) instead of as soon as backpropagation leaves it. Paired by
//! seed, the two runs' records measure what the fast path's f32 arithmetic costs.
//!
//! Records are [`crate::train::EpochRecord`]s, so every report reads both alike.

pub mod elementwise;
mod net;
mod optim;
mod train;

pub use net::Net;
pub use optim::{Optimizer, OracleError, supports};
pub use train::train;

use crate::named::named_enum;
use serde::{Deserialize, Serialize};

/// The arithmetic a run trains in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// The fast path: f32 SIMD kernels and `sgemm` (the default).
    #[default]
    F32,
    /// This module: f64 scalar code and `dgemm`, the oracle for the fast path.
    F64,
}

named_enum!(Precision, "precision", [(F32, "f32"), (F64, "f64")]);
