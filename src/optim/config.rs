//! Hyper-parameters, their defaults from the paper, and their validation.

use super::Clock;
use rbp_kernels::update::Reinforce;
use serde::Serialize;

/// Which optimizer (`--optimizer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// The paper's BackProp: plain SGD.
    Sgd,
    /// R-BackProp, Eq. (6).
    Rbp,
    /// Adam (Kingma & Ba).
    Adam,
}

impl OptimizerKind {
    pub const ALL: [OptimizerKind; 3] =
        [OptimizerKind::Sgd, OptimizerKind::Rbp, OptimizerKind::Adam];
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Rbp => "rbp",
            OptimizerKind::Adam => "adam",
        }
    }
    /// The paper's name for it.
    pub fn paper_name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "BackProp",
            OptimizerKind::Rbp => "R-BackProp",
            OptimizerKind::Adam => "Adam",
        }
    }
}

/// Which counter drives the learning-rate decay (`--lr-clock`): the paper writes `eta0 beta^t`
/// without saying whether t counts updates or epochs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LrClock {
    /// t = number of updates so far.
    Iteration,
    /// t = epoch index.
    Epoch,
}

impl LrClock {
    pub fn name(self) -> &'static str {
        match self {
            LrClock::Iteration => "iteration",
            LrClock::Epoch => "epoch",
        }
    }
}

/// `eta = max(eta0 * decay^n, eta_min)` with `n` read from the clock.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Schedule {
    pub eta0: f64,
    pub decay: f64,
    pub eta_min: f64,
    pub clock: LrClock,
}

impl Schedule {
    pub fn rate(&self, clock: Clock) -> f64 {
        let n = match self.clock {
            LrClock::Iteration => clock.t,
            LrClock::Epoch => clock.epoch,
        };
        (self.eta0 * self.decay.powf(n as f64)).max(self.eta_min)
    }
}

/// R-BackProp's reinforcement settings, Eq. (6).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RbpConfig {
    pub gamma0: f64,
    pub lambda: f64,
    #[serde(serialize_with = "serialize_reinforce")]
    pub reinforce: Reinforce,
}

fn serialize_reinforce<S: serde::Serializer>(r: &Reinforce, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(reinforce_name(*r))
}

/// `accumulated` or `raw`.
pub fn reinforce_name(r: Reinforce) -> &'static str {
    match r {
        Reinforce::Accumulated => "accumulated",
        Reinforce::Raw => "raw",
    }
}

impl RbpConfig {
    /// `gamma = gamma0 exp(-lambda t_ep)`.
    pub fn gamma(&self, epoch: u64) -> f64 {
        self.gamma0 * (-self.lambda * epoch as f64).exp()
    }
    /// Probability that a weight's gradient is reinforced at this update: `1 - gamma^t`.
    pub fn probability(&self, clock: Clock) -> f64 {
        1.0 - self.gamma(clock.epoch).powf(clock.t as f64)
    }
}

/// Adam's settings (Kingma & Ba defaults); its learning rate decays like BackProp's
/// (same `--lr-decay` and `--lr-clock`) from its own start and floor.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct AdamConfig {
    pub lr0: f64,
    pub lr_min: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
}

/// Every hyper-parameter of a run, with the paper's values as defaults.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Hyper {
    /// BackProp's and R-BackProp's learning-rate schedule.
    pub lr0: f64,
    pub lr_decay: f64,
    pub lr_min: f64,
    pub lr_clock: LrClock,
    pub rbp: RbpConfig,
    pub adam: AdamConfig,
}

impl Default for Hyper {
    fn default() -> Hyper {
        Hyper {
            lr0: 0.8,
            lr_decay: 0.999,
            lr_min: 0.02,
            lr_clock: LrClock::Iteration,
            rbp: RbpConfig {
                gamma0: 0.9995,
                lambda: 0.0001,
                reinforce: Reinforce::Accumulated,
            },
            adam: AdamConfig {
                lr0: 0.01,
                lr_min: 0.001,
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
            },
        }
    }
}

/// A hyper-parameter that makes no sense, named with the flag that sets it.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("{flag} = {value}: {why}")]
    Invalid {
        flag: &'static str,
        value: String,
        why: &'static str,
    },
}

fn check(ok: bool, flag: &'static str, value: f64, why: &'static str) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError::Invalid {
            flag,
            value: value.to_string(),
            why,
        })
    }
}

impl Hyper {
    pub fn sgd_schedule(&self) -> Schedule {
        Schedule {
            eta0: self.lr0,
            decay: self.lr_decay,
            eta_min: self.lr_min,
            clock: self.lr_clock,
        }
    }

    pub fn adam_schedule(&self) -> Schedule {
        Schedule {
            eta0: self.adam.lr0,
            decay: self.lr_decay,
            eta_min: self.adam.lr_min,
            clock: self.lr_clock,
        }
    }

    /// Rejects nonsense before any work is done.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = |x: f64| x.is_finite() && x > 0.0;
        let rate_decay = |x: f64| x.is_finite() && x > 0.0 && x <= 1.0;
        let min_rate = |x: f64| x.is_finite() && x >= 0.0;
        check(
            positive(self.lr0),
            "--lr0",
            self.lr0,
            "must be a positive, finite learning rate",
        )?;
        check(
            rate_decay(self.lr_decay),
            "--lr-decay",
            self.lr_decay,
            "must lie in (0, 1]",
        )?;
        check(
            min_rate(self.lr_min),
            "--lr-min",
            self.lr_min,
            "must be zero or positive",
        )?;
        let r = &self.rbp;
        check(
            rate_decay(r.gamma0),
            "--gamma0",
            r.gamma0,
            "must lie in (0, 1]",
        )?;
        check(
            min_rate(r.lambda),
            "--lambda",
            r.lambda,
            "must be zero or positive",
        )?;
        let a = &self.adam;
        check(
            positive(a.lr0),
            "--adam-lr0",
            a.lr0,
            "must be a positive, finite learning rate",
        )?;
        check(
            min_rate(a.lr_min),
            "--adam-lr-min",
            a.lr_min,
            "must be zero or positive",
        )?;
        let beta = |x: f64| x.is_finite() && (0.0..1.0).contains(&x);
        check(beta(a.beta1), "--adam-beta1", a.beta1, "must lie in [0, 1)")?;
        check(beta(a.beta2), "--adam-beta2", a.beta2, "must lie in [0, 1)")?;
        check(
            positive(a.eps),
            "--adam-eps",
            a.eps,
            "must be positive and finite",
        )?;
        Ok(())
    }
}
