//! The run pipeline every study goes through: a study plans a list of [`RunSpec`]s, the
//! [`runner`] trains them on a bounded pool (reading what the [`store`] already holds, saving
//! results, mid-run states and kept weights there), and the study summarises the results.
//!
//! Nothing here knows any study: the arrows go studies -> run -> core.

pub mod data;
pub mod images;
pub mod pool;
pub mod result;
pub mod runner;
pub mod spec;
pub mod store;
pub mod task;

pub use data::{RunData, RunDataError};
pub use result::{Status, StoredRun};
pub use runner::{
    ExecuteError, Executed, Hooks, Keep, Kept, Mode, Observer, Shard, Silent, Tally, execute,
};
pub use spec::RunSpec;
pub use store::{RunStore, StoreError};
pub use task::{Pool, Task, TestSize};
