//! Examples as the trainer sees them, and the teacher-student toy task of the paper.
//!
//! Reading MNIST from files (and downloading it) is the lab's job; it hands the core plain
//! [`Examples`].

pub mod teacher;

use ndarray::Array2;

/// Examples as the trainer sees them: one row per example.
#[derive(Clone, Debug)]
pub struct Examples {
    /// `n x input_width`.
    pub inputs: Array2<f32>,
    /// `n x output_width`: what the sigmoid outputs should produce.
    pub targets: Array2<f32>,
    /// Class labels when the task is classification (then `targets` is their one-hot code).
    pub labels: Option<Vec<u8>>,
}

impl Examples {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.inputs.nrows()
    }
    /// True when there are no examples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Values per input.
    pub fn input_width(&self) -> usize {
        self.inputs.ncols()
    }
    /// Values per target.
    pub fn output_width(&self) -> usize {
        self.targets.ncols()
    }
}

/// A training set and a test set drawn for one run.
#[derive(Clone, Debug)]
pub struct TrainTest {
    /// What the network trains on.
    pub train: Examples,
    /// What it is scored on.
    pub test: Examples,
}
