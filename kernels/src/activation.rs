//! Sigmoid layer kernels: forward activation, the derivative factor of
//! Eq. (4b), and the output-layer error with the quadratic loss.
//!
//! `sigmoid_backward` and `output_error` use only separate multiplies and
//! subtractions in the reference's order (Rust never contracts them into FMA),
//! so their elementwise outputs are bit-identical at every level. The loss
//! sums are accumulated in a different order (f32 lanes in blocks, then f64),
//! so they match the f64 reference only to a relative ~1e-6.

use crate::simd::{Sigmoid, UNROLL};
use crate::{Level, dispatch, dispatch_at};
use pulp::{Simd, WithSimd};

/// Vectors summed in f32 per lane before the partial sum moves to f64. Each
/// element then sees at most 1 + (LOSS_BLOCK - 1) + log2(lanes) f32 roundings.
///
/// One accumulator per block, not several: the loss is summed over a batch's
/// outputs (a thousand values a step), where a longer dependency chain costs
/// nothing measurable, and this order keeps every recorded error bit for bit
/// what earlier versions reported.
const LOSS_BLOCK: usize = 16;

/// `x <- sigmoid(x) = 1 / (1 + exp(-x))`, in place over a GEMM output.
///
/// Relative error below 2e-6 on `[-30, 30]` (a few ulp in practice); inputs
/// below -87 give exactly 0 (true value < 1.7e-38).
pub fn sigmoid_inplace(x: &mut [f32]) {
    dispatch(SigmoidOp { x })
}

/// [`sigmoid_inplace`] at a forced level (panics if the CPU lacks it).
pub fn sigmoid_inplace_at(level: Level, x: &mut [f32]) {
    dispatch_at(level, SigmoidOp { x })
}

/// Eq. (4b) factor: `delta <- delta * s * (1 - s)`, in place; `delta` came
/// from a GEMM and `s` is the layer's sigmoid output.
pub fn sigmoid_backward_inplace(delta: &mut [f32], s: &[f32]) {
    check_len("sigmoid_backward_inplace", delta.len(), s.len());
    dispatch(BackwardOp { delta, s })
}

/// [`sigmoid_backward_inplace`] at a forced level.
pub fn sigmoid_backward_inplace_at(level: Level, delta: &mut [f32], s: &[f32]) {
    check_len("sigmoid_backward_inplace", delta.len(), s.len());
    dispatch_at(level, BackwardOp { delta, s })
}

/// Output layer: `kappa <- (y - target) * y * (1 - y)`; returns
/// `sum 0.5 * (target - y)^2` as f64.
pub fn output_error(kappa: &mut [f32], y: &[f32], target: &[f32]) -> f64 {
    check_len("output_error", kappa.len(), y.len());
    check_len("output_error", target.len(), y.len());
    dispatch(OutputErrorOp {
        kappa: Some(kappa),
        y,
        target,
    })
}

/// [`output_error`] at a forced level.
pub fn output_error_at(level: Level, kappa: &mut [f32], y: &[f32], target: &[f32]) -> f64 {
    check_len("output_error", kappa.len(), y.len());
    check_len("output_error", target.len(), y.len());
    dispatch_at(
        level,
        OutputErrorOp {
            kappa: Some(kappa),
            y,
            target,
        },
    )
}

/// Loss only (for evaluation): `sum 0.5 * (target - y)^2`, as f64.
pub fn quadratic_loss(y: &[f32], target: &[f32]) -> f64 {
    check_len("quadratic_loss", target.len(), y.len());
    dispatch(OutputErrorOp {
        kappa: None,
        y,
        target,
    })
}

/// [`quadratic_loss`] at a forced level.
pub fn quadratic_loss_at(level: Level, y: &[f32], target: &[f32]) -> f64 {
    check_len("quadratic_loss", target.len(), y.len());
    dispatch_at(
        level,
        OutputErrorOp {
            kappa: None,
            y,
            target,
        },
    )
}

fn check_len(what: &str, a: usize, b: usize) {
    assert_eq!(a, b, "{what}: slice lengths differ");
}

/// Plain scalar loops: the oracles for tests and the "scalar" benchmark rows.
pub mod reference {
    /// `x <- 1 / (1 + exp(-x))` with the standard library's `f32::exp`.
    pub fn sigmoid_inplace(x: &mut [f32]) {
        for v in x {
            *v = 1.0 / (1.0 + (-*v).exp());
        }
    }

    /// `delta <- delta * s * (1 - s)`.
    pub fn sigmoid_backward_inplace(delta: &mut [f32], s: &[f32]) {
        assert_eq!(
            delta.len(),
            s.len(),
            "sigmoid_backward_inplace: slice lengths differ"
        );
        for (d, &s) in delta.iter_mut().zip(s) {
            *d = *d * s * (1.0 - s);
        }
    }

    /// `kappa <- (y - target) * y * (1 - y)`, loss summed in f64.
    pub fn output_error(kappa: &mut [f32], y: &[f32], target: &[f32]) -> f64 {
        assert_eq!(kappa.len(), y.len(), "output_error: slice lengths differ");
        assert_eq!(target.len(), y.len(), "output_error: slice lengths differ");
        let mut sum = 0.0f64;
        for ((k, &y), &t) in kappa.iter_mut().zip(y).zip(target) {
            let e = y - t;
            *k = e * y * (1.0 - y);
            sum += f64::from(e) * f64::from(e);
        }
        0.5 * sum
    }

