//! The `rbp` command line: parse, validate, call the library.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use rbp::data::mnist::{DataSpec, DatasetKind};
use rbp::experiment::mnist::{self, Pool, TestSize};
use rbp::experiment::output::{self, Finished};
use rbp::experiment::{RunResult, Settings, toy};
use rbp::init::Init;
use rbp::net::Arch;
use rbp::optim::{AdamConfig, Hyper, LrClock, OptimizerKind, RbpConfig, Reinforce};
use rbp::progress::Progress;
use rbp::report::files::OutDir;
use rbp::report::table::PaperValue;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

/// Reinforced backpropagation (Huang & Toyoizumi, 2017) against BackProp and Adam.
#[derive(Parser)]
#[command(name = "rbp", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Teacher-student toy task (paper Sec. II, Fig. 2): sigmoid(W_g v) targets, Gaussian inputs.
    Toy(ToyArgs),
    /// MNIST (paper Fig. 5) or Fashion-MNIST: M training images per run, classification error.
    Mnist(MnistArgs),
    /// Every figure of the paper (Figs. 1-5) with REPORT.md checking each claim.
    Reproduce(ReproduceArgs),
    /// Time a training step per architecture and optimizer (median step, GEMM share, update,
    /// optimizer state, allocations per step) and compare each optimizer with Adam.
    Bench(BenchArgs),
}

