//! The optimizers a study tunes, their search spaces, and the quasi-random trial points.
//!
//! Every searched parameter is sampled log-uniformly between its bounds: the learning rate
//! itself, and the distances to 1 of R-BackProp's `gamma0`, Adam's `beta1` and `beta2` and
//! momentum's `mu` (so `1 - gamma0 = 1e-4` and `1e-3` are as far apart as `1e-3` and `1e-2`),
//! plus `lambda` and Adam's `eps`. Trial `k` is point `k` of one Owen-scrambled Sobol sequence
//! (`sobol_burley`): the same point for every optimizer, task and run of the study, with the
//! learning rate always on dimension 0 and each further parameter on the dimension of its slot,
//! so the first `k` trials of a `K`-trial study are exactly a `k`-trial study.
//!
//! The learning-rate schedule's shape is held fixed, as the paper defines it: the decay factor
//! `0.999` per update (`Hyper::default`), and the floor at the paper's ratio to the start
//! (`0.02 / 0.8` for the BackProp family, `0.001 / 0.01` for Adam).

use rbp_core::optim::{Hyper, OptimizerKind, Reinforce};

/// An optimizer as the study tunes it: the kind, with R-BackProp's `g_prev` reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tuned {
    /// BackProp (plain SGD).
    Sgd,
    /// R-BackProp, `g_prev` the previous update's gradient (accumulated reading).
    Rbp,
    /// R-BackProp, `g_prev` the previous raw mini-batch gradient.
    RbpRaw,
    /// The noise control: R-BackProp's coin adding a random-sign `g_prev`.
    RbpRandomSign,
    /// Adam.
    Adam,
    /// Heavy-ball momentum with a constant, tuned `mu`.
    Momentum,
    /// BackProp with the step `eta (1 + p(t))` (R-BackProp's raw reading's expected update).
    ScaledSgd,
}

/// A searched (or held) parameter, by what is sampled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Param {
    /// The initial learning rate (Adam's own for Adam).
    Lr,
    /// `1 - gamma0` of R-BackProp's `gamma = gamma0 exp(-lambda t_epoch)`.
    OneMinusGamma0,
    /// `lambda`, per epoch.
    Lambda,
    /// `1 - beta1` of Adam.
    OneMinusBeta1,
    /// `1 - beta2` of Adam.
    OneMinusBeta2,
    /// Adam's `eps`.
    Eps,
    /// `1 - mu` of momentum.
    OneMinusMu,
}

impl Param {
    /// Every parameter, in the order of the CSV columns.
    pub const ALL: [Param; 7] = [
        Param::Lr,
        Param::OneMinusGamma0,
        Param::Lambda,
        Param::OneMinusBeta1,
        Param::OneMinusBeta2,
        Param::Eps,
        Param::OneMinusMu,
    ];

    /// Its key in a spec's `[space.OPTIMIZER]` table and its CSV column.
    pub fn key(self) -> &'static str {
        match self {
            Param::Lr => "lr",
            Param::OneMinusGamma0 => "one_minus_gamma0",
            Param::Lambda => "lambda",
            Param::OneMinusBeta1 => "one_minus_beta1",
            Param::OneMinusBeta2 => "one_minus_beta2",
            Param::Eps => "eps",
            Param::OneMinusMu => "one_minus_mu",
        }
    }

    /// Whether the value must stay at most 1 (a distance to 1 of a factor in `[0, 1)`).
    pub fn at_most_one(self) -> bool {
        matches!(
            self,
            Param::OneMinusGamma0 | Param::OneMinusBeta1 | Param::OneMinusBeta2 | Param::OneMinusMu
        )
    }
}

/// The width of every shipped learning-rate range, in decades: two on each side of the paper's
/// hand-picked rate.
pub const LR_DECADES: f64 = 4.0;

