//! The paper's BackProp: `W <- W - eta g`.

use super::{Clock, Optimizer, Schedule};
use rbp_kernels::update;

pub struct Sgd {
    schedule: Schedule,
}

impl Sgd {
    pub fn new(schedule: Schedule) -> Sgd {
        Sgd { schedule }
    }
}

impl Optimizer for Sgd {
    fn name(&self) -> &'static str {
        "sgd"
    }
    fn update(&mut self, params: &mut [f32], grads: &[f32], _offset: usize, clock: Clock) {
        update::sgd(params, grads, self.schedule.rate(clock) as f32);
    }
    fn state_bytes(&self) -> usize {
        0
    }
}
