//! What each command does: build the library's configuration from the arguments, run it, print
//! and save the results.

use super::args::{
    BenchArgs, CommonArgs, DatasetArg, MnistArgs, ReproduceArgs, ResumeArgs, ToyArgs, flag_for,
    workers,
};
use anyhow::{Context, Result};
use rbp_core::checkpoint::{self, Checkpoint};
use rbp_lab::data::mnist::{DataSpec, DatasetKind};
use rbp_lab::experiment::mnist::{self, MnistError};
use rbp_lab::experiment::output::{self, Finished};
use rbp_lab::experiment::toy::{self, ToyError};
use rbp_lab::experiment::{Checkpointing, Experiment, RunResult, SettingsError};
use rbp_lab::progress::Progress;
use rbp_lab::report::files::OutDir;
use rbp_lab::report::table::PaperValue;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The checkpoint file of a run with `--out DIR`.
const CHECKPOINT: &str = "checkpoint.rbpck";

/// The library's settings error in the command line's words: the flag instead of the parameter.
fn settings_error(e: &SettingsError) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", flag_for(&e.parameter), e.why)
}

fn toy_error(e: ToyError) -> anyhow::Error {
    match e {
        ToyError::Settings(s) => settings_error(&s),
        other => other.into(),
    }
}

fn mnist_error(e: MnistError) -> anyhow::Error {
    match e {
        MnistError::Settings(s) => settings_error(&s),
        other => other.into(),
    }
}

/// How a `toy` or `mnist` command runs: where results go, checkpoints, progress.
struct RunOptions {
    out: Option<OutDir>,
    checkpoint_every: Option<usize>,
    resume_from: Option<(PathBuf, Checkpoint)>,
    show_progress: bool,
}

impl RunOptions {
    fn from_common(common: &CommonArgs) -> Result<RunOptions> {
        if common.checkpoint_every == Some(0) {
            anyhow::bail!("--checkpoint-every must be at least 1 (epochs)");
        }
        if common.checkpoint_every.is_some() && common.out.is_none() {
            anyhow::bail!("--checkpoint-every needs --out DIR: the checkpoint is written there");
        }
        Ok(RunOptions {
            out: common.out_dir(),
            checkpoint_every: common.checkpoint_every,
            resume_from: None,
            show_progress: common.show_progress(),
        })
    }
}