impl Tuned {
    /// Every optimizer a study can tune, in report order.
    pub const ALL: [Tuned; 7] = [
        Tuned::Sgd,
        Tuned::Rbp,
        Tuned::RbpRaw,
        Tuned::RbpRandomSign,
        Tuned::Adam,
        Tuned::Momentum,
        Tuned::ScaledSgd,
    ];

    /// The optimizers of the default study: BackProp, R-BackProp in both readings of `g_prev`,
    /// Adam and momentum.
    pub const DEFAULT: [Tuned; 5] = [
        Tuned::Sgd,
        Tuned::Rbp,
        Tuned::RbpRaw,
        Tuned::Adam,
        Tuned::Momentum,
    ];

    /// Its name in a spec and in the report.
    pub fn name(self) -> &'static str {
        match self {
            Tuned::Sgd => "sgd",
            Tuned::Rbp => "rbp",
            Tuned::RbpRaw => "rbp-raw",
            Tuned::RbpRandomSign => "rbp-random-sign",
            Tuned::Adam => "adam",
            Tuned::Momentum => "momentum",
            Tuned::ScaledSgd => "scaled-sgd",
        }
    }

    /// A readable name: `R-BackProp (raw g_prev)`.
    pub fn long_name(self) -> &'static str {
        match self {
            Tuned::Sgd => "BackProp",
            Tuned::Rbp => "R-BackProp (accumulated g_prev)",
            Tuned::RbpRaw => "R-BackProp (raw g_prev)",
            Tuned::RbpRandomSign => "noise control (random-sign g_prev)",
            Tuned::Adam => "Adam",
            Tuned::Momentum => "Momentum (constant mu)",
            Tuned::ScaledSgd => "Scaled BackProp",
        }
    }

    /// The optimizer named `name`, or an error listing the names.
    pub fn parse(name: &str) -> Result<Tuned, String> {
        Tuned::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Tuned::ALL.iter().map(|t| t.name()).collect();
                format!(
                    "unknown optimizer `{name}`; expected one of {}",
                    names.join(", ")
                )
            })
    }

    /// The optimizer trained.
    pub fn kind(self) -> OptimizerKind {
        match self {
            Tuned::Sgd => OptimizerKind::Sgd,
            Tuned::Rbp | Tuned::RbpRaw | Tuned::RbpRandomSign => OptimizerKind::Rbp,
            Tuned::Adam => OptimizerKind::Adam,
            Tuned::Momentum => OptimizerKind::Momentum,
            Tuned::ScaledSgd => OptimizerKind::ScaledSgd,
        }
    }

    /// Whether it is R-BackProp (either reading).
    pub fn is_rbp(self) -> bool {
        matches!(self, Tuned::Rbp | Tuned::RbpRaw)
    }

    /// Its parameters, in slot order: slot `i` is Sobol dimension `i`.
    pub fn params(self) -> &'static [Param] {
        match self {
            Tuned::Sgd => &[Param::Lr],
            Tuned::Rbp | Tuned::RbpRaw | Tuned::RbpRandomSign | Tuned::ScaledSgd => {
                &[Param::Lr, Param::OneMinusGamma0, Param::Lambda]
            }
            Tuned::Adam => &[
                Param::Lr,
                Param::OneMinusBeta1,
                Param::OneMinusBeta2,
                Param::Eps,
            ],
            Tuned::Momentum => &[Param::Lr, Param::OneMinusMu],
        }
    }

    /// The shipped range of `param`: learning rates [`LR_DECADES`] wide around the paper's;
    /// `1 - gamma0` from 1e-5 to 0.1 (the paper: 5e-4), `lambda` from 1e-6 to 0.1 (the paper:
    /// 1e-4); Adam's `1 - beta1` from 0.01 to 1 (`beta1` in `[0, 0.99]`), `1 - beta2` from 1e-4 to
    /// 0.1, `eps` from 1e-10 to 0.01; momentum's `1 - mu` from 0.01 to 1.
    pub fn default_range(self, param: Param) -> Range {
        let paper = Hyper::default();
        let half = 10f64.powf(LR_DECADES / 2.0);
        let (lo, hi) = match param {
            Param::Lr if self == Tuned::Adam => (paper.adam.lr0 / half, paper.adam.lr0 * half),
            Param::Lr => (paper.lr0 / half, paper.lr0 * half),
            Param::OneMinusGamma0 => (1e-5, 1e-1),
            Param::Lambda => (1e-6, 1e-1),
            Param::OneMinusBeta1 | Param::OneMinusMu => (1e-2, 1.0),
            Param::OneMinusBeta2 => (1e-4, 1e-1),
            Param::Eps => (1e-10, 1e-2),
        };
        Range { lo, hi }
    }
}

