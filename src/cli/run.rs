//! What each command does: build the library's configuration from the arguments, run it, print
//! and save the results.

use super::args::{
    BenchArgs, LandscapeArgs, LandscapeTask, MnistArgs, ReproduceArgs, ResumeArgs, SweepArgs,
    ToyArgs, TuneArgs, flag_for,
};
use anyhow::{Context, Result};
use rbp_core::oracle::Precision;
use rbp_lab::experiment::mnist::MnistError;
use rbp_lab::experiment::output;
use rbp_lab::experiment::toy::ToyError;
use rbp_lab::experiment::{Experiment, GridCommand, SettingsError, grid, protocol};
use rbp_lab::report::files::OutDir;
use rbp_lab::run::store::RUNS_DIR;
use rbp_lab::run::{RunData, Task};
use std::path::Path;

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

pub fn run_toy(args: ToyArgs) -> Result<()> {
    let config = args.config(protocol::TOY_SEEDS)?;
    config.validate().map_err(toy_error)?;
    let command = args.common.grid_command(Experiment::Toy(config))?;
    run_grid(&command, &RunData::default())
}

pub fn run_mnist(args: MnistArgs) -> Result<()> {
    let config = args.config(protocol::MNIST_SEEDS)?;
    // MNIST's files are loaded (and checked) before the header, so a missing file fails fast.
    let data = config.run_data();
    config.prepare(&data).map_err(mnist_error)?;
    let command = args.common.grid_command(Experiment::Mnist(config))?;
    run_grid(&command, &data)
}

/// `rbp resume DIR/checkpoint.rbpck`: an earlier rbp's checkpoint, its runs moved into the run
/// store beside it, then the command continued as `--out DIR --checkpoint-every N` would.
pub fn run_resume(args: ResumeArgs) -> Result<()> {
    let path = args.checkpoint;
    let (mut experiment, every) = grid::import_checkpoint(&path)?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let show_progress = args.workers.show_progress();
    let settings = experiment.settings_mut();
    settings.workers = args
        .workers
        .count()?
        .min(settings.seeds.len() * settings.optimizers.len());
    let data = match &mut experiment {
        Experiment::Mnist(c) => {
            c.data.progress = show_progress;
            let data = c.run_data();
            c.prepare(&data).map_err(mnist_error)?;
            data
        }
        Experiment::Toy(_) => RunData::default(),
    };
    let command = GridCommand {
        experiment,
        precision: Precision::F32,
        out: Some(OutDir::new(dir, args.overwrite)),
        save_every: Some(every),
        show_progress,
        resumes_old_checkpoint: true,
    };
    run_grid(&command, &data)?;
    std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
    println!(
        "removed {} (its runs are in {})",
        path.display(),
        dir.join(RUNS_DIR).display()
    );
    Ok(())
}

/// Prints the header, runs the grid, prints the table and the files written.
fn run_grid(command: &GridCommand, data: &RunData) -> Result<()> {
    println!("{}", command.header());
    let outcome = grid::run(command, data)?;
    println!("\n{}", outcome.table);
    println!("{} runs in {:.1} s", outcome.runs.len(), outcome.seconds);
    match &command.out {
        Some(out) => {
            if outcome.tally.present > 0 {
                println!(
                    "{} run(s) read from {}, {} trained",
                    outcome.tally.present,
                    out.dir.join(RUNS_DIR).display(),
                    outcome.tally.trained
                );
            }
            for path in &outcome.files {
                println!("wrote {}", path.display());
            }
        }
        None => println!("(pass --out DIR to save curves.csv and summary.json)"),
    }
    Ok(())
}

