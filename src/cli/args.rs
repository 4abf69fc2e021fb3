//! The command line's arguments: every flag documented where it is defined.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use rbp_core::init::Init;
use rbp_core::net::Arch;
use rbp_core::optim::{AdamConfig, Hyper, LrClock, OptimizerKind, RbpConfig, Reinforce};
use rbp_core::oracle::Precision;
use rbp_datasets::mnist::{DataSpec, DatasetKind};
use rbp_lab::experiment::mnist::MnistConfig;
use rbp_lab::experiment::reproduce::{Reading, ReproduceConfig};
use rbp_lab::experiment::stored::Running;
use rbp_lab::experiment::sweep;
use rbp_lab::experiment::toy::ToyConfig;
use rbp_lab::experiment::{Experiment, GridCommand, Settings, protocol};
use rbp_lab::paper::protocol::SeedBlock;
use rbp_lab::report::files::OutDir;
use rbp_lab::run::{Pool, TestSize};
use std::io::IsTerminal;
use std::path::PathBuf;

/// The paper's hyper-parameters, the one source of every default below.
fn paper() -> Hyper {
    Hyper::default()
}

/// The flag that sets a library parameter, named by its field path (`batch`,
/// `hyper.rbp.gamma0`, `hyper.adam.lr_min`, ...): the library's errors name parameters, the
/// command line speaks of flags.
pub fn flag_for(parameter: &str) -> String {
    let p = parameter.strip_prefix("hyper.").unwrap_or(parameter);
    let p = p.strip_prefix("rbp.").unwrap_or(p);
    match p {
        "optimizers" => "--optimizer".into(),
        "workers" => "--jobs".into(),
        "readings" => "--reading".into(),
        _ => format!("--{}", p.replace(['.', '_'], "-")),
    }
}

/// Reinforced backpropagation (Huang & Toyoizumi, 2017) against BackProp and Adam.
#[derive(Parser)]
#[command(name = "rbp", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Teacher-student toy task (paper Sec. II, Fig. 2): sigmoid(W_g v) targets, Gaussian inputs.
    Toy(ToyArgs),
    /// MNIST (paper Fig. 5) or Fashion-MNIST: M training images per run, classification error.
    Mnist(MnistArgs),
    /// Every figure of the paper (Figs. 1-5) with REPORT.md checking each claim.
    Reproduce(ReproduceArgs),
    /// A grid of toy runs from SPEC.toml (cross product of settings x seeds): a summary table and
    /// CSV per cell, a plot against one swept axis; resumable, shardable like `reproduce`.
    Sweep(SweepArgs),
    /// Every optimizer at an equal tuning budget: quasi-random trials selected on validation,
    /// the selected settings rerun on fresh seeds and compared on test (TUNING.md); resumable,
    /// shardable like `sweep`.
    Tune(TuneArgs),
    /// Continue a `toy` or `mnist` run from its checkpoint (see --checkpoint-every); the results
    /// are the numbers an uninterrupted run would have given.
    Resume(ResumeArgs),
    /// Time a training step per architecture and optimizer (median step, GEMM share, update,
    /// optimizer state, allocations per step) and compare each optimizer with Adam.
    Bench(BenchArgs),
    /// Curvature and flatness of the solutions each optimizer finds: top Hessian eigenvalues,
    /// trace, spectral density, epsilon-sharpness and 1-D loss slices, against test error.
    Landscape(LandscapeArgs),
}

