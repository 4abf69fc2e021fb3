//! The f64 oracle (`rbp_core::oracle`): its pieces against their formulas, its coin against the
//! f32 path's, and whole f32 runs against their f64 twins, epoch by epoch.

use rbp_core::data::{TrainTest, teacher};
use rbp_core::init::{self, Init};
use rbp_core::net::{Arch, Layout};
use rbp_core::optim::{Hyper, LrClock, Optimizer, OptimizerKind};
use rbp_core::oracle::{self, Net, elementwise};
use rbp_core::seed::{self, Stream};
use rbp_core::train::{self, EpochRecord, Recording, Schedule};

#[test]
fn sigmoid_is_the_logistic_function() {
    // sigmoid(ln 3) = 3/4, sigmoid(-ln 3) = 1/4, sigmoid(0) = 1/2 exactly in real numbers; f64
    // gets them to a few ulp (2^-52 ~ 2.2e-16 relative), so 1e-15 absolute is tight.
    let ln3 = 3f64.ln();
    let mut x = vec![0.0, ln3, -ln3, 40.0, -40.0, 800.0, -800.0];
    elementwise::sigmoid_inplace(&mut x);
    let expected = [0.5, 0.75, 0.25, 1.0, (-40f64).exp(), 1.0, 0.0];
    for (got, want) in x.iter().zip(expected) {
        // Relative for the tiny tail value (4.2e-18), absolute elsewhere.
        assert!(
            (got - want).abs() <= 1e-15 * want.abs().max(1e-3),
            "{got} vs {want}"
        );
    }
    // Symmetry s(x) + s(-x) = 1 over a range that includes saturation, to f64 rounding.
    let xs: Vec<f64> = (-300..=300).map(|i| i as f64 * 0.1).collect();
    let (mut pos, mut neg) = (xs.clone(), xs.iter().map(|x| -x).collect::<Vec<_>>());
    elementwise::sigmoid_inplace(&mut pos);
    elementwise::sigmoid_inplace(&mut neg);
    for ((p, n), x) in pos.iter().zip(&neg).zip(&xs) {
        assert!((p + n - 1.0).abs() <= 4e-16, "x = {x}: {p} + {n}");
    }
}

#[test]
fn derivative_and_output_error_follow_eqs_3_to_4() {
    let s = [0.1, 0.5, 0.9, 1.0];
    let mut delta = [2.0, -4.0, 10.0, 3.0];
    elementwise::sigmoid_backward_inplace(&mut delta, &s);
    // delta * s * (1 - s): values whose products are exact or within one rounding.
    let expected = [2.0 * 0.1 * 0.9, -4.0 * 0.25, 10.0 * 0.9 * 0.1, 0.0];
    for (got, want) in delta.iter().zip(expected) {
        assert!((got - want).abs() <= 1e-15, "{got} vs {want}");
    }

    let y = [0.25, 0.5, 0.75];
    let target = [0.5, 0.5, 0.0];
    let mut kappa = [9.0; 3];
    let loss = elementwise::output_error(&mut kappa, &y, &target);
    // kappa = (y - y*) y (1 - y); dyadic values, so every result is exact.
    assert_eq!(kappa, [-0.25 * 0.25 * 0.75, 0.0, 0.75 * 0.75 * 0.25]);
    // 1/2 ((0.25)^2 + 0 + (0.75)^2) = 0.3125, exact.
    assert_eq!(loss, 0.3125);
    assert_eq!(elementwise::quadratic_loss(&y, &target), 0.3125);
}