/// `rbp reproduce`: the paper's protocol by default, `--quick` for a ~10 s smoke run.
#[derive(Args)]
struct ReproduceArgs {
    /// 3 seeds, 30 epochs, small M for Fig. 4: a smoke run of every figure.
    #[arg(long)]
    quick: bool,
    /// Output directory (figures, CSVs, REPORT.md).
    #[arg(long, default_value = "reproduction")]
    out: PathBuf,
    /// Readings of what the paper leaves open: `all`, or a comma-separated choice of
    /// accumulated|raw (g_prev), iteration|epoch (lr clock), lecun|normal (init); unnamed parts keep
    /// the default (accumulated,iteration,lecun). Repeat the flag to run several.
    #[arg(long)]
    reading: Vec<String>,
    /// Where Fig. 5 looks for MNIST (never downloaded here) [default: $RBP_DATA_DIR, else
    /// ~/.cache/rbp/mnist]; without the training images, the 10k test file is split (--pool test).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Training-set sizes of Fig. 4, comma separated (the paper's: 500,1000,2000,4000,8000).
    #[arg(long, value_delimiter = ',')]
    fig4_sizes: Option<Vec<usize>>,
    /// Replace result files that already exist in --out.
    #[arg(long)]
    overwrite: bool,
    /// Runs trained in parallel (default: the number of cores); results do not depend on it.
    #[arg(long)]
    jobs: Option<usize>,
    /// No progress bars.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args)]
#[command(allow_negative_numbers = true)]
struct MnistArgs {
    /// Layer widths, input first (784 inputs, 10 outputs).
    #[arg(long, default_value = "784-100-200-10")]
    arch: String,
    /// Training images drawn at random for each run (M).
    #[arg(long, default_value_t = 1000)]
    train_size: usize,
    /// Test images each run is scored on: a number, or `all`.
    #[arg(long, default_value = "1000")]
    test_size: TestSize,
    /// `train`: training images from the training file; `test`: disjoint training and test
    /// subsets of the 10k test file (when the 60k training images are not at hand).
    #[arg(long, value_enum, default_value_t = Pool::Train)]
    pool: Pool,
    /// `mnist`, or `fashion` for Fashion-MNIST (read from /usr/share/datasets/fashion-mnist by default).
    #[arg(long, value_enum, default_value_t = DatasetArg::Mnist)]
    dataset: DatasetArg,
    /// Directory holding the IDX files [default: $RBP_DATA_DIR, else ~/.cache/rbp/mnist].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Never download; fail if a file is missing.
    #[arg(long)]
    offline: bool,
    /// Mirror to download from (repeatable; replaces the default list).
    #[arg(long = "mirror")]
    mirrors: Vec<String>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DatasetArg {
    Mnist,
    Fashion,
}

#[derive(Args)]
#[command(allow_negative_numbers = true)]
struct ToyArgs {
    /// Layer widths, input first.
    #[arg(long, default_value = "100-400-200-10")]
    arch: String,
    /// Training-set size M; the test set has M examples too.
    #[arg(long, default_value_t = 1000)]
    train_size: usize,
    #[command(flatten)]
    common: CommonArgs,
}

/// Options every experiment shares.
#[derive(Args)]
struct CommonArgs {
    /// Epochs of training.
    #[arg(long, default_value_t = 100)]
    epochs: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Run seeds 0..N-1 (ignored when --seed is given) [default: toy 10, mnist 5, the paper's counts].
    #[arg(long)]
    seeds: Option<u64>,
    /// Run this single seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Optimizers to compare, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "sgd,rbp,adam")]
    optimizer: Vec<OptimizerKind>,
    /// Weight initialization (the paper gives none).
    #[arg(long, value_enum, default_value_t = Init::Lecun)]
    init: Init,
    /// Which previous gradient R-BackProp adds: the one it used last step, or the raw one.
    #[arg(long, value_enum, default_value_t = ReinforceArg::Accumulated)]
    reinforce: ReinforceArg,
    /// Whether learning rates decay per update (iteration) or per epoch.
    #[arg(long, value_enum, default_value_t = LrClock::Iteration)]
    lr_clock: LrClock,
    /// BackProp / R-BackProp initial learning rate eta0.
    #[arg(long, default_value_t = 0.8)]
    lr0: f64,
    /// Learning-rate decay factor beta (all optimizers): eta = eta0 * beta^t.
    #[arg(long, default_value_t = 0.999)]
    lr_decay: f64,
    /// BackProp / R-BackProp learning-rate floor.
    #[arg(long, default_value_t = 0.02)]
    lr_min: f64,
    /// R-BackProp gamma0 in (0, 1]; (1, 0) for (gamma0, lambda) reproduces BackProp exactly.
    #[arg(long, default_value_t = 0.9995)]
    gamma0: f64,
    /// R-BackProp lambda >= 0: gamma = gamma0 * exp(-lambda * epoch).
    #[arg(long, default_value_t = 0.0001)]
    lambda: f64,
    /// Adam initial learning rate.
    #[arg(long, default_value_t = 0.01)]
    adam_lr0: f64,
    /// Adam learning-rate floor.
    #[arg(long, default_value_t = 0.001)]
    adam_lr_min: f64,
    #[arg(long, default_value_t = 0.9)]
    adam_beta1: f64,
    #[arg(long, default_value_t = 0.999)]
    adam_beta2: f64,
    #[arg(long, default_value_t = 1e-8)]
    adam_eps: f64,
    /// Write curves.csv and summary.json into this directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace result files that already exist in --out.
    #[arg(long)]
    overwrite: bool,
    /// Runs trained in parallel (default: the number of cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// BLAS threads per run when runs are not parallel.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReinforceArg {
    Accumulated,
    Raw,
}

impl CommonArgs {
    fn settings(&self, arch: &str, default_seeds: u64) -> Result<Settings> {
        let arch: Arch = arch.parse().context("--arch")?;
        let seeds: Vec<u64> = match self.seed {
            Some(s) => vec![s],
            None => (0..self.seeds.unwrap_or(default_seeds)).collect(),
        };
        let runs = seeds.len() * self.optimizer.len();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let workers = self.jobs.unwrap_or(cores).clamp(1, runs.max(1));
        if self.jobs == Some(0) {
            anyhow::bail!("--jobs must be at least 1");
        }
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
                    reinforce: match self.reinforce {
                        ReinforceArg::Accumulated => Reinforce::Accumulated,
                        ReinforceArg::Raw => Reinforce::Raw,
                    },
                },
                adam: AdamConfig {
                    lr0: self.adam_lr0,
                    lr_min: self.adam_lr_min,
                    beta1: self.adam_beta1,
                    beta2: self.adam_beta2,
                    eps: self.adam_eps,
                },
            },
            optimizers,
            seeds,
            workers,
        })
    }

    fn out_dir(&self) -> Option<OutDir> {
        self.out.as_ref().map(|d| OutDir::new(d, self.overwrite))
    }

    fn show_progress(&self) -> bool {
        !self.quiet && std::io::stderr().is_terminal()
    }
}

