//! Exact Hessian-vector products of the training loss by Pearlmutter's R-operator (Pearlmutter,
//! 1994): the directional derivative `R{.} = d/dr (.)(W + r V)` at `r = 0` pushed forward through
//! Eq. (2) and then through the backward pass Eqs. (3)-(5), on the same GEMM path as training.
//!
//! With `a^l` the activations (`a^0` the input), `h^l = a^{l-1} W^l^T`, `s^l = a^l (1 - a^l)` and
//! `delta^l` the error signal of layer `l` (the training code's `kappa`):
//!
//! - forward:  `R{h^l} = a^{l-1} V^l^T + R{a^{l-1}} W^l^T`, `R{a^l} = s^l R{h^l}` (`R{a^0} = 0`);
//! - top:      `delta^L = (a^L - y*) s^L`, so
//!   `R{delta^L} = s^L R{a^L} + delta^L (1 - 2 a^L) R{h^L}` (because `s' = s (1 - 2a)`);
//! - hidden:   `delta^l = (delta^{l+1} W^{l+1}) s^l`, so
//!   `R{delta^l} = (R{delta^{l+1}} W^{l+1} + delta^{l+1} V^{l+1}) s^l + delta^l (1 - 2 a^l) R{h^l}`;
//! - product:  `(H V)^l = (1/N) sum over examples of R{delta^l}^T a^{l-1} + delta^l^T R{a^{l-1}}`.
//!
//! The training set is cut into chunks of [`EVAL_BATCH`] rows; each chunk's forward and backward
//! pass is kept (one [`Workspace`] per chunk), so a product costs only the R-passes. Products are
//! in `f32` like training; the sums over chunks and the loss are accumulated in `f64`.

use crate::data::Examples;
use crate::gemm::{self, MatRef, Trans};
use crate::memory::{self, AllocError};
use crate::net::{self, Layout, Workspace};
use crate::phase::NoClock;
use crate::train::EVAL_BATCH;

/// Why the curvature of a network could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum CurvatureError {
    /// A buffer could not be allocated.
    #[error(transparent)]
    Alloc(#[from] AllocError),
    /// The data or weights do not fit the network.
    #[error("{0}")]
    Mismatch(String),
}

/// The training loss `L(W) = (1/N) sum_n 1/2 |y*_n - y_n|^2` of a network on a data set, at a point
/// `W`: its value, gradient and exact Hessian-vector products.
pub struct Curvature<'a> {
    layout: Layout,
    data: &'a Examples,
    params: Vec<f32>,
    /// One workspace per chunk of rows, holding the chunk's forward and backward pass at `params`.
    chunks: Vec<Workspace>,
    /// Mean loss at `params`.
    loss: f64,
    /// Mean gradient at `params`.
    grad: Vec<f32>,
    /// Scratch for one chunk's gradient, and for forward-only evaluations.
    chunk_grad: Vec<f32>,
    eval_ws: Workspace,
    r: RBuffers,
    /// `H v` summed over chunks.
    acc: Vec<f64>,
}

/// The R-pass buffers for one chunk (capacity [`EVAL_BATCH`] rows).
struct RBuffers {
    /// `r_h[l]`: `R{h}` of weight layer `l` (`batch x width_{l+1}`).
    r_h: Vec<Vec<f32>>,
    /// `r_a[l]`: `R{a^l}` (index 0 unused: the input does not depend on the weights).
    r_a: Vec<Vec<f32>>,
    /// `r_delta[l]`: `R{delta}` of weight layer `l` (`batch x width_{l+1}`).
    r_delta: Vec<Vec<f32>>,
    /// One weight layer's share of `H v` for the chunk.
    hv: Vec<f32>,
}

/// A view whose shape the caller sliced to fit: a failure is a bug in this module.
fn mat(data: &[f32], rows: usize, cols: usize) -> MatRef<'_> {
    MatRef::new(data, rows, cols).expect("buffers are sliced to their shapes")
}