/// `rbp reproduce`: the paper's protocol by default, `--quick` for a smoke run of ~15 s.
#[derive(Args)]
pub struct ReproduceArgs {
    /// 3 seeds, 30 epochs, small M for Fig. 4: a smoke run of every figure, always on the
    /// development seeds.
    #[arg(long)]
    pub quick: bool,
    /// Which seeds: `confirm` (the protocol version's confirmation block, never run before the
    /// version was frozen; the default) or `dev` (seeds 0.., used by every earlier result; for
    /// exploring). Only the default run on `confirm` is labelled confirmatory.
    #[arg(long, value_name = "dev|confirm", value_parser = SeedBlock::parse)]
    pub seed_block: Option<SeedBlock>,
    /// Output directory (figures, CSVs, REPORT.md).
    #[arg(long, default_value = "reproduction")]
    pub out: PathBuf,
    /// Readings of what the paper leaves open: `all`, or a comma-separated choice of
    /// accumulated|raw (g_prev), iteration|epoch (lr clock), lecun|normal (init); unnamed parts keep
    /// the default (accumulated,iteration,lecun). Repeat the flag to run several [default: the
    /// protocol's primary, co-primary (raw) and init-sensitivity (normal) readings]. The primary
    /// reading is always the protocol's, whatever the order.
    #[arg(long)]
    pub reading: Vec<String>,
    /// Where Fig. 5 looks for MNIST (never downloaded here) [default: $RBP_DATA_DIR, else
    /// ~/.cache/rbp/mnist]; without the training images, the 10k test file is split (--pool test).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Seeds of every figure (Figs. 2-4 and MNIST's Fig. 5): 0..N-1 [default: 10 (toy) and 5
    /// (MNIST); --quick: 3 and 2]. More seeds shrink the smallest detectable effect in REPORT.md.
    #[arg(long, value_name = "N")]
    pub seeds: Option<u64>,
    /// Training-set sizes of Fig. 4, comma separated (the paper's: 500,1000,2000,4000,8000).
    #[arg(long, value_delimiter = ',')]
    pub fig4_sizes: Option<Vec<usize>>,
    /// Epochs per run instead of the protocol's (100, or 30 with --quick): for smoke tests.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Seeds of "What explains the gain" (R-BackProp vs its deterministic twin and the noise
    /// control; at most the figures' seeds, 0 leaves the section out) [default: 5, quick: 3].
    #[arg(long)]
    pub explain_seeds: Option<u64>,
    /// Replace result files that already exist in --out.
    #[arg(long)]
    pub overwrite: bool,
    #[command(flatten)]
    pub workers: WorkerArgs,
    #[command(flatten)]
    pub runs: RunStoreArgs,
}

/// `rbp sweep SPEC.toml`.
#[derive(Args)]
pub struct SweepArgs {
    /// The grid: lists of settings whose cross product is run on every seed (see the README).
    #[arg(value_parser = spec_file)]
    pub spec: PathBuf,
    /// Output directory (runs/, sweep.csv, SWEEP.md, the plot).
    #[arg(long, default_value = "sweep")]
    pub out: PathBuf,
    /// Print the run list and an estimate of its CPU time (from a short calibration); train
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace summary files that already exist in --out (result files are always reused).
    #[arg(long)]
    pub overwrite: bool,
    #[command(flatten)]
    pub workers: WorkerArgs,
    #[command(flatten)]
    pub runs: RunStoreArgs,
}

/// `rbp tune [SPEC.toml]`.
#[derive(Args)]
pub struct TuneArgs {
    /// The study: tasks, optimizers, search spaces, trials, budgets, seeds (see
    /// docs/tuning.md); without it, the default study.
    pub spec: Option<PathBuf>,
    /// A smoke study of a minute or two: the teacher task, 8 trials, 10 epochs.
    #[arg(long, conflicts_with = "spec")]
    pub quick: bool,
    /// Output directory (runs/, trials.csv, finals.csv, the plots, TUNING.md).
    #[arg(long, default_value = "tuning")]
    pub out: PathBuf,
    /// Print the trial runs, the count of final reruns and an estimate of the time (from a
    /// short calibration); train nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Where MNIST's files are (replaces the spec's `data.mnist_dir`) [default: $RBP_DATA_DIR,
    /// else ~/.cache/rbp/mnist]; downloaded only when the spec sets `data.download = true`.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// `train` or `test` (replaces the spec's `data.pool`): with `test`, image tasks split the
    /// 10k test file (when only the t10k files are at hand).
    #[arg(long)]
    pub pool: Option<Pool>,
    /// Replace summary files that already exist in --out (result files are always reused).
    #[arg(long)]
    pub overwrite: bool,
    #[command(flatten)]
    pub workers: WorkerArgs,
    #[command(flatten)]
    pub runs: RunStoreArgs,
}

