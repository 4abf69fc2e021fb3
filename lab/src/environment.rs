//! Machine-level choices read from the environment: `RBP_KERNELS` caps the elementwise kernels'
//! instruction set, `RBP_GEMM` picks the GEMM backend. They change how fast `rbp` runs, and what
//! it computes only by rounding (both are recorded with every result). The `rbp` binary and the
//! criterion benches apply them before doing anything else.

use rbp_core::KernelLevel;
use rbp_core::gemm::{self, Backend};
use rbp_core::named::UnknownName;

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
    apply("RBP_KERNELS", |v| {
        let level = KernelLevel::from_name(v)
            .ok_or("expected `scalar`, `v3` (AVX2 + FMA) or `v4` (AVX-512)")?;
        rbp_core::cap_kernel_level(level).map_err(|e| e.to_string())
    })?;
    apply("RBP_GEMM", |v| {
        let backend: Backend = v.parse().map_err(|e: UnknownName| e.to_string())?;
        gemm::choose(backend).map_err(|e| e.to_string())
    })
}

/// Hands `variable`'s value, when it is set, to `set`, which reads and applies it; either
/// failure becomes an [`EnvError`] quoting the value.
fn apply(
    variable: &'static str,
    set: impl FnOnce(&str) -> Result<(), String>,
) -> Result<(), EnvError> {
    let Some(value) = std::env::var_os(variable) else {
        return Ok(());
    };
    let value = value.to_string_lossy().into_owned();
    set(&value).map_err(|why| EnvError {
        variable,
        value,
        why,
    })
}
