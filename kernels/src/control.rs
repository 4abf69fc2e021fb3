//! Updates of the control optimizers, which ask *why* R-BackProp helps: a heavy-ball step (the
//! deterministic twin of R-BackProp's accumulated reading) and a reinforcement whose sign is a
//! fair coin (a noise control: same magnitude, no alignment with the descent direction).
//!
//! Like [`crate::update`], neither uses FMA, so every level is bit-identical to the scalar
//! reference. (The third control, a step scaled by `1 + p`, is [`crate::update::sgd`] with a
//! larger `eta` and needs no kernel of its own.)

use crate::prefetch::Streams;
use crate::rng::{CoinKey, ONE};
use crate::simd::{Hasher, ScaledIndices, UNROLL, coin_bound};
use crate::{Level, assert_u32_len, dispatch, dispatch_at};
use pulp::{Simd, WithSimd};

fn check_len(what: &str, a: usize, b: usize) {
    assert_eq!(a, b, "{what}: slice lengths differ");
}

/// Parameters of one heavy-ball step.
#[derive(Clone, Copy, Debug)]
pub struct HeavyBallStep {
    /// Learning rate.
    pub eta: f32,
    /// Momentum coefficient.
    pub mu: f32,
}

/// Heavy-ball momentum, in exactly this operation order:
///
/// ```text
/// v[i] = mu * v[i] + g[i]
/// w[i] = w[i] - eta * v[i]
/// ```
///
/// With `mu = 0` and a finite `v`, `v` becomes `g` and `w` moves exactly as
/// [`crate::update::sgd`] moves it (up to the sign of a zero gradient).
pub fn heavy_ball(w: &mut [f32], g: &[f32], v: &mut [f32], step: HeavyBallStep) {
    dispatch(HeavyBallOp::checked(w, g, v, step))
}

/// [`heavy_ball`] at a forced level (panics if the CPU lacks it).
pub fn heavy_ball_at(level: Level, w: &mut [f32], g: &[f32], v: &mut [f32], step: HeavyBallStep) {
    dispatch_at(level, HeavyBallOp::checked(w, g, v, step))
}

fn check_heavy_ball(w: &[f32], g: &[f32], v: &[f32]) {
    check_len("heavy_ball (w, g)", w.len(), g.len());
    check_len("heavy_ball (w, v)", w.len(), v.len());
}

/// Parameters of one random-sign reinforcement step.
#[derive(Clone, Copy, Debug)]
pub struct RandomSignStep {
    /// Learning rate.
    pub eta: f32,
    /// Key of the "reinforce or not" coin, as in [`crate::update::RbpStep::key`].
    pub key: CoinKey,
    /// Key of the sign coin: [`sign_key`] of the same seed and step, so the sign is independent
    /// of whether the element is reinforced.
    pub sign_key: CoinKey,
    /// Reinforcement probability as a coin threshold, `rng::threshold(p)`.
    pub threshold: u32,
}

/// Mixed into the seed to derive the sign coin's key: any fixed value that no run seed is
/// related to. `CoinKey::new` passes the seed through splitmix64 before it meets `t`, so the two
/// keys of a step are unrelated 64-bit hashes.
const SIGN_DOMAIN: u64 = 0x5349_474E_5F43_4F49; // "SIGN_COI"

/// The key of the sign coin at step `t` of a run whose reinforcement coin is keyed by `seed`.
pub fn sign_key(seed: u64, t: u64) -> CoinKey {
    CoinKey::new(seed ^ SIGN_DOMAIN, t)
}

/// The sign coin: `true` (add `+prev`) iff the top bit of `uniform24(sign_key, index)` is 0,
/// so each sign has probability exactly 1/2 over the hash's outputs.
#[inline]
pub fn positive_sign(sign_key: CoinKey, index: u32) -> bool {
    crate::rng::uniform24(sign_key, index) < ONE / 2
}

/// R-BackProp's update with the reinforcement's sign drawn at random. For every element `i`
/// (global index `first_index + j`):
///
/// ```text
/// g_used  = if coin(key, threshold, i) { g[i] + s * prev[i] } else { g[i] },
///           s = +1 if positive_sign(sign_key, i) else -1
/// w[i]    = w[i] - eta * g_used
/// prev[i] = g[i]
/// ```
///
/// It keeps the *raw* gradient as `prev`: then each perturbation is `±g_prev`, exactly the
/// magnitude R-BackProp's raw reading adds, and its conditional mean is zero. Keeping `g_used`
/// instead would make `prev` a random walk of past gradients whose size grows like the square
/// root of the number of consecutive firings, a different magnitude from either reading.
/// `g - prev` is computed as such (IEEE subtraction equals adding the negation exactly).
///
/// # Panics
/// If lengths differ or `first_index + len` exceeds 2^32.
pub fn random_sign_chunk(
    w: &mut [f32],
    g: &[f32],
    prev: &mut [f32],
    step: RandomSignStep,
    first_index: u32,
) {
    dispatch(RandomSignOp::checked(w, g, prev, step, first_index))
}