/// A sweep spec's path, refused unless it names a regular file of at most
/// [`sweep::MAX_SPEC_BYTES`] (from its metadata: a FIFO is never opened, a device never read).
/// A missing file is left to the reader, which says so.
fn spec_file(path: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(path);
    match rbp_core::file::probe(&path) {
        Ok(Some(m)) if m.len() > sweep::MAX_SPEC_BYTES => Err(format!(
            "{} is {} bytes, larger than the {} bytes a sweep spec may have",
            path.display(),
            m.len(),
            sweep::MAX_SPEC_BYTES
        )),
        Ok(_) => Ok(path),
        Err(e) => Err(e.to_string()),
    }
}

impl ReproduceArgs {
    /// The reproduction these flags describe, how its runs go, and its output directory.
    pub fn config(&self) -> Result<(ReproduceConfig, rbp_lab::run::Mode, PathBuf)> {
        let readings = Reading::parse_all(&self.reading)?;
        let workers = self.workers.count()?;
        let mut config = if self.quick {
            ReproduceConfig::quick(readings, workers)
        } else {
            ReproduceConfig::paper(readings, workers)
        };
        match (self.quick, self.seed_block) {
            (true, Some(SeedBlock::Confirm)) => anyhow::bail!(
                "--seed-block confirm: --quick always runs the development seeds (a smoke run is \
                 never a verdict); drop one of the two"
            ),
            (false, Some(block)) => config.seed_block = block,
            _ => {}
        }
        if let Some(sizes) = &self.fig4_sizes {
            config.fig4_sizes = sizes.clone();
        }
        if let Some(epochs) = self.epochs {
            config.epochs = epochs;
        }
        if let Some(n) = self.seeds {
            config = config.with_seeds(n);
        }
        if let Some(n) = self.explain_seeds {
            config.explain_seeds = n;
        }
        let (running, out_dir) = self.runs.running(&self.out, workers)?;
        config.save_every = running.save_every;
        Ok((config, running.mode, out_dir))
    }
}

/// Sharing a sweep between processes or machines: every run's result goes to
/// `--out/runs/<id>.json` the moment it ends, and a run whose file is there is never trained
/// again, so a killed command continues where it stopped when given again.
#[derive(Args)]
pub struct RunStoreArgs {
    /// Train only the runs whose index in the run list is I modulo N (e.g. `--shard 0/4`), write
    /// their result files into --out and no report; then `--merge DIR` builds the report.
    #[arg(long, value_name = "I/N", conflicts_with = "merge")]
    pub shard: Option<rbp_lab::run::Shard>,
    /// Train nothing: build the report in DIR from its result files alone (DIR/runs), after
    /// checking that every planned run is there; give the same flags as the shards.
    #[arg(long, value_name = "DIR")]
    pub merge: Option<PathBuf>,
    /// Also save each unfinished run's state every N epochs (`DIR/runs/<id>.state`), so a killed
    /// command given again continues its runs from there instead of from their first epoch.
    #[arg(long, value_name = "N")]
    pub checkpoint_every: Option<usize>,
}

impl RunStoreArgs {
    /// The execution mode, and the output directory (`--merge DIR` replaces `--out`).
    pub fn mode(&self, out: &std::path::Path) -> (rbp_lab::run::Mode, PathBuf) {
        use rbp_lab::run::Mode;
        match (&self.merge, self.shard) {
            (Some(dir), _) => (Mode::Merge, dir.clone()),
            (None, shard) => (Mode::Train(shard), out.to_path_buf()),
        }
    }

    /// How the runs go, with `workers` at once; the output directory.
    pub fn running(&self, out: &std::path::Path, workers: usize) -> Result<(Running, PathBuf)> {
        if self.checkpoint_every == Some(0) {
            anyhow::bail!("--checkpoint-every must be at least 1 (epochs)");
        }
        let (mode, dir) = self.mode(out);
        let running = Running {
            mode,
            workers,
            save_every: self.checkpoint_every,
        };
        Ok((running, dir))
    }
}

