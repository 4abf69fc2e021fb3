//! What each command does: build the library's configuration from the arguments, run it, print
//! and save the results.

use super::args::{BenchArgs, CommonArgs, DatasetArg, MnistArgs, ReproduceArgs, ToyArgs, workers};
use anyhow::{Context, Result};
use rbp::data::mnist::{DataSpec, DatasetKind};
use rbp::experiment::mnist;
use rbp::experiment::output::{self, Finished};
use rbp::experiment::{RunResult, Settings, toy};
use rbp::progress::Progress;
use rbp::report::files::OutDir;
use rbp::report::table::PaperValue;
use std::io::IsTerminal;
use std::time::Instant;

pub fn run_toy(args: ToyArgs) -> Result<()> {
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

pub fn run_mnist(args: MnistArgs) -> Result<()> {
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
pub fn run_experiment(
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

pub fn run_bench(args: BenchArgs) -> Result<()> {
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

pub fn run_reproduce(args: ReproduceArgs) -> Result<()> {
    use rbp::experiment::reproduce::mnist_source::MnistSource;
    use rbp::experiment::reproduce::{self, Reading, ReproduceConfig};
    let readings = Reading::parse_all(&args.reading)?;
    let workers = workers(args.jobs)?;
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
    // One BLAS thread per run (reproduce::run enforces it; set here so the header reports it).
    rbp::gemm::set_threads(1);
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
