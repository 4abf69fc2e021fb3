//! The elementwise work of the network in f64, as the paper writes it: plain scalar loops and
//! `f64::exp`, no approximation, no SIMD. Each function is the f64 counterpart of a kernel in
//! `rbp_kernels::activation`.

/// Eq. (2)'s activation in place: `x <- 1 / (1 + exp(-x))`.
pub fn sigmoid_inplace(x: &mut [f64]) {
    for v in x {
        *v = 1.0 / (1.0 + (-*v).exp());
    }
}

/// Eq. (4b)'s factor in place: `delta <- delta * s * (1 - s)`, with `s` the layer's output.
///
/// # Panics
/// If the slices differ in length.
pub fn sigmoid_backward_inplace(delta: &mut [f64], s: &[f64]) {
    assert_eq!(
        delta.len(),
        s.len(),
        "sigmoid_backward_inplace: lengths differ"
    );
    for (d, &s) in delta.iter_mut().zip(s) {
        *d *= s * (1.0 - s);
    }
}

/// Eqs. (3), (4a): `kappa <- (y - y*) y (1 - y)`; returns the summed loss `sum 1/2 (y* - y)^2`.
///
/// # Panics
/// If the slices differ in length.
pub fn output_error(kappa: &mut [f64], y: &[f64], target: &[f64]) -> f64 {
    assert_eq!(kappa.len(), y.len(), "output_error: lengths differ");
    assert_eq!(target.len(), y.len(), "output_error: lengths differ");
    let mut loss = 0.0;
    for ((k, &y), &t) in kappa.iter_mut().zip(y).zip(target) {
        let e = y - t;
        *k = e * y * (1.0 - y);
        loss += 0.5 * e * e;
    }
    loss
}

/// The summed loss `sum 1/2 (y* - y)^2`.
///
/// # Panics
/// If the slices differ in length.
pub fn quadratic_loss(y: &[f64], target: &[f64]) -> f64 {
    assert_eq!(target.len(), y.len(), "quadratic_loss: lengths differ");
    y.iter()
        .zip(target)
        .map(|(&y, &t)| 0.5 * (y - t) * (y - t))
        .sum()
}
