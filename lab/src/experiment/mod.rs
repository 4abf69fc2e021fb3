//! The studies: each plans a list of runs (`crate::run::RunSpec`), hands it to the runner and
//! summarises the results — `toy`/`mnist` ([`grid`]), [`reproduce`], [`sweep`], [`landscape`] —
//! plus [`bench`](mod@bench), which times steps instead of training runs. The settings shared by the
//! grids ([`Settings`]) and the paper's protocol numbers ([`protocol`]) live here.

pub mod bench;
pub mod grid;
pub mod image_data;
pub mod landscape;
pub mod mnist;
pub mod output;
pub mod reproduce;
pub mod spec_error;
pub mod stored;
pub mod sweep;
pub mod toy;
pub mod tune;

pub use grid::{GridCommand, GridError};
pub use rbp_core::train::RunResult;

use rbp_core::init::Init;
use rbp_core::memory::{self, Bytes, MemoryError};
use rbp_core::net::Arch;
use rbp_core::optim::{ConfigError, Hyper, OptimizerKind};
use rbp_core::train::RunFootprint;
use serde::{Deserialize, Serialize};

/// The paper's protocols (Sec. II-III and Fig. 5): the defaults of the experiments.
pub mod protocol {
    /// Examples per mini-batch.
    pub const BATCH: usize = 100;
    /// Epochs per run.
    pub const EPOCHS: usize = 100;
    /// The toy task's network.
    pub const TOY_ARCH: &str = "100-400-200-10";
    /// The toy task's `M` (training and test examples).
    pub const TOY_TRAIN_SIZE: usize = 1000;
    /// Seeds averaged in the toy figures.
    pub const TOY_SEEDS: u64 = 10;
    /// The MNIST network.
    pub const MNIST_ARCH: &str = "784-100-200-10";
    /// Training images per MNIST run.
    pub const MNIST_TRAIN_SIZE: usize = 1000;
    /// Test images per MNIST run.
    pub const MNIST_TEST_SIZE: usize = 1000;
    /// MNIST runs per optimizer.
    pub const MNIST_SEEDS: u64 = 5;
}

/// Settings shared by every experiment. Defaults are the paper's ([`Settings::paper`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    /// Layer widths, input first.
    pub arch: Arch,
    /// Examples per mini-batch.
    pub batch: usize,
    /// Epochs per run.
    pub epochs: usize,
    /// Weight initialization.
    pub init: Init,
    /// Every hyper-parameter of the optimizers.
    pub hyper: Hyper,
    /// The optimizers compared, each on every seed.
    pub optimizers: Vec<OptimizerKind>,
    /// Run seeds.
    pub seeds: Vec<u64>,
    /// Independent runs trained at the same time (each with single-threaded BLAS when > 1).
    /// Results do not depend on it.
    #[serde(skip, default = "one")]
    pub workers: usize,
    /// BLAS threads when runs are not parallel. Results do not depend on it.
    #[serde(skip, default = "one")]
    pub blas_threads: usize,
}

fn one() -> usize {
    1
}

/// Why an experiment's settings were rejected before any work. `parameter` is the field path
/// (`batch`, `hyper.rbp.gamma0`, `train_size`, ...); a front end maps it to its own names.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{parameter}: {why}")]
pub struct SettingsError {
    /// The offending parameter.
    pub parameter: String,
    /// What is wrong.
    pub why: String,
}

impl SettingsError {
    /// An error about `parameter`.
    pub fn new(parameter: &str, why: impl Into<String>) -> SettingsError {
        SettingsError {
            parameter: parameter.to_string(),
            why: why.into(),
        }
    }
}

impl From<ConfigError> for SettingsError {
    fn from(e: ConfigError) -> SettingsError {
        SettingsError::new(
            &format!("hyper.{}", e.parameter),
            format!("{} (got {})", e.why, e.value),
        )
    }
}

impl Settings {
    /// The paper's protocol on `arch` with `seeds` seeds and its three optimizers.
    pub fn paper(arch: Arch, seeds: u64) -> Settings {
        Settings {
            arch,
            batch: protocol::BATCH,
            epochs: protocol::EPOCHS,
            init: Init::Lecun,
            hyper: Hyper::default(),
            optimizers: OptimizerKind::PAPER.to_vec(),
            seeds: (0..seeds).collect(),
            workers: 1,
            blas_threads: 1,
        }
    }

