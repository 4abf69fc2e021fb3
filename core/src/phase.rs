//! The phases of a training step, for timing them one by one.
//!
//! [`crate::net`] and [`crate::train::Trainer`] call [`PhaseClock::lap`] at the end of every
//! phase. Training passes [`NoClock`], whose empty `lap` compiles away, so the timed step and the
//! real one are the same code; a benchmark passes a clock that reads the time.

/// One phase of a training step; `layer` is the 0-based weight layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Copying the batch's input and target rows into the workspace.
    Gather,
    /// Eq. (2)'s product `v W^T` of a layer.
    ForwardProduct {
        /// Weight layer.
        layer: usize,
    },
    /// Eq. (2)'s sigmoid over a layer's product.
    Activation {
        /// Weight layer.
        layer: usize,
    },
    /// Eqs. (3), (4a): the output error and the batch loss.
    OutputError,
    /// Eq. (5)'s product `kappa^T v` of a layer.
    WeightGradient {
        /// Weight layer.
        layer: usize,
    },
    /// Eq. (4b)'s product `kappa W`: the error signal passed below a layer.
    BackpropProduct {
        /// Weight layer whose error signal is computed (the product uses the layer above's weights).
        layer: usize,
    },
    /// Eq. (4b)'s factor `v (1 - v)` over that error signal.
    ActivationDerivative {
        /// Weight layer whose error signal is computed.
        layer: usize,
    },
    /// The optimizer's update of a layer's weights (and the clock's tick after the last layer).
    Update {
        /// Weight layer.
        layer: usize,
    },
}

impl Phase {
    /// What the phase does, without its layer: `forward product`, `activation`, ...
    pub fn kind(self) -> &'static str {
        match self {
            Phase::Gather => "gather",
            Phase::ForwardProduct { .. } => "forward product",
            Phase::Activation { .. } => "activation",
            Phase::OutputError => "output error",
            Phase::WeightGradient { .. } => "weight-gradient product",
            Phase::BackpropProduct { .. } => "backprop product",
            Phase::ActivationDerivative { .. } => "activation derivative",
            Phase::Update { .. } => "update",
        }
    }

    /// The weight layer the phase works on, if it works on one.
    pub fn layer(self) -> Option<usize> {
        match self {
            Phase::Gather | Phase::OutputError => None,
            Phase::ForwardProduct { layer }
            | Phase::Activation { layer }
            | Phase::WeightGradient { layer }
            | Phase::BackpropProduct { layer }
            | Phase::ActivationDerivative { layer }
            | Phase::Update { layer } => Some(layer),
        }
    }
}

/// Told when each phase of a step ends.
pub trait PhaseClock {
    /// `finished` has just ended; the next phase starts now.
    fn lap(&mut self, finished: Phase);
}

/// The clock of real training: hears nothing, costs nothing.
pub struct NoClock;

impl PhaseClock for NoClock {
    #[inline(always)]
    fn lap(&mut self, _: Phase) {}
}