/// [`random_sign_chunk`] at a forced level.
pub fn random_sign_chunk_at(
    level: Level,
    w: &mut [f32],
    g: &[f32],
    prev: &mut [f32],
    step: RandomSignStep,
    first_index: u32,
) {
    dispatch_at(level, RandomSignOp::checked(w, g, prev, step, first_index))
}

fn check_random_sign(w: &[f32], g: &[f32], prev: &[f32], first_index: u32) {
    check_len("random_sign (w, g)", w.len(), g.len());
    check_len("random_sign (w, prev)", w.len(), prev.len());
    assert_u32_len(first_index as usize + w.len(), "random_sign");
}

/// Plain scalar loops: the oracles for tests and the "scalar" benchmark rows.
pub mod reference {
    use super::{HeavyBallStep, RandomSignStep, positive_sign};
    use crate::rng::coin;

    /// Scalar [`super::heavy_ball`].
    pub fn heavy_ball(w: &mut [f32], g: &[f32], v: &mut [f32], step: HeavyBallStep) {
        super::check_heavy_ball(w, g, v);
        for ((w, &g), v) in w.iter_mut().zip(g).zip(v.iter_mut()) {
            *v = step.mu * *v + g;
            *w -= step.eta * *v;
        }
    }

    /// Scalar [`super::random_sign_chunk`].
    pub fn random_sign_chunk(
        w: &mut [f32],
        g: &[f32],
        prev: &mut [f32],
        step: RandomSignStep,
        first_index: u32,
    ) {
        super::check_random_sign(w, g, prev, first_index);
        for (j, ((w, &g), p)) in w.iter_mut().zip(g).zip(prev.iter_mut()).enumerate() {
            let i = first_index + j as u32;
            let g_used = match (
                coin(step.key, step.threshold, i),
                positive_sign(step.sign_key, i),
            ) {
                (false, _) => g,
                (true, true) => g + *p,
                (true, false) => g - *p,
            };
            *w -= step.eta * g_used;
            *p = g;
        }
    }
}

struct HeavyBallOp<'a> {
    w: &'a mut [f32],
    g: &'a [f32],
    v: &'a mut [f32],
    step: HeavyBallStep,
}

impl<'a> HeavyBallOp<'a> {
    /// The operation, after checking the slice lengths.
    fn checked(w: &'a mut [f32], g: &'a [f32], v: &'a mut [f32], step: HeavyBallStep) -> Self {
        check_heavy_ball(w, g, v);
        HeavyBallOp { w, g, v, step }
    }
}

/// One vector of the heavy-ball step; returns `(w, v)`.
#[inline(always)]
fn heavy_ball_vec<S: Simd>(
    s: S,
    eta: S::f32s,
    mu: S::f32s,
    w: S::f32s,
    g: S::f32s,
    v: S::f32s,
) -> (S::f32s, S::f32s) {
    let v = s.add_f32s(s.mul_f32s(mu, v), g);
    (s.sub_f32s(w, s.mul_f32s(eta, v)), v)
}

impl WithSimd for HeavyBallOp<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let eta = s.splat_f32s(self.step.eta);
        let mu = s.splat_f32s(self.step.mu);
        let streams = Streams::new([self.w.as_ptr(), self.g.as_ptr(), self.v.as_ptr()]);
        let (wh, wt) = S::as_mut_simd_f32s(self.w);
        let (gh, gt) = S::as_simd_f32s(self.g);
        let (vh, vt) = S::as_mut_simd_f32s(self.v);
        let (wb, wr) = wh.as_chunks_mut::<UNROLL>();
        let (gb, gr) = gh.as_chunks::<UNROLL>();
        let (vb, vr) = vh.as_chunks_mut::<UNROLL>();
        for (b, ((w, g), v)) in wb.iter_mut().zip(gb).zip(vb.iter_mut()).enumerate() {
            streams.ahead_of_block::<S>(b, UNROLL);
            for j in 0..UNROLL {
                (w[j], v[j]) = heavy_ball_vec(s, eta, mu, w[j], g[j], v[j]);
            }
        }
        for ((w, &g), v) in wr.iter_mut().zip(gr).zip(vr.iter_mut()) {
            (*w, *v) = heavy_ball_vec(s, eta, mu, *w, g, *v);
        }
        if !wt.is_empty() {
            let w = s.partial_load_f32s(wt);
            let g = s.partial_load_f32s(gt);
            let v = s.partial_load_f32s(vt);
            let (w, v) = heavy_ball_vec(s, eta, mu, w, g, v);
            s.partial_store_f32s(wt, w);
            s.partial_store_f32s(vt, v);
        }
    }
}