    /// `sum 0.5 * (target - y)^2`, summed in f64.
    pub fn quadratic_loss(y: &[f32], target: &[f32]) -> f64 {
        assert_eq!(
            target.len(),
            y.len(),
            "quadratic_loss: slice lengths differ"
        );
        let mut sum = 0.0f64;
        for (&y, &t) in y.iter().zip(target) {
            let e = f64::from(y - t);
            sum += e * e;
        }
        0.5 * sum
    }
}

struct SigmoidOp<'a> {
    x: &'a mut [f32],
}

impl WithSimd for SigmoidOp<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let sig = Sigmoid::new(s);
        let (head, tail) = S::as_mut_simd_f32s(self.x);
        // Not unrolled: the iterations are independent, so out-of-order
        // execution already overlaps them, and four vectors' temporaries and
        // the splatted constants do not fit the 16 AVX2 registers (an
        // unrolled loop spilled to the stack).
        for x in head {
            *x = sig.eval(*x);
        }
        if !tail.is_empty() {
            let x = s.partial_load_f32s(tail);
            s.partial_store_f32s(tail, sig.eval(x));
        }
    }
}

struct BackwardOp<'a> {
    delta: &'a mut [f32],
    s: &'a [f32],
}

#[inline(always)]
fn backward<S: Simd>(simd: S, one: S::f32s, delta: S::f32s, s: S::f32s) -> S::f32s {
    simd.mul_f32s(simd.mul_f32s(delta, s), simd.sub_f32s(one, s))
}

impl WithSimd for BackwardOp<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let one = simd.splat_f32s(1.0);
        let (dh, dt) = S::as_mut_simd_f32s(self.delta);
        let (sh, st) = S::as_simd_f32s(self.s);
        let (db, dr) = dh.as_chunks_mut::<UNROLL>();
        let (sb, sr) = sh.as_chunks::<UNROLL>();
        for (d, s) in db.iter_mut().zip(sb) {
            for j in 0..UNROLL {
                d[j] = backward(simd, one, d[j], s[j]);
            }
        }
        for (d, &s) in dr.iter_mut().zip(sr) {
            *d = backward(simd, one, *d, s);
        }
        if !dt.is_empty() {
            let d = simd.partial_load_f32s(dt);
            let s = simd.partial_load_f32s(st);
            simd.partial_store_f32s(dt, backward(simd, one, d, s));
        }
    }
}

/// Shared by `output_error` (with `kappa`) and `quadratic_loss` (without).
struct OutputErrorOp<'a> {
    kappa: Option<&'a mut [f32]>,
    y: &'a [f32],
    target: &'a [f32],
}

/// `acc + (y - t)^2`.
#[inline(always)]
fn squared_error<S: Simd>(s: S, y: S::f32s, t: S::f32s, acc: S::f32s) -> S::f32s {
    let e = s.sub_f32s(y, t);
    s.mul_add_e_f32s(e, e, acc)
}

/// One vector: returns `(kappa, e^2 accumulated into acc)` with `e = y - target`.
#[inline(always)]
fn output_step<S: Simd>(
    s: S,
    one: S::f32s,
    y: S::f32s,
    t: S::f32s,
    acc: S::f32s,
) -> (S::f32s, S::f32s) {
    let e = s.sub_f32s(y, t);
    let kappa = s.mul_f32s(s.mul_f32s(e, y), s.sub_f32s(one, y));
    (kappa, squared_error(s, y, t, acc))
}

impl WithSimd for OutputErrorOp<'_> {
    type Output = f64;

    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) -> f64 {
        let one = s.splat_f32s(1.0);
        let zero = s.splat_f32s(0.0);
        let (yh, yt) = S::as_simd_f32s(self.y);
        let (th, tt) = S::as_simd_f32s(self.target);
        let mut total = 0.0f64;
        match self.kappa {
            Some(kappa) => {
                let (kh, kt) = S::as_mut_simd_f32s(kappa);
                for ((k, y), t) in kh
                    .chunks_mut(LOSS_BLOCK)
                    .zip(yh.chunks(LOSS_BLOCK))
                    .zip(th.chunks(LOSS_BLOCK))
                {
                    let mut acc = zero;
                    for ((k, &y), &t) in k.iter_mut().zip(y).zip(t) {
                        (*k, acc) = output_step(s, one, y, t, acc);
                    }
                    total += f64::from(s.reduce_sum_f32s(acc));
                }
                if !kt.is_empty() {
                    let y = s.partial_load_f32s(yt);
                    let t = s.partial_load_f32s(tt);
                    let (k, acc) = output_step(s, one, y, t, zero);
                    s.partial_store_f32s(kt, k);
                    total += f64::from(s.reduce_sum_f32s(acc));
                }
            }
            None => {
                for (y, t) in yh.chunks(LOSS_BLOCK).zip(th.chunks(LOSS_BLOCK)) {
                    let mut acc = zero;
                    for (&y, &t) in y.iter().zip(t) {
                        acc = squared_error(s, y, t, acc);
                    }
                    total += f64::from(s.reduce_sum_f32s(acc));
                }
                if !yt.is_empty() {
                    let e = s.sub_f32s(s.partial_load_f32s(yt), s.partial_load_f32s(tt));
                    total += f64::from(s.reduce_sum_f32s(s.mul_f32s(e, e)));
                }
            }
        }
        0.5 * total
    }
}