#[derive(Args)]
#[command(allow_negative_numbers = true)]
pub struct MnistArgs {
    /// Layer widths, input first (784 inputs, 10 outputs).
    #[arg(long, default_value = protocol::MNIST_ARCH)]
    pub arch: String,
    /// Training images drawn at random for each run (M).
    #[arg(long, default_value_t = protocol::MNIST_TRAIN_SIZE)]
    pub train_size: usize,
    /// Test images each run is scored on: a number, or `all`.
    #[arg(long, default_value_t = TestSize::Count(protocol::MNIST_TEST_SIZE))]
    pub test_size: TestSize,
    /// `train`: training images from the training file; `test`: disjoint training and test
    /// subsets of the 10k test file (when the 60k training images are not at hand).
    #[arg(long, default_value = "train")]
    pub pool: Pool,
    /// `mnist`, or `fashion` for Fashion-MNIST (read from /usr/share/datasets/fashion-mnist by default).
    #[arg(long, default_value = "mnist")]
    pub dataset: DatasetKind,
    /// Directory holding the IDX files [default: $RBP_DATA_DIR, else ~/.cache/rbp/mnist].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Never download; fail if a file is missing.
    #[arg(long)]
    pub offline: bool,
    /// Mirror to download from (repeatable; replaces the default list).
    #[arg(long = "mirror")]
    pub mirrors: Vec<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

impl MnistArgs {
    /// The experiment these flags describe (its seeds default to the paper's 5 runs).
    pub fn config(&self, default_seeds: u64) -> Result<MnistConfig> {
        Ok(MnistConfig {
            settings: self.common.settings(&self.arch, default_seeds)?,
            data: DataSpec {
                kind: self.dataset,
                dir: self.data_dir.clone(),
                offline: self.offline,
                mirrors: self.mirrors.clone(),
                progress: self.common.show_progress(),
            },
            pool: self.pool,
            train_size: self.train_size,
            test_size: self.test_size,
        })
    }
}

impl ToyArgs {
    /// The experiment these flags describe (its seeds default to `default_seeds`).
    pub fn config(&self, default_seeds: u64) -> Result<ToyConfig> {
        Ok(ToyConfig {
            settings: self.common.settings(&self.arch, default_seeds)?,
            train_size: self.train_size,
        })
    }
}

#[derive(Args)]
#[command(allow_negative_numbers = true)]
pub struct ToyArgs {
    /// Layer widths, input first.
    #[arg(long, default_value = protocol::TOY_ARCH)]
    pub arch: String,
    /// Training-set size M; the test set has M examples too.
    #[arg(long, default_value_t = protocol::TOY_TRAIN_SIZE)]
    pub train_size: usize,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Options every experiment shares.
#[derive(Args)]
pub struct CommonArgs {
    /// Epochs of training.
    #[arg(long, default_value_t = protocol::EPOCHS)]
    pub epochs: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = protocol::BATCH)]
    pub batch: usize,
    /// Run seeds 0..N-1 (ignored when --seed is given) [default: toy 10, mnist 5, the paper's counts].
    #[arg(long)]
    pub seeds: Option<u64>,
    /// Run this single seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Optimizers to compare, comma separated: the paper's sgd, rbp, adam, and the controls
    /// momentum (heavy ball, mu = --momentum or R-BackProp's p(t)), raw-twin (eta (g + p(t)
    /// g_prev), the raw reading's expected update) and scaled-sgd (BackProp with the step
    /// eta (1 + p(t))).
    #[arg(long, value_delimiter = ',', default_value = "sgd,rbp,adam")]
    pub optimizer: Vec<OptimizerKind>,
    /// Weight initialization, lecun = N(0, 1/fan_in) or normal = N(0, 1) (the paper gives none).
    #[arg(long, default_value_t = Init::default())]
    pub init: Init,
    /// Which previous gradient R-BackProp adds: the one it used last step (accumulated), or the
    /// raw one; random-sign and random-sign-accumulated are their noise controls (add +-raw g_prev,
    /// or +- the accumulated sum R-BackProp would carry, with a fair random sign, with the same
    /// probability).
    #[arg(long, default_value_t = paper().rbp.reinforce)]
    pub reinforce: Reinforce,
    /// Whether learning rates decay per update (iteration) or per epoch.
    #[arg(long, default_value_t = paper().lr_clock)]
    pub lr_clock: LrClock,
    /// BackProp / R-BackProp initial learning rate eta0.
    #[arg(long, default_value_t = paper().lr0)]
    pub lr0: f64,
    /// Learning-rate decay factor beta (all optimizers): eta = eta0 * beta^t.
    #[arg(long, default_value_t = paper().lr_decay)]
    pub lr_decay: f64,
    /// BackProp / R-BackProp learning-rate floor.
    #[arg(long, default_value_t = paper().lr_min)]
    pub lr_min: f64,
    /// R-BackProp gamma0 in (0, 1]; (1, 0) for (gamma0, lambda) reproduces BackProp exactly.
    #[arg(long, default_value_t = paper().rbp.gamma0)]
    pub gamma0: f64,
    /// R-BackProp lambda >= 0: gamma = gamma0 * exp(-lambda * epoch).
    #[arg(long, default_value_t = paper().rbp.lambda)]
    pub lambda: f64,
    /// The momentum control's coefficient mu, constant in [0, 1) [default: R-BackProp's
    /// schedule p(t) = 1 - gamma^t, its deterministic twin].
    #[arg(long)]
    pub momentum: Option<f64>,
    /// Adam initial learning rate.
    #[arg(long, default_value_t = paper().adam.lr0)]
    pub adam_lr0: f64,
    /// Adam learning-rate floor.
    #[arg(long, default_value_t = paper().adam.lr_min)]
    pub adam_lr_min: f64,
    /// Adam's first-moment decay.
    #[arg(long, default_value_t = paper().adam.beta1)]
    pub adam_beta1: f64,
    /// Adam's second-moment decay.
    #[arg(long, default_value_t = paper().adam.beta2)]
    pub adam_beta2: f64,
    /// Adam's denominator guard.
    #[arg(long, default_value_t = paper().adam.eps)]
    pub adam_eps: f64,
    /// Arithmetic of training: f32 (the fast SIMD path) or f64 (the scalar oracle: the same data,
    /// initial weights, batch order and coin as the f32 run of each seed; several times slower).
    #[arg(long, default_value_t = Precision::default())]
    pub precision: Precision,
    /// Write curves.csv and summary.json into this directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Save a checkpoint (DIR/checkpoint.rbpck, needs --out) every N epochs of each run; an
    /// interrupted command continues with `rbp resume DIR/checkpoint.rbpck`.
    #[arg(long, value_name = "N")]
    pub checkpoint_every: Option<usize>,
    /// Replace result files that already exist in --out.
    #[arg(long)]
    pub overwrite: bool,
    /// BLAS threads per run when runs are not parallel.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    #[command(flatten)]
    pub workers: WorkerArgs,
}

