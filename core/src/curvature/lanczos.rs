//! Lanczos iteration with full re-orthogonalization, and the eigenproblem of the small symmetric
//! tridiagonal matrix it produces (implicit QL with Wilkinson shifts, pure Rust).

use super::SymmetricOperator;

/// The Lanczos tridiagonal matrix `T = Q^T A Q` of a Krylov basis `Q` started from one vector.
#[derive(Clone, Debug, PartialEq)]
pub struct Tridiagonal {
    /// Diagonal `alpha_1..alpha_m`.
    pub diagonal: Vec<f64>,
    /// Off-diagonal `beta_1..beta_{m-1}`.
    pub off_diagonal: Vec<f64>,
    /// `beta_m`, the norm of the residual left after the last step (0 when the Krylov space
    /// became invariant): the Ritz pair `(theta_i, Q y_i)` has residual `beta_m |y_i[m]|`.
    pub residual_norm: f64,
}

/// Eigenvalues (ascending) of a symmetric tridiagonal matrix, with the first and last component
/// of each unit eigenvector: what stochastic Lanczos quadrature (weights `first^2`) and Ritz
/// residual bounds (`beta_m |last|`) need.
#[derive(Clone, Debug, PartialEq)]
pub struct TridiagonalEigen {
    /// Eigenvalues, ascending.
    pub values: Vec<f64>,
    /// First component of each eigenvector.
    pub first: Vec<f64>,
    /// Last component of each eigenvector.
    pub last: Vec<f64>,
}

/// The implicit QL iteration did not converge (it does in a few sweeps for every finite input).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("the tridiagonal eigensolver did not converge (non-finite entries?)")]
pub struct NoConvergence;

