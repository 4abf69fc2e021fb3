//! The fully connected sigmoid network of the paper (Sec. II-III): no biases, sigmoid on every
//! layer including the output, quadratic loss, mini-batch mean gradients.
//!
//! All weights live in one contiguous `f32` buffer (layer after layer, each row-major
//! `out x in`), and gradients and optimizer state mirror it, so an optimizer update is a single
//! kernel call over every weight. Activations are row-major `batch x width`.

use crate::gemm::{self, MatRef, Trans};
use crate::memory::{self, AllocError};
use crate::phase::{NoClock, Phase, PhaseClock};
use rbp_kernels::activation;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Layer widths, input first: `100-400-200-10`. Written and read as that text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Arch(Vec<usize>);

impl From<Arch> for String {
    fn from(a: Arch) -> String {
        a.to_string()
    }
}

impl TryFrom<String> for Arch {
    type Error = ArchError;
    fn try_from(s: String) -> Result<Arch, ArchError> {
        s.parse()
    }
}

/// Why an architecture was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[allow(missing_docs)] // each message says what the variant means
pub enum ArchError {
    #[error("architecture is empty; give layer widths like 100-400-200-10")]
    Empty,
    #[error("architecture `{0}` has a single layer; give at least an input and an output width")]
    TooShallow(String),
    #[error("architecture `{arch}`: `{part}` is not a positive whole number")]
    BadWidth { arch: String, part: String },
    #[error(
        "architecture `{arch}` has {weights} weights; the limit is 2^32 - 1 (R-BackProp's coin \
         indexes weights with 32 bits)"
    )]
    TooManyWeights { arch: String, weights: u128 },
}

impl Arch {
    /// Layer widths, input first: at least two, none zero.
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
    /// The widths, input first.
    pub fn widths(&self) -> &[usize] {
        &self.0
    }
    /// Width of the input layer.
    pub fn input_width(&self) -> usize {
        self.0[0]
    }
    /// Width of the output layer.
    pub fn output_width(&self) -> usize {
        *self.0.last().expect("an Arch has at least two widths")
    }
    /// Number of weight layers (widths minus one).
    pub fn depth(&self) -> usize {
        self.0.len() - 1
    }
    /// Total number of weights, computed without overflow (it may exceed what fits in memory).
    pub fn weight_count(&self) -> u128 {
        self.0.windows(2).map(|w| w[0] as u128 * w[1] as u128).sum()
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
    /// The layout of `arch`, refused when it has more weights than the coin can index (2^32 - 1).
    pub fn new(arch: Arch) -> Result<Layout, ArchError> {
        let weights = arch.weight_count();
        if weights > u32::MAX as u128 {
            return Err(ArchError::TooManyWeights {
                arch: arch.to_string(),
                weights,
            });
        }
        let mut offsets = vec![0];
        for w in arch.widths().windows(2) {
            offsets.push(offsets.last().expect("starts with 0") + w[0] * w[1]);
        }
        Ok(Layout { arch, offsets })
    }
    /// The architecture.
    pub fn arch(&self) -> &Arch {
        &self.arch
    }
    /// Total number of weights (below 2^32).
    pub fn param_count(&self) -> usize {
        *self.offsets.last().expect("starts with 0")
    }
    /// `(in, out)` widths of weight layer `l` (0-based).
    pub fn layer_shape(&self, l: usize) -> (usize, usize) {
        let w = self.arch.widths();
        (w[l], w[l + 1])
    }
    /// Where weight layer `l`'s `out x in` weights sit in the flat buffer.
    pub fn layer_range(&self, l: usize) -> std::ops::Range<usize> {
        self.offsets[l]..self.offsets[l + 1]
    }
    fn weights<'a>(&self, params: &'a [f32], l: usize) -> MatRef<'a> {
        let (n_in, n_out) = self.layer_shape(l);
        matrix(&params[self.layer_range(l)], n_out, n_in)
    }
}

/// A view the layout guarantees to be well shaped: a failure here is a bug in this module.
fn matrix(data: &[f32], rows: usize, cols: usize) -> MatRef<'_> {
    MatRef::new(data, rows, cols).expect("layer buffers are sliced to their layer's shape")
}

/// A product of this module's well-shaped views (see [`matrix`]).
fn product(alpha: f32, a: MatRef, ta: Trans, b: MatRef, tb: Trans, c: &mut [f32]) {
    gemm::sgemm(alpha, a, ta, b, tb, 0.0, c).expect("the network's products are well shaped")
}

/// Work buffers for one batch size, allocated once so a training step allocates nothing.
#[derive(Clone, Debug)]
pub struct Workspace {
    capacity: usize,
    /// The elementwise work between products ([`Elementwise::SIGMOID`] unless changed).
    elementwise: Elementwise,
    /// `acts[0]` is the input batch; `acts[l]` the sigmoid output of layer `l` (`batch x width_l`).
    acts: Vec<Vec<f32>>,
    /// `kappas[l]` is the error signal of layer `l` (index 0 unused), Eq. (4).
    kappas: Vec<Vec<f32>>,
}

