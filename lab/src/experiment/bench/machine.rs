//! What machine a benchmark ran on, so figures from different CPUs are never read as one.

use rbp_core::gemm;
use serde::Serialize;

/// The CPU, the instruction set the kernels run at and the GEMM backend.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    /// The CPU's model name, vendor, family and model (`/proc/cpuinfo`), or `unknown`.
    pub cpu: String,
    /// The kernels' SIMD level: `v4`, `v3` or `scalar`.
    pub kernels: &'static str,
    /// What that level means: `x86-64-v4 (AVX-512)`, ...
    pub isa: &'static str,
    /// The GEMM backend and its core (`OpenBLAS 0.3.21 (core SkylakeX)`, `matrixmultiply`).
    pub gemm: String,
    /// BLAS threads per product.
    pub blas_threads: usize,
}

impl Machine {
    /// This machine, as the process sees it now (after the BLAS was configured).
    pub fn this() -> Machine {
        let kernels = rbp_core::kernel_level();
        Machine {
            cpu: cpu_model().unwrap_or_else(|| "unknown".into()),
            kernels,
            isa: match kernels {
                "v4" => "x86-64-v4 (AVX-512)",
                "v3" => "x86-64-v3 (AVX2 + FMA)",
                _ => "scalar (no AVX2)",
            },
            gemm: gemm::backend_name(),
            blas_threads: gemm::threads(),
        }
    }

    /// One line for the top of a report.
    pub fn line(&self) -> String {
        format!(
            "CPU: {}; kernels {} = {}; GEMM: {}, {} thread(s)",
            self.cpu, self.kernels, self.isa, self.gemm, self.blas_threads
        )
    }
}

/// `model name (vendor family F model M)` of the first CPU in `/proc/cpuinfo` (Linux only).
/// Virtual machines often show a generic model name; family and model still tell the
/// microarchitecture (Intel 6/143 and 6/207: Sapphire and Emerald Rapids; AMD 25/1: Zen 3).
fn cpu_model() -> Option<String> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    parse_cpuinfo(&text)
}

fn parse_cpuinfo(text: &str) -> Option<String> {
    let field = |key: &str| {
        text.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().to_string())
    };
    let name = field("model name")?;
    Some(
        match (field("vendor_id"), field("cpu family"), field("model")) {
            (Some(vendor), Some(family), Some(model)) => {
                format!("{name} ({vendor} family {family} model {model})")
            }
            _ => name,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpuinfo_gives_name_vendor_family_and_model() {
        let text = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\n\
                    model name\t: AMD EPYC 7B13\nflags\t\t: fpu avx2\n\nprocessor\t: 1\n\
                    model name\t: other\n";
        assert_eq!(
            parse_cpuinfo(text).unwrap(),
            "AMD EPYC 7B13 (AuthenticAMD family 25 model 1)"
        );
        assert_eq!(parse_cpuinfo("flags : avx2\n"), None);
        assert_eq!(parse_cpuinfo("model name : X\n").unwrap(), "X");
    }

    #[test]
    fn the_machine_names_its_kernel_level_and_backend() {
        let m = Machine::this();
        assert!(["v4", "v3", "scalar"].contains(&m.kernels));
        assert!(m.isa.starts_with("x86-64-v") || m.isa.starts_with("scalar"));
        assert!(!m.gemm.is_empty());
        assert!(m.line().contains(&m.gemm));
    }
}
