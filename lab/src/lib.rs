//! `rbp-lab`: the studies built on `rbp-core` (the toy task, MNIST, every figure of the paper,
//! sweeps, tuning, the loss landscape, benchmarks), the paper's claims, reports and plots. The
//! run pipeline they share ([`run`]: spec -> runner -> store) and the statistics ([`stats`]) are
//! crates of their own (`rbp-run`, `rbp-stats`), so they cannot import a study; the image files
//! come from `rbp-datasets`. Arrows go studies -> run -> core; `report` imports no study.

pub mod alloc_count;
pub mod environment;
pub mod experiment;
pub mod paper;
pub mod report;

/// The run pipeline crate, with its atomic files and progress bars, under the names the
/// studies use.
pub use rbp_run::{self as run, atomic, progress};
/// The statistics crate, under the name the studies use.
pub use rbp_stats as stats;
