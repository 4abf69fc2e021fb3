//! The optimizers' defining properties: R-BackProp with (gamma0, lambda) = (1, 0) is BackProp bit
//! for bit; p = 1 always reinforces; the reinforced fraction follows 1 - gamma^t; Adam matches a
//! hand computation; schedules follow the paper.

use rbp_core::data::teacher;
use rbp_core::init::{self, Init};
use rbp_core::net::{Arch, Layout};
use rbp_core::optim::{Clock, Hyper, LrClock, Optimizer, OptimizerKind, RbpConfig, Reinforce};
use rbp_core::seed::{self, Stream};
use rbp_core::train::{self, Recording, RunResult, Schedule};

/// A small grid: every optimizer of `optimizers` on every seed of `seeds`, 5 epochs of batch 10.
struct Small {
    optimizers: Vec<OptimizerKind>,
    hyper: Hyper,
    seeds: Vec<u64>,
}

fn small_settings(optimizers: Vec<OptimizerKind>, hyper: Hyper) -> Small {
    Small {
        optimizers,
        hyper,
        seeds: vec![7],
    }
}

/// Trains the grid through the core's public API, as the lab does.
fn run(settings: &Small, m: usize) -> Vec<RunResult> {
    let arch: Arch = "20-30-10-4".parse().unwrap();
    let layout = Layout::new(arch.clone()).unwrap();
    let mut out = Vec::new();
    for &seed in &settings.seeds {
        let split =
            teacher::teacher_student(arch.input_width(), arch.output_width(), m, seed).unwrap();
        for &kind in &settings.optimizers {
            let params = init::initial_params(&layout, Init::Lecun, seed).unwrap();
            let coin = seed::stream_seed(seed, Stream::Coin);
            let opt = Optimizer::new(kind, &settings.hyper, layout.param_count(), coin).unwrap();
            let schedule = Schedule {
                batch: 10,
                epochs: 5,
                record: Recording::EveryEpoch,
            };
            let order = seed::rng(seed, Stream::Order);
            let records =
                train::train(&layout, params, &split, opt, schedule, order, &mut |_| {}).unwrap();
            out.push(RunResult {
                optimizer: kind,
                seed,
                records,
            });
        }
    }
    out
}

/// An optimizer for `n` weights, to step by hand at chosen clocks.
fn optimizer(kind: OptimizerKind, hyper: &Hyper, n: usize, coin_seed: u64) -> Optimizer {
    Optimizer::new(kind, hyper, n, coin_seed).unwrap()
}

/// One whole-buffer step of `opt` at `clock`.
fn step_at(opt: &mut Optimizer, w: &mut [f32], g: &[f32], clock: Clock) {
    opt.set_clock(clock);
    opt.step(w, g);
}

#[test]
fn rbp_with_gamma_one_is_backprop_bit_for_bit() {
    let mut hyper = Hyper::default();
    hyper.rbp = RbpConfig {
        gamma0: 1.0,
        lambda: 0.0,
        ..hyper.rbp
    };
    for reinforce in [Reinforce::Accumulated, Reinforce::Raw] {
        hyper.rbp.reinforce = reinforce;
        let runs = run(
            &small_settings(vec![OptimizerKind::Sgd, OptimizerKind::Rbp], hyper),
            100,
        );
        let (sgd, rbp) = (&runs[0], &runs[1]);
        assert_eq!(sgd.optimizer, OptimizerKind::Sgd);
        for (a, b) in sgd.records.iter().zip(&rbp.records) {
            assert_eq!(
                a.train_error.to_bits(),
                b.train_error.to_bits(),
                "epoch {}",
                a.epoch
            );
            assert_eq!(
                a.test_error.to_bits(),
                b.test_error.to_bits(),
                "epoch {}",
                a.epoch
            );
        }
    }
    // And at the parameter level, step by step.
    let n = 1000;
    let mut sgd = optimizer(OptimizerKind::Sgd, &hyper, n, 1);
    let mut rbp = optimizer(OptimizerKind::Rbp, &hyper, n, 1);
    let (mut w1, mut w2) = (vec![0.5f32; n], vec![0.5f32; n]);
    for t in 0..20u64 {
        let g: Vec<f32> = (0..n)
            .map(|i| ((i as u64 * 31 + t * 7) % 17) as f32 / 17.0 - 0.5)
            .collect();
        let clock = Clock { t, epoch: t / 4 };
        step_at(&mut sgd, &mut w1, &g, clock);
        step_at(&mut rbp, &mut w2, &g, clock);
    }
    assert!(w1.iter().zip(&w2).all(|(a, b)| a.to_bits() == b.to_bits()));
}

