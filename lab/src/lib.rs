//! `rbp-lab`: the experiments built on `rbp-core` (the toy task, MNIST, every figure of the paper,
//! benchmarks), their reports and plots, and the MNIST files (parsing, locating, downloading).

pub mod alloc_count;
pub mod atomic;
pub mod data;
pub mod environment;
pub mod experiment;
pub mod paper;
pub mod progress;
pub mod report;
pub mod run;
pub mod stats;
pub mod test_support;
