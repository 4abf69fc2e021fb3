//! The GEMM backend (OpenBLAS or the fallback) and the always-built fallback against a naive
//! triple loop in f64, for every transpose combination over awkward shapes.

use rbp::gemm::{self, MatRef, Trans};

type Sgemm = fn(f32, MatRef, Trans, MatRef, Trans, f32, &mut [f32]);

/// The oracle mirrors the BLAS argument list on purpose.
#[allow(clippy::too_many_arguments)]
fn naive(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    ta: Trans,
    b: &[f32],
    tb: Trans,
    alpha: f32,
    beta: f32,
    c: &[f32],
) -> Vec<f64> {
    let at = |i: usize, p: usize| match ta {
        Trans::No => a[i * k + p],
        Trans::Yes => a[p * m + i],
    };
    let bt = |p: usize, j: usize| match tb {
        Trans::No => b[p * n + j],
        Trans::Yes => b[j * k + p],
    };
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            let dot: f64 = (0..k).map(|p| at(i, p) as f64 * bt(p, j) as f64).sum();
            out[i * n + j] = alpha as f64 * dot + beta as f64 * c[i * n + j] as f64;
        }
    }
    out
}

fn values(len: usize, salt: usize) -> Vec<f32> {
    (0..len)
        .map(|i| (((i * 7919 + salt * 104_729) % 1000) as f32 / 500.0) - 1.0)
        .collect()
}

#[test]
fn sgemm_matches_naive_product_for_all_transposes() {
    let shapes = [
        (1, 1, 1),
        (3, 5, 7),
        (17, 1, 33),
        (100, 10, 200),
        (64, 65, 63),
        (2, 129, 31),
    ];
    for &(m, n, k) in &shapes {
        for ta in [Trans::No, Trans::Yes] {
            for tb in [Trans::No, Trans::Yes] {
                let a = values(m * k, 1);
                let b = values(k * n, 2);
                let c0 = values(m * n, 3);
                let (ar, ac) = if ta == Trans::No { (m, k) } else { (k, m) };
                let (br, bc) = if tb == Trans::No { (k, n) } else { (n, k) };
                for (alpha, beta) in [(1.0f32, 0.0f32), (0.5, 1.0), (-2.0, 0.25)] {
                    let expected = naive(m, n, k, &a, ta, &b, tb, alpha, beta, &c0);
                    // f32 accumulation over k terms of magnitude <= 1: error <= k * 2^-24 * sum|terms|,
                    // so 1e-6 * k * (|alpha| + |beta|) plus a small absolute floor is a safe bound.
                    let tol = 1e-6 * (k as f64 + 1.0) * (alpha.abs() + beta.abs()) as f64 + 1e-6;
                    // The build's backend and the always-built fallback take the same arguments.
                    let entry_points: [(&str, Sgemm); 2] = [
                        ("backend", gemm::sgemm),
                        ("fallback", gemm::fallback::sgemm),
                    ];
                    for (which, sgemm) in entry_points {
                        let mut c = c0.clone();
                        let a = MatRef::new(&a, ar, ac);
                        sgemm(alpha, a, ta, MatRef::new(&b, br, bc), tb, beta, &mut c);
                        for i in 0..m * n {
                            assert!(
                                (c[i] as f64 - expected[i]).abs() <= tol,
                                "{which} ({}; {m}x{n}x{k}, {ta:?}, {tb:?}) element {i}: {} vs {}",
                                gemm::backend_name(),
                                c[i],
                                expected[i]
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn backend_reports_itself() {
    let name = gemm::backend_name();
    if gemm::HAS_OPENBLAS {
        assert!(name.starts_with("OpenBLAS 0."), "{name}");
    } else {
        assert!(name.contains("matrixmultiply"), "{name}");
    }
    gemm::set_threads(1);
    assert_eq!(gemm::threads(), 1);
}
