//! The control optimizers (momentum, the raw twin, scaled SGD, R-BackProp with a random-sign
//! reinforcement of the raw or the accumulated previous gradient):
//! their reductions to BackProp, their expected-update relations to R-BackProp, their state sizes,
//! and checkpoints that resume them bit for bit.

use rbp_core::checkpoint::{self, Checkpoint, Progress, SavedRun};
use rbp_core::data::teacher;
use rbp_core::init::{self, Init};
use rbp_core::net::{Arch, Layout};
use rbp_core::optim::{Clock, Hyper, Optimizer, OptimizerKind, RbpConfig, Reinforce};
use rbp_core::seed::{self, Stream};
use rbp_core::train::{self, EpochRecord, Recording, Run, Schedule};

const SEED: u64 = 7;

fn arch() -> Arch {
    "20-30-10-4".parse().unwrap()
}

fn schedule(epochs: usize) -> Schedule {
    Schedule {
        batch: 10,
        epochs,
        record: Recording::EveryEpoch,
    }
}

/// Records of a short training run of `kind`, paired by seed with every other kind as the lab
/// pairs them (same data, init, batch order; coin from `Stream::Coin`).
fn train_run(kind: OptimizerKind, hyper: &Hyper) -> Vec<EpochRecord> {
    let arch = arch();
    let layout = Layout::new(arch.clone()).unwrap();
    let split =
        teacher::teacher_student(arch.input_width(), arch.output_width(), 100, SEED).unwrap();
    let params = init::initial_params(&layout, Init::Lecun, SEED).unwrap();
    let coin = seed::stream_seed(SEED, Stream::Coin);
    let opt = Optimizer::new(kind, hyper, layout.param_count(), coin).unwrap();
    let order = seed::rng(SEED, Stream::Order);
    train::train(
        &layout,
        params,
        &split,
        opt,
        schedule(5),
        order,
        &mut |_| {},
    )
    .unwrap()
}

fn assert_same_records(what: &str, a: &[EpochRecord], b: &[EpochRecord]) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (x, y) in a.iter().zip(b) {
        assert_eq!(
            x.train_error.to_bits(),
            y.train_error.to_bits(),
            "{what}: epoch {}",
            x.epoch
        );
        assert_eq!(
            x.test_error.to_bits(),
            y.test_error.to_bits(),
            "{what}: epoch {}",
            x.epoch
        );
    }
}

/// Nonzero pseudo-gradients that change with the step.
fn gradient(n: usize, t: u64) -> Vec<f32> {
    (0..n)
        .map(|i| ((i as u64 * 31 + t * 7) % 17) as f32 / 17.0 - 0.47)
        .collect()
}

/// `p(t) = 0` at every step: `gamma = 1`.
fn never_reinforced() -> Hyper {
    let mut h = Hyper::default();
    h.rbp = RbpConfig {
        gamma0: 1.0,
        lambda: 0.0,
        ..h.rbp
    };
    h
}

