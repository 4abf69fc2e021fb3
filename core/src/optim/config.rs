//! Hyper-parameters, their defaults from the paper (the only place they are written), and their
//! validation. Errors name the parameter; a front end (the CLI) adds its own flag names.

use super::Clock;
use crate::named::named_enum;
use serde::{Deserialize, Serialize};

/// Which optimizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// The paper's BackProp: plain SGD.
    Sgd,
    /// R-BackProp, Eq. (6).
    Rbp,
    /// Adam (Kingma & Ba).
    Adam,
    /// Control (not in the paper): heavy-ball momentum `v <- mu v + g; W <- W - eta v` with
    /// BackProp's learning rate and `mu` = [`Hyper::momentum`], by default R-BackProp's
    /// probability `p(t) = 1 - gamma^t`: the deterministic twin of R-BackProp's accumulated
    /// reading, whose expected update it is.
    Momentum,
    /// Control (not in the paper): BackProp with the step `eta (1 + p(t))`: R-BackProp's raw
    /// reading's expected update only where consecutive mini-batch gradients are equal (a larger
    /// step, not the twin; [`OptimizerKind::RawTwin`] is the exact one).
    #[serde(rename = "scaled-sgd")]
    ScaledSgd,
    /// Control (not in the paper): `W <- W - eta (g + p(t) g_prev)` with the raw previous
    /// gradient and no coin: exactly the expected update of R-BackProp's raw reading over its
    /// coin, for the same gradients (the deterministic twin of the raw reading).
    #[serde(rename = "raw-twin")]
    RawTwin,
}

named_enum!(
    OptimizerKind,
    "optimizer",
    [
        (Sgd, "sgd"),
        (Rbp, "rbp"),
        (Adam, "adam"),
        (Momentum, "momentum"),
        (ScaledSgd, "scaled-sgd"),
        (RawTwin, "raw-twin"),
    ]
);

impl OptimizerKind {
    /// The paper's three optimizers, in the order of its figures: what commands run by default.
    pub const PAPER: [OptimizerKind; 3] =
        [OptimizerKind::Sgd, OptimizerKind::Rbp, OptimizerKind::Adam];

    /// The paper's name for it (for the controls, a descriptive one; scaled BackProp steps by
    /// `eta (1 + p(t))`).
    pub fn paper_name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "BackProp",
            OptimizerKind::Rbp => "R-BackProp",
            OptimizerKind::Adam => "Adam",
            OptimizerKind::Momentum => "Momentum",
            OptimizerKind::ScaledSgd => "Scaled BackProp",
            OptimizerKind::RawTwin => "Raw twin",
        }
    }

    /// Whether it reads R-BackProp's schedule `(gamma0, lambda)`: R-BackProp, and the controls
    /// momentum (its default coefficient is `p(t) = 1 - gamma^t`), scaled-sgd (steps by
    /// `eta (1 + p(t))`) and raw-twin (adds `p(t) g_prev`).
    pub fn reads_rbp_schedule(self) -> bool {
        matches!(
            self,
            OptimizerKind::Rbp
                | OptimizerKind::Momentum
                | OptimizerKind::ScaledSgd
                | OptimizerKind::RawTwin
        )
    }

    /// How many per-weight buffers its state holds (R-BackProp and raw-twin: `g_prev`; Adam:
    /// `m`, `v`; momentum: `v`).
    pub fn per_weight_buffers(self) -> usize {
        match self {
            OptimizerKind::Sgd | OptimizerKind::ScaledSgd => 0,
            OptimizerKind::Rbp | OptimizerKind::Momentum | OptimizerKind::RawTwin => 1,
            OptimizerKind::Adam => 2,
        }
    }
}

/// Which counter drives the learning-rate decay: the paper writes `eta0 beta^t` without saying
/// whether `t` counts updates or epochs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LrClock {
    /// `t` = number of updates so far.
    Iteration,
    /// `t` = epoch index.
    Epoch,
}

