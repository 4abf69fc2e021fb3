//! BackProp, R-BackProp (Eq. 6) and Adam in f64, written from their definitions: the learning
//! rate unrounded, Adam's bias corrections applied as in Kingma & Ba, R-BackProp's coin the very
//! one of the f32 path (`rbp_kernels::rng::coin`, same key and threshold), so the twin runs
//! reinforce the same weights at the same updates.

use crate::memory::{self, AllocError};
use crate::optim::{AdamConfig, Clock, Hyper, OptimizerKind, RbpConfig, Reinforce, Schedule};
use rbp_kernels::rng::{self, CoinKey};

/// Why an f64 optimizer could not be built.
#[derive(Debug, thiserror::Error)]
pub enum OracleError {
    /// Its buffers could not be allocated.
    #[error(transparent)]
    Alloc(#[from] AllocError),
    /// The oracle implements the paper's three optimizers only.
    #[error("the f64 oracle implements sgd, rbp (accumulated or raw g_prev) and adam, not {0}")]
    Unsupported(String),
}

/// Whether the oracle implements `kind` under `hyper`: the paper's three optimizers, with the
/// accumulated or raw `g_prev`. Checked before any run, and by [`Optimizer::new`].
pub fn supports(kind: OptimizerKind, hyper: &Hyper) -> Result<(), OracleError> {
    match kind {
        OptimizerKind::Momentum | OptimizerKind::ScaledSgd | OptimizerKind::RawTwin => {
            Err(OracleError::Unsupported(kind.name().into()))
        }
        OptimizerKind::Rbp if hyper.rbp.reinforce.is_noise_control() => Err(
            OracleError::Unsupported(format!("rbp with {} g_prev", hyper.rbp.reinforce)),
        ),
        _ => Ok(()),
    }
}

/// An f64 optimizer over the whole parameter buffer, with its own clock.
pub struct Optimizer {
    clock: Clock,
    rule: Rule,
}

enum Rule {
    Sgd(Schedule),
    Rbp {
        schedule: Schedule,
        config: RbpConfig,
        coin_seed: u64,
        /// The previous gradient per weight (the used or the raw one, per `config.reinforce`).
        prev: Vec<f64>,
    },
    Adam {
        schedule: Schedule,
        config: AdamConfig,
        m: Vec<f64>,
        v: Vec<f64>,
    },
}

impl Optimizer {
    /// A fresh optimizer of `kind` for `n` weights at clock zero; `coin_seed` keys R-BackProp's
    /// coin as in [`crate::optim::Optimizer::new`].
    pub fn new(
        kind: OptimizerKind,
        hyper: &Hyper,
        n: usize,
        coin_seed: u64,
    ) -> Result<Optimizer, OracleError> {
        supports(kind, hyper)?;
        let rule = match kind {
            OptimizerKind::Momentum | OptimizerKind::ScaledSgd | OptimizerKind::RawTwin => {
                unreachable!("`supports` refused {kind}")
            }
            OptimizerKind::Sgd => Rule::Sgd(hyper.sgd_schedule()),
            OptimizerKind::Rbp => Rule::Rbp {
                schedule: hyper.sgd_schedule(),
                config: hyper.rbp,
                coin_seed,
                prev: memory::zeroed(n, "R-BackProp's previous gradients (f64)")?,
            },
            OptimizerKind::Adam => Rule::Adam {
                schedule: hyper.adam_schedule(),
                config: hyper.adam,
                m: memory::zeroed(n, "Adam's first moments (f64)")?,
                v: memory::zeroed(n, "Adam's second moments (f64)")?,
            },
        };
        Ok(Optimizer {
            clock: Clock::default(),
            rule,
        })
    }

    /// Where training is.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// One update of every weight with the mini-batch gradient `grads`, then the clock moves on.
    ///
    /// # Panics
    /// If `params` and `grads` differ in length or the parameter count exceeds 2^32 - 1.
    pub fn step(&mut self, params: &mut [f64], grads: &[f64]) {
        assert_eq!(
            params.len(),
            grads.len(),
            "weights and gradients differ in length"
        );
        let clock = self.clock;
        match &mut self.rule {
            Rule::Sgd(schedule) => {
                let eta = schedule.rate(clock);
                for (w, &g) in params.iter_mut().zip(grads) {
                    *w -= eta * g;
                }
            }
            Rule::Rbp {
                schedule,
                config,
                coin_seed,
                prev,
            } => {
                let eta = schedule.rate(clock);
                let key = CoinKey::new(*coin_seed, clock.t);
                let threshold = rng::threshold(config.probability(clock));
                let keep_used = config.reinforce == Reinforce::Accumulated;
                for (i, ((w, &g), p)) in params.iter_mut().zip(grads).zip(prev).enumerate() {
                    let index = u32::try_from(i).expect("layouts stay below 2^32 weights");
                    // Eq. (6): with probability 1 - gamma^t, g <- g + g_prev.
                    let used = if rng::coin(key, threshold, index) {
                        g + *p
                    } else {
                        g
                    };
                    *w -= eta * used;
                    *p = if keep_used { used } else { g };
                }
            }
            Rule::Adam {
                schedule,
                config,
                m,
                v,
            } => {
                let lr = schedule.rate(clock);
                // Bias corrections of the (t + 1)-th update.
                let n = (clock.t + 1) as f64;
                let bias1 = 1.0 - config.beta1.powf(n);
                let bias2 = 1.0 - config.beta2.powf(n);
                for (((w, &g), m), v) in params.iter_mut().zip(grads).zip(m).zip(v) {
                    *m = config.beta1 * *m + (1.0 - config.beta1) * g;
                    *v = config.beta2 * *v + (1.0 - config.beta2) * g * g;
                    let m_hat = *m / bias1;
                    let v_hat = *v / bias2;
                    *w -= lr * m_hat / (v_hat.sqrt() + config.eps);
                }
            }
        }
        self.clock.t += 1;
    }

    /// Ends the current epoch.
    pub fn finish_epoch(&mut self) {
        self.clock.epoch += 1;
    }
}
