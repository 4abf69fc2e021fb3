//! Settings read from the environment before any command runs: the machine-level choices that
//! change how fast `rbp` is, never what it computes beyond rounding.

use anyhow::{Result, anyhow};

/// Applies `RBP_KERNELS` and `RBP_GEMM` when set; a value that names nothing, or something this
/// machine or build lacks, is an error that names the variable.
pub fn configure() -> Result<()> {
    if let Some(value) = var("RBP_KERNELS") {
        // Caps the elementwise kernels' instruction set: the AVX2 path can be measured on an
        // AVX-512 machine.
        let level = rbp_core::KernelLevel::from_name(&value).ok_or_else(|| {
            anyhow!("RBP_KERNELS={value}: expected `scalar`, `v3` (AVX2 + FMA) or `v4` (AVX-512)")
        })?;
        rbp_core::cap_kernel_level(level).map_err(|e| anyhow!("RBP_KERNELS={value}: {e}"))?;
    }
    if let Some(value) = var("RBP_GEMM") {
        use rbp_core::gemm::{self, Backend};
        let backend = Backend::from_name(&value)
            .ok_or_else(|| anyhow!("RBP_GEMM={value}: expected `openblas` or `matrixmultiply`"))?;
        gemm::choose(backend).map_err(|e| anyhow!("RBP_GEMM={value}: {e}"))?;
    }
    Ok(())
}

fn var(name: &str) -> Option<String> {
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}
