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
    if let Some(level) = parse("RBP_KERNELS", |v| {
        KernelLevel::from_name(v)
            .ok_or_else(|| "expected `scalar`, `v3` (AVX2 + FMA) or `v4` (AVX-512)".to_string())
    })? {
        rbp_core::cap_kernel_level(level).map_err(|e| error("RBP_KERNELS", e))?;
    }
    if let Some(backend) = parse("RBP_GEMM", |v| {
        v.parse::<Backend>().map_err(|e| e.to_string())
    })? {
        gemm::choose(backend).map_err(|e| error("RBP_GEMM", e))?;
    }
    Ok(())
}

/// The value of `variable` read by `from`, `None` when it is not set.
fn parse<T>(
    variable: &'static str,
    from: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, EnvError> {
    let Some(value) = std::env::var_os(variable) else {
        return Ok(None);
    };
    let value = value.to_string_lossy().into_owned();
    from(&value).map(Some).map_err(|why| EnvError {
        variable,
        value,
        why,
    })
}

/// `variable`'s (valid) value is something this machine or build lacks.
fn error(variable: &'static str, why: impl ToString) -> EnvError {
    EnvError {
        variable,
        value: std::env::var(variable).unwrap_or_default(),
        why: why.to_string(),
    }
}