pub fn run_toy(args: ToyArgs) -> Result<()> {
    let config = toy::ToyConfig {
        settings: args.common.settings(&args.arch, 10)?,
        train_size: args.train_size,
    };
    config.validate().map_err(toy_error)?;
    run_experiment(
        Experiment::Toy(config),
        RunOptions::from_common(&args.common)?,
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
    run_experiment(
        Experiment::Mnist(config),
        RunOptions::from_common(&args.common)?,
    )
}

pub fn run_resume(args: ResumeArgs) -> Result<()> {
    let path = args.checkpoint;
    let saved = checkpoint::load(&path)?;
    let mut experiment = Experiment::from_checkpoint_text(&saved.settings)
        .map_err(|why| anyhow::anyhow!("checkpoint {} is unusable: {why}", path.display()))?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    if path.file_name() != Some(CHECKPOINT.as_ref()) {
        anyhow::bail!(
            "{}: `rbp resume` continues the run whose --out directory holds the checkpoint, and \
             a run's checkpoint is named {CHECKPOINT}",
            path.display()
        );
    }
    let settings = experiment.settings_mut();
    settings.workers = workers(args.jobs)?.min(settings.seeds.len() * settings.optimizers.len());
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    if let Experiment::Mnist(c) = &mut experiment {
        c.data.progress = show_progress;
    }
    let every = checkpoint_every_of(&saved);
    run_experiment(
        experiment,
        RunOptions {
            out: Some(OutDir::new(dir, args.overwrite)),
            checkpoint_every: Some(every),
            resume_from: Some((path, saved)),
            show_progress,
        },
    )
}

/// The checkpoint interval stored beside the settings (see [`checkpoint_text`]).
fn checkpoint_every_of(saved: &Checkpoint) -> usize {
    serde_json::from_str::<serde_json::Value>(&saved.settings)
        .ok()
        .and_then(|v| v.get("checkpoint_every")?.as_u64())
        .map_or(1, |n| n.max(1) as usize)
}

/// The settings text of a checkpoint: the experiment, plus the interval it was saved at.
fn checkpoint_text(experiment: &Experiment, every: usize) -> String {
    let mut value: serde_json::Value =
        serde_json::from_str(&experiment.to_checkpoint_text()).expect("valid JSON");
    value["checkpoint_every"] = every.into();
    serde_json::to_string_pretty(&value).expect("valid JSON")
}

/// Prints the header, runs the grid with a progress bar (and checkpoints), prints the table and
/// saves the files.
fn run_experiment(experiment: Experiment, options: RunOptions) -> Result<()> {
    let command = experiment.name();
    if let Some(out) = &options.out {
        out.prepare(&output::RESULT_FILES)?;
    }
    let checkpointing = match (options.checkpoint_every, &options.out) {
        (Some(every), Some(out)) => {
            let path = out.path(CHECKPOINT);
            if options.resume_from.is_none() && path.exists() && !out.overwrite {
                anyhow::bail!(
                    "{} already exists: continue it with `rbp resume {}`, or pass --overwrite to \
                     start again",
                    path.display(),
                    path.display()
                );
            }
            Some(Checkpointing {
                path,
                every,
                settings: checkpoint_text(&experiment, every),
                resume_from: options.resume_from.as_ref().map(|(_, c)| c.clone()),
            })
        }
        _ => None,
    };
    let s = experiment.settings();
    let (description, task, paper, class_error): (String, serde_json::Value, &[PaperValue], bool) =
        match &experiment {
            Experiment::Toy(c) => {
                let m = c.train_size;
                (
                    format!("M = {m}"),
                    serde_json::json!({ "task": "teacher-student", "train_size": m, "test_size": m }),
                    &[],
                    false,
                )
            }
            Experiment::Mnist(c) => (
                format!(
                    "{}, M = {}, test size {:?}, pool {:?}",
                    c.data.kind, c.train_size, c.test_size, c.pool
                ),
                serde_json::json!({
                    "task": c.data.kind.to_string(),
                    "train_size": c.train_size,
                    "test_size": c.test_size,
                    "pool": c.pool,
                    "data_dir": rbp_lab::data::mnist::data_dir(&c.data).ok(),
                }),
                if c.data.kind == DatasetKind::Mnist {
                    &mnist::PAPER_FIG5
                } else {
                    &[]
                },
                true,
            ),
        };
    // MNIST's files are loaded (and checked) before the header, so a missing file fails fast.
    let pools = match &experiment {
        Experiment::Mnist(c) => {
            let pools = c.load().map_err(mnist_error)?;
            c.check_sizes(&pools).map_err(mnist_error)?;
            Some(pools)
        }
        Experiment::Toy(_) => None,
    };
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
        s.init,
        s.hyper.rbp.reinforce,
        s.hyper.lr_clock,
    );
    if let Some((path, saved)) = &options.resume_from {
        println!(
            "resuming from {} ({} of {} runs saved)",
            path.display(),
            saved.runs.len(),
            s.seeds.len() * s.optimizers.len()
        );
    }
    println!("{}", output::backend_line(s.workers, s.blas_threads));
    let total = (s.seeds.len() * s.optimizers.len() * s.epochs) as u64;
    let progress = Progress::new(total, command, options.show_progress);
    let start = Instant::now();
    let runs: Vec<RunResult> = match &experiment {
        Experiment::Toy(c) => toy::run(c, &progress, checkpointing.as_ref()).map_err(toy_error)?,
        Experiment::Mnist(c) => mnist::run(
            c,
            pools.as_ref().expect("loaded above"),
            &progress,
            checkpointing.as_ref(),
        )
        .map_err(mnist_error)?,
    };
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
    match &options.out {
        Some(out) => {
            for path in finished.save(out)? {
                println!("wrote {}", path.display());
            }
        }
        None => println!("(pass --out DIR to save curves.csv and summary.json)"),
    }
    // The results hold everything the checkpoint did; it is removed only once they are written.
    if let Some(c) = &checkpointing
        && c.path.exists()
    {
        std::fs::remove_file(&c.path)
            .with_context(|| format!("removing the finished run's {}", c.path.display()))?;
        println!("removed {} (the run is complete)", c.path.display());
    }
    Ok(())
}

pub fn run_bench(args: BenchArgs) -> Result<()> {
    use rbp_lab::experiment::bench;
    if args.threads == 0 || args.reps == 0 {
        anyhow::bail!("--threads and --reps must be at least 1");
    }
    rbp_lab::experiment::grid::configure_blas(1, args.threads);
    let config = bench::BenchConfig::new(if args.quick { 20 } else { args.reps });
    println!(
        "rbp bench: {} timed steps per cell after {} warm-up steps",
        config.reps, config.warmup
    );
    println!("{}", output::backend_line(1, args.threads));
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
    use rbp_lab::experiment::reproduce::mnist_source::MnistSource;
    use rbp_lab::experiment::reproduce::{self, Reading, ReproduceConfig};
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
    if let Some(n) = args.explain_seeds {
        config.explain_seeds = n;
    }
    let out = OutDir::new(&args.out, args.overwrite);
    let show = !args.quiet && std::io::stderr().is_terminal();
    println!(
        "rbp reproduce ({} protocol): readings {}; {}",
        config.protocol,
        config
            .readings
            .iter()
            .map(|r| r.name())
            .collect::<Vec<_>>()
            .join(", "),
        output::backend_line(config.workers, 1)
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