    /// The settings in one line for a command's header: `batch 100, 100 epochs, 10 seed(s),
    /// optimizers sgd,rbp,adam, init lecun, reinforce accumulated, lr clock iteration`.
    pub fn describe(&self) -> String {
        let optimizers: Vec<&str> = self.optimizers.iter().map(|o| o.name()).collect();
        format!(
            "batch {}, {} epochs, {} seed(s), optimizers {}, init {}, reinforce {}, lr clock {}",
            self.batch,
            self.epochs,
            self.seeds.len(),
            optimizers.join(","),
            self.init,
            self.hyper.rbp.reinforce,
            self.hyper.lr_clock
        )
    }

    /// Checks everything that does not depend on the data, before any work.
    pub fn validate(&self, train_size: usize) -> Result<(), SettingsError> {
        self.hyper.validate()?;
        if self.batch == 0 {
            return Err(SettingsError::new(
                "batch",
                "a mini-batch needs at least one example",
            ));
        }
        if self.batch > train_size {
            return Err(SettingsError::new(
                "batch",
                format!(
                    "{} is larger than the training set ({train_size} examples)",
                    self.batch
                ),
            ));
        }
        if self.epochs == 0 {
            return Err(SettingsError::new("epochs", "must be at least 1"));
        }
        if self.seeds.is_empty() {
            return Err(SettingsError::new(
                "seeds",
                "no seeds to run: give at least 1",
            ));
        }
        if self.optimizers.is_empty() {
            return Err(SettingsError::new(
                "optimizers",
                "no optimizer selected: give sgd, rbp, adam or a subset",
            ));
        }
        if self.workers == 0 {
            return Err(SettingsError::new("workers", "must be at least 1"));
        }
        Ok(())
    }

    /// Refuses the grid when it cannot fit in memory: per parallel run its weights, gradients,
    /// optimizer state, work buffers and `data_per_run` bytes of examples, plus `shared_data`
    /// bytes loaded once for all runs.
    pub fn check_memory(
        &self,
        what: &str,
        data_per_run: u128,
        shared_data: u128,
    ) -> Result<(), MemoryError> {
        let runs = (self.seeds.len() * self.optimizers.len()).max(1);
        let parallel = self.workers.clamp(1, runs) as u128;
        let biggest = self
            .optimizers
            .iter()
            .map(|&k| RunFootprint::new(&self.arch, k, self.batch))
            .max_by_key(RunFootprint::total)
            .unwrap_or_else(|| RunFootprint::new(&self.arch, OptimizerKind::Sgd, self.batch));
        let runs_bytes = parallel * biggest.total();
        let data_bytes = parallel * data_per_run + shared_data;
        let needed = runs_bytes + data_bytes;
        let breakdown = format!(
            "{parallel} run(s) at once x {} (weights and gradients {}, optimizer state {}, \
             work buffers {}), data {}",
            Bytes(biggest.total()),
            Bytes(biggest.weights),
            Bytes(biggest.optimizer),
            Bytes(biggest.workspaces),
            Bytes(data_bytes)
        );
        memory::check_fits(what, needed, breakdown)
    }
}

/// A `toy` or `mnist` command's whole configuration: what a checkpoint stores so `rbp resume`
/// can rebuild the command.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "experiment", rename_all = "lowercase")]
pub enum Experiment {
    /// `rbp toy`.
    Toy(toy::ToyConfig),
    /// `rbp mnist`.
    Mnist(mnist::MnistConfig),
}

impl Experiment {
    /// The command's name.
    pub fn name(&self) -> &'static str {
        match self {
            Experiment::Toy(_) => "toy",
            Experiment::Mnist(_) => "mnist",
        }
    }
    /// Its settings.
    pub fn settings(&self) -> &Settings {
        match self {
            Experiment::Toy(c) => &c.settings,
            Experiment::Mnist(c) => &c.settings,
        }
    }
    /// Its settings, to change what does not affect results (workers, BLAS threads).
    pub fn settings_mut(&mut self) -> &mut Settings {
        match self {
            Experiment::Toy(c) => &mut c.settings,
            Experiment::Mnist(c) => &mut c.settings,
        }
    }
    /// The text a checkpoint stores.
    pub fn to_checkpoint_text(&self) -> String {
        serde_json::to_string_pretty(self).expect("the settings serialize")
    }
    /// Reads what [`Experiment::to_checkpoint_text`] wrote.
    pub fn from_checkpoint_text(text: &str) -> Result<Experiment, String> {
        serde_json::from_str(text).map_err(|e| format!("its settings cannot be read: {e}"))
    }
}
