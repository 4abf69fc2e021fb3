//! The curvature of the training loss around a solution: exact Hessian-vector products
//! ([`hvp`]), top eigenvalues by Lanczos ([`lanczos`]), trace and spectral density from random
//! probes ([`spectrum`]), and the loss-only flatness measures ([`sharpness`]).
//!
//! The algorithms see the Hessian only through [`SymmetricOperator`], so they are tested on
//! matrices whose spectrum is known. The estimators are pure Rust: their dense eigenproblems are
//! the small Lanczos tridiagonal matrices (tens of rows), solved by implicit QL, so no LAPACK is
//! needed and every build runs the same code. Only the exact reference for a small net's whole
//! spectrum (module `exact`, behind the feature `exact-hessian`) calls LAPACK.

#[cfg(feature = "exact-hessian")]
pub mod exact;
pub mod hvp;
pub mod lanczos;
pub mod sharpness;
pub mod spectrum;

pub use hvp::{Curvature, CurvatureError};

/// A symmetric linear map `v -> A v`, in `f64`.
pub trait SymmetricOperator {
    /// The dimension `n` of `A` (`n x n`).
    fn dim(&self) -> usize;
    /// `out = A v`.
    fn apply(&mut self, v: &[f64], out: &mut [f64]);
}

/// A dense symmetric matrix, row-major (known spectra in tests, small problems).
#[derive(Clone, Debug, PartialEq)]
pub struct DenseSymmetric {
    n: usize,
    entries: Vec<f64>,
}

impl DenseSymmetric {
    /// The `n x n` matrix with row-major `entries`, or `None` when the length is not `n^2` or the
    /// matrix is not symmetric to within `1e-12` relative.
    pub fn new(n: usize, entries: Vec<f64>) -> Option<DenseSymmetric> {
        if entries.len() != n * n {
            return None;
        }
        let scale = entries.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        for i in 0..n {
            for j in 0..i {
                if (entries[i * n + j] - entries[j * n + i]).abs() > 1e-12 * scale {
                    return None;
                }
            }
        }
        Some(DenseSymmetric { n, entries })
    }
    /// The dimension `n`.
    pub fn dim(&self) -> usize {
        self.n
    }
    /// The `n^2` entries, row-major.
    pub fn entries(&self) -> &[f64] {
        &self.entries
    }
    /// The sum of the diagonal.
    pub fn trace(&self) -> f64 {
        (0..self.n).map(|i| self.entries[i * self.n + i]).sum()
    }
}

impl SymmetricOperator for DenseSymmetric {
    fn dim(&self) -> usize {
        self.n
    }
    fn apply(&mut self, v: &[f64], out: &mut [f64]) {
        for (row, o) in self.entries.chunks_exact(self.n).zip(out.iter_mut()) {
            *o = lanczos::dot(row, v);
        }
    }
}

/// The Hessian of the training loss as an operator: `f64` vectors are rounded to `f32` for the
/// network's products and the result widened back.
pub struct HessianOperator<'c, 'a> {
    curvature: &'c mut Curvature<'a>,
    v: Vec<f32>,
    out: Vec<f32>,
    /// Products computed so far (for cost reports).
    pub products: usize,
}

impl<'c, 'a> HessianOperator<'c, 'a> {
    /// The Hessian at `curvature`'s current point.
    pub fn new(curvature: &'c mut Curvature<'a>) -> HessianOperator<'c, 'a> {
        let n = curvature.dim();
        HessianOperator {
            curvature,
            v: vec![0.0; n],
            out: vec![0.0; n],
            products: 0,
        }
    }
}

impl SymmetricOperator for HessianOperator<'_, '_> {
    fn dim(&self) -> usize {
        self.v.len()
    }
    fn apply(&mut self, v: &[f64], out: &mut [f64]) {
        for (a, &b) in self.v.iter_mut().zip(v) {
            *a = b as f32;
        }
        self.curvature.hvp(&self.v, &mut self.out);
        for (a, &b) in out.iter_mut().zip(&self.out) {
            *a = b as f64;
        }
        self.products += 1;
    }
}
