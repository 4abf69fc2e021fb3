//! What each command does: build the library's configuration from the arguments, run it, print
//! and save the results.

use super::args::{
    BenchArgs, CommonArgs, DatasetArg, LandscapeArgs, LandscapeTask, MnistArgs, ReproduceArgs,
    ResumeArgs, SweepArgs, ToyArgs, flag_for, workers,
};
use anyhow::{Context, Result};
use rbp_core::checkpoint::{self, Checkpoint};
use rbp_core::oracle::Precision;
use rbp_lab::data::mnist::{DataSpec, DatasetKind};
use rbp_lab::experiment::mnist::{self, MnistError};
use rbp_lab::experiment::output::{self, Finished};
use rbp_lab::experiment::toy::{self, ToyError};
use rbp_lab::experiment::{Checkpointing, Experiment, RunResult, SettingsError, protocol};
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
    precision: Precision,
}

impl RunOptions {
    fn from_common(common: &CommonArgs) -> Result<RunOptions> {
        if common.checkpoint_every == Some(0) {
            anyhow::bail!("--checkpoint-every must be at least 1 (epochs)");
        }
        if common.checkpoint_every.is_some() && common.out.is_none() {
            anyhow::bail!("--checkpoint-every needs --out DIR: the checkpoint is written there");
        }
        if common.checkpoint_every.is_some() && common.precision == Precision::F64 {
            anyhow::bail!(
                "--checkpoint-every works with --precision f32 only: the f64 oracle keeps no \
                 checkpoints"
            );
        }
        Ok(RunOptions {
            out: common.out_dir(),
            checkpoint_every: common.checkpoint_every,
            resume_from: None,
            show_progress: common.show_progress(),
            precision: common.precision,
        })
    }
}