impl CommonArgs {
    pub fn settings(&self, arch: &str, default_seeds: u64) -> Result<Settings> {
        let arch: Arch = arch.parse().context("--arch")?;
        if self.threads == 0 {
            anyhow::bail!("--threads must be at least 1");
        }
        let count = self.seed.map_or(self.seeds.unwrap_or(default_seeds), |_| 1);
        // Checked before the list is built: a count near 2^64 must not reach the allocator.
        let runs = u128::from(count) * self.optimizer.len().max(1) as u128;
        if runs > u128::from(rbp_lab::run::MAX_RUNS) {
            anyhow::bail!(
                "--seeds: {count} seeds x {} optimizer(s) = {runs} runs, more than the {} one \
                 command may train (one result file each)",
                self.optimizer.len(),
                rbp_lab::run::MAX_RUNS
            );
        }
        let seeds: Vec<u64> = match self.seed {
            Some(s) => vec![s],
            None => (0..count).collect(),
        };
        let workers = self
            .workers
            .count()?
            .min((seeds.len() * self.optimizer.len()).max(1));
        let mut optimizers = Vec::new();
        for o in &self.optimizer {
            if !optimizers.contains(o) {
                optimizers.push(*o);
            }
        }
        Ok(Settings {
            arch,
            batch: self.batch,
            epochs: self.epochs,
            init: self.init,
            hyper: Hyper {
                lr0: self.lr0,
                lr_decay: self.lr_decay,
                lr_min: self.lr_min,
                lr_clock: self.lr_clock,
                rbp: RbpConfig {
                    gamma0: self.gamma0,
                    lambda: self.lambda,
                    reinforce: self.reinforce,
                },
                adam: AdamConfig {
                    lr0: self.adam_lr0,
                    lr_min: self.adam_lr_min,
                    beta1: self.adam_beta1,
                    beta2: self.adam_beta2,
                    eps: self.adam_eps,
                },
                momentum: self.momentum,
            },
            optimizers,
            seeds,
            workers,
            blas_threads: self.threads,
        })
    }

