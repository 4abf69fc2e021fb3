//! `rbp reproduce`: every figure of the paper in one command, with a report that judges each
//! claim of [`crate::paper`] against our runs under the versioned rules of
//! [`crate::paper::protocol`], on the confirmation seeds by default.
//!
//! The work is planned first (all runs of all figures and readings, deduplicated: [`jobs`]), then
//! trained on a pool, then each figure turns its runs into CSV files, plots and claims
//! ([`figures`]), and [`report_md`] writes `REPORT.md`.

pub mod explain;
pub mod figures;
pub mod jobs;
pub mod mnist_source;
pub mod reading;
pub mod report_md;

pub use reading::{Reading, ReadingError};

use crate::experiment::{RunResult, SettingsError, protocol};
use crate::paper::judge::{Finding, Judged, judge_reading};
use crate::paper::protocol::{self as rules, ReadingRole, SeedBlock};
use crate::progress::Progress;
use crate::report::files::{OutDir, OutputError};
use crate::report::plot::PlotError;
use crate::run::{Executed, Mode, Pool, RunData, Status, StoredRun, Tally};
use figures::FigureOutput;
use indicatif::{MultiProgress, ProgressDrawTarget};
use jobs::{Plan, RunKey};
use mnist_source::MnistSource;
use rbp_core::net::Arch;
use rbp_core::optim::{Hyper, OptimizerKind};
use std::collections::BTreeMap;
use std::time::Instant;

/// The figures that train networks (Fig. 1 is computed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Figure {
    Fig2,
    Fig3,
    Fig4,
    /// MNIST, when its files are found ([`MnistSource`]).
    Fig5,
    /// "What explains the gain": R-BackProp against its controls ([`explain`]).
    Explain,
}

pub use crate::paper::FIG3_POINTS;
use crate::paper::FIG4_SIZES;

/// What to run: the toy protocol of the paper, or a smaller one.
#[derive(Clone, Debug)]
pub struct ReproduceConfig {
    /// `quick`, `paper`, or a test's own name: shown in the report.
    pub protocol: String,
    pub arch: Arch,
    pub batch: usize,
    pub epochs: usize,
    /// `M` of Figs. 2 and 3 (the test set has `M` examples too).
    pub train_size: usize,
    /// Seeds of Figs. 2 and 3 (seeds `0..seeds` of the block).
    pub seeds: u64,
    /// Which seeds: the development block (`0..`) or the protocol's confirmation block.
    pub seed_block: SeedBlock,
    /// Seeds averaged at each point of Fig. 4.
    pub fig4_seeds: u64,
    /// Seeds of Fig. 5 (MNIST), per optimizer.
    pub mnist_seeds: u64,
    /// Training-set sizes of Fig. 4.
    pub fig4_sizes: Vec<usize>,
    /// `(gamma0, lambda)` of Fig. 3; the first is the paper's default.
    pub fig3_points: Vec<(f64, f64)>,
    /// Seeds of the "what explains the gain" comparisons (at most `seeds`; 0 leaves the section
    /// out).
    pub explain_seeds: u64,
    /// The readings to run, in protocol order ([`order_readings`]): the primary first when run.
    pub readings: Vec<Reading>,
    /// Runs trained at once; results do not depend on it.
    pub workers: usize,
    /// Save each unfinished run's state every this many epochs (results do not depend on it).
    pub save_every: Option<usize>,
}

/// The training-set sizes of Fig. 4 in the default protocol: the paper's list
/// ([`FIG4_SIZES`]) up to 2000. Fig. 4's runs cost in proportion to M, and the default plan
/// already runs three readings (410 distinct runs); M = 4000 and 8000 would roughly double it.
/// Pass `--fig4-sizes 500,1000,2000,4000,8000` for the paper's full range.
pub const DEFAULT_FIG4_SIZES: [usize; 3] = [FIG4_SIZES[0], FIG4_SIZES[1], FIG4_SIZES[2]];

impl ReproduceConfig {
    /// The `(gamma0, lambda)` of every R-BackProp run outside Fig. 3's sweep (Figs. 2 and 4):
    /// the first Fig. 3 point, the paper's default. `validate` rejects an empty list.
    pub fn default_point(&self) -> (f64, f64) {
        self.fig3_points[0]
    }

