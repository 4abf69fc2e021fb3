//! The memory one training run holds, estimated before it starts, so the lab can refuse a command
//! that cannot fit (with [`crate::memory::check_fits`]) instead of failing part way.

use super::EVAL_BATCH;
use crate::net::Arch;
use crate::optim::OptimizerKind;

/// The memory one training run holds while it trains: parameters, gradients, optimizer state and
/// the work buffers of the training and evaluation batches. Data sets are counted by the caller,
/// which knows whether runs share them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunFootprint {
    /// Parameters plus their gradient.
    pub weights: u128,
    /// Per-weight optimizer state.
    pub optimizer: u128,
    /// Activations and error signals of the training and evaluation batches.
    pub workspaces: u128,
}

impl RunFootprint {
    /// The footprint of a run of `arch` with optimizer `kind` and mini-batch `batch`.
    pub fn new(arch: &Arch, kind: OptimizerKind, batch: usize) -> RunFootprint {
        let f32_bytes = size_of::<f32>() as u128;
        // Counted in u128: the point is to refuse sizes whose byte counts overflow a usize.
        let params = arch.weight_count();
        let per_weight_state = kind.per_weight_buffers() as u128;
        let widths: u128 = arch.widths().iter().map(|&w| w as u128).sum();
        let rows = (batch + EVAL_BATCH) as u128;
        RunFootprint {
            weights: 2 * params * f32_bytes,
            optimizer: per_weight_state * params * f32_bytes,
            // Activations and error signals, each batch x width per layer.
            workspaces: 2 * widths * rows * f32_bytes,
        }
    }

    /// All of it.
    pub fn total(&self) -> u128 {
        self.weights + self.optimizer + self.workspaces
    }
}