/// Bounds sampled log-uniformly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    /// Lower bound, positive.
    pub lo: f64,
    /// Upper bound, above `lo`.
    pub hi: f64,
}

impl Range {
    /// The point at `u` in `[0, 1)`: `lo (hi / lo)^u`.
    pub fn at(&self, u: f64) -> f64 {
        (self.lo.ln() + u * (self.hi.ln() - self.lo.ln())).exp()
    }

    /// Its width in decades.
    pub fn decades(&self) -> f64 {
        (self.hi / self.lo).log10()
    }
}

/// How one parameter is set in a study: searched over a range, or held at a value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Dim {
    /// Sampled log-uniformly.
    Searched(Range),
    /// Held at this value.
    Fixed(f64),
}

/// One optimizer's search space: each of its parameters, in slot order.
#[derive(Clone, Debug, PartialEq)]
pub struct Space {
    /// The optimizer.
    pub tuned: Tuned,
    /// `(parameter, how it is set)`, in [`Tuned::params`] order.
    pub dims: Vec<(Param, Dim)>,
}

impl Space {
    /// The shipped space of `tuned`: every parameter searched over its default range.
    pub fn default_for(tuned: Tuned) -> Space {
        let dims = tuned
            .params()
            .iter()
            .map(|&p| (p, Dim::Searched(tuned.default_range(p))))
            .collect();
        Space { tuned, dims }
    }

    /// The learning-rate range, when searched.
    pub fn lr_range(&self) -> Option<Range> {
        match self.dims[0] {
            (Param::Lr, Dim::Searched(r)) => Some(r),
            _ => None,
        }
    }

    /// The parameter values of trial `point` (a point of [`unit_point`]), in slot order.
    pub fn values(&self, point: &[f64]) -> Vec<(Param, f64)> {
        self.dims
            .iter()
            .enumerate()
            .map(|(slot, &(p, dim))| {
                let v = match dim {
                    Dim::Searched(r) => r.at(point[slot]),
                    Dim::Fixed(v) => v,
                };
                (p, v)
            })
            .collect()
    }

    /// The hyper-parameters of a trial with these `values`: the paper's, with the reading of
    /// `g_prev`, the learning rate (and its floor, at the paper's ratio) and the searched values.
    pub fn hyper(&self, values: &[(Param, f64)]) -> Hyper {
        let mut h = Hyper::default();
        h.rbp.reinforce = match self.tuned {
            Tuned::RbpRaw => Reinforce::Raw,
            Tuned::RbpRandomSign => Reinforce::RandomSign,
            _ => Reinforce::Accumulated,
        };
        for &(p, v) in values {
            match p {
                Param::Lr if self.tuned == Tuned::Adam => {
                    h.adam.lr_min *= v / h.adam.lr0;
                    h.adam.lr0 = v;
                }
                Param::Lr => {
                    h.lr_min *= v / h.lr0;
                    h.lr0 = v;
                }
                Param::OneMinusGamma0 => h.rbp.gamma0 = 1.0 - v,
                Param::Lambda => h.rbp.lambda = v,
                Param::OneMinusBeta1 => h.adam.beta1 = 1.0 - v,
                Param::OneMinusBeta2 => h.adam.beta2 = 1.0 - v,
                Param::Eps => h.adam.eps = v,
                Param::OneMinusMu => h.momentum = Some(1.0 - v),
            }
        }
        h
    }
}

