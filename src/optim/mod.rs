//! The three optimizers of the paper behind one small trait, and their shared schedules.
//!
//! Each optimizer updates the whole flat parameter buffer with one fused kernel call
//! (`rbp_kernels::update`), and owns whatever state that needs (mirroring the parameters).

mod adam;
mod config;
mod rbp;
mod sgd;

pub use adam::Adam;
pub use config::{
    AdamConfig, ConfigError, Hyper, LrClock, OptimizerKind, RbpConfig, Schedule,
    reinforce_name as config_reinforce_name,
};
pub use rbp::RBackProp;
pub use rbp_kernels::update::Reinforce;
pub use sgd::Sgd;

/// Where training is: `t` counts updates from 0 (the first update has `t = 0`), `epoch` is the
/// 0-based epoch index the update belongs to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    pub t: u64,
    pub epoch: u64,
}

/// A first-order optimizer over a flat parameter buffer.
pub trait Optimizer: Send {
    /// Short name used in tables and files (`sgd`, `rbp`, `adam`).
    fn name(&self) -> &'static str;
    /// Applies one update at time `clock` to the weights `offset..offset + params.len()` of the
    /// flat buffer, with their mini-batch gradient `grads`. Updating a buffer piece by piece
    /// (e.g. each layer as soon as backpropagation is done with it, while its weights are still in
    /// cache) gives exactly the numbers of one whole-buffer update.
    fn update(&mut self, params: &mut [f32], grads: &[f32], offset: usize, clock: Clock);
    /// Applies one update to the whole buffer.
    fn step(&mut self, params: &mut [f32], grads: &[f32], clock: Clock) {
        self.update(params, grads, 0, clock);
    }
    /// Bytes of optimizer state (per-weight buffers plus counters and settings).
    fn state_bytes(&self) -> usize;
}

/// Builds the optimizer `kind` for `n_params` weights, with the coin seed for R-BackProp.
pub fn build(
    kind: OptimizerKind,
    hyper: &Hyper,
    n_params: usize,
    coin_seed: u64,
) -> Box<dyn Optimizer> {
    match kind {
        OptimizerKind::Sgd => Box::new(Sgd::new(hyper.sgd_schedule())),
        OptimizerKind::Rbp => Box::new(RBackProp::new(
            hyper.sgd_schedule(),
            hyper.rbp,
            n_params,
            coin_seed,
        )),
        OptimizerKind::Adam => Box::new(Adam::new(hyper.adam_schedule(), hyper.adam, n_params)),
    }
}