/// A reinforcement probability of 1 from the second update on: gamma0 so small that gamma^t
/// rounds to 0.
fn always(reinforce: Reinforce) -> RbpConfig {
    RbpConfig {
        gamma0: 1e-30,
        lambda: 0.0,
        reinforce,
    }
}

#[test]
fn probability_one_reinforces_every_weight() {
    let n = 777;
    let schedule = Hyper::default().sgd_schedule();
    for reinforce in [Reinforce::Accumulated, Reinforce::Raw] {
        let hyper = Hyper {
            rbp: always(reinforce),
            ..Hyper::default()
        };
        let mut opt = optimizer(OptimizerKind::Rbp, &hyper, n, 42);
        let mut w = vec![0.0f32; n];
        let g1: Vec<f32> = (0..n).map(|i| i as f32 * 1e-3).collect();
        let g2: Vec<f32> = (0..n).map(|i| 1.0 - i as f32 * 1e-3).collect();
        // t = 0: gamma^0 = 1, so p = 0 and the first step is plain SGD.
        step_at(&mut opt, &mut w, &g1, Clock { t: 0, epoch: 0 });
        let after_first = w.clone();
        let clock = Clock { t: 1, epoch: 0 };
        assert_eq!(always(reinforce).probability(clock), 1.0);
        step_at(&mut opt, &mut w, &g2, clock);
        let eta = schedule.rate(clock) as f32;
        for i in 0..n {
            let expected = after_first[i] - eta * (g2[i] + g1[i]);
            assert_eq!(
                w[i], expected,
                "weight {i} was not reinforced ({reinforce:?})"
            );
        }
    }
}

/// Which of `n` weights R-BackProp reinforces at `clock`, for coin seed `seed`: step 0 (never
/// reinforced) stores `g_prev = 1` everywhere, then with `g = 0` a weight moves exactly when its
/// coin fires.
fn reinforced(config: RbpConfig, seed: u64, n: usize, clock: Clock) -> Vec<bool> {
    let hyper = Hyper {
        rbp: config,
        ..Hyper::default()
    };
    let mut opt = optimizer(OptimizerKind::Rbp, &hyper, n, seed);
    let mut w = vec![0.0f32; n];
    step_at(&mut opt, &mut w, &vec![1.0; n], Clock { t: 0, epoch: 0 });
    let before = w.clone();
    step_at(&mut opt, &mut w, &vec![0.0; n], clock);
    w.iter().zip(&before).map(|(a, b)| a != b).collect()
}

#[test]
fn reinforced_fraction_follows_one_minus_gamma_to_the_t() {
    let n = 200_000;
    let config = RbpConfig {
        gamma0: 0.9995,
        lambda: 0.0001,
        reinforce: Reinforce::Accumulated,
    };
    for (t, epoch) in [(1u64, 0u64), (50, 5), (600, 60), (3000, 99)] {
        let clock = Clock { t, epoch };
        let fired = reinforced(config, 9, n, clock)
            .iter()
            .filter(|&&f| f)
            .count() as f64;
        let p = config.probability(clock);
        let sd = (n as f64 * p * (1.0 - p)).sqrt();
        assert!(
            (fired - n as f64 * p).abs() <= 5.0 * sd + 1.0,
            "t = {t}: {fired} of {n} reinforced, expected {:.0} +- {sd:.0}",
            n as f64 * p
        );
    }
}

