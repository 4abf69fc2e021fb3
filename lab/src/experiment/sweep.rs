//! `rbp sweep SPEC.toml`: grids beyond the paper's figures (the cross product of lists of
//! settings, [`spec`], on the teacher task or MNIST / Fashion-MNIST, [`data`]), trained through
//! the run store like `rbp reproduce` (same run ids, result files, resume, `--shard` and
//! `--merge`), summarized per cell ([`summary`]: mean ± std and 95% CI of the final errors over
//! seeds) in `sweep.csv` and `SWEEP.md`, with a plot of the final test error (classification
//! error on images) against one swept axis. [`dry_run()`] lists the runs and estimates their cost.
//!
//! A spec is checked whole before anything is built: [`size`] refuses a plan over its limits
//! (a million runs, 2^64 epochs in all, the memory of the run list) from the lengths of its
//! lists alone, and the cells are enumerated in linear time. [`read_spec`] reads the file.

mod axes;
pub mod data;
pub mod dry_run;
pub mod size;
pub mod spec;
pub mod summary;

pub use crate::experiment::image_data::ImageData;
pub use dry_run::{DryRun, dry_run};
pub use spec::{AXES, Cell, SpecError, Sweep};
pub use summary::{CSV, CellSummary, REPORT, plot_stem};

use crate::experiment::stored::{self, RunBars, Running, StoredError};
use crate::progress::Progress;
use crate::report::files::{OutDir, OutputError};
use crate::report::plot::PlotError;
use crate::run::{ExecuteError, Mode, RunSpec, Tally};
use indicatif::{MultiProgress, ProgressDrawTarget};
use rbp_core::file::{self, FileError};
use std::path::{Path, PathBuf};

/// Why a sweep stopped.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Stored(StoredError),
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// A calibration run could not train.
    #[error("{0}")]
    Train(String),
    /// Runs are missing, so no summary can be built; the text names them.
    #[error("{0}")]
    Incomplete(String),
    /// The data of the runs could not be loaded; the text names the files, the directory and
    /// the spec key to change ([`data::explain`]).
    #[error("{0}")]
    Data(String),
    /// The spec file could not be read: missing, not a regular file, larger than
    /// [`MAX_SPEC_BYTES`], not UTF-8.
    #[error("sweep spec {0}")]
    SpecFile(FileError),
    /// The spec file reads but is not a valid spec; the error names the key.
    #[error("sweep spec {}: {error}", path.display())]
    InvalidSpec { path: PathBuf, error: SpecError },
}

/// The largest spec file [`read_spec`] reads: 16 MiB, room for a list of a million seeds.
pub const MAX_SPEC_BYTES: u64 = 16 << 20;

/// Reads and checks the spec file at `path`: a regular file (a FIFO, a device or a directory is
/// refused without blocking or reading it) of at most [`MAX_SPEC_BYTES`].
pub fn read_spec(path: &Path) -> Result<Sweep, SweepError> {
    let text = file::read_text_capped(path, MAX_SPEC_BYTES, "a sweep spec")
        .map_err(SweepError::SpecFile)?;
    Sweep::parse(&text).map_err(|error| SweepError::InvalidSpec {
        path: path.to_path_buf(),
        error,
    })
}

impl SweepError {
    /// `e`, with data errors worded for a sweep.
    fn from_stored(e: StoredError) -> SweepError {
        match e {
            StoredError::Execute(ExecuteError::Data(d)) => SweepError::Data(data::explain(&d)),
            other => SweepError::Stored(other),
        }
    }
}

/// What a complete sweep wrote.
#[derive(Clone, Debug)]
pub struct SweepReport {
    pub cells: Vec<CellSummary>,
    /// The report's text (also in `SWEEP.md`).
    pub markdown: String,
    pub files: Vec<PathBuf>,
}

