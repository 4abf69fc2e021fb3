//! `rbp-lab`: the studies built on `rbp-core` (the toy task, MNIST, every figure of the paper,
//! sweeps, the loss landscape, benchmarks), the one run pipeline they share ([`run`]: spec ->
//! runner -> store), statistics, reports and plots. The image files come from `rbp-datasets`.
//! Arrows go studies -> run -> core; `run`, `stats` and `report` import no study.

pub mod alloc_count;
pub mod atomic;
pub mod environment;
pub mod experiment;
pub mod paper;
pub mod progress;
pub mod report;
pub mod run;
pub mod stats;
