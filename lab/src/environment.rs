//! Machine-level choices read from the environment: `RBP_KERNELS` caps the elementwise kernels'
//! instruction set, `RBP_GEMM` picks the GEMM backend. They change how fast `rbp` runs, and what
//! it computes only by rounding (both are recorded with every result). The `rbp` binary and the
//! criterion benches apply them before doing anything else.

use rbp_core::KernelLevel;
use rbp_core::gemm::{self, Backend};

/// An environment variable whose value names nothing, or something this machine or build lacks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}={value}: {why}")]
pub struct EnvError {
    pub variable: &'static str,
    pub value: String,
    pub why: String,
}

/// Applies `RBP_KERNELS` and `RBP_GEMM` when they are set.
pub fn configure() -> Result<(), EnvError> {
    if let Some(value) = var("RBP_KERNELS") {
        let error = |why: String| EnvError {
            variable: "RBP_KERNELS",
            value: value.clone(),
            why,
        };
        let level = KernelLevel::from_name(&value).ok_or_else(|| {
            error("expected `scalar`, `v3` (AVX2 + FMA) or `v4` (AVX-512)".into())
        })?;
        rbp_core::cap_kernel_level(level).map_err(|e| error(e.to_string()))?;
    }
    if let Some(value) = var("RBP_GEMM") {
        let error = |why: String| EnvError {
            variable: "RBP_GEMM",
            value: value.clone(),
            why,
        };
        let backend = Backend::from_name(&value)
            .ok_or_else(|| error("expected `openblas` or `matrixmultiply`".into()))?;
        gemm::choose(backend).map_err(|e| error(e.to_string()))?;
    }
    Ok(())
}

fn var(name: &str) -> Option<String> {
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}