    /// The paper's protocol (Sec. II, [`protocol`]): 100-400-200-10, `M = 1000`, batch 100, 100
    /// epochs, 10 seeds for the toy figures and 5 for MNIST, on the confirmation seeds.
    pub fn paper(readings: Vec<Reading>, workers: usize) -> ReproduceConfig {
        ReproduceConfig {
            protocol: "paper".into(),
            arch: protocol::TOY_ARCH
                .parse()
                .expect("the paper's widths are valid"),
            batch: protocol::BATCH,
            epochs: protocol::EPOCHS,
            train_size: protocol::TOY_TRAIN_SIZE,
            seeds: protocol::TOY_SEEDS,
            seed_block: SeedBlock::Confirm,
            fig4_seeds: protocol::TOY_SEEDS,
            mnist_seeds: protocol::MNIST_SEEDS,
            fig4_sizes: DEFAULT_FIG4_SIZES.to_vec(),
            fig3_points: FIG3_POINTS.to_vec(),
            explain_seeds: explain::DEFAULT_SEEDS,
            readings: order_readings(readings),
            workers,
            save_every: None,
        }
    }

    /// The seed of index `i` (`0..seeds`) in this configuration's block.
    pub fn seed(&self, i: u64) -> u64 {
        self.seed_block.base() + i
    }

    /// Whether this reproduction is the protocol's confirmatory one: the confirmation seeds,
    /// the default readings and every setting that changes a judged run as the protocol has it.
    /// Anything else is exploratory.
    pub fn is_confirmatory(&self) -> bool {
        let protocol = ReproduceConfig::paper(rules::default_readings(), self.workers);
        self.seed_block == SeedBlock::Confirm
            && self.protocol == protocol.protocol
            && self.arch == protocol.arch
            && (self.batch, self.epochs, self.train_size)
                == (protocol.batch, protocol.epochs, protocol.train_size)
            && (
                self.seeds,
                self.fig4_seeds,
                self.mnist_seeds,
                self.explain_seeds,
            ) == (
                protocol.seeds,
                protocol.fig4_seeds,
                protocol.mnist_seeds,
                protocol.explain_seeds,
            )
            && self.fig4_sizes == protocol.fig4_sizes
            && self.fig3_points == protocol.fig3_points
            && self.readings == protocol.readings
    }

    /// `confirmatory` or `exploratory`, with why, for the report and the terminal.
    pub fn status_line(&self) -> String {
        if self.is_confirmatory() {
            format!(
                "confirmatory: protocol v{} settings on the confirmation seeds {}..",
                rules::PROTOCOL_VERSION,
                self.seed(0)
            )
        } else {
            format!(
                "exploratory: {} seed block ({}..){}; only the protocol's default run on the confirmation seeds is confirmatory",
                self.seed_block.name(),
                self.seed(0),
                if self.seed_block == SeedBlock::Confirm {
                    " with settings that differ from the protocol's"
                } else {
                    ""
                }
            )
        }
    }

    /// `--quick`: the same network, 3 seeds, 30 epochs, small `M` for Fig. 4, always on the
    /// development seeds (a smoke run is never a verdict).
    pub fn quick(readings: Vec<Reading>, workers: usize) -> ReproduceConfig {
        ReproduceConfig {
            protocol: "quick".into(),
            seed_block: SeedBlock::Dev,
            epochs: 30,
            seeds: 3,
            fig4_seeds: 3,
            mnist_seeds: 2,
            fig4_sizes: vec![250, 500, 1000],
            explain_seeds: explain::DEFAULT_SEEDS.min(3),
            ..ReproduceConfig::paper(readings, workers)
        }
    }

    /// Updates per epoch (10 for the paper's `M = 1000`, batch 100): maps iterations to epochs.
    pub fn updates_per_epoch(&self) -> usize {
        self.train_size.div_ceil(self.batch.max(1))
    }

    /// `--seeds N`: every figure (2, 3, 4 and MNIST's 5) runs seeds `0..n`.
    pub fn with_seeds(self, n: u64) -> ReproduceConfig {
        ReproduceConfig {
            seeds: n,
            fig4_seeds: n,
            mnist_seeds: n,
            // The controls pair with Fig. 2's seeds: never more of them.
            explain_seeds: self.explain_seeds.min(n),
            ..self
        }
    }

