//! Adam (Kingma & Ba, 2015) with bias correction and the paper's decaying learning rate.

use super::{AdamConfig, Clock, Optimizer, Schedule};
use rbp_kernels::update::{self, AdamStep};

pub struct Adam {
    schedule: Schedule,
    config: AdamConfig,
    /// First and second moment estimates, per weight.
    m: Vec<f32>,
    v: Vec<f32>,
}

impl Adam {
    pub fn new(schedule: Schedule, config: AdamConfig, n_params: usize) -> Adam {
        Adam {
            schedule,
            config,
            m: vec![0.0; n_params],
            v: vec![0.0; n_params],
        }
    }
    pub fn step_at(&self, clock: Clock) -> AdamStep {
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
}

impl Optimizer for Adam {
    fn name(&self) -> &'static str {
        "adam"
    }
    fn update(&mut self, params: &mut [f32], grads: &[f32], offset: usize, clock: Clock) {
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
    fn state_bytes(&self) -> usize {
        (self.m.len() + self.v.len()) * size_of::<f32>()
    }
}
