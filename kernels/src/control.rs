//! Updates of the control optimizers, which ask *why* R-BackProp helps: a heavy-ball step (the
//! deterministic twin of R-BackProp's accumulated reading), the raw twin `g + p g_prev` (the
//! deterministic twin of the raw reading) and a reinforcement whose sign is a fair coin (a noise
//! control: the magnitude of what either reading adds, no alignment with the descent direction).
//!
//! Like [`crate::update`], none uses FMA, so every level is bit-identical to the scalar
//! reference. (A step scaled by `1 + p` is [`crate::update::sgd`] with a larger `eta` and needs
//! no kernel of its own.)

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
    /// What `prev` keeps: `false`, the raw gradient (the noise control of the raw reading);
    /// `true`, R-BackProp's accumulated sum `g + prev` where the coin fires and `g` elsewhere
    /// (the noise control of the accumulated reading), whatever the sign coin says.
    pub accumulate: bool,
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
/// fire    = coin(key, threshold, i)
/// g_used  = if fire { g[i] + s * prev[i] } else { g[i] },
///           s = +1 if positive_sign(sign_key, i) else -1
/// w[i]    = w[i] - eta * g_used
/// prev[i] = if accumulate && fire { g[i] + prev[i] } else { g[i] }
/// ```
///
/// Each perturbation is `±prev`, with conditional mean zero, and `prev` is what the matching
/// reading of R-BackProp would add at this point of the control's own trajectory: the raw
/// previous gradient (`accumulate = false`), or R-BackProp's accumulated sum
/// `A(t) = g(t) + c(t) A(t-1)` over the same gradients and the same reinforcement coin
/// (`accumulate = true`). Keeping the perturbed `g_used` instead would make `prev` a random walk
/// whose size grows like the square root of the number of consecutive firings, not the linear
/// growth of the accumulated reading's aligned sum: a different magnitude from either reading.
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

/// Parameters of one step of the raw twin.
#[derive(Clone, Copy, Debug)]
pub struct RawTwinStep {
    /// Learning rate.
    pub eta: f32,
    /// R-BackProp's reinforcement probability `p(t)` at this step.
    pub p: f32,
}

/// The deterministic twin of R-BackProp's raw reading: its expected update over the coin, in
/// exactly this operation order:
///
/// ```text
/// w[i]    = w[i] - eta * (g[i] + p * prev[i])
/// prev[i] = g[i]
/// ```
///
/// Under the raw reading `g_used = g + c g_prev` with `P(c = 1) = p`, so `E[g_used] = g + p g_prev`
/// for the same gradients: this applies that expectation, with no coin.
pub fn raw_twin(w: &mut [f32], g: &[f32], prev: &mut [f32], step: RawTwinStep) {
    dispatch(RawTwinOp::checked(w, g, prev, step))
}

/// [`raw_twin`] at a forced level (panics if the CPU lacks it).
pub fn raw_twin_at(level: Level, w: &mut [f32], g: &[f32], prev: &mut [f32], step: RawTwinStep) {
    dispatch_at(level, RawTwinOp::checked(w, g, prev, step))
}

fn check_raw_twin(w: &[f32], g: &[f32], prev: &[f32]) {
    check_len("raw_twin (w, g)", w.len(), g.len());
    check_len("raw_twin (w, prev)", w.len(), prev.len());
}

/// Plain scalar loops: the oracles for tests and the "scalar" benchmark rows.
pub mod reference {
    use super::{HeavyBallStep, RandomSignStep, RawTwinStep, positive_sign};
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
            let fire = coin(step.key, step.threshold, i);
            let g_used = match (fire, positive_sign(step.sign_key, i)) {
                (false, _) => g,
                (true, true) => g + *p,
                (true, false) => g - *p,
            };
            *w -= step.eta * g_used;
            *p = if step.accumulate && fire { g + *p } else { g };
        }
    }

    /// Scalar [`super::raw_twin`].
    pub fn raw_twin(w: &mut [f32], g: &[f32], prev: &mut [f32], step: RawTwinStep) {
        super::check_raw_twin(w, g, prev);
        for ((w, &g), p) in w.iter_mut().zip(g).zip(prev.iter_mut()) {
            let expected = g + step.p * *p;
            *w -= step.eta * expected;
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
    /// [`RandomSignStep::accumulate`].
    accumulate: bool,
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
        let sum = s.add_f32s(g, prev);
        let reinforced = s.select_f32s(plus, sum, s.sub_f32s(g, prev));
        let g_used = s.select_f32s(fire, reinforced, g);
        let kept = if self.accumulate {
            s.select_f32s(fire, sum, g)
        } else {
            g
        };
        (s.sub_f32s(w, s.mul_f32s(self.eta, g_used)), kept)
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
            accumulate: self.step.accumulate,
        };
        w_g_state(s, &mut op, self.w, self.g, self.prev);
    }
}

struct RawTwinOp<'a> {
    w: &'a mut [f32],
    g: &'a [f32],
    prev: &'a mut [f32],
    step: RawTwinStep,
}

impl<'a> RawTwinOp<'a> {
    /// The operation, after checking the slice lengths.
    fn checked(w: &'a mut [f32], g: &'a [f32], prev: &'a mut [f32], step: RawTwinStep) -> Self {
        check_raw_twin(w, g, prev);
        RawTwinOp { w, g, prev, step }
    }
}

/// Splatted per-call constants of the raw-twin kernel.
struct RawTwinVectors<S: Simd> {
    eta: S::f32s,
    p: S::f32s,
}

impl<S: Simd> WgStateStep<S> for RawTwinVectors<S> {
    /// One vector of [`raw_twin`]: `(w, prev)`.
    #[inline(always)]
    fn step(&mut self, s: S, w: S::f32s, g: S::f32s, prev: S::f32s) -> (S::f32s, S::f32s) {
        let expected = s.add_f32s(g, s.mul_f32s(self.p, prev));
        (s.sub_f32s(w, s.mul_f32s(self.eta, expected)), g)
    }
}

impl WithSimd for RawTwinOp<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let mut op = RawTwinVectors {
            eta: s.splat_f32s(self.step.eta),
            p: s.splat_f32s(self.step.p),
        };
        w_g_state(s, &mut op, self.w, self.g, self.prev);
    }
}
