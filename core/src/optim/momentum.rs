//! Control: heavy-ball momentum, `v <- mu v + g; W <- W - eta v`, with BackProp's learning rate
//! and `mu` either constant or R-BackProp's probability `p(t) = 1 - gamma^t`.
//!
//! Why it is R-BackProp's deterministic twin under the accumulated reading: there
//! `g_used(t) = g(t) + c(t) g_used(t-1)` with a coin `c(t)` that is 1 with probability `p(t)`,
//! so, over the coins, `E[g_used(t)] = g(t) + p(t) E[g_used(t-1)]`: exactly this recursion with
//! `mu = p(t)` (for the same gradients).

use super::{Clock, RbpConfig, Schedule};
use rbp_kernels::control::{self, HeavyBallStep};

#[derive(Clone, Debug)]
pub(super) struct Momentum {
    pub(super) schedule: Schedule,
    /// Supplies `p(t)` when `mu` is `None`.
    rbp: RbpConfig,
    mu: Option<f64>,
    /// The velocity `v`, per weight.
    pub(super) velocity: Vec<f32>,
    /// Unused by the rule; kept so every optimizer's state carries its run's coin seed.
    pub(super) coin_seed: u64,
}

impl Momentum {
    pub(super) fn new(
        schedule: Schedule,
        rbp: RbpConfig,
        mu: Option<f64>,
        velocity: Vec<f32>,
        coin_seed: u64,
    ) -> Momentum {
        Momentum {
            schedule,
            rbp,
            mu,
            velocity,
            coin_seed,
        }
    }

    /// The momentum coefficient at `clock`.
    pub(super) fn mu(&self, clock: Clock) -> f64 {
        self.mu.unwrap_or_else(|| self.rbp.probability(clock))
    }

    pub(super) fn update(
        &mut self,
        params: &mut [f32],
        grads: &[f32],
        offset: usize,
        clock: Clock,
    ) {
        let step = HeavyBallStep {
            eta: self.schedule.rate(clock) as f32,
            mu: self.mu(clock) as f32,
        };
        let v = &mut self.velocity[offset..offset + params.len()];
        control::heavy_ball(params, grads, v, step);
    }
}
