//! The teacher-student toy task of the paper (Sec. II).
//!
//! A fixed random teacher `W_g` (output width x input width, entries N(0, 1)) labels Gaussian inputs
//! `v ~ N(0, I)` with `y* = sigmoid(W_g v)`. `2M` examples are drawn: the first `M` train, the last
//! `M` test; a run scored on validation draws `M` more after them.

use super::{Examples, TrainTest};
use crate::memory::{self, AllocError};
use crate::seed::{self, Stream};
use ndarray::Array2;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Draws the teacher and `2 * train_size` labelled examples for run seed `seed`.
pub fn teacher_student(
    input_width: usize,
    output_width: usize,
    train_size: usize,
    seed: u64,
) -> Result<TrainTest, AllocError> {
    let [train, test] = blocks(input_width, output_width, train_size, seed)?;
    Ok(TrainTest { train, test })
}

/// [`teacher_student`]'s training examples, scored on a validation block instead of the test
/// block: `train_size` more examples from the same teacher, drawn after the test block, so the
/// training examples are those of [`teacher_student`] and the validation examples are disjoint
/// from both of its blocks.
pub fn teacher_student_validation(
    input_width: usize,
    output_width: usize,
    train_size: usize,
    seed: u64,
) -> Result<TrainTest, AllocError> {
    let [train, _test, validation] = blocks(input_width, output_width, train_size, seed)?;
    Ok(TrainTest {
        train,
        test: validation,
    })
}

/// The teacher of run `seed` and `N` blocks of `block` examples it labels, drawn in order from
/// one stream (so the first blocks do not depend on how many follow).
fn blocks<const N: usize>(
    input_width: usize,
    output_width: usize,
    block: usize,
    seed: u64,
) -> Result<[Examples; N], AllocError> {
    let mut rng = seed::rng(seed, Stream::Data);
    let teacher = gaussian(&mut rng, output_width, input_width, "the teacher's weights")?;
    let mut drawn = Vec::with_capacity(N);
    for _ in 0..N {
        let inputs = gaussian(&mut rng, block, input_width, "the toy inputs")?;
        let mut targets = inputs.dot(&teacher.t());
        targets.mapv_inplace(|h| 1.0 / (1.0 + (-h).exp()));
        drawn.push(Examples {
            inputs,
            targets,
            labels: None,
        });
    }
    match drawn.try_into() {
        Ok(blocks) => Ok(blocks),
        Err(_) => unreachable!("exactly N blocks were drawn"),
    }
}

/// A `rows x cols` matrix of N(0, 1) draws, filled row by row.
fn gaussian(
    rng: &mut ChaCha8Rng,
    rows: usize,
    cols: usize,
    what: &'static str,
) -> Result<Array2<f32>, AllocError> {
    let too_big = AllocError {
        what,
        bytes: rows as u128 * cols as u128 * 4,
    };
    let n = rows.checked_mul(cols).ok_or(too_big.clone())?;
    let mut values = memory::zeroed::<f32>(n, what)?;
    for v in &mut values {
        *v = rng.sample(StandardNormal);
    }
    Array2::from_shape_vec((rows, cols), values).map_err(|_| too_big)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_examples_come_from_the_same_teacher_after_train_and_test() {
        let (input, output, m, seed) = (6, 3, 8, 11);
        let plain = teacher_student(input, output, m, seed).unwrap();
        let scored = teacher_student_validation(input, output, m, seed).unwrap();
        assert_eq!(scored.train.inputs, plain.train.inputs);
        assert_eq!(scored.train.targets, plain.train.targets);
        assert_ne!(scored.test.inputs, plain.test.inputs);
        assert_ne!(scored.test.inputs, plain.train.inputs);
        // The validation targets are the same teacher's: recompute them from its weights.
        let mut rng = seed::rng(seed, Stream::Data);
        let teacher = gaussian(&mut rng, output, input, "teacher").unwrap();
        let mut targets = scored.test.inputs.dot(&teacher.t());
        targets.mapv_inplace(|h| 1.0 / (1.0 + (-h).exp()));
        assert_eq!(targets, scored.test.targets);
        assert_eq!(scored.test.inputs.nrows(), m);
    }
}
