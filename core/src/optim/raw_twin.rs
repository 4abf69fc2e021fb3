//! Control: the deterministic twin of R-BackProp's raw reading,
//! `W <- W - eta (g(t) + p(t) g(t-1))` with `p(t) = 1 - gamma^t` from R-BackProp's settings.
//!
//! Why it is the twin: under the raw reading `g_used(t) = g(t) + c(t) g(t-1)` with
//! `P(c(t) = 1) = p(t)`, so over the coin the expected step is exactly `eta (g(t) + p(t) g(t-1))`
//! for the same gradients. (Scaled SGD's `eta (1 + p(t)) g(t)` equals it only where consecutive
//! mini-batch gradients are equal.)

use super::{Clock, RbpConfig, Schedule};
use rbp_kernels::control::{self, RawTwinStep};

#[derive(Clone, Debug)]
pub(super) struct RawTwin {
    pub(super) schedule: Schedule,
    /// Supplies `p(t)`.
    rbp: RbpConfig,
    /// The previous raw gradient, per weight.
    pub(super) prev: Vec<f32>,
    /// Unused by the rule; kept so every optimizer's state carries its run's coin seed.
    pub(super) coin_seed: u64,
}

impl RawTwin {
    pub(super) fn new(
        schedule: Schedule,
        rbp: RbpConfig,
        prev: Vec<f32>,
        coin_seed: u64,
    ) -> RawTwin {
        RawTwin {
            schedule,
            rbp,
            prev,
            coin_seed,
        }
    }

    pub(super) fn update(
        &mut self,
        params: &mut [f32],
        grads: &[f32],
        offset: usize,
        clock: Clock,
    ) {
        let step = RawTwinStep {
            eta: self.schedule.rate(clock) as f32,
            p: self.rbp.probability(clock) as f32,
        };
        let prev = &mut self.prev[offset..offset + params.len()];
        control::raw_twin(params, grads, prev, step);
    }
}
