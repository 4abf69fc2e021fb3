//! Optimizer updates: one fused pass over the whole parameter buffer.
//!
//! None of these use FMA: every level does exactly the reference's separate
//! multiplies, adds, divisions and square roots (all correctly rounded), so
//! every level is bit-identical to the scalar reference. They are memory
//! bound, so FMA would buy nothing but level-dependent results.

use crate::blocks::{WgStateStep, w_g_state};
use crate::prefetch::Streams;
use crate::rng::CoinKey;
use crate::simd::{Hasher, ScaledIndices, UNROLL, coin_bound};
use crate::{Level, assert_u32_len, dispatch, dispatch_at};
use pulp::{Simd, WithSimd};

fn check_len(what: &str, a: usize, b: usize) {
    assert_eq!(a, b, "{what}: slice lengths differ");
}

/// Plain SGD: `w <- w - eta * g`.
pub fn sgd(w: &mut [f32], g: &[f32], eta: f32) {
    check_len("sgd", w.len(), g.len());
    dispatch(SgdOp { w, g, eta })
}

/// [`sgd`] at a forced level (panics if the CPU lacks it).
pub fn sgd_at(level: Level, w: &mut [f32], g: &[f32], eta: f32) {
    check_len("sgd", w.len(), g.len());
    dispatch_at(level, SgdOp { w, g, eta })
}

/// Parameters of one R-BackProp step.
#[derive(Clone, Copy, Debug)]
pub struct RbpStep {
    /// Learning rate.
    pub eta: f32,
    /// Coin key of this step, `CoinKey::new(seed, t)`.
    pub key: CoinKey,
    /// Reinforcement probability as a coin threshold, `rng::threshold(p)`.
    pub threshold: u32,
    /// What is stored as `prev` for the next step: `true` keeps the gradient just applied
    /// (`prev <- g_used`, so reinforced gradients accumulate), `false` the raw one (`prev <- g`).
    pub keep_used: bool,
}

/// R-BackProp update, Eq. (6). For every element `i` (global index in the buffer):
///
/// ```text
/// g_used  = if coin(key, threshold, i) { g[i] + prev[i] } else { g[i] }
/// w[i]    = w[i] - eta * g_used
/// prev[i] = g_used (keep_used) or g[i] (otherwise)
/// ```
///
/// The choice is a select, not `g + c * prev`, so an infinite `prev` cannot
/// turn an unreinforced element into NaN. Reads `w, g, prev` once and writes
/// `w, prev` once; with `threshold == 0` the new `w` equals [`sgd`]'s bit for bit.
pub fn rbp(w: &mut [f32], g: &[f32], prev: &mut [f32], step: RbpStep) {
    rbp_chunk(w, g, prev, step, 0)
}

/// [`rbp`] at a forced level.
pub fn rbp_at(level: Level, w: &mut [f32], g: &[f32], prev: &mut [f32], step: RbpStep) {
    rbp_chunk_at(level, w, g, prev, step, 0)
}

/// [`rbp`] on a chunk of the parameter buffer whose first element has global
/// index `first_index`.
///
/// The coin is keyed by the global index, so splitting the buffer (per layer,
/// or across threads) and passing each chunk's offset gives bit-for-bit the
/// same result as one call over the whole buffer. Calling [`rbp`] on each
/// chunk instead would restart the index at 0 and reuse one coin pattern.
///
/// # Panics
/// If lengths differ or `first_index + len` exceeds 2^32.
pub fn rbp_chunk(w: &mut [f32], g: &[f32], prev: &mut [f32], step: RbpStep, first_index: u32) {
    check_rbp(w, g, prev, first_index);
    match step.keep_used {
        true => dispatch(RbpOp::<true> {
            w,
            g,
            prev,
            step,
            first_index,
        }),
        false => dispatch(RbpOp::<false> {
            w,
            g,
            prev,
            step,
            first_index,
        }),
    }
}