pub fn run_toy(args: ToyArgs) -> Result<()> {
    let config = toy::ToyConfig {
        settings: args.common.settings(&args.arch, protocol::TOY_SEEDS)?,
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
        settings: args.common.settings(&args.arch, protocol::MNIST_SEEDS)?,
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
            // Checkpoints are only written by f32 runs.
            precision: Precision::F32,
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
                    &rbp_lab::paper::FIG5_CLASS_ERROR
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
        "rbp {command}: arch {}, {description}, {}, precision {}",
        s.arch,
        s.describe(),
        options.precision,
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
        Experiment::Toy(c) => toy::run_at(c, options.precision, &progress, checkpointing.as_ref())
            .map_err(toy_error)?,
        Experiment::Mnist(c) => mnist::run_at(
            c,
            options.precision,
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
        precision: options.precision,
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
    if let Some(epochs) = args.epochs {
        config.epochs = epochs;
    }
    if let Some(n) = args.seeds {
        config = config.with_seeds(n);
    }
    if let Some(n) = args.explain_seeds {
        config.explain_seeds = n;
    }
    let (mode, out_dir) = args.runs.mode(&args.out);
    let out = OutDir::new(&out_dir, args.overwrite);
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
    let stored = reproduce::run_stored(&config, &out, mode, show, mnist.as_ref())?;
    print_run_store(&stored.tally, &stored.problems, &out_dir);
    let Some(outcome) = stored.outcome else {
        println!(
            "shard done; when every shard is, build the report with the same flags and --merge {}",
            out_dir.display()
        );
        return Ok(());
    };
    for r in &outcome.readings {
        for j in &r.judged {
            println!(
                "[{}] {}: {} — {} ({})",
                r.reading.name(),
                j.spec.id,
                j.verdict,
                j.spec.statement,
                j.assessment.estimate_text
            );
        }
    }
    println!(
        "{} runs in {:.1} s; report: {}",
        outcome.runs,
        outcome.seconds,
        out.path(reproduce::report_md::REPORT).display()
    );
    Ok(())
}

/// What the run store did: runs trained, found, failed, left to other shards, files not
/// trusted, and the cost of writing result files.
fn print_run_store(tally: &rbp_lab::experiment::execute::Tally, problems: &[String], out: &Path) {
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
        out.join(rbp_lab::experiment::store::RUNS_DIR).display()
    );
}

pub fn run_sweep(args: SweepArgs) -> Result<()> {
    use rbp_lab::experiment::sweep::{self, Sweep};
    let text = std::fs::read_to_string(&args.spec)
        .with_context(|| format!("cannot read the sweep spec {}", args.spec.display()))?;
    let spec = Sweep::parse(&text).with_context(|| format!("{}", args.spec.display()))?;
    if args.dry_run {
        let dry = sweep::dry_run(&spec)?;
        println!(
            "{} runs ({} cells x {} seeds):",
            dry.runs.len(),
            spec.cells.len(),
            spec.seeds.len()
        );
        for (i, (cell, run)) in dry.runs.iter().enumerate() {
            let values: Vec<String> = spec
                .swept
                .iter()
                .map(|a| format!("{a}={}", spec.cells[*cell].value(a)))
                .collect();
            println!(
                "{i:>5} {} cell {cell} [{}] seed {}",
                run.id(),
                values.join(", "),
                run.seed
            );
        }
        let workers = workers(args.jobs)?;
        println!("{}", dry.calibration);
        println!(
            "estimated CPU time: {:.0} s (about {:.0} s of wall time on {workers} worker(s), more on a busy machine)",
            dry.cpu_seconds,
            dry.cpu_seconds / workers as f64
        );
        return Ok(());
    }
    let workers = workers(args.jobs)?;
    let (mode, out_dir) = args.runs.mode(&args.out);
    let out = OutDir::new(&out_dir, args.overwrite);
    let show = !args.quiet && std::io::stderr().is_terminal();
    println!(
        "rbp sweep {}: {} cells x {} seeds; {}",
        args.spec.display(),
        spec.cells.len(),
        spec.seeds.len(),
        output::backend_line(workers, 1)
    );
    let outcome = sweep::run(&spec, &out, mode, workers, show)?;
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
    use rbp_lab::experiment::landscape::{self, LandscapeConfig, StudyProgress, report};
    let (common, probe, arch, default_seeds) = match &args.task {
        LandscapeTask::Toy { toy, probe } => (&toy.common, probe, &toy.arch, 10),
        LandscapeTask::Mnist { mnist, probe } => (&mnist.common, probe, &mnist.arch, 5),
    };
    if common.checkpoint_every.is_some() {
        anyhow::bail!("--checkpoint-every is not supported by `rbp landscape`");
    }
    let config = LandscapeConfig {
        settings: common.settings(arch, default_seeds)?,
        moments: probe.at.clone(),
        probe: probe.config(),
    };
    let settings_error =
        |e: SettingsError| anyhow::anyhow!("{}: {}", landscape_flag(&e.parameter), e.why);
    // The data of a seed, and the task's description.
    let toy_config;
    let mnist_setup;
    let (make_split, task): (Box<dyn Fn(u64) -> _ + Sync>, serde_json::Value) = match &args.task {
        LandscapeTask::Toy { toy: t, .. } => {
            toy_config = toy::ToyConfig {
                settings: config.settings.clone(),
                train_size: t.train_size,
            };
            toy_config.validate().map_err(toy_error)?;
            config.validate(t.train_size).map_err(settings_error)?;
            let arch = &config.settings.arch;
            let (n_in, n_out, m) = (arch.input_width(), arch.output_width(), t.train_size);
            (
                Box::new(move |seed| {
                    rbp_core::data::teacher::teacher_student(n_in, n_out, m, seed)
                }),
                serde_json::json!({"task": "toy", "train_size": m}),
            )
        }
        LandscapeTask::Mnist { mnist: a, .. } => {
            let kind = match a.dataset {
                DatasetArg::Mnist => DatasetKind::Mnist,
                DatasetArg::Fashion => DatasetKind::Fashion,
            };
            let c = mnist::MnistConfig {
                settings: config.settings.clone(),
                data: DataSpec {
                    kind,
                    dir: a.data_dir.clone(),
                    offline: a.offline,
                    mirrors: a.mirrors.clone(),
                    progress: common.show_progress(),
                },
                pool: a.pool,
                train_size: a.train_size,
                test_size: a.test_size,
            };
            config.validate(a.train_size).map_err(settings_error)?;
            let pools = c.load().map_err(mnist_error)?;
            c.check_sizes(&pools).map_err(mnist_error)?;
            let task = serde_json::json!({
                "task": c.data.kind.to_string(),
                "train_size": c.train_size,
                "test_size": c.test_size,
                "pool": c.pool,
            });
            mnist_setup = (c, pools);
            let (c, pools) = &mnist_setup;
            (Box::new(move |seed| Ok(c.draw(pools, seed))), task)
        }
    };
    let out = common.out_dir();
    if let Some(out) = &out {
        let names = report::file_names(&config);
        out.prepare(&names.iter().map(String::as_str).collect::<Vec<_>>())?;
    }
    let s = &config.settings;
    println!(
        "rbp landscape: arch {}, {task}, {}, probing at {}",
        s.arch,
        s.describe(),
        config
            .moments
            .iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join(","),
    );
    println!("{}", output::backend_line(s.workers, s.blas_threads));
    let runs = (s.seeds.len() * s.optimizers.len()) as u64;
    let progress = StudyProgress::new(
        runs * s.epochs as u64,
        runs * config.moments.len() as u64,
        common.show_progress(),
    );
    let start = Instant::now();
    let solutions = landscape::run(&config, make_split, &progress).map_err(|e| match e {
        landscape::LandscapeError::Settings(s) => settings_error(s),
        other => other.into(),
    })?;
    progress.finish();
    let seconds = start.elapsed().as_secs_f64();
    println!("{}", report::table(&config, &solutions));
    let probe_seconds: Vec<f64> = solutions.iter().map(|s| s.measures.seconds).collect();
    println!(
        "{} solutions probed in {seconds:.1} s in all; one probe ({} Hessian-vector products): \
         median {:.2} s",
        solutions.len(),
        config.probe.products(),
        median(&probe_seconds)
    );
    match &out {
        Some(out) => {
            for path in report::save(out, &config, &task, &solutions, seconds)? {
                println!("wrote {}", path.display());
            }
        }
        None => println!("(pass --out DIR to save landscape.json, CSVs and plots)"),
    }
    Ok(())
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}
