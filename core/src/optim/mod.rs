//! The three optimizers of the paper, and controls that ask why R-BackProp helps (momentum and
//! the raw twin, the deterministic twins of the two readings; scaled SGD; the noise controls are
//! R-BackProp with [`Reinforce::RandomSign`] or [`Reinforce::RandomSignAccumulated`]), behind one type,
//! [`Optimizer`], which owns everything a run needs to continue: the training clock, R-BackProp's
//! coin seed and every per-weight buffer.
//!
//! Each update is one fused kernel call over (a piece of) the flat parameter buffer
//! (`rbp_kernels::update`). [`Optimizer::state`] and [`Optimizer::from_state`] save and restore
//! it exactly, so a run stopped and resumed gives the numbers of an uninterrupted one.

mod adam;
mod config;
mod momentum;
mod raw_twin;
mod rbp;
mod scaled_sgd;
mod sgd;

pub use config::{
    AdamConfig, ConfigError, Hyper, LrClock, OptimizerKind, RbpConfig, Reinforce, Schedule,
};

use crate::memory::{self, AllocError};
use adam::Adam;
use momentum::Momentum;
use raw_twin::RawTwin;
use rbp::RBackProp;
use scaled_sgd::ScaledSgd;
use serde::{Deserialize, Serialize};
use sgd::Sgd;

/// Where training is: `t` counts updates from 0 (the first update has `t = 0`), `epoch` is the
/// 0-based epoch index the update belongs to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    /// Updates done so far.
    pub t: u64,
    /// Epochs done so far.
    pub epoch: u64,
}

/// A first-order optimizer over a flat parameter buffer, with its own clock.
///
/// A training step calls [`Optimizer::update`] once per piece of the buffer (each layer as soon
/// as backpropagation is done with it), then [`Optimizer::finish_step`]; each epoch ends with
/// [`Optimizer::finish_epoch`]. [`Optimizer::step`] does a whole-buffer step at once.
#[derive(Clone, Debug)]
pub struct Optimizer {
    clock: Clock,
    rule: Rule,
}

/// The update rule and its per-weight buffers.
#[derive(Clone, Debug)]
enum Rule {
    Sgd(Sgd),
    Rbp(RBackProp),
    Adam(Adam),
    Momentum(Momentum),
    ScaledSgd(ScaledSgd),
    RawTwin(RawTwin),
}

/// A saved optimizer: its kind, clock, coin seed and per-weight buffers, in a fixed order
/// (R-BackProp and raw-twin: `g_prev`; Adam: `m`, `v`; momentum: `v`).
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerState {
    /// Which optimizer.
    pub kind: OptimizerKind,
    /// Where it was.
    pub clock: Clock,
    /// R-BackProp's coin seed (kept for every kind, used by R-BackProp only).
    pub coin_seed: u64,
    /// Per-weight buffers.
    pub buffers: Vec<Vec<f32>>,
}

/// A saved optimizer state that does not fit what it is restored into.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StateError {
    /// The number of per-weight buffers is not the kind's.
    #[error("{kind} state has {found} per-weight buffer(s), expected {expected}")]
    BufferCount {
        /// The optimizer.
        kind: OptimizerKind,
        /// Buffers expected.
        expected: usize,
        /// Buffers found.
        found: usize,
    },
    /// A buffer's length is not the parameter count.
    #[error("{kind} state buffer {index} has {found} values for {expected} weights")]
    BufferLength {
        /// The optimizer.
        kind: OptimizerKind,
        /// Which buffer.
        index: usize,
        /// The parameter count.
        expected: usize,
        /// Its length.
        found: usize,
    },
}

