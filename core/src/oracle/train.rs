//! The f64 training loop: the protocol of `crate::train` (same shuffles, same batches, same
//! records), with the f64 network and optimizer.

use super::{Net, Optimizer};
use crate::data::{Examples, TrainTest};
use crate::memory::{self, AllocError};
use crate::net::Layout;
use crate::train::{EVAL_BATCH, EpochRecord, Recording, Schedule, argmax, gather_rows};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Examples widened to f64 once, row-major.
struct Wide<'a> {
    inputs: Vec<f64>,
    targets: Vec<f64>,
    examples: &'a Examples,
}

impl<'a> Wide<'a> {
    fn of(examples: &'a Examples) -> Wide<'a> {
        let widen = |a: &ndarray::Array2<f32>| a.iter().map(|&x| f64::from(x)).collect();
        Wide {
            inputs: widen(&examples.inputs),
            targets: widen(&examples.targets),
            examples,
        }
    }
}

/// Trains the f32 initial weights `params`, widened to f64, on `split.train` with `opt`, and
/// returns the records of epochs `0..=epochs` exactly as [`crate::train::train`] does for the
/// f32 path. Give it the f32 run's initial weights, batch-order generator and coin seed (in
/// `opt`) to get that run's f64 twin. `on_epoch` sees every record as it is made.
///
/// # Panics
/// If `params` does not have the layout's parameter count (as [`crate::train::Trainer::new`]).
pub fn train(
    layout: &Layout,
    params: &[f32],
    split: &TrainTest,
    mut opt: Optimizer,
    schedule: Schedule,
    mut order: ChaCha8Rng,
    on_epoch: &mut dyn FnMut(&EpochRecord),
) -> Result<Vec<EpochRecord>, AllocError> {
    assert_eq!(
        params.len(),
        layout.param_count(),
        "parameter buffer does not fit the layout"
    );
    let mut params: Vec<f64> = params.iter().map(|&w| f64::from(w)).collect();
    let mut grads = memory::zeroed::<f64>(params.len(), "the f64 gradients")?;
    let (train, test) = (Wide::of(&split.train), Wide::of(&split.test));
    let batch = schedule.batch.min(train.examples.len()).max(1);
    let mut net = Net::new(layout.clone(), batch.max(EVAL_BATCH))?;
    let n_out = layout.arch().output_width();
    let mut targets = memory::zeroed::<f64>(batch * n_out, "the f64 batch targets")?;
    let mut rows: Vec<usize> = (0..train.examples.len()).collect();

    let mut records = vec![record(&mut net, &params, 0, &train, &test)];
    on_epoch(&records[0]);
    for epoch in 1..=schedule.epochs {
        // The f32 path's order: each epoch shuffles the previous one with the same generator.
        rows.shuffle(&mut order);
        for chunk in rows.chunks(batch) {
            let b = chunk.len();
            gather_rows(
                &train.inputs,
                net.layout().arch().input_width(),
                chunk,
                net.input_mut(b),
            );
            gather_rows(&train.targets, n_out, chunk, &mut targets[..b * n_out]);
            net.forward(&params, b);
            net.backward(&params, &targets, b, &mut grads);
            opt.step(&mut params, &grads);
        }
        opt.finish_epoch();
        if epoch == schedule.epochs || schedule.record == Recording::EveryEpoch {
            records.push(record(&mut net, &params, epoch, &train, &test));
            on_epoch(records.last().expect("just pushed"));
        }
    }
    Ok(records)
}

fn record(net: &mut Net, params: &[f64], epoch: usize, train: &Wide, test: &Wide) -> EpochRecord {
    let (train_error, _) = evaluate(net, params, train);
    let (test_error, test_class_error) = evaluate(net, params, test);
    EpochRecord {
        epoch,
        train_error,
        test_error,
        test_class_error,
    }
}

/// Mean error `E` over `data`, and the classification error when it has labels.
fn evaluate(net: &mut Net, params: &[f64], data: &Wide) -> (f64, Option<f64>) {
    let (n_in, n_out) = (data.examples.input_width(), data.examples.output_width());
    let n = data.examples.len();
    let (mut loss, mut wrong) = (0.0f64, 0usize);
    for start in (0..n).step_by(EVAL_BATCH) {
        let b = EVAL_BATCH.min(n - start);
        net.input_mut(b)
            .copy_from_slice(&data.inputs[start * n_in..(start + b) * n_in]);
        net.forward(params, b);
        let y = net.output(b);
        loss += super::elementwise::quadratic_loss(
            y,
            &data.targets[start * n_out..(start + b) * n_out],
        );
        if let Some(labels) = &data.examples.labels {
            wrong += y
                .chunks_exact(n_out)
                .zip(&labels[start..start + b])
                .filter(|(out, label)| argmax(out) != **label as usize)
                .count();
        }
    }
    let count = n.max(1) as f64;
    (
        loss / count,
        data.examples.labels.as_ref().map(|_| wrong as f64 / count),
    )
}
