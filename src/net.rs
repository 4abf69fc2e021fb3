//! The fully connected sigmoid network of the paper (Sec. II-III): no biases, sigmoid on every
//! layer including the output, quadratic loss, mini-batch mean gradients.
//!
//! All weights live in one contiguous `f32` buffer (layer after layer, each row-major
//! `out x in`), and gradients and optimizer state mirror it, so an optimizer update is a single
//! kernel call over every weight. Activations are row-major `batch x width`.

use crate::gemm::{self, MatRef, Trans};
use rbp_kernels::activation;
use std::fmt;
use std::str::FromStr;

/// Layer widths, input first: `100-400-200-10`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arch(Vec<usize>);

/// Why an architecture string was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArchError {
    #[error("architecture is empty; give layer widths like 100-400-200-10")]
    Empty,
    #[error("architecture `{0}` has a single layer; give at least an input and an output width")]
    TooShallow(String),
    #[error("architecture `{arch}`: `{part}` is not a positive whole number")]
    BadWidth { arch: String, part: String },
}

impl Arch {
    pub fn new(widths: Vec<usize>) -> Result<Arch, ArchError> {
        let text = widths
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("-");
        if widths.is_empty() {
            return Err(ArchError::Empty);
        }
        if widths.len() < 2 {
            return Err(ArchError::TooShallow(text));
        }
        if widths.contains(&0) {
            return Err(ArchError::BadWidth {
                arch: text,
                part: "0".into(),
            });
        }
        Ok(Arch(widths))
    }
    pub fn widths(&self) -> &[usize] {
        &self.0
    }
    pub fn input_width(&self) -> usize {
        self.0[0]
    }
    pub fn output_width(&self) -> usize {
        *self.0.last().expect("an Arch has at least two widths")
    }
    /// Number of weight layers (widths minus one).
    pub fn depth(&self) -> usize {
        self.0.len() - 1
    }
    /// Total number of weights.
    pub fn param_count(&self) -> usize {
        self.0.windows(2).map(|w| w[0] * w[1]).sum()
    }
}

impl FromStr for Arch {
    type Err = ArchError;
    fn from_str(s: &str) -> Result<Arch, ArchError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ArchError::Empty);
        }
        let widths = s
            .split('-')
            .map(|part| match part.trim().parse::<usize>() {
                Ok(w) if w > 0 => Ok(w),
                _ => Err(ArchError::BadWidth {
                    arch: s.to_string(),
                    part: part.to_string(),
                }),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Arch::new(widths)
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(usize::to_string).collect();
        f.write_str(&parts.join("-"))
    }
}

/// Where each layer's weights sit in the flat parameter buffer.
#[derive(Clone, Debug)]
pub struct Layout {
    arch: Arch,
    /// `offsets[l]..offsets[l + 1]` holds layer `l`'s `out x in` weights.
    offsets: Vec<usize>,
}

impl Layout {
    pub fn new(arch: Arch) -> Layout {
        let mut offsets = vec![0];
        for w in arch.widths().windows(2) {
            offsets.push(offsets.last().unwrap() + w[0] * w[1]);
        }
        Layout { arch, offsets }
    }
    pub fn arch(&self) -> &Arch {
        &self.arch
    }
    pub fn param_count(&self) -> usize {
        *self.offsets.last().unwrap()
    }
    /// `(in, out)` widths of weight layer `l` (0-based).
    pub fn layer_shape(&self, l: usize) -> (usize, usize) {
        let w = self.arch.widths();
        (w[l], w[l + 1])
    }
    pub fn layer_range(&self, l: usize) -> std::ops::Range<usize> {
        self.offsets[l]..self.offsets[l + 1]
    }
    fn weights<'a>(&self, params: &'a [f32], l: usize) -> MatRef<'a> {
        let (n_in, n_out) = self.layer_shape(l);
        MatRef::new(&params[self.layer_range(l)], n_out, n_in)
    }
}

/// Work buffers for one batch size, allocated once so a training step allocates nothing.
#[derive(Clone, Debug)]
pub struct Workspace {
    capacity: usize,
    /// `acts[0]` is the input batch; `acts[l]` the sigmoid output of layer `l` (`batch x width_l`).
    acts: Vec<Vec<f32>>,
    /// `kappas[l]` is the error signal of layer `l` (index 0 unused), Eq. (4).
    kappas: Vec<Vec<f32>>,
}

impl Workspace {
    pub fn new(arch: &Arch, capacity: usize) -> Workspace {
        let acts: Vec<Vec<f32>> = arch
            .widths()
            .iter()
            .map(|&w| vec![0.0; w * capacity])
            .collect();
        let kappas = arch
            .widths()
            .iter()
            .enumerate()
            .map(|(l, &w)| {
                if l == 0 {
                    Vec::new()
                } else {
                    vec![0.0; w * capacity]
                }
            })
            .collect();
        Workspace {
            capacity,
            acts,
            kappas,
        }
    }
    /// The input rows of the current batch, to be filled by the caller (`batch x input_width`).
    pub fn input_mut(&mut self, batch: usize) -> &mut [f32] {
        let w = self.acts[0].len() / self.capacity;
        &mut self.acts[0][..batch * w]
    }
    /// The network's outputs for the last forward pass (`batch x output_width`).
    pub fn output(&self, batch: usize) -> &[f32] {
        let last = self.acts.last().unwrap();
        let w = last.len() / self.capacity;
        &last[..batch * w]
    }
}