impl Optimizer {
    /// A fresh optimizer of `kind` for `n_params` weights at clock zero. `coin_seed` keys
    /// R-BackProp's coin (the others ignore it). Fails only when its buffers cannot be allocated.
    pub fn new(
        kind: OptimizerKind,
        hyper: &Hyper,
        n_params: usize,
        coin_seed: u64,
    ) -> Result<Optimizer, AllocError> {
        let rule = match kind {
            OptimizerKind::Sgd => Rule::Sgd(Sgd::new(hyper.sgd_schedule(), coin_seed)),
            OptimizerKind::Rbp => Rule::Rbp(RBackProp::new(
                hyper.sgd_schedule(),
                hyper.rbp,
                memory::zeroed(n_params, "R-BackProp's previous gradients")?,
                coin_seed,
            )),
            OptimizerKind::Adam => Rule::Adam(Adam::new(
                hyper.adam_schedule(),
                hyper.adam,
                memory::zeroed(n_params, "Adam's first moments")?,
                memory::zeroed(n_params, "Adam's second moments")?,
                coin_seed,
            )),
            OptimizerKind::Momentum => Rule::Momentum(Momentum::new(
                hyper.sgd_schedule(),
                hyper.rbp,
                hyper.momentum,
                memory::zeroed(n_params, "momentum's velocities")?,
                coin_seed,
            )),
            OptimizerKind::ScaledSgd => {
                Rule::ScaledSgd(ScaledSgd::new(hyper.sgd_schedule(), hyper.rbp, coin_seed))
            }
            OptimizerKind::RawTwin => Rule::RawTwin(RawTwin::new(
                hyper.sgd_schedule(),
                hyper.rbp,
                memory::zeroed(n_params, "the raw twin's previous gradients")?,
                coin_seed,
            )),
        };
        Ok(Optimizer {
            clock: Clock::default(),
            rule,
        })
    }

    /// Rebuilds a saved optimizer for `n_params` weights with the hyper-parameters `hyper`.
    pub fn from_state(
        hyper: &Hyper,
        n_params: usize,
        state: OptimizerState,
    ) -> Result<Optimizer, StateError> {
        let OptimizerState {
            kind,
            clock,
            coin_seed,
            buffers,
        } = state;
        let expected = kind.per_weight_buffers();
        if buffers.len() != expected {
            return Err(StateError::BufferCount {
                kind,
                expected,
                found: buffers.len(),
            });
        }
        if let Some((index, b)) = buffers
            .iter()
            .enumerate()
            .find(|(_, b)| b.len() != n_params)
        {
            return Err(StateError::BufferLength {
                kind,
                index,
                expected: n_params,
                found: b.len(),
            });
        }
        let mut buffers = buffers.into_iter();
        let mut next = || buffers.next().expect("the buffer count was checked");
        let rule = match kind {
            OptimizerKind::Sgd => Rule::Sgd(Sgd::new(hyper.sgd_schedule(), coin_seed)),
            OptimizerKind::Rbp => Rule::Rbp(RBackProp::new(
                hyper.sgd_schedule(),
                hyper.rbp,
                next(),
                coin_seed,
            )),
            OptimizerKind::Adam => {
                let m = next();
                Rule::Adam(Adam::new(
                    hyper.adam_schedule(),
                    hyper.adam,
                    m,
                    next(),
                    coin_seed,
                ))
            }
            OptimizerKind::Momentum => Rule::Momentum(Momentum::new(
                hyper.sgd_schedule(),
                hyper.rbp,
                hyper.momentum,
                next(),
                coin_seed,
            )),
            OptimizerKind::ScaledSgd => {
                Rule::ScaledSgd(ScaledSgd::new(hyper.sgd_schedule(), hyper.rbp, coin_seed))
            }
            OptimizerKind::RawTwin => Rule::RawTwin(RawTwin::new(
                hyper.sgd_schedule(),
                hyper.rbp,
                next(),
                coin_seed,
            )),
        };
        Ok(Optimizer { clock, rule })
    }

    /// A copy of everything needed to continue: see [`Optimizer::from_state`].
    pub fn state(&self) -> OptimizerState {
        let (coin_seed, buffers): (u64, Vec<&[f32]>) = match &self.rule {
            Rule::Sgd(o) => (o.coin_seed, vec![]),
            Rule::Rbp(o) => (o.coin_seed, vec![&o.prev]),
            Rule::Adam(o) => (o.coin_seed, vec![&o.m, &o.v]),
            Rule::Momentum(o) => (o.coin_seed, vec![&o.velocity]),
            Rule::ScaledSgd(o) => (o.coin_seed, vec![]),
            Rule::RawTwin(o) => (o.coin_seed, vec![&o.prev]),
        };
        OptimizerState {
            kind: self.kind(),
            clock: self.clock,
            coin_seed,
            buffers: buffers.into_iter().map(<[f32]>::to_vec).collect(),
        }
    }

