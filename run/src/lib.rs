//! `rbp-run`: the run pipeline every study goes through: a study plans a list of [`RunSpec`]s, the
//! [`runner`] trains them on a bounded pool (reading what the [`store`] already holds, saving
//! results, mid-run states and kept weights there), and the study summarises the results.
//!
//! Nothing here knows any study (the studies live in `rbp-lab`, which this crate cannot name):
//! the arrows go studies -> run -> core. Beside the pipeline: [`atomic`] files (results and
//! summaries are written whole or not at all) and the [`progress`] bars of long work.

pub mod atomic;
pub mod data;
pub mod images;
pub mod keep;
pub mod mode;
pub mod pool;
pub mod progress;
pub mod result;
pub mod runner;
pub mod spec;
pub mod store;
pub mod task;

pub use data::{RunData, RunDataError};

/// The most runs one study may plan. Each run has one result file, and all of them share one
/// directory (`DIR/runs`): a million entries is about where listing, globbing and copying such
/// a directory stops being practical (and FAT file systems stop at 65,534); the run list and
/// the results are held in memory too (about 1 KiB per run without curves). Larger studies are
/// several commands, each with its own `--out`.
pub const MAX_RUNS: u64 = 1_000_000;
pub use keep::{Keep, Kept};
pub use mode::{Mode, Shard};
pub use result::{Status, StoredRun};
pub use runner::{ExecuteError, Executed, Hooks, Observer, Silent, Tally, execute};
pub use spec::RunSpec;
pub use store::{RunStore, StoreError};
pub use task::{HeldOut, Pool, Task, TaskKind, TestSize};
