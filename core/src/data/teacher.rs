//! The teacher-student toy task of the paper (Sec. II).
//!
//! A fixed random teacher `W_g` (output width x input width, entries N(0, 1)) labels Gaussian inputs
//! `v ~ N(0, I)` with `y* = sigmoid(W_g v)`. `2M` examples are drawn: the first `M` train, the last
//! `M` test.

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
    let mut rng = seed::rng(seed, Stream::Data);
    let teacher = gaussian(&mut rng, output_width, input_width, "the teacher's weights")?;
    let mut draw = |n: usize| -> Result<Examples, AllocError> {
        let inputs = gaussian(&mut rng, n, input_width, "the toy inputs")?;
        let mut targets = inputs.dot(&teacher.t());
        targets.mapv_inplace(|h| 1.0 / (1.0 + (-h).exp()));
        Ok(Examples {
            inputs,
            targets,
            labels: None,
        })
    };
    let train = draw(train_size)?;
    let test = draw(train_size)?;
    Ok(TrainTest { train, test })
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