/// The oracle's backward pass is the gradient of its forward pass: central differences in f64
/// with step 1e-5 have truncation error ~h^2 * f''' ~ 1e-10 and rounding error ~1e-16 / h ~
/// 1e-11 here, so 1e-8 absolute plus 1e-6 relative leaves a wide margin while catching any
/// wrong factor or index (those give errors of the gradient's own size, ~1e-2).
#[test]
fn oracle_gradient_matches_finite_differences() {
    let layout = Layout::new(Arch::new(vec![5, 7, 4, 3]).unwrap()).unwrap();
    let params: Vec<f64> = init::initial_params(&layout, Init::Normal, 3)
        .unwrap()
        .into_iter()
        .map(f64::from)
        .collect();
    let batch = 6;
    let inputs: Vec<f64> = (0..batch * 5)
        .map(|i| (i as f64 * 0.37).sin() * 1.5)
        .collect();
    let targets: Vec<f64> = (0..batch * 3)
        .map(|i| 0.5 + 0.4 * (i as f64 * 0.91).cos())
        .collect();
    let mut net = Net::new(layout.clone(), batch).unwrap();
    let mut loss_at = |p: &[f64], grads: Option<&mut [f64]>| {
        net.input_mut(batch).copy_from_slice(&inputs);
        net.forward(p, batch);
        match grads {
            Some(g) => net.backward(p, &targets, batch, g),
            None => elementwise::quadratic_loss(net.output(batch), &targets),
        }
    };
    let mut grads = vec![0.0; params.len()];
    let sum = loss_at(&params, Some(&mut grads));
    assert!((sum - loss_at(&params, None)).abs() <= 1e-14 * sum);
    let h = 1e-5;
    for i in 0..params.len() {
        let mut p = params.clone();
        p[i] += h;
        let up = loss_at(&p, None);
        p[i] -= 2.0 * h;
        let down = loss_at(&p, None);
        // The gradient is of the batch mean, the loss a batch sum.
        let numeric = (up - down) / (2.0 * h) / batch as f64;
        assert!(
            (numeric - grads[i]).abs() <= 1e-8 + 1e-6 * numeric.abs(),
            "weight {i}: finite differences {numeric}, backward {}",
            grads[i]
        );
    }
}

/// Steps the f32 optimizer and its f64 oracle side by side on the same gradients and returns
/// the final weights of both.
fn step_both(kind: OptimizerKind, hyper: &Hyper, n: usize, steps: u64) -> (Vec<f32>, Vec<f64>) {
    let coin_seed = 0x5eed;
    let mut fast = Optimizer::new(kind, hyper, n, coin_seed).unwrap();
    let mut slow = oracle::Optimizer::new(kind, hyper, n, coin_seed).unwrap();
    let (mut w32, mut w64) = (vec![0.0f32; n], vec![0.0f64; n]);
    for t in 0..steps {
        // Gradients exactly representable in f32, different per weight and step.
        let g32: Vec<f32> = (0..n)
            .map(|i| ((i * 37 + t as usize * 11) % 64) as f32 / 32.0 - 1.0)
            .collect();
        let g64: Vec<f64> = g32.iter().map(|&g| f64::from(g)).collect();
        fast.step(&mut w32, &g32);
        slow.step(&mut w64, &g64);
    }
    assert_eq!(slow.clock().t, steps);
    (w32, w64)
}

/// Each f64 update is the f32 one without its roundings: after a few steps the weights agree to
/// f32 precision. Bound: each step adds a few f32 roundings (2^-24 ~ 6e-8 relative) of terms of
/// size <= eta * (steps + 1) (R-BackProp's accumulated gradient); 1e-5 relative to the largest
/// weight is 10x that and far below a changed decision (one reinforced gradient, ~eta).
#[test]
fn f64_updates_agree_with_the_f32_kernels_and_draw_the_same_coins() {
    let n = 2000;
    let mut hyper = Hyper::default();
    // gamma0 = 0.5: reinforcement probability 1 - 0.5^t = 0.5, 0.75, ... at t = 1, 2, ...
    hyper.rbp.gamma0 = 0.5;
    for kind in OptimizerKind::PAPER {
        let (w32, w64) = step_both(kind, &hyper, n, 4);
        let scale = w64.iter().fold(0.0f64, |m, w| m.max(w.abs()));
        for (i, (&a, &b)) in w32.iter().zip(&w64).enumerate() {
            assert!(
                (f64::from(a) - b).abs() <= 1e-5 * scale,
                "{kind} weight {i}: f32 {a} vs f64 {b}"
            );
        }
    }
    // The coin fired for some weights and not for others: R-BackProp's weights differ from
    // BackProp's at some indices and not at others, so agreement above checked the coin.
    let (sgd, _) = step_both(OptimizerKind::Sgd, &hyper, n, 4);
    let (rbp, _) = step_both(OptimizerKind::Rbp, &hyper, n, 4);
    let changed = sgd.iter().zip(&rbp).filter(|(a, b)| a != b).count();
    assert!(
        changed > n / 4 && changed < n,
        "{changed} of {n} weights reinforced"
    );
}

