//! `rbp`: reinforced backpropagation (Huang & Toyoizumi, 2017) and its baselines, on sigmoid MLPs.
//!
//! Data flows one way: the CLI calls an experiment, which draws data, trains networks
//! ([`train`]) whose layers ([`net`]) call GEMM ([`gemm`]) and the fused elementwise kernels of
//! the `rbp-kernels` crate, updates them with an optimizer ([`optim`]), and reports.

pub mod alloc_count;
pub mod data;
pub mod experiment;
pub mod gemm;
pub mod init;
pub mod net;
pub mod optim;
pub mod progress;
pub mod report;
pub mod seed;
pub mod train;
