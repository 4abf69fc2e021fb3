//! The network of `crate::net` in f64: forward (Eq. 2), backward (Eqs. 3-5), whole-batch
//! gradients, with work buffers allocated once.

use super::elementwise;
use crate::gemm::{self, MatRef, Trans};
use crate::memory::{self, AllocError};
use crate::net::Layout;

/// A view the layout guarantees to be well shaped: a failure here is a bug in this module.
fn matrix(data: &[f64], rows: usize, cols: usize) -> MatRef<'_, f64> {
    MatRef::new(data, rows, cols).expect("buffers are sliced to their layer's shape")
}

/// `c = alpha op(a) op(b)` for this module's well-shaped views.
fn product(alpha: f64, a: MatRef<f64>, ta: Trans, b: MatRef<f64>, tb: Trans, c: &mut [f64]) {
    gemm::dgemm(alpha, a, ta, b, tb, 0.0, c).expect("the network's products are well shaped")
}

/// The f64 network's buffers for batches of up to `capacity` rows.
pub struct Net {
    layout: Layout,
    capacity: usize,
    /// `acts[0]` is the input batch, `acts[l]` layer `l`'s sigmoid output (`batch x width_l`).
    acts: Vec<Vec<f64>>,
    /// `kappas[l]`: layer `l`'s error signal, Eq. (4) (index 0 unused).
    kappas: Vec<Vec<f64>>,
}

impl Net {
    /// Buffers for `layout` and batches of up to `capacity` rows.
    pub fn new(layout: Layout, capacity: usize) -> Result<Net, AllocError> {
        let buffer = |w: usize| {
            let n = w.checked_mul(capacity).ok_or(AllocError {
                what: "an f64 workspace",
                bytes: w as u128 * capacity as u128 * 8,
            })?;
            memory::zeroed::<f64>(n, "an f64 workspace")
        };
        let widths = layout.arch().widths().to_vec();
        let acts = widths
            .iter()
            .map(|&w| buffer(w))
            .collect::<Result<Vec<_>, _>>()?;
        let mut kappas = vec![Vec::new()];
        for &w in &widths[1..] {
            kappas.push(buffer(w)?);
        }
        Ok(Net {
            layout,
            capacity,
            acts,
            kappas,
        })
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The input rows of the next batch (`batch x input_width`), to be filled by the caller.
    ///
    /// # Panics
    /// If `batch` exceeds the capacity.
    pub fn input_mut(&mut self, batch: usize) -> &mut [f64] {
        assert!(batch <= self.capacity, "batch larger than the workspace");
        let w = self.layout.arch().input_width();
        &mut self.acts[0][..batch * w]
    }

    /// The outputs of the last [`Net::forward`] (`batch x output_width`).
    pub fn output(&self, batch: usize) -> &[f64] {
        let w = self.layout.arch().output_width();
        &self.acts[self.layout.arch().depth()][..batch * w]
    }

    /// Eq. (2) over the `batch` rows in [`Net::input_mut`]: `v^l = sigmoid(v^{l-1} W^l^T)`.
    pub fn forward(&mut self, params: &[f64], batch: usize) {
        assert!(batch <= self.capacity, "batch larger than the workspace");
        for l in 0..self.layout.arch().depth() {
            let (n_in, n_out) = self.layout.layer_shape(l);
            let weights = matrix(&params[self.layout.layer_range(l)], n_out, n_in);
            let (below, above) = self.acts.split_at_mut(l + 1);
            let input = matrix(&below[l][..batch * n_in], batch, n_in);
            let h = &mut above[0][..batch * n_out];
            product(1.0, input, Trans::No, weights, Trans::Yes, h);
            elementwise::sigmoid_inplace(h);
        }
    }

    /// Eqs. (3)-(5) after [`Net::forward`] on the same batch: the mini-batch mean gradient of
    /// `E = 1/2 |y* - y|^2` into `grads` (every layer, weights untouched); returns the summed loss.
    pub fn backward(
        &mut self,
        params: &[f64],
        targets: &[f64],
        batch: usize,
        grads: &mut [f64],
    ) -> f64 {
        let depth = self.layout.arch().depth();
        let n_out = self.layout.arch().output_width();
        let loss = elementwise::output_error(
            &mut self.kappas[depth][..batch * n_out],
            &self.acts[depth][..batch * n_out],
            &targets[..batch * n_out],
        );
        for l in (0..depth).rev() {
            let (n_in, n_out) = self.layout.layer_shape(l);
            let range = self.layout.layer_range(l);
            let (lower, upper) = self.kappas.split_at_mut(l + 1);
            let kappa = matrix(&upper[0][..batch * n_out], batch, n_out);
            let input = matrix(&self.acts[l][..batch * n_in], batch, n_in);
            // Eq. (5): dE/dW^l = (1/B) kappa^T v^{l-1}.
            product(
                1.0 / batch as f64,
                kappa,
                Trans::Yes,
                input,
                Trans::No,
                &mut grads[range.clone()],
            );
            if l > 0 {
                // Eq. (4b): kappa^{l-1} = (kappa^l W^l) v (1 - v).
                let weights = matrix(&params[range], n_out, n_in);
                let below = &mut lower[l][..batch * n_in];
                product(1.0, kappa, Trans::No, weights, Trans::No, below);
                elementwise::sigmoid_backward_inplace(below, &self.acts[l][..batch * n_in]);
            }
        }
        loss
    }
}