#[test]
fn coin_pattern_changes_with_t_and_seed() {
    let config = RbpConfig {
        gamma0: 0.9,
        lambda: 0.0,
        reinforce: Reinforce::Raw,
    };
    let pattern = |seed: u64, t: u64| reinforced(config, seed, 4096, Clock { t, epoch: 0 });
    assert_eq!(pattern(1, 5), pattern(1, 5));
    assert_ne!(pattern(1, 5), pattern(1, 6));
    assert_ne!(pattern(1, 5), pattern(2, 5));
}

#[test]
fn adam_matches_a_hand_computed_two_step_example() {
    let hyper = Hyper::default();
    let mut adam = optimizer(OptimizerKind::Adam, &hyper, 2, 0);
    let mut w = vec![1.0f32, -2.0];
    let g1 = [0.5f32, -1.0];
    let g2 = [-0.25f32, 2.0];
    step_at(&mut adam, &mut w, &g1, Clock { t: 0, epoch: 0 });
    // After one bias-corrected step m_hat / sqrt(v_hat) = sign(g): each weight moves by lr = 0.01.
    assert!(
        (w[0] - 0.99).abs() < 1e-6 && (w[1] + 1.99).abs() < 1e-6,
        "{w:?}"
    );
    step_at(&mut adam, &mut w, &g2, Clock { t: 1, epoch: 0 });
    // By hand, in f64: lr_t = max(0.01 * 0.999^t, 0.001).
    let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8f64);
    let mut expected = [1.0f64, -2.0];
    let (mut m, mut v) = ([0.0f64; 2], [0.0f64; 2]);
    for (t, g) in [g1, g2].iter().enumerate() {
        let lr = (0.01 * 0.999f64.powi(t as i32)).max(0.001);
        for i in 0..2 {
            let gi = g[i] as f64;
            m[i] = b1 * m[i] + (1.0 - b1) * gi;
            v[i] = b2 * v[i] + (1.0 - b2) * gi * gi;
            let mhat = m[i] / (1.0 - b1.powi(t as i32 + 1));
            let vhat = v[i] / (1.0 - b2.powi(t as i32 + 1));
            expected[i] -= lr * mhat / (vhat.sqrt() + eps);
        }
    }
    // f32 arithmetic over two steps: a few ulp of values near 1, so 1e-6 absolute.
    for i in 0..2 {
        assert!(
            (w[i] as f64 - expected[i]).abs() < 1e-6,
            "weight {i}: {} vs {}",
            w[i],
            expected[i]
        );
    }
    assert_eq!(adam.state_bytes(), 2 * 2 * 4);
}

#[test]
fn learning_rate_schedule_decays_to_its_floor() {
    let h = Hyper::default();
    let s = h.sgd_schedule();
    assert_eq!(s.rate(Clock { t: 0, epoch: 0 }), 0.8);
    assert!((s.rate(Clock { t: 1000, epoch: 0 }) - 0.8 * 0.999f64.powi(1000)).abs() < 1e-12);
    assert_eq!(
        s.rate(Clock {
            t: 10_000,
            epoch: 0
        }),
        0.02
    );
    let per_epoch = Hyper {
        lr_clock: LrClock::Epoch,
        ..h
    }
    .sgd_schedule();
    assert_eq!(
        per_epoch.rate(Clock {
            t: 10_000,
            epoch: 0
        }),
        0.8
    );
    assert_eq!(
        h.adam_schedule().rate(Clock {
            t: 100_000,
            epoch: 0
        }),
        0.001
    );
}