struct RandomSignOp<'a> {
    w: &'a mut [f32],
    g: &'a [f32],
    prev: &'a mut [f32],
    step: RandomSignStep,
    first_index: u32,
}

impl<'a> RandomSignOp<'a> {
    /// The operation, after checking the slice lengths and the index range.
    fn checked(
        w: &'a mut [f32],
        g: &'a [f32],
        prev: &'a mut [f32],
        step: RandomSignStep,
        first_index: u32,
    ) -> Self {
        check_random_sign(w, g, prev, first_index);
        RandomSignOp {
            w,
            g,
            prev,
            step,
            first_index,
        }
    }
}

/// Splatted per-call constants of the random-sign kernel.
#[derive(Clone, Copy)]
struct RandomSignConsts<S: Simd> {
    coin: Hasher<S>,
    sign: Hasher<S>,
    eta: S::f32s,
    /// [`coin_bound`] of the step's threshold.
    threshold: S::i32s,
    /// [`coin_bound`] of `ONE / 2`, the sign coin's threshold.
    half: S::i32s,
}

/// One vector of [`random_sign_chunk`]; returns `(w, prev)`.
#[inline(always)]
fn random_sign_vec<S: Simd>(
    s: S,
    c: &RandomSignConsts<S>,
    scaled_index: S::u32s,
    w: S::f32s,
    g: S::f32s,
    prev: S::f32s,
) -> (S::f32s, S::f32s) {
    let u = s.transmute_i32s_u32s(c.coin.uniform24(scaled_index));
    let fire = s.less_than_i32s(u, c.threshold);
    let u_sign = s.transmute_i32s_u32s(c.sign.uniform24(scaled_index));
    let plus = s.less_than_i32s(u_sign, c.half);
    let reinforced = s.select_f32s(plus, s.add_f32s(g, prev), s.sub_f32s(g, prev));
    let g_used = s.select_f32s(fire, reinforced, g);
    (s.sub_f32s(w, s.mul_f32s(c.eta, g_used)), g)
}

impl WithSimd for RandomSignOp<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let c = RandomSignConsts {
            coin: Hasher::new(s, self.step.key),
            sign: Hasher::new(s, self.step.sign_key),
            eta: s.splat_f32s(self.step.eta),
            threshold: coin_bound(s, self.step.threshold),
            half: coin_bound(s, ONE / 2),
        };
        let mut indices = ScaledIndices::new(s, self.first_index);
        let streams = Streams::new([self.w.as_ptr(), self.g.as_ptr(), self.prev.as_ptr()]);
        let (wh, wt) = S::as_mut_simd_f32s(self.w);
        let (gh, gt) = S::as_simd_f32s(self.g);
        let (ph, pt) = S::as_mut_simd_f32s(self.prev);
        let (wb, wr) = wh.as_chunks_mut::<UNROLL>();
        let (gb, gr) = gh.as_chunks::<UNROLL>();
        let (pb, pr) = ph.as_chunks_mut::<UNROLL>();
        for (b, ((w, g), p)) in wb.iter_mut().zip(gb).zip(pb.iter_mut()).enumerate() {
            streams.ahead_of_block::<S>(b, UNROLL);
            for j in 0..UNROLL {
                (w[j], p[j]) = random_sign_vec(s, &c, indices.next(), w[j], g[j], p[j]);
            }
        }
        for ((w, &g), p) in wr.iter_mut().zip(gr).zip(pr.iter_mut()) {
            (*w, *p) = random_sign_vec(s, &c, indices.next(), *w, g, *p);
        }
        if !wt.is_empty() {
            let w = s.partial_load_f32s(wt);
            let g = s.partial_load_f32s(gt);
            let p = s.partial_load_f32s(pt);
            let (w, p) = random_sign_vec(s, &c, indices.next(), w, g, p);
            s.partial_store_f32s(wt, w);
            s.partial_store_f32s(pt, p);
        }
    }
}