/// `c = alpha op(a) op(b) + beta c` on views this module shaped.
fn gemm(alpha: f32, a: MatRef, ta: Trans, b: MatRef, tb: Trans, beta: f32, c: &mut [f32]) {
    gemm::sgemm(alpha, a, ta, b, tb, beta, c).expect("the R-pass products are well shaped");
}

impl<'a> Curvature<'a> {
    /// The loss of `layout` on `data` at `params`; runs the forward and backward pass once.
    pub fn new(
        layout: Layout,
        params: &[f32],
        data: &'a Examples,
    ) -> Result<Curvature<'a>, CurvatureError> {
        let arch = layout.arch().clone();
        if params.len() != layout.param_count() {
            return Err(CurvatureError::Mismatch(format!(
                "{} weights for a {arch} network of {}",
                params.len(),
                layout.param_count()
            )));
        }
        if data.input_width() != arch.input_width() || data.output_width() != arch.output_width() {
            return Err(CurvatureError::Mismatch(format!(
                "the data has {} inputs and {} outputs, the {arch} network {} and {}",
                data.input_width(),
                data.output_width(),
                arch.input_width(),
                arch.output_width()
            )));
        }
        if data.is_empty() {
            return Err(CurvatureError::Mismatch("the data set is empty".into()));
        }
        let n = layout.param_count();
        let chunks = (0..data.len().div_ceil(EVAL_BATCH))
            .map(|_| Workspace::new(&arch, EVAL_BATCH))
            .collect::<Result<Vec<_>, _>>()?;
        let widths = arch.widths();
        let buf = |w: usize| memory::zeroed::<f32>(w * EVAL_BATCH, "the R-pass buffers");
        let r = RBuffers {
            r_h: widths[1..]
                .iter()
                .map(|&w| buf(w))
                .collect::<Result<_, _>>()?,
            r_a: widths.iter().map(|&w| buf(w)).collect::<Result<_, _>>()?,
            r_delta: widths[1..]
                .iter()
                .map(|&w| buf(w))
                .collect::<Result<_, _>>()?,
            hv: memory::zeroed(
                (0..arch.depth())
                    .map(|l| layout.layer_range(l).len())
                    .max()
                    .unwrap_or(0),
                "the R-pass buffers",
            )?,
        };
        let mut curvature = Curvature {
            eval_ws: Workspace::new(&arch, EVAL_BATCH)?,
            params: params.to_vec(),
            grad: memory::zeroed(n, "the gradient")?,
            chunk_grad: memory::zeroed(n, "the gradient")?,
            acc: memory::zeroed(n, "the Hessian-vector product")?,
            layout,
            data,
            chunks,
            loss: 0.0,
            r,
        };
        curvature.primal_pass();
        Ok(curvature)
    }

    /// Number of weights.
    pub fn dim(&self) -> usize {
        self.params.len()
    }
    /// The network's layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }
    /// The point `W` the loss is taken at.
    pub fn params(&self) -> &[f32] {
        &self.params
    }
    /// Mean loss over the data at [`Self::params`].
    pub fn loss(&self) -> f64 {
        self.loss
    }
    /// Mean gradient over the data at [`Self::params`].
    pub fn gradient(&self) -> &[f32] {
        &self.grad
    }

    /// Moves to a new point (same length as before) and runs its forward and backward pass.
    ///
    /// # Panics
    /// If `params` has another length than the network's weight count.
    pub fn set_params(&mut self, params: &[f32]) {
        self.params.copy_from_slice(params);
        self.primal_pass();
    }

    /// Rows `start..start + b` of chunk `c`.
    fn chunk_rows(&self, c: usize) -> (usize, usize) {
        let start = c * EVAL_BATCH;
        (start, EVAL_BATCH.min(self.data.len() - start))
    }

    /// Forward and backward pass of every chunk at `params`: loss and mean gradient.
    fn primal_pass(&mut self) {
        let (n_in, n_out) = (self.data.input_width(), self.data.output_width());
        let inputs = rows_of(&self.data.inputs);
        let targets = rows_of(&self.data.targets);
        let total = self.data.len() as f64;
        self.acc.fill(0.0);
        let mut loss = 0.0;
        for c in 0..self.chunks.len() {
            let (start, b) = self.chunk_rows(c);
            let ws = &mut self.chunks[c];
            ws.input_mut(b)
                .copy_from_slice(&inputs[start * n_in..(start + b) * n_in]);
            net::forward(&self.layout, &self.params, ws, b);
            loss += net::backward(
                &self.layout,
                &mut self.params,
                ws,
                &targets[start * n_out..(start + b) * n_out],
                b,
                &mut self.chunk_grad,
                &mut |_, _, _| {},
                &mut NoClock,
            );
            // The chunk's gradient is its mean: weight it by its share of the rows.
            let weight = b as f64 / total;
            for (a, &g) in self.acc.iter_mut().zip(&self.chunk_grad) {
                *a += weight * g as f64;
            }
        }
        self.loss = loss / total;
        for (g, &a) in self.grad.iter_mut().zip(&self.acc) {
            *g = a as f32;
        }
    }

    /// Mean loss of the network at `params` on `data` (forward passes only; the point of the
    /// curvature does not move).
    ///
    /// # Panics
    /// If `params` or `data` do not fit the network.
    pub fn loss_at(&mut self, params: &[f32], data: &Examples) -> f64 {
        assert_eq!(params.len(), self.dim(), "weights do not fit the network");
        let (n_in, n_out) = (data.input_width(), data.output_width());
        let inputs = rows_of(&data.inputs);
        let targets = rows_of(&data.targets);
        let mut loss = 0.0;
        for start in (0..data.len()).step_by(EVAL_BATCH) {
            let b = EVAL_BATCH.min(data.len() - start);
            self.eval_ws
                .input_mut(b)
                .copy_from_slice(&inputs[start * n_in..(start + b) * n_in]);
            net::forward(&self.layout, params, &mut self.eval_ws, b);
            loss += rbp_kernels::activation::quadratic_loss(
                self.eval_ws.output(b),
                &targets[start * n_out..(start + b) * n_out],
            );
        }
        loss / data.len().max(1) as f64
    }

    /// `out = H v`, the exact product of the loss's Hessian at [`Self::params`] with `v`.
    ///
    /// # Panics
    /// If `v` or `out` does not have [`Self::dim`] values.
    pub fn hvp(&mut self, v: &[f32], out: &mut [f32]) {
        assert_eq!(
            v.len(),
            self.dim(),
            "the direction does not fit the network"
        );
        assert_eq!(
            out.len(),
            self.dim(),
            "the product does not fit the network"
        );
        self.acc.fill(0.0);
        let total = self.data.len() as f64;
        for c in 0..self.chunks.len() {
            let (_, b) = self.chunk_rows(c);
            self.r_pass(c, b, v, b as f64 / total);
        }
        for (o, &a) in out.iter_mut().zip(&self.acc) {
            *o = a as f32;
        }
    }

    /// The R-passes of chunk `c` (`b` rows), adding `weight` times the chunk's mean `H v` to
    /// `acc`.
    fn r_pass(&mut self, c: usize, b: usize, v: &[f32], weight: f64) {
        let layout = &self.layout;
        let ws = &self.chunks[c];
        let widths = layout.arch().widths().to_vec();
        let depth = layout.arch().depth();
        let r = &mut self.r;
        // Forward: R{h^l} and R{a^l}.
        for l in 0..depth {
            let (n_in, n_out) = layout.layer_shape(l);
            let input = mat(&ws.activations(l)[..b * n_in], b, n_in);
            let dir = mat(&v[layout.layer_range(l)], n_out, n_in);
            let r_h = &mut r.r_h[l][..b * n_out];
            gemm(1.0, input, Trans::No, dir, Trans::Yes, 0.0, r_h);
            if l > 0 {
                let r_in = mat(&r.r_a[l][..b * n_in], b, n_in);
                let w = mat(&self.params[layout.layer_range(l)], n_out, n_in);
                gemm(1.0, r_in, Trans::No, w, Trans::Yes, 1.0, r_h);
            }
            let a = &ws.activations(l + 1)[..b * n_out];
            for ((ra, &rh), &a) in r.r_a[l + 1][..b * n_out].iter_mut().zip(&*r_h).zip(a) {
                *ra = a * (1.0 - a) * rh;
            }
        }
        // Top: R{delta^L} = s R{a^L} + delta^L (1 - 2a) R{h^L}.
        let top = widths[depth];
        second_order_term(
            &mut r.r_delta[depth - 1][..b * top],
            Some(&r.r_a[depth][..b * top]),
            &ws.activations(depth)[..b * top],
            &ws.error_signal(depth)[..b * top],
            &r.r_h[depth - 1][..b * top],
        );
        // Down the layers: H v of layer l, then R{delta} of the layer below.
        for l in (0..depth).rev() {
            let (n_in, n_out) = layout.layer_shape(l);
            let range = layout.layer_range(l);
            let delta = mat(&ws.error_signal(l + 1)[..b * n_out], b, n_out);
            let r_delta = mat(&r.r_delta[l][..b * n_out], b, n_out);
            let input = mat(&ws.activations(l)[..b * n_in], b, n_in);
            let hv = &mut r.hv[..range.len()];
            let inv_b = 1.0 / b as f32;
            gemm(inv_b, r_delta, Trans::Yes, input, Trans::No, 0.0, hv);
            if l > 0 {
                let r_in = mat(&r.r_a[l][..b * n_in], b, n_in);
                gemm(inv_b, delta, Trans::Yes, r_in, Trans::No, 1.0, hv);
            }
            for (acc, &h) in self.acc[range.clone()].iter_mut().zip(&*hv) {
                *acc += weight * h as f64;
            }
            if l == 0 {
                break;
            }
            // R{g} = R{delta^{l+1}} W + delta^{l+1} V, into r_delta[l - 1], then the sigmoid terms.
            let w = mat(&self.params[range.clone()], n_out, n_in);
            let dir = mat(&v[range], n_out, n_in);
            let (below, above) = r.r_delta.split_at_mut(l);
            let r_delta = mat(&above[0][..b * n_out], b, n_out);
            let r_below = &mut below[l - 1][..b * n_in];
            gemm(1.0, r_delta, Trans::No, w, Trans::No, 0.0, r_below);
            gemm(1.0, delta, Trans::No, dir, Trans::No, 1.0, r_below);
            second_order_term(
                r_below,
                None,
                &ws.activations(l)[..b * n_in],
                &ws.error_signal(l)[..b * n_in],
                &r.r_h[l - 1][..b * n_in],
            );
        }
    }
}

/// `r_delta = s x + delta (1 - 2a) r_h` with `s = a (1 - a)`, where `x` is `r_delta`'s own
/// content when `x` is `None` (hidden layers: `x = R{g}` was just written there).
fn second_order_term(
    r_delta: &mut [f32],
    x: Option<&[f32]>,
    a: &[f32],
    delta: &[f32],
    r_h: &[f32],
) {
    for i in 0..r_delta.len() {
        let xi = x.map_or(r_delta[i], |x| x[i]);
        let ai = a[i];
        r_delta[i] = ai * (1.0 - ai) * xi + delta[i] * (1.0 - 2.0 * ai) * r_h[i];
    }
}

/// The contiguous row-major storage of an example matrix.
fn rows_of(a: &ndarray::Array2<f32>) -> &[f32] {
    a.as_slice()
        .expect("example matrices are built in standard (row-major) layout")
}
