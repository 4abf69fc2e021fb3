//! The paper's BackProp: `W <- W - eta g`.

use super::{Clock, Schedule};
use rbp_kernels::update;

#[derive(Clone, Debug)]
pub(super) struct Sgd {
    pub(super) schedule: Schedule,
    /// Unused by the rule; kept so every optimizer's state carries its run's coin seed.
    pub(super) coin_seed: u64,
}

impl Sgd {
    pub(super) fn new(schedule: Schedule, coin_seed: u64) -> Sgd {
        Sgd {
            schedule,
            coin_seed,
        }
    }

    pub(super) fn update(&mut self, params: &mut [f32], grads: &[f32], clock: Clock) {
        update::sgd(params, grads, self.schedule.rate(clock) as f32);
    }
}