/// Eq. (2): the forward pass, `v^l = sigmoid(W^l v^{l-1})` for every layer, over a batch of
/// `batch` rows already placed in `ws.input_mut(batch)`.
pub fn forward(layout: &Layout, params: &[f32], ws: &mut Workspace, batch: usize) {
    assert!(batch <= ws.capacity, "batch larger than the workspace");
    for l in 0..layout.arch.depth() {
        let (n_in, n_out) = layout.layer_shape(l);
        let (below, above) = ws.acts.split_at_mut(l + 1);
        let input = MatRef::new(&below[l][..batch * n_in], batch, n_in);
        let h = &mut above[0][..batch * n_out];
        layer_forward(input, layout.weights(params, l), h);
    }
}

/// One layer of Eq. (2): `h = v W^T` (batch x out), then `v' = sigmoid(h)` in place.
fn layer_forward(input: MatRef, weights: MatRef, out: &mut [f32]) {
    gemm::sgemm(1.0, input, Trans::No, weights, Trans::Yes, 0.0, out);
    activation::sigmoid_inplace(out);
}

/// What to do with a layer's weights once backpropagation no longer needs them: called with the
/// layer's weights, their gradient and the offset of the layer in the flat buffer.
pub type LayerDone<'a> = &'a mut dyn FnMut(&mut [f32], &[f32], usize);

/// Eqs. (3)-(5): the backward pass after [`forward`] on the same batch. Writes the mini-batch mean
/// gradient of `E = 1/2 |y* - y|^2` into `grads` and returns the summed loss of the batch.
///
/// Layers are visited from the top; as soon as layer `l`'s gradient and the error signal below
/// it are computed, its weights are no longer read, and `layer_done` gets them. A training step
/// updates them there, while they and their gradient are still in cache: the result is the same
/// as updating the whole buffer afterwards, with one pass less over memory.
pub fn backward(
    layout: &Layout,
    params: &mut [f32],
    ws: &mut Workspace,
    targets: &[f32],
    batch: usize,
    grads: &mut [f32],
    layer_done: LayerDone,
) -> f64 {
    let depth = layout.arch.depth();
    let n_out = layout.arch.output_width();
    let loss = output_error(
        &mut ws.kappas[depth][..batch * n_out],
        &ws.acts[depth][..batch * n_out],
        &targets[..batch * n_out],
    );
    let inv_batch = 1.0 / batch as f32;
    for l in (0..depth).rev() {
        let (n_in, n_out) = layout.layer_shape(l);
        let range = layout.layer_range(l);
        let kappa = MatRef::new(&ws.kappas[l + 1][..batch * n_out], batch, n_out);
        let input = MatRef::new(&ws.acts[l][..batch * n_in], batch, n_in);
        weight_gradient(kappa, input, inv_batch, &mut grads[range.clone()]);
        if l > 0 {
            let (lower, upper) = ws.kappas.split_at_mut(l + 1);
            let kappa = MatRef::new(&upper[0][..batch * n_out], batch, n_out);
            hidden_error(
                kappa,
                layout.weights(params, l),
                &ws.acts[l][..batch * n_in],
                &mut lower[l][..batch * n_in],
            );
        }
        layer_done(
            &mut params[range.clone()],
            &grads[range.clone()],
            range.start,
        );
    }
    loss
}

/// Eqs. (3) and (4a): the output error signal `kappa^L = -(y* - y) y (1 - y)`; returns the summed
/// loss `sum 1/2 (y* - y)^2` of the batch.
fn output_error(kappa: &mut [f32], y: &[f32], targets: &[f32]) -> f64 {
    activation::output_error(kappa, y, targets)
}

/// Eq. (4b): the error signal of a hidden layer, `kappa^{l} = (kappa^{l+1} W^{l+1}) v^l (1 - v^l)`.
fn hidden_error(kappa_above: MatRef, weights_above: MatRef, act: &[f32], kappa: &mut [f32]) {
    gemm::sgemm(
        1.0,
        kappa_above,
        Trans::No,
        weights_above,
        Trans::No,
        0.0,
        kappa,
    );
    activation::sigmoid_backward_inplace(kappa, act);
}

/// Eq. (5): the mini-batch mean gradient `dE/dW^l = (1/B) (kappa^l)^T v^{l-1}` (out x in).
fn weight_gradient(kappa: MatRef, input: MatRef, inv_batch: f32, grad: &mut [f32]) {
    gemm::sgemm(inv_batch, kappa, Trans::Yes, input, Trans::No, 0.0, grad);
}