/// [`rbp_chunk`] at a forced level.
pub fn rbp_chunk_at(
    level: Level,
    w: &mut [f32],
    g: &[f32],
    prev: &mut [f32],
    step: RbpStep,
    first_index: u32,
) {
    check_rbp(w, g, prev, first_index);
    match step.keep_used {
        true => dispatch_at(
            level,
            RbpOp::<true> {
                w,
                g,
                prev,
                step,
                first_index,
            },
        ),
        false => dispatch_at(
            level,
            RbpOp::<false> {
                w,
                g,
                prev,
                step,
                first_index,
            },
        ),
    }
}

fn check_rbp(w: &[f32], g: &[f32], prev: &[f32], first_index: u32) {
    check_len("rbp (w, g)", w.len(), g.len());
    check_len("rbp (w, prev)", w.len(), prev.len());
    assert_u32_len(first_index as usize + w.len(), "rbp");
}

/// Parameters of one Adam step.
#[derive(Clone, Copy, Debug)]
pub struct AdamStep {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    /// `1 - beta1^(t+1)`
    pub bias1: f32,
    /// `1 - beta2^(t+1)`
    pub bias2: f32,
}

impl AdamStep {
    /// The per-call scalars `(lr / bias1, 1 / sqrt(bias2))`: folding the bias corrections into
    /// them leaves one square root and one division per weight instead of three divisions and a
    /// square root, which made the update compute-bound. Mathematically the same step.
    pub fn folded(&self) -> (f32, f32) {
        (self.lr / self.bias1, 1.0 / self.bias2.sqrt())
    }
}

/// Adam, in exactly this operation order (so every level matches the reference bit for bit),
/// with `(step_size, inv_sqrt_bias2)` = [`AdamStep::folded`]:
///
/// ```text
/// m = beta1 * m + (1 - beta1) * g
/// v = beta2 * v + (1 - beta2) * (g * g)
/// w = w - (step_size * m) / (sqrt(v) * inv_sqrt_bias2 + eps)
/// ```
pub fn adam(w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], step: AdamStep) {
    check_adam(w, g, m, v);
    dispatch(AdamOp { w, g, m, v, step })
}

/// [`adam`] at a forced level.
pub fn adam_at(
    level: Level,
    w: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    step: AdamStep,
) {
    check_adam(w, g, m, v);
    dispatch_at(level, AdamOp { w, g, m, v, step })
}

fn check_adam(w: &[f32], g: &[f32], m: &[f32], v: &[f32]) {
    check_len("adam (w, g)", w.len(), g.len());
    check_len("adam (w, m)", w.len(), m.len());
    check_len("adam (w, v)", w.len(), v.len());
}

/// Plain scalar loops: the oracles for tests and the "scalar" benchmark rows.
pub mod reference {
    use super::{AdamStep, RbpStep};
    use crate::rng::coin;

    /// `w <- w - eta * g`.
    pub fn sgd(w: &mut [f32], g: &[f32], eta: f32) {
        assert_eq!(w.len(), g.len(), "sgd: slice lengths differ");
        for (w, &g) in w.iter_mut().zip(g) {
            *w -= eta * g;
        }
    }

    /// R-BackProp, Eq. (6), one element at a time with the scalar [`coin`].
    pub fn rbp(w: &mut [f32], g: &[f32], prev: &mut [f32], step: RbpStep) {
        rbp_chunk(w, g, prev, step, 0)
    }

    /// Scalar [`super::rbp_chunk`]: element `j` uses the coin of global index `first_index + j`.
    pub fn rbp_chunk(w: &mut [f32], g: &[f32], prev: &mut [f32], step: RbpStep, first_index: u32) {
        assert_eq!(w.len(), g.len(), "rbp: slice lengths differ");
        assert_eq!(w.len(), prev.len(), "rbp: slice lengths differ");
        crate::assert_u32_len(first_index as usize + w.len(), "rbp");
        for (j, ((w, &g), p)) in w.iter_mut().zip(g).zip(prev.iter_mut()).enumerate() {
            let i = first_index + j as u32;
            let g_used = if coin(step.key, step.threshold, i) {
                g + *p
            } else {
                g
            };
            *w -= step.eta * g_used;
            *p = if step.keep_used { g_used } else { g };
        }
    }