/// Counts heap allocations so `rbp bench` can show allocations per step; an atomic increment per
/// allocation costs nothing measurable next to the allocation.
#[global_allocator]
static ALLOC: rbp::alloc_count::CountingAlloc = rbp::alloc_count::CountingAlloc;

#[derive(Args)]
struct BenchArgs {
    /// Timed repetitions per cell (after a tenth as many warm-up steps); figures are medians.
    #[arg(long, default_value_t = 100)]
    reps: usize,
    /// A short run (20 repetitions): rough figures in a few seconds.
    #[arg(long, conflicts_with = "reps")]
    quick: bool,
    /// BLAS threads. 1 is fastest for these small nets (see README, Performance).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Also write the rows as a JSON array to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() {
    let cli = Cli::parse();
    rbp::gemm::restart_with_fast_core();
    let result = match cli.command {
        Command::Toy(args) => run_toy(args),
        Command::Bench(args) => run_bench(args),
        Command::Mnist(args) => run_mnist(args),
        Command::Reproduce(args) => run_reproduce(args),
    };
    if let Err(err) = result {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

fn run_toy(args: ToyArgs) -> Result<()> {
    let config = toy::ToyConfig {
        settings: args.common.settings(&args.arch, 10)?,
        train_size: args.train_size,
    };
    config.validate()?;
    let m = config.train_size;
    let description = format!("M = {m}");
    let task = serde_json::json!({ "task": "teacher-student", "train_size": m, "test_size": m });
    run_experiment(
        "toy",
        &args.common,
        &config.settings,
        &description,
        task,
        false,
        &[],
        |progress| Ok(toy::run(&config, progress)?),
    )
}

fn run_mnist(args: MnistArgs) -> Result<()> {
    let kind = match args.dataset {
        DatasetArg::Mnist => DatasetKind::Mnist,
        DatasetArg::Fashion => DatasetKind::Fashion,
    };
    let data = DataSpec {
        kind,
        dir: args.data_dir.clone(),
        offline: args.offline,
        mirrors: args.mirrors.clone(),
        progress: args.common.show_progress(),
    };
    let config = mnist::MnistConfig {
        settings: args.common.settings(&args.arch, 5)?,
        data,
        pool: args.pool,
        train_size: args.train_size,
        test_size: args.test_size,
    };
    let pools = config.load()?;
    config.check_sizes(&pools)?;
    let description = format!(
        "{kind}, M = {}, test size {:?}, pool {:?}",
        config.train_size, config.test_size, config.pool
    );
    let task = serde_json::json!({
        "task": kind.to_string(),
        "train_size": config.train_size,
        "test_size": config.test_size,
        "pool": config.pool,
        "data_dir": rbp::data::mnist::data_dir(&config.data).ok(),
    });
    let paper: &[PaperValue] = if kind == DatasetKind::Mnist {
        &mnist::PAPER_FIG5
    } else {
        &[]
    };
    run_experiment(
        "mnist",
        &args.common,
        &config.settings,
        &description,
        task,
        true,
        paper,
        |progress| Ok(mnist::run(&config, &pools, progress)?),
    )
}

/// Prints the header, runs the grid with a progress bar, prints the table and saves the files.
#[allow(clippy::too_many_arguments)]
fn run_experiment(
    command: &str,
    common: &CommonArgs,
    s: &Settings,
    description: &str,
    task: serde_json::Value,
    class_error: bool,
    paper: &[PaperValue],
    run: impl FnOnce(&Progress) -> Result<Vec<RunResult>>,
) -> Result<()> {
    let out = common.out_dir();
    if let Some(out) = &out {
        out.prepare(&output::RESULT_FILES)?;
    }
    output::configure_threads(s.workers, common.threads);
    println!(
        "rbp {command}: arch {}, {description}, batch {}, {} epochs, {} seed(s), optimizers {}, init {}, reinforce {}, lr clock {}",
        s.arch,
        s.batch,
        s.epochs,
        s.seeds.len(),
        s.optimizers
            .iter()
            .map(|o| o.name())
            .collect::<Vec<_>>()
            .join(","),
        s.init.name(),
        rbp::optim::config_reinforce_name(s.hyper.rbp.reinforce),
        s.hyper.lr_clock.name(),
    );
    println!("{}", output::backend_line(s.workers));
    let total = (s.seeds.len() * s.optimizers.len() * s.epochs) as u64;
    let progress = Progress::new(total, command, common.show_progress());
    let start = Instant::now();
    let runs = run(&progress)?;
    progress.finish();
    let seconds = start.elapsed().as_secs_f64();
    let finished = Finished {
        command,
        settings: s,
        task,
        runs: &runs,
        seconds,
        class_error,
        paper,
    };
    println!("\n{}", finished.table());
    println!("{} runs in {seconds:.1} s", runs.len());
    match &out {
        Some(out) => {
            for path in finished.save(out)? {
                println!("wrote {}", path.display());
            }
        }
        None => println!("(pass --out DIR to save curves.csv and summary.json)"),
    }
    Ok(())
}

fn run_bench(args: BenchArgs) -> Result<()> {
    use rbp::experiment::bench;
    if args.threads == 0 || args.reps == 0 {
        anyhow::bail!("--threads and --reps must be at least 1");
    }
    rbp::gemm::set_threads(args.threads);
    let config = bench::BenchConfig::new(if args.quick { 20 } else { args.reps });
    println!(
        "rbp bench: {} timed steps per cell after {} warm-up steps",
        config.reps, config.warmup
    );
    println!("{}", output::backend_line(1));
    let rows = bench::run(&config, &mut |what| eprintln!("measuring {what}"));
    println!("\n{}", bench::render(&rows));
    println!("targets:");
    for verdict in bench::verdicts(&rows) {
        println!("  {verdict}");
    }
    if let Some(path) = &args.json {
        std::fs::write(path, bench::to_json(&rows))
            .with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn run_reproduce(args: ReproduceArgs) -> Result<()> {
    use rbp::experiment::reproduce::mnist_source::MnistSource;
    use rbp::experiment::reproduce::{self, Reading, ReproduceConfig};
    let readings = Reading::parse_all(&args.reading)?;
    if args.jobs == Some(0) {
        anyhow::bail!("--jobs must be at least 1");
    }
    let workers = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut config = if args.quick {
        ReproduceConfig::quick(readings, workers)
    } else {
        ReproduceConfig::paper(readings, workers)
    };
    if let Some(sizes) = args.fig4_sizes {
        config.fig4_sizes = sizes;
    }
    let out = OutDir::new(&args.out, args.overwrite);
    let show = !args.quiet && std::io::stderr().is_terminal();
    // Always one BLAS thread per run (reproduce::run sets it too): results must not depend on it.
    output::configure_threads(2, 1);
    println!(
        "rbp reproduce ({} protocol): readings {}; {}",
        config.protocol,
        config
            .readings
            .iter()
            .map(|r| r.name())
            .collect::<Vec<_>>()
            .join(", "),
        output::backend_line(config.workers)
    );
    let mnist_seeds = if args.quick { 2 } else { 5 };
    let mnist = MnistSource::find(
        args.data_dir.clone(),
        config.epochs,
        mnist_seeds,
        config.workers,
    );
    match &mnist {
        Some(_) => println!("Fig. 5: MNIST found; {mnist_seeds} runs per optimizer"),
        None => {
            println!("Fig. 5: MNIST not found (see --data-dir); the report will say it was skipped")
        }
    }
    let outcome = reproduce::run(&config, &out, show, &|reading| {
        mnist.as_ref().and_then(|m| m.run(reading))
    })?;
    for r in &outcome.readings {
        for c in r.claims() {
            println!(
                "[{}] {}: {} — {}",
                r.reading.name(),
                c.id,
                c.verdict,
                c.statement
            );
        }
    }
    for c in &outcome.fig5.claims {
        println!(
            "[{}] {}: {} — {}",
            outcome.readings[0].reading.name(),
            c.id,
            c.verdict,
            c.statement
        );
    }
    println!(
        "{} runs in {:.1} s; report: {}",
        outcome.runs,
        outcome.seconds,
        out.path(reproduce::report_md::REPORT).display()
    );
    Ok(())
}
