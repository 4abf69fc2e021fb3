//! `rbp-core`: the training core of `rbp`, reinforced backpropagation (Huang & Toyoizumi, 2017)
//! and its baselines on fully connected sigmoid networks.
//!
//! The network ([`net`]) has a sigmoid on every layer, no biases and the quadratic loss
//! `E = 1/2 |y* - y|^2`; its weights live in one flat buffer, so an optimizer ([`optim`]) updates
//! all of them with one fused kernel call. A [`train::Run`] trains epochs of shuffled mini-batches
//! and measures the errors; it can be saved at any epoch ([`train::Run::snapshot`],
//! [`checkpoint`]) and continued with exactly the numbers of an uninterrupted run.
//!
//! Train a small network on the paper's teacher-student task with R-BackProp:
//!
//! ```
//! use rbp_core::data::teacher;
//! use rbp_core::init::{initial_params, Init};
//! use rbp_core::net::Layout;
//! use rbp_core::optim::{Hyper, Optimizer, OptimizerKind};
//! use rbp_core::seed::{self, Stream};
//! use rbp_core::train::{train, Recording, Schedule};
//!
//! let layout = Layout::new("20-40-10-4".parse()?)?;
//! let seed = 0;
//! let data = teacher::teacher_student(20, 4, 200, seed)?; // 200 training, 200 test examples
//! let params = initial_params(&layout, Init::Lecun, seed)?;
//! let coin = seed::stream_seed(seed, Stream::Coin);
//! let opt = Optimizer::new(OptimizerKind::Rbp, &Hyper::default(), layout.param_count(), coin)?;
//! let schedule = Schedule { batch: 20, epochs: 10, record: Recording::EveryEpoch };
//! let order = seed::rng(seed, Stream::Order);
//! let records = train(&layout, params, &data, opt, schedule, order, &mut |_| {})?;
//! let (first, last) = (records[0], records[10]);
//! assert!(last.train_error < first.train_error);
//! println!("test error {:.4} -> {:.4}", first.test_error, last.test_error);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! This crate knows nothing of command lines, progress bars, plots or report formats: the
//! experiments, reports and data downloads are the `rbp-lab` crate's, the `rbp` binary is its
//! command line.
#![warn(missing_docs)]

pub mod checkpoint;
pub mod curvature;
pub mod data;
pub mod file;
pub mod gemm;
pub mod init;
pub mod memory;
pub mod named;
pub mod net;
pub mod optim;
pub mod oracle;
pub mod phase;
pub mod seed;
pub mod train;

/// The SIMD level the elementwise kernels run at (`v4`, `v3` or `scalar`): the best this CPU
/// has, unless [`cap_kernel_level`] lowered it.
pub fn kernel_level() -> &'static str {
    rbp_kernels::Level::best().name()
}

pub use rbp_kernels::{Level as KernelLevel, Unsupported as UnsupportedKernelLevel};

/// Runs every elementwise kernel at `level` at most from now on (process-wide): to measure or
/// check the AVX2 or scalar paths on a CPU with AVX-512.
pub fn cap_kernel_level(level: KernelLevel) -> Result<(), UnsupportedKernelLevel> {
    rbp_kernels::cap_level(level)
}
