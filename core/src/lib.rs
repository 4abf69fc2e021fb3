//! `rbp-core`: the training core of `rbp`, reinforced backpropagation (Huang & Toyoizumi, 2017)
//! and its baselines on fully connected sigmoid networks.

pub mod checkpoint;
pub mod curvature;
pub mod data;
pub mod gemm;
pub mod init;
pub mod memory;
pub mod net;
pub mod optim;
pub mod seed;
pub mod train;

/// The SIMD level the elementwise kernels run at on this CPU (`v4`, `v3` or `scalar`).
pub fn kernel_level() -> &'static str {
    rbp_kernels::Level::best().name()
}