/// Eigen-decomposition of the symmetric tridiagonal matrix with `diagonal` (length `m`) and
/// `off_diagonal` (length `m - 1`), by the implicit QL algorithm with Wilkinson shifts.
///
/// # Panics
/// If `off_diagonal` does not have `m - 1` values (`m >= 1`).
pub fn tridiagonal_eigen(
    diagonal: &[f64],
    off_diagonal: &[f64],
) -> Result<TridiagonalEigen, NoConvergence> {
    let n = diagonal.len();
    assert_eq!(off_diagonal.len() + 1, n.max(1), "off-diagonal length");
    let mut d = diagonal.to_vec();
    let mut e = off_diagonal.to_vec();
    e.push(0.0);
    // z[k * n + j]: component k of eigenvector j.
    let mut z = vec![0.0; n * n];
    for i in 0..n {
        z[i * n + i] = 1.0;
    }
    for l in 0..n {
        let mut sweeps = 0;
        loop {
            // The first negligible off-diagonal entry at or after l splits the matrix.
            let mut m = l;
            while m + 1 < n {
                let scale = d[m].abs() + d[m + 1].abs();
                if e[m].abs() <= f64::EPSILON * scale {
                    break;
                }
                m += 1;
            }
            if m == l {
                break;
            }
            sweeps += 1;
            if sweeps > 60 || !d[l].is_finite() || !e[l].is_finite() {
                return Err(NoConvergence);
            }
            // Wilkinson shift from the leading 2x2 block.
            let mut g = (d[l + 1] - d[l]) / (2.0 * e[l]);
            let mut r = g.hypot(1.0);
            g = d[m] - d[l] + e[l] / (g + r.copysign(g));
            let (mut s, mut c, mut p) = (1.0, 1.0, 0.0);
            let mut deflated = false;
            for i in (l..m).rev() {
                let f = s * e[i];
                let b = c * e[i];
                r = f.hypot(g);
                e[i + 1] = r;
                if r == 0.0 {
                    d[i + 1] -= p;
                    e[m] = 0.0;
                    deflated = true;
                    break;
                }
                s = f / r;
                c = g / r;
                g = d[i + 1] - p;
                r = (d[i] - g) * s + 2.0 * c * b;
                p = s * r;
                d[i + 1] = g + p;
                g = c * r - b;
                for k in 0..n {
                    let f = z[k * n + i + 1];
                    z[k * n + i + 1] = s * z[k * n + i] + c * f;
                    z[k * n + i] = c * z[k * n + i] - s * f;
                }
            }
            if deflated {
                continue;
            }
            d[l] -= p;
            e[l] = g;
            e[m] = 0.0;
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| d[a].total_cmp(&d[b]));
    Ok(TridiagonalEigen {
        values: order.iter().map(|&j| d[j]).collect(),
        first: order.iter().map(|&j| z[j]).collect(),
        last: order.iter().map(|&j| z[(n - 1) * n + j]).collect(),
    })
}

/// `steps` Lanczos steps of `op` from `start` (any non-zero vector), each new basis vector
/// re-orthogonalized twice against all previous ones ("twice is enough"), so the Ritz values carry
/// no spurious copies. Stops early when the Krylov space becomes invariant.
///
/// # Panics
/// If `start` does not have `op.dim()` values or is zero, or `steps` is 0.
pub fn lanczos(op: &mut dyn SymmetricOperator, start: &[f64], steps: usize) -> Tridiagonal {
    let n = op.dim();
    assert_eq!(start.len(), n, "the start vector does not fit the operator");
    assert!(steps > 0, "Lanczos needs at least one step");
    let norm = dot(start, start).sqrt();
    assert!(norm > 0.0, "Lanczos needs a non-zero start vector");
    let steps = steps.min(n);
    let mut basis: Vec<Vec<f64>> = vec![start.iter().map(|x| x / norm).collect()];
    let (mut diagonal, mut off_diagonal) = (Vec::new(), Vec::new());
    let mut w = vec![0.0; n];
    let mut residual_norm = 0.0;
    for j in 0..steps {
        op.apply(&basis[j], &mut w);
        let alpha = dot(&basis[j], &w);
        diagonal.push(alpha);
        for _ in 0..2 {
            for q in &basis {
                let c = dot(q, &w);
                axpy(-c, q, &mut w);
            }
        }
        let beta = dot(&w, &w).sqrt();
        residual_norm = beta;
        // An invariant subspace: the Ritz values are exact eigenvalues; stop.
        let scale = diagonal.iter().fold(alpha.abs(), |m, a| m.max(a.abs()));
        if beta <= 1e-12 * scale.max(f64::MIN_POSITIVE) || j + 1 == steps {
            break;
        }
        off_diagonal.push(beta);
        basis.push(w.iter().map(|x| x / beta).collect());
    }
    Tridiagonal {
        diagonal,
        off_diagonal,
        residual_norm,
    }
}

/// A Ritz value with the bound on its distance to an eigenvalue of the operator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RitzValue {
    /// The estimate.
    pub value: f64,
    /// `beta_m |y_m|`: an eigenvalue of the operator lies within this distance of `value`.
    pub residual: f64,
}

/// The `k` largest eigenvalues of `op` (descending), from `steps` Lanczos steps started at `start`.
///
/// # Panics
/// As [`lanczos`].
pub fn top_eigenvalues(
    op: &mut dyn SymmetricOperator,
    start: &[f64],
    k: usize,
    steps: usize,
) -> Result<Vec<RitzValue>, NoConvergence> {
    let t = lanczos(op, start, steps.max(k));
    let eig = tridiagonal_eigen(&t.diagonal, &t.off_diagonal)?;
    Ok((0..eig.values.len())
        .rev()
        .take(k)
        .map(|i| RitzValue {
            value: eig.values[i],
            residual: t.residual_norm * eig.last[i].abs(),
        })
        .collect())
}

/// `sum a_i b_i` in `f64`.
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `y += c x`.
fn axpy(c: f64, x: &[f64], y: &mut [f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += c * x;
    }
}