named_enum!(
    LrClock,
    "learning-rate clock",
    [(Iteration, "iteration"), (Epoch, "epoch")]
);

/// Which previous gradient R-BackProp adds (the paper does not say).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reinforce {
    /// `g_prev` is the gradient used at the previous update, so reinforced gradients keep
    /// accumulating while the coin keeps firing.
    Accumulated,
    /// `g_prev` is the previous raw mini-batch gradient.
    Raw,
    /// Noise control of the raw reading (not in the paper): with the same probability, add
    /// `s g_prev` with a fair random sign `s` per weight and step, drawn from a coin independent
    /// of the reinforcement coin; `g_prev` is the raw gradient, so each perturbation has exactly
    /// the raw reading's magnitude and no alignment with the descent direction.
    #[serde(rename = "random-sign")]
    RandomSign,
    /// Noise control of the accumulated reading (not in the paper): as [`Reinforce::RandomSign`],
    /// but the perturbation is `s A(t-1)`, where `A(t) = g(t) + c(t) A(t-1)` is the accumulated
    /// sum R-BackProp would carry over this run's gradients and reinforcement coin: the magnitude
    /// the accumulated reading adds, with a random sign.
    #[serde(rename = "random-sign-accumulated")]
    RandomSignAccumulated,
}

named_enum!(
    Reinforce,
    "previous-gradient reading",
    [
        (Accumulated, "accumulated"),
        (Raw, "raw"),
        (RandomSign, "random-sign"),
        (RandomSignAccumulated, "random-sign-accumulated")
    ]
);

impl Reinforce {
    /// The noise control matched to this reading: random-sign perturbations of the magnitude
    /// this reading adds (a noise control is its own control).
    pub fn noise_control(self) -> Reinforce {
        match self {
            Reinforce::Accumulated | Reinforce::RandomSignAccumulated => {
                Reinforce::RandomSignAccumulated
            }
            Reinforce::Raw | Reinforce::RandomSign => Reinforce::RandomSign,
        }
    }

    /// Whether this is a noise control (a random sign on the reinforcement).
    pub fn is_noise_control(self) -> bool {
        matches!(
            self,
            Reinforce::RandomSign | Reinforce::RandomSignAccumulated
        )
    }
}

/// `eta = max(eta0 * decay^n, eta_min)` with `n` read from the clock.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// Learning rate at `n = 0`.
    pub eta0: f64,
    /// Factor per tick of the clock.
    pub decay: f64,
    /// Floor.
    pub eta_min: f64,
    /// Which counter `n` is.
    pub clock: LrClock,
}

impl Schedule {
    /// The learning rate at `clock`.
    pub fn rate(&self, clock: Clock) -> f64 {
        let n = match self.clock {
            LrClock::Iteration => clock.t,
            LrClock::Epoch => clock.epoch,
        };
        (self.eta0 * self.decay.powf(n as f64)).max(self.eta_min)
    }
}

/// R-BackProp's reinforcement settings, Eq. (6).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RbpConfig {
    /// `gamma0` in `gamma = gamma0 exp(-lambda t_epoch)`.
    pub gamma0: f64,
    /// `lambda` in `gamma = gamma0 exp(-lambda t_epoch)`.
    pub lambda: f64,
    /// Which previous gradient is added.
    pub reinforce: Reinforce,
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

/// Adam's settings (Kingma & Ba defaults); its learning rate decays like BackProp's (same decay
/// factor and clock) from its own start and floor.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    /// Initial learning rate.
    pub lr0: f64,
    /// Learning-rate floor.
    pub lr_min: f64,
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Denominator guard.
    pub eps: f64,
}

