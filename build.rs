//! Chooses the GEMM backend at build time.
//!
//! System OpenBLAS is found with pkg-config (Debian: `libopenblas-dev`); when found we link it and
//! set `cfg(rbp_openblas)`, so `src/gemm.rs` calls `cblas_sgemm` directly. When it is missing, or when
//! `RBP_NO_BLAS=1` forces it, the pure-Rust `matrixmultiply` crate is used instead, so a fresh
//! machine without OpenBLAS still builds, runs and passes the tests.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(rbp_openblas)");
    println!("cargo::rerun-if-env-changed=RBP_NO_BLAS");
    // Relative to the package whose build script this is (core/): a path that does not exist
    // leaves the fingerprint stale, and every cargo command rebuilds rbp-core and all above it.
    println!("cargo::rerun-if-changed=../build.rs");

    if std::env::var("RBP_NO_BLAS").is_ok_and(|v| !v.is_empty() && v != "0") {
        println!("cargo::warning=RBP_NO_BLAS is set: using the matrixmultiply GEMM fallback");
        return;
    }
    match pkg_config::Config::new().probe("openblas") {
        Ok(lib) => {
            // pkg_config already emitted the link-search and link-lib lines.
            println!("cargo::rustc-cfg=rbp_openblas");
            println!("cargo::rustc-env=RBP_OPENBLAS_PKG_VERSION={}", lib.version);
        }
        Err(err) => {
            let first_line = err.to_string();
            let first_line = first_line.lines().next().unwrap_or_default();
            println!(
                "cargo::warning=OpenBLAS not found by pkg-config ({first_line}); using the slower \
                 matrixmultiply GEMM fallback. Install libopenblas-dev and pkg-config, then \
                 `touch build.rs`, to use OpenBLAS."
            );
        }
    }
}