/// Steps `kind` and BackProp through the same 30 steps and returns both weight vectors.
fn step_beside_sgd(kind: OptimizerKind, hyper: &Hyper) -> (Vec<f32>, Vec<f32>) {
    let n = 1000;
    let mut sgd = Optimizer::new(OptimizerKind::Sgd, hyper, n, 1).unwrap();
    let mut other = Optimizer::new(kind, hyper, n, 1).unwrap();
    let (mut w_sgd, mut w) = (vec![0.5f32; n], vec![0.5f32; n]);
    for t in 0..30u64 {
        let g = gradient(n, t);
        let clock = Clock { t, epoch: t / 4 };
        sgd.set_clock(clock);
        other.set_clock(clock);
        sgd.step(&mut w_sgd, &g);
        other.step(&mut w, &g);
    }
    (w_sgd, w)
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn momentum_with_mu_zero_is_backprop_bit_for_bit() {
    // Through the schedule (p(t) = 0 when gamma = 1) and through a constant mu = 0.
    let constant = Hyper {
        momentum: Some(0.0),
        ..Hyper::default()
    };
    for hyper in [never_reinforced(), constant] {
        let (w_sgd, w) = step_beside_sgd(OptimizerKind::Momentum, &hyper);
        assert_eq!(bits(&w), bits(&w_sgd), "{hyper:?}");
        let sgd = train_run(OptimizerKind::Sgd, &hyper);
        let momentum = train_run(OptimizerKind::Momentum, &hyper);
        assert_same_records("momentum mu = 0", &momentum, &sgd);
    }
}

#[test]
fn scaled_sgd_with_p_zero_is_backprop_bit_for_bit() {
    let hyper = never_reinforced();
    let (w_sgd, w) = step_beside_sgd(OptimizerKind::ScaledSgd, &hyper);
    assert_eq!(bits(&w), bits(&w_sgd));
    let sgd = train_run(OptimizerKind::Sgd, &hyper);
    let scaled = train_run(OptimizerKind::ScaledSgd, &hyper);
    assert_same_records("scaled-sgd p = 0", &scaled, &sgd);
}

#[test]
fn random_sign_with_p_zero_is_backprop_bit_for_bit() {
    let mut hyper = never_reinforced();
    hyper.rbp.reinforce = Reinforce::RandomSign;
    let (w_sgd, w) = step_beside_sgd(OptimizerKind::Rbp, &hyper);
    assert_eq!(bits(&w), bits(&w_sgd));
    assert_same_records(
        "random-sign p = 0",
        &train_run(OptimizerKind::Rbp, &hyper),
        &train_run(OptimizerKind::Sgd, &hyper),
    );
}

#[test]
fn the_controls_differ_from_backprop_when_p_is_positive() {
    // The reductions above are not vacuous: with the paper's schedule every control moves the
    // weights differently from BackProp, and the random-sign control differs from R-BackProp.
    let hyper = Hyper::default();
    for kind in [
        OptimizerKind::Momentum,
        OptimizerKind::ScaledSgd,
        OptimizerKind::RawTwin,
    ] {
        let (w_sgd, w) = step_beside_sgd(kind, &hyper);
        assert_ne!(bits(&w), bits(&w_sgd), "{kind}");
    }
    let noise = Hyper {
        rbp: RbpConfig {
            reinforce: Reinforce::RandomSign,
            ..hyper.rbp
        },
        ..hyper
    };
    let (w_sgd, w_noise) = step_beside_sgd(OptimizerKind::Rbp, &noise);
    assert_ne!(bits(&w_noise), bits(&w_sgd));
    let raw = Hyper {
        rbp: RbpConfig {
            reinforce: Reinforce::Raw,
            ..hyper.rbp
        },
        ..hyper
    };
    let (_, w_raw) = step_beside_sgd(OptimizerKind::Rbp, &raw);
    assert_ne!(bits(&w_noise), bits(&w_raw));
}

#[test]
fn momentum_schedule_and_scaled_rate_follow_p_of_t() {
    let hyper = Hyper::default();
    let clock = Clock { t: 1500, epoch: 3 };
    let p = hyper.rbp.probability(clock);
    assert!(p > 0.3 && p < 1.0, "p = {p}");
    let mut m = Optimizer::new(OptimizerKind::Momentum, &hyper, 4, 0).unwrap();
    m.set_clock(clock);
    assert_eq!(m.momentum(), Some(p));
    let fixed = Hyper {
        momentum: Some(0.9),
        ..hyper
    };
    let mut m = Optimizer::new(OptimizerKind::Momentum, &fixed, 4, 0).unwrap();
    m.set_clock(clock);
    assert_eq!(m.momentum(), Some(0.9));
    let mut s = Optimizer::new(OptimizerKind::ScaledSgd, &hyper, 4, 0).unwrap();
    s.set_clock(clock);
    let eta = hyper.sgd_schedule().rate(clock);
    assert_eq!(s.learning_rate(), eta * (1.0 + p));
}

#[test]
fn momentum_is_the_mean_of_accumulated_rbp_over_coins() {
    // E over the coins of accumulated R-BackProp's weights = heavy ball with mu = p(t), for the
    // same gradient sequence (linear in the coins, so the mean over many coin seeds converges).
    // 4000 coin seeds; each weight's deviation is a mean of 4000 i.i.d. terms, whose standard
    // error is measured from the sample and bounds the allowed gap (5 standard errors + f32
    // rounding of ~1e-5 relative).
    let hyper = Hyper::default();
    let (n, steps, seeds) = (8usize, 12u64, 4000u64);
    let clock = |t: u64| Clock {
        t: t + 1000,
        epoch: 0,
    };
    let grads: Vec<Vec<f32>> = (0..steps).map(|t| gradient(n, t)).collect();
    let mut heavy = Optimizer::new(OptimizerKind::Momentum, &hyper, n, 0).unwrap();
    let mut w_heavy = vec![0.0f32; n];
    for (t, g) in grads.iter().enumerate() {
        heavy.set_clock(clock(t as u64));
        heavy.step(&mut w_heavy, g);
    }
    let (mut sum, mut sum_sq) = (vec![0.0f64; n], vec![0.0f64; n]);
    for s in 0..seeds {
        let mut rbp = Optimizer::new(OptimizerKind::Rbp, &hyper, n, s).unwrap();
        let mut w = vec![0.0f32; n];
        for (t, g) in grads.iter().enumerate() {
            rbp.set_clock(clock(t as u64));
            rbp.step(&mut w, g);
        }
        for i in 0..n {
            sum[i] += f64::from(w[i]);
            sum_sq[i] += f64::from(w[i]).powi(2);
        }
    }
    for i in 0..n {
        let mean = sum[i] / seeds as f64;
        let var = (sum_sq[i] / seeds as f64 - mean * mean).max(0.0);
        let se = (var / seeds as f64).sqrt();
        let gap = (mean - f64::from(w_heavy[i])).abs();
        assert!(
            gap < 5.0 * se + 1e-5 * mean.abs().max(1.0),
            "weight {i}: mean over coins {mean}, heavy ball {}, se {se}",
            w_heavy[i]
        );
    }
}

#[test]
fn state_sizes_of_the_controls() {
    let n = 1234;
    let h = Hyper::default();
    let bytes = |kind, hyper: &Hyper| Optimizer::new(kind, hyper, n, 0).unwrap().state_bytes();
    assert_eq!(bytes(OptimizerKind::Momentum, &h), 4 * n);
    assert_eq!(bytes(OptimizerKind::ScaledSgd, &h), 0);
    let noise = Hyper {
        rbp: RbpConfig {
            reinforce: Reinforce::RandomSign,
            ..h.rbp
        },
        ..h
    };
    assert_eq!(bytes(OptimizerKind::Rbp, &noise), 4 * n + 8);
    for kind in OptimizerKind::ALL {
        let opt = Optimizer::new(kind, &h, n, 0).unwrap();
        assert_eq!(
            opt.state().buffers.len(),
            kind.per_weight_buffers(),
            "{kind}"
        );
    }
}

#[test]
fn checkpoints_resume_the_controls_bit_for_bit() {
    // Two epochs, a checkpoint encoded and decoded, three more epochs: the records equal an
    // uninterrupted five-epoch run, for every control and every optimizer.
    let arch = arch();
    let layout = Layout::new(arch.clone()).unwrap();
    let split =
        teacher::teacher_student(arch.input_width(), arch.output_width(), 100, SEED).unwrap();
    let noise = Hyper {
        rbp: RbpConfig {
            reinforce: Reinforce::RandomSign,
            ..Hyper::default().rbp
        },
        ..Hyper::default()
    };
    let fixed = Hyper {
        momentum: Some(0.9),
        ..Hyper::default()
    };
    let mut cases: Vec<(OptimizerKind, Hyper)> = OptimizerKind::ALL
        .iter()
        .map(|&k| (k, Hyper::default()))
        .collect();
    let noise_accumulated = Hyper {
        rbp: RbpConfig {
            reinforce: Reinforce::RandomSignAccumulated,
            ..Hyper::default().rbp
        },
        ..Hyper::default()
    };
    cases.push((OptimizerKind::Rbp, noise));
    cases.push((OptimizerKind::Rbp, noise_accumulated));
    cases.push((OptimizerKind::Momentum, fixed));
    for (kind, hyper) in cases {
        let start = || {
            let params = init::initial_params(&layout, Init::Lecun, SEED).unwrap();
            let coin = seed::stream_seed(SEED, Stream::Coin);
            let opt = Optimizer::new(kind, &hyper, layout.param_count(), coin).unwrap();
            let order = seed::rng(SEED, Stream::Order);
            Run::start(&layout, params, &split, opt, schedule(5), order).unwrap()
        };
        let mut whole = start();
        while !whole.is_finished() {
            whole.train_epoch();
        }
        let mut first = start();
        first.train_epoch();
        first.train_epoch();
        let saved = Checkpoint {
            settings: format!("{kind} {hyper:?}"),
            runs: vec![SavedRun {
                label: kind.to_string(),
                progress: Progress::InProgress {
                    arch: arch.clone(),
                    state: Box::new(first.snapshot()),
                },
            }],
        };
        let decoded = checkpoint::decode(&checkpoint::encode(&saved)).unwrap();
        assert_eq!(decoded, saved, "{kind}: checkpoint round trip");
        let Progress::InProgress { state, .. } = decoded.runs[0].progress.clone() else {
            panic!("{kind}: the run was saved in progress");
        };
        assert_eq!(state.optimizer.kind, kind);
        let mut resumed = Run::resume(&layout, &split, &hyper, *state).unwrap();
        while !resumed.is_finished() {
            resumed.train_epoch();
        }
        assert_same_records(
            &format!("{kind} resumed"),
            resumed.records(),
            whole.records(),
        );
    }
}

/// `hyper` with R-BackProp's reading `reinforce`.
fn reading(reinforce: Reinforce) -> Hyper {
    let h = Hyper::default();
    Hyper {
        rbp: RbpConfig { reinforce, ..h.rbp },
        ..h
    }
}

/// The clock of step `t` in the short runs below: late enough that `p(t)` is well inside (0, 1).
fn late(t: u64) -> Clock {
    Clock {
        t: t + 1000,
        epoch: 0,
    }
}

#[test]
fn the_raw_twin_matches_a_scalar_reference() {
    // w <- w - eta (g + p g_prev), g_prev <- g, in f64 beside the f32 optimizer for 6 steps. The
    // f32 path rounds eta, p and every product: 1e-5 relative is ~100 f32 ulps, far below any
    // error of the rule (using g instead of g_prev would be off by ~0.1).
    let hyper = Hyper::default();
    let n = 8;
    let mut twin = Optimizer::new(OptimizerKind::RawTwin, &hyper, n, 3).unwrap();
    let (mut w, mut w_ref, mut prev) = (vec![0.5f32; n], vec![0.5f64; n], vec![0.0f64; n]);
    for t in 0..6u64 {
        let g = gradient(n, t);
        let clock = late(t);
        twin.set_clock(clock);
        twin.step(&mut w, &g);
        let eta = hyper.sgd_schedule().rate(clock);
        let p = hyper.rbp.probability(clock);
        for i in 0..n {
            let gi = f64::from(g[i]);
            w_ref[i] -= eta * (gi + p * prev[i]);
            prev[i] = gi;
        }
    }
    for i in 0..n {
        let gap = (f64::from(w[i]) - w_ref[i]).abs();
        assert!(gap < 1e-5, "weight {i}: {} vs {}", w[i], w_ref[i]);
    }
}

#[test]
fn the_raw_twin_is_the_mean_of_raw_rbp_over_coins() {
    // As for momentum and the accumulated reading: the mean over 2000 coin seeds of raw
    // R-BackProp's weights is the raw twin's, within 5 standard errors plus f32 rounding.
    let (n, steps, seeds) = (8usize, 10u64, 2000u64);
    let grads: Vec<Vec<f32>> = (0..steps).map(|t| gradient(n, t)).collect();
    let run = |kind, hyper: &Hyper, seed| {
        let mut opt = Optimizer::new(kind, hyper, n, seed).unwrap();
        let mut w = vec![0.0f32; n];
        for (t, g) in grads.iter().enumerate() {
            opt.set_clock(late(t as u64));
            opt.step(&mut w, g);
        }
        w
    };
    let twin = run(OptimizerKind::RawTwin, &Hyper::default(), 0);
    let raw = reading(Reinforce::Raw);
    let (mut sum, mut sum_sq) = (vec![0.0f64; n], vec![0.0f64; n]);
    for s in 0..seeds {
        for (i, x) in run(OptimizerKind::Rbp, &raw, s).into_iter().enumerate() {
            sum[i] += f64::from(x);
            sum_sq[i] += f64::from(x).powi(2);
        }
    }
    for i in 0..n {
        let mean = sum[i] / seeds as f64;
        let se = ((sum_sq[i] / seeds as f64 - mean * mean).max(0.0) / seeds as f64).sqrt();
        let gap = (mean - f64::from(twin[i])).abs();
        assert!(
            gap < 5.0 * se + 1e-5 * mean.abs().max(1.0),
            "weight {i}: mean {mean}, twin {}, se {se}",
            twin[i]
        );
    }
}

#[test]
fn the_accumulated_noise_control_matches_a_scalar_reference() {
    // Scalar reference: with the same coin and sign coin as the kernel, g_used = g ± A where the
    // coin fires, A <- g + A there and g elsewhere. Bit for bit: the same f32 operations.
    use rbp_kernels::control::{positive_sign, sign_key};
    use rbp_kernels::rng::{CoinKey, coin, threshold};
    let hyper = reading(Reinforce::RandomSignAccumulated);
    let (n, seed) = (64, 5u64);
    let mut opt = Optimizer::new(OptimizerKind::Rbp, &hyper, n, seed).unwrap();
    let (mut w, mut w_ref, mut acc) = (vec![0.5f32; n], vec![0.5f32; n], vec![0.0f32; n]);
    for t in 0..6u64 {
        let g = gradient(n, t);
        let clock = late(t);
        opt.set_clock(clock);
        opt.step(&mut w, &g);
        let eta = hyper.sgd_schedule().rate(clock) as f32;
        let (key, signs) = (CoinKey::new(seed, clock.t), sign_key(seed, clock.t));
        let th = threshold(hyper.rbp.probability(clock));
        for i in 0..n {
            let fire = coin(key, th, i as u32);
            let used = match (fire, positive_sign(signs, i as u32)) {
                (false, _) => g[i],
                (true, true) => g[i] + acc[i],
                (true, false) => g[i] - acc[i],
            };
            w_ref[i] -= eta * used;
            acc[i] = if fire { g[i] + acc[i] } else { g[i] };
        }
    }
    assert_eq!(bits(&w), bits(&w_ref));
    assert_eq!(bits(&opt.state().buffers[0]), bits(&acc));
}

#[test]
fn each_noise_control_perturbs_by_what_its_reading_adds() {
    // Fed the same gradients and coin seed, a noise control's `prev` is exactly what the matching
    // reading of R-BackProp would add next: the raw g (raw) or R-BackProp's accumulated g_used
    // (accumulated), bit for bit. So each perturbation has its reading's magnitude.
    let n = 256;
    let grads: Vec<Vec<f32>> = (0..20u64).map(|t| gradient(n, t)).collect();
    let prev_after = |reinforce| {
        let mut opt = Optimizer::new(OptimizerKind::Rbp, &reading(reinforce), n, 9).unwrap();
        let mut w = vec![0.0f32; n];
        for (t, g) in grads.iter().enumerate() {
            opt.set_clock(late(t as u64));
            opt.step(&mut w, g);
        }
        bits(&opt.state().buffers[0])
    };
    assert_eq!(
        prev_after(Reinforce::RandomSignAccumulated),
        prev_after(Reinforce::Accumulated)
    );
    assert_eq!(
        prev_after(Reinforce::RandomSign),
        prev_after(Reinforce::Raw)
    );
    // And the accumulated sum is not the raw gradient: the two controls differ.
    assert_ne!(
        prev_after(Reinforce::RandomSignAccumulated),
        prev_after(Reinforce::RandomSign)
    );
    assert_eq!(
        Reinforce::Accumulated.noise_control(),
        Reinforce::RandomSignAccumulated
    );
    assert_eq!(Reinforce::Raw.noise_control(), Reinforce::RandomSign);
}