    pub fn out_dir(&self) -> Option<OutDir> {
        self.out.as_ref().map(|d| OutDir::new(d, self.overwrite))
    }

    /// How often to save each unfinished run's state: checked against `--out` and the precision.
    pub fn save_every(&self) -> Result<Option<usize>> {
        if self.checkpoint_every == Some(0) {
            anyhow::bail!("--checkpoint-every must be at least 1 (epochs)");
        }
        if self.checkpoint_every.is_some() && self.out.is_none() {
            anyhow::bail!("--checkpoint-every needs --out DIR: the runs' states are saved there");
        }
        if self.checkpoint_every.is_some() && self.precision == Precision::F64 {
            anyhow::bail!(
                "--checkpoint-every works with --precision f32 only: the f64 oracle keeps no \
                 checkpoints"
            );
        }
        Ok(self.checkpoint_every)
    }

    /// The `toy` or `mnist` command of `experiment` with these flags.
    pub fn grid_command(&self, experiment: Experiment) -> Result<GridCommand> {
        Ok(GridCommand {
            experiment,
            precision: self.precision,
            out: self.out_dir(),
            save_every: self.save_every()?,
            show_progress: self.show_progress(),
            resumes_old_checkpoint: false,
        })
    }

    pub fn show_progress(&self) -> bool {
        self.workers.show_progress()
    }
}

/// `rbp resume FILE`.
#[derive(Args)]
pub struct ResumeArgs {
    /// The checkpoint, `DIR/checkpoint.rbpck` of a `toy` or `mnist` run with --out DIR.
    pub checkpoint: PathBuf,
    /// Replace result files that already exist in the checkpoint's directory.
    #[arg(long)]
    pub overwrite: bool,
    #[command(flatten)]
    pub workers: WorkerArgs,
}

#[derive(Args)]
pub struct BenchArgs {
    /// Timed repetitions per cell (after a tenth as many warm-up steps); figures are medians.
    #[arg(long, default_value_t = 100)]
    pub reps: usize,
    /// A short run (20 repetitions): rough figures in a few seconds.
    #[arg(long, conflicts_with = "reps")]
    pub quick: bool,
    /// BLAS threads. 1 is fastest for these small nets (see README, Performance).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Also write the rows as a JSON array to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Runs trained at once: `--jobs`, else the number of cores.
/// How a command trains its runs: how many at once, and whether it draws progress bars.
#[derive(Args)]
pub struct WorkerArgs {
    /// Runs trained in parallel (default: the number of cores); results do not depend on it.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// No progress bars.
    #[arg(long, short)]
    pub quiet: bool,
}

impl WorkerArgs {
    /// `--jobs`, checked, or the number of cores.
    pub fn count(&self) -> Result<usize> {
        workers(self.jobs)
    }