    /// Rejects nonsense before any work.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let bad = |parameter: &str, why: &str| Err(SettingsError::new(parameter, why));
        if self.readings.is_empty() {
            return bad("readings", "no reading selected");
        }
        if self.seeds == 0 || self.fig4_seeds == 0 || self.mnist_seeds == 0 {
            return bad("seeds", "every figure needs at least one seed");
        }
        if self.epochs == 0 {
            return bad("epochs", "must be at least 1");
        }
        if self.explain_seeds > self.seeds {
            return Err(SettingsError::new(
                "explain_seeds",
                format!(
                    "{} is more than the {} seeds of Fig. 2, which the controls are paired with",
                    self.explain_seeds, self.seeds
                ),
            ));
        }
        if self.fig3_points.is_empty() {
            return bad("fig3_points", "Fig. 3 needs at least one (gamma0, lambda)");
        }
        let smallest = self
            .fig4_sizes
            .iter()
            .copied()
            .chain([self.train_size])
            .min()
            .unwrap_or(0);
        if smallest == 0 {
            return bad("fig4_sizes", "training-set sizes must be at least 1");
        }
        if self.batch == 0 || self.batch > smallest {
            return Err(SettingsError::new(
                "batch",
                format!(
                    "{} must lie in 1..={smallest} (the smallest training set)",
                    self.batch
                ),
            ));
        }
        for &(gamma0, lambda) in &self.fig3_points {
            let mut hyper = Hyper::default();
            hyper.rbp.gamma0 = gamma0;
            hyper.rbp.lambda = lambda;
            hyper.validate()?;
        }
        Ok(())
    }

    /// Where reading `i`'s figures go: `out` itself with one reading, else a folder per reading.
    pub fn reading_dir(&self, out: &OutDir, i: usize) -> OutDir {
        if self.readings.len() == 1 {
            out.clone()
        } else {
            OutDir::new(out.path(&self.readings[i].name()), out.overwrite)
        }
    }
}

/// `readings` in protocol order: the primary, then the co-primary, then the rest as given. The
/// primary is the protocol's ([`rules::PRIMARY`]) whatever order the flags name them in.
pub fn order_readings(mut readings: Vec<Reading>) -> Vec<Reading> {
    readings.sort_by_key(|r| match rules::role(r) {
        ReadingRole::Primary => 0,
        ReadingRole::CoPrimary => 1,
        ReadingRole::Sensitivity => 2,
    });
    readings
}

/// MNIST results for Fig. 5: the runs of one reading, drawn as `rbp mnist` draws them.
#[derive(Clone, Debug)]
pub struct MnistResults {
    /// Runs whose records carry `test_class_error`, seed by seed, optimizers in the paper's
    /// order within a seed.
    pub runs: Vec<RunResult>,
    /// One line on how they were obtained (data, epochs, seeds), for the report.
    pub description: String,
}

/// Why the reproduction stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReproduceError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Plot(#[from] PlotError),
    #[error(transparent)]
    Stored(#[from] crate::experiment::stored::StoredError),
    /// Runs are missing or unusable, so no report can be built; the text names them.
    #[error("{0}")]
    Incomplete(String),
}

/// What one reading produced: its figures (2-5) and every claim of the paper, judged.
#[derive(Clone, Debug)]
pub struct ReadingOutcome {
    pub reading: Reading,
    pub figures: Vec<FigureOutput>,
    /// Every claim of [`crate::paper::CLAIMS`], in that order, with its verdict.
    pub judged: Vec<Judged>,
}

/// Everything `rbp reproduce` produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub fig1: FigureOutput,
    /// In protocol order: the primary reading first when it was run.
    pub readings: Vec<ReadingOutcome>,
    /// R-BackProp against its deterministic twin and the noise control.
    pub explain: explain::Explained,
    /// Distinct training runs and the wall time of the whole reproduction.
    pub runs: usize,
    pub seconds: f64,
    pub files: Vec<std::path::PathBuf>,
}