/// What [`run`] did: the counts, the result files not trusted, and the report unless sharded.
pub struct SweepOutcome {
    pub tally: Tally,
    pub problems: Vec<String>,
    pub report: Option<SweepReport>,
}

/// Trains the sweep's runs through the run store of `out` (see [`Mode`]; resume is re-running
/// the same command) and, unless sharded, writes `sweep.csv`, `SWEEP.md` and the plot.
pub fn run(
    sweep: &Sweep,
    out: &OutDir,
    running: Running,
    show_progress: bool,
) -> Result<SweepOutcome, SweepError> {
    let runs = sweep.runs();
    let specs: Vec<RunSpec> = runs.iter().map(|(_, s)| s.clone()).collect();
    let multi = MultiProgress::with_draw_target(if show_progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let total_epochs = (specs.len() * sweep.epochs) as u64;
    let epochs = Progress::in_multi(&multi, total_epochs, "all", "epochs");
    let run_bar = Progress::in_multi(&multi, specs.len() as u64, "runs", "runs trained");
    let bars = RunBars::new(&epochs, &run_bar, &|_| {});
    let data = sweep.data.run_data();
    // SWEEP.md is written last: with it present the sweep is complete.
    let names = vec![REPORT.to_string()];
    let (store, executed) = stored::execute(out, &names, running, &specs, &data, &bars)
        .map_err(SweepError::from_stored)?;
    // Past that check, files an interrupted sweep wrote are replaced.
    let out = &OutDir::new(&out.dir, true);
    run_bar.finish();
    epochs.finish();
    let mut outcome = SweepOutcome {
        tally: executed.tally.clone(),
        problems: executed.problems.clone(),
        report: None,
    };
    if matches!(running.mode, Mode::Train(Some(_))) {
        return Ok(outcome);
    }
    let missing = stored::missing(&specs, &executed, &store);
    if !missing.is_empty() {
        return Err(SweepError::Incomplete(format!(
            "{} of the {} runs have no usable result file (run the missing shards with the same \
             spec):\n  {}",
            missing.len(),
            specs.len(),
            missing.join("\n  ")
        )));
    }
    let cells = summary::summarize(sweep, &runs, &executed);
    let mut files = Vec::new();
    files.push(out.write(CSV, summary::csv(sweep, &cells).as_bytes())?);
    if let Some(axis) = sweep.plot {
        let written = summary::plot_final_error(sweep, &cells, axis, out)?;
        files.push(written.png);
        files.push(written.svg);
    }
    let markdown = summary::report(sweep, &cells, &executed);
    files.push(out.write(REPORT, markdown.as_bytes())?);
    outcome.report = Some(SweepReport {
        cells,
        markdown,
        files,
    });
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(workers: usize) -> Running {
        Running {
            mode: Mode::Train(None),
            workers,
            save_every: None,
        }
    }

    const SPEC: &str = "seeds = 3\nepochs = 2\nbatch = 10\n[grid]\narch = [\"6-5-3\"]\ntrain_size = [40]\noptimizer = [\"sgd\", \"adam\"]\nlr_scale = [0.5, 1, 2]\n";

    #[test]
    fn a_sweep_summarizes_every_cell_and_resumes_without_training() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::new(dir.path(), false);
        let sweep = Sweep::parse(SPEC).unwrap();
        let first = run(&sweep, &out, running(2), false).unwrap();
        assert_eq!(first.tally.trained, 18);
        let report = first.report.unwrap();
        assert_eq!(report.cells.len(), 6);
        // Each cell's mean is the plain mean of its seeds' final test errors, read back from
        // the result files (the same numbers, bit for bit).
        let store = crate::run::RunStore::open(dir.path()).unwrap();
        for s in &report.cells {
            let cell = &sweep.cells[s.cell];
            let finals: Vec<f64> = sweep
                .seeds
                .iter()
                .map(|&seed| match store.load(&sweep.spec(cell, seed)) {
                    crate::run::store::Loaded::Present(r) => r.result.last().test_error,
                    other => panic!("{other:?}"),
                })
                .collect();
            let mean = finals.iter().sum::<f64>() / finals.len() as f64;
            // Summing in the same order gives the same f64; allow 1 ulp-scale slack anyway.
            assert!((s.test.mean - mean).abs() <= 1e-12 * mean.abs(), "{s:?}");
            assert_eq!(s.test.n, 3);
        }
        let csv_text = std::fs::read_to_string(dir.path().join(CSV)).unwrap();
        assert_eq!(csv_text.lines().count(), 7);
        assert!(dir.path().join("final_error_vs_lr_scale.png").exists());
        // Again over the same directory: nothing is trained, the table is the same.
        let again = run(&sweep, &OutDir::new(dir.path(), true), running(1), false).unwrap();
        assert_eq!(again.tally.trained, 0);
        assert_eq!(again.tally.present, 18);
        assert_eq!(
            std::fs::read_to_string(dir.path().join(CSV)).unwrap(),
            csv_text
        );
    }

    #[test]
    fn a_spec_file_is_read_only_when_it_is_a_regular_file_of_sensible_size() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.toml");
        std::fs::write(&good, SPEC).unwrap();
        assert_eq!(read_spec(&good).unwrap().cells.len(), 6);
        let fifo = dir.path().join("fifo.toml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("cannot set up the test: `mkfifo` does not run");
        assert!(made.success(), "cannot set up the test: mkfifo");
        // On a thread: a FIFO that blocked would otherwise hang the test instead of failing it.
        let (tx, rx) = std::sync::mpsc::channel();
        let f = fifo.clone();
        std::thread::spawn(move || tx.send(read_spec(&f).map(|_| ()).unwrap_err().to_string()));
        let m = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("reading a FIFO as a spec blocked");
        assert_eq!(
            m,
            format!(
                "sweep spec {}: is a FIFO (named pipe), not a regular file",
                fifo.display()
            )
        );
        let m = read_spec(Path::new("/dev/zero")).unwrap_err().to_string();
        assert_eq!(
            m,
            "sweep spec /dev/zero: is a character device, not a regular file"
        );
        let m = read_spec(dir.path()).unwrap_err().to_string();
        assert!(m.ends_with("is a directory, not a regular file"), "{m}");
        let huge = dir.path().join("huge.toml");
        std::fs::File::create(&huge)
            .unwrap()
            .set_len(MAX_SPEC_BYTES + 1)
            .unwrap();
        let m = read_spec(&huge).unwrap_err().to_string();
        assert!(
            m.contains("larger than the 16.0 MiB limit for a sweep spec"),
            "{m}"
        );
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "epochs = 0").unwrap();
        let m = read_spec(&bad).unwrap_err().to_string();
        assert_eq!(
            m,
            format!("sweep spec {}: `epochs`: must be at least 1", bad.display())
        );
    }

    #[test]
    fn a_diverging_run_is_recorded_as_failed_and_the_sweep_goes_on() {
        // Adam at a learning rate near f32's largest steps every weight by ~3e38: the weights
        // overflow to infinities within an epoch (the sigmoids alone would saturate, not fail).
        let dir = tempfile::tempdir().unwrap();
        let spec = "seeds = 2\nepochs = 3\nbatch = 10\n[grid]\narch = [\"6-5-3\"]\ntrain_size = [40]\noptimizer = [\"adam\"]\nlr_scale = [1, 3e40]\n";
        let sweep = Sweep::parse(spec).unwrap();
        let outcome = run(&sweep, &OutDir::new(dir.path(), false), running(1), false).unwrap();
        let report = outcome.report.unwrap();
        assert_eq!(report.cells[0].failed, 0);
        assert_eq!(report.cells[1].failed, 2, "{}", report.markdown);
        assert!(report.markdown.contains("## Failed runs"));
        assert!(report.markdown.contains("diverged"));
    }
}