#[test]
fn state_sizes_are_as_documented() {
    let n = 1234;
    let h = Hyper::default();
    let sizes: Vec<usize> = OptimizerKind::ALL
        .iter()
        .map(|&k| optimizer(k, &h, n, 0).state_bytes())
        .collect();
    assert_eq!(sizes, vec![0, 4 * n + 8, 8 * n, 4 * n, 0, 4 * n]);
}

#[test]
fn same_seed_same_numbers_different_seed_different_numbers() {
    let settings = small_settings(OptimizerKind::ALL.to_vec(), Hyper::default());
    let a = run(&settings, 60);
    let b = run(&settings, 60);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            x.records, y.records,
            "{:?} is not reproducible",
            x.optimizer
        );
    }
    let other = Small {
        seeds: vec![8],
        ..settings
    };
    let c = run(&other, 60);
    for (x, y) in a.iter().zip(&c) {
        assert_ne!(x.last().test_error, y.last().test_error);
    }
}

#[test]
fn training_reduces_the_error() {
    let runs = run(
        &small_settings(OptimizerKind::ALL.to_vec(), Hyper::default()),
        200,
    );
    for r in &runs {
        let (first, last) = (r.records[0], *r.last());
        assert!(
            last.train_error < first.train_error,
            "{:?}: {first:?} -> {last:?}",
            r.optimizer
        );
        assert!(last.train_error.is_finite() && last.test_error.is_finite());
    }
}

#[test]
fn layout_matches_architecture() {
    let arch: Arch = "100-400-200-10".parse().unwrap();
    let layout = Layout::new(arch.clone()).unwrap();
    assert_eq!(layout.param_count(), 100 * 400 + 400 * 200 + 200 * 10);
    assert_eq!(layout.layer_range(1), 40_000..120_000);
    assert!("".parse::<Arch>().is_err());
    assert!("10".parse::<Arch>().is_err());
    assert!("10-0-3".parse::<Arch>().is_err());
    assert!("10-x-3".parse::<Arch>().is_err());
    // More weights than the coin can index is refused with the count, not an overflow.
    let huge: Arch = "100-100000-100000-10".parse().unwrap();
    let err = Layout::new(huge).unwrap_err().to_string();
    assert!(err.contains("10011000000 weights"), "{err}");
}

#[test]
fn per_layer_updates_equal_one_whole_buffer_update() {
    // Trainer::step updates each layer inside the backward pass; the reference computes the full
    // gradient first and updates the whole buffer in one call. They must agree bit for bit.
    let layout = Layout::new("12-9-7-5".parse().unwrap()).unwrap();
    let split = teacher::teacher_student(12, 5, 40, 3).unwrap();
    let rows: Vec<usize> = (0..10).collect();
    let mut hyper = Hyper::default();
    hyper.rbp.gamma0 = 0.5; // reinforce often, so the coin's global indexing matters
    for kind in OptimizerKind::ALL {
        let params = init::initial_params(&layout, Init::Lecun, 1).unwrap();
        let mut fused = train::Trainer::new(layout.clone(), params.clone(), 10).unwrap();
        let mut opt_fused = optimizer(kind, &hyper, layout.param_count(), 5);
        let mut opt_plain = optimizer(kind, &hyper, layout.param_count(), 5);
        let mut w = params;
        for t in 0..6u64 {
            let clock = Clock { t, epoch: t / 3 };
            let batch = &rows[(t as usize % 4)..(t as usize % 4) + 6];
            opt_fused.set_clock(clock);
            fused.step(&split.train, batch, &mut opt_fused);
            // Reference: gradient at the current weights, then one whole-buffer update.
            let mut plain = train::Trainer::new(layout.clone(), w.clone(), 10).unwrap();
            plain.compute_gradient(&split.train, batch);
            step_at(&mut opt_plain, &mut w, plain.grads(), clock);
        }
        let same = fused
            .params()
            .iter()
            .zip(&w)
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(
            same,
            "{kind:?}: per-layer updates differ from a whole-buffer update"
        );
    }
}
