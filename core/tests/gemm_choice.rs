//! Choosing the GEMM backend at run time (its own test binary: the choice is process-wide).

use rbp_core::gemm::{self, Backend, MatRef, SgemmFn, Trans};

/// A 6x5 times (4x5)^T product through `sgemm`.
fn product(sgemm: SgemmFn) -> Vec<f32> {
    let a: Vec<f32> = (0..6 * 5).map(|i| (i as f32 * 0.7).sin()).collect();
    let b: Vec<f32> = (0..5 * 4).map(|i| (i as f32 * 1.3).cos()).collect();
    let a = MatRef::new(&a, 6, 5).unwrap();
    let b = MatRef::new(&b, 4, 5).unwrap();
    let mut c = vec![0.0f32; 24];
    sgemm(0.5, a, Trans::No, b, Trans::Yes, 0.0, &mut c).unwrap();
    c
}

#[test]
fn choosing_matrixmultiply_routes_every_product_through_it() {
    let default = if gemm::HAS_OPENBLAS {
        Backend::OpenBlas
    } else {
        Backend::MatrixMultiply
    };
    assert_eq!(gemm::chosen(), default);
    let through_default = product(gemm::sgemm);
    let available: Vec<Backend> = Backend::available().collect();
    if gemm::HAS_OPENBLAS {
        assert_eq!(available, [Backend::OpenBlas, Backend::MatrixMultiply]);
    } else {
        assert_eq!(available, [Backend::MatrixMultiply]);
        assert!(Backend::OpenBlas.sgemm().is_err());
    }
    if !gemm::HAS_OPENBLAS {
        let err = gemm::choose(Backend::OpenBlas).unwrap_err();
        assert!(err.to_string().contains("no OpenBLAS"));
        assert_eq!(gemm::chosen(), Backend::MatrixMultiply);
    }

    gemm::choose(Backend::MatrixMultiply).unwrap();
    assert_eq!(gemm::chosen(), Backend::MatrixMultiply);
    assert_eq!(gemm::backend_name(), "matrixmultiply");
    assert_eq!(gemm::threads(), 1);
    let chosen = product(gemm::sgemm);
    let direct = product(gemm::fallback::sgemm);
    assert_eq!(chosen, direct, "the same library, the same bits");
    // Each backend's own entry point ignores the choice: OpenBLAS's still gives OpenBLAS's bits.
    assert_eq!(product(Backend::MatrixMultiply.sgemm().unwrap()), direct);
    if let Ok(openblas) = Backend::OpenBlas.sgemm() {
        assert_eq!(product(openblas), through_default);
    }

    gemm::choose(default).unwrap();
    assert_eq!(gemm::chosen(), default);
}

#[test]
fn backends_are_named() {
    for b in Backend::ALL {
        assert_eq!(b.name().parse::<Backend>(), Ok(b));
    }
    let err = "mkl".parse::<Backend>().unwrap_err().to_string();
    assert!(
        err.contains("`mkl`") && err.contains("openblas, matrixmultiply"),
        "{err}"
    );
}