    /// Progress bars unless `--quiet` or stderr is not a terminal.
    pub fn show_progress(&self) -> bool {
        !self.quiet && std::io::stderr().is_terminal()
    }
}

fn workers(jobs: Option<usize>) -> Result<usize> {
    match jobs {
        Some(0) => anyhow::bail!("--jobs must be at least 1"),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// `rbp landscape toy|mnist`: the runs of `rbp toy` / `rbp mnist`, probed at chosen epochs.
#[derive(Args)]
pub struct LandscapeArgs {
    #[command(subcommand)]
    pub task: LandscapeTask,
}

#[derive(Subcommand)]
pub enum LandscapeTask {
    /// The teacher-student task (every `rbp toy` flag applies).
    Toy {
        #[command(flatten)]
        toy: ToyArgs,
        #[command(flatten)]
        probe: ProbeArgs,
    },
    /// MNIST or Fashion-MNIST (every `rbp mnist` flag applies).
    Mnist {
        #[command(flatten)]
        mnist: MnistArgs,
        #[command(flatten)]
        probe: ProbeArgs,
    },
}

/// What `rbp landscape` measures at each solution.
#[derive(Args)]
pub struct ProbeArgs {
    /// Epochs whose weights are probed, comma separated: `final`, `best` (lowest test error) or
    /// epoch numbers.
    #[arg(long, value_delimiter = ',', default_value = "final,best")]
    pub at: Vec<rbp_lab::experiment::landscape::Moment>,
    /// Top Hessian eigenvalues reported.
    #[arg(long, default_value_t = probe_default().top_k)]
    pub top_k: usize,
    /// Lanczos steps for the top eigenvalues (full re-orthogonalization).
    #[arg(long, default_value_t = probe_default().lanczos_steps)]
    pub lanczos_steps: usize,
    /// Rademacher probes of Hutchinson's trace estimator.
    #[arg(long, default_value_t = probe_default().trace_probes)]
    pub trace_probes: usize,
    /// Probes of the stochastic Lanczos quadrature (spectral density).
    #[arg(long, default_value_t = probe_default().density_probes)]
    pub density_probes: usize,
    /// Lanczos steps per density probe.
    #[arg(long, default_value_t = probe_default().density_steps)]
    pub density_steps: usize,
    /// Relative box radius of epsilon-sharpness.
    #[arg(long, default_value_t = probe_default().epsilon)]
    pub epsilon: f64,
    /// Gradient-ascent steps of epsilon-sharpness.
    #[arg(long, default_value_t = probe_default().ascent_steps)]
    pub ascent_steps: usize,
    /// Points of each 1-D loss slice.
    #[arg(long, default_value_t = probe_default().slice_points)]
    pub slice_points: usize,
    /// Extent of each 1-D slice in filter-normalized units.
    #[arg(long, default_value_t = probe_default().slice_radius)]
    pub slice_radius: f64,
}

fn probe_default() -> rbp_lab::experiment::landscape::probe::ProbeConfig {
    rbp_lab::experiment::landscape::probe::ProbeConfig::default()
}

impl ProbeArgs {
    pub fn config(&self) -> rbp_lab::experiment::landscape::probe::ProbeConfig {
        rbp_lab::experiment::landscape::probe::ProbeConfig {
            top_k: self.top_k,
            lanczos_steps: self.lanczos_steps,
            trace_probes: self.trace_probes,
            density_probes: self.density_probes,
            density_steps: self.density_steps,
            epsilon: self.epsilon,
            ascent_steps: self.ascent_steps,
            slice_points: self.slice_points,
            slice_radius: self.slice_radius,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Cli, Command};
    use clap::Parser;
    use rbp_lab::paper::protocol::{PRIMARY, SeedBlock};

    fn reproduce(args: &[&str]) -> anyhow::Result<rbp_lab::experiment::reproduce::ReproduceConfig> {
        let cli = Cli::try_parse_from([&["rbp", "reproduce"], args].concat())?;
        let Command::Reproduce(r) = cli.command else {
            unreachable!("parsed as reproduce")
        };
        Ok(r.config()?.0)
    }

    #[test]
    fn seed_block_defaults_to_confirm_and_quick_never_confirms() {
        assert_eq!(reproduce(&[]).unwrap().seed_block, SeedBlock::Confirm);
        assert!(reproduce(&[]).unwrap().is_confirmatory());
        let dev = reproduce(&["--seed-block", "dev"]).unwrap();
        assert_eq!(dev.seed_block, SeedBlock::Dev);
        assert_eq!(reproduce(&["--quick"]).unwrap().seed_block, SeedBlock::Dev);
        let both = reproduce(&["--quick", "--seed-block", "confirm"]).unwrap_err();
        assert!(both.to_string().contains("--quick"), "{both}");
        let bad = reproduce(&["--seed-block", "test"]).unwrap_err();
        assert!(bad.to_string().contains("dev, confirm"), "{bad}");
    }

    #[test]
    fn reading_order_never_changes_the_primary() {
        let a = reproduce(&["--reading", "raw,epoch", "--reading", "accumulated"]).unwrap();
        let b = reproduce(&["--reading", "accumulated", "--reading", "epoch,raw"]).unwrap();
        assert_eq!((a.readings[0], b.readings[0]), (PRIMARY, PRIMARY));
        assert!(!a.is_confirmatory(), "non-default readings are exploratory");
    }
}