/// Every hyper-parameter of a run, with the paper's values as defaults.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hyper {
    /// BackProp's and R-BackProp's initial learning rate `eta0`.
    pub lr0: f64,
    /// Learning-rate decay factor `beta` (all optimizers).
    pub lr_decay: f64,
    /// BackProp's and R-BackProp's learning-rate floor.
    pub lr_min: f64,
    /// What `t` counts in `eta0 beta^t` (all optimizers).
    pub lr_clock: LrClock,
    /// R-BackProp's reinforcement.
    pub rbp: RbpConfig,
    /// Adam.
    pub adam: AdamConfig,
    /// The `momentum` control's coefficient `mu`: a constant in `[0, 1)`, or `None` (the
    /// default) for R-BackProp's schedule `p(t) = 1 - gamma^t` from [`Hyper::rbp`].
    #[serde(default)]
    pub momentum: Option<f64>,
}

impl Default for Hyper {
    /// The paper's values: `eta = max(0.8 * 0.999^t, 0.02)`, `(gamma0, lambda) = (0.9995, 1e-4)`,
    /// Adam `eta = max(0.01 * 0.999^t, 0.001)` with Kingma & Ba's betas and epsilon. The readings
    /// the paper leaves open default to the accumulated `g_prev` and a per-update clock.
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
            momentum: None,
        }
    }
}

/// A hyper-parameter that makes no sense, named by its field path in [`Hyper`] (`lr0`,
/// `rbp.gamma0`, `adam.beta1`, ...).
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{parameter} = {value}: {why}")]
pub struct ConfigError {
    /// The field path of the parameter.
    pub parameter: &'static str,
    /// Its value, as given.
    pub value: String,
    /// What it must be.
    pub why: &'static str,
}

fn check(
    ok: bool,
    parameter: &'static str,
    value: f64,
    why: &'static str,
) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError {
            parameter,
            value: value.to_string(),
            why,
        })
    }
}

impl Hyper {
    /// BackProp's and R-BackProp's learning-rate schedule.
    pub fn sgd_schedule(&self) -> Schedule {
        Schedule {
            eta0: self.lr0,
            decay: self.lr_decay,
            eta_min: self.lr_min,
            clock: self.lr_clock,
        }
    }

    /// Adam's learning-rate schedule.
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
        // Rates and eps reach the f32 arithmetic: they must stay finite and nonzero there too.
        let positive =
            |x: f64| x.is_finite() && x > 0.0 && (x as f32).is_finite() && x as f32 > 0.0;
        let factor = |x: f64| x.is_finite() && x > 0.0 && x <= 1.0;
        let non_negative = |x: f64| x.is_finite() && x >= 0.0 && (x as f32).is_finite();
        let beta = |x: f64| x.is_finite() && (0.0..1.0).contains(&x);
        const RATE: &str =
            "must be a positive learning rate, finite and nonzero in f32 (at most 3.4e38)";
        const FACTOR: &str = "must lie in (0, 1]";
        const FLOOR: &str = "must be zero or positive, and at most 3.4e38 (f32)";
        const BETA: &str = "must lie in [0, 1)";
        let (r, a) = (&self.rbp, &self.adam);
        check(positive(self.lr0), "lr0", self.lr0, RATE)?;
        check(factor(self.lr_decay), "lr_decay", self.lr_decay, FACTOR)?;
        check(non_negative(self.lr_min), "lr_min", self.lr_min, FLOOR)?;
        check(factor(r.gamma0), "rbp.gamma0", r.gamma0, FACTOR)?;
        check(non_negative(r.lambda), "rbp.lambda", r.lambda, FLOOR)?;
        check(positive(a.lr0), "adam.lr0", a.lr0, RATE)?;
        check(non_negative(a.lr_min), "adam.lr_min", a.lr_min, FLOOR)?;
        check(beta(a.beta1), "adam.beta1", a.beta1, BETA)?;
        check(beta(a.beta2), "adam.beta2", a.beta2, BETA)?;
        check(
            positive(a.eps),
            "adam.eps",
            a.eps,
            "must be positive and finite, and nonzero in f32 (at least 1.4e-45)",
        )?;
        if let Some(mu) = self.momentum {
            check(beta(mu), "momentum", mu, BETA)?;
        }
        Ok(())
    }
}