impl Workspace {
    /// Buffers for batches of up to `capacity` rows.
    pub fn new(arch: &Arch, capacity: usize) -> Result<Workspace, AllocError> {
        let acts = layer_buffers(arch.widths(), capacity)?;
        let mut kappas = vec![Vec::new()];
        kappas.extend(layer_buffers(&arch.widths()[1..], capacity)?);
        Ok(Workspace {
            capacity,
            elementwise: Elementwise::SIGMOID,
            acts,
            kappas,
        })
    }
    /// Buffers for [`forward_rows`] only, over batches of up to `capacity` rows: the layers'
    /// activations, without an input buffer (the rows are read where they are) or error signals.
    pub fn forward_only(arch: &Arch, capacity: usize) -> Result<Workspace, AllocError> {
        let mut acts = vec![Vec::new()];
        acts.extend(layer_buffers(&arch.widths()[1..], capacity)?);
        Ok(Workspace {
            capacity,
            elementwise: Elementwise::SIGMOID,
            acts,
            kappas: Vec::new(),
        })
    }
    /// The same buffers running `elementwise` instead (benchmarks: [`Elementwise::NONE`]).
    pub fn with_elementwise(mut self, elementwise: Elementwise) -> Workspace {
        self.elementwise = elementwise;
        self
    }
    /// The largest batch these buffers hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
    /// The input rows of the current batch, to be filled by the caller (`batch x input_width`).
    pub fn input_mut(&mut self, batch: usize) -> &mut [f32] {
        assert!(
            !self.acts[0].is_empty(),
            "a forward-only workspace has no input buffer: use forward_rows"
        );
        let w = self.acts[0].len() / self.capacity;
        &mut self.acts[0][..batch * w]
    }
    /// The network's outputs for the last forward pass (`batch x output_width`).
    pub fn output(&self, batch: usize) -> &[f32] {
        let last = self.acts.last().unwrap();
        let w = last.len() / self.capacity;
        &last[..batch * w]
    }
    /// Layer `l`'s activations of the last forward pass (`l = 0` is the input), the whole
    /// `capacity x width_l` buffer: the curvature module reads them after [`forward`].
    pub(crate) fn activations(&self, l: usize) -> &[f32] {
        &self.acts[l]
    }
    /// Layer `l`'s error signal (`l >= 1`) of the last [`backward`], the whole buffer.
    pub(crate) fn error_signal(&self, l: usize) -> &[f32] {
        &self.kappas[l]
    }
}

/// One zeroed `capacity x width` buffer per width.
fn layer_buffers(widths: &[usize], capacity: usize) -> Result<Vec<Vec<f32>>, AllocError> {
    widths
        .iter()
        .map(|&w| {
            let n = w.checked_mul(capacity).ok_or(AllocError {
                what: "a workspace",
                bytes: w as u128 * capacity as u128 * 4,
            })?;
            memory::zeroed(n, "a workspace")
        })
        .collect()
}

/// Eq. (2): the forward pass, `v^l = sigmoid(W^l v^{l-1})` for every layer, over a batch of
/// `batch` rows already placed in `ws.input_mut(batch)`.
pub fn forward(layout: &Layout, params: &[f32], ws: &mut Workspace, batch: usize) {
    forward_timed(layout, params, ws, batch, &mut NoClock)
}

/// [`forward`], telling `clock` when each phase ends.
pub fn forward_timed(
    layout: &Layout,
    params: &[f32],
    ws: &mut Workspace,
    batch: usize,
    clock: &mut impl PhaseClock,
) {
    assert!(batch <= ws.capacity, "batch larger than the workspace");
    let (input, above) = ws
        .acts
        .split_first_mut()
        .expect("a workspace has an input layer");
    assert!(
        !input.is_empty(),
        "a forward-only workspace has no input buffer: use forward_rows"
    );
    let input = &input[..batch * layout.arch.input_width()];
    layers_forward(layout, params, input, above, batch, ws.elementwise, clock);
}

/// Eq. (2) over `batch` rows the caller holds (row-major `batch x input_width`), read in place
/// instead of copied into the workspace: evaluation passes its examples this way.
pub fn forward_rows(
    layout: &Layout,
    params: &[f32],
    input: &[f32],
    ws: &mut Workspace,
    batch: usize,
) {
    assert!(batch <= ws.capacity, "batch larger than the workspace");
    assert_eq!(
        input.len(),
        batch * layout.arch.input_width(),
        "forward_rows: the input is not batch x input_width"
    );
    let elementwise = ws.elementwise;
    layers_forward(
        layout,
        params,
        input,
        &mut ws.acts[1..],
        batch,
        elementwise,
        &mut NoClock,
    );
}