/// The most Sobol dimensions any optimizer uses (Adam's four).
pub const DIMENSIONS: usize = 4;

/// The most trials a study may have: `sobol_burley` gives `2^16` points per sequence.
pub const MAX_TRIALS: usize = 1 << 16;

/// Trial `index`'s point in `[0, 1)^DIMENSIONS`: point `index` of the Owen-scrambled Sobol
/// sequence of `seed`. The same for every optimizer (each reads its first slots).
pub fn unit_point(index: usize, seed: u32) -> [f64; DIMENSIONS] {
    assert!(index < MAX_TRIALS, "trial index checked by the spec");
    let mut point = [0.0; DIMENSIONS];
    for (d, u) in point.iter_mut().enumerate() {
        *u = f64::from(sobol_burley::sample(index as u32, d as u32, seed));
    }
    point
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_deterministic_inside_the_unit_cube_and_stratified() {
        let a: Vec<_> = (0..64).map(|i| unit_point(i, 3)).collect();
        let b: Vec<_> = (0..64).map(|i| unit_point(i, 3)).collect();
        assert_eq!(a, b);
        assert_ne!(a, (0..64).map(|i| unit_point(i, 4)).collect::<Vec<_>>());
        for d in 0..DIMENSIONS {
            // A Sobol sequence puts exactly one of its first 2^m points in each of the 2^m
            // equal intervals of every dimension (Owen scrambling keeps that).
            let mut seen = [false; 64];
            for p in &a {
                assert!((0.0..1.0).contains(&p[d]), "{p:?}");
                seen[(p[d] * 64.0) as usize] = true;
            }
            assert!(seen.iter().all(|&s| s), "dimension {d}");
        }
    }

    #[test]
    fn trial_values_stay_inside_the_declared_space() {
        for tuned in Tuned::ALL {
            let space = Space::default_for(tuned);
            for i in 0..256 {
                let values = space.values(&unit_point(i, 0));
                for &(p, v) in &values {
                    let r = tuned.default_range(p);
                    assert!(r.lo <= v && v <= r.hi, "{tuned:?} {p:?} = {v}");
                }
                space.hyper(&values).validate().unwrap();
            }
        }
    }

    #[test]
    fn every_learning_rate_range_is_as_wide_and_centred_on_the_paper() {
        for tuned in Tuned::ALL {
            let r = tuned.default_range(Param::Lr);
            assert!((r.decades() - LR_DECADES).abs() < 1e-12);
        }
        let sgd = Tuned::Sgd.default_range(Param::Lr);
        assert!(((sgd.lo * sgd.hi).sqrt() - 0.8).abs() < 1e-12);
    }

    #[test]
    fn a_trial_sets_the_rate_its_floor_and_the_reading() {
        let space = Space::default_for(Tuned::RbpRaw);
        let h = space.hyper(&[
            (Param::Lr, 0.2),
            (Param::OneMinusGamma0, 1e-3),
            (Param::Lambda, 1e-5),
        ]);
        assert_eq!(h.lr0, 0.2);
        assert!((h.lr_min - 0.2 * 0.02 / 0.8).abs() < 1e-15);
        assert!((h.rbp.gamma0 - 0.999).abs() < 1e-15);
        assert_eq!(h.rbp.reinforce, Reinforce::Raw);
        let adam = Space::default_for(Tuned::Adam).hyper(&[(Param::Lr, 0.1)]);
        assert_eq!(adam.lr0, Hyper::default().lr0);
        assert!((adam.adam.lr_min - 0.01).abs() < 1e-15);
        let momentum = Space::default_for(Tuned::Momentum).hyper(&[(Param::OneMinusMu, 0.1)]);
        assert_eq!(momentum.momentum, Some(0.9));
    }
}