/// Every file name a reproduction writes, relative to `out`, to check before any work.
pub fn planned_files(config: &ReproduceConfig) -> Vec<String> {
    let mut names: Vec<String> = figures::fig1_files();
    names.push(report_md::REPORT.to_string());
    names.push(report_md::CLAIMS_CSV.to_string());
    for reading in &config.readings {
        let prefix = if config.readings.len() == 1 {
            String::new()
        } else {
            format!("{}/", reading.name())
        };
        names.extend(
            figures::toy_files()
                .into_iter()
                .chain(figures::fig5_files())
                .map(|n| format!("{prefix}{n}")),
        );
    }
    names.push(explain::CSV.to_string());
    names
}

/// Every run of every figure and reading; Fig. 5's when MNIST is found, drawn from `mnist`'s pool.
pub fn plan(config: &ReproduceConfig, mnist: Option<Pool>) -> Plan {
    let mut plan = Plan::over(&config.readings);
    let default_point = config.default_point();
    for r in 0..config.readings.len() {
        if let Some(pool) = mnist {
            for (seed, kind) in mnist_runs(config) {
                let key = RunKey::mnist(r, pool, kind, seed, default_point);
                plan.want(key, true, Figure::Fig5);
            }
        }
        for seed in 0..config.seeds {
            for kind in OptimizerKind::PAPER {
                let key = RunKey::new(r, config.train_size, kind, seed, default_point);
                plan.want(key, true, Figure::Fig2);
            }
            for &point in &config.fig3_points {
                let key = RunKey::new(r, config.train_size, OptimizerKind::Rbp, seed, point);
                plan.want(key, true, Figure::Fig3);
            }
            let large = RunKey::adam_at(r, config.train_size, seed, rules::ADAM_LARGE_LR0);
            plan.want(large, false, Figure::Fig2);
        }
        for &m in &config.fig4_sizes {
            for seed in 0..config.fig4_seeds {
                for kind in OptimizerKind::PAPER {
                    let key = RunKey::new(r, m, kind, seed, default_point);
                    plan.want(key, false, Figure::Fig4);
                }
            }
        }
    }
    explain::want(config, &mut plan);
    plan
}

/// Fig. 5's `(seed, optimizer)` pairs, in [`MnistResults::runs`]' order.
fn mnist_runs(config: &ReproduceConfig) -> impl Iterator<Item = (u64, OptimizerKind)> {
    (0..config.mnist_seeds).flat_map(|seed| OptimizerKind::PAPER.map(|kind| (seed, kind)))
}

/// Progress lines: the overall bar counts epochs (for the ETA), the runs bar counts runs done,
/// present and failed, one bar per figure counts its finished runs.
struct Bars {
    overall: Progress,
    runs: Progress,
    figures: Vec<(Figure, Progress)>,
}