/// Every layer of Eq. (2): `h = v W^T` (batch x out), then `v' = sigmoid(h)` in place.
/// `outputs[l]` receives layer `l`'s activations.
fn layers_forward(
    layout: &Layout,
    params: &[f32],
    input: &[f32],
    outputs: &mut [Vec<f32>],
    batch: usize,
    elementwise: Elementwise,
    clock: &mut impl PhaseClock,
) {
    for l in 0..layout.arch.depth() {
        let (n_in, n_out) = layout.layer_shape(l);
        let (below, above) = outputs.split_at_mut(l);
        let x = match l {
            0 => input,
            _ => &below[l - 1][..batch * n_in],
        };
        let h = &mut above[0][..batch * n_out];
        product(
            1.0,
            matrix(x, batch, n_in),
            Trans::No,
            layout.weights(params, l),
            Trans::Yes,
            h,
        );
        clock.lap(Phase::ForwardProduct { layer: l });
        (elementwise.sigmoid)(h);
        clock.lap(Phase::Activation { layer: l });
    }
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
/// `clock` hears when each phase ends (`layer_done` is [`Phase::Update`]); training passes
/// [`NoClock`].
#[allow(clippy::too_many_arguments)] // the pass's buffers, the update hook and the clock
pub fn backward(
    layout: &Layout,
    params: &mut [f32],
    ws: &mut Workspace,
    targets: &[f32],
    batch: usize,
    grads: &mut [f32],
    layer_done: LayerDone,
    clock: &mut impl PhaseClock,
) -> f64 {
    let depth = layout.arch.depth();
    assert_eq!(
        ws.kappas.len(),
        depth + 1,
        "a forward-only workspace has no error signals: backward needs Workspace::new"
    );
    let n_out = layout.arch.output_width();
    let elementwise = ws.elementwise;
    let loss = (elementwise.output_error)(
        &mut ws.kappas[depth][..batch * n_out],
        &ws.acts[depth][..batch * n_out],
        &targets[..batch * n_out],
    );
    clock.lap(Phase::OutputError);
    let inv_batch = 1.0 / batch as f32;
    for l in (0..depth).rev() {
        let (n_in, n_out) = layout.layer_shape(l);
        let range = layout.layer_range(l);
        let kappa = matrix(&ws.kappas[l + 1][..batch * n_out], batch, n_out);
        let input = matrix(&ws.acts[l][..batch * n_in], batch, n_in);
        // Eq. (5): the mini-batch mean gradient `dE/dW^l = (1/B) (kappa^l)^T v^{l-1}`.
        product(
            inv_batch,
            kappa,
            Trans::Yes,
            input,
            Trans::No,
            &mut grads[range.clone()],
        );
        clock.lap(Phase::WeightGradient { layer: l });
        if l > 0 {
            // Eq. (4b): `kappa^{l-1} = (kappa^l W^l) v^{l-1} (1 - v^{l-1})`.
            let (lower, upper) = ws.kappas.split_at_mut(l + 1);
            let kappa = matrix(&upper[0][..batch * n_out], batch, n_out);
            let below = &mut lower[l][..batch * n_in];
            product(
                1.0,
                kappa,
                Trans::No,
                layout.weights(params, l),
                Trans::No,
                below,
            );
            clock.lap(Phase::BackpropProduct { layer: l });
            (elementwise.sigmoid_backward)(below, &ws.acts[l][..batch * n_in]);
            clock.lap(Phase::ActivationDerivative { layer: l });
        }
        layer_done(
            &mut params[range.clone()],
            &grads[range.clone()],
            range.start,
        );
        clock.lap(Phase::Update { layer: l });
    }
    loss
}

/// The elementwise work of a pass, between the matrix products.
///
/// [`Elementwise::SIGMOID`] is the network of the paper. [`Elementwise::NONE`] skips it, leaving
/// exactly the products of a step, in the same order and shapes: benchmarks time a step's GEMM
/// share with it, so that sequence is written once, here.
#[derive(Clone, Copy, Debug)]
pub struct Elementwise {
    /// Eq. (2)'s activation, in place.
    pub sigmoid: fn(&mut [f32]),
    /// Eq. (4b)'s factor: `kappa *= v (1 - v)`.
    pub sigmoid_backward: fn(&mut [f32], &[f32]),
    /// Eqs. (3), (4a): `kappa = -(y* - y) y (1 - y)` from `(kappa, y, y*)`; returns the summed
    /// loss `sum 1/2 (y* - y)^2`.
    pub output_error: fn(&mut [f32], &[f32], &[f32]) -> f64,
}

impl Elementwise {
    /// The sigmoid network with the quadratic loss.
    pub const SIGMOID: Elementwise = Elementwise {
        sigmoid: activation::sigmoid_inplace,
        sigmoid_backward: activation::sigmoid_backward_inplace,
        output_error: activation::output_error,
    };
    /// No elementwise work: only the products (for timing them).
    pub const NONE: Elementwise = Elementwise {
        sigmoid: |_| {},
        sigmoid_backward: |_, _| {},
        output_error: |_, _, _| 0.0,
    };
}
