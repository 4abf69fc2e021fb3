//! Adam (Kingma & Ba, 2015) with bias correction and the paper's decaying learning rate.

use super::{AdamConfig, Clock, Schedule};
use rbp_kernels::update::{self, AdamStep};

#[derive(Clone, Debug)]
pub(super) struct Adam {
    pub(super) schedule: Schedule,
    config: AdamConfig,
    /// First and second moment estimates, per weight.
    pub(super) m: Vec<f32>,
    pub(super) v: Vec<f32>,
    /// Unused by the rule; kept so every optimizer's state carries its run's coin seed.
    pub(super) coin_seed: u64,
}

impl Adam {
    pub(super) fn new(
        schedule: Schedule,
        config: AdamConfig,
        m: Vec<f32>,
        v: Vec<f32>,
        coin_seed: u64,
    ) -> Adam {
        Adam {
            schedule,
            config,
            m,
            v,
            coin_seed,
        }
    }

    fn step_at(&self, clock: Clock) -> AdamStep {
        let c = &self.config;
        // Bias corrections for the (t + 1)-th update, since t counts from 0.
        let n = (clock.t + 1) as f64;
        AdamStep {
            lr: self.schedule.rate(clock) as f32,
            beta1: c.beta1 as f32,
            beta2: c.beta2 as f32,
            eps: c.eps as f32,
            bias1: (1.0 - c.beta1.powf(n)) as f32,
            bias2: (1.0 - c.beta2.powf(n)) as f32,
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
        let range = offset..offset + params.len();
        update::adam(
            params,
            grads,
            &mut self.m[range.clone()],
            &mut self.v[range],
            step,
        );
    }
}
