//! What every experiment prints and saves: a header naming the machine setup, the final table,
//! `curves.csv` and `summary.json`.

use super::{RunResult, Settings};
use crate::report::files::{self, OutDir, OutputError};
use crate::report::summary::{self, OptimizerSummary};
use crate::report::table::{self, PaperValue};
use rbp_core::gemm;
use rbp_core::oracle::Precision;
use serde::Serialize;

/// One line naming the GEMM backend, its threads, the parallel runs and the SIMD level, for
/// `workers` parallel runs asking for `blas_threads` (see [`crate::run::pool::configure_blas`]).
pub fn backend_line(workers: usize, blas_threads: usize) -> String {
    let threads = if gemm::chosen() == gemm::Backend::OpenBlas {
        crate::run::pool::blas_threads_per_run(workers, blas_threads)
    } else {
        1
    };
    format!(
        "GEMM: {}, {threads} BLAS thread(s) per run, {workers} run(s) in parallel; kernels: {}",
        gemm::backend_name(),
        rbp_core::kernel_level()
    )
}

/// The contents of `summary.json`.
#[derive(Serialize)]
pub struct SummaryFile<'a, X: Serialize> {
    pub command: &'a str,
    pub settings: &'a Settings,
    /// Task-specific settings (training-set size, data set, ...).
    pub task: X,
    /// The arithmetic the runs trained in (`f32`, or `f64` for the oracle).
    pub precision: Precision,
    pub gemm_backend: String,
    pub kernels: &'static str,
    pub seconds: f64,
    pub optimizers: Vec<OptimizerSummary>,
}

/// Everything an experiment leaves: the table (returned for printing) and, with `out`, the files.
pub struct Finished<'a, X: Serialize> {
    pub command: &'a str,
    pub settings: &'a Settings,
    pub task: X,
    /// The arithmetic the runs trained in.
    pub precision: Precision,
    pub runs: &'a [RunResult],
    pub seconds: f64,
    pub class_error: bool,
    pub paper: &'a [PaperValue],
}

/// Names of the files [`Finished::save`] writes, to check before the work starts.
pub const RESULT_FILES: [&str; 2] = ["curves.csv", "summary.json"];

impl<X: Serialize> Finished<'_, X> {
    pub fn table(&self) -> String {
        table::final_table(&summary::summarize(self.runs), self.paper)
    }

    pub fn save(&self, out: &OutDir) -> Result<Vec<std::path::PathBuf>, OutputError> {
        let csv = files::curves_csv(self.runs, self.class_error);
        let summary = SummaryFile {
            command: self.command,
            settings: self.settings,
            task: &self.task,
            precision: self.precision,
            gemm_backend: gemm::backend_name(),
            kernels: rbp_core::kernel_level(),
            seconds: self.seconds,
            optimizers: summary::summarize(self.runs),
        };
        let json = serde_json::to_string_pretty(&summary).expect("the summary serializes");
        Ok(vec![
            out.write("curves.csv", csv.as_bytes())?,
            out.write("summary.json", json.as_bytes())?,
        ])
    }
}
