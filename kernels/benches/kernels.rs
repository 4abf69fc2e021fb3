//! Fused pulp kernels (best level) vs. the scalar references vs. a naive
//! ndarray version written one operation at a time, at 122_000 elements
//! (a small network's parameters: called back to back, the data stays in L2)
//! and 4_000_000 (streamed from L3 or DRAM, whichever holds 48-112 MB).
//!
//! Throughput counts the bytes each kernel must move (f32 reads + writes per
//! element): sigmoid 8, sigmoid_backward 12, output_error 12, sgd 12, rbp 20,
//! adam 28, heavy_ball 20, random_sign 20. The naive versions move more (temporaries) but are credited the
//! same bytes, so GB/s compare time per element directly.

use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array1;
use rbp_kernels::Level;
use rbp_kernels::activation::{self, reference as act_ref};
use rbp_kernels::control::{self, HeavyBallStep, RandomSignStep, reference as ctl_ref};
use rbp_kernels::rng::{CoinKey, coin, threshold};
use rbp_kernels::update::{self, AdamStep, RbpStep, reference as upd_ref};
use std::hint::black_box;
use std::time::Duration;

const SIZES: [usize; 2] = [122_000, 4_000_000];

/// Deterministic data in `[lo, hi)` without a dev-dependency.
fn data(n: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    let mut z = seed;
    (0..n)
        .map(|_| {
            z = z
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            lo + (hi - lo) * ((z >> 40) as f32 / (1u64 << 24) as f32)
        })
        .collect()
}

/// The next level below the best one, if it is a SIMD level (AVX2 on an
/// AVX-512 machine): every kernel gets a `fused_<level>` row for it, so the
/// AVX2 code can be timed on an AVX-512 machine.
fn second_level() -> Option<Level> {
    let levels = Level::available();
    let best = levels.iter().position(|&l| l == Level::best())?;
    best.checked_sub(1)
        .map(|i| levels[i])
        .filter(|&l| l != Level::Scalar)
}

fn group<'a>(
    c: &'a mut Criterion,
    kernel: &str,
    n: usize,
    bytes_per_elem: u64,
) -> BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(format!("{kernel}/{n}"));
    g.throughput(Throughput::Bytes(bytes_per_elem * n as u64));
    g
}

fn bench_sigmoid(c: &mut Criterion) {
    for n in SIZES {
        let mut g = group(c, "sigmoid_inplace", n, 8);
        let mut x = data(n, 1, -8.0, 8.0);
        g.bench_function("fused", |b| {
            b.iter(|| activation::sigmoid_inplace(black_box(&mut x)))
        });
        if let Some(level) = second_level() {
            g.bench_function(format!("fused_{}", level.name()), |b| {
                b.iter(|| activation::sigmoid_inplace_at(level, black_box(&mut x)))
            });
        }
        g.bench_function("scalar", |b| {
            b.iter(|| act_ref::sigmoid_inplace(black_box(&mut x)))
        });
        let mut xa = Array1::from(data(n, 1, -8.0, 8.0));
        g.bench_function("ndarray", |b| {
            b.iter(|| {
                let e = xa.mapv(|v| (-v).exp());
                let s = (e + 1.0).mapv(f32::recip);
                xa.assign(&s);
                black_box(&mut xa);
            })
        });
        g.finish();
    }
}

fn bench_sigmoid_backward(c: &mut Criterion) {
    for n in SIZES {
        let mut g = group(c, "sigmoid_backward_inplace", n, 12);
        let mut d = data(n, 2, -1.0, 1.0);
        // The benchmark applies the update in place thousands of times. With
        // s in [0, 1] the factor s(1 - s) <= 1/4 drives delta into denormals
        // (~100x slower arithmetic on x86) and then to zero, which measured
        // an artifact. The golden-ratio roots 1.618.. and -0.618.. give
        // s(1 - s) = -1 (to rounding), so delta stays normal indefinitely.
        let s: Vec<f32> = data(n, 3, 0.0, 1.0)
            .iter()
            .map(|&u| if u < 0.5 { 1.618_034 } else { -0.618_034 })
            .collect();
        g.bench_function("fused", |b| {
            b.iter(|| activation::sigmoid_backward_inplace(black_box(&mut d), &s))
        });
        if let Some(level) = second_level() {
            g.bench_function(format!("fused_{}", level.name()), |b| {
                b.iter(|| activation::sigmoid_backward_inplace_at(level, black_box(&mut d), &s))
            });
        }
        g.bench_function("scalar", |b| {
            b.iter(|| act_ref::sigmoid_backward_inplace(black_box(&mut d), &s))
        });
        let mut da = Array1::from(data(n, 2, -1.0, 1.0));
        let sa = Array1::from(s.clone());
        g.bench_function("ndarray", |b| {
            b.iter(|| {
                let ds = &sa * &sa.mapv(|v| 1.0 - v);
                da *= &ds;
                black_box(&mut da);
            })
        });
        g.finish();
    }
}

