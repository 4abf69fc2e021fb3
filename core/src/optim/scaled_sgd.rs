//! Control: BackProp with the step `eta (1 + p(t))`, `p(t) = 1 - gamma^t` from R-BackProp's
//! settings.
//!
//! Why it is R-BackProp's deterministic twin under the raw reading: there
//! `g_used(t) = g(t) + c(t) g(t-1)` with `P(c(t) = 1) = p(t)`, so the expected step is
//! `eta (g(t) + p(t) g(t-1))`; where consecutive mini-batch gradients are close (small steps,
//! a smooth loss), that is `eta (1 + p(t)) g(t)`.

use super::{Clock, RbpConfig, Schedule};
use rbp_kernels::update;

#[derive(Clone, Debug)]
pub(super) struct ScaledSgd {
    pub(super) schedule: Schedule,
    rbp: RbpConfig,
    /// Unused by the rule; kept so every optimizer's state carries its run's coin seed.
    pub(super) coin_seed: u64,
}

impl ScaledSgd {
    pub(super) fn new(schedule: Schedule, rbp: RbpConfig, coin_seed: u64) -> ScaledSgd {
        ScaledSgd {
            schedule,
            rbp,
            coin_seed,
        }
    }

    /// `eta (1 + p(t))`, in f64 before the one rounding to f32: with `p = 0` it is exactly
    /// BackProp's rate, so the run is BackProp's bit for bit.
    pub(super) fn rate(&self, clock: Clock) -> f64 {
        self.schedule.rate(clock) * (1.0 + self.rbp.probability(clock))
    }

    pub(super) fn update(&mut self, params: &mut [f32], grads: &[f32], clock: Clock) {
        update::sgd(params, grads, self.rate(clock) as f32);
    }
}