    /// Which optimizer this is.
    pub fn kind(&self) -> OptimizerKind {
        match self.rule {
            Rule::Sgd(_) => OptimizerKind::Sgd,
            Rule::Rbp(_) => OptimizerKind::Rbp,
            Rule::Adam(_) => OptimizerKind::Adam,
            Rule::Momentum(_) => OptimizerKind::Momentum,
            Rule::ScaledSgd(_) => OptimizerKind::ScaledSgd,
            Rule::RawTwin(_) => OptimizerKind::RawTwin,
        }
    }

    /// Short name used in tables and files (`sgd`, `rbp`, `adam`, `momentum`, `scaled-sgd`).
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// Where training is.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Moves the clock, e.g. to time updates in the middle of a run (benchmarks) or to probe the
    /// schedule at a given point (tests). Training moves it with [`Optimizer::finish_step`] and
    /// [`Optimizer::finish_epoch`].
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    /// Applies the current step's update to the weights `offset..offset + params.len()` of the
    /// flat buffer, with their mini-batch gradient `grads`. Updating a buffer piece by piece
    /// gives exactly the numbers of one whole-buffer update.
    ///
    /// # Panics
    /// If `grads` and `params` differ in length or the piece lies outside the buffer.
    pub fn update(&mut self, params: &mut [f32], grads: &[f32], offset: usize) {
        let clock = self.clock;
        match &mut self.rule {
            Rule::Sgd(o) => o.update(params, grads, clock),
            Rule::Rbp(o) => o.update(params, grads, offset, clock),
            Rule::Adam(o) => o.update(params, grads, offset, clock),
            Rule::Momentum(o) => o.update(params, grads, offset, clock),
            Rule::ScaledSgd(o) => o.update(params, grads, clock),
            Rule::RawTwin(o) => o.update(params, grads, offset, clock),
        }
    }

    /// Ends the current step: the next update is update `t + 1`.
    pub fn finish_step(&mut self) {
        self.clock.t += 1;
    }

    /// Ends the current epoch.
    pub fn finish_epoch(&mut self) {
        self.clock.epoch += 1;
    }

    /// One whole-buffer step: [`Optimizer::update`] over every weight, then
    /// [`Optimizer::finish_step`].
    pub fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        self.update(params, grads, 0);
        self.finish_step();
    }

    /// The learning rate of the current step (scaled SGD: its scaled step `eta (1 + p(t))`).
    pub fn learning_rate(&self) -> f64 {
        match &self.rule {
            Rule::Sgd(o) => o.schedule.rate(self.clock),
            Rule::Rbp(o) => o.schedule.rate(self.clock),
            Rule::Adam(o) => o.schedule.rate(self.clock),
            Rule::Momentum(o) => o.schedule.rate(self.clock),
            Rule::ScaledSgd(o) => o.rate(self.clock),
            Rule::RawTwin(o) => o.schedule.rate(self.clock),
        }
    }

    /// The momentum coefficient of the current step (`None` unless this is momentum).
    pub fn momentum(&self) -> Option<f64> {
        match &self.rule {
            Rule::Momentum(o) => Some(o.mu(self.clock)),
            _ => None,
        }
    }

    /// Bytes of per-weight optimizer state, plus R-BackProp's coin seed: 0 (sgd, scaled-sgd),
    /// `4n + 8` (rbp, every reading), `8n` (adam) and `4n` (momentum, raw-twin).
    pub fn state_bytes(&self) -> usize {
        match &self.rule {
            Rule::Sgd(_) | Rule::ScaledSgd(_) => 0,
            Rule::Rbp(o) => o.prev.len() * size_of::<f32>() + size_of::<u64>(),
            Rule::Adam(o) => (o.m.len() + o.v.len()) * size_of::<f32>(),
            Rule::Momentum(o) => o.velocity.len() * size_of::<f32>(),
            Rule::RawTwin(o) => o.prev.len() * size_of::<f32>(),
        }
    }
}