fn bench_output_error(c: &mut Criterion) {
    for n in SIZES {
        let mut g = group(c, "output_error", n, 12);
        let y = data(n, 4, 0.0, 1.0);
        let t = data(n, 5, 0.0, 1.0);
        let mut k = vec![0.0f32; n];
        g.bench_function("fused", |b| {
            b.iter(|| black_box(activation::output_error(black_box(&mut k), &y, &t)))
        });
        if let Some(level) = second_level() {
            g.bench_function(format!("fused_{}", level.name()), |b| {
                b.iter(|| {
                    black_box(activation::output_error_at(
                        level,
                        black_box(&mut k),
                        &y,
                        &t,
                    ))
                })
            });
        }
        g.bench_function("scalar", |b| {
            b.iter(|| black_box(act_ref::output_error(black_box(&mut k), &y, &t)))
        });
        let (ya, ta) = (Array1::from(y.clone()), Array1::from(t.clone()));
        let mut ka = Array1::<f32>::zeros(n);
        g.bench_function("ndarray", |b| {
            b.iter(|| {
                let e = &ya - &ta;
                let loss = 0.5 * f64::from(e.mapv(|v| v * v).sum());
                ka.assign(&(&e * &ya * &ya.mapv(|v| 1.0 - v)));
                black_box((&mut ka, loss));
            })
        });
        g.finish();
    }
}

fn bench_sgd(c: &mut Criterion) {
    for n in SIZES {
        let mut g = group(c, "sgd", n, 12);
        let mut w = data(n, 6, -1.0, 1.0);
        let gr = data(n, 7, -1.0, 1.0);
        let eta = 1e-3;
        g.bench_function("fused", |b| {
            b.iter(|| update::sgd(black_box(&mut w), &gr, eta))
        });
        if let Some(level) = second_level() {
            g.bench_function(format!("fused_{}", level.name()), |b| {
                b.iter(|| update::sgd_at(level, black_box(&mut w), &gr, eta))
            });
        }
        g.bench_function("scalar", |b| {
            b.iter(|| upd_ref::sgd(black_box(&mut w), &gr, eta))
        });
        let mut wa = Array1::from(data(n, 6, -1.0, 1.0));
        let ga = Array1::from(gr.clone());
        g.bench_function("ndarray", |b| {
            b.iter(|| {
                wa -= &(&ga * eta);
                black_box(&mut wa);
            })
        });
        g.finish();
    }
}

fn bench_rbp(c: &mut Criterion) {
    for n in SIZES {
        let mut g = group(c, "rbp", n, 20);
        let step = RbpStep {
            eta: 1e-3,
            key: CoinKey::new(1, 2),
            threshold: threshold(0.5),
            keep_used: true,
        };
        let mut w = data(n, 8, -1.0, 1.0);
        let gr = data(n, 9, -1e-3, 1e-3);
        let mut p = data(n, 10, -1e-3, 1e-3);
        g.bench_function("fused", |b| {
            b.iter(|| update::rbp(black_box(&mut w), &gr, &mut p, step))
        });
        if let Some(level) = second_level() {
            g.bench_function(format!("fused_{}", level.name()), |b| {
                b.iter(|| update::rbp_at(level, black_box(&mut w), &gr, &mut p, step))
            });
        }
        g.bench_function("scalar", |b| {
            b.iter(|| upd_ref::rbp(black_box(&mut w), &gr, &mut p, step))
        });
        let mut wa = Array1::from(data(n, 8, -1.0, 1.0));
        let ga = Array1::from(gr.clone());
        let mut pa = Array1::from(data(n, 10, -1e-3, 1e-3));
        g.bench_function("ndarray", |b| {
            b.iter(|| {
                let mask = Array1::from_shape_fn(n, |i| {
                    if coin(step.key, step.threshold, i as u32) {
                        1.0f32
                    } else {
                        0.0
                    }
                });
                let g_used = &ga + &(&mask * &pa);
                wa -= &(&g_used * step.eta);
                pa.assign(&g_used);
                black_box((&mut wa, &mut pa));
            })
        });
        g.finish();
    }
}

