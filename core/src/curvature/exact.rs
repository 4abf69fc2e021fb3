//! The exact Hessian spectrum of a small net, the reference the estimators are checked against
//! (feature `exact-hessian`): the dense Hessian assembled from exact products with the basis
//! vectors, and its full eigen-decomposition by LAPACK's symmetric solver through `ndarray-linalg`
//! (system OpenBLAS).
//!
//! The dense matrix has `n^2` entries for `n` weights, so this is for nets of a few thousand
//! weights (2,300 weights: 42 MiB); larger ones are refused before any work.

use super::spectrum::Quadrature;
use super::{Curvature, DenseSymmetric, HessianOperator, SymmetricOperator};
use crate::memory::{self, AllocError, MemoryError};
use ndarray::Array2;
use ndarray_linalg::{EigValshInto, EighInto, UPLO};

/// Why an exact spectrum could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum ExactError {
    /// The dense matrix (and LAPACK's copy of it) does not fit in memory.
    #[error(transparent)]
    Memory(#[from] MemoryError),
    /// A buffer could not be allocated.
    #[error(transparent)]
    Alloc(#[from] AllocError),
    /// LAPACK reported a failure (non-finite entries, or no convergence).
    #[error("the dense symmetric eigensolver failed: {0}")]
    Eigensolver(String),
}

/// A dense symmetric matrix assembled column by column from an operator, with how far the
/// columns were from symmetric before symmetrizing.
#[derive(Clone, Debug, PartialEq)]
pub struct Assembled {
    /// `(A + A^T) / 2` of the assembled columns `A e_j`.
    pub matrix: DenseSymmetric,
    /// `max |A_ij - A_ji| / max |A_ij|`: the rounding of the products that symmetrizing removed
    /// (an exact Hessian is symmetric; a wrong product would show as an O(1) asymmetry).
    pub asymmetry: f64,
}

/// The dense matrix of `op` from its products with the `n` basis vectors, symmetrized.
pub fn assemble(op: &mut dyn SymmetricOperator) -> Result<Assembled, ExactError> {
    let n = op.dim();
    let bytes = 8 * (n as u128).pow(2);
    // The assembled matrix and the copy LAPACK works on.
    memory::check_fits(
        "the dense Hessian",
        2 * bytes,
        format!("two {n} x {n} f64 matrices"),
    )?;
    let mut a = memory::zeroed::<f64>(n * n, "the dense Hessian")?;
    let (mut e, mut column) = (vec![0.0; n], vec![0.0; n]);
    for j in 0..n {
        e[j] = 1.0;
        op.apply(&e, &mut column);
        e[j] = 0.0;
        // Column j of A goes to row j of the row-major buffer: A^T, symmetrized below anyway.
        a[j * n..(j + 1) * n].copy_from_slice(&column);
    }
    let scale = a.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let mut worst = 0.0f64;
    for i in 0..n {
        for j in 0..i {
            let (upper, lower) = (a[j * n + i], a[i * n + j]);
            worst = worst.max((upper - lower).abs());
            let mean = 0.5 * (upper + lower);
            a[j * n + i] = mean;
            a[i * n + j] = mean;
        }
    }
    let matrix = DenseSymmetric::new(n, a).expect("the matrix was just symmetrized exactly");
    Ok(Assembled {
        matrix,
        asymmetry: if scale > 0.0 { worst / scale } else { 0.0 },
    })
}

/// The matrix as an `ndarray` for LAPACK (a copy: the solver overwrites its input).
fn to_array(a: &DenseSymmetric) -> Array2<f64> {
    Array2::from_shape_vec((a.dim(), a.dim()), a.entries().to_vec())
        .expect("a DenseSymmetric holds n^2 entries")
}

/// All eigenvalues of `a`, ascending (LAPACK `dsyev` without vectors).
pub fn eigenvalues(a: &DenseSymmetric) -> Result<Vec<f64>, ExactError> {
    let values = to_array(a)
        .eigvalsh_into(UPLO::Lower)
        .map_err(|e| ExactError::Eigensolver(e.to_string()))?;
    Ok(values.to_vec())
}

/// The eigen-decomposition `A = U diag(values) U^T` of a symmetric matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Eigen {
    /// Eigenvalues, ascending.
    pub values: Vec<f64>,
    /// `vectors[i]`: the unit eigenvector of `values[i]`.
    pub vectors: Vec<Vec<f64>>,
}

impl Eigen {
    /// The spectral measure of `A` seen from `z` (non-zero): nodes at the eigenvalues, weights
    /// `(u_i . z)^2 / |z|^2`. Lanczos started at `z` computes Gauss quadratures of exactly this
    /// measure, so it is what one probe of stochastic Lanczos quadrature should reproduce.
    pub fn measure_from(&self, z: &[f64]) -> Quadrature {
        let zz: f64 = z.iter().map(|x| x * x).sum();
        Quadrature {
            nodes: self.values.clone(),
            weights: self
                .vectors
                .iter()
                .map(|u| u.iter().zip(z).map(|(a, b)| a * b).sum::<f64>().powi(2) / zz)
                .collect(),
        }
    }
}

/// Eigenvalues and eigenvectors of `a` (LAPACK `dsyev`).
pub fn eigen_decomposition(a: &DenseSymmetric) -> Result<Eigen, ExactError> {
    let (values, vectors) = to_array(a)
        .eigh_into(UPLO::Lower)
        .map_err(|e| ExactError::Eigensolver(e.to_string()))?;
    Ok(Eigen {
        values: values.to_vec(),
        vectors: vectors.columns().into_iter().map(|c| c.to_vec()).collect(),
    })
}

/// The uniform measure on a spectrum, `(1/n) sum_i delta(t - lambda_i)`: the density that
/// stochastic Lanczos quadrature estimates, in the form [`super::spectrum::density_on_grid`] and
/// [`super::spectrum::quadrature_trace`] take.
pub fn uniform_measure(eigenvalues: &[f64]) -> Quadrature {
    let n = eigenvalues.len().max(1) as f64;
    Quadrature {
        nodes: eigenvalues.to_vec(),
        weights: vec![1.0 / n; eigenvalues.len()],
    }
}

/// The exact Hessian of the loss at `curvature`'s point, its spectrum and the asymmetry removed.
#[derive(Clone, Debug, PartialEq)]
pub struct ExactSpectrum {
    /// The assembled, symmetrized Hessian.
    pub hessian: Assembled,
    /// Its eigenvalues and eigenvectors.
    pub eigen: Eigen,
}

/// Assembles the Hessian at `curvature`'s point from `n` exact products and decomposes it.
pub fn hessian_spectrum(curvature: &mut Curvature) -> Result<ExactSpectrum, ExactError> {
    let hessian = assemble(&mut HessianOperator::new(curvature))?;
    let eigen = eigen_decomposition(&hessian.matrix)?;
    Ok(ExactSpectrum { hessian, eigen })
}
