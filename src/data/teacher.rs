//! The teacher-student toy task of the paper (Sec. II).
//!
//! A fixed random teacher `W_g` (output width x input width, entries N(0, 1)) labels Gaussian inputs
//! `v ~ N(0, I)` with `y* = sigmoid(W_g v)`. `2M` examples are drawn: the first `M` train, the last
//! `M` test.

use super::{Examples, TrainTest};
use crate::seed::{self, Stream};
use ndarray::Array2;
use rand::RngExt;
use rand_distr::StandardNormal;

/// Draws the teacher and `2 * train_size` labelled examples for run seed `seed`.
pub fn teacher_student(
    input_width: usize,
    output_width: usize,
    train_size: usize,
    seed: u64,
) -> TrainTest {
    let mut rng = seed::rng(seed, Stream::Data);
    let teacher = Array2::<f32>::from_shape_simple_fn((output_width, input_width), || {
        rng.sample(StandardNormal)
    });
    let mut draw = |n: usize| {
        let inputs =
            Array2::<f32>::from_shape_simple_fn((n, input_width), || rng.sample(StandardNormal));
        let mut targets = inputs.dot(&teacher.t());
        targets.mapv_inplace(|h| 1.0 / (1.0 + (-h).exp()));
        Examples {
            inputs,
            targets,
            labels: None,
        }
    };
    let train = draw(train_size);
    let test = draw(train_size);
    TrainTest { train, test }
}