    /// Adam in the documented operation order.
    pub fn adam(w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], step: AdamStep) {
        assert_eq!(w.len(), g.len(), "adam: slice lengths differ");
        assert_eq!(w.len(), m.len(), "adam: slice lengths differ");
        assert_eq!(w.len(), v.len(), "adam: slice lengths differ");
        let a1 = 1.0 - step.beta1;
        let a2 = 1.0 - step.beta2;
        let (step_size, inv_sqrt_bias2) = step.folded();
        for (((w, &g), m), v) in w.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
            *m = step.beta1 * *m + a1 * g;
            *v = step.beta2 * *v + a2 * (g * g);
            *w -= (step_size * *m) / (v.sqrt() * inv_sqrt_bias2 + step.eps);
        }
    }
}

struct SgdOp<'a> {
    w: &'a mut [f32],
    g: &'a [f32],
    eta: f32,
}

#[inline(always)]
fn sgd_step<S: Simd>(s: S, eta: S::f32s, w: S::f32s, g: S::f32s) -> S::f32s {
    s.sub_f32s(w, s.mul_f32s(eta, g))
}

impl WithSimd for SgdOp<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let eta = s.splat_f32s(self.eta);
        let streams = Streams::new([self.w.as_ptr(), self.g.as_ptr()]);
        let (wh, wt) = S::as_mut_simd_f32s(self.w);
        let (gh, gt) = S::as_simd_f32s(self.g);
        let (wb, wr) = wh.as_chunks_mut::<UNROLL>();
        let (gb, gr) = gh.as_chunks::<UNROLL>();
        for (b, (w, g)) in wb.iter_mut().zip(gb).enumerate() {
            streams.ahead_of_block::<S>(b, UNROLL);
            for j in 0..UNROLL {
                w[j] = sgd_step(s, eta, w[j], g[j]);
            }
        }
        for (w, &g) in wr.iter_mut().zip(gr) {
            *w = sgd_step(s, eta, *w, g);
        }
        if !wt.is_empty() {
            let w = s.partial_load_f32s(wt);
            let g = s.partial_load_f32s(gt);
            s.partial_store_f32s(wt, sgd_step(s, eta, w, g));
        }
    }
}

/// `ACCUMULATED` selects [`RbpStep::keep_used`] at compile time, keeping
/// the branch out of the inner loop.
struct RbpOp<'a, const ACCUMULATED: bool> {
    w: &'a mut [f32],
    g: &'a [f32],
    prev: &'a mut [f32],
    step: RbpStep,
    first_index: u32,
}

/// Splatted per-call constants and the element indices of the R-BackProp kernel.
#[derive(Clone, Copy)]
struct RbpVectors<S: Simd, const ACCUMULATED: bool> {
    hasher: Hasher<S>,
    eta: S::f32s,
    /// [`coin_bound`] of the step's threshold.
    threshold: S::i32s,
    indices: ScaledIndices<S>,
}

impl<S: Simd, const ACCUMULATED: bool> WgStateStep<S> for RbpVectors<S, ACCUMULATED> {
    /// One vector of Eq. (6): `(w, prev)`.
    #[inline(always)]
    fn step(&mut self, s: S, w: S::f32s, g: S::f32s, prev: S::f32s) -> (S::f32s, S::f32s) {
        let u = s.transmute_i32s_u32s(self.hasher.uniform24(self.indices.next()));
        let fire = s.less_than_i32s(u, self.threshold);
        let g_used = s.select_f32s(fire, s.add_f32s(g, prev), g);
        let w = s.sub_f32s(w, s.mul_f32s(self.eta, g_used));
        (w, if ACCUMULATED { g_used } else { g })
    }
}

impl<const ACCUMULATED: bool> WithSimd for RbpOp<'_, ACCUMULATED> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let mut op = RbpVectors::<S, ACCUMULATED> {
            hasher: Hasher::new(s, self.step.key),
            eta: s.splat_f32s(self.step.eta),
            threshold: coin_bound(s, self.step.threshold),
            indices: ScaledIndices::new(s, self.first_index),
        };
        w_g_state(s, &mut op, self.w, self.g, self.prev);
    }
}

