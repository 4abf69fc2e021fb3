//! Updates of the control optimizers, which ask *why* R-BackProp helps: a heavy-ball step (the
//! deterministic twin of R-BackProp's accumulated reading) and a reinforcement whose sign is a
//! fair coin (a noise control: same magnitude, no alignment with the descent direction).
//!
//! Like [`crate::update`], neither uses FMA, so every level is bit-identical to the scalar
//! reference. (The third control, a step scaled by `1 + p`, is [`crate::update::sgd`] with a
//! larger `eta` and needs no kernel of its own.)

use crate::blocks::{WgStateStep, w_g_state};
use crate::rng::{CoinKey, ONE};
use crate::simd::{Hasher, ScaledIndices, coin_bound};
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

/// Splatted per-call constants of the heavy-ball kernel.
struct HeavyBallVectors<S: Simd> {
    eta: S::f32s,
    mu: S::f32s,
}

impl<S: Simd> WgStateStep<S> for HeavyBallVectors<S> {
    /// One vector of the heavy-ball step: `(w, v)`.
    #[inline(always)]
    fn step(&mut self, s: S, w: S::f32s, g: S::f32s, v: S::f32s) -> (S::f32s, S::f32s) {
        let v = s.add_f32s(s.mul_f32s(self.mu, v), g);
        (s.sub_f32s(w, s.mul_f32s(self.eta, v)), v)
    }
}

impl WithSimd for HeavyBallOp<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let mut op = HeavyBallVectors {
            eta: s.splat_f32s(self.step.eta),
            mu: s.splat_f32s(self.step.mu),
        };
        w_g_state(s, &mut op, self.w, self.g, self.v);
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

/// Splatted per-call constants and the element indices of the random-sign kernel.
struct RandomSignVectors<S: Simd> {
    coin: Hasher<S>,
    sign: Hasher<S>,
    eta: S::f32s,
    /// [`coin_bound`] of the step's threshold.
    threshold: S::i32s,
    /// `ONE / 2`, the sign coin's threshold. A plain constant, not a
    /// [`coin_bound`]: knowing it, LLVM reduces `uniform24 < ONE / 2` to the
    /// sign bit of the last mixing step and blends on it directly (no shifts,
    /// no compare), which more than pays for the unsigned compare.
    half: S::i32s,
    indices: ScaledIndices<S>,
}

impl<S: Simd> WgStateStep<S> for RandomSignVectors<S> {
    /// One vector of [`random_sign_chunk`]: `(w, prev)`.
    #[inline(always)]
    fn step(&mut self, s: S, w: S::f32s, g: S::f32s, prev: S::f32s) -> (S::f32s, S::f32s) {
        let scaled_index = self.indices.next();
        let u = s.transmute_i32s_u32s(self.coin.uniform24(scaled_index));
        let fire = s.less_than_i32s(u, self.threshold);
        let u_sign = s.transmute_i32s_u32s(self.sign.uniform24(scaled_index));
        let plus = s.less_than_i32s(u_sign, self.half);
        let reinforced = s.select_f32s(plus, s.add_f32s(g, prev), s.sub_f32s(g, prev));
        let g_used = s.select_f32s(fire, reinforced, g);
        (s.sub_f32s(w, s.mul_f32s(self.eta, g_used)), g)
    }
}

impl WithSimd for RandomSignOp<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let mut op = RandomSignVectors {
            coin: Hasher::new(s, self.step.key),
            sign: Hasher::new(s, self.step.sign_key),
            eta: s.splat_f32s(self.step.eta),
            threshold: coin_bound(s, self.step.threshold),
            half: s.splat_i32s((ONE / 2) as i32),
            indices: ScaledIndices::new(s, self.first_index),
        };
        w_g_state(s, &mut op, self.w, self.g, self.prev);
    }
}
