//! The hand-written backward pass (Eqs. 3-5) against central finite differences of the loss,
//! computed by an independent f64 forward pass.

use ndarray::Array2;
use rbp_core::data::Examples;
use rbp_core::init::{self, Init};
use rbp_core::net::{Arch, Layout};
use rbp_core::train::Trainer;

/// Plain f64 forward pass and mean loss: the oracle (no GEMM, no SIMD).
fn loss_f64(arch: &[usize], params: &[f64], x: &Array2<f32>, y: &Array2<f32>) -> f64 {
    let mut total = 0.0;
    for n in 0..x.nrows() {
        let mut v: Vec<f64> = x.row(n).iter().map(|&a| a as f64).collect();
        let mut offset = 0;
        for w in arch.windows(2) {
            let (n_in, n_out) = (w[0], w[1]);
            v = (0..n_out)
                .map(|i| {
                    let h: f64 = (0..n_in)
                        .map(|j| params[offset + i * n_in + j] * v[j])
                        .sum();
                    1.0 / (1.0 + (-h).exp())
                })
                .collect();
            offset += n_in * n_out;
        }
        total += v
            .iter()
            .zip(y.row(n))
            .map(|(a, &b)| 0.5 * (b as f64 - a).powi(2))
            .sum::<f64>();
    }
    total / x.nrows() as f64
}

#[test]
fn backward_matches_finite_differences() {
    let widths = vec![5, 7, 4, 3];
    let layout = Layout::new(Arch::new(widths.clone()).unwrap()).unwrap();
    // N(0, 1) weights so that every layer is in the sigmoid's curved region, not near-linear.
    let params = init::initial_params(&layout, Init::Normal, 3).unwrap();
    let batch = 6;
    let x = Array2::from_shape_fn((batch, 5), |(i, j)| ((i * 5 + j) as f32 * 0.37).sin() * 1.5);
    let y = Array2::from_shape_fn((batch, 3), |(i, j)| {
        0.5 + 0.4 * ((i * 3 + j) as f32 * 0.91).cos()
    });
    let data = Examples {
        inputs: x.clone(),
        targets: y.clone(),
        labels: None,
    };

    let mut trainer = Trainer::new(layout.clone(), params.clone(), batch).unwrap();
    let rows: Vec<usize> = (0..batch).collect();
    let loss_sum = trainer.compute_gradient(&data, &rows);
    let grads = trainer.grads().to_vec();

    let p64: Vec<f64> = params.iter().map(|&p| p as f64).collect();
    let base = loss_f64(&widths, &p64, &x, &y);
    // The batch loss the backward pass reports is the sum over the batch.
    assert!(
        (loss_sum / batch as f64 - base).abs() < 1e-6,
        "loss {loss_sum} vs {base}"
    );

    // Central differences in f64 with h = 1e-5 are accurate to ~h^2 * f''' ~ 1e-10; the f32
    // gradient carries rounding of ~1e-7 relative per operation over sums of <= 7 terms, so
    // 1e-6 absolute plus 1e-4 relative separates rounding from any real error (a wrong sign,
    // a missing sigmoid factor or a transposed weight gives errors of order the gradient itself).
    let h = 1e-5;
    let mut worst: f64 = 0.0;
    for k in 0..p64.len() {
        let mut plus = p64.clone();
        plus[k] += h;
        let mut minus = p64.clone();
        minus[k] -= h;
        let fd = (loss_f64(&widths, &plus, &x, &y) - loss_f64(&widths, &minus, &x, &y)) / (2.0 * h);
        let err = (grads[k] as f64 - fd).abs();
        assert!(
            err <= 1e-6 + 1e-4 * fd.abs(),
            "weight {k}: backward {} vs finite difference {fd}",
            grads[k]
        );
        worst = worst.max(err);
    }
    assert!(
        grads.iter().any(|g| g.abs() > 1e-3),
        "gradient is not trivially zero"
    );
    eprintln!(
        "worst absolute gradient error {worst:.2e} over {} weights",
        p64.len()
    );
}