struct AdamOp<'a> {
    w: &'a mut [f32],
    g: &'a [f32],
    m: &'a mut [f32],
    v: &'a mut [f32],
    step: AdamStep,
}

#[derive(Clone, Copy)]
struct AdamConsts<S: Simd> {
    step_size: S::f32s,
    inv_sqrt_bias2: S::f32s,
    beta1: S::f32s,
    beta2: S::f32s,
    a1: S::f32s,
    a2: S::f32s,
    eps: S::f32s,
}

/// One vector of Adam; returns `(w, m, v)`.
#[inline(always)]
fn adam_step<S: Simd>(
    s: S,
    c: &AdamConsts<S>,
    w: S::f32s,
    g: S::f32s,
    m: S::f32s,
    v: S::f32s,
) -> (S::f32s, S::f32s, S::f32s) {
    let m = s.add_f32s(s.mul_f32s(c.beta1, m), s.mul_f32s(c.a1, g));
    let v = s.add_f32s(s.mul_f32s(c.beta2, v), s.mul_f32s(c.a2, s.mul_f32s(g, g)));
    let num = s.mul_f32s(c.step_size, m);
    let den = s.add_f32s(s.mul_f32s(s.sqrt_f32s(v), c.inv_sqrt_bias2), c.eps);
    (s.sub_f32s(w, s.div_f32s(num, den)), m, v)
}

impl WithSimd for AdamOp<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let st = self.step;
        let (step_size, inv_sqrt_bias2) = st.folded();
        let c = AdamConsts {
            step_size: s.splat_f32s(step_size),
            inv_sqrt_bias2: s.splat_f32s(inv_sqrt_bias2),
            beta1: s.splat_f32s(st.beta1),
            beta2: s.splat_f32s(st.beta2),
            a1: s.splat_f32s(1.0 - st.beta1),
            a2: s.splat_f32s(1.0 - st.beta2),
            eps: s.splat_f32s(st.eps),
        };
        let streams = Streams::new([
            self.w.as_ptr(),
            self.g.as_ptr(),
            self.m.as_ptr(),
            self.v.as_ptr(),
        ]);
        let (wh, wt) = S::as_mut_simd_f32s(self.w);
        let (gh, gt) = S::as_simd_f32s(self.g);
        let (mh, mt) = S::as_mut_simd_f32s(self.m);
        let (vh, vt) = S::as_mut_simd_f32s(self.v);
        let (wb, wr) = wh.as_chunks_mut::<UNROLL>();
        let (gb, gr) = gh.as_chunks::<UNROLL>();
        let (mb, mr) = mh.as_chunks_mut::<UNROLL>();
        let (vb, vr) = vh.as_chunks_mut::<UNROLL>();
        let blocks = wb.iter_mut().zip(gb).zip(mb.iter_mut()).zip(vb.iter_mut());
        for (b, (((w, g), m), v)) in blocks.enumerate() {
            streams.ahead_of_block::<S>(b, UNROLL);
            for j in 0..UNROLL {
                (w[j], m[j], v[j]) = adam_step(s, &c, w[j], g[j], m[j], v[j]);
            }
        }
        let rest = wr.iter_mut().zip(gr).zip(mr.iter_mut()).zip(vr.iter_mut());
        for (((w, &g), m), v) in rest {
            (*w, *m, *v) = adam_step(s, &c, *w, g, *m, *v);
        }
        if !wt.is_empty() {
            let (w, m, v) = adam_step(
                s,
                &c,
                s.partial_load_f32s(wt),
                s.partial_load_f32s(gt),
                s.partial_load_f32s(mt),
                s.partial_load_f32s(vt),
            );
            s.partial_store_f32s(wt, w);
            s.partial_store_f32s(mt, m);
            s.partial_store_f32s(vt, v);
        }
    }
}