pub fn run_bench(args: BenchArgs) -> Result<()> {
    use rbp_lab::experiment::bench;
    if args.threads == 0 || args.reps == 0 {
        anyhow::bail!("--threads and --reps must be at least 1");
    }
    rbp_lab::run::pool::configure_blas(1, args.threads);
    let config = bench::BenchConfig::new(if args.quick { 20 } else { args.reps });
    println!(
        "rbp bench: {} timed steps per cell after {} warm-up steps",
        config.reps, config.warmup
    );
    println!("{}", output::backend_line(1, args.threads));
    let report = bench::run(&config, &mut |what| eprintln!("measuring {what}"));
    println!("\n{}", bench::render(&report));
    println!("targets:");
    for verdict in bench::verdicts(&report.rows) {
        println!("  {verdict}");
    }
    if let Some(path) = &args.json {
        std::fs::write(path, bench::to_json(&report))
            .with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

pub fn run_reproduce(args: ReproduceArgs) -> Result<()> {
    use rbp_lab::experiment::reproduce;
    use rbp_lab::experiment::reproduce::mnist_source::MnistSource;
    let (config, mode, out_dir) = args.config()?;
    let out = OutDir::new(&out_dir, args.overwrite);
    let show = args.workers.show_progress();
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
    println!(
        "protocol v{} ({}); {}",
        rbp_lab::paper::protocol::PROTOCOL_VERSION,
        rbp_lab::paper::protocol::Protocol::current().hash(),
        config.status_line()
    );
    let mnist_seeds = config.mnist_seeds;
    let mnist = MnistSource::find(args.data_dir.clone());
    match &mnist {
        Some(m) => println!(
            "Fig. 5: MNIST found (pool {}); {mnist_seeds} runs per optimizer",
            m.pool()
        ),
        None => {
            println!("Fig. 5: MNIST not found (see --data-dir); the report will say it was skipped")
        }
    }
    let stored =
        reproduce::run_stored(&config, &out, mode, show, mnist.as_ref()).map_err(|e| match e {
            reproduce::ReproduceError::Settings(s) => settings_error(&s),
            other => other.into(),
        })?;
    print_run_store(&stored.tally, &stored.problems, &out_dir);
    let Some(outcome) = stored.outcome else {
        println!(
            "shard done; when every shard is, build the report with the same flags and --merge {}",
            out_dir.display()
        );
        return Ok(());
    };
    print_verdicts(&outcome);
    println!("{}", config.status_line());
    println!(
        "{} runs in {:.1} s; report: {}",
        outcome.runs,
        outcome.seconds,
        out.path(reproduce::report_md::REPORT).display()
    );
    Ok(())
}

/// One line per claim and reading: its role, verdict and estimate.
fn print_verdicts(outcome: &rbp_lab::experiment::reproduce::Outcome) {
    use rbp_lab::paper::protocol::{ReadingRole, role};
    for r in &outcome.readings {
        let tag = match role(&r.reading) {
            ReadingRole::Primary => "primary",
            ReadingRole::CoPrimary => "co-primary",
            ReadingRole::Sensitivity => "sensitivity",
        };
        for j in &r.judged {
            println!(
                "[{} {tag}] {}: {} — {} ({})",
                r.reading.name(),
                j.spec.id,
                j.verdict,
                j.spec.statement,
                j.assessment.estimate_text
            );
        }
    }
}

/// What the run store did: runs trained, found, failed, left to other shards, files not
/// trusted, and the cost of writing result files.
fn print_run_store(tally: &rbp_lab::run::Tally, problems: &[String], out: &Path) {
    for p in problems {
        eprintln!("warning: result file {p}; the run is trained again");
    }
    let per_file = if tally.trained > 0 {
        format!(
            ", {:.2} ms per result file written",
            1e3 * tally.write_seconds / tally.trained as f64
        )
    } else {
        String::new()
    };
    println!(
        "runs: {} trained, {} already present, {} failed, {} left to other shards{per_file} ({})",
        tally.trained,
        tally.present,
        tally.failed,
        tally.other_shards,
        out.join(RUNS_DIR).display()
    );
}

pub fn run_sweep(args: SweepArgs) -> Result<()> {
    use rbp_lab::experiment::sweep;
    let spec = sweep::read_spec(&args.spec)?;
    if args.dry_run {
        let dry = sweep::dry_run(&spec)?;
        print!("{}", dry.listing(&spec, args.workers.count()?));
        return Ok(());
    }
    let workers = args.workers.count()?;
    let (running, out_dir) = args.runs.running(&args.out, workers)?;
    let out = OutDir::new(&out_dir, args.overwrite);
    let show = args.workers.show_progress();
    println!(
        "rbp sweep {}: {} cells x {} seeds; {}",
        args.spec.display(),
        spec.cells.len(),
        spec.seeds.len(),
        output::backend_line(workers, 1)
    );
    let outcome = sweep::run(&spec, &out, running, show)?;
    print_run_store(&outcome.tally, &outcome.problems, &out_dir);
    match outcome.report {
        Some(report) => {
            for f in &report.files {
                println!("wrote {}", f.display());
            }
        }
        None => println!(
            "shard done; when every shard is, build the summary with --merge {}",
            out_dir.display()
        ),
    }
    Ok(())
}

pub fn run_tune(args: TuneArgs) -> Result<()> {
    use rbp_lab::experiment::tune;
    let mut study = match (&args.spec, args.quick) {
        (Some(path), _) => tune::read_spec(path)?,
        (None, true) => tune::Tune::parse(tune::QUICK_SPEC)?,
        (None, false) => tune::Tune::parse("")?,
    };
    if let Some(dir) = &args.data_dir {
        study.data.mnist_dir = Some(dir.clone());
    }
    if let Some(pool) = args.pool {
        study.data.pool = pool;
    }
    let workers = args.workers.count()?;
    if args.dry_run {
        let dry = tune::dry_run(&study)?;
        print!("{}", dry.listing(&study, workers));
        return Ok(());
    }
    let (running, out_dir) = args.runs.running(&args.out, workers)?;
    let out = OutDir::new(&out_dir, args.overwrite);
    let show = args.workers.show_progress();
    println!(
        "rbp tune {}: {} tasks x {} optimizers x {} trials, budgets {:?}, {} final seeds; {}",
        args.spec.as_ref().map_or(
            if args.quick {
                "--quick".into()
            } else {
                "(default study)".into()
            },
            |p| p.display().to_string()
        ),
        study.tasks.len(),
        study.spaces.len(),
        study.trials,
        study.budgets,
        study.final_seeds.len(),
        output::backend_line(workers, 1)
    );
    let start = std::time::Instant::now();
    let outcome = tune::run(&study, &out, running, show)?;
    print_run_store(&outcome.tally, &outcome.problems, &out_dir);
    let trained = outcome.tally.trained;
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{trained} runs trained in {elapsed:.1} s of wall time ({:.2} runs per second)",
        trained as f64 / elapsed.max(1e-9)
    );
    match (outcome.report, outcome.shard_note) {
        (Some(report), _) => {
            for answer in &report.answers {
                println!("\n{answer}");
            }
            println!();
            for f in &report.files {
                println!("wrote {}", f.display());
            }
        }
        (None, Some(note)) => println!("{note}"),
        (None, None) => println!(
            "shard done; when every shard is, build the report with --merge {}",
            out_dir.display()
        ),
    }
    Ok(())
}

/// The flag of a `rbp landscape` parameter: the probe's own, else as for every command.
fn landscape_flag(parameter: &str) -> String {
    match parameter {
        "moments" => "--at".into(),
        p => match p.strip_prefix("probe.") {
            Some(field) => format!("--{}", field.replace('_', "-")),
            None => flag_for(p),
        },
    }
}

pub fn run_landscape(args: LandscapeArgs) -> Result<()> {
    use rbp_lab::experiment::landscape::command::{self, LandscapeCommand};
    use rbp_lab::experiment::landscape::{LandscapeConfig, LandscapeError};
    let (common, probe, arch, default_seeds) = match &args.task {
        LandscapeTask::Toy { toy, probe } => (&toy.common, probe, &toy.arch, protocol::TOY_SEEDS),
        LandscapeTask::Mnist { mnist, probe } => {
            (&mnist.common, probe, &mnist.arch, protocol::MNIST_SEEDS)
        }
    };
    let config = LandscapeConfig {
        settings: common.settings(arch, default_seeds)?,
        moments: probe.at.clone(),
        probe: probe.config(),
    };
    let settings_error =
        |e: &SettingsError| anyhow::anyhow!("{}: {}", landscape_flag(&e.parameter), e.why);
    let (task, task_json, data) = landscape_task(&args.task, default_seeds)?;
    config
        .validate(task.train_size())
        .map_err(|e| settings_error(&e))?;
    let command = LandscapeCommand {
        config,
        task,
        task_json,
        out: common.out_dir(),
        save_every: common.save_every()?,
        show_progress: common.show_progress(),
    };
    let s = &command.config.settings;
    let moments: Vec<String> = command
        .config
        .moments
        .iter()
        .map(|m| m.to_string())
        .collect();
    println!(
        "rbp landscape: arch {}, {}, {}, probing at {}",
        s.arch,
        command.task_json,
        s.describe(),
        moments.join(","),
    );
    println!("{}", output::backend_line(s.workers, s.blas_threads));
    let outcome = command::run(&command, &data).map_err(|e| match e {
        command::CommandError::Study(LandscapeError::Settings(s)) => settings_error(&s),
        other => other.into(),
    })?;
    println!("{}", outcome.table);
    let probe_seconds: Vec<f64> = outcome
        .solutions
        .iter()
        .map(|s| s.measures.seconds)
        .collect();
    println!(
        "{} solutions probed in {:.1} s in all; one probe ({} Hessian-vector products): \
         median {:.2} s",
        outcome.solutions.len(),
        outcome.seconds,
        command.config.probe.products(),
        rbp_lab::stats::median(&probe_seconds)
    );
    match &command.out {
        Some(_) => {
            for path in &outcome.files {
                println!("wrote {}", path.display());
            }
        }
        None => println!("(pass --out DIR to save landscape.json, CSVs and plots)"),
    }
    Ok(())
}

/// The task of a landscape study, as `landscape.json` describes it, and its data (MNIST's files
/// loaded and checked before any training).
fn landscape_task(
    task: &LandscapeTask,
    default_seeds: u64,
) -> Result<(Task, serde_json::Value, RunData)> {
    match task {
        LandscapeTask::Toy { toy, .. } => {
            let config = toy.config(default_seeds)?;
            config.validate().map_err(toy_error)?;
            let m = config.train_size;
            let json = serde_json::json!({"task": "toy", "train_size": m});
            Ok((config.task(), json, RunData::default()))
        }
        LandscapeTask::Mnist { mnist, .. } => {
            let config = mnist.config(default_seeds)?;
            let data = config.run_data();
            config.prepare(&data).map_err(mnist_error)?;
            let json = serde_json::json!({
                "task": config.data.kind.to_string(),
                "train_size": config.train_size,
                "test_size": config.test_size,
                "pool": config.pool,
            });
            Ok((config.task(), json, data))
        }
    }
}
