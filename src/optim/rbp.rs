//! R-BackProp, Eq. (6): each weight's gradient is reinforced by the previous one with probability
//! `1 - gamma^t`, `gamma = gamma0 exp(-lambda t_ep)`.

use super::{Clock, Optimizer, RbpConfig, Schedule};
use rbp_kernels::rng::{self, CoinKey};
use rbp_kernels::update::{self, RbpStep};

pub struct RBackProp {
    schedule: Schedule,
    config: RbpConfig,
    /// The previous gradient, per weight: the one used (`accumulated`) or the raw one (`raw`).
    prev: Vec<f32>,
    /// Seed of the coin stream; the coin of weight `i` at update `t` is a pure function of
    /// `(coin_seed, t, i)`, so results do not depend on SIMD width or threading.
    coin_seed: u64,
}

impl RBackProp {
    pub fn new(
        schedule: Schedule,
        config: RbpConfig,
        n_params: usize,
        coin_seed: u64,
    ) -> RBackProp {
        RBackProp {
            schedule,
            config,
            prev: vec![0.0; n_params],
            coin_seed,
        }
    }
    /// Eq. (6) at `clock`: the step the fused kernel applies.
    pub fn step_at(&self, clock: Clock) -> RbpStep {
        RbpStep {
            eta: self.schedule.rate(clock) as f32,
            key: CoinKey::new(self.coin_seed, clock.t),
            threshold: rng::threshold(self.config.probability(clock)),
            reinforce: self.config.reinforce,
        }
    }
}

impl Optimizer for RBackProp {
    fn name(&self) -> &'static str {
        "rbp"
    }
    fn update(&mut self, params: &mut [f32], grads: &[f32], offset: usize, clock: Clock) {
        let step = self.step_at(clock);
        let prev = &mut self.prev[offset..offset + params.len()];
        // The coin is keyed by the index in the whole buffer, so pieces draw what one call would.
        let first = u32::try_from(offset).expect("parameter buffers stay below 2^32 weights");
        update::rbp_chunk(params, grads, prev, step, first);
    }
    fn state_bytes(&self) -> usize {
        self.prev.len() * size_of::<f32>() + size_of::<u64>()
    }
}
