//! R-BackProp, Eq. (6): each weight's gradient is reinforced by the previous one with probability
//! `1 - gamma^t`, `gamma = gamma0 exp(-lambda t_ep)`.

use super::{Clock, RbpConfig, Reinforce, Schedule};
use rbp_kernels::control::{self, RandomSignStep};
use rbp_kernels::rng::{self, CoinKey};
use rbp_kernels::update::{self, RbpStep};

#[derive(Clone, Debug)]
pub(super) struct RBackProp {
    pub(super) schedule: Schedule,
    config: RbpConfig,
    /// The previous gradient, per weight: the one used (`accumulated`), the raw one (`raw`,
    /// `random-sign`), or R-BackProp's accumulated sum (`random-sign-accumulated`).
    pub(super) prev: Vec<f32>,
    /// Seed of the coin stream; the coin of weight `i` at update `t` is a pure function of
    /// `(coin_seed, t, i)`, so results do not depend on SIMD width or threading.
    pub(super) coin_seed: u64,
}

impl RBackProp {
    pub(super) fn new(
        schedule: Schedule,
        config: RbpConfig,
        prev: Vec<f32>,
        coin_seed: u64,
    ) -> RBackProp {
        RBackProp {
            schedule,
            config,
            prev,
            coin_seed,
        }
    }

    /// Eq. (6) at `clock`: the step the fused kernel applies.
    fn step_at(&self, clock: Clock) -> RbpStep {
        RbpStep {
            eta: self.schedule.rate(clock) as f32,
            key: CoinKey::new(self.coin_seed, clock.t),
            threshold: rng::threshold(self.config.probability(clock)),
            keep_used: self.config.reinforce == Reinforce::Accumulated,
        }
    }

    pub(super) fn update(
        &mut self,
        params: &mut [f32],
        grads: &[f32],
        offset: usize,
        clock: Clock,
    ) {
        let step = self.step_at(clock);
        let prev = &mut self.prev[offset..offset + params.len()];
        // The coin is keyed by the index in the whole buffer, so pieces draw what one call would.
        // Layouts keep buffers below 2^32 weights (`net::Layout::new` checks it).
        let first = u32::try_from(offset).expect("parameter buffers stay below 2^32 weights");
        if self.config.reinforce.is_noise_control() {
            // The noise control: the same coin (same key and threshold), then a sign from a
            // second, independent coin of the same seed and step; `prev` is the reading's own.
            let step = RandomSignStep {
                eta: step.eta,
                key: step.key,
                sign_key: control::sign_key(self.coin_seed, clock.t),
                threshold: step.threshold,
                accumulate: self.config.reinforce == Reinforce::RandomSignAccumulated,
            };
            control::random_sign_chunk(params, grads, prev, step, first);
        } else {
            update::rbp_chunk(params, grads, prev, step, first);
        }
    }
}
