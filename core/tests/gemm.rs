//! The GEMM backend (OpenBLAS or the fallback) and the always-built fallback against a naive
//! triple loop in f64, for every transpose combination over awkward shapes, in f32 (`sgemm`)
//! and f64 (`dgemm`, the oracle's products).

use rbp_core::gemm::{self, MatRef, SgemmFn, ShapeError, Trans};

type Dgemm =
    fn(f64, MatRef<f64>, Trans, MatRef<f64>, Trans, f64, &mut [f64]) -> Result<(), ShapeError>;

/// The shapes every product test covers: single elements, odd sizes, the network's.
const SHAPES: [(usize, usize, usize); 6] = [
    (1, 1, 1),
    (3, 5, 7),
    (17, 1, 33),
    (100, 10, 200),
    (64, 65, 63),
    (2, 129, 31),
];

/// The oracle mirrors the BLAS argument list on purpose.
#[allow(clippy::too_many_arguments)]
fn naive<T: Copy + Into<f64>>(
    m: usize,
    n: usize,
    k: usize,
    a: &[T],
    ta: Trans,
    b: &[T],
    tb: Trans,
    alpha: T,
    beta: T,
    c: &[T],
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
            let dot: f64 = (0..k).map(|p| at(i, p).into() * bt(p, j).into()).sum();
            out[i * n + j] = alpha.into() * dot + beta.into() * c[i * n + j].into();
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
    for &(m, n, k) in &SHAPES {
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
                    let entry_points: [(&str, SgemmFn); 2] = [
                        ("backend", gemm::sgemm),
                        ("fallback", gemm::fallback::sgemm),
                    ];
                    for (which, sgemm) in entry_points {
                        let mut c = c0.clone();
                        let a = MatRef::new(&a, ar, ac).unwrap();
                        let b = MatRef::new(&b, br, bc).unwrap();
                        sgemm(alpha, a, ta, b, tb, beta, &mut c).unwrap();
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
fn dgemm_matches_naive_product_for_all_transposes() {
    for &(m, n, k) in &SHAPES {
        for ta in [Trans::No, Trans::Yes] {
            for tb in [Trans::No, Trans::Yes] {
                let wide = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<f64>>();
                let a = wide(values(m * k, 1));
                let b = wide(values(k * n, 2));
                let c0 = wide(values(m * n, 3));
                let (ar, ac) = if ta == Trans::No { (m, k) } else { (k, m) };
                let (br, bc) = if tb == Trans::No { (k, n) } else { (n, k) };
                for (alpha, beta) in [(1.0, 0.0), (0.5, 1.0), (-2.0, 0.25)] {
                    let expected = naive(m, n, k, &a, ta, &b, tb, alpha, beta, &c0);
                    // Both sides sum k products of magnitude <= 1 in f64, in different orders:
                    // they differ by at most about k * 2^-53 * sum|terms| < 1e-13 here. 1e-12 keeps
                    // that margin, and is 10^5 times below the f32 bound above, so an f64
                    // product that silently went through f32 would fail.
                    let tol = 1e-12 * (k as f64 + 1.0) * (alpha.abs() + beta.abs());
                    let entry_points: [(&str, Dgemm); 2] = [
                        ("backend", gemm::dgemm),
                        ("fallback", gemm::fallback::dgemm),
                    ];
                    for (which, dgemm) in entry_points {
                        let mut c = c0.clone();
                        let a = MatRef::new(&a, ar, ac).unwrap();
                        let b = MatRef::new(&b, br, bc).unwrap();
                        dgemm(alpha, a, ta, b, tb, beta, &mut c).unwrap();
                        for i in 0..m * n {
                            assert!(
                                (c[i] - expected[i]).abs() <= tol,
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

/// Safe code cannot describe more data than a slice holds: every bad shape is an error, and a
/// refused product writes nothing.
#[test]
fn every_bad_shape_is_an_error_not_an_out_of_bounds_access() {
    let data = vec![1.0f32; 12];
    // A view whose shape does not match its buffer, in every way.
    for (rows, cols) in [
        (3, 5),
        (5, 3),
        (2, 5),
        (13, 1),
        (0, 1),
        (1, 0),
        (usize::MAX, 2),
    ] {
        assert_eq!(
            MatRef::new(&data, rows, cols).unwrap_err(),
            ShapeError::Length {
                rows,
                cols,
                len: 12
            },
            "{rows} x {cols}"
        );
    }
    assert!(MatRef::new(&data, 3, 4).is_ok());
    assert!(MatRef::<f32>::new(&[], 0, 7).is_ok());

    let a = MatRef::new(&data, 3, 4).unwrap();
    let b = MatRef::new(&data, 4, 3).unwrap();
    let b_wrong = MatRef::new(&data, 6, 2).unwrap();
    let entry_points: [SgemmFn; 2] = [gemm::sgemm, gemm::fallback::sgemm];
    for sgemm in entry_points {
        // Inner dimensions that differ, with each transpose.
        let mut c = vec![7.0f32; 9];
        let err = sgemm(1.0, a, Trans::No, b_wrong, Trans::No, 0.0, &mut c).unwrap_err();
        assert_eq!(err, ShapeError::Inner { left: 4, right: 6 });
        let err = sgemm(1.0, a, Trans::Yes, b_wrong, Trans::Yes, 0.0, &mut c).unwrap_err();
        assert_eq!(err, ShapeError::Inner { left: 3, right: 2 });
        // Transposed shapes that fit each other but not the output.
        let err = sgemm(1.0, a, Trans::Yes, b, Trans::Yes, 0.0, &mut c).unwrap_err();
        assert_eq!(err, ShapeError::Output { m: 4, n: 4, len: 9 });
        // An output buffer too small, too large, or empty.
        for len in [8, 10, 0] {
            let mut c = vec![7.0f32; len];
            let err = sgemm(1.0, a, Trans::No, b, Trans::No, 0.0, &mut c).unwrap_err();
            assert_eq!(err, ShapeError::Output { m: 3, n: 3, len });
            assert!(c.iter().all(|&x| x == 7.0), "a refused product wrote");
        }
        // The right shapes work.
        let mut c = vec![0.0f32; 9];
        sgemm(1.0, a, Trans::No, b, Trans::No, 0.0, &mut c).unwrap();
        assert!(c.iter().all(|&x| x == 4.0));
    }
}

/// Dimensions beyond the BLAS integer range are refused before BLAS sees them.
#[test]
fn dimensions_beyond_the_blas_range_are_refused() {
    let big = i32::MAX as usize + 1;
    let empty: [f32; 0] = [];
    // A 0 x big view is legal (no data); a product with it as the inner dimension is refused.
    let a = MatRef::new(&empty, 0, big).unwrap();
    let b = MatRef::new(&empty, big, 0).unwrap();
    let mut c: [f32; 0] = [];
    assert_eq!(
        gemm::sgemm(1.0, a, Trans::No, b, Trans::No, 0.0, &mut c),
        Err(ShapeError::TooLarge(big))
    );
}

/// `dgemm` goes through the same checks as `sgemm` (one generic `Product::checked`): a bad shape
/// is an error from both entry points and nothing is written.
#[test]
fn dgemm_refuses_bad_shapes() {
    let data = vec![1.0f64; 12];
    let a = MatRef::new(&data, 3, 4).unwrap();
    let b_wrong = MatRef::new(&data, 6, 2).unwrap();
    assert!(MatRef::new(&data, 5, 3).is_err());
    let entry_points: [Dgemm; 2] = [gemm::dgemm, gemm::fallback::dgemm];
    for dgemm in entry_points {
        let mut c = vec![7.0f64; 6];
        let err = dgemm(1.0, a, Trans::No, b_wrong, Trans::No, 0.0, &mut c).unwrap_err();
        assert_eq!(err, ShapeError::Inner { left: 4, right: 6 });
        let err = dgemm(1.0, a, Trans::Yes, b_wrong, Trans::Yes, 0.0, &mut c).unwrap_err();
        assert_eq!(err, ShapeError::Inner { left: 3, right: 2 });
        assert!(c.iter().all(|&x| x == 7.0), "a refused product wrote");
    }
}