fn bench_adam(c: &mut Criterion) {
    for n in SIZES {
        let mut g = group(c, "adam", n, 28);
        let (beta1, beta2) = (0.9f32, 0.999f32);
        let step = AdamStep {
            lr: 1e-3,
            beta1,
            beta2,
            eps: 1e-8,
            bias1: 1.0 - beta1.powi(10),
            bias2: 1.0 - beta2.powi(10),
        };
        let mut w = data(n, 11, -1.0, 1.0);
        let gr = data(n, 12, -1.0, 1.0);
        let mut m = data(n, 13, -0.1, 0.1);
        let mut v = data(n, 14, 0.0, 0.01);
        g.bench_function("fused", |b| {
            b.iter(|| update::adam(black_box(&mut w), &gr, &mut m, &mut v, step))
        });
        if let Some(level) = second_level() {
            g.bench_function(format!("fused_{}", level.name()), |b| {
                b.iter(|| update::adam_at(level, black_box(&mut w), &gr, &mut m, &mut v, step))
            });
        }
        g.bench_function("scalar", |b| {
            b.iter(|| upd_ref::adam(black_box(&mut w), &gr, &mut m, &mut v, step))
        });
        let mut wa = Array1::from(data(n, 11, -1.0, 1.0));
        let ga = Array1::from(gr.clone());
        let mut ma = Array1::from(data(n, 13, -0.1, 0.1));
        let mut va = Array1::from(data(n, 14, 0.0, 0.01));
        g.bench_function("ndarray", |b| {
            b.iter(|| {
                let m_new = &ma * beta1 + &ga * (1.0 - beta1);
                ma.assign(&m_new);
                let v_new = &va * beta2 + &(&ga * &ga) * (1.0 - beta2);
                va.assign(&v_new);
                let m_hat = &ma / step.bias1;
                let v_hat = &va / step.bias2;
                let upd = m_hat * step.lr / (v_hat.mapv(f32::sqrt) + step.eps);
                wa -= &upd;
                black_box((&mut wa, &mut ma, &mut va));
            })
        });
        g.finish();
    }
}

fn bench_heavy_ball(c: &mut Criterion) {
    for n in SIZES {
        let mut g = group(c, "heavy_ball", n, 20);
        let step = HeavyBallStep { eta: 1e-3, mu: 0.9 };
        let mut w = data(n, 15, -1.0, 1.0);
        let gr = data(n, 16, -1e-3, 1e-3);
        let mut v = data(n, 17, -1e-3, 1e-3);
        g.bench_function("fused", |b| {
            b.iter(|| control::heavy_ball(black_box(&mut w), &gr, &mut v, step))
        });
        if let Some(level) = second_level() {
            g.bench_function(format!("fused_{}", level.name()), |b| {
                b.iter(|| control::heavy_ball_at(level, black_box(&mut w), &gr, &mut v, step))
            });
        }
        g.bench_function("scalar", |b| {
            b.iter(|| ctl_ref::heavy_ball(black_box(&mut w), &gr, &mut v, step))
        });
        let mut wa = Array1::from(data(n, 15, -1.0, 1.0));
        let ga = Array1::from(gr.clone());
        let mut va = Array1::from(data(n, 17, -1e-3, 1e-3));
        g.bench_function("ndarray", |b| {
            b.iter(|| {
                let v_new = &va * step.mu + &ga;
                va.assign(&v_new);
                wa -= &(&va * step.eta);
                black_box((&mut wa, &mut va));
            })
        });
        g.finish();
    }
}

/// No naive ndarray row: it would be the R-BackProp one with a second coin.
fn bench_random_sign(c: &mut Criterion) {
    for n in SIZES {
        let mut g = group(c, "random_sign", n, 20);
        let step = RandomSignStep {
            eta: 1e-3,
            key: CoinKey::new(1, 2),
            sign_key: control::sign_key(1, 2),
            threshold: threshold(0.5),
            accumulate: false,
        };
        let mut w = data(n, 18, -1.0, 1.0);
        let gr = data(n, 19, -1e-3, 1e-3);
        let mut p = data(n, 20, -1e-3, 1e-3);
        g.bench_function("fused", |b| {
            b.iter(|| control::random_sign_chunk(black_box(&mut w), &gr, &mut p, step, 0))
        });
        if let Some(level) = second_level() {
            g.bench_function(format!("fused_{}", level.name()), |b| {
                b.iter(|| {
                    control::random_sign_chunk_at(level, black_box(&mut w), &gr, &mut p, step, 0)
                })
            });
        }
        g.bench_function("scalar", |b| {
            b.iter(|| ctl_ref::random_sign_chunk(black_box(&mut w), &gr, &mut p, step, 0))
        });
        g.finish();
    }
}

fn config() -> Criterion {
    // Short runs keep the whole suite (62 benchmarks with two SIMD levels) to a few minutes.
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1200))
        .sample_size(10)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_sigmoid, bench_sigmoid_backward, bench_output_error, bench_sgd, bench_rbp, bench_adam,
        bench_heavy_ball, bench_random_sign
}
criterion_main!(benches);