/// The f32 run of `seed` and its f64 twin: the same data, initial weights, batch order and coin.
fn twin_records(
    arch: &[usize],
    train_size: usize,
    batch: usize,
    kind: OptimizerKind,
    clock: LrClock,
    seed: u64,
) -> (Vec<EpochRecord>, Vec<EpochRecord>) {
    let layout = Layout::new(Arch::new(arch.to_vec()).unwrap()).unwrap();
    let n_out = *arch.last().unwrap();
    let split: TrainTest = teacher::teacher_student(arch[0], n_out, train_size, seed).unwrap();
    let hyper = Hyper {
        lr_clock: clock,
        ..Hyper::default()
    };
    let schedule = Schedule {
        batch,
        epochs: 100,
        record: Recording::EveryEpoch,
    };
    let params = init::initial_params(&layout, Init::Lecun, seed).unwrap();
    let coin_seed = seed::stream_seed(seed, Stream::Coin);
    let n = layout.param_count();
    let fast = train::train(
        &layout,
        params.clone(),
        &split,
        Optimizer::new(kind, &hyper, n, coin_seed).unwrap(),
        schedule,
        seed::rng(seed, Stream::Order),
        &mut |_| {},
    )
    .unwrap();
    let slow = oracle::train(
        &layout,
        &params,
        &split,
        oracle::Optimizer::new(kind, &hyper, n, coin_seed).unwrap(),
        schedule,
        seed::rng(seed, Stream::Order),
        &mut |_| {},
    )
    .unwrap();
    (fast, slow)
}

/// Paired by seed, an f32 run and its f64 twin agree on every epoch's training and test error.
///
/// Tolerance: 1e-3 relative. What the f32 path must be allowed is its rounding carried through
/// 1000 updates; measured here (these sizes, 3 seeds, OpenBLAS) the largest gap over all epochs
/// (printed below) was 4.3e-7 for BackProp and 1.6e-5 for Adam, whose division by sqrt(v)
/// amplifies rounding; 1e-3 is 60x above that, room for another BLAS's summation order. What it
/// must not allow is the drift issue 10 measured against an independent f64 implementation,
/// +2.5% to +5% of the final test error: 1e-3 is 25x below it.
///
/// Why a smaller net than the toy's: at 100-400-200-10, M = 1000 (10 seeds), BackProp's twins
/// agree to 1.4e-4 on every epoch, but Adam's separate after 25-45 epochs (single-epoch gaps up
/// to 8e-3 of the test error with the iteration clock, 9.5e-2 with the epoch clock): rounding
/// amplified by the dynamics, not a bias (the mean final test errors agree within a paired 95%
/// interval of +-0.08% and +-2%; README, "Numbers you can trust"). Here the dynamics stay tame for
/// 100 epochs, so every epoch can be compared.
#[test]
fn f32_runs_agree_with_their_f64_twins_on_every_epoch() {
    let arch = [20, 40, 20, 5];
    for kind in [OptimizerKind::Sgd, OptimizerKind::Adam] {
        for clock in LrClock::ALL {
            for seed in 0..3 {
                let (fast, slow) = twin_records(&arch, 200, 20, kind, clock, seed);
                assert_eq!(fast.len(), 101);
                assert_eq!(slow.len(), fast.len());
                let mut worst = 0.0f64;
                for (f, s) in fast.iter().zip(&slow) {
                    assert_eq!(f.epoch, s.epoch);
                    for (a, b) in [(f.train_error, s.train_error), (f.test_error, s.test_error)] {
                        let gap = (a - b).abs() / b;
                        worst = worst.max(gap);
                        assert!(
                            gap <= 1e-3,
                            "{kind}, lr clock {clock}, seed {seed}, epoch {}: f32 {a} vs f64 {b}",
                            f.epoch
                        );
                    }
                }
                // Training did something: a twin agreeing with an untrained net proves nothing.
                assert!(slow[100].train_error < 0.8 * slow[0].train_error);
                println!("{kind} {clock} seed {seed}: largest relative gap {worst:.2e}");
            }
        }
    }
}
