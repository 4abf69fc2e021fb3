//! Data sets: the teacher-student toy task, and MNIST / Fashion-MNIST (IDX parsing, locating
//! and downloading files).

pub mod download;
pub mod idx;
pub mod mnist;
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
    pub fn len(&self) -> usize {
        self.inputs.nrows()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn input_width(&self) -> usize {
        self.inputs.ncols()
    }
    pub fn output_width(&self) -> usize {
        self.targets.ncols()
    }
}

/// A training set and a test set drawn for one run.
#[derive(Clone, Debug)]
pub struct TrainTest {
    pub train: Examples,
    pub test: Examples,
}