impl Bars {
    fn new(plan: &Plan, config: &ReproduceConfig, show: bool) -> Bars {
        let multi = MultiProgress::with_draw_target(if show {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        let total_epochs = (plan.len() * config.epochs) as u64;
        let overall = Progress::in_multi(&multi, total_epochs, "all", "epochs");
        let runs = Progress::in_multi(&multi, plan.len() as u64, "runs", "runs trained");
        let figures = [
            (Figure::Fig2, "Fig. 2"),
            (Figure::Fig3, "Fig. 3"),
            (Figure::Fig4, "Fig. 4"),
            (Figure::Fig5, "Fig. 5"),
            (Figure::Explain, "Controls"),
        ]
        .into_iter()
        .filter(|(f, _)| *f != Figure::Fig5 || plan.count_for(*f) > 0)
        .map(|(f, label)| {
            let n = plan.count_for(f) as u64;
            (f, Progress::in_multi(&multi, n, label, "runs"))
        })
        .collect();
        Bars {
            overall,
            runs,
            figures,
        }
    }
    fn finish(&self) {
        for (_, b) in &self.figures {
            b.finish();
        }
        self.runs.finish();
        self.overall.finish();
    }
}

/// Runs the whole reproduction into `out` and writes `REPORT.md`: [`run_stored`] training every
/// run that has no result file yet.
///
/// `mnist` is where Fig. 5's images are, or `None` when the MNIST data cannot be found (the
/// report then says so and goes on). `show_progress` draws the bars on stderr (the caller
/// passes false when stderr is not a terminal).
pub fn run(
    config: &ReproduceConfig,
    out: &OutDir,
    show_progress: bool,
    mnist: Option<&MnistSource>,
) -> Result<Outcome, ReproduceError> {
    let stored = run_stored(config, out, Mode::Train(None), show_progress, mnist)?;
    Ok(stored
        .outcome
        .expect("an unsharded reproduction has every run and writes its report"))
}

/// What [`run_stored`] did: the report's outcome (absent for a shard), the counts of runs
/// trained, found and failed, and the result files that could not be trusted (they were trained
/// again unless merging).
pub struct Stored {
    pub outcome: Option<Outcome>,
    pub tally: Tally,
    pub problems: Vec<String>,
}

/// Runs the reproduction through the run store of `out` (`out/runs/<id>.json`).
///
/// `Mode::Train(None)` trains every run whose result file is missing or untrustworthy, then
/// writes the figures and `REPORT.md`; re-running it over the same `out` after an interruption
/// trains only what is left and gives the same files (apart from recorded wall times).
/// `Mode::Train(Some(shard))` trains only the shard's runs and writes no report.
/// `Mode::Merge` trains nothing and builds the report from the result files alone, refusing
/// with the list of missing or mismatched runs when any is.
///
/// `mnist` is where Fig. 5's images are, or `None` when the MNIST data cannot be found (the
/// report then says so and goes on); every process of a sharded reproduction must find the
/// same (give them the same `--data-dir`), as the plan, and so each shard's share, includes
/// Fig. 5's runs only when it is found. `show_progress` draws the bars on stderr (the caller
/// passes false when stderr is not a terminal).
pub fn run_stored(
    config: &ReproduceConfig,
    out: &OutDir,
    mode: Mode,
    show_progress: bool,
    mnist: Option<&MnistSource>,
) -> Result<Stored, ReproduceError> {
    config.validate()?;
    if mode == Mode::Merge && mnist.is_none() {
        refuse_merge_without_mnist(out)?;
    }
    let start = Instant::now();
    let plan = plan(config, mnist.map(MnistSource::pool));
    let planned = train_plan(config, &plan, out, mode, show_progress, mnist)?;
    let executed = &planned.executed;
    let mut stored = Stored {
        outcome: None,
        tally: executed.tally.clone(),
        problems: executed.problems.clone(),
    };
    if matches!(mode, Mode::Train(Some(_))) {
        return Ok(stored);
    }
    check_complete(executed, mode, plan.len())?;
    // Past the check on REPORT.md, files an interrupted reproduction wrote are replaced.
    let out = &OutDir::new(&out.dir, true);
    for i in 0..config.readings.len() {
        config.reading_dir(out, i).prepare(&[])?;
    }
    let mut results: Results = planned
        .runs
        .iter()
        .map(|(key, run)| (*key, run.result.clone()))
        .collect();
    for (asked, trained) in plan.aliases() {
        results.insert(*asked, results[trained].clone());
    }
    let mut outcome = summarise(config, out, &results, mnist)?;
    // Distinct runs: keys answered by another key's run are not counted twice.
    outcome.runs = plan.len();
    outcome.seconds = start.elapsed().as_secs_f64();
    write_report(config, out, &mut outcome, executed)?;
    stored.outcome = Some(outcome);
    Ok(stored)
}

/// A merge that cannot find the MNIST its shards trained on: its plan would leave Fig. 5 out and
/// report it as skipped, though its runs are here.
fn refuse_merge_without_mnist(out: &OutDir) -> Result<(), ReproduceError> {
    let images = crate::run::store::image_runs(&out.dir);
    if images == 0 {
        return Ok(());
    }
    Err(ReproduceError::Incomplete(format!(
        "{} holds {images} MNIST result file(s), but MNIST was not found here, so Fig. 5 would \
         be reported as skipped: give the merge the same --data-dir as the shards",
        out.dir.display()
    )))
}

/// Reads and trains the runs of `plan` with the progress bars.
fn train_plan(
    config: &ReproduceConfig,
    plan: &Plan,
    out: &OutDir,
    mode: Mode,
    show_progress: bool,
    mnist: Option<&MnistSource>,
) -> Result<jobs::PlanRuns, ReproduceError> {
    let bars = Bars::new(plan, config, show_progress);
    let on_done = |job: &jobs::Job| {
        for (f, bar) in &bars.figures {
            if job.figures.contains(f) {
                bar.tick();
            }
        }
    };
    let no_images = RunData::default();
    let data = mnist.map_or(&no_images, MnistSource::run_data);
    let planned = jobs::execute(
        config,
        plan,
        out,
        mode,
        data,
        &bars.overall,
        &bars.runs,
        &on_done,
    )?;
    bars.finish();
    Ok(planned)
}

/// Refuses to draw figures from an incomplete merge or from runs that could not train at all.
fn check_complete(executed: &Executed, mode: Mode, planned: usize) -> Result<(), ReproduceError> {
    if mode == Mode::Merge && !executed.problems.is_empty() {
        return Err(ReproduceError::Incomplete(incomplete_message(
            &executed.problems,
            planned,
        )));
    }
    let unusable: Vec<String> = executed
        .failed()
        .filter(|r| r.could_not_train().is_some())
        .map(|r| format!("{}: {}", r.spec.label(), failure_text(r)))
        .collect();
    if unusable.is_empty() {
        return Ok(());
    }
    Err(ReproduceError::Incomplete(format!(
        "{} run(s) could not train, so the figures cannot be drawn:\n  {}",
        unusable.len(),
        unusable.join("\n  ")
    )))
}

/// Every figure of every reading and the controls, from the runs' results.
fn summarise(
    config: &ReproduceConfig,
    out: &OutDir,
    results: &Results,
    mnist: Option<&MnistSource>,
) -> Result<Outcome, ReproduceError> {
    let mut files = Vec::new();
    let fig1 = figures::fig1(config, out, &mut files)?;
    let mut measured = Vec::new();
    for i in 0..config.readings.len() {
        measured.push(reading_outcome(config, i, out, results, mnist, &mut files)?);
    }
    let readings = judge_readings(measured);
    let explain = explain::compute(config, results);
    files.push(out.write(explain::CSV, explain::csv(&explain).as_bytes())?);
    Ok(Outcome {
        fig1,
        readings,
        explain,
        runs: results.len(),
        seconds: 0.0,
        files,
    })
}

/// A reading's figures and its claims' measurements, before judging.
pub struct Measured {
    /// The reading.
    pub reading: Reading,
    /// Its figures (2-5).
    pub figures: Vec<FigureOutput>,
    /// Every claim's measurements, in [`crate::paper::CLAIMS`]' order.
    pub findings: Vec<Finding>,
}

/// Judges every reading: the primary and co-primary readings' claims form one Holm family
/// ([`rules::HOLM_FAMILY`]), whichever of them was run; every other reading is its own family.
pub fn judge_readings(measured: Vec<Measured>) -> Vec<ReadingOutcome> {
    let confirmatory = |m: &Measured| rules::role(&m.reading) != ReadingRole::Sensitivity;
    let family: Vec<Finding> = measured
        .iter()
        .filter(|m| confirmatory(m))
        .flat_map(|m| m.findings.iter().cloned())
        .collect();
    let mut family = judge_reading(family).into_iter();
    measured
        .into_iter()
        .map(|m| {
            let judged = if confirmatory(&m) {
                family.by_ref().take(m.findings.len()).collect()
            } else {
                judge_reading(m.findings)
            };
            ReadingOutcome {
                reading: m.reading,
                figures: m.figures,
                judged,
            }
        })
        .collect()
}

/// Figs. 2-5 of reading `i` and its claims' measurements.
fn reading_outcome(
    config: &ReproduceConfig,
    i: usize,
    out: &OutDir,
    results: &Results,
    mnist: Option<&MnistSource>,
    files: &mut Vec<std::path::PathBuf>,
) -> Result<Measured, ReproduceError> {
    let dir = config.reading_dir(out, i);
    let get = |m: usize, kind: OptimizerKind, seed: u64, point: (f64, f64)| -> &RunResult {
        &results[&RunKey::new(i, m, kind, seed, point)]
    };
    let mnist_results = mnist.map(|source| MnistResults {
        runs: mnist_runs(config)
            .map(|(seed, kind)| {
                let key = RunKey::mnist(i, source.pool(), kind, seed, config.default_point());
                results[&key].clone()
            })
            .collect(),
        description: source.description(config.epochs, config.mnist_seeds),
    });
    let large_eta: Vec<&RunResult> = (0..config.seeds)
        .map(|seed| {
            let key = RunKey::adam_at(i, config.train_size, seed, rules::ADAM_LARGE_LR0);
            &results[&key]
        })
        .collect();
    let figures = vec![
        figures::fig2(config, &dir, &get, &large_eta, files)?,
        figures::fig3(config, &dir, &get, files)?,
        figures::fig4(config, &dir, &get, files)?,
        figures::fig5(mnist_results.as_ref(), &dir, files)?,
    ];
    let mut findings: Vec<Finding> = figures
        .iter()
        .flat_map(|f| f.findings.iter().cloned())
        .collect();
    findings.push(memory_finding());
    Ok(Measured {
        reading: config.readings[i],
        figures,
        findings,
    })
}

/// `claims.csv` and `REPORT.md` (written last: its presence marks the reproduction complete).
fn write_report(
    config: &ReproduceConfig,
    out: &OutDir,
    outcome: &mut Outcome,
    executed: &Executed,
) -> Result<(), ReproduceError> {
    let csv = report_md::claims_csv(outcome);
    outcome
        .files
        .push(out.write(report_md::CLAIMS_CSV, csv.as_bytes())?);
    let mut report = report_md::render(config, outcome);
    report.push_str(&failed_runs_section(executed));
    outcome
        .files
        .push(out.write(report_md::REPORT, report.as_bytes())?);
    Ok(())
}

/// `reason (epoch N)` of a failed run.
fn failure_text(run: &StoredRun) -> String {
    match &run.status {
        Status::Failed { reason, epoch } => format!("{reason} (epoch {epoch})"),
        Status::Finished => "finished".into(),
    }
}

/// The report's list of failed runs (nothing when every run finished): they are in the figures
/// as they are (their non-finite points are skipped by the plots), and named here.
fn failed_runs_section(executed: &Executed) -> String {
    let failed: Vec<&StoredRun> = executed.failed().collect();
    if failed.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "## Failed runs\n\n{} run(s) failed; the sweep went on without stopping.\n\n| run | result file | why |\n|---|---|---|\n",
        failed.len()
    );
    for r in failed {
        out.push_str(&format!(
            "| {} | runs/{}.json | {} |\n",
            r.spec.label(),
            r.spec.id(),
            failure_text(r).replace('|', "/")
        ));
    }
    out.push('\n');
    out
}

/// The error of a merge over an incomplete directory: how many, and the first few by name.
fn incomplete_message(problems: &[String], planned: usize) -> String {
    const SHOWN: usize = 20;
    let mut text = format!(
        "{} of the {planned} planned runs have no usable result file (run the missing shards, or \
         check that every shard was run with the same flags as this merge):",
        problems.len()
    );
    for p in problems.iter().take(SHOWN) {
        text.push_str("\n  ");
        text.push_str(p);
    }
    if problems.len() > SHOWN {
        text.push_str(&format!("\n  ... and {} more", problems.len() - SHOWN));
    }
    text
}

/// The abstract's memory claim, measured from the optimizers themselves: the growth of their
/// state per added weight (so R-BackProp's fixed 8-byte coin seed does not count per weight).
fn memory_finding() -> Finding {
    let hyper = Hyper::default();
    let (small, large) = (1usize << 10, 1usize << 11);
    let per_weight = |kind| -> Option<f64> {
        let bytes = |n| {
            rbp_core::optim::Optimizer::new(kind, &hyper, n, 0)
                .ok()
                .map(|o| o.state_bytes())
        };
        Some((bytes(large)? - bytes(small)?) as f64 / (large - small) as f64)
    };
    let evidence = match (
        per_weight(OptimizerKind::Rbp),
        per_weight(OptimizerKind::Adam),
    ) {
        (Some(ours), Some(other)) => crate::paper::Evidence::Exact { ours, other },
        _ => crate::paper::Evidence::Missing("optimizer state could not be allocated".into()),
    };
    Finding::new(
        "abstract-memory",
        evidence,
        "bytes of state per weight, measured from Optimizer::state_bytes",
    )
}

/// Per-seed curves of one figure's runs, mapped by key (used by the figures).
pub type RunLookup<'a> = dyn Fn(usize, OptimizerKind, u64, (f64, f64)) -> &'a RunResult + 'a;

/// The results of a finished plan, by key (exposed for tests).
pub type Results = BTreeMap<RunKey, RunResult>;
